import path from 'node:path';
import { z } from 'zod';
import { parsePlan, type EncodePlan } from '../core/plan-file.js';
import { describeIssues, InvalidOptionsError } from '../errors.js';

/**
 * What travels through the queue. A job's data is plain, validated fields — never a command line:
 * the worker parses them here (the plan through the project's own plan schema, which checks the
 * encoder, preset, CRF range and every encoder option) and builds the ffmpeg arguments itself
 * from them, exactly as a local encode would (chunking.ts). Anything else is refused before
 * anything runs.
 */

export const JOB_FORMAT_VERSION = 1;

/** Job names in the queue. */
export const CHUNK_JOB = 'chunk';
export const PROBE_JOB = 'probe';

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => path.isAbsolute(p) && path.normalize(p) === p && !p.includes('\0'), { message: 'expected a normalized absolute path' });

/** A chunk encode: frames [startFrame, endFrame) of the plan's input, into `<workDir>/<file>`. */
export const chunkJobSchema = z
  .object({
    version: z.literal(JOB_FORMAT_VERSION),
    /** The chunk key the coordinator computed; the worker recomputes it and refuses a mismatch. */
    key: z.string().regex(/^[0-9a-f]{64}$/),
    /**
     * The plan's encoder, preset, bit depth, options and input, with one scene covering the whole
     * input at the chunk's CRF and options (a plan file must cover every frame), validated with
     * the plan schema.
     */
    plan: z.unknown(),
    index: z.number().int().min(0),
    startFrame: z.number().int().min(0),
    endFrame: z.number().int().min(1),
    workDir: absolutePath,
    file: z.string().regex(/^chunk-[0-9]{5,}\.ivf$/),
    threads: z.number().int().min(1).max(256),
    /** Maximum keyframe interval in frames. */
    keyint: z.number().int().min(1).max(100_000),
    trim: z.enum(['seek', 'decode']),
    via: z.enum(['ffmpeg', 'tool']),
  })
  .strict();

export type ChunkJobData = z.infer<typeof chunkJobSchema>;

/**
 * A probe: frames [startFrame, endFrame) encoded as their chunk would be and scored with the
 * builtin VMAF against the input. The encode goes to the worker's own scratch space (and, with
 * `segmentCache`, into that shared cache, where the final encode finds it).
 */
export const probeJobSchema = chunkJobSchema
  .omit({ index: true, workDir: true, file: true })
  .extend({
    subsample: z.number().int().min(1).max(1000),
    segmentCache: absolutePath.optional(),
  })
  .strict();

export type ProbeJobData = z.infer<typeof probeJobSchema>;

export interface ParsedProbeJob extends Omit<ProbeJobData, 'plan'> {
  plan: EncodePlan;
  crf: number;
  options: Record<string, string | number | boolean>;
}

/** Validates a probe job's data; throws InvalidOptionsError naming every problem. */
export function parseProbeJob(data: unknown): ParsedProbeJob {
  const r = probeJobSchema.safeParse(data);
  if (!r.success) throw new InvalidOptionsError('job payload', describeIssues(r.error.issues, 'job'));
  return { ...r.data, ...checkedPlan(r.data.plan, r.data.startFrame, r.data.endFrame) };
}

/** The probe's measurement, as a worker returns it. */
export const probeJobResultSchema = z
  .object({
    bytes: z.number().int().min(0),
    frames: z.number().int().min(1),
    encodeSeconds: z.number().min(0),
    cached: z.boolean(),
    vmafMean: z.number(),
    vmafP5: z.number(),
    worker: z.string(),
  })
  .strict();

export type ProbeJobResult = z.infer<typeof probeJobResultSchema>;

/** The job's plan through the plan schema, with the frame range checked against it. */
function checkedPlan(planIn: unknown, startFrame: number, endFrame: number): { plan: EncodePlan; crf: number; options: Record<string, string | number | boolean> } {
  const plan = parsePlan(planIn, 'job payload plan');
  if (plan.scenes.length !== 1) throw new InvalidOptionsError('job payload plan', `expected one scene, got ${plan.scenes.length}`);
  if (!path.isAbsolute(plan.input.path) || path.normalize(plan.input.path) !== plan.input.path)
    throw new InvalidOptionsError('job payload plan', `input.path must be a normalized absolute path, got ${JSON.stringify(plan.input.path)}`);
  if (endFrame <= startFrame || endFrame > plan.input.frameCount)
    throw new InvalidOptionsError('job payload', `frames ${startFrame}..${endFrame} are not a range of the input's ${plan.input.frameCount} frames`);
  const scene = plan.scenes[0]!;
  return { plan, crf: scene.crf, options: { ...plan.options, ...(scene.options ?? {}) } };
}

export interface ParsedChunkJob extends Omit<ChunkJobData, 'plan'> {
  plan: EncodePlan;
  /** The chunk's CRF and its (merged) encoder options, from the plan's one scene. */
  crf: number;
  options: Record<string, string | number | boolean>;
}

/** Validates a chunk job's data; throws InvalidOptionsError naming every problem. */
export function parseChunkJob(data: unknown): ParsedChunkJob {
  const r = chunkJobSchema.safeParse(data);
  if (!r.success) throw new InvalidOptionsError('job payload', describeIssues(r.error.issues, 'job'));
  return { ...r.data, ...checkedPlan(r.data.plan, r.data.startFrame, r.data.endFrame) };
}

/** What a worker returns for a finished chunk job. */
export const chunkJobResultSchema = z
  .object({
    /** Where the chunk was written (the payload's work directory and file). */
    file: z.string(),
    bytes: z.number().int().min(0),
    encodeSeconds: z.number().min(0),
    encoderVersion: z.string(),
    trim: z.enum(['seek', 'decode']),
    /** host:pid of the worker, for logs. */
    worker: z.string(),
  })
  .strict();

export type ChunkJobResult = z.infer<typeof chunkJobResultSchema>;

/**
 * A job's failure reason as the coordinator receives it: `CODE: message` for a ScenecrfError (so the
 * run fails with the same code as a local run), the bare message otherwise.
 */
export function failureReason(code: string | undefined, message: string): string {
  return code ? `${code}: ${message}` : message;
}

export function parseFailureReason(reason: string): { code?: string; message: string } {
  const m = /^([A-Z][A-Z_]+): ([\s\S]*)$/.exec(reason);
  return m ? { code: m[1]!, message: m[2]! } : { message: reason };
}
