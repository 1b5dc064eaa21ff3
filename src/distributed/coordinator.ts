import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { z } from 'zod';
import { chunkArgs, chunkKey } from '../encode/chunking.js';
import type { OptionValue } from '../encode/encoders.js';
import type { ChunkExecutor, ChunkOutcome, ChunkTask } from '../encode/executor.js';
import type { ProbeExecutor, ProbeOutcome, ProbeTask } from '../optimize/probe-executor.js';
import type { PreparedEncode } from '../encode/prepared.js';
import { AbortError, ScenecrfError, type ScenecrfErrorCode } from '../errors.js';
import { tempPathFor } from '../util/atomic.js';
import { CHUNK_JOB, chunkJobResultSchema, JOB_FORMAT_VERSION, parseFailureReason, PROBE_JOB, probeJobResultSchema, type ChunkJobData, type ChunkJobResult, type ProbeJobData } from './payload.js';
import { connected, connectionFor, jobOptions, silenceConnections, parseWith, queueNameSchema, redisUrlSchema } from './queue.js';

/**
 * The coordinator's side: a ChunkExecutor and ProbeExecutor that turns each chunk encode (and
 * each probe: encode + VMAF) into a BullMQ job and waits for a worker to do it. The job id is the chunk key, so a job is never queued twice: a coordinator
 * restarted after a crash finds the jobs it queued before — finished ones are taken as they are
 * (their chunk is in the work directory), running ones are waited for. Cancelling removes the
 * jobs still waiting.
 */

export const queueExecutorOptionsSchema = z
  .object({
    redis: redisUrlSchema,
    queue: queueNameSchema,
    /** Tries per job for worker faults (a crash, a lost connection); a fault of the job itself fails at once. Default 3. */
    attempts: z.number().int().min(1).max(100).default(3),
  })
  .strict();

export type QueueExecutorOptions = z.input<typeof queueExecutorOptionsSchema>;

export interface QueueExecutor extends ChunkExecutor, ProbeExecutor {
  readonly concurrency: number;
  /** Disconnects from Redis (jobs already queued stay for the workers). */
  close(): Promise<void>;
}

const KNOWN_CODES = new Set<string>([
  'INPUT_NOT_FOUND', 'INPUT_EMPTY', 'INPUT_NOT_VIDEO', 'INPUT_UNREADABLE', 'INPUT_CORRUPT', 'FFMPEG_NOT_FOUND', 'FFMPEG_FAILED',
  'UNSUPPORTED', 'INVALID_OPTIONS', 'MODEL_INVALID', 'FRAME_COUNT_MISMATCH', 'NO_SPACE', 'ABORTED',
] satisfies ScenecrfErrorCode[]);

/** A failed job as the error a local run would have thrown (same code and message). */
function jobError(reason: string): Error {
  const { code, message } = parseFailureReason(reason);
  return code && KNOWN_CODES.has(code) ? new ScenecrfError(code as ScenecrfErrorCode, message) : new Error(`worker: ${reason}`);
}

/** The job data for one chunk: validated fields only (payload.ts), nothing a worker would run as is. */
export function chunkJobData(p: PreparedEncode, task: ChunkTask): ChunkJobData {
  const { scenes: _scenes, ...head } = p.plan;
  return {
    version: JOB_FORMAT_VERSION,
    key: task.key,
    plan: { ...head, input: { ...head.input, path: p.input }, scenes: [{ startFrame: 0, endFrame: p.plan.input.frameCount, crf: task.crf, options: task.options }] },
    index: task.index,
    startFrame: task.startFrame,
    endFrame: task.endFrame,
    workDir: p.workDir,
    file: task.target.slice(p.workDir.length + 1),
    threads: p.threads,
    keyint: p.keyint,
    trim: p.firstFrameSeconds === undefined ? 'decode' : 'seek',
    via: p.tool ? 'tool' : 'ffmpeg',
  };
}

/** The job data for one probe. */
export function probeJobData(p: PreparedEncode, task: ProbeTask): ProbeJobData {
  const options = { ...p.plan.options } as Record<string, OptionValue>;
  const args = chunkArgs(p, { startFrame: task.startFrame, endFrame: task.endFrame, crf: task.crf, options });
  const { scenes: _scenes, ...head } = p.plan;
  return {
    version: JOB_FORMAT_VERSION,
    key: chunkKey(p, task.startFrame, task.endFrame, args),
    plan: { ...head, input: { ...head.input, path: p.input }, scenes: [{ startFrame: 0, endFrame: p.plan.input.frameCount, crf: task.crf }] },
    startFrame: task.startFrame,
    endFrame: task.endFrame,
    threads: p.threads,
    keyint: p.keyint,
    trim: p.firstFrameSeconds === undefined ? 'decode' : 'seek',
    via: p.tool ? 'tool' : 'ffmpeg',
    subsample: task.subsample,
    ...(task.segmentCache ? { segmentCache: task.segmentCache } : {}),
  };
}

