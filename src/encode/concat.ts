/**
 * Joining the chunks. Chunks are IVF files (AV1 and VP9 both fit). The final file is the concat
 * demuxer with `-c copy` (no re-encoding) into the container the output extension names (.mkv,
 * .webm, .mp4 with a track timescale that is a multiple of the frame rate, .ivf), written to a
 * temporary name, checked with ffprobe (packet count = the plan's frame count, duration within
 * half a frame), then renamed over the output.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegError, NoSpaceError, stderrSaysNoSpace, throwIfAborted } from '../errors.js';
import { countOutput } from '../media/native/stream-facts.js';
import { runTool } from '../media/process.js';
import { tempPathFor, writeFileAtomic } from '../util/atomic.js';
import { COMMON_OUT } from './encode-chunk.js';
import type { PreparedEncode } from './prepared.js';
import { streamTagArgs } from './stream-tags.js';

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
 * and duration.
 */
export async function concatChunks(p: PreparedEncode, files: readonly string[], signal?: AbortSignal): Promise<void> {
  const { num } = p.plan.input.frameRate;
  const fps = num / p.plan.input.frameRate.den;
  const total = p.plan.input.frameCount;
  throwIfAborted(signal);
  const list = path.join(p.workDir, 'concat.txt');
  await writeFileAtomic(list, files.map((f) => `file '${f}'\n`).join(''));
  const tmpOut = tempPathFor(p.output);
  const timescale = p.muxer === 'mp4' ? ['-video_track_timescale', String(num * Math.max(1, Math.ceil(10_000 / num)))] : [];
  const concatArgs = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+error', '-f', 'concat', '-i', list, '-map', '0:V:0', '-c', 'copy', ...COMMON_OUT, ...timescale, ...streamTagArgs(p.sampleAspectRatio, p.colour, p.plan.input.width, p.plan.input.height), '-f', p.muxer, '-y', tmpOut];
  try {
    const r = await runTool(p.backend.path, concatArgs, { signal });
    // A full disk fails the muxer's writes, yet ffmpeg 5.1 still exits 0 with a short file: its
    // stderr is the only place that says why, so read it before blaming the frame count.
    if (stderrSaysNoSpace(r.stderr))
      throw new NoSpaceError(p.output, `joining the chunks; the finished chunks stay in ${JSON.stringify(p.workDir)}: free some space and rerun to finish`);
    if (r.exitCode !== 0) throw new FfmpegError(concatArgs, r.exitCode, r.stderr);
    const check = await countOutput(p.backend, tmpOut, signal);
    if (check.frames !== total) throw new FfmpegError(concatArgs, 0, `concatenated output has ${check.frames} frames, expected ${total}`);
    if (check.duration !== undefined && Math.abs(check.duration - total / fps) > 0.5 / fps + 0.002)
      throw new FfmpegError(concatArgs, 0, `concatenated output lasts ${check.duration}s, expected ${(total / fps).toFixed(4)}s`);
    await rename(tmpOut, p.output);
  } catch (e) {
    await rm(tmpOut, { force: true });
    throw e;
  }
}
