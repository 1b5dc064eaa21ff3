/**
 * Planner: synthetic curves with closed forms (VMAF = 100 − exp(a + b·crf/63), bytes =
 * exp(c − d·crf/63)), checked against brute force — a scan of every CRF for targets, every CRF
 * combination on narrowed ranges for budgets — and against the Lagrangian optimality theorem.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../src/errors.js';
import type { QualityStat, SceneCurve } from '../src/core/curve.js';
import { budgetBytes, limitCrfJumps, planForBudget, planForTarget } from '../src/plan/allocate.js';
import { assessScenes, correctMisses, measuredWithin } from '../src/plan/assess.js';
import type { PlannerScene } from '../src/plan/inputs.js';
import { correctCurveWithProbe, fitCurveToProbes, probeTrustBounds, proxySlopeFactor, PROXY_SLOPE_FACTOR_RANGE } from '../src/plan/probes.js';

interface Shape {
  a: number;
  b: number;
  c: number;
  d: number;
  /** p5 = 100 − exp(a + p5Offset + b·crf/63). */
  p5Offset?: number;
  /** Staircase mix making quality-vs-bytes non-concave (still monotone). */
  stairs?: number;
}

const vmafAt = (a: number, b: number, crf: number) => 100 - Math.exp(a + (b * crf) / 63);

function curve(s: Shape, lo = 0, hi = 63): SceneCurve {
  const crfs: number[] = [];
  for (let c = lo; c <= hi; c++) crfs.push(c);
  const q = (a: number, c: number) => {
    if (!s.stairs) return vmafAt(a, s.b, c);
    // Half smooth, half a staircase that drops every `stairs` CRFs: non-increasing, not concave.
    const step = Math.ceil(c / s.stairs) * s.stairs;
    return 0.5 * vmafAt(a, s.b, c) + 0.5 * vmafAt(a, s.b, step);
  };
  return {
    crfs,
    vmafMean: crfs.map((c) => q(s.a, c)),
    vmafP5: crfs.map((c) => q(s.a + (s.p5Offset ?? 0.3), c)),
    bytesPerFrame: crfs.map((c) => Math.exp(s.c - (s.d * c) / 63)),
  };
}

const SHAPES: Shape[] = [
  { a: 0.0, b: 3.5, c: 11, d: 5 },
  { a: 0.6, b: 3.0, c: 12.5, d: 4.5 },
  { a: -0.5, b: 4.0, c: 10, d: 6 },
  { a: 0.3, b: 2.5, c: 11.8, d: 4 },
];
const FRAMES = [48, 120, 300, 75];

const scenesOf = (shapes: Shape[], frames: number[], lo = 0, hi = 63): PlannerScene[] => shapes.map((s, i) => ({ frames: frames[i], curve: curve(s, lo, hi) }));

const q = (s: PlannerScene, stat: QualityStat, crf: number) => (stat === 'p5' ? s.curve.vmafP5 : s.curve.vmafMean)[crf - s.curve.crfs[0]];
const bytes = (s: PlannerScene, crf: number) => s.curve.bytesPerFrame[crf - s.curve.crfs[0]] * s.frames;
const totalBytes = (scenes: PlannerScene[], crfs: number[]) => crfs.reduce((sum, c, i) => sum + bytes(scenes[i], c), 0);
const weightedQuality = (scenes: PlannerScene[], crfs: number[], stat: QualityStat) =>
  crfs.reduce((sum, c, i) => sum + q(scenes[i], stat, c) * scenes[i].frames, 0) / scenes.reduce((s, x) => s + x.frames, 0);

/** Every CRF combination in lo..hi, as a Pareto query: best quality within a byte budget. */
function bruteForce(scenes: PlannerScene[], stat: QualityStat, lo: number, hi: number, accept: (crfs: number[]) => boolean = () => true) {
  const combos: Array<{ bytes: number; quality: number }> = [];
  const crfs = scenes.map(() => lo);
  const walk = (i: number) => {
    if (i === scenes.length) {
      if (accept(crfs)) combos.push({ bytes: totalBytes(scenes, crfs), quality: weightedQuality(scenes, crfs, stat) });
      return;
    }
    for (let c = lo; c <= hi; c++) {
      crfs[i] = c;
      walk(i + 1);
    }
  };
  walk(0);
  combos.sort((x, y) => x.bytes - y.bytes);
  const best: number[] = [];
  combos.forEach((x, i) => best.push(Math.max(x.quality, i > 0 ? best[i - 1] : -Infinity)));
  return (budget: number): number => {
    let l = -1;
    let r = combos.length - 1;
    while (l < r) {
      const m = Math.ceil((l + r + 1) / 2);
      if (combos[m].bytes <= budget) l = m;
      else r = m - 1;
    }
    return l < 0 ? -Infinity : best[l];
  };
}

