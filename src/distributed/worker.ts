import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import { chunkArgs, chunkKey } from '../encode/chunking.js';
import { prepareEncode } from '../encode/chunked.js';
import { encodeCut } from '../encode/encode-chunk.js';
import { chunkEncoderVersion } from '../encode/executor.js';
import type { PreparedEncode } from '../encode/prepared.js';
import { ScenecrfError, type ScenecrfErrorCode } from '../errors.js';
import { probeHere } from '../optimize/probe-executor.js';
import { CHUNK_JOB, failureReason, parseChunkJob, parseProbeJob, PROBE_JOB, type ChunkJobResult, type ParsedChunkJob, type ParsedProbeJob, type ProbeJobResult } from './payload.js';
import { connected, connectionFor, parseWith, silenceConnections, queueNameSchema, redisUrlSchema } from './queue.js';
import { sharedFsStorage, type JobStorage } from './storage.js';

/**
 * A queue worker: takes chunk jobs from the BullMQ queue and encodes them into the shared work
 * directory, and probe jobs (an encode scored with the builtin VMAF, in its own scratch space). It trusts nothing in a job: the data is validated (payload.ts), every path must be
 * inside its storage root, the ffmpeg arguments are built here from the validated fields, and the
 * chunk key is recomputed from what this machine would encode — a worker whose ffmpeg, encoder
 * settings or view of the input differ from the coordinator's refuses the job rather than write
 * different bytes under the same key.
 */

export const workerOptionsSchema = z
  .object({
    /** `redis://…` or `rediss://…` (TLS). */
    redis: redisUrlSchema,
    /** Queue name (default "scenecrf"); coordinator and workers must agree. */
    queue: queueNameSchema,
    /** Jobs run at once by this worker (default 1; a chunk encode uses `threads` cores itself). */
    concurrency: z.number().int().min(1).max(256).default(1),
    /** Shared storage root: jobs may only name files under it (default the current directory). */
    root: z.string().min(1).optional(),
    ffmpegPath: z.string().min(1).optional(),
    /** The standalone encoder program for jobs encoded `via: 'tool'` (default: found on PATH). */
    toolPath: z.string().min(1).optional(),
    /**
     * BullMQ's lock and stall check, in ms (defaults 30000 and 30000): a job whose worker died is
     * given to another worker between lockDuration and lockDuration + stalledInterval later.
     */
    lockDurationMs: z.number().int().min(100).optional(),
    stalledIntervalMs: z.number().int().min(100).optional(),
  })
  .strict();

export type WorkerOptions = z.input<typeof workerOptionsSchema>;

export interface WorkerEvent {
  type: 'start' | 'done' | 'failed';
  jobId: string;
  /** Chunk index and frames, when the job's data was valid. */
  chunk?: { index: number; startFrame: number; endFrame: number; crf: number };
  /** 'failed': the reason, as the coordinator sees it. */
  reason?: string;
  /** 'failed': true when the job is not retried (a fault of the job, not of this worker). */
  final?: boolean;
}

export interface WorkerControl {
  /** One event per job started, finished or failed (the CLI prints them). */
  onEvent?: (e: WorkerEvent) => void;
  /** Shared storage other than a filesystem path (default: `sharedFsStorage(root)`). */
  storage?: JobStorage;
}

export interface RunningWorker {
  /** Stops taking jobs, lets the running ones finish, then disconnects. */
  close(): Promise<void>;
  /** Resolves when BullMQ has connected and the worker is taking jobs. */
  ready: Promise<void>;
}

/**
 * Failures that are the job's own (its input, its settings): retrying elsewhere cannot help, so
 * they fail the job at once. Everything else (a missing mount, a full disk, ffmpeg missing on this
 * machine, a crash) is the worker's fault, and the job's attempts let another worker try.
 */
const FINAL_CODES: ReadonlySet<ScenecrfErrorCode> = new Set(['INPUT_EMPTY', 'INPUT_NOT_VIDEO', 'INPUT_CORRUPT', 'FFMPEG_FAILED', 'UNSUPPORTED', 'INVALID_OPTIONS', 'FRAME_COUNT_MISMATCH']);

/** Fault of this worker, not of the job: retried by the queue. */
class WorkerFault extends ScenecrfError {}

const PROGRESS_EVERY_MS = 500;
const PREPARED_CACHE = 8;

