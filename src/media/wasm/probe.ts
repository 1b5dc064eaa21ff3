/** Probing with the wasm ffmpeg, which has no ffprobe: its banner, and optionally a counting decode. */
import { CorruptInputError, FfmpegError, NotAVideoError, type ScenecrfError } from '../../errors.js';
import { ffmpegErrorDetail, inputErrorFromStderr, parseFfmpegInputInfo, parseFinalProgress, rateToRational, type ParsedInputInfo } from '../ffmpeg-info.js';
import { displayGeometry, sampleAspect } from '../input-checks.js';
import type { VideoInfo } from '../types.js';
import { runWasmFfmpeg, WASM_INPUT_TOKEN } from './core.js';
import type { CommandResult } from './worker.js';

export interface WasmProbeOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * Decode the whole video stream to count frames exactly (default true). This is a full decode in
   * wasm, i.e. slow for long inputs; with false the count is estimated from duration x frame rate.
   */
  countFrames?: boolean;
}

export function notAVideo(path: string, info: ParsedInputInfo): NotAVideoError {
  return new NotAVideoError(path, info.hasAudio ? `audio only (${info.container})` : `no video stream in ${info.container}`);
}

/** Still images, image sequences and text ("tty" demuxer) are readable but are not video. */
export function isStillOrText(container: string): boolean {
  return /^(?:image2|tty|.+_pipe)$/.test(container);
}

/** A failed wasm ffmpeg run as the input error its log points at, else as FfmpegError with the log's tail. */
export function wasmRunError(path: string, args: readonly string[], r: CommandResult): ScenecrfError {
  return inputErrorFromStderr(r.stderr, path) ?? new FfmpegError(args, r.exitCode, r.stderr.split('\n').slice(-20).join('\n'));
}

/** Probes with the wasm ffmpeg (there is no ffprobe in @ffmpeg/core): banner + a counting decode. */
export async function probeWasm(path: string, opts: WasmProbeOptions = {}): Promise<VideoInfo> {
  const countFrames = opts.countFrames ?? true;
  // "0:V" skips attached pictures (cover art). passthrough: count every decoded frame, no dup/drop.
  const args = countFrames
    ? ['-hide_banner', '-i', WASM_INPUT_TOKEN, '-map', '0:V:0', '-fps_mode', 'passthrough', '-f', 'null', '-']
    : ['-hide_banner', '-i', WASM_INPUT_TOKEN];
  const r = await runWasmFfmpeg(args, { inputPath: path, signal: opts.signal, timeoutMs: opts.timeoutMs });
  const info = parseFfmpegInputInfo(r.stderr, path); // throws Corrupt/NotFound when ffmpeg could not open it
  if (!info.video || isStillOrText(info.container)) throw notAVideo(path, info);
  const video = info.video;

  let frameCount: number;
  let frameCountExact: boolean;
  let decodedSeconds: number | null = null;
  if (countFrames) {
    if (r.exitCode !== 0) throw wasmRunError(path, args, r);
    const progress = parseFinalProgress(r.stderr);
    if (!progress || progress.frame === 0) {
      throw new CorruptInputError(path, `no video frame could be decoded (${ffmpegErrorDetail(r.stderr)})`);
    }
    frameCount = progress.frame;
    frameCountExact = true;
    decodedSeconds = progress.timeSeconds !== null && progress.timeSeconds > 0 ? progress.timeSeconds : null;
  } else {
    frameCount = 0;
    frameCountExact = false;
  }

  const durationSeconds = decodedSeconds ?? info.durationSeconds;
  let frameRate = video.frameRate;
  if (!frameRate && durationSeconds && frameCount > 0) frameRate = rateToRational((frameCount / durationSeconds).toFixed(2));
  if (!frameRate) throw new CorruptInputError(path, 'the video frame rate could not be determined');
  const fps = frameRate.num / frameRate.den;
  if (!countFrames) {
    if (!durationSeconds) throw new CorruptInputError(path, 'the duration is unknown, so frames cannot be estimated');
    frameCount = Math.max(1, Math.round(durationSeconds * fps));
  }
  const finalDuration = durationSeconds ?? frameCount / fps;

  // Frame rates disagree (avg vs. base rate), or the counted frames do not fit duration x fps.
  const ratesDisagree = video.fps !== null && video.tbr !== null && Math.abs(video.fps - video.tbr) / video.tbr > 0.01;
  const expected = finalDuration * fps;
  const countDisagrees = frameCountExact && Math.abs(frameCount - expected) > Math.max(2, expected * 0.02);

  return {
    path,
    container: info.container,
    codec: video.codec,
    ...displayGeometry(video.width, video.height, video.rotation),
    pixFmt: video.pixFmt,
    bitDepth: video.bitDepth,
    frameRate,
    fps,
    frameCount,
    frameCountExact,
    durationSeconds: finalDuration,
    variableFrameRate: ratesDisagree || countDisagrees,
    ...sampleAspect(video.sar),
  };
}
