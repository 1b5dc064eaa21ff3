import { existsSync, statSync } from 'node:fs';
import { readJsonInput } from '../core/json-input.js';
import { execa } from 'execa';
import { AbortError, InvalidOptionsError, throwIfAborted } from '../errors.js';
import { resolveFfmpeg } from '../media/resolve.js';
import { announceCommand } from '../util/command-log.js';
import { parseReportInput, type ReportInput } from './schema.js';

/**
 * The report's edges: reading a result file, and taking a thumbnail of each scene from the source
 * video with ffmpeg. renderReport itself never touches the file system.
 */

/** The source video of a result and its scenes, for thumbnails. */
export interface ReportSource {
  path: string;
  /** Frames per second, when the result states it (quality reports do not). */
  fps?: number;
  scenes: Array<{ startFrame: number; endFrame: number }>;
}

/** Where a result's source video is and what its scenes are. */
export function reportSource(result: unknown | ReportInput): ReportSource {
  const input = isReportInput(result) ? result : parseReportInput(result);
  switch (input.kind) {
    case 'analyze':
      return { path: input.data.video.path, fps: input.data.video.fps, scenes: input.data.scenes };
    case 'quality':
      return { path: input.data.reference, scenes: input.data.scenes ?? [{ startFrame: 0, endFrame: input.data.frameCount }] };
    case 'plan':
      return { path: input.data.input.path, fps: input.data.input.frameRate.num / input.data.input.frameRate.den, scenes: input.planned?.scenes ?? input.data.scenes };
    case 'optimize':
      return { path: input.data.plan.input.path, fps: input.data.plan.input.frameRate.num / input.data.plan.input.frameRate.den, scenes: input.data.planned.scenes };
  }
}

function isReportInput(v: unknown): v is ReportInput {
  return typeof v === 'object' && v !== null && 'kind' in v && 'data' in v && Object.keys(v).every((k) => k === 'kind' || k === 'data' || k === 'planned');
}

/** Reads and validates a result file for the report (InvalidOptionsError when unreadable or not a result). */
export async function readReportInput(file: string): Promise<ReportInput & { json: unknown }> {
  const json = await readJsonInput(file, 'report input');
  return { ...parseReportInput(json), json };
}

/** Total size of thumbnail data URIs sceneThumbnails stops at by default (bytes). */
export const DEFAULT_THUMBNAIL_BUDGET = 2_500_000;

/**
 * Thumbnail width and JPEG quality (ffmpeg -q:v) for a film of `sceneCount` scenes: 160 px up to
 * 300 scenes, 112 px up to 1000, then 80 px at a lower quality, so that a two-hour film's report
 * (about 2000 scenes: ~1 kB a thumbnail) stays under 5 MB with its table and charts.
 */
export function thumbnailDefaults(sceneCount: number): { width: number; quality: number } {
  return sceneCount <= 300 ? { width: 160, quality: 6 } : sceneCount < 1000 ? { width: 112, quality: 6 } : { width: 80, quality: 8 };
}

export interface SceneThumbnailOptions {
  /** Thumbnail width in pixels (default from `thumbnailDefaults(scenes.length)`; height keeps the aspect ratio). */
  width?: number;
  /** Stop taking thumbnails once their data URIs add up to this many bytes (default DEFAULT_THUMBNAIL_BUDGET, 2.5 MB), with a note. */
  maxTotalBytes?: number;
  /** JPEG quality as ffmpeg's -q:v, 2 (best) … 31 (default from `thumbnailDefaults`: 6, or 8 for 1000 scenes and more). */
  quality?: number;
  /** Frames per second of the source, to seek by time; default: the result's, else probed by ffmpeg per seek (slower). */
  fps?: number;
  /** ffmpeg processes at once (default 2). */
  concurrency?: number;
  ffmpegPath?: string;
  signal?: AbortSignal;
}

export interface SceneThumbnails {
  /** One data:image/jpeg URI per scene, undefined where none could be taken. */
  thumbnails: Array<string | undefined>;
  /** Why some or all are missing (for ReportOptions.thumbnailNote), when they are. */
  note?: string;
}