/** Connects to the queue; pass the result as `executor` to encodePlan / optimizeEncode, and close it afterwards. */
export async function queueExecutor(options: QueueExecutorOptions): Promise<QueueExecutor> {
  const o = parseWith(queueExecutorOptionsSchema, options, 'queue options');
  const giveUp = { now: false };
  const connection = connectionFor(o.redis, giveUp);
  const queue = new Queue(o.queue, { connection });
  const events = new QueueEvents(o.queue, { connection });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  // Every job waited for adds a listener here and on the run's signal; thousands are expected.
  events.setMaxListeners(0);
  queue.setMaxListeners(0);
  // Progress of running jobs: frames done, reported by the worker every half second.
  const progress = new Map<string, (frames: number) => void>();
  events.on('progress', ({ jobId, data }) => {
    const frames = (data as { frames?: unknown } | undefined)?.frames;
    if (typeof frames === 'number') progress.get(jobId)?.(frames);
  });
  try {
    await connected(o.redis, Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), [queue, events]);
  } catch (e) {
    for (const q of [queue, events]) silenceConnections(q);
    // close() (and awaiting disconnect()) would wait for a start that never comes; disconnecting
    // stops ioredis's retries, so nothing keeps the process alive.
    giveUp.now = true;
    for (const q of [queue, events]) void q.disconnect().catch(() => undefined);
    throw e;
  }

  /** Waits for the job; rejects with AbortError when `signal` fires (after removing the job if it has not started). */
  const finished = async (job: Job, signal: AbortSignal): Promise<unknown> => {
    let onAbort: () => void = () => undefined;
    setMaxListeners(0, signal);
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new AbortError(signal.reason));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([job.waitUntilFinished(events).catch((e: Error) => Promise.reject(jobError(e.message))), aborted]);
    } catch (e) {
      // A job still waiting (or delayed for a retry) is removed; a running one is locked by its
      // worker and finishes there — its chunk is then reused by the next run.
      if (signal.aborted) await queue.remove(job.id!).catch(() => undefined);
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };

  /** Puts the chunk at `target`: the worker wrote it there, or (same key, another encode) elsewhere. */
  const place = async (result: ChunkJobResult, target: string): Promise<boolean> => {
    const here = await stat(target).catch(() => undefined);
    if (here?.isFile() && here.size === result.bytes) return true;
    if (result.file === target) return false;
    const there = await stat(result.file).catch(() => undefined);
    if (!there?.isFile() || there.size !== result.bytes) return false;
    const temp = tempPathFor(target);
    try {
      await copyFile(result.file, temp);
      await rename(temp, target);
    } finally {
      await rm(temp, { force: true });
    }
    return true;
  };

  const encodeChunk = async (p: PreparedEncode, task: ChunkTask, signal: AbortSignal, onFrames: (n: number) => void): Promise<ChunkOutcome> => {
    const data = chunkJobData(p, task);
    progress.set(task.key, onFrames);
    try {
      for (let round = 0; ; round++) {
        if (signal.aborted) throw new AbortError(signal.reason);
        // A failed job of an earlier run is not this run's failure: remove it so the chunk is tried again.
        const old = await queue.getJob(task.key);
        if (old && (await old.getState()) === 'failed') await old.remove().catch(() => undefined);
        const job = await queue.add(CHUNK_JOB, data, { ...jobOptions(o.attempts), jobId: task.key });
        const result = chunkJobResultSchema.safeParse(await finished(job, signal));
        if (result.success && (await place(result.data, task.target)))
          return { encodeSeconds: result.data.encodeSeconds, encoderVersion: result.data.encoderVersion, trim: result.data.trim };
        // Finished long ago, and its file is gone (a later run cleaned it up): encode it again.
        if (round > 0) throw new ScenecrfError('INPUT_NOT_FOUND', `the worker reported chunk ${task.index} written to ${JSON.stringify(task.target)}, but it is not there: is the work directory on storage every worker shares?`);
        await queue.remove(task.key).catch(() => undefined);
      }
    } finally {
      progress.delete(task.key);
    }
  };

  const probe = async (p: PreparedEncode, task: ProbeTask, signal: AbortSignal): Promise<ProbeOutcome> => {
    const data = probeJobData(p, task);
    // Content-keyed like a chunk: the encode's key and how it is scored.
    const jobId = `probe-${createHash('sha256').update(`${data.key}:${data.subsample}`).digest('hex')}`;
    const old = await queue.getJob(jobId);
    if (old && (await old.getState()) === 'failed') await old.remove().catch(() => undefined);
    const job = await queue.add(PROBE_JOB, data, { ...jobOptions(o.attempts), jobId });
    const result = probeJobResultSchema.parse(await finished(job, signal));
    return { bytes: result.bytes, frames: result.frames, encodeSeconds: result.encodeSeconds, cached: result.cached, vmafMean: result.vmafMean, vmafP5: result.vmafP5 };
  };

  return {
    concurrency: Infinity,
    encodeChunk,
    probe,
    close: async () => {
      await Promise.allSettled([events.close(), queue.close()]);
    },
  };
}
