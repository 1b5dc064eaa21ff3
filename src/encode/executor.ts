import { rename } from 'node:fs/promises';
import { tempPathFor } from '../util/atomic.js';
import { encodeCut } from './encode-chunk.js';
import { encoderVersionFromLog, type OptionValue } from './encoders.js';
import type { PreparedEncode } from './prepared.js';

/**
 * The seam between a chunked encode and where its chunks are encoded. `encodePlan` hands each
 * pending chunk to a `ChunkExecutor` and does everything else itself (manifest, progress, concat):
 * the default executor encodes in this process (`localChunkExecutor`, run `jobs` at a time by
 * pool.ts); the distributed one (src/distributed) sends the chunk to a job queue and waits for a
 * worker on another machine to write it. Either way the chunk's bytes depend only on its key.
 */

/** One chunk to encode: frames [startFrame, endFrame) of the prepared input at `crf`. */
export interface ChunkTask {
  /** The chunk key (chunking.ts): everything that determines the bytes; equal keys, equal encodes. */
  key: string;
  index: number;
  startFrame: number;
  endFrame: number;
  crf: number;
  /** The scene's encoder options merged over the plan's. */
  options: Record<string, OptionValue>;
  /** The encoder arguments chunkArgs built from the above. */
  args: string[];
  /** Where the chunk must be, complete, when the task resolves (written atomically). */
  target: string;
}

export interface ChunkOutcome {
  /** Wall seconds of the encode where it ran (undefined: the caller times it). */
  encodeSeconds?: number;
  encoderVersion: string;
  /** How the frames were cut (see encode-chunk.ts). */
  trim: 'seek' | 'decode';
}

export interface ChunkExecutor {
  /** Chunks handed over at once (default: the encode's `jobs`). A queue takes them all. */
  readonly concurrency?: number;
  /** Encodes the task into `task.target`; `onFrames` reports frames done of a running encode. */
  encodeChunk(p: PreparedEncode, task: ChunkTask, signal: AbortSignal, onFrames: (frames: number) => void): Promise<ChunkOutcome>;
}

/** The version string a chunk's encoder reported (the standalone program's, or ffmpeg's library's). */
export function chunkEncoderVersion(p: PreparedEncode, log: string): string {
  return p.tool ? p.tool.version : (encoderVersionFromLog(p.adapter, log) ?? p.backend.version);
}

/**
 * Encodes one chunk in this process: into a temporary name beside `target` (or `temp`), renamed
 * over it when complete. Also what a queue worker runs for a job.
 */
export async function encodeChunkHere(
  p: PreparedEncode,
  task: ChunkTask,
  signal: AbortSignal,
  onFrames: (frames: number) => void,
  temp: string = tempPathFor(task.target),
): Promise<ChunkOutcome> {
  const t = performance.now();
  const { out, mode } = await encodeCut(p, task, temp, signal, onFrames);
  await rename(temp, task.target);
  return { encodeSeconds: (performance.now() - t) / 1000, encoderVersion: chunkEncoderVersion(p, out.log), trim: mode };
}

/** The default: chunks encoded by this process, `jobs` at a time. */
export const localChunkExecutor: ChunkExecutor = {
  encodeChunk: (p, task, signal, onFrames) => encodeChunkHere(p, task, signal, onFrames),
};
