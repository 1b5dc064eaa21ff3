import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { curveQuality, type QualityStat, type SceneCurve } from '../core/curve.js';
import { commonCrfRange, statSchema, targetVmafSchema, validated, type PlannerScene, type SceneCrfBounds } from './inputs.js';

/**
 * Allocation: per-scene CRFs on predicted rate–quality curves, either to hit a VMAF target in
 * every scene or to spend a byte budget where it buys the most quality. Pure and synchronous so
 * every decision can be checked against brute force on plain arrays.
 */

/** Options both planners share. */
export interface PlanCommonOptions {
  /** Which statistic the target / the optimisation refers to. */
  stat: QualityStat;
  /** Lowest / highest CRF to choose (default: the curves' range; clamped to the CRFs every curve covers). */
  crfMin?: number;
  crfMax?: number;
  /** Largest |crf_i − crf_{i+1}| between neighbouring scenes (avoids visible quality pumping at cuts). */
  maxCrfJump?: number;
  /** Frames per second, only to report the predicted bitrate. */
  fps?: number;
}

export interface TargetPlanOptions extends PlanCommonOptions {
  /** Quality (of `stat`) each scene must reach, 1..100 (targetVmafSchema). */
  targetVmaf: number;
  /**
   * Per-scene CRF bounds (one entry per scene), within crfMin..crfMax; for example the trust
   * region around a scene's probes (`probeTrustBounds`). Bounds outside the global range are
   * clamped to it.
   */
  sceneBounds?: ReadonlyArray<SceneCrfBounds>;
}

export interface BudgetPlanOptions extends PlanCommonOptions {
  /** Total byte budget for all scenes (see `budgetBytes` for a bitrate). */
  bytes: number;
}

export interface PlannedScene {
  crf: number;
  /**
   * Target mode: the predicted `stat` at `crf` meets the target (false only when even crfMin misses
   * it). Budget mode: the budget is met (the same for every scene).
   */
  reached: boolean;
  /** Predicted value of the planned statistic (`stat`) at `crf`. */
  predictedVmaf: number;
  predictedVmafMean: number;
  predictedVmafP5: number;
  /** bytesPerFrame(crf) · frames. */
  predictedBytes: number;
}

/** Whole-plan prediction. Scene statistics are frame-weighted, as an encode of the whole video would pool them. */
export interface PlanPrediction {
  frames: number;
  bytes: number;
  /** kbit/s; only when `fps` was given. */
  bitrateKbps?: number;
  /** Frame-weighted mean of the planned statistic: what the budget planner maximises. */
  quality: number;
  /** Frame-weighted mean of the scenes' mean VMAF (= the predicted mean VMAF over all frames). */
  vmafMean: number;
  /** Worst scene's mean VMAF. */
  vmafMeanMin: number;
  /** Frame-weighted mean of the scenes' 5th percentiles (not the 5th percentile over all frames). */
  vmafP5Mean: number;
  /** Worst scene's 5th percentile. */
  vmafP5Min: number;
}

/**
 * What both planners return. `mode` tells which fields of the other mode are absent; planForTarget
 * and planForBudget return the narrowed TargetPlan / BudgetPlan.
 */
export interface PlanResult {
  mode: 'target' | 'budget';
  stat: QualityStat;
  crfs: number[];
  scenes: PlannedScene[];
  predicted: PlanPrediction;
  /** How many scenes the maxCrfJump limit moved to a lower CRF than planned without it. */
  jumpLimited: number;
  /** Target mode: every scene reaches the target. */
  allReached?: boolean;
  /** Budget mode: the budget in bytes. */
  budgetBytes?: number;
  /** Budget mode: false only when even crfMax everywhere exceeds the budget (the plan is then crfMax everywhere). */
  budgetMet?: boolean;
  /**
   * Budget mode: the equal slope (frames·VMAF per byte) at which the Lagrangian sweep stopped, i.e.
   * the marginal value of a byte. 0 when the budget buys crfMin everywhere, Infinity when not met.
   */
  lambda?: number;
  /**
   * Budget mode: upper bound on how much `predicted.quality` an optimal choice of CRFs (same
   * budget, bounds and jump limit) could exceed this plan by, from the convex (LP) relaxation.
   * 0 = provably optimal.
   */
  optimalityGap?: number;
}

