/**
 * Full-reference quality metrics computed by ffmpeg's own filters (psnr, ssim, xpsnr) and, when
 * the ffmpeg build has it, by the libvmaf filter: ONE ffmpeg process decodes both files, aligns
 * them and writes per-frame statistics that are parsed here.
 *
 * Graph (reference is `-i` #0, distorted `-i` #1):
 *
 *   [0:V:0] format=F, settb=1/30, setpts=N [r]            (split k ways for k metrics)
 *   [1:V:0] (scale=W:H:flags=bicubic,) format=F, settb=1/30, setpts=N [d]
 *   [d][r0] psnr=stats_file=psnr.log [m1]; [m1][r1] ssim=... [m2]; ... -> -f null -
 *
 * - Frame pairing is BY INDEX: both inputs are re-timed to `setpts=N` (a stricter form of
 *   `setpts=PTS-STARTPTS`), so frame i of the distorted is compared with frame i of the reference
 *   whatever the containers' timestamps say (edit lists, VFR, a different frame rate). This is what
 *   libvmaf's own CLI does with y4m pipes, and what the shared reference logs were made with.
 * - Every metric filter gets the DISTORTED as its first ("main") input and the REFERENCE as its
 *   second ("reference") input. For libvmaf this order matters: in ffmpeg's vf_libvmaf.c (the
 *   libvmaf v2 filter, ffmpeg 5.0+) `do_vmaf` reads `ff_framesync_dualinput_get(fs, &dist, &ref)`,
 *   and the older v1 filter copies input 0 into `gmain` and input 1 into `gref`; both declare the
 *   pads "main" then "reference". psnr/ssim/xpsnr declare the same pads (and are symmetric anyway).
 * - Frame counts: the metric filters use ffmpeg's default framesync options (no `shortest`,
 *   `eof_action=repeat`), so ffmpeg keeps decoding until BOTH inputs end (the shorter one's last
 *   frame is repeated in the filter). Both inputs are therefore decoded completely and ffmpeg's
 *   verbose end report ("Input stream #N:0 (video): ... K frames decoded") gives exact counts. If
 *   they differ the run fails with FrameCountMismatchError: nothing is truncated or padded
 *   silently. (With `shortest=1` the longer input is not read to its end, so its true count would
 *   be unknown.) The cost of a mismatch is one full pass over the longer input.
 * - Distorted is scaled to the reference size with swscale bicubic only when the sizes differ;
 *   both are converted to yuv420p (yuv420p10le when the reference is deeper than 8 bits).
 * - Stats files live in a private temp dir that is ffmpeg's working directory, so the filter
 *   options only ever hold plain relative names (no filtergraph escaping of user paths). A user's
 *   libvmaf model file is copied there for the same reason.
 */
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { AbortError, CorruptInputError, describeIssues, FfmpegError, FrameCountMismatchError, InvalidOptionsError, ModelInvalidError, type ScenecrfError, UnsupportedError } from '../errors.js';
import { ffmpegErrorDetail, inputErrorFromStderr, parseFinalProgress, problemLines, withoutLevelTags } from '../media/ffmpeg-info.js';
import { assertSameOrientation } from '../media/input-checks.js';
import { probeVideo } from '../media/probe.js';
import { runTool } from '../media/process.js';
import { resolveFfmpeg } from '../media/resolve.js';
import type { FfmpegBackend, VideoInfo } from '../media/types.js';
import { announceCommand } from '../util/command-log.js';

export type FfmpegMetric = 'psnr' | 'ssim' | 'xpsnr' | 'libvmaf';

/**
 * Per-frame PSNR of identical frames is +Infinity (ffmpeg prints `inf`) and stays Infinity in
 * `frames`. Only pooling caps it: each frame's psnr_* / xpsnr_* value is clamped to this many dB
 * before averaging, so one identical frame does not make the mean infinite.
 */
export const PSNR_POOL_CAP_DB = 100;

// ---------------------------------------------------------------------------------------------
// Pure parsers
// ---------------------------------------------------------------------------------------------

function parseNumber(text: string, what: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '-nan') return NaN;
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) throw new SyntaxError(`${what}: not a number: ${JSON.stringify(text)}`);
  return v;
}

