import { availableParallelism } from 'node:os';
import { mediaBackend } from './resolve.js';
import type { DecodeDiagnostics, FfmpegBackend, Frame, FrameStreamOptions } from './types.js';

/**
 * Decoder threads for a streaming analysis: more frames in flight than ffmpeg's default (cores + 1),
 * up to 8. The downscale and the pipe write run on ffmpeg's main thread, in series with handing
 * packets to the decoder; with only cores + 1 frame threads the decoder idles while they run. On
 * 2 vCPUs, 6 threads analysed the 1080p corpus video 5–7% faster (bench/RESULTS.md, issue 2).
 * Frame threading does not change the decoded pictures. Each extra thread holds one more frame.
 */
export function analysisDecoderThreads(cores = availableParallelism()): number {
  return Math.max(cores + 1, Math.min(8, 3 * cores));
}

/**
 * Streams the decoded frames of the input's first video stream at the requested geometry, with
 * whichever backend was resolved. Memory stays at a few frames however long the input is;
 * breaking out of the loop or aborting stops the decoder.
 */
export async function* decodeFrames(
  input: string,
  backend: FfmpegBackend,
  opts: FrameStreamOptions,
  /**
   * Receives decoder error lines that did not stop decoding (damaged but readable input) and, for
   * native ffmpeg, the input description from its banner (so callers need not run a probe).
   */
  diagnostics?: DecodeDiagnostics,
): AsyncGenerator<Frame> {
  const media = await mediaBackend(backend);
  const { options } = await media.settleGeometry(input, opts);
  yield* media.decodeFrames(input, options, diagnostics);
}
