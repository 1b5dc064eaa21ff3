import { z } from 'zod';
import { ANALYSIS_FORMAT } from '../analysis/result-schema.js';
import { describeIssues, InvalidOptionsError } from '../errors.js';
import { OPTIMIZE_FORMAT } from '../optimize/output.js';
import { QUALITY_FORMAT } from '../quality/report-schema.js';

/**
 * The fields of scenecrf's JSON results that the report reads, and nothing more: every object
 * passes its other fields through (the scene table shows every number a scene has), while a file
 * that lacks what the report needs fails with one InvalidOptionsError listing the problems.
 */

const num = z.number().finite();
const frame = z.number().int().min(0);
const stats = z.object({ mean: num }).passthrough();

const span = { startFrame: frame, endFrame: z.number().int().min(1) };

const rate = z.object({ num: z.number().positive(), den: z.number().positive() }).passthrough();

export const analysisSceneSchema = z
  .object({
    ...span,
    startKind: z.string(),
    transition: z.object(span).passthrough().optional(),
    complexity: z
      .object({ score: num, si: stats, ti: stats, motion: stats })
      .passthrough(),
  })
  .passthrough();

export const analysisFrameSchema = z.object({ index: frame, si: num, ti: num, motion: num }).passthrough();

export const analysisResultSchema = z
  .object({
    video: z
      .object({
        path: z.string(),
        container: z.string(),
        codec: z.string(),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        pixFmt: z.string(),
        bitDepth: z.number().int(),
        frameRate: rate,
        fps: z.number().positive(),
        frameCount: z.number().int().positive(),
        durationSeconds: num,
        variableFrameRate: z.boolean().optional(),
      })
      .passthrough(),
    backend: z.object({ source: z.string(), kind: z.string(), path: z.string(), version: z.string() }).passthrough(),
    analysis: z.object({ width: z.number().int(), height: z.number().int(), bitDepth: z.number().int(), framesAnalyzed: z.number().int(), elapsedSeconds: num, fps: num }).passthrough(),
    scenes: z.array(analysisSceneSchema).min(1),
    shotBoundaries: z.array(z.object({ frame, kind: z.string() }).passthrough()).default([]),
    warnings: z.array(z.string()).default([]),
    frames: z.array(analysisFrameSchema).optional(),
  })
  .passthrough();

const pooled = z.object({ mean: num, p5: num, min: num, frames: z.number().int() }).passthrough();