export interface TargetPlan extends PlanResult {
  mode: 'target';
  allReached: boolean;
}

export interface BudgetPlan extends PlanResult {
  mode: 'budget';
  budgetBytes: number;
  budgetMet: boolean;
  lambda: number;
  optimalityGap: number;
}

const boundsShape = {
  stat: statSchema,
  crfMin: z.number().int().optional(),
  crfMax: z.number().int().optional(),
  maxCrfJump: z.number().int().min(0).optional(),
  fps: z.number().positive().finite().optional(),
};
const sceneBoundsSchema = z.array(
  z
    .object({ crfMin: z.number().int().optional(), crfMax: z.number().int().optional() })
    .strict()
    .refine((b) => b.crfMin === undefined || b.crfMax === undefined || b.crfMin <= b.crfMax, 'crfMin is above crfMax'),
);
const targetSchema = z.object({ ...boundsShape, targetVmaf: targetVmafSchema, sceneBounds: sceneBoundsSchema.optional() }).strict();
const budgetSchema = z.object({ ...boundsShape, bytes: z.number().positive().finite() }).strict();

const at = (curve: SceneCurve, values: readonly number[], crf: number): number => values[crf - curve.crfs[0]];

/**
 * Enforces |crf_i − crf_{i+1}| ≤ maxJump by only lowering CRFs (lowering never loses quality, so
 * targets stay met): crf_i becomes min_j(crf_j + maxJump·|i − j|), the largest values that satisfy
 * the limit without exceeding the input anywhere.
 */
export function limitCrfJumps(crfs: readonly number[], maxJump: number): number[] {
  validated(z.number().int().min(0), maxJump, 'maxCrfJump');
  const out = crfs.slice();
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 1; i < out.length; i++)
      if (out[i] > out[i - 1] + maxJump) {
        out[i] = out[i - 1] + maxJump;
        changed = true;
      }
    for (let i = out.length - 2; i >= 0; i--)
      if (out[i] > out[i + 1] + maxJump) {
        out[i] = out[i + 1] + maxJump;
        changed = true;
      }
  }
  return out;
}

type PlanCore = Pick<PlanResult, 'stat' | 'crfs' | 'scenes' | 'predicted' | 'jumpLimited'>;

function buildPlan(
  scenes: readonly PlannerScene[],
  crfs: number[],
  stat: QualityStat,
  fps: number | undefined,
  jumpLimited: number,
  reached: (quality: number) => boolean,
): PlanCore {
  let frames = 0;
  let bytes = 0;
  let quality = 0;
  let vmafMean = 0;
  let vmafP5Mean = 0;
  let vmafMeanMin = Infinity;
  let vmafP5Min = Infinity;
  const planned = scenes.map((s, i): PlannedScene => {
    const crf = crfs[i];
    const mean = at(s.curve, s.curve.vmafMean, crf);
    const p5 = at(s.curve, s.curve.vmafP5, crf);
    const q = stat === 'p5' ? p5 : mean;
    const b = at(s.curve, s.curve.bytesPerFrame, crf) * s.frames;
    frames += s.frames;
    bytes += b;
    quality += q * s.frames;
    vmafMean += mean * s.frames;
    vmafP5Mean += p5 * s.frames;
    vmafMeanMin = Math.min(vmafMeanMin, mean);
    vmafP5Min = Math.min(vmafP5Min, p5);
    return { crf, reached: reached(q), predictedVmaf: q, predictedVmafMean: mean, predictedVmafP5: p5, predictedBytes: b };
  });
  const predicted: PlanPrediction = {
    frames,
    bytes,
    ...(fps !== undefined ? { bitrateKbps: (bytes * 8) / 1000 / (frames / fps) } : {}),
    quality: quality / frames,
    vmafMean: vmafMean / frames,
    vmafMeanMin,
    vmafP5Mean: vmafP5Mean / frames,
    vmafP5Min,
  };
  return { stat, crfs, scenes: planned, predicted, jumpLimited };
}

const countLowered = (before: readonly number[], after: readonly number[]): number => after.filter((c, i) => c < before[i]).length;

