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