describe('planForTarget', () => {
  const scenes = scenesOf(SHAPES, FRAMES);

  it.each([
    ['mean', 93],
    ['mean', 85.5],
    ['p5', 90],
    ['p5', 80],
  ] as const)('picks the highest CRF meeting %s ≥ %d (brute-force scan)', (stat, target) => {
    const plan = planForTarget(scenes, { targetVmaf: target, stat });
    scenes.forEach((s, i) => {
      let expected = -1;
      for (let c = 0; c <= 63; c++) if (q(s, stat, c) >= target) expected = c;
      expect(plan.crfs[i]).toBe(expected);
      const crf = plan.crfs[i];
      expect(q(s, stat, crf)).toBeGreaterThanOrEqual(target);
      if (crf < 63) expect(q(s, stat, crf + 1)).toBeLessThan(target);
      expect(plan.scenes[i]).toMatchObject({ crf, reached: true, predictedVmaf: q(s, stat, crf), predictedBytes: bytes(s, crf) });
    });
    expect(plan.allReached).toBe(true);
    expect(plan.jumpLimited).toBe(0);
    expect(plan.predicted.bytes).toBeCloseTo(totalBytes(scenes, plan.crfs), 6);
    expect(plan.predicted.quality).toBeCloseTo(weightedQuality(scenes, plan.crfs, stat), 10);
    expect(plan.predicted.vmafMean).toBeCloseTo(weightedQuality(scenes, plan.crfs, 'mean'), 10);
    expect(plan.predicted.vmafP5Min).toBe(Math.min(...plan.crfs.map((c, i) => q(scenes[i], 'p5', c))));
  });

  it('closed form: the analytic CRF crossing, floored', () => {
    // 100 − exp(a + b·crf/63) ≥ T  ⇔  crf ≤ 63·(ln(100 − T) − a)/b.
    const plan = planForTarget(scenes, { targetVmaf: 92, stat: 'mean' });
    SHAPES.forEach((s, i) => expect(plan.crfs[i]).toBe(Math.floor((63 * (Math.log(8) - s.a)) / s.b)));
  });

  it('respects crfMin/crfMax; an easy target gives crfMax, an unreachable one crfMin with reached false', () => {
    const easy = planForTarget(scenes, { targetVmaf: 10, stat: 'mean', crfMin: 18, crfMax: 40 });
    expect(easy.crfs).toEqual([40, 40, 40, 40]);
    // Closed-form crossings for 93: 63·(ln 7 − a)/b = 35.0, 28.3, 38.5, 41.5 → bounded to 30..36.
    const bounded = planForTarget(scenes, { targetVmaf: 93, stat: 'mean', crfMin: 30, crfMax: 36 });
    expect(bounded.crfs).toEqual([35, 30, 36, 36]);
    expect(bounded.scenes.map((s) => s.reached)).toEqual([true, false, true, true]);
    expect(bounded.allReached).toBe(false);
    const impossible = planForTarget(scenes, { targetVmaf: 99.9, stat: 'p5', crfMin: 5 });
    expect(impossible.crfs).toEqual([5, 5, 5, 5]);
    expect(impossible.scenes.every((s) => !s.reached)).toBe(true);
  });

  it('sceneBounds: each scene within its own bounds, clamped to the global ones; the rest as unbounded', () => {
    // Closed-form crossings for 93: 35, 28, 38, 41 (see above).
    const plan = planForTarget(scenes, { targetVmaf: 93, stat: 'mean', crfMax: 40, sceneBounds: [{ crfMax: 30 }, { crfMin: 33 }, {}, { crfMin: 20, crfMax: 50 }] });
    expect(plan.crfs).toEqual([30, 33, 38, 40]);
    expect(plan.scenes.map((s) => s.reached)).toEqual([true, false, true, true]);
    expect(() => planForTarget(scenes, { targetVmaf: 93, stat: 'mean', sceneBounds: [{}, {}] })).toThrow(/2 entries for 4 scenes/);
    expect(() => planForTarget(scenes, { targetVmaf: 93, stat: 'mean', sceneBounds: [{ crfMin: 40, crfMax: 30 }, {}, {}, {}] })).toThrow(InvalidOptionsError);
  });

  it('probeTrustBounds: the CRFs within the step of the measured ones', () => {
    expect(probeTrustBounds([], 8)).toEqual({});
    expect(probeTrustBounds([40], 8)).toEqual({ crfMin: 32, crfMax: 48 });
    expect(probeTrustBounds([44, 36], 5)).toEqual({ crfMin: 31, crfMax: 49 });
    expect(() => probeTrustBounds([40], 0)).toThrow(InvalidOptionsError);
  });

  it('maxCrfJump: limits neighbour jumps, only lowers CRFs, and lowers no more than needed', () => {
    // Alternate easy and hard scenes so the unconstrained CRFs jump a lot.
    const shapes = [SHAPES[2], SHAPES[1], SHAPES[2], SHAPES[1], SHAPES[3], SHAPES[2], SHAPES[1]];
    const many = scenesOf(shapes, [30, 40, 50, 60, 70, 80, 90]);
    const free = planForTarget(many, { targetVmaf: 90, stat: 'mean' });
    expect(Math.max(...free.crfs.slice(1).map((c, i) => Math.abs(c - free.crfs[i])))).toBeGreaterThan(6);
    for (const J of [0, 2, 5]) {
      const plan = planForTarget(many, { targetVmaf: 90, stat: 'mean', maxCrfJump: J });
      plan.crfs.forEach((c, i) => {
        expect(c).toBeLessThanOrEqual(free.crfs[i]);
        if (i > 0) expect(Math.abs(c - plan.crfs[i - 1])).toBeLessThanOrEqual(J);
        // Maximal: each CRF is its own target value or is held down by a neighbour at exactly J.
        const held = [plan.crfs[i - 1], plan.crfs[i + 1]].some((n) => n !== undefined && c === n + J);
        expect(c === free.crfs[i] || held).toBe(true);
      });
      expect(plan.allReached).toBe(true);
      expect(plan.jumpLimited).toBe(plan.crfs.filter((c, i) => c < free.crfs[i]).length);
    }
  });

  it('limitCrfJumps: the largest sequence below the input satisfying the limit', () => {
    expect(limitCrfJumps([40, 10, 40, 40, 12], 4)).toEqual([14, 10, 14, 16, 12]);
    expect(limitCrfJumps([5, 50], 0)).toEqual([5, 5]);
  });

  it('rejects bad options and broken curves with InvalidOptionsError', () => {
    expect(() => planForTarget(scenes, { targetVmaf: 101, stat: 'mean' })).toThrow(InvalidOptionsError);
    expect(() => planForTarget(scenes, { targetVmaf: 90, stat: 'mean', crfMin: 40, crfMax: 30 })).toThrow(InvalidOptionsError);
    expect(() => planForTarget(scenes, { targetVmaf: 90, stat: 'mean', crfMin: 70 })).toThrow(InvalidOptionsError);
    expect(() => planForTarget(scenes, { targetVmaf: 90, stat: 'mean', maxJump: 3 } as never)).toThrow(InvalidOptionsError);
    expect(() => planForTarget([], { targetVmaf: 90, stat: 'mean' })).toThrow(InvalidOptionsError);
    const broken = curve(SHAPES[0]);
    broken.bytesPerFrame[10] = broken.bytesPerFrame[9];
    expect(() => planForTarget([{ frames: 10, curve: broken }], { targetVmaf: 90, stat: 'mean' })).toThrow(/bytesPerFrame does not decrease/);
    const rising = curve(SHAPES[0]);
    rising.vmafMean[20] = rising.vmafMean[19] + 0.1;
    expect(() => planForTarget([{ frames: 10, curve: rising }], { targetVmaf: 90, stat: 'mean' })).toThrow(/vmafMean increases/);
  });
});