/** Highest CRF in lo..hi whose `stat` meets the target; lo when none does. */
function highestMeeting(curve: SceneCurve, stat: QualityStat, targetVmaf: number, lo: number, hi: number): number {
  const q = curveQuality(curve, stat);
  for (let crf = hi; crf >= lo; crf--) if (at(curve, q, crf) >= targetVmaf) return crf;
  return lo;
}

/**
 * Per scene, the highest CRF (= fewest bytes) whose predicted `stat` is ≥ target; crfMin with
 * `reached: false` when none is. maxCrfJump only lowers CRFs, so reached scenes stay reached.
 */
export function planForTarget(scenes: readonly PlannerScene[], options: TargetPlanOptions): TargetPlan {
  const o = validated(targetSchema, options, 'planForTarget options');
  const { lo, hi } = commonCrfRange(scenes, o.crfMin, o.crfMax);
  if (o.sceneBounds && o.sceneBounds.length !== scenes.length)
    throw new InvalidOptionsError('sceneBounds', `${o.sceneBounds.length} entries for ${scenes.length} scenes`);
  const free = scenes.map((s, i) => {
    const b = o.sceneBounds?.[i];
    const sLo = Math.min(hi, Math.max(lo, b?.crfMin ?? lo));
    const sHi = Math.max(sLo, Math.min(hi, b?.crfMax ?? hi));
    return highestMeeting(s.curve, o.stat, o.targetVmaf, sLo, sHi);
  });
  const crfs = o.maxCrfJump === undefined ? free : limitCrfJumps(free, o.maxCrfJump);
  const plan = buildPlan(scenes, crfs, o.stat, o.fps, countLowered(free, crfs), (q) => q >= o.targetVmaf);
  return { mode: 'target', ...plan, allReached: plan.scenes.every((s) => s.reached) };
}

/** Average bitrate (kbit/s) over `totalFrames` at `fps` → total bytes, for planForBudget. */
export function budgetBytes(kbps: number, totalFrames: number, fps: number): number {
  validated(z.number().positive().finite(), kbps, 'bitrate (kbps)');
  validated(z.number().positive().finite(), totalFrames, 'total frames');
  validated(z.number().positive().finite(), fps, 'fps');
  return ((kbps * 1000) / 8) * (totalFrames / fps);
}

/** One step along a scene's concave rate–quality hull: from the previous hull vertex to the lower CRF `to`. */
interface HullStep {
  scene: number;
  /** Position of the step within its scene's hull (steps must be taken in this order). */
  k: number;
  to: number;
  dBytes: number;
  dValue: number;
  /** dValue / dBytes (clamped to be non-increasing along the scene's hull). */
  slope: number;
}

/**
 * Allocation of a byte budget on fixed curves. Built once per planForBudget call; `allocate` can
 * then be run for several budgets (the maxCrfJump retry).
 */
class BudgetAllocator {
  private readonly steps: HullStep[] = [];
  readonly minBytes: number;
  readonly maxBytes: number;

  constructor(
    private readonly scenes: readonly PlannerScene[],
    private readonly stat: QualityStat,
    readonly lo: number,
    readonly hi: number,
  ) {
    let minBytes = 0;
    let maxBytes = 0;
    scenes.forEach((_, i) => {
      minBytes += this.bytes(i, hi);
      maxBytes += this.bytes(i, lo);
      // Upper concave hull of (bytes, frames·Q) over crf = hi..lo (bytes ascending); collinear
      // points are kept so the sweep can stop between them.
      const hull: number[] = [];
      for (let crf = hi; crf >= lo; crf--) {
        while (hull.length >= 2) {
          const a = hull[hull.length - 2];
          const b = hull[hull.length - 1];
          const cross =
            (this.bytes(i, b) - this.bytes(i, a)) * (this.value(i, crf) - this.value(i, a)) -
            (this.value(i, b) - this.value(i, a)) * (this.bytes(i, crf) - this.bytes(i, a));
          if (cross > 0) hull.pop();
          else break;
        }
        hull.push(crf);
      }
      // Only the rising part: steps that buy no quality are never worth bytes. The sort key is
      // made non-increasing along the hull so rounding can never order a scene's steps backwards.
      let key = Infinity;
      for (let k = 1; k < hull.length; k++) {
        const dValue = this.value(i, hull[k]) - this.value(i, hull[k - 1]);
        if (!(dValue > 0)) break;
        const dBytes = this.bytes(i, hull[k]) - this.bytes(i, hull[k - 1]);
        key = Math.min(key, dValue / dBytes);
        this.steps.push({ scene: i, k, to: hull[k], dBytes, dValue, slope: key });
      }
    });
    this.minBytes = minBytes;
    this.maxBytes = maxBytes;
    this.steps.sort((a, b) => b.slope - a.slope || a.scene - b.scene || a.k - b.k);
  }