export const qualityReportSchema = z
  .object({
    reference: z.string(),
    distorted: z.string(),
    metric: z.enum(['vmaf', 'psnr', 'ssim', 'xpsnr']),
    backend: z.string(),
    backendNote: z.string().optional(),
    model: z.string().optional(),
    ffmpeg: z.object({ source: z.string(), path: z.string(), version: z.string() }).passthrough(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    frameCount: z.number().int().positive(),
    subsample: z.number().int().min(1),
    // PSNR of identical frames is capped at 100 by the measurement; JSON has no Infinity anyway.
    frames: z.array(z.object({ index: frame, score: z.number() }).passthrough()),
    pooled,
    scenes: z.array(z.object({ ...span, score: pooled }).passthrough()).optional(),
    elapsedSeconds: num,
  })
  .passthrough();

export const planSceneSchema = z.object({ ...span, crf: num }).passthrough();

export const planJsonSchema = z
  .object({
    format: z.literal('scenecrf-plan'),
    version: z.number().int(),
    input: z
      .object({
        path: z.string(),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        frameCount: z.number().int().positive(),
        frameRate: rate,
        bitDepth: z.number().int().optional(),
      })
      .passthrough(),
    encoder: z.string(),
    preset: z.number().int(),
    bitDepth: z.number().int().optional(),
    options: z.record(z.unknown()).optional(),
    scenes: z.array(planSceneSchema).min(1),
  })
  .passthrough();

export const predictedSceneSchema = z
  .object({
    ...span,
    crf: num,
    predictedVmafMean: num,
    predictedVmafP5: num,
    predictedBytes: num,
    reached: z.boolean().optional(),
    complexity: num.optional(),
    probes: z.array(z.object({ crf: num, vmafMean: num, vmafP5: num }).passthrough()).default([]),
  })
  .passthrough();

/** planEncode's result (the API's; the CLI's optimize report has it without `analysis`). */
export const plannedSchema = z
  .object({
    plan: planJsonSchema,
    mode: z.enum(['target', 'budget']),
    stat: z.enum(['mean', 'p5']),
    target: num.optional(),
    bitrateKbps: num.optional(),
    scenes: z.array(predictedSceneSchema).min(1),
    predicted: z.object({ bytes: num, bitrateKbps: num, vmafMean: num, vmafP5Min: num, budgetMet: z.boolean().optional() }).passthrough(),
    model: z.object({ path: z.string(), encoder: z.string(), preset: z.number().int(), proxy: z.boolean().optional() }).passthrough(),
    probeTrust: num.optional(),
    warnings: z.array(z.string()).default([]),
    analysis: analysisResultSchema.optional(),
    timings: z.record(num).optional(),
  })
  .passthrough();

export const optimizeResultSchema = z
  .object({
    planned: plannedSchema,
    budget: z.object({ verdict: z.enum(['met', 'over', 'under']), ratio: num, tolerance: num, met: z.boolean() }).passthrough().optional(),
    plan: planJsonSchema,
    encode: z
      .object({
        output: z.string(),
        encoder: z.string(),
        frames: z.number().int(),
        bytes: num,
        durationSeconds: num,
        bitrateKbps: num,
        chunks: z.array(z.object({ ...span, crf: num, bytes: num, encodeSeconds: num.optional(), reused: z.boolean().optional() }).passthrough()),
        encodedChunks: z.number().int().optional(),
        reusedChunks: z.number().int().optional(),
        elapsedSeconds: num,
        ffmpeg: z.object({ version: z.string() }).passthrough().optional(),
      })
      .passthrough(),
    validation: z
      .object({
        scenes: z.array(
          z
            .object({
              ...span,
              crf: num,
              predictedVmaf: num,
              measuredVmafMean: num,
              measuredVmafP5: num,
              bytes: num,
              error: num.optional(),
              hit: z.boolean().optional(),
              verdict: z.enum(['hit', 'below', 'above', 'capped']).optional(),
            })
            .passthrough(),
        ),
        hitRate: num.optional(),
        reachableHitRate: num.optional(),
        capped: z.number().int().optional(),
        tolerance: num,
        vmafMean: num,
        vmafP5Min: num,
        rounds: z.number().int(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export type ReportAnalysis = z.output<typeof analysisResultSchema>;
export type ReportQuality = z.output<typeof qualityReportSchema>;
export type ReportPlanJson = z.output<typeof planJsonSchema>;
export type ReportPlanned = z.output<typeof plannedSchema>;
export type ReportOptimize = z.output<typeof optimizeResultSchema>;

/** Which scenecrf result a JSON value is. `plan` covers both the plan file and planEncode's result. */
export type ReportKind = 'analyze' | 'quality' | 'plan' | 'optimize';

export type ReportInput =
  | { kind: 'analyze'; data: ReportAnalysis }
  | { kind: 'quality'; data: ReportQuality }
  | { kind: 'plan'; data: ReportPlanJson; planned?: undefined }
  | { kind: 'plan'; data: ReportPlanJson; planned: ReportPlanned }
  | { kind: 'optimize'; data: ReportOptimize };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The kind of result a JSON value looks like, from the keys that tell them apart, or undefined.
 * It does not validate: `parseReportInput` does.
 */
export function detectReportKind(json: unknown): ReportKind | undefined {
  if (!isObject(json)) return undefined;
  // Results name their format; those written before the field existed are told apart by their keys.
  if (json.format === ANALYSIS_FORMAT) return 'analyze';
  if (json.format === QUALITY_FORMAT) return 'quality';
  if (json.format === OPTIMIZE_FORMAT) return 'optimize';
  if ('planned' in json && 'encode' in json) return 'optimize';
  if (json.format === 'scenecrf-plan') return 'plan';
  if ('plan' in json && 'mode' in json && 'predicted' in json) return 'plan';
  if ('reference' in json && 'distorted' in json && 'pooled' in json) return 'quality';
  if ('video' in json && 'analysis' in json && 'scenes' in json) return 'analyze';
  return undefined;
}

function parseWith<T extends z.ZodTypeAny>(schema: T, json: unknown, what: string): z.output<T> {
  const r = schema.safeParse(json);
  if (!r.success) throw new InvalidOptionsError(`report input (${what})`, describeIssues(r.error.issues, 'result', 8));
  return r.data;
}

/** Detects and validates a result for the report; InvalidOptionsError says what is wrong. */
export function parseReportInput(json: unknown): ReportInput {
  const kind = detectReportKind(json);
  switch (kind) {
    case 'analyze':
      return { kind, data: parseWith(analysisResultSchema, json, 'analyze result') };
    case 'quality':
      return { kind, data: parseWith(qualityReportSchema, json, 'quality report') };
    case 'optimize':
      return { kind, data: parseWith(optimizeResultSchema, json, 'optimize report') };
    case 'plan': {
      if ((json as Record<string, unknown>).format === 'scenecrf-plan') return { kind, data: parseWith(planJsonSchema, json, 'plan') };
      const planned = parseWith(plannedSchema, json, 'planEncode result');
      return { kind, data: planned.plan, planned };
    }
    default:
      throw new InvalidOptionsError(
        'report input',
        isObject(json)
          ? `not a scenecrf analyze, quality, plan or optimize result (top-level keys: ${Object.keys(json).slice(0, 12).join(', ') || 'none'})`
          : `expected a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`,
      );
  }
}
