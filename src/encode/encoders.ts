import { UnsupportedError } from '../errors.js';
import type { FfmpegBackend } from '../media/types.js';
import { CRF_RANGE, type EncoderName } from '../core/encoders.js';

/**
 * Encoder adapters: how one scenecrf encoder name becomes ffmpeg output arguments. Each adapter
 * is small and declarative: the ffmpeg encoder it needs, CRF and speed ranges and what they mean,
 * and `args()` for one chunk.
 *
 * Per-scene / global plan `options` (keys without dashes) map as follows:
 * - svt-av1: every key is an SVT-AV1 parameter and goes into `-svtav1-params key=value:...`
 *   (the names SvtAv1EncApp uses without dashes, e.g. `tune: 0`, `film-grain: 8`, `enable-qm: 1`).
 *   scenecrf sets `lp` (threads) itself.
 * - aom, vp9: every key is a private ffmpeg option of libaom-av1 / libvpx-vp9 passed as
 *   `-key value` (e.g. `tune: "ssim"`, `aq-mode: 2`, `arnr-strength: 4`, `tile-columns: 1`,
 *   `lag-in-frames: 25`; aom also `aom-params: "sharpness=2"`). They may override scenecrf's
 *   defaults (`g`, `row-mt`, `usage`, `deadline`, `lag-in-frames`...).
 * Booleans become 1/0. Keys that scenecrf owns (CRF, speed, bit depth, threads, bitrate) are
 * refused when the plan is parsed (RESERVED_PLAN_OPTIONS, src/core), for every consumer alike.
 */

export type OptionValue = string | number | boolean;

export interface ChunkEncodeSettings {
  crf: number;
  preset: number;
  bitDepth: 8 | 10;
  /** Threads for this one encode (fixed, so that encodes are reproducible). */
  threads: number;
  /** Maximum keyframe interval in frames (each chunk also starts with a keyframe). */
  keyint: number;
  /** Global plan options merged with the scene's own (scene wins). */
  options: Record<string, OptionValue>;
}

export interface EncoderAdapter {
  name: EncoderName;
  /** ffmpeg encoder name (`ffmpeg -encoders`). */
  ffmpegEncoder: string;
  codec: 'av1' | 'vp9';
  crfRange: { min: number; max: number };
  /** What the CRF means for this encoder. */
  crfMeaning: string;
  presetRange: { min: number; max: number };
  /** What the plan's `preset` maps to. */
  presetMeaning: string;
  /** What to install when the ffmpeg lacks the encoder. */
  install: string;
  /** ffmpeg output arguments for one chunk (codec, rate control, speed, format, threads). */
  args(s: ChunkEncodeSettings): string[];
}

function optionText(v: OptionValue): string {
  return typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
}

const pixFmt = (bitDepth: 8 | 10) => (bitDepth === 10 ? 'yuv420p10le' : 'yuv420p');

const svtAv1: EncoderAdapter = {
  name: 'svt-av1',
  ffmpegEncoder: 'libsvtav1',
  codec: 'av1',
  crfRange: CRF_RANGE['svt-av1'],
  crfMeaning: 'SVT-AV1 --crf 1..63 (constant rate factor; lower = better quality, more bytes)',
  presetRange: { min: 0, max: 13 },
  presetMeaning: 'SVT-AV1 --preset 0..13 (0 slowest/best, 12-13 fastest)',
  install: 'an ffmpeg built with --enable-libsvtav1 (Debian 12 / Ubuntu 23.04+: apt install ffmpeg)',
  args(s) {
    // -svtav1-params is one "key=value:key=value" string; values were checked for ':' and '='.
    // lp (logical processors) pins the thread count; keyint via -g (ffmpeg maps it to the intra
    // period). SVT's own scene-change detection stays at its default (off): the plan's scenes are
    // the chunks.
    const params = [`lp=${s.threads}`, ...Object.entries(s.options).map(([k, v]) => `${k}=${optionText(v)}`)].join(':');
    return ['-c:v', 'libsvtav1', '-preset', String(s.preset), '-crf', String(s.crf), '-g', String(s.keyint), '-pix_fmt', pixFmt(s.bitDepth), '-svtav1-params', params];
  },
};