/** Checks that frame numbers run 1, 2, 3, ... as ffmpeg writes them. */
function checkSequence(ns: number[], what: string): void {
  ns.forEach((n, i) => {
    if (n !== i + 1) throw new SyntaxError(`${what}: frame ${i + 1} is numbered n:${n}`);
  });
}

/**
 * Parses the `psnr=stats_file=` log: one line per frame such as
 * `n:1 mse_avg:33.31 mse_y:47.08 mse_u:6.75 mse_v:4.75 psnr_avg:32.91 psnr_y:31.40 psnr_u:39.84 psnr_v:41.36`.
 * Every `key:value` pair except `n` is returned under its own name (mse_y, psnr_y, ...; r/g/b for
 * RGB input, max_* with stats_version=2). `inf` (identical frames) becomes Infinity. ffmpeg prints
 * two decimals. Throws SyntaxError on a malformed line.
 */
export function parsePsnrStats(text: string): Array<Record<string, number>> {
  const frames: Array<Record<string, number>> = [];
  const ns: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (!l || l.startsWith('psnr_log_version:')) continue;
    const rec: Record<string, number> = {};
    let n: number | undefined;
    for (const tok of l.split(/\s+/)) {
      const m = /^([A-Za-z_0-9]+):(\S+)$/.exec(tok);
      if (!m) throw new SyntaxError(`psnr stats: unexpected token ${JSON.stringify(tok)} in ${JSON.stringify(l)}`);
      if (m[1] === 'n') n = parseNumber(m[2], 'psnr stats n');
      else rec[m[1]] = parseNumber(m[2], `psnr stats ${m[1]}`);
    }
    if (n === undefined || rec.psnr_avg === undefined && rec.psnr_y === undefined && rec.psnr_r === undefined) {
      throw new SyntaxError(`psnr stats: line without n/psnr values: ${JSON.stringify(l)}`);
    }
    ns.push(n);
    frames.push(rec);
  }
  checkSequence(ns, 'psnr stats');
  return frames;
}

/**
 * Parses the `ssim=stats_file=` log: `n:1 Y:0.871049 U:0.946124 V:0.957290 All:0.897935 (9.911235)`.
 * Returns `ssim_y`, `ssim_u`, `ssim_v`, `ssim_all` (lower-cased plane names: r/g/b for RGB) and
 * `ssim_db` (the parenthesised All value in dB, Infinity for identical frames).
 */
export function parseSsimStats(text: string): Array<Record<string, number>> {
  const frames: Array<Record<string, number>> = [];
  const ns: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (!l) continue;
    const m = /^n:(\d+)\s+(.*?)\s*(?:\(([^)]*)\))?$/.exec(l);
    if (!m) throw new SyntaxError(`ssim stats: unexpected line ${JSON.stringify(l)}`);
    const rec: Record<string, number> = {};
    for (const tok of m[2].split(/\s+/)) {
      const kv = /^([A-Za-z]+):(\S+)$/.exec(tok);
      if (!kv) throw new SyntaxError(`ssim stats: unexpected token ${JSON.stringify(tok)} in ${JSON.stringify(l)}`);
      rec[`ssim_${kv[1].toLowerCase()}`] = parseNumber(kv[2], `ssim stats ${kv[1]}`);
    }
    if (rec.ssim_all === undefined) throw new SyntaxError(`ssim stats: no All value in ${JSON.stringify(l)}`);
    if (m[3] !== undefined) rec.ssim_db = parseNumber(m[3], 'ssim stats dB');
    ns.push(Number(m[1]));
    frames.push(rec);
  }
  checkSequence(ns, 'ssim stats');
  return frames;
}

/**
 * Parses the `xpsnr=stats_file=` log (ffmpeg 7+): `n:    1  XPSNR y: 37.5012  XPSNR u: 40.1234  XPSNR v: 41.0000`.
 * Returns `xpsnr_y`, `xpsnr_u`, `xpsnr_v` (r/g/b for RGB); `inf` becomes Infinity.
 */
