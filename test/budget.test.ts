/**
 * Budget mode's verdict and correction round on plain arrays: synthetic rate–quality curves with
 * closed forms, a "true" size that differs from the predicted one the way real encodes do (by a
 * factor, and by a slope), and the encode simulated by reading the true curve at the planned CRFs.
 */
import { describe, expect, it } from 'vitest';
import type { SceneCurve } from '../src/core/curve.js';
import { InvalidOptionsError } from '../src/errors.js';
import { planForBudget } from '../src/plan/allocate.js';
import { assessBudget, correctBudget, DEFAULT_BUDGET_TOLERANCE } from '../src/plan/budget.js';
import type { MeasuredScene } from '../src/plan/assess.js';
import type { CurveProbe } from '../src/plan/probes.js';

/** VMAF = 100 − exp(a + b·crf/63), p5 a bit lower; bytes per frame = exp(c − d·crf/63). */
function curve(a: number, b: number, c: number, d: number, bytesFactor: (crf: number) => number = () => 1): SceneCurve {
  const crfs = Array.from({ length: 64 }, (_, i) => i);
  return {
    crfs,
    vmafMean: crfs.map((x) => 100 - Math.exp(a + (b * x) / 63)),
    vmafP5: crfs.map((x) => 100 - Math.exp(a + 0.3 + (b * x) / 63)),
    bytesPerFrame: crfs.map((x) => Math.exp(c - (d * x) / 63) * bytesFactor(x)),
  };
}

const SHAPES = [
  [0.0, 3.5, 8, 5],
  [0.6, 3.0, 9.5, 4.5],
  [-0.5, 4.0, 7, 6],
  [0.3, 2.5, 8.8, 4],
  [0.1, 3.2, 8.2, 5.5],
  [0.4, 2.8, 9.0, 4.2],
] as const;
const FRAMES = [48, 120, 96, 75, 60, 81];

const predicted = SHAPES.map(([a, b, c, d]) => curve(a, b, c, d));
/** Real encodes: 45% bigger than predicted (the demo's miss), some scenes with another slope too. */
const truthOf = (factor: number, slope: number) =>
  SHAPES.map(([a, b, c, d], i) => curve(a, b, c, d, (crf) => factor * (i % 2 === 0 ? Math.exp(slope * (crf - 30)) : 1)));

const sceneBytes = (curves: SceneCurve[], crfs: number[]) => crfs.reduce((s, crf, i) => s + curves[i]!.bytesPerFrame[crf]! * FRAMES[i]!, 0);
const measure = (curves: SceneCurve[], crfs: number[]) =>
  crfs.map((crf, i) => ({ vmafMean: curves[i]!.vmafMean[crf]!, vmafP5: curves[i]!.vmafP5[crf]!, bytesPerFrame: curves[i]!.bytesPerFrame[crf]! }));

/** Plan on the predicted curves, then correct round by round against the truth; the true totals after each encode. */
function simulate(truth: SceneCurve[], budget: number, rounds: number): { totals: number[]; crfs: number[][] } {
  let crfs = planForBudget(predicted.map((curve, i) => ({ frames: FRAMES[i]!, curve })), { bytes: budget, stat: 'mean' }).crfs;
  let measurements: CurveProbe[][] = predicted.map(() => []);
  const totals = [sceneBytes(truth, crfs)];
  const history = [crfs];
  for (let r = 0; r < rounds; r++) {
    if (assessBudget(totals[totals.length - 1]!, budget).verdict === 'met') break;
    const scenes: MeasuredScene[] = predicted.map((curve, i) => ({ frames: FRAMES[i]!, curve, predictedCurve: curve, measurements: measurements[i]! }));
    const c = correctBudget(scenes, crfs, measure(truth, crfs), { budgetBytes: budget, stat: 'mean' });
    measurements = c.measurements;
    if (c.reencode.length === 0) break;
    crfs = c.crfs;
    totals.push(sceneBytes(truth, crfs));
    history.push(crfs);
  }
  return { totals, crfs: history };
}

