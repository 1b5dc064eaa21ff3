import type { Plane } from './plane.js';

/**
 * VIF (Sheikh & Bovik, "Image information and visual quality", 2006) in the pixel-domain,
 * four-scale form VMAF uses: at each scale a Gaussian window gives local means, variances and the
 * covariance of reference and distorted; the distortion channel is modelled as a gain plus
 * additive noise, and the score is the ratio of the information the distorted image keeps to the
 * information in the reference. Scales 1–3 are the previous scale low-passed with that scale's
 * window and decimated by two.
 */

export interface VifOptions {
  /** Upper bound on the channel gain; 100 by default, 1 for VMAF's "NEG" variant (no credit for
   * enhancement such as sharpening). */
  enhancementGainLimit?: number;
}

export interface VifResult {
  scales: [number, number, number, number];
}

/** Variance of the visual noise (HVS model), in 8-bit code values squared. */
const SIGMA_NSQ = 2;
/** Where the reference has less local variance than the visual noise, the information terms
 * degenerate; VMAF then scores the pixel by how little variance the distorted adds, relative to
 * the largest possible variance (255/2)². */
const SIGMA_MAX_INV = 4 / (255 * 255);
const EPS = 1e-10;

/** Window widths per scale; each a Gaussian with σ = width / 5, truncated and normalised. */
const WIDTHS = [17, 9, 5, 3] as const;

/** VIF's window of `width` taps: a Gaussian with σ = width / 5, truncated and normalised. */
export function gaussianWindow(width: number): Float64Array {
  const sigma = width / 5;
  const half = (width - 1) / 2;
  const w = new Float64Array(width);
  let sum = 0;
  for (let i = 0; i < width; i++) {
    w[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma));
    sum += w[i]!;
  }
  for (let i = 0; i < width; i++) w[i]! /= sum;
  return w;
}

const WINDOWS = WIDTHS.map(gaussianWindow);

/** Mirror an out-of-range index back into [0, n) without repeating the edge sample. */
export function mirrorIndex(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * n - i - 2;
  return i;
}

interface Workspace {
  width: number;
  height: number;
  /** Reference and distorted at each scale (scale 0 is a converted copy of the input). */
  ref: Float32Array[];
  dis: Float32Array[];
  /** Vertically filtered rows, padded by the window half-width on each side. */
  rows: Float64Array[];
}

let workspace: Workspace | undefined;

function getWorkspace(width: number, height: number): Workspace {
  if (workspace && workspace.width === width && workspace.height === height) return workspace;
  const ref: Float32Array[] = [];
  const dis: Float32Array[] = [];
  let w = width;
  let h = height;
  for (let s = 0; s < 4; s++) {
    ref.push(new Float32Array(w * h));
    dis.push(new Float32Array(w * h));
    w = w >> 1;
    h = h >> 1;
  }
  const padded = width + WIDTHS[0];
  const rows = Array.from({ length: 5 }, () => new Float64Array(padded));
  workspace = { width, height, ref, dis, rows };
  return workspace;
}

function loadPlane(p: Plane, out: Float32Array): void {
  const d = p.data;
  const n = p.width * p.height;
  if (p.bitDepth === 8) for (let i = 0; i < n; i++) out[i] = d[i]!;
  else for (let i = 0; i < n; i++) out[i] = d[i]! / 4;
}

/**
 * Low-pass `src` (w×h) with `win` and keep every other sample in both directions, into `dst`
 * (⌊w/2⌋×⌊h/2⌋).
 */
function filterDecimate(src: Float32Array, w: number, h: number, win: Float64Array, dst: Float32Array): void {
  const taps = win.length;
  const half = taps >> 1;
  const ow = w >> 1;
  const oh = h >> 1;
  const row = new Float64Array(w + 2 * half);
  for (let oy = 0; oy < oh; oy++) {
    const y = 2 * oy;
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += win[k]! * src[mirrorIndex(y - half + k, h) * w + x]!;
      row[x + half] = acc;
    }
    for (let k = 1; k <= half; k++) {
      row[half - k] = row[half + k]!;
      row[half + w - 1 + k] = row[half + w - 1 - k]!;
    }
    for (let ox = 0; ox < ow; ox++) {
      const x = 2 * ox;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += win[k]! * row[x + k]!;
      dst[oy * ow + ox] = acc;
    }
  }
}

