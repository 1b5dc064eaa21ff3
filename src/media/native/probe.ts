/**
 * Probing with native tools: ffprobe when the backend has one (the header's frame count and
 * per-stream durations, without reading the whole file), otherwise ffmpeg's own banner and a
 * packet count by stream copy.
 */
import { z } from 'zod';
import { CorruptInputError, NotAVideoError } from '../../errors.js';
import { bitDepthOfPixFmt, ffmpegErrorDetail, inputErrorFromStderr, parseFfmpegInputInfo, parseFinalProgress } from '../ffmpeg-info.js';
import { displayGeometry, sampleAspect, videoInfoFromBanner } from '../input-checks.js';
import { runTool } from '../process.js';
import type { FfmpegBackend, VideoInfo } from '../types.js';

/** Maps a failed probe to the typed input error it points at (corrupt when nothing more specific). */
function probeFailure(p: string, stderr: string): Error {
  return inputErrorFromStderr(stderr, p) ?? new CorruptInputError(p, ffmpegErrorDetail(stderr));
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
        sample_aspect_ratio: z.string().optional(),
        /** The display matrix (an mp4 `rotate` tag becomes one): `rotation` in degrees. */
        side_data_list: z.array(z.object({ rotation: numeric.optional() }).passthrough()).optional(),
        bits_per_raw_sample: numeric.optional(),
        r_frame_rate: rational.optional(),
        avg_frame_rate: z.string().optional(),
        nb_frames: numeric.optional(),
        duration: numeric.optional(),
        start_time: numeric.optional(),
        /** Cover art is a one-picture "video" stream flagged attached_pic; it is not the video. */
        disposition: z.object({ attached_pic: z.number().optional() }).partial().optional(),
        /** Matroska/WebM keep the track length in a DURATION tag ("00:00:08.000000000"). */
        tags: z.object({ DURATION: z.string().optional() }).partial().optional(),
      }),
    )
    .default([]),
  format: z
    .object({ format_name: z.string().optional(), duration: numeric.optional(), start_time: numeric.optional() })
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

/** "HH:MM:SS.fraction" (Matroska DURATION tag) to seconds. */
function parseClock(s: string | undefined): number | undefined {
  const m = s ? /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(s.trim()) : null;
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** The display matrix's rotation among a stream's side data, if any. */
function rotationOf(sideData: Array<{ rotation?: number | string }> | undefined): number | undefined {
  const r = sideData?.find((d) => d.rotation !== undefined)?.rotation;
  return r === undefined ? undefined : Number(r);
}

const positive = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined);

/** Facts of the first video stream, by ffprobe when there is one, else by ffmpeg. */
export function probeNative(input: string, backend: FfmpegBackend, signal?: AbortSignal): Promise<VideoInfo> {
  return backend.ffprobePath ? probeWithFfprobe(input, backend.ffprobePath, signal) : probeWithFfmpeg(input, backend.path, signal);
}

async function probeWithFfprobe(input: string, ffprobe: string, signal?: AbortSignal): Promise<VideoInfo> {
  const r = await runTool(
    ffprobe,
    [
      '-v', 'error',
      '-show_entries',
      'stream=codec_type,codec_name,width,height,pix_fmt,sample_aspect_ratio,bits_per_raw_sample,r_frame_rate,avg_frame_rate,nb_frames,duration,start_time' +
        ':stream_disposition=attached_pic:stream_tags=DURATION:stream_side_data=rotation:format=format_name,duration,start_time',
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
  const isCoverArt = (s: (typeof streams)[number]) => s.disposition?.attached_pic === 1;
  const v = streams.find((s) => s.codec_type === 'video' && (s.width ?? 0) > 0 && !isCoverArt(s));
  if (!v) {
    const kinds = streams.map((s) => (isCoverArt(s) ? 'cover art' : (s.codec_type ?? 'unknown')));
    throw new NotAVideoError(input, kinds.length ? `streams: ${kinds.join(', ')}` : 'no streams');
  }
  const avg = parseRate(v.avg_frame_rate);
  const rFps = v.r_frame_rate && v.r_frame_rate.den > 0 && v.r_frame_rate.num > 0 ? v.r_frame_rate : undefined;
  const frameRate = avg ?? rFps;
  if (!frameRate) throw new CorruptInputError(input, 'video stream has no frame rate');
  const fps = frameRate.num / frameRate.den;
  // Length of the video stream itself: its own duration, else the Matroska DURATION tag (an end
  // time, so minus the start), else the file's duration when no other stream can outlast the video.
  const tagged = parseClock(v.tags?.DURATION);
  const videoDuration =
    positive(v.duration !== undefined ? Number(v.duration) : undefined) ??
    positive(tagged !== undefined ? tagged - Math.max(0, Number(v.start_time ?? 0) || 0) : undefined) ??
    (streams.every((s) => s === v || s.codec_type === 'attachment')
      ? positive(format.duration !== undefined ? Number(format.duration) - Math.max(0, Number(format.start_time ?? 0) || 0) : undefined)
      : undefined);
  const duration = videoDuration ?? Number(format.duration ?? NaN);
  // The header's count when the container has one (mp4, mov); otherwise an estimate from the
  // duration. Counting packets would read the whole file; the analysis counts decoded frames.
  const declared = v.nb_frames !== undefined && Number(v.nb_frames) > 0 ? Number(v.nb_frames) : undefined;
  const frameCount = declared ?? Math.max(1, Math.round(duration * fps));
  const variableFrameRate = !!(avg && rFps && Math.abs(avg.num / avg.den - rFps.num / rFps.den) > 0.01 * fps);
  return {
    path: input,
    container: format.format_name ?? 'unknown',
    codec: v.codec_name ?? 'unknown',
    ...displayGeometry(v.width!, v.height!, rotationOf(v.side_data_list)),
    pixFmt: v.pix_fmt ?? 'unknown',
    bitDepth: v.bits_per_raw_sample ? Number(v.bits_per_raw_sample) : bitDepthOfPixFmt(v.pix_fmt ?? ''),
    frameRate,
    fps,
    frameCount,
    frameCountExact: false,
    declaredFrameCount: declared,
    declaredDurationSeconds: videoDuration,
    durationSeconds: Number.isFinite(duration) ? duration : frameCount / fps,
    variableFrameRate,
    ...sampleAspect(v.sample_aspect_ratio),
  };
}

async function probeWithFfmpeg(input: string, ffmpeg: string, signal?: AbortSignal): Promise<VideoInfo> {
  // A stream copy to the null muxer counts packets without decoding.
  const r = await runTool(ffmpeg, ['-hide_banner', '-nostdin', '-i', `file:${input}`, '-map', '0:V:0', '-c', 'copy', '-f', 'null', '-'], {
    signal,
    timeoutMs: 300_000,
  });
  const info = parseFfmpegInputInfo(r.stderr, input);
  if (!info.video) {
    if (/Input #0/.test(r.stderr)) throw new NotAVideoError(input, info.hasAudio ? 'audio only' : 'no video stream');
    throw probeFailure(input, r.stderr);
  }
  if (r.exitCode !== 0) throw probeFailure(input, r.stderr);
  return videoInfoFromBanner(info, input, parseFinalProgress(r.stderr)?.frame);
}