describe('assessBudget', () => {
  it('met within ±5% by default; over above it is a miss; under below it keeps the budget', () => {
    expect(DEFAULT_BUDGET_TOLERANCE).toBe(0.05);
    expect(assessBudget(104.9, 100)).toMatchObject({ verdict: 'met', met: true });
    expect(assessBudget(105, 100)).toMatchObject({ verdict: 'met', met: true });
    expect(assessBudget(95, 100)).toMatchObject({ verdict: 'met', met: true });
    expect(assessBudget(145.5, 100)).toMatchObject({ verdict: 'over', met: false, budgetKbps: 100, measuredKbps: 145.5 });
    expect(assessBudget(145.5, 100).ratio).toBeCloseTo(1.455, 12);
    expect(assessBudget(80, 100)).toMatchObject({ verdict: 'under', met: true });
    expect(assessBudget(109, 100, 0.1)).toMatchObject({ verdict: 'met', tolerance: 0.1 });
    expect(() => assessBudget(0, 100)).toThrow(InvalidOptionsError);
    expect(() => assessBudget(100, 100, 2)).toThrow(InvalidOptionsError);
  });
});

describe('correctBudget', () => {
  const budget = 250_000;

  it('sizes 45% above the prediction: the uncorrected plan misses, one round lands within the tolerance', () => {
    const truth = truthOf(1.45, 0);
    const { totals } = simulate(truth, budget, 2);
    expect(assessBudget(totals[0]!, budget).verdict).toBe('over');
    expect(totals.length).toBe(2);
    expect(assessBudget(totals[1]!, budget).verdict).toBe('met');
    expect(totals[1]!).toBeLessThanOrEqual(budget);
  });

  it('a size slope the model got wrong too: within the tolerance after two rounds, closer after each', () => {
    const truth = truthOf(1.3, -0.03);
    const { totals } = simulate(truth, budget, 2);
    expect(assessBudget(totals[0]!, budget).verdict).toBe('over');
    const err = totals.map((t) => Math.abs(t / budget - 1));
    expect(err[err.length - 1]!).toBeLessThan(err[0]!);
    expect(assessBudget(totals[totals.length - 1]!, budget).verdict).toBe('met');
  });

  it('sizes below the prediction: the round spends what was left, at lower CRFs, without passing the budget', () => {
    const truth = truthOf(0.6, 0);
    const { totals, crfs } = simulate(truth, budget, 2);
    expect(assessBudget(totals[0]!, budget).verdict).toBe('under');
    expect(totals[1]!).toBeGreaterThan(totals[0]!);
    expect(totals[1]!).toBeLessThanOrEqual(budget);
    expect(crfs[1]!.every((c, i) => c <= crfs[0]![i]!)).toBe(true);
  });

  it('the container overhead comes off the scenes\' share; equal CRFs again re-encode nothing', () => {
    const truth = truthOf(1.45, 0);
    const crfs = planForBudget(predicted.map((curve, i) => ({ frames: FRAMES[i]!, curve })), { bytes: budget, stat: 'mean' }).crfs;
    const scenes = predicted.map((curve, i) => ({ frames: FRAMES[i]!, curve }));
    const plain = correctBudget(scenes, crfs, measure(truth, crfs), { budgetBytes: budget, stat: 'mean' });
    const withOverhead = correctBudget(scenes, crfs, measure(truth, crfs), { budgetBytes: budget, overheadBytes: 20_000, stat: 'mean' });
    expect(sceneBytes(truth, withOverhead.crfs)).toBeLessThanOrEqual(budget - 20_000);
    expect(withOverhead.predictedBytes).toBeLessThan(plain.predictedBytes);
    // Measured exactly as the prediction says: nothing changes.
    const same = correctBudget(scenes, crfs, measure(predicted, crfs), { budgetBytes: budget, stat: 'mean' });
    expect(same.reencode).toEqual([]);
    expect(same.crfs).toEqual(crfs);
  });

  it('refuses measurements without sizes and mismatched lengths', () => {
    const scenes = predicted.map((curve, i) => ({ frames: FRAMES[i]!, curve }));
    const crfs = predicted.map(() => 30);
    expect(() => correctBudget(scenes, crfs, crfs.map(() => ({ vmafMean: 90, vmafP5: 85 })), { budgetBytes: budget, stat: 'mean' })).toThrow(InvalidOptionsError);
    expect(() => correctBudget(scenes, crfs.slice(1), measure(predicted, crfs), { budgetBytes: budget, stat: 'mean' })).toThrow(InvalidOptionsError);
    expect(() => correctBudget(scenes, crfs, measure(predicted, crfs), { budgetBytes: budget, overheadBytes: budget, stat: 'mean' })).toThrow(InvalidOptionsError);
  });
});
