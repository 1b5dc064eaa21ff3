import { assertReadableFile, assertVideoContainer } from './input-checks.js';
import { mediaBackend } from './resolve.js';
import type { FfmpegBackend, VideoInfo } from './types.js';

/**
 * Reads the facts of the first video stream with whichever backend was resolved (native: ffprobe,
 * or ffmpeg's banner and a packet count; wasm: the banner, frames estimated from the duration, as
 * the analysis decodes every frame anyway). Variable frame rate is reported, not corrected:
 * analysis indexes decoded frames.
 */
export async function probeVideo(input: string, backend: FfmpegBackend, signal?: AbortSignal): Promise<VideoInfo> {
  await assertReadableFile(input);
  const info = await (await mediaBackend(backend)).probe(input, signal);
  assertVideoContainer(info, input);
  return info;
}