describe('planForBudget', () => {
  it('budgetBytes: average bitrate to total bytes', () => {
    expect(budgetBytes(1000, 240, 24)).toBe(1_250_000);
    expect(() => budgetBytes(0, 240, 24)).toThrow(InvalidOptionsError);
  });

  it('below crfMax everywhere: crfMax, budgetMet false; above crfMin everywhere: crfMin', () => {
    const scenes = scenesOf(SHAPES, FRAMES);
    const low = planForBudget(scenes, { bytes: totalBytes(scenes, [40, 40, 40, 40]) * 0.999, stat: 'mean', crfMin: 10, crfMax: 40 });
    expect(low.crfs).toEqual([40, 40, 40, 40]);
    expect(low.budgetMet).toBe(false);
    const high = planForBudget(scenes, { bytes: totalBytes(scenes, [10, 10, 10, 10]), stat: 'mean', crfMin: 10, crfMax: 40 });
    expect(high.crfs).toEqual([10, 10, 10, 10]);
    expect(high.budgetMet).toBe(true);
    expect(high.optimalityGap).toBe(0);
  });

  it('concave curves at a Lagrangian budget: exactly the per-scene argmax of frames·Q − λ·bytes, = brute force', () => {
    // Q = 100 − K·bytes^(−b/d) is concave in bytes, so every λ defines an optimal allocation.
    const lo = 20;
    const hi = 35;
    const scenes = scenesOf(SHAPES, FRAMES, lo, hi);
    const best = bruteForce(scenes, 'mean', lo, hi);
    const seen = new Set<string>();
    for (const lambda of [1e-4, 2e-4, 5e-4, 1e-3]) {
      const expected = scenes.map((s) => {
        let arg = hi;
        for (let c = hi; c >= lo; c--) if (q(s, 'mean', c) * s.frames - lambda * bytes(s, c) > q(s, 'mean', arg) * s.frames - lambda * bytes(s, arg)) arg = c;
        return arg;
      });
      seen.add(expected.join());
      expect(expected.some((c) => c > lo && c < hi)).toBe(true);
      const budget = totalBytes(scenes, expected) * (1 + 1e-12);
      const plan = planForBudget(scenes, { bytes: budget, stat: 'mean', crfMin: lo, crfMax: hi });
      expect(plan.crfs).toEqual(expected);
      expect(plan.predicted.quality).toBeCloseTo(best(budget), 9);
    }
    // Not vacuous: the λs pick different, interior allocations.
    expect(seen.size).toBe(4);
  });

  const sweep = (scenes: PlannerScene[], lo: number, hi: number, count: number) => {
    const min = totalBytes(scenes, scenes.map(() => hi));
    const max = totalBytes(scenes, scenes.map(() => lo));
    return Array.from({ length: count }, (_, k) => min * Math.pow(max / min, (k + 0.5) / count));
  };

  it.each([
    ['concave curves, mean', SHAPES, 'mean', 20, 35],
    ['concave curves, p5', SHAPES, 'p5', 14, 25],
    ['non-concave (staircase) curves, mean', SHAPES.map((s, i) => ({ ...s, stairs: 3 + (i % 2) })), 'mean', 18, 33],
    ['three scenes, wider range, staircase', SHAPES.slice(0, 3).map((s) => ({ ...s, stairs: 4 })), 'p5', 10, 31],
  ] as const)('%s: within budget and within a tiny, certified gap of brute force', (name, shapes, stat, lo, hi) => {
    const scenes = scenesOf([...shapes], FRAMES, lo, hi);
    const best = bruteForce(scenes, stat, lo, hi);
    const frames = scenes.reduce((a, s) => a + s.frames, 0);
    // Largest quality one CRF step of one scene is worth, in frame-weighted quality.
    let step = 0;
    for (const s of scenes) for (let c = lo; c < hi; c++) step = Math.max(step, ((q(s, stat, c) - q(s, stat, c + 1)) * s.frames) / frames);
    const losses: number[] = [];
    for (const budget of sweep(scenes, lo, hi, 80)) {
      const plan = planForBudget(scenes, { bytes: budget, stat, crfMin: lo, crfMax: hi });
      expect(plan.budgetMet).toBe(true);
      expect(totalBytes(scenes, plan.crfs)).toBeLessThanOrEqual(budget * (1 + 1e-12));
      for (const c of plan.crfs) expect(c >= lo && c <= hi).toBe(true);
      const quality = weightedQuality(scenes, plan.crfs, stat);
      expect(plan.predicted.quality).toBeCloseTo(quality, 10);
      const optimum = best(budget);
      expect(quality).toBeLessThanOrEqual(optimum + 1e-9);
      // The reported certificate really bounds the loss…
      expect(optimum - quality).toBeLessThanOrEqual(plan.optimalityGap + 1e-9);
      // …and on concave curves (hull steps = single CRF steps) the LP argument bounds it by one step.
      if (name.startsWith('concave')) expect(plan.optimalityGap).toBeLessThanOrEqual(step + 1e-9);
      losses.push(optimum - quality);
    }
    // The loss is tiny next to one CRF step of one scene: a few % of it on average, under half at worst.
    expect(losses.reduce((a, b) => a + b, 0) / losses.length).toBeLessThan(step / 10);
    expect(Math.max(...losses)).toBeLessThan(step / 2);
  });

  it('a bigger budget never gives lower quality (dense sweep; a largest-Δquality greedy fill fails this)', () => {
    for (const shapes of [SHAPES, SHAPES.map((s, i) => ({ ...s, stairs: 2 + i }))]) {
      const scenes = scenesOf(shapes, FRAMES);
      let previous = -Infinity;
      for (const budget of sweep(scenes, 0, 63, 1500)) {
        const plan = planForBudget(scenes, { bytes: budget, stat: 'mean' });
        expect(plan.predicted.quality).toBeGreaterThanOrEqual(previous - 1e-12);
        previous = plan.predicted.quality;
      }
    }
  });

  it('more bytes go to the complex scene, in the closed-form ratio 3^(p/(p+1))', () => {
    // Same quality curve, the complex scene needs 3× the bytes at every CRF. With
    // Q = 100 − K·B^(−p), p = b/d, equal slopes give B_complex/B_simple = 3^(p/(p+1)).
    const simple: Shape = { a: 0, b: 3.5, c: 10, d: 5 };
    const complex: Shape = { ...simple, c: simple.c + Math.log(3) };
    const scenes = scenesOf([simple, complex], [100, 100]);
    const plan = planForBudget(scenes, { bytes: totalBytes(scenes, [30, 30]), stat: 'mean' });
    const [s, c] = plan.scenes;
    expect(c.predictedBytes).toBeGreaterThan(s.predictedBytes);
    expect(c.crf).toBeGreaterThan(s.crf);
    const p = simple.b / simple.d;
    const ratio = c.predictedBytes / s.predictedBytes;
    // One CRF step changes bytes by e^(d/63) ≈ 8%.
    expect(Math.abs(Math.log(ratio / Math.pow(3, p / (p + 1))))).toBeLessThan(simple.d / 63 + 1e-9);
  });

  it('maxCrfJump: the limit holds, the budget is still met, and the loss stays within the certificate', () => {
    const lo = 20;
    const hi = 31;
    const shapes = [SHAPES[1], { ...SHAPES[2], c: 8 }, SHAPES[1], SHAPES[3]];
    const scenes = scenesOf(shapes, FRAMES, lo, hi);
    const J = 2;
    const jumpsOk = (crfs: number[]) => crfs.every((c, i) => i === 0 || Math.abs(c - crfs[i - 1]) <= J);
    const best = bruteForce(scenes, 'mean', lo, hi, jumpsOk);
    let limitedSomewhere = false;
    for (const budget of sweep(scenes, lo, hi, 25)) {
      const free = planForBudget(scenes, { bytes: budget, stat: 'mean', crfMin: lo, crfMax: hi });
      const plan = planForBudget(scenes, { bytes: budget, stat: 'mean', crfMin: lo, crfMax: hi, maxCrfJump: J });
      expect(jumpsOk(plan.crfs)).toBe(true);
      expect(plan.budgetMet).toBe(true);
      expect(totalBytes(scenes, plan.crfs)).toBeLessThanOrEqual(budget * (1 + 1e-12));
      const quality = weightedQuality(scenes, plan.crfs, 'mean');
      expect(quality).toBeLessThanOrEqual(free.predicted.quality + 1e-9);
      expect(best(budget) - quality).toBeLessThanOrEqual(plan.optimalityGap + 1e-9);
      expect(best(budget) - quality).toBeLessThan(0.3);
      if (!jumpsOk(free.crfs)) limitedSomewhere = true;
    }
    expect(limitedSomewhere).toBe(true);
  });

  it('reports bitrate when fps is given', () => {
    const scenes = scenesOf(SHAPES, FRAMES);
    const frames = FRAMES.reduce((a, b) => a + b, 0);
    const budget = budgetBytes(2500, frames, 25);
    const plan = planForBudget(scenes, { bytes: budget, stat: 'mean', fps: 25 });
    expect(plan.predicted.bitrateKbps).toBeCloseTo((plan.predicted.bytes * 8) / 1000 / (frames / 25), 9);
    expect(plan.predicted.bitrateKbps!).toBeLessThanOrEqual(2500 * (1 + 1e-12));
    expect(plan.predicted.bitrateKbps!).toBeGreaterThan(2500 * 0.97);
  });
});

