/**
 * Encoding one chunk: frames [S, E) of the input through the encoder into an IVF file.
 *
 * Frame-exact cutting: a chunk [S, E) is cut from the decoded input, never from packets. For
 * constant-frame-rate input (the default, `trim: 'auto'`) ffmpeg seeks on the input side to about
 * a second before frame S (`-noaccurate_seek -ss`, lands on the keyframe before that point), keeps
 * the original timestamps (`-copyts`) and cuts with `trim=start=..:end=..` at the half-frame
 * midpoints t0 + (S-0.5)/fps and t0 + (E-0.5)/fps, where t0 is the first frame's timestamp. Each
 * chunk therefore decodes only from the keyframe before it, not from the start of the file (which
 * would make a whole encode O(n²) in decoding). Every chunk's encoded frame count is checked; a
 * chunk that came out short or long (irregular timestamps, a demuxer that seeks imprecisely) is
 * redone with `trim: 'decode'`: decode from frame 0 and `trim=start_frame=S:end_frame=E`, exact
 * for any input. Input whose frames are not evenly spaced (variable frame rate) is cut the same
 * way at the midpoints of its own frame timestamps, read before the encode (prepared.ts).
 *
 * Timestamps are regenerated from the plan's frame rate (`settb=1/fps,setpts=N`, `-r fps`), so
 * each chunk is a clean CFR stream starting at 0 and the concat demuxer lays them end to end (the
 * join puts the source's timestamps back when they differ: ivf-join.ts). Only the first video
 * stream is encoded; the final mux carries the audio, subtitles and chapters over (carry.ts).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { AbortError, CorruptInputError, FfmpegError, NoSpaceError, stderrSaysNoSpace } from '../errors.js';
import { announceCommand } from '../util/command-log.js';
import { seekCut, seekCutBetween } from '../media/cut.js';
import { problemLines } from '../media/ffmpeg-info.js';
import { countOutput, type VideoTimestamps } from '../media/native/stream-facts.js';
import { TOOL_OUT } from './chunking.js';
import type { PreparedEncode } from './prepared.js';

/** A seek cut of frames [start, end) of a stream whose frames are not evenly spaced, at the midpoints of its own timestamps. */
function timestampCut(ts: VideoTimestamps, start: number, end: number, t0: number) {
  const sec = (pts: number) => (pts * ts.timeBase.num) / ts.timeBase.den;
  const mid = (i: number) => (sec(ts.pts[i - 1]!) + sec(ts.pts[i]!)) / 2;
  return seekCutBetween(mid(start), end < ts.pts.length ? mid(end) : sec(ts.pts[end - 1]!) + 1, t0);
}

/** The ffmpeg input-and-filter arguments that produce frames [start, end) with fresh CFR timestamps. */
function cutArgs(p: PreparedEncode, start: number, end: number, mode: 'seek' | 'decode'): string[] {
  const { num, den } = p.plan.input.frameRate;
  const retime = `settb=${den}/${num},setpts=N`;
  if (mode === 'seek' && start > 0 && p.firstFrameSeconds !== undefined) {
    const cut = p.unevenTimestamps && p.timestamps ? timestampCut(p.timestamps, start, end, p.firstFrameSeconds) : seekCut(start, end, { num, den }, p.firstFrameSeconds);
    return [...cut.inputArgs, '-i', `file:${p.input}`, '-map', '0:V:0', '-vf', `${cut.trim},${retime}`];
  }
  return ['-i', `file:${p.input}`, '-map', '0:V:0', '-vf', `trim=start_frame=${start}:end_frame=${end},${retime}`];
}