export function parseXpsnrStats(text: string): Array<Record<string, number>> {
  const frames: Array<Record<string, number>> = [];
  const ns: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (!l) continue;
    const m = /^n:\s*(\d+)\s+(.*)$/.exec(l);
    if (!m) {
      // The filter appends nothing else to the file today; tolerate a summary line if one appears.
      if (/^XPSNR average/i.test(l)) continue;
      throw new SyntaxError(`xpsnr stats: unexpected line ${JSON.stringify(l)}`);
    }
    const rec: Record<string, number> = {};
    const re = /XPSNR\s+([A-Za-z])\s*:\s*(\S+)/g;
    let kv: RegExpExecArray | null;
    while ((kv = re.exec(m[2])) !== null) rec[`xpsnr_${kv[1].toLowerCase()}`] = parseNumber(kv[2], 'xpsnr stats');
    if (Object.keys(rec).length === 0) throw new SyntaxError(`xpsnr stats: no values in ${JSON.stringify(l)}`);
    ns.push(Number(m[1]));
    frames.push(rec);
  }
  checkSequence(ns, 'xpsnr stats');
  return frames;
}

/** The libvmaf outputs scenecrf uses, under names independent of the libvmaf version. */
export type LibvmafKey = 'adm2' | 'motion2' | 'vif_scale0' | 'vif_scale1' | 'vif_scale2' | 'vif_scale3' | 'vmaf';
export const LIBVMAF_KEYS: readonly LibvmafKey[] = ['adm2', 'motion2', 'vif_scale0', 'vif_scale1', 'vif_scale2', 'vif_scale3', 'vmaf'];

const libvmafLogSchema = z.object({
  version: z.string().optional(),
  frames: z.array(
    z.object({
      frameNum: z.number().int().nonnegative(),
      metrics: z.record(z.string(), z.number()),
    }),
  ),
});

export interface LibvmafLog {
  /** The log's `version` field (libvmaf v2 writes its git hash or release, e.g. "f85a8536"). */
  version?: string;
  /** One entry per logged frame (every `n_subsample`-th frame when subsampling). */
  frames: Array<{ frameNum: number; metrics: Partial<Record<LibvmafKey, number>> }>;
}

/**
 * Parses libvmaf's JSON log (`log_fmt=json`, the vmaf CLI's `--json`), validated with zod. Maps
 * libvmaf v2's `integer_adm2`, `integer_motion2`, `integer_vif_scale0..3` and v1's `adm2`,
 * `motion2`, `vif_scale0..3` to the canonical keys (the integer_ name wins when both appear), and
 * `vmaf` as is; other metrics in the log are ignored. Accepts the JSON text or an already parsed
 * object. Throws SyntaxError when the JSON does not have that shape.
 */
