/**
 * Checks of an input that do not depend on the backend: the path before any tool sees it, the
 * facts ffmpeg's banner states, whether the container holds a video at all, and whether the
 * decoded frames fall short of what the container states (truncation).
 */
import { access, constants, stat } from 'node:fs/promises';
import { EmptyInputError, InputNotFoundError, InvalidOptionsError, NotAVideoError, UnreadableInputError, UnsupportedError } from '../errors.js';
import { displayedSize, displayRotation, nonSquareAspect, nonVideoFormat, rateToRational, type ParsedInputInfo } from './ffmpeg-info.js';
import type { VideoInfo } from './types.js';

/** Checks the path before any tool sees it, so the common mistakes get precise errors. */
export async function assertReadableFile(p: string): Promise<void> {
  let s;
  try {
    s = await stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new UnreadableInputError(p, 'permission denied on a parent directory');
    throw new InputNotFoundError(p, code === 'ENOENT' ? undefined : code === 'ENOTDIR' ? 'a parent path is not a directory' : (e as Error).message);
  }
  if (s.isDirectory()) throw new InputNotFoundError(p, 'it is a directory, not a file');
  if (!s.isFile()) throw new InputNotFoundError(p, 'not a regular file');
  if (s.size === 0) throw new EmptyInputError(p);
  // Checked here because ffmpeg's own "Permission denied" would otherwise read as a corrupt file.
  // (root passes this whatever the mode, as it passes the open that follows.)
  try {
    await access(p, constants.R_OK);
  } catch {
    throw new UnreadableInputError(p);
  }
}

/** Still images and text-mode art are "video" streams to ffmpeg, but not videos to analyse. */
export function assertVideoContainer(info: Pick<VideoInfo, 'container'>, input: string): void {
  const notVideo = nonVideoFormat(info.container);
  if (notVideo) throw new NotAVideoError(input, notVideo);
}

/**
 * VideoInfo from ffmpeg's own "Input #0" banner (no ffprobe): what a decoder run already printed.
 * `counted` is an exact frame count when the caller has one. The banner carries no per-stream
 * frame count, so `declaredFrameCount` stays unknown.
 */
export function videoInfoFromBanner(info: ParsedInputInfo, input: string, counted?: number): VideoInfo {
  if (!info.video) throw new NotAVideoError(input, info.hasAudio ? 'audio only' : 'no video stream');
  const fps = info.video.fps ?? info.video.tbr;
  if (!fps) throw new UnsupportedError(`cannot determine the frame rate of ${input}`);
  const duration = info.durationSeconds ?? (counted ?? 0) / fps;
  return {
    path: input,
    container: info.container,
    codec: info.video.codec,
    ...displayGeometry(info.video.width, info.video.height, info.video.rotation),
    pixFmt: info.video.pixFmt,
    bitDepth: info.video.bitDepth,
    frameRate: info.video.frameRate ?? rateToRational(String(fps)) ?? { num: Math.round(fps * 1000), den: 1000 },
    fps,
    frameCount: counted ?? Math.max(1, Math.round(duration * fps)),
    frameCountExact: counted !== undefined,
    durationSeconds: duration,
    variableFrameRate: !!(info.video.fps && info.video.tbr && Math.abs(info.video.fps - info.video.tbr) > 0.01 * info.video.fps),
    ...sampleAspect(info.video.sar),
  };
}

/**
 * A reference and a distorted video compared frame by frame must be shown the same way up. One
 * rotated a quarter turn against the other (a phone clip whose `rotate` tag was lost or added) would
 * be scaled into the other's shape and score near 0 as if the encode were ruined: refused instead.
 * Both sizes are as displayed (ffmpeg decodes upright); a square picture has no orientation.
 */
export function assertSameOrientation(reference: VideoInfo, distorted: VideoInfo): void {
  const shape = (v: VideoInfo) => Math.sign(v.width - v.height);
  const a = shape(reference);
  const b = shape(distorted);
  if (a === 0 || b === 0 || a === b) return;
  const describe = (v: VideoInfo) => `${v.width}x${v.height} as displayed${v.rotation !== undefined ? ` (rotated ${v.rotation}°)` : ''}`;
  throw new InvalidOptionsError(
    'distorted',
    `${JSON.stringify(distorted.path)} is ${describe(distorted)} but the reference ${JSON.stringify(reference.path)} is ${describe(reference)}: they are oriented differently, so frames cannot be compared (give both the same rotation, e.g. ffmpeg -i in.mp4 -c copy -metadata:s:v:0 rotate=0 out.mp4)`,
  );
}

/** The size and rotation part of a VideoInfo from the coded size and the display matrix's rotation. */
export function displayGeometry(codedWidth: number, codedHeight: number, rotationDegrees: number | undefined): Pick<VideoInfo, 'width' | 'height' | 'rotation'> {
  const rotation = displayRotation(rotationDegrees);
  return { ...displayedSize(codedWidth, codedHeight, rotation), ...(rotation !== undefined ? { rotation } : {}) };
}

/** The `sampleAspectRatio` part of a VideoInfo from a declared ratio ("16:11", a rational, "N/A"):
 * the field only for non-square pixels (see VideoInfo). */
export function sampleAspect(declared: Parameters<typeof nonSquareAspect>[0]): Pick<VideoInfo, 'sampleAspectRatio'> {
  const sar = nonSquareAspect(declared);
  return sar ? { sampleAspectRatio: sar } : {};
}

/**
 * Why the decode looks truncated, or undefined. With a frame count in the container (mp4, mov) the
 * decoded count must match it; otherwise the time the decoder reached is compared with the stated
 * duration — counts say nothing for variable frame rate, where the stated fps is only nominal.
 * The duration test allows more (5% against 1%): the nominal rate of a variable-rate stream that
 * is not flagged as such can be off by a few percent.
 */
export function truncation(video: VideoInfo, decoded: number, reachedSeconds: number | undefined): string | undefined {
  const exact = video.declaredFrameCount ?? (video.frameCountExact ? video.frameCount : undefined);
  if (exact !== undefined) {
    return decoded < exact - Math.max(2, Math.round(0.01 * exact)) ? `only ${decoded} of ${exact} frames decodable` : undefined;
  }
  const stated = video.declaredDurationSeconds;
  const reached = reachedSeconds ?? (video.variableFrameRate ? undefined : decoded / video.fps);
  if (stated === undefined || reached === undefined) return undefined;
  return reached < stated - Math.max(2 / video.fps, 0.05 * stated)
    ? `only ${decoded} frames (${reached.toFixed(2)} s) decodable of ${stated.toFixed(2)} s stated by the container`
    : undefined;
}

/**
 * Frames whose timestamps span more or less time than count / fps: the rate varies (containers
 * such as Matroska state only a nominal rate, so the header alone cannot tell).
 */
export function timestampsVary(fps: number, decoded: number, endTimeSeconds: number | undefined): boolean {
  return endTimeSeconds !== undefined && Math.abs(endTimeSeconds - decoded / fps) > Math.max(2 / fps, 0.01 * endTimeSeconds);
}