/** Output options of every chunk and of the joined file: video only, no metadata, bitexact. */
export const COMMON_OUT = ['-an', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1', '-fflags', '+bitexact', '-flags', '+bitexact'];

export interface RunOutput {
  frames: number;
  log: string;
}

/**
 * Runs one ffmpeg encode (progress on stderr via `-progress pipe:2`), or ffmpeg piping Y4M into
 * a standalone encoder; reports `frame=` progress; throws AbortError or FfmpegError.
 */
async function runEncode(
  ffmpeg: string,
  args: string[],
  signal: AbortSignal,
  onFrames: (n: number) => void,
  output: string,
  tool?: { path: string; args: string[] },
): Promise<RunOutput> {
  if (signal.aborted) throw new AbortError(signal.reason);
  announceCommand({ file: ffmpeg, args }, ...(tool ? [{ file: tool.path, args: tool.args }] : []));
  const child = execa(ffmpeg, args, { reject: false, stdin: 'ignore', buffer: false, cancelSignal: signal, encoding: 'utf8' });
  let toolLog = '';
  const encoder = tool ? execa(tool.path, tool.args, { reject: false, stdin: 'pipe', stdout: 'ignore', buffer: false, cancelSignal: signal, encoding: 'utf8' }) : undefined;
  if (encoder) {
    // A dead encoder closes the pipe; ffmpeg then fails with EPIPE, reported below.
    encoder.stdin!.on('error', () => undefined);
    child.stdout!.pipe(encoder.stdin!);
    encoder.stderr?.on('data', (d: Buffer | string) => {
      toolLog = (toolLog + String(d)).slice(-32_768);
    });
  }
  let head = '';
  let tail = '';
  child.stderr?.on('data', (d: Buffer | string) => {
    const t = String(d);
    if (head.length < 32_768) head += t;
    else tail = (tail + t).slice(-32_768);
  });
  let frames = 0;
  let pending = '';
  child.stderr?.on('data', (d: Buffer | string) => {
    pending += String(d);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^frame=(\d+)/.exec(l);
      if (m) {
        frames = Number(m[1]);
        onFrames(frames);
      }
    }
  });
  const [r, e] = await Promise.all([child, encoder]);
  const log = tail ? `${head}\n${tail}` : head;
  if (r.isCanceled || e?.isCanceled || signal.aborted) throw new AbortError(signal.reason);
  // A full disk shows only as a write error on stderr (ffmpeg may still exit 0 with too few
  // frames, which would be blamed on the input): name the directory instead.
  if (stderrSaysNoSpace(log) || stderrSaysNoSpace(toolLog)) throw new NoSpaceError(path.dirname(output), 'encoding a chunk');
  if (e && e.exitCode !== 0) throw new FfmpegError([tool!.path, ...tool!.args], e.exitCode, `${path.basename(tool!.path)}: ${toolLog.slice(-2000)}`);
  if (r.exitCode !== 0) {
    const problems = problemLines(log);
    throw new FfmpegError(args, r.exitCode, problems.length ? problems.join('\n') : log.slice(-2000));
  }
  return { frames, log: `${log}\n${toolLog}` };
}

export interface CutResult {
  out: RunOutput;
  mode: 'seek' | 'decode';
}

/**
 * Encodes frames [startFrame, endFrame) of the prepared input with one chunk's arguments into
 * `tmp` (an IVF file), checking the frame count; a seek that lands on the wrong frames (timestamps
 * off the nominal rate) is retried by decoding from the start. Removes `tmp` on failure.
 */
export async function encodeCut(
  p: PreparedEncode,
  c: { index: number; startFrame: number; endFrame: number; args: string[] },
  tmp: string,
  signal: AbortSignal,
  onFrames: (n: number) => void,
): Promise<CutResult> {
  const { num, den } = p.plan.input.frameRate;
  const frames = c.endFrame - c.startFrame;
  let mode: 'seek' | 'decode' = p.firstFrameSeconds !== undefined && c.startFrame > 0 ? 'seek' : 'decode';
  for (;;) {
    const head = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', '-progress', 'pipe:2', ...cutArgs(p, c.startFrame, c.endFrame, mode), '-r', `${num}/${den}`, '-vsync', 'passthrough'];
    // Y4M carries the frame rate and bit depth to the standalone encoder (10-bit Y4M needs -strict -1).
    const args = p.tool
      ? [...head, '-pix_fmt', p.plan.bitDepth === 10 ? 'yuv420p10le' : 'yuv420p', '-strict', '-1', ...COMMON_OUT, '-f', 'yuv4mpegpipe', 'pipe:1']
      : [...head, ...c.args, ...COMMON_OUT, '-f', 'ivf', '-y', tmp];
    const tool = p.tool ? { path: p.tool.path, args: c.args.slice(2).map((a) => (a === TOOL_OUT ? tmp : a)) } : undefined;
    let out: RunOutput;
    try {
      out = await runEncode(p.backend.path, args, signal, onFrames, tmp, tool);
      // The standalone encoder must have written every frame it was given.
      if (tool && out.frames === frames) out.frames = (await countOutput(p.backend, tmp, signal)).frames;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    if (out.frames === frames) return { out, mode };
    await rm(tmp, { force: true });
    if (mode === 'seek') {
      mode = 'decode'; // timestamps did not match the nominal rate here: cut by frame number
      continue;
    }
    throw new CorruptInputError(p.input, `scene ${c.index} (frames ${c.startFrame}..${c.endFrame - 1}) decoded to ${out.frames} frames, expected ${frames}`);
  }
}
