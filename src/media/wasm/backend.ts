/**
 * The WebAssembly fallback backend (see media/wasm/core.ts for how @ffmpeg/core runs in Node):
 * its description for the resolver and its media operations. Loaded lazily, by media/resolve.ts only.
 */
import { FfmpegNotFoundError } from '../../errors.js';
import { ffmpegErrorDetail, parseCodecList, parseFilterList } from '../ffmpeg-info.js';
import { analysisSize } from '../frame-format.js';
import type { FfmpegBackend, MediaBackend } from '../types.js';
import { errorMessage, loadWasmCore, startJob } from './core.js';
import { decodeFramesWasm } from './decode.js';
import { probeWasm } from './probe.js';
import { onceUntilFailure } from '../../util/once.js';
import type { CommandResult } from './worker.js';

/** The wasm backend, with version and capabilities read from the core itself (cached per process). */
export const createWasmBackend: () => Promise<FfmpegBackend> = onceUntilFailure(() => describeBackend());

/**
 * Encoders that @ffmpeg/core 0.12.10 lists but that crash the instance ("RuntimeError: memory
 * access out of bounds", upstream ffmpegwasm/ffmpeg.wasm#679): libvpx-vp9 fails after a few frames
 * even with -threads 1. They are left out of the capabilities so nothing selects them.
 */
const BROKEN_WASM_ENCODERS: readonly string[] = ['libvpx-vp9'];

function withoutBrokenEncoders(encoders: Set<string>): Set<string> {
  for (const name of BROKEN_WASM_ENCODERS) encoders.delete(name);
  return encoders;
}

async function describeBackend(): Promise<FfmpegBackend> {
  const core = await loadWasmCore();
  let results: CommandResult[];
  try {
    results = await startJob(
      core,
      undefined,
      [{ args: ['-version'] }, { args: ['-hide_banner', '-encoders'] }, { args: ['-hide_banner', '-filters'] }],
      { timeoutMs: 60_000 },
    ).done;
  } catch (err) {
    throw new FfmpegNotFoundError(`@ffmpeg/core at ${core.corePath} failed to start (${errorMessage(err)})`);
  }
  const [version, encoders, filters] = results;
  const versionLine = `${version.stdout}\n${version.stderr}`.split('\n').find((l) => l.startsWith('ffmpeg version'));
  if (!versionLine) {
    throw new FfmpegNotFoundError(`@ffmpeg/core at ${core.corePath} did not report a version (${ffmpegErrorDetail(version.stderr)})`);
  }
  return {
    source: 'wasm',
    kind: 'wasm',
    path: core.corePath,
    version: versionLine.trim(),
    capabilities: {
      encoders: withoutBrokenEncoders(parseCodecList(`${encoders.stdout}\n${encoders.stderr}`)),
      filters: parseFilterList(`${filters.stdout}\n${filters.stderr}`),
    },
  };
}

/**
 * Media operations with the wasm ffmpeg. Probes estimate the frame count from the duration instead
 * of decoding the whole input (the analysis decodes every frame anyway; counting them here would
 * decode twice).
 */
export const wasmMedia: MediaBackend = {
  probe: (path, signal) => probeWasm(path, { signal, countFrames: false }),
  async settleGeometry(path, opts) {
    if (opts.height !== undefined && opts.bitDepth !== 'auto') return { options: opts };
    // The wasm decoder cannot report a negotiated geometry: decide it from a probe.
    const probed = await probeWasm(path, { signal: opts.signal, countFrames: false });
    let { width, height, bitDepth } = opts;
    if (height === undefined) ({ width, height } = analysisSize(probed.width, probed.height, opts.width));
    if (bitDepth === 'auto') bitDepth = probed.bitDepth > 8 ? 10 : 8;
    return { options: { ...opts, width, height, bitDepth }, probed };
  },
  decodeFrames(path, opts) {
    const { height, bitDepth } = opts;
    // settleGeometry fills both in; frameLayout rejects what is still open.
    return decodeFramesWasm(path, { ...opts, height: height!, bitDepth: bitDepth as 8 | 10 });
  },
};