/** The JPEG ffmpeg writes for frame `frame` (seeking by time at `fps`), or undefined. */
async function grab(ffmpeg: string, source: string, frame: number, fps: number | undefined, o: Required<Pick<SceneThumbnailOptions, 'width' | 'quality'>>, signal?: AbortSignal): Promise<Buffer | undefined> {
  // With the rate known, seek (fast, frame-accurate on decode) to the frame's timestamp; without
  // it, select the frame by number from the start (slow for late scenes, but exact).
  const seek = fps ? ['-ss', (Math.max(0, frame - 0.25) / fps).toFixed(4)] : [];
  const select = fps ? `scale=${o.width}:-2` : `select=eq(n\\,${frame}),scale=${o.width}:-2`;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...seek, '-i', source, '-map', '0:v:0', '-vf', select, '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', String(o.quality), '-f', 'image2pipe', 'pipe:1'];
  announceCommand({ file: ffmpeg, args });
  const r = await execa(ffmpeg, args, { reject: false, encoding: 'buffer', stdin: 'ignore', cancelSignal: signal, maxBuffer: 8 * 1024 * 1024 });
  if (r.isCanceled) throw new AbortError(signal?.reason);
  const out = Buffer.from(r.stdout as Uint8Array);
  return r.exitCode === 0 && out.length > 4 && out[0] === 0xff && out[1] === 0xd8 ? out : undefined;
}

/**
 * A small JPEG (data URI) of the middle frame of each scene of `source`, for ReportOptions.thumbnails.
 * When the source is gone, or only the wasm ffmpeg is available, returns no thumbnails and a note
 * saying why instead of failing: the report is still worth having.
 */
export async function sceneThumbnails(source: string, scenes: ReadonlyArray<{ startFrame: number; endFrame: number }>, options: SceneThumbnailOptions = {}): Promise<SceneThumbnails> {
  const defaults = thumbnailDefaults(scenes.length);
  const width = options.width ?? defaults.width;
  const quality = options.quality ?? defaults.quality;
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_THUMBNAIL_BUDGET;
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(width) || width < 16 || width > 1920) throw new InvalidOptionsError('thumbnail width', `expected a whole number 16..1920, got ${width}`);
  if (!Number.isInteger(quality) || quality < 2 || quality > 31) throw new InvalidOptionsError('thumbnail quality', `expected a whole number 2..31, got ${quality}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidOptionsError('thumbnail concurrency', `expected a whole number ≥ 1, got ${concurrency}`);
  const none = (note: string): SceneThumbnails => ({ thumbnails: scenes.map(() => undefined), note });
  if (!existsSync(source) || !statSync(source).isFile()) return none(`No thumbnails: the source video ${JSON.stringify(source)} is not there any more.`);
  let ffmpeg: string;
  try {
    const backend = await resolveFfmpeg({ ffmpegPath: options.ffmpegPath, backend: 'native' });
    ffmpeg = backend.path;
  } catch (e) {
    return none(`No thumbnails: no native ffmpeg (${(e as Error).message}).`);
  }
  const thumbnails: Array<string | undefined> = scenes.map(() => undefined);
  // Workers take scenes in order and stop once what they took exceeds the budget, so the scenes
  // taken are always a prefix of the film; the budget is then applied in scene order.
  let next = 0;
  let failed = 0;
  let taken = 0;
  const worker = async () => {
    for (;;) {
      throwIfAborted(options.signal);
      if (taken > maxTotalBytes) return;
      const i = next++;
      if (i >= scenes.length) return;
      const s = scenes[i];
      const jpeg = await grab(ffmpeg, source, Math.floor((s.startFrame + s.endFrame - 1) / 2), options.fps, { width, quality }, options.signal);
      if (!jpeg) {
        failed++;
        continue;
      }
      thumbnails[i] = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
      taken += thumbnails[i]!.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, scenes.length) }, worker));
  let total = 0;
  let stoppedAt: number | undefined;
  for (let i = 0; i < thumbnails.length; i++) {
    const uri = thumbnails[i];
    if (stoppedAt === undefined && uri !== undefined && total + uri.length > maxTotalBytes) stoppedAt = i;
    if (stoppedAt !== undefined) thumbnails[i] = undefined;
    else total += uri?.length ?? 0;
  }
  const notes = [
    ...(failed ? [`${failed} of ${scenes.length} scene thumbnails could not be taken from ${JSON.stringify(source)}.`] : []),
    ...(stoppedAt !== undefined ? [`Thumbnails stop at scene ${stoppedAt} of ${scenes.length}, to keep the report under ${(maxTotalBytes / 1e6).toFixed(1)} MB of images.`] : []),
  ];
  return notes.length ? { thumbnails, note: notes.join(' ') } : { thumbnails };
}
