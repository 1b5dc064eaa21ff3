import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { CorruptInputError, EmptyInputError, InputNotFoundError, NotAVideoError, UnsupportedError } from '../errors.js';

/** Maps a failed probe to the typed input error it points at (corrupt when nothing more specific). */
function probeFailure(p: string, stderr: string): Error {
  return inputErrorFromStderr(stderr, p) ?? new CorruptInputError(p, ffmpegErrorDetail(stderr));
}
import { bitDepthOfPixFmt, ffmpegErrorDetail, inputErrorFromStderr, parseFfmpegInputInfo, rateToRational } from './ffmpeg-info.js';
import { runTool } from './process.js';
import type { FfmpegBackend, VideoInfo } from './types.js';

/** Checks the path before any tool sees it, so the common mistakes get precise errors. */
export async function assertReadableFile(p: string): Promise<void> {
  let s;
  try {
    s = await stat(p);
  } catch {
    throw new InputNotFoundError(p);
  }
  if (!s.isFile()) throw new InputNotFoundError(p);
  if (s.size === 0) throw new EmptyInputError(p);
}

const rational = z
  .string()
  .regex(/^\d+\/\d+$/)
  .transform((s) => {
    const [num, den] = s.split('/').map(Number) as [number, number];
    return { num, den };
  });

const numeric = z.union([z.number(), z.string().regex(/^-?[\d.]+(e[-+]?\d+)?$/i).transform(Number)]);

const ffprobeSchema = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
        pix_fmt: z.string().optional(),
        bits_per_raw_sample: numeric.optional(),
        r_frame_rate: rational.optional(),
        avg_frame_rate: z.string().optional(),
        nb_frames: numeric.optional(),
        duration: numeric.optional(),
      }),
    )
    .default([]),
  format: z
    .object({ format_name: z.string().optional(), duration: numeric.optional() })
    .partial()
    .default({}),
});


function parseRate(s: string | undefined): { num: number; den: number } | undefined {
  const m = s ? /^(\d+)\/(\d+)$/.exec(s) : null;
  if (!m) return undefined;
  const num = Number(m[1]);
  const den = Number(m[2]);
  return num > 0 && den > 0 ? { num, den } : undefined;
}




/**
 * Reads the facts of the first video stream. Uses ffprobe when the backend has one (exact packet
 * count without decoding), otherwise parses ffmpeg's own banner and counts packets with a
 * stream copy. Variable frame rate is reported, not corrected: analysis indexes decoded frames.
 */
export async function probeVideo(input: string, backend: FfmpegBackend, signal?: AbortSignal): Promise<VideoInfo> {
  await assertReadableFile(input);
  if (backend.kind === 'wasm') {
    const { probeWasm } = await import('./wasm.js');
    // The analysis decodes every frame anyway; counting them here would decode twice.
    return probeWasm(input, { signal, countFrames: false });
  }
  if (backend.ffprobePath) return probeWithFfprobe(input, backend.ffprobePath, signal);
  return probeWithFfmpeg(input, backend.path, signal);
}

