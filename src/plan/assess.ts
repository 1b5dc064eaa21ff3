import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import type { QualityStat, SceneCurve } from '../core/curve.js';
import type { ProxyCurve } from '../core/proxy-spec.js';
import { planForTarget } from './allocate.js';
import { commonCrfRange, statSchema, targetVmafSchema, validated, type PlannerScene } from './inputs.js';
import { fitCurveToProbes, probeTrustBounds, type CurveProbe } from './probes.js';

/**
 * Assessment and correction rounds: an encode's measured per-scene quality scored against the
 * target, and the one round that re-plans the scenes that missed (optimizeEncode runs it between
 * its encodes).
 */

const tolerance = z.number().finite().min(0);

/** |measured − targetVmaf| ≤ tolerance. */
export function measuredWithin(measured: number, targetVmaf: number, tolerance: number): boolean {
  return Math.abs(measured - targetVmaf) <= tolerance;
}

/**
 * 'hit' within ±tolerance; otherwise which side it missed on ('above' wastes bytes). 'capped': a
 * miss that no CRF in range can fix, because the scene is already at the bound that would move it
 * towards the target (above the target at crfMax, below it at crfMin). Slides and still frames are
 * often above any usual target even at the encoder's highest CRF.
 */
export type SceneVerdict = 'hit' | 'below' | 'above' | 'capped';

export interface SceneAssessment {
  /** The measured `stat`. */
  measured: number;
  /** measured − targetVmaf. */
  error: number;
  verdict: SceneVerdict;
}

export interface Assessment {
  scenes: SceneAssessment[];
  hits: number;
  below: number;
  above: number;
  /** Misses at the CRF bound (only counted when the CRFs and bounds were given). */
  capped: number;
  /** hits / scenes. */
  hitRate: number;
  /** hits / (scenes − capped): how often the target was met where the CRF range allowed it
   * (undefined when every scene is capped). */
  reachableHitRate: number | undefined;
}

/** The CRF a scene was encoded at and the range it was allowed. */
export interface SceneCrfLimits {
  crf: number;
  crfMin: number;
  crfMax: number;
}

/** Scores an encode's measured per-scene quality against the target it was planned for. */
export function assessScenes(
  measured: ReadonlyArray<{ vmafMean: number; vmafP5: number }>,
  targetVmaf: number,
  stat: QualityStat,
  tol: number,
  /** Per scene, to tell misses at a CRF bound ('capped') from misses a CRF could fix. */
  limits?: ReadonlyArray<SceneCrfLimits>,
): Assessment {
  validated(statSchema, stat, 'stat');
  validated(targetVmafSchema, targetVmaf, 'targetVmaf');
  validated(tolerance, tol, 'tolerance');
  if (!Array.isArray(measured) || measured.length === 0) throw new InvalidOptionsError('measurements', 'at least one scene is needed');
  if (limits !== undefined && limits.length !== measured.length) {
    throw new InvalidOptionsError('limits', `need one per scene (${measured.length} scenes, ${limits.length} limits)`);
  }
  const scenes = measured.map((m, i): SceneAssessment => {
    const value = stat === 'p5' ? m?.vmafP5 : m?.vmafMean;
    if (!Number.isFinite(value)) throw new InvalidOptionsError('measurements', `scene ${i}: ${stat === 'p5' ? 'vmafP5' : 'vmafMean'} is ${value}`);
    const error = value - targetVmaf;
    if (measuredWithin(value, targetVmaf, tol)) return { measured: value, error, verdict: 'hit' };
    const l = limits?.[i];
    const capped = l !== undefined && (error > 0 ? l.crf >= l.crfMax : l.crf <= l.crfMin);
    return { measured: value, error, verdict: capped ? 'capped' : error < 0 ? 'below' : 'above' };
  });
  const count = (v: SceneVerdict) => scenes.filter((s) => s.verdict === v).length;
  const hits = count('hit');
  const capped = count('capped');
  return {
    scenes,
    hits,
    below: count('below'),
    above: count('above'),
    capped,
    hitRate: hits / scenes.length,
    reachableHitRate: scenes.length > capped ? hits / (scenes.length - capped) : undefined,
  };
}

/** Per scene, the CRF it was encoded at and the range it was allowed: crfMin..crfMax narrowed to the CRFs every curve covers. */
export function sceneCrfLimits(scenes: readonly PlannerScene[], crfs: readonly number[], bounds: { crfMin?: number; crfMax?: number }): SceneCrfLimits[] {
  const { lo, hi } = commonCrfRange(scenes, bounds.crfMin, bounds.crfMax);
  if (!Array.isArray(crfs) || crfs.length !== scenes.length) throw new InvalidOptionsError('CRFs', `need one per scene (${scenes.length} scenes, ${crfs?.length} CRFs)`);
  return crfs.map((crf, i) => {
    const r = scenes[i]!.curve.crfs;
    if (!(Number.isInteger(crf) && crf >= r[0]! && crf <= r[r.length - 1]!)) throw new InvalidOptionsError('CRFs', `scene ${i}: CRF ${crf} is not a CRF of its curve (${r[0]}..${r[r.length - 1]})`);
    return { crf, crfMin: lo, crfMax: hi };
  });
}