/** VIF at one scale: Σ information kept / Σ information present over every pixel. */
function vifAtScale(ref: Float32Array, dis: Float32Array, w: number, h: number, win: Float64Array, gainLimit: number, rows: Float64Array[]): number {
  const taps = win.length;
  const half = taps >> 1;
  const [mu1, mu2, xx, yy, xy] = rows as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  let num = 0;
  let den = 0;
  for (let y = 0; y < h; y++) {
    // Vertical pass: five filtered quantities for every column of this row.
    for (let x = 0; x < w; x++) {
      let a1 = 0, a2 = 0, a11 = 0, a22 = 0, a12 = 0;
      for (let k = 0; k < taps; k++) {
        const i = mirrorIndex(y - half + k, h) * w + x;
        const c = win[k]!;
        const r = ref[i]!;
        const d = dis[i]!;
        a1 += c * r;
        a2 += c * d;
        a11 += c * r * r;
        a22 += c * d * d;
        a12 += c * r * d;
      }
      const p = x + half;
      mu1[p] = a1; mu2[p] = a2; xx[p] = a11; yy[p] = a22; xy[p] = a12;
    }
    for (const b of rows) {
      for (let k = 1; k <= half; k++) {
        b[half - k] = b[half + k]!;
        b[half + w - 1 + k] = b[half + w - 1 - k]!;
      }
    }
    // Horizontal pass and the per-pixel statistic.
    for (let x = 0; x < w; x++) {
      let m1 = 0, m2 = 0, s11 = 0, s22 = 0, s12 = 0;
      for (let k = 0; k < taps; k++) {
        const c = win[k]!;
        const p = x + k;
        m1 += c * mu1[p]!;
        m2 += c * mu2[p]!;
        s11 += c * xx[p]!;
        s22 += c * yy[p]!;
        s12 += c * xy[p]!;
      }
      let sigma1 = s11 - m1 * m1;
      let sigma2 = s22 - m2 * m2;
      const sigma12 = s12 - m1 * m2;
      if (sigma1 < 0) sigma1 = 0;
      if (sigma2 < 0) sigma2 = 0;
      if (sigma1 < SIGMA_NSQ) {
        num += 1 - sigma2 * SIGMA_MAX_INV;
        den += 1;
        continue;
      }
      let g = sigma12 / (sigma1 + EPS);
      let sv = sigma2 - g * sigma12;
      if (sigma2 < EPS) {
        g = 0;
        sv = 0;
      }
      if (g < 0) {
        sv = sigma2;
        g = 0;
      }
      if (sv < EPS) sv = EPS;
      if (g > gainLimit) g = gainLimit;
      num += Math.log2(1 + (g * g * sigma1) / (sv + SIGMA_NSQ));
      den += Math.log2(1 + sigma1 / SIGMA_NSQ);
    }
  }
  return den > 0 ? num / den : 1;
}

/** VIF of `dis` against `ref` at four scales (VMAF's vif_scale0..3 features). */
export function computeVif(ref: Plane, dis: Plane, opts: VifOptions = {}): VifResult {
  const { width, height } = ref;
  const gainLimit = opts.enhancementGainLimit ?? 100;
  const ws = getWorkspace(width, height);
  loadPlane(ref, ws.ref[0]!);
  loadPlane(dis, ws.dis[0]!);
  const scales: number[] = [];
  let w = width;
  let h = height;
  for (let s = 0; s < 4; s++) {
    const win = WINDOWS[s]!;
    if (s > 0) {
      filterDecimate(ws.ref[s - 1]!, w, h, win, ws.ref[s]!);
      filterDecimate(ws.dis[s - 1]!, w, h, win, ws.dis[s]!);
      w >>= 1;
      h >>= 1;
    }
    scales.push(vifAtScale(ws.ref[s]!, ws.dis[s]!, w, h, win, gainLimit, ws.rows));
  }
  return { scales: scales as VifResult['scales'] };
}
