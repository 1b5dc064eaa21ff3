/**
 * Pooling of per-frame scores into one number per clip or per scene. Means hide short bad
 * stretches, so the low percentiles and the minimum are reported next to them; the harmonic mean
 * is libvmaf's (computed on score + 1, so a zero score does not make it undefined).
 */

export interface PooledScore {
  mean: number;
  harmonicMean: number;
  min: number;
  max: number;
  /** 1st and 5th percentiles (linear interpolation between order statistics). */
  p1: number;
  p5: number;
  /** Frames that went into the statistics. */
  frames: number;
}

/** Percentile `p` (0–100) of ascending `sorted`, interpolating between neighbours. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = ((n - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Pools finite scores; infinite values (PSNR of identical frames) are kept out of the harmonic
 * mean's reciprocal but count as +∞ in min/percentiles, so a perfect clip pools to +∞. */
export function poolScores(values: ArrayLike<number>): PooledScore {
  const v = Float64Array.from(values as ArrayLike<number>).filter((x) => !Number.isNaN(x));
  const n = v.length;
  if (n === 0) return { mean: Number.NaN, harmonicMean: Number.NaN, min: Number.NaN, max: Number.NaN, p1: Number.NaN, p5: Number.NaN, frames: 0 };
  let sum = 0;
  let recip = 0;
  for (const x of v) {
    sum += x;
    recip += 1 / (x + 1);
  }
  const sorted = v.slice().sort();
  return {
    mean: sum / n,
    harmonicMean: n / recip - 1,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p1: percentile(sorted, 1),
    p5: percentile(sorted, 5),
    frames: n,
  };
}

export interface SceneSpan {
  startFrame: number;
  /** Exclusive. */
  endFrame: number;
}

/**
 * Pools `values` (indexed by frame; NaN where a frame was not measured, e.g. when subsampling)
 * inside each scene.
 */
export function poolScenes(values: ArrayLike<number>, scenes: readonly SceneSpan[]): Array<SceneSpan & { score: PooledScore }> {
  return scenes.map((s) => {
    const slice: number[] = [];
    for (let i = Math.max(0, s.startFrame); i < Math.min(values.length, s.endFrame); i++) slice.push(values[i]!);
    return { startFrame: s.startFrame, endFrame: s.endFrame, score: poolScores(slice) };
  });
}