export function parseLibvmafLog(json: string | unknown): LibvmafLog {
  let raw: unknown = json;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json);
    } catch (e) {
      throw new SyntaxError(`libvmaf log is not JSON: ${(e as Error).message}`);
    }
  }
  const parsed = libvmafLogSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SyntaxError(`libvmaf log has an unexpected shape: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const frames = parsed.data.frames.map((f) => {
    const metrics: Partial<Record<LibvmafKey, number>> = {};
    for (const key of LIBVMAF_KEYS) {
      const v = key === 'vmaf' ? f.metrics.vmaf : (f.metrics[`integer_${key}`] ?? f.metrics[key]);
      if (v !== undefined) metrics[key] = v;
    }
    return { frameNum: f.frameNum, metrics };
  });
  return { version: parsed.data.version, frames };
}

/**
 * Mean of each key over the frames that have it; psnr_* and xpsnr_* values are capped at
 * PSNR_POOL_CAP_DB first (Infinity for identical frames), and `ssim_db` likewise.
 */
export function poolFrameMetrics(frames: ReadonlyArray<Record<string, number>>, capDb = PSNR_POOL_CAP_DB): Record<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const f of frames) {
    for (const [k, v] of Object.entries(f)) {
      const capped = /^(?:x?psnr_|ssim_db$)/.test(k) ? Math.min(v, capDb) : v;
      const s = sums.get(k) ?? { sum: 0, n: 0 };
      s.sum += capped;
      s.n++;
      sums.set(k, s);
    }
  }
  const out: Record<string, number> = {};
  for (const [k, s] of sums) out[k] = s.sum / s.n;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Capabilities
// ---------------------------------------------------------------------------------------------

export type MetricAvailability = { available: true } | { available: false; reason: string };

const FILTER_HINT: Record<FfmpegMetric, string> = {
  psnr: '',
  ssim: '',
  xpsnr: ' (the xpsnr filter arrived in ffmpeg 7.0)',
  libvmaf: ' (it needs an ffmpeg configured with --enable-libvmaf)',
};

/** Whether `backend` can compute `metric` with runFfmpegMetrics, and why not. No process is run. */
export function metricAvailability(backend: FfmpegBackend, metric: FfmpegMetric): MetricAvailability {
  if (backend.kind !== 'native') {
    return { available: false, reason: `the ${metric} metric needs a native ffmpeg with the ${metric} filter; the wasm ffmpeg backend cannot run it` };
  }
  if (!backend.capabilities.filters.has(metric)) {
    return { available: false, reason: `ffmpeg at ${backend.path} has no ${metric} filter${FILTER_HINT[metric]}` };
  }
  return { available: true };
}

/** `metricAvailability(backend, 'libvmaf')`: callers gate VMAF-via-ffmpeg on this. */
export function hasLibvmaf(backend: FfmpegBackend): MetricAvailability {
  return metricAvailability(backend, 'libvmaf');
}

/**
 * Which option syntax the libvmaf filter takes: 'v2' (libvmaf 2.x filter, ffmpeg 5.0+:
 * `model=version=NAME` / `model=path=FILE`) or 'v1' (older: `model_path=FILE`). Read from
 * `ffmpeg -h filter=libvmaf`; cached per executable.
 */
export type LibvmafSyntax = 'v1' | 'v2';
const syntaxCache = new Map<string, Promise<LibvmafSyntax>>();

export function libvmafSyntax(backend: FfmpegBackend): Promise<LibvmafSyntax> {
  const a = hasLibvmaf(backend);
  if (!a.available) return Promise.reject(new UnsupportedError(a.reason));
  let hit = syntaxCache.get(backend.path);
  if (!hit) {
    hit = runTool(backend.path, ['-hide_banner', '-h', 'filter=libvmaf'], { timeoutMs: 20_000 }).then((r) => {
      const syntax = parseLibvmafHelp(r.stdout + r.stderr);
      if (!syntax) throw new UnsupportedError(`ffmpeg at ${backend.path}: cannot tell the libvmaf filter's option syntax from "-h filter=libvmaf"`);
      return syntax;
    });
    hit.catch(() => syntaxCache.delete(backend.path));
    syntaxCache.set(backend.path, hit);
  }
  return hit;
}