export function startWorker(options: WorkerOptions, control: WorkerControl = {}): RunningWorker {
  const o = parseWith(workerOptionsSchema, options, 'worker options');
  const storage = control.storage ?? sharedFsStorage(o.root ?? process.cwd());
  const name = `${os.hostname()}:${process.pid}`;
  // prepareEncode probes the input (ffprobe): once per input and settings, not once per chunk.
  const prepared = new Map<string, Promise<PreparedEncode>>();
  const prepare = async (job: ParsedChunkJob | ParsedProbeJob, input: string, workDir: string): Promise<PreparedEncode> => {
    const id = JSON.stringify([job.plan.input, job.plan.encoder, job.plan.preset, job.plan.bitDepth, input, workDir, job.threads, job.keyint, job.trim, job.via]);
    let p = prepared.get(id);
    if (!p) {
      const { num, den } = job.plan.input.frameRate;
      p = prepareEncode(job.plan, {
        input,
        output: path.join(workDir, '.scenecrf-worker-check.mkv'),
        workDir,
        threads: job.threads,
        keyintSeconds: (job.keyint * den) / num,
        trim: job.trim,
        via: job.via,
        toolPath: o.toolPath,
        ffmpegPath: o.ffmpegPath,
      });
      prepared.set(id, p);
      p.catch(() => prepared.delete(id));
      if (prepared.size > PREPARED_CACHE) prepared.delete(prepared.keys().next().value!);
    }
    return p;
  };

  /** The encoder arguments this machine builds for the job, refused unless they give the coordinator's key. */
  const sameEncode = (p: PreparedEncode, c: ParsedChunkJob | ParsedProbeJob): string[] => {
    if (p.keyint !== c.keyint) throw new WorkerFault('INVALID_OPTIONS', `keyframe interval ${c.keyint} frames cannot be reproduced here (got ${p.keyint})`);
    const args = chunkArgs(p, { startFrame: c.startFrame, endFrame: c.endFrame, crf: c.crf, options: c.options });
    if (chunkKey(p, c.startFrame, c.endFrame, args) !== c.key)
      throw new WorkerFault(
        'INVALID_OPTIONS',
        `this worker would encode different bytes than the coordinator expects (chunk key mismatch): check that its ffmpeg (${p.backend.version}) and encoder are the coordinator's, and that it sees the same input file (size ${p.inputStat.bytes}, mtime ${p.inputStat.mtimeMs})`,
      );
    return args;
  };

  // Probe encodes are scratch files: they go to this machine's temporary directory.
  const scratch = path.join(os.tmpdir(), `scenecrf-worker-${process.pid}`);
  const probeJob = async (job: Job, signal: AbortSignal): Promise<ProbeJobResult> => {
    const c = parseProbeJob(job.data);
    control.onEvent?.({ type: 'start', jobId: job.id!, chunk: { index: -1, startFrame: c.startFrame, endFrame: c.endFrame, crf: c.crf } });
    const input = await storage.readable(c.plan.input.path);
    if (c.segmentCache) await storage.size(c.segmentCache); // inside the root, or refused
    await mkdir(scratch, { recursive: true });
    const p = await prepare(c, input, scratch);
    sameEncode(p, c);
    const file = path.join(scratch, `probe-${randomBytes(6).toString('hex')}.ivf`);
    const m = await probeHere(p, { startFrame: c.startFrame, endFrame: c.endFrame, crf: c.crf, subsample: c.subsample, file, segmentCache: c.segmentCache }, signal, o.ffmpegPath);
    return { ...m, worker: name };
  };

  const encodeJob = async (job: Job, signal: AbortSignal): Promise<ChunkJobResult> => {
    const t = performance.now();
    const c = parseChunkJob(job.data);
    control.onEvent?.({ type: 'start', jobId: job.id!, chunk: { index: c.index, startFrame: c.startFrame, endFrame: c.endFrame, crf: c.crf } });
    const target = path.join(c.workDir, c.file);
    // Both paths are checked against the storage root before anything reads the input.
    const input = await storage.readable(c.plan.input.path);
    await storage.size(target);
    const p = await prepare(c, input, c.workDir);
    const args = sameEncode(p, c);
    let last = 0;
    const onFrames = (frames: number) => {
      const now = performance.now();
      if (now - last < PROGRESS_EVERY_MS) return;
      last = now;
      job.updateProgress({ frames }).catch(() => undefined);
    };
    const cut = await storage.writeAtomically(target, (temp) => encodeCut(p, { index: c.index, startFrame: c.startFrame, endFrame: c.endFrame, args }, temp, signal, onFrames));
    return {
      file: target,
      bytes: (await storage.size(target)) ?? 0,
      encodeSeconds: (performance.now() - t) / 1000,
      encoderVersion: chunkEncoderVersion(p, cut.out.log),
      trim: cut.mode,
      worker: name,
    };
  };

  const giveUp = { now: false };
  const worker = new Worker(
    o.queue,
    async (job: Job, _token?: string, bullSignal?: AbortSignal) => {
      const controller = new AbortController();
      bullSignal?.addEventListener('abort', () => controller.abort(bullSignal.reason), { once: true });
      try {
        if (job.name !== CHUNK_JOB && job.name !== PROBE_JOB) throw new ScenecrfError('INVALID_OPTIONS', `unknown job type ${JSON.stringify(job.name)}`);
        const result = job.name === CHUNK_JOB ? await encodeJob(job, controller.signal) : await probeJob(job, controller.signal);
        control.onEvent?.({ type: 'done', jobId: job.id! });
        return result;
      } catch (e) {
        const final = e instanceof ScenecrfError && !(e instanceof WorkerFault) && FINAL_CODES.has(e.code);
        const reason = e instanceof ScenecrfError ? failureReason(e.code, e.message) : e instanceof Error ? e.message : String(e);
        control.onEvent?.({ type: 'failed', jobId: job.id!, reason, final });
        throw final ? new UnrecoverableError(reason) : new Error(reason);
      }
    },
    {
      connection: connectionFor(o.redis, giveUp),
      concurrency: o.concurrency,
      ...(o.lockDurationMs !== undefined ? { lockDuration: o.lockDurationMs } : {}),
      ...(o.stalledIntervalMs !== undefined ? { stalledInterval: o.stalledIntervalMs } : {}),
      maxStalledCount: 2,
    },
  );
  // Connection errors are retried by ioredis; without a listener Node would throw them.
  worker.on('error', () => undefined);
  const ready = connected(o.redis, worker.waitUntilReady(), [worker]).catch(async (e: unknown) => {
    giveUp.now = true;
    silenceConnections(worker);
    void worker.close(true).catch(() => undefined);
    throw e;
  });
  ready.catch(() => undefined); // a caller that never awaits `ready` must not crash the process
  return {
    ready,
    close: async () => {
      await worker.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
