/**
 * Facts of a file's video stream that the encoder checks its inputs and outputs with: packet count,
 * duration, the first frame's timestamp. Native tools only (encoding needs a native ffmpeg);
 * ffprobe reads them without decoding, and without ffprobe ffmpeg counts packets by stream copy.
 */
import { parseFinalProgress } from '../ffmpeg-info.js';
import { runTool } from '../process.js';
import type { FfmpegBackend } from '../types.js';

/** Packets of the first video stream (one per frame), counted by ffprobe; undefined when it cannot. */
export async function countPackets(ffprobe: string, input: string, signal?: AbortSignal): Promise<number | undefined> {
  const r = await runTool(ffprobe, ['-v', 'error', '-select_streams', 'V:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', `file:${input}`], {
    signal,
    timeoutMs: 600_000,
  });
  const n = Number(r.stdout.trim().split(/\s+/)[0]);
  return r.exitCode === 0 && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Timestamp (seconds) of the first video frame, read by ffprobe; undefined when it cannot. */
export async function firstFrameTime(ffprobe: string, input: string, signal?: AbortSignal): Promise<number | undefined> {
  const r = await runTool(
    ffprobe,
    ['-v', 'error', '-select_streams', 'V:0', '-read_intervals', '%+#1', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', `file:${input}`],
    { signal, timeoutMs: 60_000 },
  );
  // "0.000000," (csv adds a separator for the empty side-data section).
  const t = Number.parseFloat(r.stdout.trim().split(/[\s,]+/)[0] ?? '');
  return r.exitCode === 0 && Number.isFinite(t) ? t : undefined;
}

/** The colour description of a video stream, in ffmpeg's option names (`-color_range tv` …); only the
 * ones the stream states. */
export interface ColourTags {
  range?: string;
  primaries?: string;
  transfer?: string;
  space?: string;
}

/** The input's colour tags as ffprobe reads them (container or bitstream); none when it cannot. */
export async function colourTags(ffprobe: string, input: string, signal?: AbortSignal): Promise<ColourTags> {
  const r = await runTool(
    ffprobe,
    ['-v', 'error', '-select_streams', 'V:0', '-show_entries', 'stream=color_range,color_primaries,color_transfer,color_space', '-of', 'json', `file:${input}`],
    { signal, timeoutMs: 60_000 },
  );
  let s: Record<string, unknown> | undefined;
  try {
    s = (JSON.parse(r.stdout || '{}') as { streams?: Array<Record<string, unknown>> }).streams?.[0];
  } catch {
    return {};
  }
  // "unknown" / "unspecified" state nothing; anything else is an ffmpeg colour name (a plain word).
  const stated = (v: unknown) => (typeof v === 'string' && /^[a-z0-9_-]+$/i.test(v) && !/^(?:unknown|unspecified|reserved)$/.test(v) ? v : undefined);
  if (r.exitCode !== 0 || !s) return {};
  const tags: ColourTags = { range: stated(s.color_range), primaries: stated(s.color_primaries), transfer: stated(s.color_transfer), space: stated(s.color_space) };
  return Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== undefined)) as ColourTags;
}

/** Frame (packet) count and duration of a finished file. */
export async function countOutput(backend: FfmpegBackend, file: string, signal?: AbortSignal): Promise<{ frames: number; duration?: number }> {
  if (backend.ffprobePath) {
    const r = await runTool(
      backend.ffprobePath,
      ['-v', 'error', '-select_streams', 'V:0', '-count_packets', '-show_entries', 'stream=nb_read_packets:format=duration', '-of', 'json', `file:${file}`],
      { signal, timeoutMs: 600_000 },
    );
    const j = JSON.parse(r.stdout || '{}') as { streams?: Array<{ nb_read_packets?: string }>; format?: { duration?: string } };
    const d = Number(j.format?.duration);
    return { frames: Number(j.streams?.[0]?.nb_read_packets ?? 0), duration: Number.isFinite(d) ? d : undefined };
  }
  const r = await runTool(backend.path, ['-hide_banner', '-nostdin', '-i', `file:${file}`, '-map', '0:V:0', '-c', 'copy', '-f', 'null', '-'], { signal });
  return { frames: parseFinalProgress(r.stderr)?.frame ?? 0 };
}

/** Presentation timestamps of a video stream, in its time base, in presentation order. */
export interface VideoTimestamps {
  timeBase: { num: number; den: number };
  pts: number[];
  /** How long the last frame lasts, in the time base, when the file says. */
  lastDuration?: number;
}

/**
 * The presentation timestamps of the first video stream, read from its packets by ffprobe (no
 * decoding) and sorted (packets come in decoding order); undefined when it cannot, or when a
 * packet has none.
 */
