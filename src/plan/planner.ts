import { z } from 'zod';
import { describeIssues, InvalidOptionsError } from '../errors.js';
import { curveQuality, tToVmaf, vmafToT, type QualityStat, type SceneCurve } from '../core/curve.js';
import type { ProxyCurve } from '../core/proxy-spec.js';

/**
 * Per-scene CRF planning on predicted rate–quality curves: hit a quality target per scene, or
 * spend a byte budget where it buys the most quality, then refine with measured probes. Pure and
 * synchronous so every decision can be checked against brute force on plain arrays.
 */

/** One scene to plan: its length (the weight of its quality and the multiplier of its bytes) and curve. */
export interface PlannerScene {
  frames: number;
  curve: SceneCurve;
}

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
  /** Quality (of `stat`) each scene must reach, 0..100. */
  target: number;
  /**
   * Per-scene CRF bounds (one entry per scene), within crfMin..crfMax; for example the trust
   * region around a scene's probes (`probeTrustBounds`). Bounds outside the global range are
   * clamped to it.
   */
  sceneBounds?: ReadonlyArray<SceneCrfBounds>;
}

export interface SceneCrfBounds {
  crfMin?: number;
  crfMax?: number;
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
  /** Target mode: the target. */
  target?: number;
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
  target: number;
  allReached: boolean;
}

export interface BudgetPlan extends PlanResult {
  mode: 'budget';
  budgetBytes: number;
  budgetMet: boolean;
  lambda: number;
  optimalityGap: number;
}

const statSchema = z.enum(['mean', 'p5']);
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
const targetSchema = z.object({ ...boundsShape, target: z.number().finite().min(0).max(100), sceneBounds: sceneBoundsSchema.optional() }).strict();
const budgetSchema = z.object({ ...boundsShape, bytes: z.number().positive().finite() }).strict();
const tolerance = z.number().finite().min(0);

function parse<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidOptionsError(what, describeIssues(r.error.issues, 'value'));
  return r.data;
}

/** The SceneCurve contract, checked at the boundary so a broken curve fails loudly instead of planning nonsense. */
function curveIssue(curve: SceneCurve | undefined): string | undefined {
  if (!curve || typeof curve !== 'object') return 'is not a SceneCurve';
  const { crfs, vmafMean, vmafP5, bytesPerFrame } = curve;
  if (![crfs, vmafMean, vmafP5, bytesPerFrame].every(Array.isArray)) return 'must have crfs, vmafMean, vmafP5 and bytesPerFrame arrays';
  const n = crfs.length;
  if (n === 0) return 'has no CRFs';
  for (const [name, a] of [['vmafMean', vmafMean], ['vmafP5', vmafP5], ['bytesPerFrame', bytesPerFrame]] as const)
    if (a.length !== n) return `${name} has ${a.length} values for ${n} CRFs`;
  if (!Number.isInteger(crfs[0])) return `CRF ${crfs[0]} is not an integer`;
  for (let i = 0; i < n; i++) {
    if (crfs[i] !== crfs[0] + i) return `CRFs are not consecutive integers at index ${i}`;
    for (const [name, a] of [['vmafMean', vmafMean], ['vmafP5', vmafP5]] as const) {
      if (!(a[i] >= 0 && a[i] <= 100)) return `${name} at CRF ${crfs[i]} is ${a[i]}, outside 0..100`;
      if (i > 0 && a[i] > a[i - 1]) return `${name} increases from CRF ${crfs[i - 1]} to ${crfs[i]}`;
    }
    if (!(bytesPerFrame[i] > 0 && Number.isFinite(bytesPerFrame[i]))) return `bytesPerFrame at CRF ${crfs[i]} is ${bytesPerFrame[i]}`;
    if (i > 0 && !(bytesPerFrame[i] < bytesPerFrame[i - 1])) return `bytesPerFrame does not decrease from CRF ${crfs[i - 1]} to ${crfs[i]}`;
  }
  return undefined;
}

function checkCurve(curve: SceneCurve, what: string): void {
  const issue = curveIssue(curve);
  if (issue) throw new InvalidOptionsError('scene curve', `${what} ${issue}`);
}

