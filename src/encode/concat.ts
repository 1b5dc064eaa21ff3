/**
 * Joining the chunks. Chunks are IVF files (AV1 and VP9 both fit). The final file is the concat
 * demuxer with `-c copy` (no re-encoding) into the container the output extension names (.mkv,
 * .webm, .mp4 with a track timescale that is a multiple of the frame rate, .ivf), written to a
 * temporary name, checked with ffprobe (packet count = the plan's frame count, duration within
 * half a frame), then renamed over the output. When the input's frames are not evenly spaced, or
 * its audio, subtitles and chapters are carried over, the joined video is an intermediate IVF
 * (with the input's timestamps: ivf-join.ts) and a second stream-copy mux writes the output.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegError, NoSpaceError, stderrSaysNoSpace, throwIfAborted } from '../errors.js';
import { countOutput, type VideoTimestamps } from '../media/native/stream-facts.js';
import { runTool } from '../media/process.js';
import { tempPathFor, writeFileAtomic } from '../util/atomic.js';
import { carryArgs } from './carry.js';
import { COMMON_OUT } from './encode-chunk.js';
import { joinIvfWithTimestamps } from './ivf-join.js';
import type { PreparedEncode } from './prepared.js';
import { streamTagArgs } from './stream-tags.js';

/** Bitexact muxing (no version strings), for byte-identical reruns. */
const BITEXACT = ['-fflags', '+bitexact', '-flags', '+bitexact'];

const MUXERS: Record<string, { muxer: string; codecs: ReadonlyArray<'av1' | 'vp9'> }> = {
  '.mkv': { muxer: 'matroska', codecs: ['av1', 'vp9'] },
  '.webm': { muxer: 'webm', codecs: ['av1', 'vp9'] },
  '.mp4': { muxer: 'mp4', codecs: ['av1', 'vp9'] },
  '.ivf': { muxer: 'ivf', codecs: ['av1', 'vp9'] },
};

/** The muxer for an output extension (lower case, with the dot) and the codecs it takes; undefined when unsupported. */
export function outputContainer(ext: string): { muxer: string; codecs: ReadonlyArray<'av1' | 'vp9'> } | undefined {
  return MUXERS[ext];
}

/**
 * Joins the chunk files (names inside the work directory, in order) losslessly into `p.output`,
 * through a temporary name that is renamed only after the joined file has the plan's frame count
 * (and duration). The video alone, at regenerated constant-rate timestamps, is one concat; with
 * unevenly spaced input frames (`p.unevenTimestamps`) or streams to carry (`p.carry`) the joined
 * video goes to the work directory first (`joined.ivf`) and a second mux writes the output.
 */
export async function concatChunks(p: PreparedEncode, files: readonly string[], signal?: AbortSignal): Promise<void> {
  if (!p.unevenTimestamps && !p.carry) {
    await concatInto(p, files, p.output, p.muxer, streamTagArgs(p.sampleAspectRatio, p.colour, p.plan.input.width, p.plan.input.height), signal);
    return;
  }
  throwIfAborted(signal);
  const joined = path.join(p.workDir, 'joined.ivf');
  try {
    // Evenly spaced frames get the regenerated timestamps, in a time base fine enough (the MP4
    // one below) that the shift to the input's first frame time (-itsoffset) is not rounded to a
    // whole frame.
    const ts = p.unevenTimestamps && p.timestamps ? p.timestamps : evenTimestamps(p);
    await joinIvfWithTimestamps(files.map((f) => path.join(p.workDir, f)), joined, ts);
    await muxFinal(p, joined, signal);
  } finally {
    await rm(joined, { force: true });
  }
}

/** Ticks per second of an evenly spaced output: a multiple of the frame rate's numerator, at least 10 000. */
const evenTimescale = (num: number) => num * Math.max(1, Math.ceil(10_000 / num));

/** The plan's constant-rate timestamps, frame i at i/fps, in the time base 1/evenTimescale. */
function evenTimestamps(p: PreparedEncode): VideoTimestamps {
  const { num, den } = p.plan.input.frameRate;
  const scale = evenTimescale(num);
  const step = (scale / num) * den;
  return { timeBase: { num: 1, den: scale }, pts: Array.from({ length: p.plan.input.frameCount }, (_, i) => i * step) };
}

/** How long the input's last frame lasts over the interval before it: 1 at a constant rate. */
function lastFrameRatio(p: PreparedEncode): number {
  const ts = p.timestamps;
  if (!p.unevenTimestamps || !ts || ts.pts.length < 2) return 1;
  const interval = ts.pts[ts.pts.length - 1]! - ts.pts[ts.pts.length - 2]!;
  const fps = p.plan.input.frameRate.num / p.plan.input.frameRate.den;
  const last = ts.lastDuration ?? Math.round(ts.timeBase.den / ts.timeBase.num / fps);
  return interval > 0 ? last / interval : 1;
}

