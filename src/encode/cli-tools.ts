import path from 'node:path';
import { UnsupportedError } from '../errors.js';
import { runTool } from '../media/process.js';
import type { EncoderName } from '../core/encoders.js';
import type { ChunkEncodeSettings, OptionValue } from './encoders.js';

/**
 * The standalone encoder programs, as an alternative to ffmpeg's built-in libraries: ffmpeg still
 * decodes and cuts each chunk and pipes it as Y4M into `SvtAv1EncApp`, `aomenc` or `vpxenc`,
 * which write the IVF chunk (Debian: `svt-av1`, `aom-tools`, `vpx-tools`).
 *
 * Plan options become `--key=value` arguments of the program (SvtAv1EncApp: `--key value`), so
 * with these tools they use the program's own option names (e.g. `aq-mode`, `tune`,
 * `enable-qm`).
 */
export interface EncoderTool {
  encoder: EncoderName;
  program: string;
  install: string;
  /** Arguments that read Y4M from stdin and write IVF to `out`. */
  args(s: ChunkEncodeSettings, out: string): string[];
  /** Parses `--version`/`--help` output for the library version. */
  version(text: string): string | undefined;
  versionArgs: string[];
}

const text = (v: OptionValue) => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v));

export const ENCODER_TOOLS: Record<EncoderName, EncoderTool> = {
  'svt-av1': {
    encoder: 'svt-av1',
    program: 'SvtAv1EncApp',
    install: 'SVT-AV1 (Debian/Ubuntu: apt install svt-av1)',
    args: (s, out) => [
      '-i', 'stdin',
      '--preset', String(s.preset), '--crf', String(s.crf), '--keyint', String(s.keyint), '--lp', String(s.threads),
      ...Object.entries(s.options).flatMap(([k, v]) => [`--${k}`, text(v)]),
      '-b', out,
    ],
    versionArgs: ['--version'],
    version: (t) => /(v\d[\w.\-]*)/.exec(t)?.[1]?.replace(/^/, 'SVT-AV1 '),
  },
  aom: {
    encoder: 'aom',
    program: 'aomenc',
    install: 'libaom tools (Debian/Ubuntu: apt install aom-tools)',
    args: (s, out) => [
      '--passes=1', '--good', '--end-usage=q', `--cq-level=${s.crf}`, `--cpu-used=${s.preset}`, `--threads=${s.threads}`, '--row-mt=1',
      `--kf-max-dist=${s.keyint}`, ...(s.bitDepth === 10 ? ['--bit-depth=10', '--input-bit-depth=10'] : []),
      ...Object.entries(s.options).map(([k, v]) => `--${k}=${text(v)}`),
      '-q', '--ivf', '-o', out, '-',
    ],
    versionArgs: ['--help'],
    version: (t) => /AOMedia Project AV1 Encoder (v?\d[\w.\-]*)/.exec(t)?.[1]?.replace(/^v?/, 'libaom v'),
  },
  vp9: {
    encoder: 'vp9',
    program: 'vpxenc',
    install: 'libvpx tools (Debian/Ubuntu: apt install vpx-tools)',
    args: (s, out) => [
      '--codec=vp9', '--passes=1', '--good', '--end-usage=q', `--cq-level=${s.crf}`, `--cpu-used=${s.preset}`, `--threads=${s.threads}`, '--row-mt=1',
      `--kf-max-dist=${s.keyint}`, ...(s.bitDepth === 10 ? ['--profile=2', '--bit-depth=10', '--input-bit-depth=10'] : []),
      ...Object.entries(s.options).map(([k, v]) => `--${k}=${text(v)}`),
      '-q', '--ivf', '-o', out, '-',
    ],
    versionArgs: ['--help'],
    version: (t) => /WebM Project VP9 Encoder (v?\d[\w.\-]*)/.exec(t)?.[1]?.replace(/^v?/, 'libvpx v'),
  },
};

async function onPath(name: string): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Finds the program for `encoder` on PATH (or at `explicit`) and reads its version. */
export async function resolveEncoderTool(encoder: EncoderName, explicit?: string): Promise<{ tool: EncoderTool; path: string; version: string }> {
  const tool = ENCODER_TOOLS[encoder];
  const p = explicit ?? (await onPath(tool.program));
  if (!p) throw new UnsupportedError(`${tool.program} (for ${encoder}) is not on PATH; install ${tool.install}, or encode through ffmpeg`);
  let version: string | undefined;
  try {
    const r = await runTool(p, tool.versionArgs, { timeoutMs: 20_000 });
    version = tool.version(`${r.stdout}\n${r.stderr}`);
  } catch (e) {
    throw new UnsupportedError(`${p} does not run: ${(e as Error).message}`);
  }
  return { tool, path: p, version: version ?? tool.program };
}
