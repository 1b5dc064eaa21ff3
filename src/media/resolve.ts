import { access, constants, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FfmpegNotFoundError } from '../errors.js';
import { parseCodecList, parseFilterList } from './ffmpeg-info.js';
import { runTool } from './process.js';
import { nativeMedia } from './native/backend.js';
import type { FfmpegBackend, FfmpegSource, MediaBackend } from './types.js';

export interface ResolveFfmpegOptions {
  /** Explicit ffmpeg executable; wins over everything else. */
  ffmpegPath?: string;
  /** 'auto' walks the whole chain; 'native' stops before wasm; 'wasm' forces the wasm core. */
  backend?: 'auto' | 'native' | 'wasm';
  /** Defaults to process.env; injectable for tests. */
  env?: NodeJS.ProcessEnv;
}

interface Candidate {
  source: FfmpegSource;
  path: string;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const s = await stat(p);
    if (!s.isFile()) return false;
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      if (await isExecutable(p)) return p;
    }
  }
  return undefined;
}

/** ffmpeg-static exports the binary path, or null on platforms it has no build for; its install
 * script downloads the binary, which fails offline, so the path may point at nothing. */
function ffmpegStaticPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const p: unknown = require('ffmpeg-static');
    return typeof p === 'string' ? p : undefined;
  } catch {
    return undefined;
  }
}

async function candidates(opts: ResolveFfmpegOptions): Promise<{ list: Candidate[]; rejected: string[] }> {
  const env = opts.env ?? process.env;
  const list: Candidate[] = [];
  const rejected: string[] = [];
  if (opts.ffmpegPath !== undefined) {
    // An explicit choice that is broken is an error, not a reason to silently use another ffmpeg.
    if (!(await isExecutable(opts.ffmpegPath))) {
      throw new FfmpegNotFoundError(`the ffmpegPath option ${JSON.stringify(opts.ffmpegPath)} is not an executable file`);
    }
    return { list: [{ source: 'option', path: opts.ffmpegPath }], rejected };
  }
  if (env.FFMPEG_PATH) {
    if (!(await isExecutable(env.FFMPEG_PATH))) {
      throw new FfmpegNotFoundError(`FFMPEG_PATH=${JSON.stringify(env.FFMPEG_PATH)} is not an executable file`);
    }
    return { list: [{ source: 'env', path: env.FFMPEG_PATH }], rejected };
  }
  const fromStatic = ffmpegStaticPath();
  if (fromStatic && (await isExecutable(fromStatic))) list.push({ source: 'ffmpeg-static', path: fromStatic });
  else rejected.push(fromStatic ? `ffmpeg-static binary missing at ${fromStatic}` : 'ffmpeg-static not installed');
  const onPath = await findOnPath('ffmpeg', env);
  if (onPath) list.push({ source: 'path', path: onPath });
  else rejected.push('no ffmpeg on PATH');
  return { list, rejected };
}

/**
 * Why the output of `<program> -hide_banner -version` is not an ffmpeg's, or undefined when it is
 * ("ffmpeg version …" on its first line, whatever the build). Another program given as ffmpeg
 * (`/bin/true`, a wrapper that prints nothing) would otherwise be accepted and every input it
 * "probes" reported as corrupt.
 */
export function notFfmpegReason(versionStdout: string): string | undefined {
  const first = versionStdout.split('\n').find((l) => l.trim() !== '')?.trim();
  if (first === undefined) return '`-version` printed nothing';
  if (!/^ffmpeg version /.test(first)) return `\`-version\` printed ${JSON.stringify(first.slice(0, 80))}, not "ffmpeg version …"`;
  return undefined;
}

/** Thrown by describeNative: the message is a predicate of the program's path ("… is not an ffmpeg: …"). */
class NotNativeFfmpeg extends Error {}