describe('probe correction', () => {
  const base = SHAPES[0];
  const t = (v: number) => Math.log(100 - v);

  it('recovers the true curve exactly when the model only got the level wrong', () => {
    // Truth: same slopes, other intercepts (a + 0.4 for quality, bytes ×1.3).
    const predicted = curve(base);
    const truth = curve({ ...base, a: base.a + 0.4, c: base.c + Math.log(1.3) });
    for (const crf of [5, 30, 55]) {
      const i = crf;
      const fixed = correctCurveWithProbe(predicted, { crf, vmafMean: truth.vmafMean[i], vmafP5: truth.vmafP5[i], bytesPerFrame: truth.bytesPerFrame[i] });
      fixed.vmafMean.forEach((v, k) => expect(v).toBeCloseTo(truth.vmafMean[k], 9));
      fixed.vmafP5.forEach((v, k) => expect(v).toBeCloseTo(truth.vmafP5[k], 9));
      fixed.bytesPerFrame.forEach((b, k) => expect(b / truth.bytesPerFrame[k]).toBeCloseTo(1, 12));
      // Without p5 the p5 curve moves with the mean's offset — the same truth here.
      const meanOnly = correctCurveWithProbe(predicted, { crf, vmafMean: truth.vmafMean[i] });
      meanOnly.vmafP5.forEach((v, k) => expect(v).toBeCloseTo(truth.vmafP5[k], 9));
      expect(meanOnly.bytesPerFrame).toEqual(predicted.bytesPerFrame);
    }
  });

  it('passes through the probe, keeps t-domain slopes elsewhere, and keeps the invariants', () => {
    const predicted = curve({ ...base, stairs: 3 });
    const probes = [
      { crf: 20, vmafMean: 91, vmafP5: 85, bytesPerFrame: 9000 },
      { crf: 40, vmafMean: 60, vmafP5: 40 },
      { crf: 3, vmafMean: 99.2, vmafP5: 98 },
      { crf: 50, vmafMean: 88, vmafP5: 87.9 }, // much better than predicted
    ];
    for (const probe of probes) {
      const fixed = correctCurveWithProbe(predicted, probe);
      const i = probe.crf;
      expect(fixed.vmafMean[i]).toBeCloseTo(probe.vmafMean, 9);
      expect(fixed.vmafP5[i]).toBeCloseTo(probe.vmafP5, 9);
      if (probe.bytesPerFrame) expect(fixed.bytesPerFrame[i]).toBeCloseTo(probe.bytesPerFrame, 6);
      for (let k = 0; k < fixed.crfs.length; k++) {
        const inside = (v: number, w: number) => v > 0 && v < 99.5 && w < 99.5;
        if (inside(fixed.vmafMean[k], predicted.vmafMean[k]))
          expect(t(fixed.vmafMean[k]) - t(fixed.vmafMean[i])).toBeCloseTo(t(predicted.vmafMean[k]) - t(predicted.vmafMean[i]), 9);
        expect(Math.log(fixed.bytesPerFrame[k] / fixed.bytesPerFrame[i])).toBeCloseTo(Math.log(predicted.bytesPerFrame[k] / predicted.bytesPerFrame[i]), 12);
      }
      expectInvariants(fixed);
    }
  });

  it('re-establishes the invariants at the extremes (VMAF 0 and 100, measured p5 above the mean)', () => {
    const predicted = curve(base);
    for (const probe of [
      { crf: 30, vmafMean: 100, vmafP5: 100 },
      { crf: 30, vmafMean: 0, vmafP5: 0 },
      { crf: 60, vmafMean: 2 },
      { crf: 10, vmafMean: 90, vmafP5: 95 },
    ]) {
      const fixed = correctCurveWithProbe(predicted, probe);
      expectInvariants(fixed);
    }
    const capped = correctCurveWithProbe(predicted, { crf: 10, vmafMean: 90, vmafP5: 95 });
    expect(capped.vmafP5[10]).toBeCloseTo(90, 9);
    expect(() => correctCurveWithProbe(predicted, { crf: 64, vmafMean: 90 })).toThrow(InvalidOptionsError);
    expect(() => correctCurveWithProbe(predicted, { crf: 10, vmafMean: 120 })).toThrow(InvalidOptionsError);
  });

  function expectInvariants(c: SceneCurve) {
    for (let k = 0; k < c.crfs.length; k++) {
      for (const v of [c.vmafMean[k], c.vmafP5[k]]) expect(v >= 0 && v <= 100).toBe(true);
      expect(c.vmafP5[k]).toBeLessThanOrEqual(c.vmafMean[k]);
      expect(c.bytesPerFrame[k]).toBeGreaterThan(0);
      if (k > 0) {
        expect(c.vmafMean[k]).toBeLessThanOrEqual(c.vmafMean[k - 1]);
        expect(c.vmafP5[k]).toBeLessThanOrEqual(c.vmafP5[k - 1]);
        expect(c.bytesPerFrame[k]).toBeLessThan(c.bytesPerFrame[k - 1]);
      }
    }
  }
});

