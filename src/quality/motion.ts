import type { Plane } from './plane.js';
import { mirrorIndex } from './vif.js';

/**
 * VMAF's temporal feature: the mean absolute difference between consecutive reference frames
 * after a small Gaussian blur (σ = 1, 5 taps), which removes noise and fine texture so that the
 * value tracks real motion. `motion2` for frame i is min(sad(i), sad(i+1)) — the lower of the
 * backward and forward differences, so a single cut does not read as two frames of high motion.
 */

/** The motion blur's 5 taps: a Gaussian with σ = 1, normalised. */
export const MOTION_TAPS = (() => {
  const w = [-2, -1, 0, 1, 2].map((x) => Math.exp(-(x * x) / 2));
  const sum = w.reduce((a, b) => a + b, 0);
  return Float64Array.from(w, (v) => v / sum);
})();

/** The blurred reference frame that motion compares (a fresh array unless `out` is given). */
export function blurForMotion(p: Plane, out?: Float32Array): Float32Array {
  const { width: w, height: h, data } = p;
  const scale = p.bitDepth === 8 ? 1 : 0.25;
  const dst = out && out.length === w * h ? out : new Float32Array(w * h);
  const row = new Float64Array(w + 4);
  for (let y = 0; y < h; y++) {
    const r0 = mirrorIndex(y - 2, h) * w;
    const r1 = mirrorIndex(y - 1, h) * w;
    const r2 = y * w;
    const r3 = mirrorIndex(y + 1, h) * w;
    const r4 = mirrorIndex(y + 2, h) * w;
    for (let x = 0; x < w; x++) {
      row[x + 2] =
        scale *
        (MOTION_TAPS[0]! * (data[r0 + x]! + data[r4 + x]!) + MOTION_TAPS[1]! * (data[r1 + x]! + data[r3 + x]!) + MOTION_TAPS[2]! * data[r2 + x]!);
    }
    row[1] = row[3]!;
    row[0] = row[4]!;
    row[w + 2] = row[w]!;
    row[w + 3] = row[w - 1]!;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      dst[o + x] = MOTION_TAPS[0]! * (row[x]! + row[x + 4]!) + MOTION_TAPS[1]! * (row[x + 1]! + row[x + 3]!) + MOTION_TAPS[2]! * row[x + 2]!;
    }
  }
  return dst;
}

/** Mean absolute difference of two blurred frames (VMAF's per-frame motion SAD). */
export function motionSad(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * motion2 for every frame from the per-frame SADs (sad[0] = 0: the first frame has no
 * predecessor): min(sad[i], sad[i+1]), and the last frame keeps its own.
 */
export function motion2FromSads(sads: ArrayLike<number>): number[] {
  const n = sads.length;
  return Array.from({ length: n }, (_, i) => (i + 1 < n ? Math.min(sads[i]!, sads[i + 1]!) : sads[i]!));
}

/** The blur and SAD implementations a MotionTracker uses (the WASM kernels or the TS ones). */
export interface MotionKernels {
  blur(p: Plane, out?: Float32Array): Float32Array;
  sad(a: Float32Array, b: Float32Array): number;
}

export const typescriptMotionKernels: MotionKernels = { blur: blurForMotion, sad: motionSad };

/**
 * Feeds consecutive reference frames and returns each frame's SAD against the previous one
 * (0 for the first), reusing two blur buffers.
 */
export class MotionTracker {
  private prev: Float32Array | undefined;
  private spare: Float32Array | undefined;
  constructor(private readonly kernels: MotionKernels = typescriptMotionKernels) {}

  push(reference: Plane): number {
    const blur = this.kernels.blur(reference, this.spare);
    const sad = this.prev ? this.kernels.sad(blur, this.prev) : 0;
    this.spare = this.prev;
    this.prev = blur;
    return sad;
  }
}