/** Validates the scenes and returns the CRF range every curve covers, narrowed by the options. */
function prepare(scenes: readonly PlannerScene[], crfMin: number | undefined, crfMax: number | undefined): { lo: number; hi: number } {
  if (!Array.isArray(scenes) || scenes.length === 0) throw new InvalidOptionsError('scenes', 'at least one scene is needed');
  let lo = crfMin ?? -Infinity;
  let hi = crfMax ?? Infinity;
  if (lo > hi) throw new InvalidOptionsError('CRF bounds', `crfMin ${crfMin} is above crfMax ${crfMax}`);
  scenes.forEach((s, i) => {
    if (!(Number.isInteger(s?.frames) && s.frames > 0)) throw new InvalidOptionsError('scenes', `scene ${i}: frames must be a positive integer, got ${s?.frames}`);
    checkCurve(s.curve, `scene ${i}:`);
    lo = Math.max(lo, s.curve.crfs[0]);
    hi = Math.min(hi, s.curve.crfs[s.curve.crfs.length - 1]);
  });
  if (lo > hi) throw new InvalidOptionsError('CRF bounds', `no CRF is both within crfMin..crfMax (${crfMin ?? '-'}..${crfMax ?? '-'}) and sampled by every scene's curve`);
  return { lo, hi };
}

const at = (curve: SceneCurve, values: readonly number[], crf: number): number => values[crf - curve.crfs[0]];

/**
 * Enforces |crf_i − crf_{i+1}| ≤ maxJump by only lowering CRFs (lowering never loses quality, so
 * targets stay met): crf_i becomes min_j(crf_j + maxJump·|i − j|), the largest values that satisfy
 * the limit without exceeding the input anywhere.
 */