describe('assessment and re-encode rounds', () => {
  it('assessScenes: hit within ±tolerance, otherwise below/above', () => {
    const a = assessScenes(
      [
        { vmafMean: 93.4, vmafP5: 80 },
        { vmafMean: 92.4, vmafP5: 80 },
        { vmafMean: 95.1, vmafP5: 80 },
        { vmafMean: 92.5, vmafP5: 80 },
      ],
      93,
      'mean',
      0.5,
    );
    expect(a.scenes.map((s) => s.verdict)).toEqual(['hit', 'below', 'above', 'hit']);
    expect(a.scenes[2].error).toBeCloseTo(2.1, 12);
    expect({ hits: a.hits, below: a.below, above: a.above, hitRate: a.hitRate }).toEqual({ hits: 2, below: 1, above: 1, hitRate: 0.5 });
    expect(assessScenes([{ vmafMean: 0, vmafP5: 79 }], 80, 'p5', 1).scenes[0].verdict).toBe('hit');
    expect(measuredWithin(80.5, 80, 0.5)).toBe(true);
    expect(measuredWithin(80.6, 80, 0.5)).toBe(false);
  });

  it('assessScenes: a miss at the CRF bound that would fix it is capped, and reachableHitRate leaves it out', () => {
    const measured = [
      { vmafMean: 93.4, vmafP5: 92 }, // hit
      { vmafMean: 97.5, vmafP5: 97 }, // above at crfMax 63: capped
      { vmafMean: 97.5, vmafP5: 97 }, // above at 50: a higher CRF would fix it
      { vmafMean: 88, vmafP5: 85 }, // below at crfMin 10: capped
      { vmafMean: 88, vmafP5: 85 }, // below at crfMax: a lower CRF would fix it
    ];
    const crfs = [40, 63, 50, 10, 63];
    const a = assessScenes(measured, 93, 'mean', 1, crfs.map((crf) => ({ crf, crfMin: 10, crfMax: 63 })));
    expect(a.scenes.map((s) => s.verdict)).toEqual(['hit', 'capped', 'above', 'capped', 'below']);
    expect(a).toMatchObject({ hits: 1, capped: 2, above: 1, below: 1 });
    expect(a.hitRate).toBeCloseTo(1 / 5);
    expect(a.reachableHitRate).toBeCloseTo(1 / 3);
    // Without limits nothing is capped.
    expect(assessScenes(measured, 93, 'mean', 1).capped).toBe(0);
    expect(() => assessScenes(measured, 93, 'mean', 1, [{ crf: 40, crfMin: 10, crfMax: 63 }])).toThrow(InvalidOptionsError);
    expect(assessScenes([measured[1]!], 93, 'mean', 1, [{ crf: 63, crfMin: 10, crfMax: 63 }]).reachableHitRate).toBeUndefined();
  });

  it('correctMisses: a hopeless scene goes to crfMin with reached false, then is not re-encoded again', () => {
    const predicted = scenesOf([SHAPES[0]], [100]);
    const truth = scenesOf([{ ...SHAPES[0], a: SHAPES[0].a + 1.5 }], [100]);
    const opts = { targetVmaf: 95, stat: 'mean' as const, tolerance: 0.5, crfMin: 20 };
    const plan = planForTarget(predicted, { targetVmaf: 95, stat: 'mean', crfMin: 20 });
    expect(plan.crfs[0]).toBeGreaterThan(20);
    const measure = (crfs: number[]) => crfs.map((c) => ({ vmafMean: q(truth[0], 'mean', c), vmafP5: q(truth[0], 'p5', c) }));
    // Truth at CRF 20: 100 − exp(1.5 + 3.5·20/63) ≈ 86.6 < 95.
    const first = correctMisses(predicted, plan.crfs, measure(plan.crfs), opts);
    expect(first.scenes[0]).toMatchObject({ verdict: 'below', crf: 20, reached: false });
    expect(first.reencode).toEqual([0]);
    // The next round as optimizeEncode runs it: the round's curves and measurements fed back.
    const second = correctMisses([{ frames: 100, curve: first.curves[0], predictedCurve: predicted[0].curve, measurements: first.measurements[0] }], first.crfs, measure(first.crfs), opts);
    // Now at crfMin and still below: a miss no CRF in range can fix.
    expect(second.scenes[0]).toMatchObject({ verdict: 'capped', previousCrf: 20, crf: 20, reached: false });
    expect(second.reencode).toEqual([]);
  });

  it('correctMisses: one round lands every missed scene on the true curve’s answer; hits keep their CRF', () => {
    // The model is off by a level per scene (some optimistic, some pessimistic, one exact).
    const errors = [0.5, -0.4, 0, 0.25];
    const predicted = scenesOf(SHAPES, FRAMES);
    const truth = scenesOf(SHAPES.map((s, i) => ({ ...s, a: s.a + errors[i] })), FRAMES);
    const target = 92;
    const plan = planForTarget(predicted, { targetVmaf: target, stat: 'mean' });
    const measured = plan.crfs.map((c, i) => ({ vmafMean: q(truth[i], 'mean', c), vmafP5: q(truth[i], 'p5', c) }));
    // 0.6 exceeds one CRF step of quality near 92 (≤ 0.5 here), so the exact scene must hit.
    const r = correctMisses(predicted, plan.crfs, measured, { targetVmaf: target, stat: 'mean', tolerance: 0.6 });
    const verdicts = assessScenes(measured, target, 'mean', 0.6).scenes.map((s) => s.verdict);
    expect(verdicts).toContain('below');
    expect(verdicts).toContain('above');
    expect(verdicts[2]).toBe('hit');
    truth.forEach((s, i) => {
      if (verdicts[i] === 'hit') {
        expect(r.crfs[i]).toBe(plan.crfs[i]);
        expect(r.curves[i]).toBe(predicted[i].curve);
        return;
      }
      let expected = 0;
      for (let c = 0; c <= 63; c++) if (q(s, 'mean', c) >= target) expected = c;
      expect(r.crfs[i]).toBe(expected);
      expect(r.scenes[i]).toMatchObject({ verdict: verdicts[i], previousCrf: plan.crfs[i], crf: expected, reached: true });
      expect(Math.sign(r.crfs[i] - plan.crfs[i])).toBe(verdicts[i] === 'below' ? -1 : 1);
    });
    expect(r.reencode).toEqual(r.crfs.flatMap((c, i) => (c !== plan.crfs[i] ? [i] : [])));
    expect(r.reencode.length).toBeGreaterThan(0);
    expect(() => correctMisses(predicted, plan.crfs.slice(1), measured, { targetVmaf: target, stat: 'mean', tolerance: 0.6 })).toThrow(InvalidOptionsError);
  });
});

