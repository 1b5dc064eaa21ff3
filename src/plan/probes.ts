import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { tToVmaf, vmafToT, type SceneCurve } from '../core/curve.js';
import type { ProxyCurve } from '../core/proxy-spec.js';
import { checkCurve, validated, type SceneCrfBounds } from './inputs.js';

/**
 * Probe corrections: a scene's predicted curve moved through what was measured of it (level from
 * one measurement, slope from two or from the proxy curve), and the trust region that keeps a
 * re-plan near those measurements.
 */

/**
 * The trust region after probes: CRFs within `step` of the CRFs a scene was measured at. A curve
 * moved through one measurement is right at that CRF and less so the further the plan moves from
 * it, because the predicted slope is what carries it there; far moves (a scene predicted 6 VMAF
 * too high, a probe near VMAF 100 where ln(100 − VMAF) magnifies every difference) overshoot. In
 * the planning simulation with the proxy models, ±8 lowered the one-probe mean error in every
 * setting (bench/RESULTS.md, "trust region").
 */
export function probeTrustBounds(measuredCrfs: readonly number[], step: number): SceneCrfBounds {
  validated(z.number().int().min(1), step, 'probe trust step');
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
  const p = validated(
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