export async function videoTimestamps(ffprobe: string, input: string, signal?: AbortSignal): Promise<VideoTimestamps | undefined> {
  const r = await runTool(ffprobe, ['-v', 'error', '-select_streams', 'V:0', '-show_entries', 'stream=time_base:packet=pts,duration', '-of', 'compact=nk=1', `file:${input}`], {
    signal,
    timeoutMs: 600_000,
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.exitCode !== 0) return undefined;
  const pts: number[] = [];
  let timeBase: { num: number; den: number } | undefined;
  let last: { pts: number; duration: number } | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('packet|')) {
      const [, p, d] = line.split('|');
      const v = Number(p);
      if (!p || !Number.isSafeInteger(v)) return undefined;
      pts.push(v);
      const duration = Number(d);
      if (!last || v > last.pts) last = { pts: v, duration: Number.isFinite(duration) && duration > 0 ? duration : 0 };
    } else if (line.startsWith('stream|')) {
      const m = /^stream\|(\d+)\/(\d+)/.exec(line);
      if (m && Number(m[1]) > 0 && Number(m[2]) > 0) timeBase = { num: Number(m[1]), den: Number(m[2]) };
    }
  }
  if (!timeBase || pts.length === 0) return undefined;
  return { timeBase, pts: pts.sort((a, b) => a - b), ...(last?.duration ? { lastDuration: last.duration } : {}) };
}

/**
 * The same read by ffmpeg alone (for installs without ffprobe): the first video stream's packets
 * stream-copied into the framecrc muxer, which prints the time base and each packet's
 * timestamps, at the file's own times (`-copyts`).
 */
export async function videoTimestampsByFfmpeg(ffmpeg: string, input: string, signal?: AbortSignal): Promise<VideoTimestamps | undefined> {
  const r = await runTool(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-copyts', '-i', `file:${input}`, '-map', '0:V:0', '-c', 'copy', '-f', 'framecrc', '-'], {
    signal,
    timeoutMs: 600_000,
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.exitCode !== 0) return undefined;
  const tbLine = /^#tb 0: (\d+)\/(\d+)$/m.exec(r.stdout);
  if (!tbLine || !(Number(tbLine[1]) > 0) || !(Number(tbLine[2]) > 0)) return undefined;
  const pts: number[] = [];
  let last: { pts: number; duration: number } | undefined;
  for (const line of r.stdout.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    // stream, dts, pts, duration, size, checksum
    const [, , p, d] = line.split(',').map((v) => Number(v.trim()));
    if (!Number.isSafeInteger(p)) return undefined;
    pts.push(p!);
    if (!last || p! > last.pts) last = { pts: p!, duration: d! > 0 ? d! : 0 };
  }
  if (pts.length === 0) return undefined;
  return { timeBase: { num: Number(tbLine[1]), den: Number(tbLine[2]) }, pts: pts.sort((a, b) => a - b), ...(last?.duration ? { lastDuration: last.duration } : {}) };
}

/** A stream of a source file other than its main video, as ffprobe describes it. */
export interface SourceStream {
  /** Index in the file (ffmpeg's `-map 0:<index>`). */
  index: number;
  type: 'audio' | 'subtitle' | 'attachment' | 'video' | 'data';
  codec: string;
  language?: string;
  title?: string;
}

/** The streams, chapters and start times of a file, for carrying them into an encode. */
export interface SourceLayout {
  streams: SourceStream[];
  /** Index of the main video stream (the first that is not cover art). */
  videoIndex: number | undefined;
  chapters: number;
  /** Language and title of the main video stream. */
  videoTags: { language?: string; title?: string };
}

const streamSchemaTypes = new Set(['audio', 'subtitle', 'attachment', 'video', 'data']);

/** Every stream of `input` with its codec and language/title tags, and its chapter count; undefined when ffprobe cannot read it. */
export async function sourceLayout(ffprobe: string, input: string, signal?: AbortSignal): Promise<SourceLayout | undefined> {
  const r = await runTool(
    ffprobe,
    ['-v', 'error', '-show_entries', 'stream=index,codec_type,codec_name:stream_disposition=attached_pic:stream_tags=language,title,filename:chapter=id', '-of', 'json', `file:${input}`],
    { signal, timeoutMs: 60_000 },
  );
  if (r.exitCode !== 0) return undefined;
  type Raw = { index?: number; codec_type?: string; codec_name?: string; disposition?: { attached_pic?: number }; tags?: Record<string, string> };
  let j: { streams?: Raw[]; chapters?: unknown[] };
  try {
    j = JSON.parse(r.stdout || '{}') as typeof j;
  } catch {
    return undefined;
  }
  const streams: SourceStream[] = [];
  let videoIndex: number | undefined;
  let videoTags: SourceLayout['videoTags'] = {};
  for (const s of j.streams ?? []) {
    if (typeof s.index !== 'number' || !streamSchemaTypes.has(s.codec_type ?? '')) continue;
    const type = s.codec_type as SourceStream['type'];
    const tags = s.tags ?? {};
    const named = { ...(tags.language ? { language: tags.language } : {}), ...(tags.title ? { title: tags.title } : {}) };
    if (type === 'video' && videoIndex === undefined && !s.disposition?.attached_pic) {
      videoIndex = s.index;
      videoTags = named;
      continue;
    }
    streams.push({ index: s.index, type, codec: s.codec_name ?? (tags.filename ? `file ${tags.filename}` : 'unknown'), ...named });
  }
  return { streams, videoIndex, chapters: j.chapters?.length ?? 0, videoTags };
}