/** libaom and libvpx: constant quality needs `-b:v 0` (otherwise CRF is a constrained-quality cap). */
function libvpxLike(name: 'aom' | 'vp9'): EncoderAdapter {
  const ffmpegEncoder = name === 'aom' ? 'libaom-av1' : 'libvpx-vp9';
  return {
    name,
    ffmpegEncoder,
    codec: name === 'aom' ? 'av1' : 'vp9',
    crfRange: CRF_RANGE[name],
    crfMeaning: `${ffmpegEncoder} -crf 0..63 with -b:v 0 (constant quality; lower = better quality, more bytes${name === 'vp9' ? '; 0 is not lossless, use lossless: 1' : ''})`,
    presetRange: { min: 0, max: 8 },
    presetMeaning: name === 'aom' ? 'libaom --cpu-used 0..8 (usage good; 0 slowest/best)' : 'libvpx --cpu-used 0..8 with --deadline good (0 slowest/best)',
    install:
      name === 'aom'
        ? 'an ffmpeg built with --enable-libaom (Debian/Ubuntu: apt install ffmpeg)'
        : 'an ffmpeg built with --enable-libvpx (Debian/Ubuntu: apt install ffmpeg)',
    args(s) {
      const defaults: Record<string, OptionValue> =
        name === 'aom'
          ? { usage: 'good', 'row-mt': 1, g: s.keyint }
          : { deadline: 'good', 'row-mt': 1, g: s.keyint };
      const merged = { ...defaults, ...s.options };
      return [
        '-c:v', ffmpegEncoder,
        '-crf', String(s.crf), '-b:v', '0',
        '-cpu-used', String(s.preset),
        '-pix_fmt', pixFmt(s.bitDepth),
        '-threads', String(s.threads),
        ...Object.entries(merged).flatMap(([k, v]) => [`-${k}`, optionText(v)]),
      ];
    },
  };
}

export const ENCODER_ADAPTERS: Record<EncoderName, EncoderAdapter> = {
  'svt-av1': svtAv1,
  aom: libvpxLike('aom'),
  vp9: libvpxLike('vp9'),
};

export function encoderAdapter(name: EncoderName): EncoderAdapter {
  const a = ENCODER_ADAPTERS[name];
  if (!a) throw new UnsupportedError(`unknown encoder ${JSON.stringify(name)}`);
  return a;
}

/** Throws UnsupportedError unless this ffmpeg can run the encoder (native ffmpeg with it built in). */
export function assertEncoderSupported(backend: FfmpegBackend, name: EncoderName): EncoderAdapter {
  const a = encoderAdapter(name);
  if (backend.kind !== 'native') {
    throw new UnsupportedError(`encoding needs a native ffmpeg (the ${backend.kind} backend cannot run ${a.ffmpegEncoder}); install ${a.install}`);
  }
  if (!backend.capabilities.encoders.has(a.ffmpegEncoder)) {
    throw new UnsupportedError(
      `the ffmpeg at ${backend.path} has no ${a.ffmpegEncoder} encoder (needed for ${name}); install ${a.install}, or pass another ffmpeg with --ffmpeg / ffmpegPath`,
    );
  }
  return a;
}

/** The encoder library version from an encode's log (SVT prints its banner; libaom/libvpx log "vX.Y.Z"). */
export function encoderVersionFromLog(adapter: EncoderAdapter, stderr: string): string | undefined {
  const svt = /SVT-AV1 Encoder Lib (v[\w.\-]+)/.exec(stderr);
  if (adapter.name === 'svt-av1' && svt) return `SVT-AV1 ${svt[1]}`;
  const m = new RegExp(`\\[${adapter.ffmpegEncoder.replace(/-/g, '\\-')} @ [^\\]]*\\] (?:\\[info\\] )?(v\\d[\\w.\\-]*)`).exec(stderr);
  return m ? `${adapter.ffmpegEncoder} ${m[1]}` : undefined;
}