  bytes(i: number, crf: number): number {
    const c = this.scenes[i].curve;
    return at(c, c.bytesPerFrame, crf) * this.scenes[i].frames;
  }

  value(i: number, crf: number): number {
    const c = this.scenes[i].curve;
    return at(c, curveQuality(c, this.stat), crf) * this.scenes[i].frames;
  }

  /**
   * Equal-slope sweep: take hull steps in order of decreasing Δvalue/Δbytes while they fit (the
   * Lagrangian solution at the stopping slope λ), then greedily spend what is left on the
   * best-ratio single-scene move that fits — to any CRF, not only hull vertices, because the next
   * hull vertex may be too expensive while an intermediate CRF is not. Requires minBytes ≤ budget.
   *
   * More budget never predicts less quality. Within one hull interval the fill starts from the same
   * state, and a ratio greedy over moves to *any* CRF is monotone in the remainder: where a larger
   * remainder first picks a move X that a smaller one cannot afford, X's ratio is the best of every
   * move the smaller run can still make (a scene's follow-up moves never have a better ratio than
   * its previous one), so the smaller run gains < ratio_X·Δbytes_X. Across intervals the LP bound
   * at the earlier interval's end caps it. (Picking by largest Δvalue instead would break this.)
   */
  allocate(budget: number): { crfs: number[]; lambda: number; bound: number } {
    const n = this.scenes.length;
    const crfs = new Array<number>(n).fill(this.hi);
    let used = this.minBytes;
    let stop: HullStep | undefined;
    for (const s of this.steps) {
      if (used + s.dBytes > budget) {
        stop = s;
        break;
      }
      used += s.dBytes;
      crfs[s.scene] = s.to;
    }
    // LP relaxation: the stopping step taken fractionally. No integer choice can beat it.
    const bound = this.quality(crfs) + (stop ? (Math.max(0, budget - used) / stop.dBytes) * stop.dValue : 0);
    return { crfs: this.fill(crfs, used, budget), lambda: stop ? stop.slope : 0, bound };
  }

  /**
   * Greedy fill of what the sweep left: repeatedly the single-scene move (to any lower CRF) that
   * fits and has the best Δvalue/Δbytes. A scene's best move only changes when it moves or its
   * move stops fitting, so it is cached.
   */
  private fill(crfs: number[], used: number, budget: number): number[] {
    const n = crfs.length;
    const best: Array<{ crf: number; ratio: number; dBytes: number } | undefined> = new Array(n);
    const findBest = (i: number): void => {
      const b0 = this.bytes(i, crfs[i]);
      const v0 = this.value(i, crfs[i]);
      let found: { crf: number; ratio: number; dBytes: number } | undefined;
      for (let crf = crfs[i] - 1; crf >= this.lo; crf--) {
        const dBytes = this.bytes(i, crf) - b0;
        if (used + dBytes > budget) break; // bytes grow as CRF falls
        const dValue = this.value(i, crf) - v0;
        if (dValue > 0 && (!found || dValue / dBytes > found.ratio)) found = { crf, ratio: dValue / dBytes, dBytes };
      }
      best[i] = found;
    };
    for (let i = 0; i < n; i++) findBest(i);
    for (;;) {
      let pick = -1;
      for (let i = 0; i < n; i++) {
        const m = best[i];
        if (m && used + m.dBytes > budget) findBest(i);
        const b = best[i];
        if (b && (pick < 0 || b.ratio > best[pick]!.ratio)) pick = i;
      }
      if (pick < 0) break;
      const m = best[pick]!;
      used += m.dBytes;
      crfs[pick] = m.crf;
      findBest(pick);
    }
    return crfs;
  }