/** Concatenates the chunks with the concat demuxer into `target` (`muxer`), checked, atomically. */
async function concatInto(p: PreparedEncode, files: readonly string[], target: string, muxer: string, tags: string[], signal?: AbortSignal): Promise<void> {
  const { num } = p.plan.input.frameRate;
  const fps = num / p.plan.input.frameRate.den;
  const total = p.plan.input.frameCount;
  throwIfAborted(signal);
  const list = path.join(p.workDir, 'concat.txt');
  await writeFileAtomic(list, files.map((f) => `file '${f}'\n`).join(''));
  const timescale = muxer === 'mp4' ? ['-video_track_timescale', String(evenTimescale(num))] : [];
  const concatArgs = (tmpOut: string) =>
    ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+error', '-f', 'concat', '-i', list, '-map', '0:V:0', '-c', 'copy', ...COMMON_OUT, ...timescale, ...tags, '-f', muxer, '-y', tmpOut];
  const durationWrong = (check: { duration?: number }) =>
    check.duration !== undefined && Math.abs(check.duration - total / fps) > 0.5 / fps + 0.002
      ? `concatenated output lasts ${check.duration}s, expected ${(total / fps).toFixed(4)}s`
      : undefined;
  await writeCheckedOutput(p, target, 'joining the chunks', 'concatenated output', signal, concatArgs, durationWrong);
}

/**
 * Runs ffmpeg with `argsFor(tmpOut)` writing a temporary name beside `target`, checks that the
 * result has every frame of the plan (and passes `extraCheck`, which returns what is wrong), then
 * renames it into place; the temporary file is removed on any failure. `doing` and `what` name
 * the step and its file in errors.
 */
async function writeCheckedOutput(
  p: PreparedEncode,
  target: string,
  doing: string,
  what: string,
  signal: AbortSignal | undefined,
  argsFor: (tmpOut: string) => string[],
  extraCheck: (check: { frames: number; duration?: number }) => string | undefined = () => undefined,
): Promise<void> {
  const total = p.plan.input.frameCount;
  const tmpOut = tempPathFor(target);
  const args = argsFor(tmpOut);
  try {
    const r = await runTool(p.backend.path, args, { signal });
    // A full disk fails the muxer's writes, yet ffmpeg 5.1 still exits 0 with a short file: its
    // stderr is the only place that says why, so read it before blaming the frame count.
    if (stderrSaysNoSpace(r.stderr))
      throw new NoSpaceError(p.output, `${doing}; the finished chunks stay in ${JSON.stringify(p.workDir)}: free some space and rerun to finish`);
    if (r.exitCode !== 0) throw new FfmpegError(args, r.exitCode, r.stderr);
    const check = await countOutput(p.backend, tmpOut, signal);
    if (check.frames !== total) throw new FfmpegError(args, 0, `${what} has ${check.frames} frames, expected ${total}`);
    const wrong = extraCheck(check);
    if (wrong !== undefined) throw new FfmpegError(args, 0, wrong);
    await rename(tmpOut, target);
  } catch (e) {
    await rm(tmpOut, { force: true });
    throw e;
  }
}

/**
 * Writes the output from the joined video (`joined`, checked) and, with `p.carry`, the input's
 * other streams, chapters and metadata, then renames it into place after counting its frames.
 * Timestamps are kept as they are (`-copyts`), the video shifted to the input's first frame time,
 * so that every frame and every carried packet keeps its place on the input's timeline.
 */
async function muxFinal(p: PreparedEncode, joined: string, signal?: AbortSignal): Promise<void> {
  const { num } = p.plan.input.frameRate;
  const tb = p.unevenTimestamps ? p.timestamps?.timeBase : undefined;
  const timescale =
    p.muxer !== 'mp4' ? [] : ['-video_track_timescale', String(tb ? (tb.num === 1 ? tb.den : 90_000) : evenTimescale(num))];
  const offset = p.videoStartSeconds !== 0 ? ['-itsoffset', p.videoStartSeconds.toFixed(6)] : [];
  await writeCheckedOutput(p, p.output, 'writing the output', 'the output', signal, (tmpOut) => [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+error', '-copyts',
    ...offset, '-i', `file:${joined}`,
    ...(p.carry ? ['-i', `file:${p.input}`] : []),
    '-map', '0:V:0',
    // IVF has no frame durations: give the last frame the input's (its other frames last until
    // the next one), so that the output lasts as long as the input. The filter sees the packets in
    // the muxer's time base, which it does not name, so the duration is the last frame interval
    // scaled.
    '-bsf:v', `setts=duration=if(eq(NEXT_PTS\\,NOPTS)*gt(N\\,0)\\,round((PTS-PREV_INPTS)*${lastFrameRatio(p).toFixed(9)})\\,DURATION)`,
    ...(p.carry ? [...carryArgs(p.carry, 1), ...BITEXACT] : ['-c', 'copy', ...COMMON_OUT]),
    ...timescale,
    ...streamTagArgs(p.sampleAspectRatio, p.colour, p.plan.input.width, p.plan.input.height),
    '-f', p.muxer, '-y', tmpOut,
  ]);
}