/** A scene's measured quality (and size) as encoded. */
export interface SceneMeasurement {
  vmafMean: number;
  vmafP5: number;
  bytesPerFrame?: number;
}

/** A scene of an encode as a correction round sees it: `curve` is the curve its CRF was chosen on. */
export interface MeasuredScene extends PlannerScene {
  /**
   * The model's curve before any measurement (default `curve`). A miss is refitted from it
   * through all of the scene's measurements, not shifted from `curve`, so that two measurements
   * at different CRFs replace the predicted slope (fitCurveToProbes).
   */
  predictedCurve?: SceneCurve;
  /** The scene's earlier measurements: its probes and earlier rounds (default none). */
  measurements?: readonly CurveProbe[];
  /** The scene's proxy curve, when the model uses them: the slope the refit starts from. */
  proxy?: ProxyCurve;
}

export interface CorrectMissesOptions {
  targetVmaf: number;
  stat: QualityStat;
  tolerance: number;
  crfMin?: number;
  crfMax?: number;
  /**
   * Keep a re-planned CRF within this many CRF of every CRF the scene was measured at
   * (probeTrustBounds), for the reason probes are kept there. Default: no trust region.
   */
  probeTrust?: number;
}

export interface SceneCorrection {
  verdict: SceneVerdict;
  /** The CRF the measurement was taken at. */
  previousCrf: number;
  /** The CRF to use next (previousCrf for hits). */
  crf: number;
  /** Misses: the corrected curve reaches the target at `crf` (false: even crfMin misses it). Hits: true; capped: false. */
  reached: boolean;
}

export interface MissCorrection {
  crfs: number[];
  /** Missed scenes: the refitted curve `crf` was chosen on (feed it to the next round). Hits and capped: the input curve. */
  curves: SceneCurve[];
  /** Per scene, its measurements with this round's added (feed them to the next round). */
  measurements: CurveProbe[][];
  scenes: SceneCorrection[];
  /** Scenes whose CRF changed: the next re-encode round. Empty = nothing left to try. */
  reencode: number[];
}

const correctMissesSchema = z
  .object({
    targetVmaf: targetVmafSchema,
    stat: statSchema,
    tolerance,
    crfMin: z.number().int().optional(),
    crfMax: z.number().int().optional(),
    probeTrust: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * One re-encode round, the one optimizeEncode runs between its encodes: each scene that missed
 * the target by more than the tolerance gets its curve refitted through every measurement of it
 * (fitCurveToProbes, with its proxy curve when given) and is re-planned to the highest CRF that
 * meets the target on that curve, within its probe trust region. A miss whose CRF comes out
 * unchanged (CRF granularity, or the trust region) is reported but not re-encoded; a capped miss
 * is not re-planned at all. No maxCrfJump here: it would move hits.
 */
export function correctMisses(
  scenes: readonly MeasuredScene[],
  crfs: readonly number[],
  measured: readonly SceneMeasurement[],
  options: CorrectMissesOptions,
): MissCorrection {
  const o = validated(correctMissesSchema, options, 'correctMisses options');
  const limits = sceneCrfLimits(scenes, crfs, o);
  if (!Array.isArray(measured) || measured.length !== scenes.length)
    throw new InvalidOptionsError('measurements', `need one per scene (${scenes.length} scenes, ${measured?.length} measurements)`);
  const assessment = assessScenes(measured, o.targetVmaf, o.stat, o.tolerance, limits);
  const out: MissCorrection = { crfs: [], curves: [], measurements: [], scenes: [], reencode: [] };
  scenes.forEach((s, i) => {
    const verdict = assessment.scenes[i]!.verdict;
    const previousCrf = crfs[i]!;
    const m = measured[i]!;
    // Every scene's measurement joins its history, also when this round did not re-encode the
    // scene: its unchanged score then weighs once more in a later refit. optimizeEncode has
    // always fitted its rounds this way; keeping it keeps its CRFs.
    const history = [...(s.measurements ?? []), { crf: previousCrf, vmafMean: m.vmafMean, vmafP5: m.vmafP5, ...(m.bytesPerFrame !== undefined ? { bytesPerFrame: m.bytesPerFrame } : {}) }];
    let next = { crf: previousCrf, reached: verdict === 'hit', curve: s.curve };
    // Capped: already at the bound the correction would move towards; nothing to re-plan.
    if (verdict === 'below' || verdict === 'above') {
      const curve = fitCurveToProbes(s.predictedCurve ?? s.curve, history, { proxy: s.proxy });
      const sceneBounds = o.probeTrust === undefined ? {} : { sceneBounds: [probeTrustBounds(history.map((p) => p.crf), o.probeTrust)] };
      const planned = planForTarget([{ frames: s.frames, curve }], { targetVmaf: o.targetVmaf, stat: o.stat, crfMin: o.crfMin, crfMax: o.crfMax, ...sceneBounds }).scenes[0]!;
      next = { crf: planned.crf, reached: planned.reached, curve };
      if (next.crf !== previousCrf) out.reencode.push(i);
    }
    out.crfs.push(next.crf);
    out.curves.push(next.curve);
    out.measurements.push(history);
    out.scenes.push({ verdict, previousCrf, crf: next.crf, reached: next.reached });
  });
  return out;
}
