/**
 * What the encode carries over from its source besides the picture: every audio, subtitle and
 * attachment stream (by stream copy, with its language and title), the chapters and the file's
 * own metadata, as ab-av1 does. Decided and checked before any encode starts: a stream the output
 * container cannot hold by copy is an UNSUPPORTED error naming it (and the way out: `--video-only`
 * or another container), except text subtitles, which are converted between the plain text
 * formats (SubRip, WebVTT, MP4 timed text) when the container takes another of them. Other video
 * streams, cover art and data streams (timecode tracks, GPS) are not carried.
 */
import os from 'node:os';
import { FfmpegError, UnsupportedError } from '../errors.js';
import { problemLines } from '../media/ffmpeg-info.js';
import { sourceLayout, type SourceStream } from '../media/native/stream-facts.js';
import { runTool } from '../media/process.js';
import type { FfmpegBackend } from '../media/types.js';

/** A source stream the final mux copies, or converts (`encoder`: an ffmpeg subtitle encoder). */
export type CarriedStream = SourceStream & { encoder?: string };

export interface CarriedStreams {
  streams: CarriedStream[];
  /** The source has chapters; they go into the output. */
  chapters: boolean;
  /** Language and title of the source's video stream, given to the encoded one. */
  videoTags: { language?: string; title?: string };
}

const CARRIED_TYPES = new Set<SourceStream['type']>(['audio', 'subtitle', 'attachment']);

/** Plain text subtitle codecs, interchangeable without losing text or basic styling. */
const TEXT_SUBTITLES = new Set(['subrip', 'mov_text', 'webvtt', 'text']);
/** The text subtitle encoder each container takes. */
const TEXT_SUBTITLE_ENCODER: Record<string, string> = { matroska: 'srt', webm: 'webvtt', mp4: 'mov_text' };

/** "audio stream #1 (opus, language fre)" */
export function describeStream(s: SourceStream): string {
  const extra = [s.codec, s.language ? `language ${s.language}` : undefined, s.title ? `"${s.title}"` : undefined].filter(Boolean).join(', ');
  return `${s.type} stream #${s.index} (${extra})`;
}

const codecArgs = (streams: readonly CarriedStream[]) =>
  streams.flatMap((s, i) => (s.encoder ? [`-c:${i}`, s.encoder] : []));

/** Output arguments of the final mux for the carried streams of input `from` (after the video, stream 0). */
export function carryArgs(c: CarriedStreams, from: number): string[] {
  return [
    ...c.streams.flatMap((s) => ['-map', `${from}:${s.index}`]),
    '-c', 'copy',
    // Output stream 0 is the video; the carried ones follow it.
    ...c.streams.flatMap((s, i) => (s.encoder ? [`-c:${i + 1}`, s.encoder] : [])),
    '-map_chapters', c.chapters ? String(from) : '-1',
    // The source's own tags (title …), but not the name of the program that wrote it.
    '-map_metadata', String(from), '-metadata', 'encoder=',
    ...(c.videoTags.language ? ['-metadata:s:v:0', `language=${c.videoTags.language}`] : []),
    ...(c.videoTags.title ? ['-metadata:s:v:0', `title=${c.videoTags.title}`] : []),
  ];
}

/** Whether `muxer` takes these streams of `input` (copied or converted) and its chapters: ffmpeg's answer, or its complaint. */
async function muxerTakes(backend: FfmpegBackend, input: string, muxer: string, streams: readonly CarriedStream[], chapters: boolean, signal?: AbortSignal): Promise<string | undefined> {
  // The muxer checks its streams when it writes the header: a zero-length mux into the null
  // device asks it without writing anything.
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'level+error', '-i', `file:${input}`,
    ...streams.flatMap((s) => ['-map', `0:${s.index}`]), '-c', 'copy', ...codecArgs(streams),
    '-map_chapters', chapters ? '0' : '-1', '-t', '0', '-f', muxer, '-y', os.devNull,
  ];
  const r = await runTool(backend.path, args, { signal, timeoutMs: 120_000 });
  if (r.exitCode === 0) return undefined;
  const lines = problemLines(r.stderr);
  const said = (lines.length ? lines : r.stderr.trim().split('\n'))
    .filter((l) => l && !/Could not write header|Error initializing output/.test(l))
    .map((l) => l.replace(/^\[[\w -]+ @ 0x[0-9a-f]+\] */, ''));
  return said.slice(0, 2).join(' ').trim() || `exit ${r.exitCode}`;
}

const WAY_OUT = 'pass --video-only (videoOnly: true in the library) to encode the video alone';

/**
 * The streams and chapters of `input` to carry into an output written by `muxer` (extension
 * `ext`), checked against the muxer; undefined when there is nothing to carry (the output is then
 * the joined video alone, as with `videoOnly`). Throws UNSUPPORTED for a stream or the chapters
 * the container cannot hold.
 */
export async function planCarry(backend: FfmpegBackend, input: string, muxer: string, ext: string, signal?: AbortSignal): Promise<CarriedStreams | undefined> {
  if (!backend.ffprobePath)
    throw new UnsupportedError(`carrying the audio, subtitles and chapters of ${JSON.stringify(input)} needs ffprobe, which was not found beside ${backend.path} or on PATH; install it, or ${WAY_OUT}`);
  const layout = await sourceLayout(backend.ffprobePath, input, signal);
  if (!layout) throw new FfmpegError([backend.ffprobePath, input], undefined, `ffprobe cannot list the streams of ${JSON.stringify(input)}`);
  const streams: CarriedStream[] = layout.streams.filter((s) => CARRIED_TYPES.has(s.type));
  const chapters = layout.chapters > 0;
  if (streams.length === 0 && !chapters) return undefined;
  const what = streams.length ? describeStream(streams[0]!) : `${layout.chapters} chapters`;
  if (muxer === 'ivf') throw new UnsupportedError(`${ext} holds one video stream and nothing else, but ${JSON.stringify(input)} has ${streams.length ? `${what}${streams.length > 1 ? ` and ${streams.length - 1} more` : ''}` : what}; use .mkv, .webm or .mp4, or ${WAY_OUT}`);
  // A text subtitle the container does not take as it is becomes its own text format.
  const textEncoder = TEXT_SUBTITLE_ENCODER[muxer];
  for (const s of streams) {
    if (s.type !== 'subtitle' || !textEncoder || !TEXT_SUBTITLES.has(s.codec)) continue;
    if (await muxerTakes(backend, input, muxer, [s], false, signal)) s.encoder = textEncoder;
  }
  if (!(await muxerTakes(backend, input, muxer, streams, chapters, signal))) return { streams, chapters, videoTags: layout.videoTags };
  // Name the first thing the container refuses.
  for (const s of streams) {
    const why = await muxerTakes(backend, input, muxer, [s], false, signal);
    if (why) throw new UnsupportedError(`${ext} cannot hold the ${describeStream(s)} of ${JSON.stringify(input)} by stream copy (ffmpeg: ${why}); use another container (.mkv takes most), or ${WAY_OUT}`);
  }
  const why = await muxerTakes(backend, input, muxer, [], chapters, signal);
  throw new UnsupportedError(`${ext} cannot hold the ${chapters && why ? 'chapters' : 'streams'} of ${JSON.stringify(input)} together (ffmpeg: ${why ?? 'refused'}); use another container (.mkv takes most), or ${WAY_OUT}`);
}