async function describeNative(c: Candidate, env: NodeJS.ProcessEnv): Promise<FfmpegBackend> {
  let version;
  try {
    version = await runTool(c.path, ['-hide_banner', '-version'], { timeoutMs: 20_000 });
  } catch (e) {
    throw new NotNativeFfmpeg(`does not run: ${(e as Error).message}`);
  }
  if (version.exitCode !== 0) throw new NotNativeFfmpeg(`does not run: ${c.path} -version exited ${version.exitCode}`);
  const notFfmpeg = notFfmpegReason(version.stdout);
  if (notFfmpeg) throw new NotNativeFfmpeg(`is not an ffmpeg: ${notFfmpeg}`);
  const [encoders, filters] = await Promise.all([
    runTool(c.path, ['-hide_banner', '-encoders'], { timeoutMs: 20_000 }),
    runTool(c.path, ['-hide_banner', '-filters'], { timeoutMs: 20_000 }),
  ]);
  // ffprobe gives exact stream facts cheaply; prefer the one shipped beside this ffmpeg.
  const sibling = path.join(path.dirname(c.path), process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe');
  const ffprobePath = (await isExecutable(sibling)) ? sibling : await findOnPath('ffprobe', env);
  return {
    source: c.source,
    kind: 'native',
    path: c.path,
    ffprobePath,
    version: version.stdout.split('\n')[0]?.trim() ?? 'unknown',
    capabilities: { encoders: parseCodecList(encoders.stdout), filters: parseFilterList(filters.stdout) },
  };
}

const cache = new Map<string, Promise<FfmpegBackend>>();

/**
 * Finds an ffmpeg in the documented order: explicit option, FFMPEG_PATH, ffmpeg-static, `ffmpeg`
 * on PATH, then the bundled @ffmpeg/core wasm build. The result says which one was chosen and
 * what it can do. Results are cached per option set because probing capabilities spawns ffmpeg.
 */
export function resolveFfmpeg(opts: ResolveFfmpegOptions = {}): Promise<FfmpegBackend> {
  const env = opts.env ?? process.env;
  const key = JSON.stringify([opts.ffmpegPath, opts.backend ?? 'auto', env.FFMPEG_PATH, env.PATH]);
  let hit = cache.get(key);
  if (!hit) {
    hit = resolveUncached(opts, env);
    hit.catch(() => cache.delete(key));
    cache.set(key, hit);
  }
  return hit;
}

async function resolveUncached(opts: ResolveFfmpegOptions, env: NodeJS.ProcessEnv): Promise<FfmpegBackend> {
  const mode = opts.backend ?? 'auto';
  if (mode === 'wasm') return (await loadWasm()).createWasmBackend();
  const { list, rejected } = await candidates({ ...opts, env });
  for (const c of list) {
    try {
      return await describeNative(c, env);
    } catch (e) {
      const why = e instanceof NotNativeFfmpeg ? e.message : `does not run: ${(e as Error).message}`;
      if (c.source === 'option' || c.source === 'env') {
        throw new FfmpegNotFoundError(`${c.source === 'option' ? 'ffmpegPath option' : 'FFMPEG_PATH'} ${c.path} ${why}`);
      }
      rejected.push(`${c.source} ${c.path} ${why}`);
    }
  }
  if (mode === 'native') throw new FfmpegNotFoundError(rejected.join('; '));
  try {
    return await (await loadWasm()).createWasmBackend();
  } catch (e) {
    rejected.push(`wasm core: ${(e as Error).message}`);
    throw new FfmpegNotFoundError(rejected.join('; '));
  }
}

/**
 * The one place the wasm backend is loaded: lazily, because it pulls in @ffmpeg/core, which most
 * runs (with a native ffmpeg) never need.
 */
function loadWasm(): Promise<typeof import('./wasm/backend.js')> {
  return import('./wasm/backend.js');
}

/** The probe and decode operations of a resolved backend. */
export async function mediaBackend(backend: FfmpegBackend): Promise<MediaBackend> {
  return backend.kind === 'wasm' ? (await loadWasm()).wasmMedia : nativeMedia(backend);
}