describe('correctMisses: the round optimizeEncode runs', () => {
  it('refits a miss from the prediction through every measurement (its probe too), within the probe trust region', () => {
    const truth = curve({ a: 0.4, b: 2.2, c: 11, d: 3.5 });
    const predictedCurve = curve({ a: -0.2, b: 3.6, c: 10, d: 5 });
    const measure = (crf: number) => ({ crf, vmafMean: truth.vmafMean[crf]!, vmafP5: truth.vmafP5[crf]!, bytesPerFrame: truth.bytesPerFrame[crf]! });
    const target = 93;
    let answer = 0;
    for (let c = 0; c <= 63; c++) if (truth.vmafMean[c]! >= target) answer = c;
    // Probed at CRF 30 and planned on the predicted slope through the probe: a miss, several CRFs off.
    const probed = fitCurveToProbes(predictedCurve, [measure(30)]);
    const crf = planForTarget([{ frames: 100, curve: probed }], { targetVmaf: target, stat: 'mean' }).crfs[0]!;
    expect(Math.abs(crf - answer)).toBeGreaterThan(2);
    const scene = { frames: 100, curve: probed, predictedCurve, measurements: [measure(30)] };
    const opts = { targetVmaf: target, stat: 'mean' as const, tolerance: 0.5 };
    const r = correctMisses([scene], [crf], [measure(crf)], opts);
    // Probe and encode at two CRFs pin the true slope (both families are linear in CRF in t and ln bytes).
    expect(r.crfs[0]).toBe(answer);
    expect(r.curves[0]!.vmafMean[answer]).toBeCloseTo(truth.vmafMean[answer]!, 6);
    expect(r.measurements[0]).toEqual([measure(30), measure(crf)]);
    expect(r.reencode).toEqual([0]);
    // With a trust region the new CRF stays within 2 of the CRFs measured.
    const trusted = correctMisses([scene], [crf], [measure(crf)], { ...opts, probeTrust: 2 });
    const [lo, hi] = [Math.min(30, crf) - 2, Math.max(30, crf) + 2];
    expect(answer < lo || answer > hi).toBe(true);
    expect(trusted.crfs[0]).toBe(Math.min(hi, Math.max(lo, answer)));
  });
});

