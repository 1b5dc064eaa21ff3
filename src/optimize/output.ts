import { z } from 'zod';
import { ENCODERS } from '../core/encoders.js';
import { planSchema } from '../core/plan-file.js';
import { proxyCurveSchema } from '../core/proxy-spec.js';
import { encodeResultSchema } from '../encode/result-schema.js';
import type { OptimizeResult } from './optimize.js';

/**
 * The JSON report of an optimize run (`scenecrf optimize --json`): optimizeEncode's result without
 * the analysis (its own JSON is `scenecrf analyze --json`) and without the curves the CRFs were
 * chosen on. The published JSON Schema (schemas/optimize.schema.json, `npm run schemas`) is
 * generated from `optimizeOutputSchema`. Readers should ignore fields they do not know (see
 * analysis/result-schema.ts).
 */

export const OPTIMIZE_FORMAT = 'scenecrf-optimize';
export const OPTIMIZE_VERSION = 1;

const sceneCurveSchema = z.object({ crfs: z.array(z.number()), vmafMean: z.array(z.number()), vmafP5: z.array(z.number()), bytesPerFrame: z.array(z.number()) });

const probeRecordSchema = z.object({
  crf: z.number(),
  startFrame: z.number().int().min(0),
  endFrame: z.number().int().min(1),
  frames: z.number().int().min(1),
  vmafMean: z.number(),
  vmafP5: z.number(),
  bytes: z.number().int().min(0),
  encodeSeconds: z.number(),
  cached: z.boolean(),
  scoresCached: z.boolean().optional().describe('the VMAF scores were taken from the cache too'),
});

const plannedSceneSchema = z.object({
  index: z.number().int().min(0),
  startFrame: z.number().int().min(0),
  endFrame: z.number().int().min(1),
  crf: z.number(),
  predictedVmafMean: z.number(),
  predictedVmafP5: z.number(),
  predictedBytes: z.number(),
  reached: z.boolean(),
  complexity: z.number(),
  probes: z.array(probeRecordSchema),
  predictedCurve: sceneCurveSchema.describe("the model's prediction before any probe"),
  proxy: proxyCurveSchema.optional(),
  uncertainty: z
    .object({
      novelty: z.number().min(0),
      novel: z.boolean(),
      coverage: z.number(),
      vmafHalfWidth: z.number().min(0),
      vmafLow: z.number(),
      vmafHigh: z.number(),
      crfLow: z.number().optional(),
      crfHigh: z.number().optional(),
      source: z.enum(['calibrated', 'cross-validation', 'none']),
    })
    .describe("how sure the model's prediction is (docs/optimizer.md, \"Prediction intervals\")"),
});

const sceneValidationSchema = z.object({
  index: z.number().int().min(0),
  startFrame: z.number().int().min(0),
  endFrame: z.number().int().min(1),
  crf: z.number(),
  predictedVmaf: z.number(),
  measuredVmafMean: z.number(),
  measuredVmafP5: z.number(),
  bytes: z.number().int().min(0),
  error: z.number().optional().describe('measured statistic minus target (target mode)'),
  hit: z.boolean().optional(),
  verdict: z.enum(['hit', 'below', 'above', 'capped']).optional(),
});

export const optimizeOutputSchema = z
  .object({
    format: z.literal(OPTIMIZE_FORMAT),
    version: z.literal(OPTIMIZE_VERSION),
    planned: z.object({
      plan: planSchema,
      mode: z.enum(['target', 'budget']),
      stat: z.enum(['mean', 'p5']),
      target: z.number().optional(),
      bitrateKbps: z.number().optional(),
      scenes: z.array(plannedSceneSchema).min(1),
      predicted: z.object({ bytes: z.number(), bitrateKbps: z.number(), vmafMean: z.number(), vmafP5Min: z.number(), budgetMet: z.boolean().optional() }),
      model: z.object({ path: z.string(), encoder: z.enum(ENCODERS), preset: z.number().int(), trainedOn: z.array(z.string()), proxy: z.boolean() }),
      probeTrust: z.number().optional(),
      warnings: z.array(z.string()),
      timings: z.object({ analysisSeconds: z.number(), proxySeconds: z.number(), planSeconds: z.number(), probeSeconds: z.number() }),
    }),
    budget: z
      .object({
        budgetKbps: z.number(),
        measuredKbps: z.number(),
        ratio: z.number(),
        tolerance: z.number(),
        verdict: z.enum(['met', 'over', 'under']),
        met: z.boolean(),
        rounds: z.number().int().min(0),
        kbpsByRound: z.array(z.number()),
      })
      .optional()
      .describe('budget mode (--bitrate): the final bitrate against the budget, and each encode of the rounds'),
    plan: planSchema.describe('the plan that was finally encoded (after re-encode rounds)'),
    encode: encodeResultSchema,
    validation: z
      .object({
        scenes: z.array(sceneValidationSchema),
        hitRate: z.number().optional(),
        reachableHitRate: z.number().optional(),
        capped: z.number().int().optional(),
        tolerance: z.number(),
        vmafMean: z.number(),
        vmafP5Min: z.number(),
        rounds: z.number().int().min(0),
      })
      .optional()
      .describe('absent with --no-validate'),
  })
  .describe('scenecrf optimize --json: the plan, its predictions, the encode and the measured VMAF of each scene');

export type OptimizeOutput = z.input<typeof optimizeOutputSchema>;

/** The JSON report of an optimize run. */
export function optimizeOutput(r: OptimizeResult): OptimizeOutput {
  const { analysis: _analysis, ...planned } = r.planned;
  return {
    format: OPTIMIZE_FORMAT,
    version: OPTIMIZE_VERSION,
    planned: { ...planned, scenes: planned.scenes.map(({ curve: _curve, ...s }) => s) },
    ...(r.budget ? { budget: r.budget } : {}),
    plan: r.plan,
    encode: r.encode,
    validation: r.validation,
  };
}
