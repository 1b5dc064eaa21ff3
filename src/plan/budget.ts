import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import type { QualityStat, SceneCurve } from '../core/curve.js';
import { planForBudget } from './allocate.js';
import type { MeasuredScene, SceneMeasurement } from './assess.js';
import { statSchema, validated } from './inputs.js';
import { fitCurveToProbes, type CurveProbe } from './probes.js';

/**
 * Budget mode's check and correction, the budget counterpart of assessScenes / correctMisses: an
 * encode's measured bitrate against the budget, and the round that re-allocates every scene's CRF
 * on curves refitted through what each scene measured (its size above all), so that the next
 * encode lands on the budget. Pure and synchronous.
 */

/**
 * The default tolerance of a bitrate budget: the encode meets it when it is at most 5% above;
 * more than 5% below is reported as 'under' (within budget, but quality left unbought) and a
 * correction round spends it.
 */
export const DEFAULT_BUDGET_TOLERANCE = 0.05;

/** 'met' within ±tolerance of the budget; 'over' above it (a miss); 'under' below it. */
export type BudgetVerdict = 'met' | 'over' | 'under';

export interface BudgetAssessment {
  budgetKbps: number;
  measuredKbps: number;
  /** measuredKbps / budgetKbps. */
  ratio: number;
  /** Relative: 0.05 = ±5%. */
  tolerance: number;
  verdict: BudgetVerdict;
  /** The budget is kept: at most `tolerance` above it ('met' or 'under'). */
  met: boolean;
}

const toleranceSchema = z.number().finite().min(0).max(1);
const kbps = z.number().positive().finite();

/** The measured bitrate of an encode against its budget. */
export function assessBudget(measuredKbps: number, budgetKbps: number, tolerance: number = DEFAULT_BUDGET_TOLERANCE): BudgetAssessment {
  validated(kbps, measuredKbps, 'measured bitrate');
  validated(kbps, budgetKbps, 'budget');
  validated(toleranceSchema, tolerance, 'budget tolerance');
  const ratio = measuredKbps / budgetKbps;
  // A hair of slack so that a ratio computed as 1.0500000001 from exactly 5% counts as within.
  const eps = 1e-9;
  const verdict: BudgetVerdict = ratio > 1 + tolerance + eps ? 'over' : ratio < 1 - tolerance - eps ? 'under' : 'met';
  return { budgetKbps, measuredKbps, ratio, tolerance, verdict, met: verdict !== 'over' };
}

export interface CorrectBudgetOptions {
  /** The byte budget of the whole output (budgetBytes of the bitrate). */
  budgetBytes: number;
  /**
   * Bytes of the output that are not the scenes' chunks (container, index): the output's size
   * minus the chunks' sizes as measured. The scenes get the budget minus this. Default 0.
   */
  overheadBytes?: number;
  stat: QualityStat;
  crfMin?: number;
  crfMax?: number;
  maxCrfJump?: number;
}

export interface BudgetCorrection {
  crfs: number[];
  /** Every scene's curve refitted through all of its measurements (feed them to the next round). */
  curves: SceneCurve[];
  /** Per scene, its measurements with this round's added. */
  measurements: CurveProbe[][];
  /** Scenes whose CRF changed: the next re-encode round. Empty = nothing left to try. */
  reencode: number[];
  /** Predicted bytes of the scenes at `crfs` on the refitted curves. */
  predictedBytes: number;
  /** False when even crfMax everywhere is predicted to exceed the budget. */
  budgetMet: boolean;
}

const correctBudgetSchema = z
  .object({
    budgetBytes: z.number().positive().finite(),
    overheadBytes: z.number().finite().min(0).optional(),
    stat: statSchema,
    crfMin: z.number().int().optional(),
    crfMax: z.number().int().optional(),
    maxCrfJump: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * One budget correction round: every scene's curve is refitted through all of its measurements
 * (fitCurveToProbes: one measurement scales its size curve by the measured factor and shifts its
 * quality; two at different CRFs also replace the predicted slopes by the measured ones), then the
 * budget is allocated again on the refitted curves by planForBudget (equal slope: the bytes go
 * where they buy the most quality). A scene's measurement needs `bytesPerFrame`.
 */
export function correctBudget(
  scenes: readonly MeasuredScene[],
  crfs: readonly number[],
  measured: readonly SceneMeasurement[],
  options: CorrectBudgetOptions,
): BudgetCorrection {
  const o = validated(correctBudgetSchema, options, 'correctBudget options');
  if (!Array.isArray(scenes) || scenes.length === 0) throw new InvalidOptionsError('scenes', 'at least one scene is needed');
  if (!Array.isArray(crfs) || crfs.length !== scenes.length) throw new InvalidOptionsError('CRFs', `need one per scene (${scenes.length} scenes, ${crfs?.length} CRFs)`);
  if (!Array.isArray(measured) || measured.length !== scenes.length)
    throw new InvalidOptionsError('measurements', `need one per scene (${scenes.length} scenes, ${measured?.length} measurements)`);
  const measurements = scenes.map((s, i) => {
    const m = measured[i]!;
    if (!(m && m.bytesPerFrame !== undefined && m.bytesPerFrame > 0 && Number.isFinite(m.bytesPerFrame)))
      throw new InvalidOptionsError('measurements', `scene ${i}: bytesPerFrame is ${m?.bytesPerFrame}`);
    return [...(s.measurements ?? []), { crf: crfs[i]!, vmafMean: m.vmafMean, vmafP5: m.vmafP5, bytesPerFrame: m.bytesPerFrame }];
  });
  const curves = scenes.map((s, i) => fitCurveToProbes(s.predictedCurve ?? s.curve, measurements[i]!, { proxy: s.proxy }));
  const sceneBudget = o.budgetBytes - (o.overheadBytes ?? 0);
  if (!(sceneBudget > 0)) throw new InvalidOptionsError('budget', `the container alone (${o.overheadBytes} bytes) uses the whole budget (${o.budgetBytes} bytes)`);
  const plan = planForBudget(
    scenes.map((s, i) => ({ frames: s.frames, curve: curves[i]! })),
    { bytes: sceneBudget, stat: o.stat, crfMin: o.crfMin, crfMax: o.crfMax, maxCrfJump: o.maxCrfJump },
  );
  return {
    crfs: plan.crfs,
    curves,
    measurements,
    reencode: plan.crfs.flatMap((c, i) => (c !== crfs[i] ? [i] : [])),
    predictedBytes: plan.predicted.bytes,
    budgetMet: plan.budgetMet,
  };
}
