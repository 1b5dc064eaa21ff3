/**
 * A scene's predicted (or measured) rate–quality curve, sampled at every integer CRF of the
 * encoder's range. It is the hand-off between the model (which predicts it from the scene's
 * complexity) and the planner (which chooses a CRF on it), so both stay pure and testable on
 * plain arrays.
 *
 * Invariants (the model guarantees them, the planner relies on them):
 * - `crfs` are consecutive integers `crfMin..crfMax`;
 * - `vmafMean[i]`, `vmafP5[i]` are non-increasing in CRF and within 0..100;
 * - `bytesPerFrame[i]` is positive and strictly decreasing in CRF.
 */
export interface SceneCurve {
  crfs: number[];
  /** Mean of the scene's per-frame VMAF at each CRF. */
  vmafMean: number[];
  /** 5th percentile of the scene's per-frame VMAF at each CRF. */
  vmafP5: number[];
  /** Coded bytes per frame at each CRF. */
  bytesPerFrame: number[];
}

/** Which per-scene quality statistic a target or an optimisation refers to. */
export type QualityStat = 'mean' | 'p5';

export function curveQuality(curve: SceneCurve, stat: QualityStat): number[] {
  return stat === 'p5' ? curve.vmafP5 : curve.vmafMean;
}

/** VMAF is clamped to this before ln(100 − VMAF): the transform diverges at 100. */
export const VMAF_CEILING = 99.5;

/**
 * t = ln(100 − VMAF), the scale on which the model fits quality and the planner corrects it: there,
 * quality falls nearly linearly with CRF. VMAF above VMAF_CEILING counts as VMAF_CEILING.
 */
export function vmafToT(vmaf: number): number {
  return Math.log(100 - Math.min(vmaf, VMAF_CEILING));
}

/** The inverse of `vmafToT`, clamped to 0..100. */
export function tToVmaf(t: number): number {
  const v = 100 - Math.exp(t);
  return v > 100 ? 100 : v > 0 ? v : 0;
}