async function probeWithFfprobe(input: string, ffprobe: string, signal?: AbortSignal): Promise<VideoInfo> {
  const r = await runTool(
    ffprobe,
    [
      '-v', 'error',
      '-show_entries',
      'stream=codec_type,codec_name,width,height,pix_fmt,bits_per_raw_sample,r_frame_rate,avg_frame_rate,nb_frames,duration:format=format_name,duration',
      '-of', 'json',
      // "file:" stops a name such as "-x.mp4" or "a:b.mp4" being read as an option or protocol.
      `file:${input}`,
    ],
    { signal, timeoutMs: 120_000 },
  );
  if (r.exitCode !== 0) throw probeFailure(input, r.stderr);
  let raw: unknown;
  try {
    raw = JSON.parse(r.stdout);
  } catch {
    throw new CorruptInputError(input, 'ffprobe printed no readable description');
  }
  const parsed = ffprobeSchema.safeParse(raw);
  if (!parsed.success) throw new CorruptInputError(input, `unexpected ffprobe output: ${parsed.error.issues[0]?.message}`);
  const { streams, format } = parsed.data;
  const v = streams.find((s) => s.codec_type === 'video' && (s.width ?? 0) > 0);
  if (!v) throw new NotAVideoError(input, streams.length ? `streams: ${streams.map((s) => s.codec_type).join(', ')}` : 'no streams');
  // Still images (png/jpeg/bmp) are single-frame "video" to ffprobe; they are not videos to us.
  if (format.format_name && /_pipe$|^image2$/.test(format.format_name)) throw new NotAVideoError(input, `still image (${format.format_name})`);
  const avg = parseRate(v.avg_frame_rate);
  const rFps = v.r_frame_rate && v.r_frame_rate.den > 0 && v.r_frame_rate.num > 0 ? v.r_frame_rate : undefined;
  const frameRate = avg ?? rFps;
  if (!frameRate) throw new CorruptInputError(input, 'video stream has no frame rate');
  const fps = frameRate.num / frameRate.den;
  const duration = Number(v.duration ?? format.duration ?? NaN);
  // The header's count when the container has one (mp4, mov); otherwise an estimate from the
  // duration. Counting packets would read the whole file; the analysis counts decoded frames.
  const declared = v.nb_frames !== undefined && Number(v.nb_frames) > 0 ? Number(v.nb_frames) : undefined;
  const frameCount = declared ?? Math.max(1, Math.round(duration * fps));
  const variableFrameRate = !!(avg && rFps && Math.abs(avg.num / avg.den - rFps.num / rFps.den) > 0.01 * fps);
  return {
    path: input,
    container: format.format_name ?? 'unknown',
    codec: v.codec_name ?? 'unknown',
    width: v.width!,
    height: v.height!,
    pixFmt: v.pix_fmt ?? 'unknown',
    bitDepth: v.bits_per_raw_sample ? Number(v.bits_per_raw_sample) : bitDepthOfPixFmt(v.pix_fmt ?? ''),
    frameRate,
    fps,
    frameCount,
    frameCountExact: false,
    declaredFrameCount: declared,
    durationSeconds: Number.isFinite(duration) ? duration : frameCount / fps,
    variableFrameRate,
  };
}

async function probeWithFfmpeg(input: string, ffmpeg: string, signal?: AbortSignal): Promise<VideoInfo> {
  // A stream copy to the null muxer counts packets without decoding.
  const r = await runTool(ffmpeg, ['-hide_banner', '-nostdin', '-i', `file:${input}`, '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'], {
    signal,
    timeoutMs: 300_000,
  });
  const info = parseFfmpegInputInfo(r.stderr, input);
  if (!info.video) {
    if (/Input #0/.test(r.stderr)) throw new NotAVideoError(input, info.hasAudio ? 'audio only' : 'no video stream');
    throw probeFailure(input, r.stderr);
  }
  if (r.exitCode !== 0) throw probeFailure(input, r.stderr);
  const frames = [...r.stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
  const counted = frames.at(-1);
  const fps = info.video.fps ?? info.video.tbr;
  if (!fps) throw new UnsupportedError(`cannot determine the frame rate of ${input}`);
  const duration = info.durationSeconds ?? (counted ?? 0) / fps;
  return {
    path: input,
    container: info.container,
    codec: info.video.codec,
    width: info.video.width,
    height: info.video.height,
    pixFmt: info.video.pixFmt,
    bitDepth: info.video.bitDepth,
    frameRate: rateToRational(String(fps)) ?? { num: Math.round(fps * 1000), den: 1000 },
    fps,
    frameCount: counted ?? Math.round(duration * fps),
    frameCountExact: counted !== undefined,
    durationSeconds: duration,
    variableFrameRate: !!(info.video.fps && info.video.tbr && Math.abs(info.video.fps - info.video.tbr) > 0.01 * info.video.fps),
  };
}