/** Pure part of libvmafSyntax: 'v2' when the filter lists a `model` option, 'v1' for `model_path` only. */
export function parseLibvmafHelp(help: string): LibvmafSyntax | undefined {
  if (/^\s*model\s+<string>/m.test(help)) return 'v2';
  if (/^\s*model_path\s+<string>/m.test(help)) return 'v1';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

export interface LibvmafOptions {
  /**
   * A built-in model version name such as "vmaf_v0.6.1" (default), or the path of a model file
   * (anything with a path separator or a .json/.pkl extension is taken as a path).
   */
  model?: string;
  /** libvmaf worker threads (default: the number of CPUs, at most 8). */
  threads?: number;
  /** Score every n-th frame only (libvmaf `n_subsample`); the other frames get no libvmaf keys. */
  subsample?: number;
}

export interface FfmpegMetricsOptions {
  metrics: FfmpegMetric[];
  libvmaf?: LibvmafOptions;
  /** Defaults to `resolveFfmpeg({ backend: 'native' })`. */
  backend?: FfmpegBackend;
  signal?: AbortSignal;
  /** Called as frames pass through the metric filters; `totalFrames` is the probe's estimate. */
  onProgress?: (p: { frame: number; totalFrames?: number }) => void;
}

export interface FfmpegMetricsResult {
  /**
   * One record per frame (index = frame number from 0). Keys by metric:
   * psnr: psnr_y, psnr_u, psnr_v, psnr_avg, mse_y, mse_u, mse_v, mse_avg (Infinity dB when identical);
   * ssim: ssim_y, ssim_u, ssim_v, ssim_all, ssim_db; xpsnr: xpsnr_y, xpsnr_u, xpsnr_v;
   * libvmaf: adm2, motion2, vif_scale0..3, vmaf (only on scored frames when subsampling).
   */
  frames: Array<Record<string, number>>;
  /** Per-key means over the frames (PSNR-like values capped at PSNR_POOL_CAP_DB first). */
  pooled: Record<string, number>;
  /** Frames in each input (equal, or the run would have thrown). */
  frameCount: number;
  /** 'ffmpeg-libvmaf' when libvmaf was among the metrics, else 'ffmpeg-filters'. */
  backend: 'ffmpeg-libvmaf' | 'ffmpeg-filters';
  /** e.g. "5.1.9-0+deb12u1" (from `ffmpeg -version`). */
  ffmpegVersion: string;
  /** The libvmaf log's version field, when libvmaf ran. */
  libvmafVersion?: string;
  libvmafSyntax?: LibvmafSyntax;
  /** Size both inputs were compared at (the reference's). */
  width: number;
  height: number;
  /** True when the distorted was scaled (bicubic) to the reference size. */
  scaledDistorted: boolean;
  pixFmt: 'yuv420p' | 'yuv420p10le';
}

const STATS_FILE: Record<Exclude<FfmpegMetric, 'libvmaf'>, string> = { psnr: 'psnr.log', ssim: 'ssim.log', xpsnr: 'xpsnr.log' };
const VMAF_LOG = 'vmaf.json';
const STDERR_KEEP = 64 * 1024;

const optionsSchema = z.object({
  metrics: z.array(z.enum(['psnr', 'ssim', 'xpsnr', 'libvmaf'])).min(1),
  libvmaf: z
    .object({
      model: z.string().min(1).optional(),
      threads: z.number().int().min(1).max(256).optional(),
      subsample: z.number().int().min(1).optional(),
    })
    .strict()
    .optional(),
});

function isModelPath(model: string): boolean {
  return /[\\/]/.test(model) || /\.(?:json|pkl)$/i.test(model);
}

export function ffmpegVersionOf(backend: FfmpegBackend): string {
  return /ffmpeg version (\S+)/.exec(backend.version)?.[1] ?? backend.version;
}

/** Options of this ffmpeg build that changed across releases (read from `ffmpeg -h long`). */
export interface FfmpegCliFeatures {
  /** `-fps_mode` (ffmpeg 5.1+); otherwise `-vsync`. */
  fpsMode: boolean;
  /** `-stats_period` (ffmpeg 4.4+). */
  statsPeriod: boolean;
}
const cliCache = new Map<string, Promise<FfmpegCliFeatures>>();

export function ffmpegCliFeatures(backend: FfmpegBackend): Promise<FfmpegCliFeatures> {
  let hit = cliCache.get(backend.path);
  if (!hit) {
    hit = runTool(backend.path, ['-hide_banner', '-h', 'long'], { timeoutMs: 20_000 }).then((r) => {
      const help = r.stdout + r.stderr;
      return { fpsMode: /^-fps_mode\b/m.test(help), statsPeriod: /^-stats_period\b/m.test(help) };
    });
    hit.catch(() => cliCache.delete(backend.path));
    cliCache.set(backend.path, hit);
  }
  return hit;
}

function passthroughArgs(cli: FfmpegCliFeatures): string[] {
  return cli.fpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}

/** ffmpeg's verbose end report: frames decoded per input file (first video stream). */
export function parseDecodedFrameCounts(stderr: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of withoutLevelTags(stderr).matchAll(/Input stream #(\d+):\d+ \(video\):[^\n]*?(\d+) frames decoded/g)) {
    const file = Number(m[1]);
    if (!out.has(file)) out.set(file, Number(m[2]));
  }
  return out;
}

/** Exact decoded-frame count of one file (fallback when the end report is missing). */
async function countDecodedFrames(backend: FfmpegBackend, input: string, signal?: AbortSignal): Promise<number> {
  const r = await runTool(backend.path, ['-hide_banner', '-nostdin', '-i', `file:${input}`, '-map', '0:V:0', ...passthroughArgs(await ffmpegCliFeatures(backend)), '-f', 'null', '-'], {
    signal,
    timeoutMs: 3_600_000,
  });
  if (r.exitCode !== 0) throw inputErrorFromStderr(r.stderr, input) ?? new CorruptInputError(input, ffmpegErrorDetail(r.stderr));
  return parseFinalProgress(r.stderr)?.frame ?? 0;
}

interface ModelChoice {
  /** Filter options for the model (without a leading ':'), or '' for the filter's default. */
  option: string;
  /** What to name in a ModelInvalidError. */
  label: string;
}

async function prepareModel(model: string, syntax: LibvmafSyntax, tmp: string): Promise<ModelChoice> {
  if (!isModelPath(model)) {
    if (!/^[A-Za-z0-9_.\-]+$/.test(model)) throw new InvalidOptionsError('libvmaf options', `model version name ${JSON.stringify(model)} has unexpected characters`);
    if (syntax === 'v2') return { option: `model=version=${model}`, label: model };
    // The v1 filter has no built-in models by name: its default model_path is vmaf_v0.6.1.
    if (model === 'vmaf_v0.6.1') return { option: '', label: model };
    throw new UnsupportedError(`the libvmaf filter of this ffmpeg is the old (libvmaf 1.x) one: it loads models by path only, so pass a model file instead of ${JSON.stringify(model)}`);
  }
  const src = path.resolve(model);
  let text: string;
  try {
    const s = await stat(src);
    if (!s.isFile()) throw new ModelInvalidError(src, 'not a regular file');
    text = await readFile(src, 'utf8');
  } catch (e) {
    if (e instanceof ModelInvalidError) throw e;
    throw new ModelInvalidError(src, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message, { cause: e });
  }
  const ext = path.extname(src).toLowerCase() === '.pkl' ? '.pkl' : '.json';
  if (ext === '.json') {
    try {
      JSON.parse(text);
    } catch (e) {
      throw new ModelInvalidError(src, `not JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  if (ext === '.pkl' && syntax === 'v2') throw new ModelInvalidError(src, 'libvmaf 2.x loads JSON models; .pkl models are for libvmaf 1.x');
  const local = `model${ext}`;
  await copyFile(src, path.join(tmp, local));
  // A libvmaf 1.x .pkl model comes with a "<name>.pkl.model" companion.
  if (ext === '.pkl') await copyFile(`${src}.model`, path.join(tmp, `${local}.model`)).catch(() => undefined);
  return { option: syntax === 'v2' ? `model=path=${local}` : `model_path=${local}`, label: src };
}

/**
 * Compares `distorted` against `reference` with ffmpeg's metric filters in one ffmpeg run and
 * returns per-frame values. Native ffmpeg only (UnsupportedError for the wasm backend or a missing
 * filter). Typed errors: InputNotFoundError / EmptyInputError / NotAVideoError / CorruptInputError
 * for a bad input, FrameCountMismatchError when the inputs decode to different frame counts,
 * ModelInvalidError for an unusable libvmaf model, AbortError on `signal`, FfmpegError otherwise.
 */
export async function runFfmpegMetrics(reference: string, distorted: string, options: FfmpegMetricsOptions): Promise<FfmpegMetricsResult> {
  const parsed = optionsSchema.safeParse({ metrics: options.metrics, libvmaf: options.libvmaf });
  if (!parsed.success) {
    throw new InvalidOptionsError('ffmpeg metrics options', describeIssues(parsed.error.issues));
  }
  const metrics = [...new Set(parsed.data.metrics)] as FfmpegMetric[];
  const { signal, onProgress } = options;
  if (signal?.aborted) throw new AbortError(signal.reason);
  const backend = options.backend ?? (await resolveFfmpeg({ backend: 'native' }));
  for (const m of metrics) {
    const a = metricAvailability(backend, m);
    if (!a.available) throw new UnsupportedError(a.reason);
  }
  const refPath = path.resolve(reference);
  const distPath = path.resolve(distorted);
  const [refInfo, distInfo] = await Promise.all([probeVideo(refPath, backend, signal), probeVideo(distPath, backend, signal)]);
  assertSameOrientation(refInfo, distInfo);
  const syntax = metrics.includes('libvmaf') ? await libvmafSyntax(backend) : undefined;

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-metrics-'));
  try {
    return await runInTemp(tmp, backend, refPath, distPath, refInfo, distInfo, metrics, parsed.data.libvmaf ?? {}, syntax, signal, onProgress);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function runInTemp(
  tmp: string,
  backend: FfmpegBackend,
  refPath: string,
  distPath: string,
  refInfo: VideoInfo,
  distInfo: VideoInfo,
  metrics: FfmpegMetric[],
  vmafOpts: LibvmafOptions,
  syntax: LibvmafSyntax | undefined,
  signal: AbortSignal | undefined,
  onProgress: FfmpegMetricsOptions['onProgress'],
): Promise<FfmpegMetricsResult> {
  const { width, height } = refInfo;
  const pixFmt = refInfo.bitDepth > 8 ? 'yuv420p10le' : 'yuv420p';
  const scaled = distInfo.width !== width || distInfo.height !== height;
  // Index timestamps: frame i of one input meets frame i of the other in every framesync filter.
  const retime = 'settb=1/30,setpts=N';
  const k = metrics.length;
  const graph: string[] = [];
  graph.push(`[0:V:0]format=${pixFmt},${retime}${k > 1 ? `,split=${k}${metrics.map((_, i) => `[r${i}]`).join('')}` : '[r0]'}`);
  graph.push(`[1:V:0]${scaled ? `scale=${width}:${height}:flags=bicubic,` : ''}format=${pixFmt},${retime}[m0]`);

  const cli = await ffmpegCliFeatures(backend);
  const model = metrics.includes('libvmaf') ? await prepareModel(vmafOpts.model ?? 'vmaf_v0.6.1', syntax!, tmp) : undefined;
  metrics.forEach((m, i) => {
    let filter: string;
    if (m === 'libvmaf') {
      const parts: string[] = [];
      if (model?.option) parts.push(model.option);
      parts.push(`n_threads=${vmafOpts.threads ?? Math.min(8, os.availableParallelism())}`);
      if (vmafOpts.subsample !== undefined) parts.push(`n_subsample=${vmafOpts.subsample}`);
      parts.push('log_fmt=json', `log_path=${VMAF_LOG}`);
      filter = `libvmaf=${parts.join(':')}`;
    } else {
      filter = `${m}=stats_file=${STATS_FILE[m]}`;
    }
    // Distorted ("main") first, reference second.
    graph.push(`[m${i}][r${i}]${filter}[m${i + 1}]`);
  });

  const args = [
    '-hide_banner', '-nostdin', '-nostats',
    // Verbose for the end report's per-input "frames decoded" counts; level tags mark errors.
    '-loglevel', 'level+verbose',
    '-progress', 'pipe:2',
    // -stats_period arrived in ffmpeg 4.4 (default period 0.5 s).
    ...(cli.statsPeriod ? ['-stats_period', '0.25'] : []),
    '-i', `file:${refPath}`,
    '-i', `file:${distPath}`,
    '-filter_complex', graph.join(';'),
    '-map', `[m${k}]`,
    // No frame dropping or duplication at the output (-fps_mode replaced -vsync in ffmpeg 5.1).
    ...passthroughArgs(cli),
    '-f', 'null', '-',
  ];
  if (signal?.aborted) throw new AbortError(signal.reason);
  announceCommand({ file: backend.path, args, cwd: tmp });
  const child = execa(backend.path, args, {
    cwd: tmp,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cancelSignal: signal,
  });
  let head = '';
  let tail = '';
  let partial = '';
  // Only libvmaf 1.x writes here (its messages go to stdout); -f null writes nothing.
  let stdoutTail = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdoutTail = (stdoutTail + d.toString('utf8')).slice(-STDERR_KEEP);
  });
  const totalFrames = refInfo.frameCount > 0 ? refInfo.frameCount : undefined;
  child.stderr?.on('data', (d: Buffer) => {
    const text = d.toString('utf8');
    if (head.length < STDERR_KEEP) head += text;
    tail = (tail + text).slice(-STDERR_KEEP);
    if (!onProgress) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^frame=(\d+)\s*$/.exec(line);
      if (m) {
        try {
          onProgress({ frame: Number(m[1]), totalFrames });
        } catch {
          // A throwing callback must not break the run.
        }
      }
    }
  });
  const result = await child;
  if (result.isCanceled || signal?.aborted) throw new AbortError(signal?.reason);
  const stderr = head.length < STDERR_KEEP ? head : `${head}\n${tail}`;
  if (result.exitCode !== 0) throw runFailure(args, result.exitCode, `${stderr}\n${stdoutTail}`, refPath, distPath, model);

  // Exact frame counts of both inputs (see the header comment for why both are fully decoded).
  const counts = parseDecodedFrameCounts(tail);
  let refFrames = counts.get(0);
  let distFrames = counts.get(1);
  if (refFrames === undefined || distFrames === undefined) {
    [refFrames, distFrames] = await Promise.all([
      refFrames ?? countDecodedFrames(backend, refPath, signal),
      distFrames ?? countDecodedFrames(backend, distPath, signal),
    ]);
  }
  if (refFrames !== distFrames) throw new FrameCountMismatchError(refFrames, distFrames);
  if (refFrames === 0) throw new CorruptInputError(refPath, 'no frame could be decoded');

  const frames: Array<Record<string, number>> = Array.from({ length: refFrames }, () => ({}));
  let libvmafVersion: string | undefined;
  const unparseable = (what: string, e: unknown) => new FfmpegError(args, result.exitCode, `could not use the ${what} output: ${(e as Error).message}`);
  for (const m of metrics) {
    if (m === 'libvmaf') {
      let log: LibvmafLog;
      try {
        log = parseLibvmafLog(await readFile(path.join(tmp, VMAF_LOG), 'utf8'));
      } catch (e) {
        throw unparseable('libvmaf', e);
      }
      libvmafVersion = log.version;
      for (const f of log.frames) {
        if (f.frameNum >= refFrames) throw unparseable('libvmaf', new Error(`frame ${f.frameNum} beyond the ${refFrames} decoded frames`));
        Object.assign(frames[f.frameNum], f.metrics);
      }
      if (!vmafOpts.subsample || vmafOpts.subsample === 1) {
        if (log.frames.length !== refFrames) throw unparseable('libvmaf', new Error(`${log.frames.length} frames logged for ${refFrames} decoded`));
      }
      continue;
    }
    let perFrame: Array<Record<string, number>>;
    try {
      const text = await readFile(path.join(tmp, STATS_FILE[m]), 'utf8');
      perFrame = m === 'psnr' ? parsePsnrStats(text) : m === 'ssim' ? parseSsimStats(text) : parseXpsnrStats(text);
    } catch (e) {
      throw unparseable(m, e);
    }
    if (perFrame.length !== refFrames) throw unparseable(m, new Error(`${perFrame.length} frames logged for ${refFrames} decoded`));
    perFrame.forEach((rec, i) => Object.assign(frames[i], rec));
  }
  onProgress?.({ frame: refFrames, totalFrames: refFrames });
  return {
    frames,
    pooled: poolFrameMetrics(frames),
    frameCount: refFrames,
    backend: metrics.includes('libvmaf') ? 'ffmpeg-libvmaf' : 'ffmpeg-filters',
    ffmpegVersion: ffmpegVersionOf(backend),
    ...(libvmafVersion !== undefined ? { libvmafVersion } : {}),
    ...(syntax ? { libvmafSyntax: syntax } : {}),
    width,
    height,
    scaledDistorted: scaled,
    pixFmt,
  };
}

/** Maps a failed run to the typed error of the input (or model) it points at. */
function runFailure(
  args: string[],
  exitCode: number | undefined,
  stderr: string,
  refPath: string,
  distPath: string,
  model: ModelChoice | undefined,
): ScenecrfError {
  const problems = problemLines(stderr).join('\n');
  // libvmaf 2.x logs "could not load libvmaf model ..." through ffmpeg; libvmaf 1.x prints
  // "Input model at X cannot be read successfully" / "Error loading model" without a level tag.
  const modelProblem = /could not (?:load|parse) (?:libvmaf )?model[^\n]*|problem loading model[^\n]*|Input model at [^\n]*|Error loading model[^\n]*/i.exec(withoutLevelTags(stderr));
  if (model && modelProblem) return new ModelInvalidError(model.label, modelProblem[0].trim().slice(0, 300));
  // Errors that name a file name it as "file:<path>: ..."; decoder errors name neither.
  const about = (p: string) => problems.split('\n').filter((l) => l.includes(p)).join('\n');
  for (const p of [distPath, refPath]) {
    const lines = about(p);
    if (lines) {
      const typed = inputErrorFromStderr(lines, p);
      if (typed) return typed;
    }
  }
  return new FfmpegError(args, exitCode, problems || withoutLevelTags(stderr).slice(-2000));
}