  total(crfs: readonly number[]): number {
    let sum = 0;
    for (let i = 0; i < crfs.length; i++) sum += this.bytes(i, crfs[i]);
    return sum;
  }

  quality(crfs: readonly number[]): number {
    let sum = 0;
    for (let i = 0; i < crfs.length; i++) sum += this.value(i, crfs[i]);
    return sum;
  }
}

/**
 * Maximises the frame-weighted predicted `stat` subject to Σ bytes ≤ budget (Netflix Dynamic
 * Optimizer style: equal slope on each scene's concave hull, then greedy fill of the remainder).
 *
 * Budget below crfMax everywhere: crfMax everywhere, `budgetMet: false`. Budget at or above crfMin
 * everywhere: crfMin everywhere. With maxCrfJump, lowering CRFs after allocation would add bytes,
 * so the allocation is re-run on a smaller internal budget (bisection) until the jump-limited plan
 * fits: the result always fits a met budget, and `optimalityGap` still bounds its loss.
 * Without maxCrfJump, more budget never predicts lower quality (see BudgetAllocator.allocate).
 */
export function planForBudget(scenes: readonly PlannerScene[], options: BudgetPlanOptions): BudgetPlan {
  const o = validated(budgetSchema, options, 'planForBudget options');
  const { lo, hi } = commonCrfRange(scenes, o.crfMin, o.crfMax);
  const alloc = new BudgetAllocator(scenes, o.stat, lo, hi);
  const frames = scenes.reduce((s, x) => s + x.frames, 0);
  const finish = (crfs: number[], free: number[], budgetMet: boolean, lambda: number, bound: number): BudgetPlan => {
    const plan = buildPlan(scenes, crfs, o.stat, o.fps, countLowered(free, crfs), () => budgetMet);
    const gap = budgetMet ? Math.max(0, bound / frames - plan.predicted.quality) : 0;
    return { mode: 'budget', ...plan, budgetBytes: o.bytes, budgetMet, lambda, optimalityGap: gap };
  };
  if (o.bytes < alloc.minBytes) {
    const crfs = scenes.map(() => hi);
    return finish(crfs, crfs, false, Infinity, 0);
  }
  if (o.bytes >= alloc.maxBytes) {
    const crfs = scenes.map(() => lo);
    const bound = scenes.reduce((s, _, i) => {
      let m = -Infinity;
      for (let crf = lo; crf <= hi; crf++) m = Math.max(m, alloc.value(i, crf));
      return s + m;
    }, 0);
    return finish(crfs, crfs, true, 0, bound);
  }

  const first = alloc.allocate(o.bytes);
  if (o.maxCrfJump === undefined) return finish(first.crfs, first.crfs, true, first.lambda, first.bound);
  const limited = limitCrfJumps(first.crfs, o.maxCrfJump);
  if (alloc.total(limited) <= o.bytes) return finish(limited, first.crfs, true, first.lambda, first.bound);

  // Retry on smaller internal budgets (= a higher λ). crfMax everywhere (internal budget minBytes)
  // always fits; the fitting total is not strictly monotone in the internal budget, so keep the
  // best fitting candidate seen rather than the last.
  let best = { ...alloc.allocate(alloc.minBytes), limited: scenes.map(() => hi) };
  let bestQuality = alloc.quality(best.limited);
  let fits = alloc.minBytes;
  let fails = o.bytes;
  for (let iter = 0; iter < 60 && fails - fits > o.bytes * 1e-12; iter++) {
    const mid = (fits + fails) / 2;
    const r = alloc.allocate(mid);
    const l = limitCrfJumps(r.crfs, o.maxCrfJump);
    if (alloc.total(l) <= o.bytes) {
      fits = mid;
      const q = alloc.quality(l);
      if (q > bestQuality) {
        best = { ...r, limited: l };
        bestQuality = q;
      }
    } else fails = mid;
  }
  // The bound of the unconstrained problem at the real budget also bounds the jump-limited one.
  return finish(best.limited, best.crfs, true, best.lambda, first.bound);
}
