import { AbortError, CorruptInputError } from '../errors.js';
import { ffmpegErrorDetail, type ParsedInputInfo } from './ffmpeg-info.js';
import { assertReadableFile, assertVideoContainer, timestampsVary, truncation, videoInfoFromBanner } from './input-checks.js';
import { probeVideo } from './probe.js';
import { mediaBackend } from './resolve.js';
import type { DecodeDiagnostics, FfmpegBackend, Frame, FrameStreamOptions, VideoInfo } from './types.js';

/** One pass over every frame of an input, with its facts checked at the end. */
export interface VideoReading {
  /** The input's facts as known so far (before the first frame only when the backend probed). */
  readonly video: VideoInfo | undefined;
  /** The decoded frames; a decode failure is thrown as the error a probe names (not a video, …). */
  frames(): AsyncGenerator<Frame>;
  /**
   * After the last frame: the input's facts (frame count as the container states it), checked —
   * not a video, truncated or damaged (CorruptInputError), variable rate found in the timestamps —
   * and the decoder's complaints that did not stop it.
   */
  finish(): Promise<{ video: VideoInfo; warnings: string[] }>;
}

/** The banner's description, or undefined when it lacks what a VideoInfo needs. */
function bannerInfo(info: ParsedInputInfo, input: string): VideoInfo | undefined {
  try {
    return videoInfoFromBanner(info, input);
  } catch {
    return undefined;
  }
}

/**
 * Opens an input for a full decode (the analysis). A backend that must settle the geometry first
 * probes now; native ffmpeg describes the input in its own banner and negotiates the geometry, so
 * no probe process runs up front (each ffmpeg/ffprobe start costs ~0.2 s of CPU that the decoder
 * would otherwise have), and the container's exact frame count is read only when the decode looks
 * damaged or short.
 */
export async function readVideo(input: string, backend: FfmpegBackend, opts: FrameStreamOptions): Promise<VideoReading> {
  const { signal } = opts;
  const media = await mediaBackend(backend);
  // The cheap path checks come first, whatever the backend.
  await assertReadableFile(input);
  const { options, probed } = await media.settleGeometry(input, opts);
  if (probed) assertVideoContainer(probed, input);
  let video = probed;
  // Native: the decoder's banner description, read once when the first frame arrives.
  let banner: VideoInfo | undefined;
  let decoded = 0;
  const diagnostics: DecodeDiagnostics = { warnings: [] };
  return {
    get video() {
      return video ?? banner;
    },
    async *frames() {
      try {
        for await (const frame of media.decodeFrames(input, options, diagnostics)) {
          if (decoded++ === 0 && !video && diagnostics.input) banner = bannerInfo(diagnostics.input, input);
          yield frame;
        }
      } catch (e) {
        if (e instanceof AbortError || signal?.aborted) throw e;
        // The probe names the problem best (not a video, unreadable, truncated header…).
        throw (await probeVideo(input, backend, signal).then(() => undefined, (probeError: unknown) => probeError)) ?? e;
      }
    },
    async finish() {
      if (!video) {
        const described = banner ?? (diagnostics.input ? bannerInfo(diagnostics.input, input) : undefined);
        // Still images and text-mode art decode as "video"; they are not videos to analyse.
        if (described) assertVideoContainer(described, input);
        // Only a decode that looks damaged or short against the stated duration needs the container's
        // exact frame count (ffprobe) to tell truncation from, say, audio that outlasts the video.
        const reached = described ? (diagnostics.endTimeSeconds ?? decoded / described.fps) : 0;
        const suspicious =
          !described || diagnostics.warnings.length > 0 || reached < described.durationSeconds - Math.max(2 / described.fps, 0.01 * described.durationSeconds);
        video = suspicious ? await probeVideo(input, backend, signal) : described;
      }
      const truncated = truncation(video, decoded, diagnostics.endTimeSeconds);
      if (truncated) {
        throw new CorruptInputError(
          input,
          `truncated or damaged: ${truncated}${diagnostics.warnings.length ? `; decoder said: ${ffmpegErrorDetail(diagnostics.warnings.join('\n'))}` : ''}`,
        );
      }
      if (timestampsVary(video.fps, decoded, diagnostics.endTimeSeconds)) video = { ...video, variableFrameRate: true };
      return { video, warnings: diagnostics.warnings };
    },
  };
}