describe('fitCurveToProbes', () => {
  it('two probes replace a wrong predicted slope: the corrected curve is the true one', () => {
    const truth = curve({ a: 0.4, b: 2.2, c: 11, d: 3.5 });
    const predicted = curve({ a: -0.2, b: 3.6, c: 10, d: 5 });
    const probe = (crf: number) => ({ crf, vmafMean: truth.vmafMean[crf]!, vmafP5: truth.vmafP5[crf]!, bytesPerFrame: truth.bytesPerFrame[crf]! });
    const fixed = fitCurveToProbes(predicted, [probe(30), probe(40)]);
    // Both families are linear in CRF in t = ln(100 − VMAF) and in ln bytes, so two points pin them.
    for (const c of [10, 25, 35, 50]) {
      expect(fixed.vmafMean[c]).toBeCloseTo(truth.vmafMean[c]!, 6);
      expect(fixed.vmafP5[c]).toBeCloseTo(truth.vmafP5[c]!, 6);
      expect(fixed.bytesPerFrame[c]! / truth.bytesPerFrame[c]!).toBeCloseTo(1, 6);
    }
    // One probe keeps the predicted slope: exact at the probe, off elsewhere.
    const one = fitCurveToProbes(predicted, [probe(30)]);
    expect(one.vmafMean[30]).toBeCloseTo(truth.vmafMean[30]!, 6);
    expect(Math.abs(one.vmafMean[50]! - truth.vmafMean[50]!)).toBeGreaterThan(1);
  });

  it('with the proxy curve, one probe recovers the true curve: the proxy gives the slope, the probe the level', () => {
    const truth = curve({ a: 0.4, b: 2.2, c: 11, d: 3.5 });
    const predicted = curve({ a: -0.2, b: 3.6, c: 10, d: 5 });
    // A proxy is encoded smaller and faster, so its level differs (here by 0.7 in t); its slope is the scene's.
    const proxyCrfs = [36, 52];
    const proxy = { crfs: proxyCrfs, vmafMean: proxyCrfs.map((c) => vmafAt(0.4 - 0.7, 2.2, c)) };
    expect(proxySlopeFactor(predicted, proxy)).toBeCloseTo(2.2 / 3.6, 9);
    const probe = { crf: 30, vmafMean: truth.vmafMean[30]!, vmafP5: truth.vmafP5[30]!, bytesPerFrame: truth.bytesPerFrame[30]! };
    const fixed = fitCurveToProbes(predicted, [probe], { proxy });
    for (const c of [10, 25, 35, 50, 63]) {
      expect(fixed.vmafMean[c]).toBeCloseTo(truth.vmafMean[c]!, 6);
      expect(fixed.vmafP5[c]).toBeCloseTo(truth.vmafP5[c]!, 6);
    }
    // Without the proxy the same probe leaves the predicted slope, off far from the probe.
    expect(Math.abs(fitCurveToProbes(predicted, [probe]).vmafMean[50]! - truth.vmafMean[50]!)).toBeGreaterThan(1);
    // No measurement, no correction: a plan without probes is the model's.
    expect(fitCurveToProbes(predicted, [], { proxy })).toEqual(predicted);
  });

  it('proxySlopeFactor: clamped, and 1 where the proxy says nothing about the slope', () => {
    const predicted = curve({ a: 0, b: 3, c: 11, d: 5 });
    const proxyOf = (b: number, a = 0) => ({ crfs: [36, 52], vmafMean: [36, 52].map((c) => vmafAt(a, b, c)) });
    expect(proxySlopeFactor(predicted, proxyOf(30))).toBe(PROXY_SLOPE_FACTOR_RANGE.max);
    expect(proxySlopeFactor(predicted, proxyOf(0.3))).toBe(PROXY_SLOPE_FACTOR_RANGE.min);
    // Slides at the ceiling at both CRFs; a proxy measured better at the higher CRF (noise).
    expect(proxySlopeFactor(predicted, { crfs: [36, 52], vmafMean: [100, 100] })).toBe(1);
    expect(proxySlopeFactor(predicted, { crfs: [36, 52], vmafMean: [90, 91] })).toBe(1);
    // One proxy CRF, or CRFs outside the curve.
    expect(proxySlopeFactor(predicted, { crfs: [36], vmafMean: [90] })).toBe(1);
    expect(proxySlopeFactor(curve({ a: 0, b: 3, c: 11, d: 5 }, 0, 40), proxyOf(3))).toBe(1);
    // A wildly wrong proxy still leaves a valid curve through the probe.
    const fixed = fitCurveToProbes(predicted, [{ crf: 40, vmafMean: 90, vmafP5: 85 }], { proxy: proxyOf(30) });
    expect(fixed.vmafMean[40]).toBeCloseTo(90, 9);
    for (let k = 1; k < fixed.crfs.length; k++) {
      expect(fixed.vmafMean[k]!).toBeLessThanOrEqual(fixed.vmafMean[k - 1]!);
      expect(fixed.vmafP5[k]!).toBeLessThanOrEqual(fixed.vmafMean[k]!);
    }
  });

  it('noisy probes a CRF apart cannot flatten or invert the curve', () => {
    const predicted = curve({ a: 0, b: 3.5, c: 11, d: 5 });
    // Higher CRF measured *better*: noise. The curve must stay non-increasing, bytes decreasing.
    const fixed = fitCurveToProbes(predicted, [
      { crf: 30, vmafMean: 92, vmafP5: 90, bytesPerFrame: 1000 },
      { crf: 31, vmafMean: 93, vmafP5: 91, bytesPerFrame: 1100 },
    ]);
    for (let k = 1; k < fixed.crfs.length; k++) {
      expect(fixed.vmafMean[k]!).toBeLessThan(fixed.vmafMean[k - 1]! + 1e-12);
      expect(fixed.vmafP5[k]!).toBeLessThanOrEqual(fixed.vmafMean[k]!);
      expect(fixed.bytesPerFrame[k]!).toBeLessThan(fixed.bytesPerFrame[k - 1]!);
    }
    expect(fixed.vmafMean[50]!).toBeLessThan(fixed.vmafMean[31]! - 1);
  });
});