export function limitCrfJumps(crfs: readonly number[], maxJump: number): number[] {
  parse(z.number().int().min(0), maxJump, 'maxCrfJump');
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

/** Highest CRF in lo..hi whose `stat` meets the target; lo with reached=false when none does. */
function highestMeeting(curve: SceneCurve, stat: QualityStat, target: number, lo: number, hi: number): { crf: number; reached: boolean } {
  const q = curveQuality(curve, stat);
  for (let crf = hi; crf >= lo; crf--) if (at(curve, q, crf) >= target) return { crf, reached: true };
  return { crf: lo, reached: false };
}

/**
 * Per scene, the highest CRF (= fewest bytes) whose predicted `stat` is ≥ target; crfMin with
 * `reached: false` when none is. maxCrfJump only lowers CRFs, so reached scenes stay reached.
 */
export function planForTarget(scenes: readonly PlannerScene[], options: TargetPlanOptions): TargetPlan {
  const o = parse(targetSchema, options, 'planForTarget options');
  const { lo, hi } = prepare(scenes, o.crfMin, o.crfMax);
  if (o.sceneBounds && o.sceneBounds.length !== scenes.length)
    throw new InvalidOptionsError('sceneBounds', `${o.sceneBounds.length} entries for ${scenes.length} scenes`);
  const free = scenes.map((s, i) => {
    const b = o.sceneBounds?.[i];
    const sLo = Math.min(hi, Math.max(lo, b?.crfMin ?? lo));
    const sHi = Math.max(sLo, Math.min(hi, b?.crfMax ?? hi));
    return highestMeeting(s.curve, o.stat, o.target, sLo, sHi).crf;
  });
  const crfs = o.maxCrfJump === undefined ? free : limitCrfJumps(free, o.maxCrfJump);
  const plan = buildPlan(scenes, crfs, o.stat, o.fps, countLowered(free, crfs), (q) => q >= o.target);
  return { mode: 'target', ...plan, target: o.target, allReached: plan.scenes.every((s) => s.reached) };
}

/** Average bitrate (kbit/s) over `totalFrames` at `fps` → total bytes, for planForBudget. */
export function budgetBytes(kbps: number, totalFrames: number, fps: number): number {
  parse(z.number().positive().finite(), kbps, 'bitrate (kbps)');
  parse(z.number().positive().finite(), totalFrames, 'total frames');
  parse(z.number().positive().finite(), fps, 'fps');
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
  const o = parse(budgetSchema, options, 'planForBudget options');
  const { lo, hi } = prepare(scenes, o.crfMin, o.crfMax);
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

/**
 * The trust region after probes: CRFs within `step` of the CRFs a scene was measured at. A curve
 * moved through one measurement is right at that CRF and less so the further the plan moves from
 * it, because the predicted slope is what carries it there; far moves (a scene predicted 6 VMAF
 * too high, a probe near VMAF 100 where ln(100 − VMAF) magnifies every difference) overshoot. In
 * the planning simulation with the proxy models, ±8 lowered the one-probe mean error in every
 * setting (bench/RESULTS.md, "trust region").
 */
export function probeTrustBounds(measuredCrfs: readonly number[], step: number): SceneCrfBounds {
  parse(z.number().int().min(1), step, 'probe trust step');
  if (measuredCrfs.length === 0) return {};
  return { crfMin: Math.min(...measuredCrfs) - step, crfMax: Math.max(...measuredCrfs) + step };
}

/** A scene encoded at `crf` and measured. */
export interface CurveProbe {
  crf: number;
  vmafMean: number;
  /** When absent, the p5 curve is shifted by the mean's offset. */
  vmafP5?: number;
  /** When absent, the bytes curve is kept. */
  bytesPerFrame?: number;
}


/**
 * Shifts a predicted curve through one measurement, keeping the predicted shape: the model's
 * slopes are usually better than its level. Quality moves by a constant in t = ln(100 − VMAF)
 * (mean and p5 separately), bytes by a constant factor. Passes through the probe exactly unless a
 * clamp bites (VMAF > 99.5, or a measured p5 above the measured mean: p5 is capped at the mean).
 */
export function correctCurveWithProbe(curve: SceneCurve, probe: CurveProbe): SceneCurve {
  checkCurve(curve, 'curve');
  const p = parse(
    z
      .object({
        crf: z.number().int(),
        vmafMean: z.number().min(0).max(100),
        vmafP5: z.number().min(0).max(100).optional(),
        bytesPerFrame: z.number().positive().finite().optional(),
      })
      .strict(),
    probe,
    'probe',
  );
  const i = p.crf - curve.crfs[0];
  if (i < 0 || i >= curve.crfs.length) throw new InvalidOptionsError('probe', `CRF ${p.crf} is outside the curve's ${curve.crfs[0]}..${curve.crfs[curve.crfs.length - 1]}`);
  const dMean = vmafToT(p.vmafMean) - vmafToT(curve.vmafMean[i]);
  const dP5 = p.vmafP5 !== undefined ? vmafToT(p.vmafP5) - vmafToT(curve.vmafP5[i]) : dMean;
  const bytesFactor = p.bytesPerFrame !== undefined ? p.bytesPerFrame / curve.bytesPerFrame[i] : 1;
  const vmafMean = curve.vmafMean.map((v) => tToVmaf(vmafToT(v) + dMean));
  const vmafP5 = curve.vmafP5.map((v, k) => Math.min(tToVmaf(vmafToT(v) + dP5), vmafMean[k]));
  // A constant shift keeps both monotone; the running minimum only guards rounding.
  for (let k = 1; k < vmafMean.length; k++) {
    vmafMean[k] = Math.min(vmafMean[k], vmafMean[k - 1]);
    vmafP5[k] = Math.min(vmafP5[k], vmafP5[k - 1]);
  }
  return { crfs: curve.crfs.slice(), vmafMean, vmafP5, bytesPerFrame: curve.bytesPerFrame.map((b) => b * bytesFactor) };
}

/**
 * The range `proxySlopeFactor` is clamped to. A proxy secant further off than that is more likely
 * a measurement at the ceiling (where ln(100 − VMAF) magnifies small differences) than the scene's
 * slope; in the planning simulation the clamp barely mattered (0.5–2 and 0.33–3 scored the same).
 */
export const PROXY_SLOPE_FACTOR_RANGE = { min: 0.5, max: 2 } as const;

/**
 * How much steeper the scene's proxy curve (src/proxy) says its quality falls with CRF than the
 * predicted curve does: the ratio of their secants in t = ln(100 − VMAF) over the proxy's first
 * and last CRFs, clamped to PROXY_SLOPE_FACTOR_RANGE. 1 when either secant is not rising (a scene
 * at the VMAF ceiling on both) or the proxy's CRFs are outside the curve. On the training videos
 * the proxy's secant tracks the full encode's (correlation 0.57–0.75, mean ratio 0.99–1.04),
 * while the model's prediction regresses every scene's slope towards the average.
 */
export function proxySlopeFactor(curve: SceneCurve, proxy: ProxyCurve): number {
  const n = proxy.crfs.length;
  if (n < 2 || proxy.vmafMean.length !== n) return 1;
  const a = proxy.crfs[0]!;
  const b = proxy.crfs[n - 1]!;
  const c0 = curve.crfs[0]!;
  if (b <= a || a < c0 || b - c0 >= curve.crfs.length) return 1;
  const predicted = vmafToT(curve.vmafMean[b - c0]!) - vmafToT(curve.vmafMean[a - c0]!);
  const measured = vmafToT(proxy.vmafMean[n - 1]!) - vmafToT(proxy.vmafMean[0]!);
  if (!(predicted > 0) || !(measured > 0)) return 1;
  return Math.min(PROXY_SLOPE_FACTOR_RANGE.max, Math.max(PROXY_SLOPE_FACTOR_RANGE.min, measured / predicted));
}

/**
 * The curve's quality shape in t scaled by `factor` around `pivotCrf` (mean and p5 alike; bytes
 * kept). Scaling t keeps each curve monotone in CRF.
 */
function scaleCurveShape(curve: SceneCurve, factor: number, pivotCrf: number): SceneCurve {
  const i = Math.min(curve.crfs.length - 1, Math.max(0, Math.round(pivotCrf) - curve.crfs[0]!));
  const scale = (values: number[]) => {
    const t = values.map(vmafToT);
    return t.map((v) => tToVmaf(t[i]! + factor * (v - t[i]!)));
  };
  const vmafMean = scale(curve.vmafMean);
  const vmafP5 = scale(curve.vmafP5).map((v, k) => Math.min(v, vmafMean[k]!));
  return { crfs: curve.crfs.slice(), vmafMean, vmafP5, bytesPerFrame: curve.bytesPerFrame.slice() };
}

/**
 * The predicted curve moved through every measurement of the scene (probes, a validation encode).
 *
 * With the scene's `proxy` curve, the predicted shape is first scaled to the proxy's slope
 * (`proxySlopeFactor`): one probe fixes the level, and what carries the plan from the probe to the
 * target is the slope, which the proxy measures and the model only guesses. In the planning
 * simulation this raised one-probe hits within ±1 in all four settings of the training folds
 * (bench/RESULTS.md, "proxy slope"). Without measurements the curve is returned unchanged, so
 * plans without probes are not affected.
 *
 * One measurement: `correctCurveWithProbe` (a constant shift, slope kept). Two or more at
 * different CRFs: the correction in t = ln(100 − VMAF) (and in ln bytes) becomes a straight line
 * in CRF, least squares through the measurements — the measured secant replaces the predicted
 * slope, which varies a lot between scenes. The corrected quality slope is kept no flatter than a
 * quarter of the predicted one, so noisy measurements a CRF or two apart cannot flatten the curve.
 */
export function fitCurveToProbes(curve: SceneCurve, probes: readonly CurveProbe[], options: { proxy?: ProxyCurve } = {}): SceneCurve {
  if (probes.length === 0) return curve;
  if (!options.proxy) return fitThroughMeasurements(curve, probes);
  checkCurve(curve, 'curve');
  const pivot = probes.reduce((a, p) => a + p.crf, 0) / probes.length;
  return fitThroughMeasurements(scaleCurveShape(curve, proxySlopeFactor(curve, options.proxy), pivot), probes);
}

function fitThroughMeasurements(curve: SceneCurve, probes: readonly CurveProbe[]): SceneCurve {
  const distinct = new Set(probes.map((p) => p.crf));
  if (probes.length === 1 || distinct.size === 1) {
    // Same CRF measured more than once: average the measurements.
    const avg = (f: (p: CurveProbe) => number | undefined) => {
      const v = probes.map(f).filter((x): x is number => x !== undefined);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
    };
    return correctCurveWithProbe(curve, { crf: probes[0]!.crf, vmafMean: avg((p) => p.vmafMean)!, vmafP5: avg((p) => p.vmafP5), bytesPerFrame: avg((p) => p.bytesPerFrame) });
  }
  checkCurve(curve, 'curve');
  const c0 = curve.crfs[0]!;
  const at = (arr: number[], crf: number) => {
    const i = crf - c0;
    if (i < 0 || i >= arr.length) throw new InvalidOptionsError('probe', `CRF ${crf} is outside the curve's ${c0}..${curve.crfs[curve.crfs.length - 1]}`);
    return arr[i]!;
  };
  /**
   * Least-squares line through (crf, residual). Its slope is limited to ±0.75 × the predicted
   * curve's own slope over the span (`predictedSlope`), so the corrected slope stays within
   * 0.25–1.75× the prediction: close or noisy measurements cannot invert or flatten the curve,
   * and the line is not extrapolated into nonsense far from the probes.
   */
  const line = (pts: Array<[number, number]>, predictedSlope: number) => {
    const n = pts.length;
    const mx = pts.reduce((a, p) => a + p[0], 0) / n;
    const my = pts.reduce((a, p) => a + p[1], 0) / n;
    const sxx = pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
    if (sxx === 0) return (_: number) => my;
    const limit = 0.75 * Math.abs(predictedSlope);
    const b = Math.max(-limit, Math.min(limit, pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / sxx));
    return (x: number) => my + b * (x - mx);
  };
  const lo = Math.min(...probes.map((p) => p.crf));
  const hi = Math.max(...probes.map((p) => p.crf));
  const secant = (f: (crf: number) => number) => (f(hi) - f(lo)) / (hi - lo);
  const quality = (values: number[], pick: (p: CurveProbe) => number | undefined, fallback?: (crf: number) => number) => {
    const pts = probes.filter((p) => pick(p) !== undefined).map((p): [number, number] => [p.crf, vmafToT(pick(p)!) - vmafToT(at(values, p.crf))]);
    const delta = pts.length ? line(pts, secant((c) => vmafToT(at(values, c)))) : fallback;
    const t = values.map((v, k) => vmafToT(v) + (delta ? delta(curve.crfs[k]!) : 0));
    // Keep t rising with CRF at no less than a quarter of the predicted slope.
    for (let k = 1; k < t.length; k++) {
      const predictedStep = Math.max(0, vmafToT(values[k]!) - vmafToT(values[k - 1]!));
      t[k] = Math.max(t[k]!, t[k - 1]! + 0.25 * predictedStep);
    }
    return { t, delta };
  };
  const mean = quality(curve.vmafMean, (p) => p.vmafMean);
  const p5 = quality(curve.vmafP5, (p) => p.vmafP5, mean.delta);
  const vmafMean = mean.t.map(tToVmaf);
  const vmafP5 = p5.t.map((t, k) => Math.min(tToVmaf(t), vmafMean[k]!));
  for (let k = 1; k < vmafMean.length; k++) {
    vmafMean[k] = Math.min(vmafMean[k]!, vmafMean[k - 1]!);
    vmafP5[k] = Math.min(vmafP5[k]!, vmafP5[k - 1]!);
  }
  const bytePts = probes.filter((p) => p.bytesPerFrame !== undefined).map((p): [number, number] => [p.crf, Math.log(p.bytesPerFrame!) - Math.log(at(curve.bytesPerFrame, p.crf))]);
  const byteDelta = bytePts.length ? line(bytePts, secant((c) => Math.log(at(curve.bytesPerFrame, c)))) : () => 0;
  const bytesPerFrame = curve.bytesPerFrame.map((b, k) => b * Math.exp(byteDelta(curve.crfs[k]!)));
  // Bytes must stay strictly decreasing in CRF.
  for (let k = 1; k < bytesPerFrame.length; k++) bytesPerFrame[k] = Math.min(bytesPerFrame[k]!, bytesPerFrame[k - 1]! * (1 - 1e-9));
  return { crfs: curve.crfs.slice(), vmafMean, vmafP5, bytesPerFrame };
}

/** |measured − target| ≤ tolerance. */
export function measuredWithin(measured: number, target: number, tolerance: number): boolean {
  return Math.abs(measured - target) <= tolerance;
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
  /** measured − target. */
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
  target: number,
  stat: QualityStat,
  tol: number,
  /** Per scene, to tell misses at a CRF bound ('capped') from misses a CRF could fix. */
  limits?: ReadonlyArray<SceneCrfLimits>,
): Assessment {
  parse(statSchema, stat, 'stat');
  parse(z.number().finite(), target, 'target');
  parse(tolerance, tol, 'tolerance');
  if (!Array.isArray(measured) || measured.length === 0) throw new InvalidOptionsError('measurements', 'at least one scene is needed');
  if (limits !== undefined && limits.length !== measured.length) {
    throw new InvalidOptionsError('limits', `need one per scene (${measured.length} scenes, ${limits.length} limits)`);
  }
  const scenes = measured.map((m, i): SceneAssessment => {
    const value = stat === 'p5' ? m?.vmafP5 : m?.vmafMean;
    if (!Number.isFinite(value)) throw new InvalidOptionsError('measurements', `scene ${i}: ${stat === 'p5' ? 'vmafP5' : 'vmafMean'} is ${value}`);
    const error = value - target;
    if (measuredWithin(value, target, tol)) return { measured: value, error, verdict: 'hit' };
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

export interface SceneMeasurement {
  vmafMean: number;
  vmafP5: number;
  bytesPerFrame?: number;
}

export interface CorrectMissesOptions {
  target: number;
  stat: QualityStat;
  tolerance: number;
  crfMin?: number;
  crfMax?: number;
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
  /** Missed scenes: the probe-corrected curve `crf` was chosen on (feed it to the next round). Hits: the input curve. */
  curves: SceneCurve[];
  scenes: SceneCorrection[];
  /** Scenes whose CRF changed: the next re-encode round. Empty = nothing left to try. */
  reencode: number[];
}

/**
 * One re-encode round: each scene that missed the target by more than the tolerance gets its
 * curve corrected through its measurement at the CRF it was encoded with, and is re-planned to
 * the highest CRF meeting the target on that curve. A miss whose corrected CRF is unchanged (CRF
 * granularity, or at a bound) is reported but not re-encoded. No maxCrfJump here: it would move hits.
 */
export function correctMisses(
  scenes: readonly PlannerScene[],
  crfs: readonly number[],
  measured: readonly SceneMeasurement[],
  options: CorrectMissesOptions,
): MissCorrection {
  const o = parse(
    z.object({ target: z.number().finite().min(0).max(100), stat: statSchema, tolerance, crfMin: z.number().int().optional(), crfMax: z.number().int().optional() }).strict(),
    options,
    'correctMisses options',
  );
  const { lo, hi } = prepare(scenes, o.crfMin, o.crfMax);
  if (!Array.isArray(crfs) || crfs.length !== scenes.length || !Array.isArray(measured) || measured.length !== scenes.length)
    throw new InvalidOptionsError('correctMisses arguments', `need one CRF and one measurement per scene (${scenes.length} scenes, ${crfs?.length} CRFs, ${measured?.length} measurements)`);
  crfs.forEach((c, i) => {
    const r = scenes[i].curve.crfs;
    if (!(Number.isInteger(c) && c >= r[0] && c <= r[r.length - 1])) throw new InvalidOptionsError('correctMisses arguments', `scene ${i}: CRF ${c} is not a CRF of its curve (${r[0]}..${r[r.length - 1]})`);
  });
  const assessment = assessScenes(measured, o.target, o.stat, o.tolerance, crfs.map((crf) => ({ crf, crfMin: lo, crfMax: hi })));
  const curves: SceneCurve[] = [];
  const out: SceneCorrection[] = [];
  const reencode: number[] = [];
  scenes.forEach((s, i) => {
    const verdict = assessment.scenes[i].verdict;
    const previousCrf = crfs[i];
    if (verdict === 'hit' || verdict === 'capped') {
      // Capped: already at the bound the correction would move towards; nothing to re-encode.
      curves.push(s.curve);
      out.push({ verdict, previousCrf, crf: previousCrf, reached: verdict === 'hit' });
      return;
    }
    const m = measured[i];
    const curve = correctCurveWithProbe(s.curve, { crf: previousCrf, vmafMean: m.vmafMean, vmafP5: m.vmafP5, ...(m.bytesPerFrame !== undefined ? { bytesPerFrame: m.bytesPerFrame } : {}) });
    const next = highestMeeting(curve, o.stat, o.target, lo, hi);
    curves.push(curve);
    out.push({ verdict, previousCrf, crf: next.crf, reached: next.reached });
    if (next.crf !== previousCrf) reencode.push(i);
  });
  return { crfs: out.map((s) => s.crf), curves, scenes: out, reencode };
}
