// ADM (Additive Detail Metric / Detail Loss Metric) as computed by Netflix libvmaf's
// `integer_adm` feature extractor (libvmaf 3.x), i.e. the `adm2` and `adm_scale0..3`
// inputs of the VMAF v0.6.1 models.
//
// Method (Li, Zhang, Wang, Yang, "Image Quality Assessment by Separately Evaluating Detail
// Losses and Additive Impairments", IEEE Trans. Multimedia 2011), per scale (4 scales):
//   1. one level of a 2-D db2 DWT of reference and distorted (the LL band feeds the next scale);
//   2. decoupling of the distorted detail bands into a restored part r = clamp(t/o, 0, 1)·o
//      (with enhancement allowed up to a gain limit where the (h, v) orientation of t is within
//      1° of o's) and an additive part a = t − r;
//   3. a CSF weight per scale/orientation from Watson et al. 1997's DWT noise-visibility model;
//   4. contrast masking of the CSF-weighted restored bands by a 3×3 neighbourhood of the
//      CSF-weighted additive bands (all three orientations), then a cube-root of the sum of
//      cubes over the centre region (10 % border excluded) gives the numerator; the same
//      pooling of the CSF-weighted reference gives the denominator.
// libvmaf's integer extractor does all of this in fixed point (Q-format samples, a reciprocal
// lookup table for t/o, rounding shifts, float32 for the final pooling); the arithmetic here
// follows those number formats step by step so the scores agree with libvmaf's to within its
// 6-decimal log precision. JS numbers (float64) hold the 64-bit intermediates exactly while they
// stay below 2^53, which covers every realistic sample magnitude.
import type { Plane } from './plane.js';

export interface AdmOptions {
  /** Enhancement gain limit (≥ 1). Default 100; the VMAF "NEG" models use 1. */
  enhancementGainLimit?: number;
}

export interface AdmResult {
  /** Σ numerators / Σ denominators over the 4 scales (1 for identical inputs). */
  adm2: number;
  /** Per-scale numerator / denominator, finest scale first. */
  scales: [number, number, number, number];
  /** Σ numerators (as libvmaf's `integer_adm_num`). */
  num: number;
  /** Σ denominators (as libvmaf's `integer_adm_den`). */
  den: number;
}

/** Smallest width/height accepted: every DWT level's input must have at least 5 samples. */
export const ADM_MIN_SIZE = 33;

// db2 analysis filters in Q15.
const LO0 = 15826;
const LO1 = 27411;
const LO2 = 7345;
const LO3 = -4240;
const HI0 = -4240;
const HI1 = -7345;
const HI2 = 27411;
const HI3 = -15826;
const LO_SUM = 46342;

const BORDER = 0.1;
const NOISE_WEIGHT = 0.03125;
const ONE_THIRD_F = Math.fround(1 / 3);
const COS_1DEG_SQ = Math.fround(Math.cos(Math.PI / 180) * Math.cos(Math.PI / 180));
const TWO32 = 4294967296;
const INV_2_15 = 1 / 32768;
const INV_2_16 = 1 / 65536;
const INV_2_28 = 1 / 268435456;
const INV_2_30 = 1 / 1073741824;
const INV_2_32 = 1 / TWO32;
const TWO31 = 2147483648;

/** Reciprocals 2^30 / m, m = 1..32768 (index m). */
const DIV = new Float64Array(32769);
for (let m = 1; m <= 32768; m++) DIV[m] = Math.trunc(1073741824 / m);

const f32 = Math.fround;
function powf3(x: number): number {
  return f32(Math.pow(f32(x), ONE_THIRD_F));
}

// Watson et al. 1997 DWT quantisation step for the Y channel (float32 as in libvmaf),
// viewing distance 3 display heights of 1080 lines.
const BASIS_AMP = [
  [0.62171, 0.67234, 0.72709],
  [0.34537, 0.41317, 0.49428],
  [0.18004, 0.22727, 0.28688],
  [0.091401, 0.11792, 0.15214],
];
const G = [1.501, 1.0, 0.534];
function quantStep(lambda: number, theta: number): number {
  const r = f32((3.0 * 1080 * Math.PI) / 180.0);
  const temp = f32(Math.log10((Math.pow(2, lambda + 1) * f32(0.401) * f32(G[theta]!)) / r));
  return f32((2.0 * f32(0.495) * Math.pow(10.0, f32(0.466) * temp * temp)) / f32(BASIS_AMP[lambda]![theta]!));
}
/** float32 CSF factors 1/Q: [scale][0 = h/v, 1 = d]. */
const RFACTOR: number[][] = [0, 1, 2, 3].map((s) => [f32(1 / quantStep(s, 1)), f32(1 / quantStep(s, 2))]);
/** Scales 1..3: rfactor · 2^32 truncated (uint32). */
export const I4_RFACTOR: number[][] = RFACTOR.map((r) => [Math.trunc(r[0]! * TWO32), Math.trunc(r[1]! * TWO32)]);

interface Workspace {
  w: number;
  h: number;
  /** DWT input size per scale. */
  inW: Int32Array;
  inH: Int32Array;
  /** Mirror index tables per scale: 4 source indices per output sample. */
  indX: Int32Array[];
  indY: Int32Array[];
  tmpLo: Float64Array;
  tmpHi: Float64Array;
  tmpLoI: Int32Array;
  tmpHiI: Int32Array;
  refA: Int32Array[]; // ping-pong LL bands
  disA: Int32Array[];
  refH: Int32Array;
  refV: Int32Array;
  refD: Int32Array;
  disH: Int32Array;
  disV: Int32Array;
  disD: Int32Array;
  rH: Int32Array;
  rV: Int32Array;
  rD: Int32Array;
  fltSum: Int32Array;
  c15Sum: Int32Array;
  flags: Uint8Array;
  colSum: Int32Array;
}

const workspaces = new Map<string, Workspace>();

function buildIndices(n: number): Int32Array {
  const half = (n + 1) >> 1;
  const out = new Int32Array(4 * half);
  for (let i = 0; i < half; i++) {
    for (let k = 0; k < 4; k++) {
      let idx = 2 * i - 1 + k;
      if (idx < 0) idx = -idx;
      if (idx >= n) idx = 2 * n - idx - 1;
      out[4 * i + k] = idx;
    }
  }
  return out;
}

function getWorkspace(w: number, h: number): Workspace {
  const key = `${w}x${h}`;
  let ws = workspaces.get(key);
  if (ws) return ws;
  const inW = new Int32Array(4);
  const inH = new Int32Array(4);
  let cw = w;
  let ch = h;
  const indX: Int32Array[] = [];
  const indY: Int32Array[] = [];
  for (let s = 0; s < 4; s++) {
    inW[s] = cw;
    inH[s] = ch;
    indX.push(buildIndices(cw));
    indY.push(buildIndices(ch));
    cw = (cw + 1) >> 1;
    ch = (ch + 1) >> 1;
  }
  const bw = (w + 1) >> 1;
  const bh = (h + 1) >> 1;
  const n = bw * bh;
  const band = () => new Int32Array(n);
  ws = {
    w,
    h,
    inW,
    inH,
    indX,
    indY,
    tmpLo: new Float64Array(w),
    tmpHi: new Float64Array(w),
    tmpLoI: new Int32Array(w),
    tmpHiI: new Int32Array(w),
    refA: [band(), band()],
    disA: [band(), band()],
    refH: band(),
    refV: band(),
    refD: band(),
    disH: band(),
    disV: band(),
    disD: band(),
    rH: band(),
    rV: band(),
    rD: band(),
    fltSum: band(),
    c15Sum: band(),
    flags: new Uint8Array(n),
    colSum: new Int32Array(bw),
  };
  if (workspaces.size >= 4) workspaces.delete(workspaces.keys().next().value!);
  workspaces.set(key, ws);
  return ws;
}

/** Scale 0 DWT of 8- or 10-bit samples (centred at mid-grey), bands in Q6 (int16 range). */
function dwtScale0(
  src: Uint8Array | Uint16Array,
  w: number,
  h: number,
  bits: number,
  indX: Int32Array,
  indY: Int32Array,
  tmpLo: Int32Array,
  tmpHi: Int32Array,
  outA: Int32Array,
  outH: Int32Array,
  outV: Int32Array,
  outD: Int32Array,
): void {
  const bw = (w + 1) >> 1;
  const bh = (h + 1) >> 1;
  const half = 1 << (bits - 1);
  const dc = LO_SUM * half - half;
  for (let i = 0; i < bh; i++) {
    const r0 = indY[4 * i]! * w;
    const r1 = indY[4 * i + 1]! * w;
    const r2 = indY[4 * i + 2]! * w;
    const r3 = indY[4 * i + 3]! * w;
    for (let j = 0; j < w; j++) {
      const s0 = src[r0 + j]!;
      const s1 = src[r1 + j]!;
      const s2 = src[r2 + j]!;
      const s3 = src[r3 + j]!;
      tmpLo[j] = (Math.imul(LO0, s0) + Math.imul(LO1, s1) + Math.imul(LO2, s2) + Math.imul(LO3, s3) - dc) >> bits;
      tmpHi[j] = (Math.imul(HI0, s0) + Math.imul(HI1, s1) + Math.imul(HI2, s2) + Math.imul(HI3, s3) + half) >> bits;
    }
    const o = i * bw;
    // edges through the mirror tables, the interior (2j-1 .. 2j+2 all inside) with a sliding window
    const jEnd = bw - 2;
    for (let j = 0; j < bw; j++) {
      if (j === 1) j = jEnd > 1 ? jEnd : 1;
      const j0 = indX[4 * j]!;
      const j1 = indX[4 * j + 1]!;
      const j2 = indX[4 * j + 2]!;
      const j3 = indX[4 * j + 3]!;
      let s0 = tmpLo[j0]!;
      let s1 = tmpLo[j1]!;
      let s2 = tmpLo[j2]!;
      let s3 = tmpLo[j3]!;
      // libvmaf stores these in int16: for any 8/10-bit input |tmp| <= 27.4k and |band| <= 22.9k,
      // so no wrap-around can occur
      outA[o + j] = (Math.imul(LO0, s0) + Math.imul(LO1, s1) + Math.imul(LO2, s2) + Math.imul(LO3, s3) + 32768) >> 16;
      outV[o + j] = (Math.imul(HI0, s0) + Math.imul(HI1, s1) + Math.imul(HI2, s2) + Math.imul(HI3, s3) + 32768) >> 16;
      s0 = tmpHi[j0]!;
      s1 = tmpHi[j1]!;
      s2 = tmpHi[j2]!;
      s3 = tmpHi[j3]!;
      outH[o + j] = (Math.imul(LO0, s0) + Math.imul(LO1, s1) + Math.imul(LO2, s2) + Math.imul(LO3, s3) + 32768) >> 16;
      outD[o + j] = (Math.imul(HI0, s0) + Math.imul(HI1, s1) + Math.imul(HI2, s2) + Math.imul(HI3, s3) + 32768) >> 16;
    }
    let l0 = tmpLo[1]!;
    let l1 = tmpLo[2]!;
    let h0 = tmpHi[1]!;
    let h1 = tmpHi[2]!;
    for (let j = 1, k = 3; j < jEnd; j++, k += 2) {
      const l2 = tmpLo[k]!;
      const l3 = tmpLo[k + 1]!;
      const h2 = tmpHi[k]!;
      const h3 = tmpHi[k + 1]!;
      outA[o + j] = (Math.imul(LO0, l0) + Math.imul(LO1, l1) + Math.imul(LO2, l2) + Math.imul(LO3, l3) + 32768) >> 16;
      outV[o + j] = (Math.imul(HI0, l0) + Math.imul(HI1, l1) + Math.imul(HI2, l2) + Math.imul(HI3, l3) + 32768) >> 16;
      outH[o + j] = (Math.imul(LO0, h0) + Math.imul(LO1, h1) + Math.imul(LO2, h2) + Math.imul(LO3, h3) + 32768) >> 16;
      outD[o + j] = (Math.imul(HI0, h0) + Math.imul(HI1, h1) + Math.imul(HI2, h2) + Math.imul(HI3, h3) + 32768) >> 16;
      l0 = l2;
      l1 = l3;
      h0 = h2;
      h1 = h3;
    }
  }
}

/** Scales 1..3 DWT of the previous LL band (int32 pipeline with 64-bit accumulators). */
function dwtScaleN(
  src: Int32Array,
  w: number,
  h: number,
  scale: number,
  indX: Int32Array,
  indY: Int32Array,
  tmpLo: Float64Array,
  tmpHi: Float64Array,
  outA: Int32Array,
  outH: Int32Array,
  outV: Int32Array,
  outD: Int32Array,
): void {
  const bw = (w + 1) >> 1;
  const bh = (h + 1) >> 1;
  // vertical: scale 1 keeps the full product, scales 2, 3 round-shift by 16
  const vAdd = scale === 1 ? 0 : 32768;
  const vMul = scale === 1 ? 1 : INV_2_16;
  // horizontal: scales 1, 3 round-shift by 15, scale 2 by 16
  const hAdd = scale === 2 ? 32768 : 16384;
  const hMul = scale === 2 ? INV_2_16 : INV_2_15;
  for (let i = 0; i < bh; i++) {
    const r0 = indY[4 * i]! * w;
    const r1 = indY[4 * i + 1]! * w;
    const r2 = indY[4 * i + 2]! * w;
    const r3 = indY[4 * i + 3]! * w;
    for (let j = 0; j < w; j++) {
      const s0 = src[r0 + j]!;
      const s1 = src[r1 + j]!;
      const s2 = src[r2 + j]!;
      const s3 = src[r3 + j]!;
      // int32 cast of the shifted 64-bit value
      tmpLo[j] = Math.floor((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + vAdd) * vMul) | 0;
      tmpHi[j] = Math.floor((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + vAdd) * vMul) | 0;
    }
    const o = i * bw;
    for (let j = 0; j < bw; j++) {
      const j0 = indX[4 * j]!;
      const j1 = indX[4 * j + 1]!;
      const j2 = indX[4 * j + 2]!;
      const j3 = indX[4 * j + 3]!;
      let s0 = tmpLo[j0]!;
      let s1 = tmpLo[j1]!;
      let s2 = tmpLo[j2]!;
      let s3 = tmpLo[j3]!;
      outA[o + j] = Math.floor((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + hAdd) * hMul);
      outV[o + j] = Math.floor((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + hAdd) * hMul);
      s0 = tmpHi[j0]!;
      s1 = tmpHi[j1]!;
      s2 = tmpHi[j2]!;
      s3 = tmpHi[j3]!;
      outH[o + j] = Math.floor((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + hAdd) * hMul);
      outD[o + j] = Math.floor((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + hAdd) * hMul);
    }
  }
}

const POW2 = new Float64Array(64);
for (let i = 0; i < 64; i++) POW2[i] = 2 ** i;
/** For a divisor shifted right by `sh`: the rounding term and scale of the Q15 quotient. */
const HALF_Q = new Float64Array(18);
const INV_Q = new Float64Array(18);
for (let sh = 0; sh < 18; sh++) {
  HALF_Q[sh] = 2 ** (14 + sh);
  INV_Q[sh] = 2 ** -(15 + sh);
}

/** Restored coefficient r (k·o, k = t/o in Q15 clamped to [0, 1], enhancement where `angle`). */
function restore(o: number, t: number, angle: number, egl: number): number {
  if (o === 0) return 0; // k = 1 but r = k·o = 0
  let ao = o < 0 ? -o : o;
  const st = o < 0 ? -t : t; // sign(o)·t
  let k: number;
  if (ao < 32768) {
    k = Math.floor((DIV[ao]! * st + 16384) * INV_2_15);
  } else {
    // o scaled to 15 significant bits, the quotient shifted back (libvmaf's get_best15_from32)
    const sh = 17 - Math.clz32(ao);
    ao = (ao + (1 << (sh - 1))) >>> sh;
    const p = POW2[15 + sh]!;
    k = Math.floor((DIV[ao]! * st + p * 0.5) / p);
  }
  if (k <= 0) return 0;
  if (k > 32768) k = 32768;
  let r = Math.floor((k * o + 16384) * INV_2_15);
  if (angle !== 0) {
    const e = r * egl;
    if (o > 0) r = Math.trunc(e < t ? e : t);
    else r = Math.trunc(e > t ? e : t);
  }
  return r;
}

/** 1 where the (h, v) orientation of the distorted coefficient is within 1° of the reference's. */
function angleFlags(
  refH: Int32Array,
  refV: Int32Array,
  disH: Int32Array,
  disV: Int32Array,
  flags: Uint8Array,
  bw: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
): void {
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p++) {
      const oh = refH[p]!;
      const ov = refV[p]!;
      const th = disH[p]!;
      const tv = disV[p]!;
      // libvmaf: 64-bit integer dot products converted to float32, compared in double
      const dp = f32(oh * th + ov * tv) / 4096;
      flags[p] = +(dp >= 0) & +(dp * dp >= ((COS_1DEG_SQ * f32(oh * oh + ov * ov)) / 4096) * (f32(th * th + tv * tv) / 4096));
    }
  }
}

/**
 * Scale 0, one orientation: restored band and the masking inputs of the CSF-weighted
 * additive band: fltSum += |csf(a)|/30, c15Sum += |csf(a)|/15 (int16 fixed point).
 */
function decoupleBand0(
  ref: Int32Array,
  dis: Int32Array,
  rOut: Int32Array,
  flags: Uint8Array,
  fltSum: Int32Array,
  c15Sum: Int32Array,
  first: boolean,
  rf: number,
  add: number,
  shift: number,
  bw: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  egl: number,
): void {
  // int32 fast path: r·egl stays far below 2^31 (libvmaf caps the gain limit at 100)
  const eglInt = egl === Math.trunc(egl) && egl <= 1000;
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p++) {
      const o = ref[p]!;
      const t = dis[p]!;
      let r: number;
      if (eglInt) {
        // restore() for int16 coefficients, branch-free (coefficient signs are unpredictable)
        const sgn = (o >> 31) | 1;
        const ao = Math.imul(sgn, o);
        let st = Math.imul(sgn, t);
        // st > |o| saturates k at 1 anyway: clamping st to |o| + 1 keeps the product in range
        const dd = st - ao - 1;
        st -= dd & ~(dd >> 31);
        let k = ((DIV[ao]! * st + 16384) * INV_2_15) | 0; // trunc = floor here, or clamped to 0
        k &= ~(k >> 31);
        const dk = k - 32768;
        k -= dk & ~(dk >> 31);
        r = (Math.imul(k, o) + 16384) >> 15;
        // enhancement (angle test passed and k > 0): min(r·egl, t) for o > 0, max(r·egl, t) for o < 0
        const cond = flags[p]! & (-k >>> 31);
        const e = Math.imul(sgn, Math.imul(r, egl));
        const b = Math.imul(sgn, t);
        const eb = e - b;
        r += Math.imul(cond, Math.imul(sgn, b + (eb & (eb >> 31))) - r);
      } else {
        r = restore(o, t, flags[p]!, egl);
      }
      rOut[p] = r;
      // int16 result of (rfactor·2^21 (2^23 for d) · a + round) >> 15 (17)
      let c = (((Math.imul(rf, t - r) + add) >> shift) << 16) >> 16;
      const cs = c >> 31;
      c = (c ^ cs) - cs;
      const flt = (((4369 * c + 2048) >> 12) << 16) >> 16;
      const c15 = (((8738 * c + 2048) >> 12) << 16) >> 16;
      if (first) {
        fltSum[p] = flt;
        c15Sum[p] = c15;
      } else {
        fltSum[p] = fltSum[p]! + flt;
        c15Sum[p] = c15Sum[p]! + c15;
      }
    }
  }
}

/** Scales 1..3, one orientation (int32 fixed point, 64-bit products). */
function decoupleBandN(
  ref: Int32Array,
  dis: Int32Array,
  rOut: Int32Array,
  flags: Uint8Array,
  fltSum: Int32Array,
  c15Sum: Int32Array,
  first: boolean,
  rf: number,
  bw: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  egl: number,
): void {
  const eglInt = egl === Math.trunc(egl);
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p++) {
      const o = ref[p]!;
      const t = dis[p]!;
      let r: number;
      if (eglInt) {
        // restore() without branches: divisor scaled to 15 significant bits when |o| >= 2^15
        const sgn = (o >> 31) | 1;
        const ao = sgn * o;
        const st = sgn * t;
        let sh = 17 - Math.clz32(ao);
        sh &= ~(sh >> 31);
        const m = (ao + ((1 << sh) >> 1)) >>> sh;
        let k = Math.floor((DIV[m]! * st + HALF_Q[sh]!) * INV_Q[sh]!);
        k = Math.min(Math.max(k, 0), 32768);
        r = Math.floor((k * o + 16384) * INV_2_15);
        const cond = flags[p]! & +(k > 0);
        const e = sgn * r * egl;
        const b = sgn * t;
        r += cond * (sgn * (e < b ? e : b) - r);
      } else {
        r = restore(o, t, flags[p]!, egl);
      }
      rOut[p] = r;
      let c = Math.floor((rf * (t - r) + 134217728) * INV_2_28) | 0;
      if (c < 0) c = -c;
      // libvmaf's rounding term here is 1u << 31 stored in an int32, i.e. −2^31
      const flt = Math.floor((143165577 * c - TWO31) * INV_2_32);
      const c15 = Math.floor((286331153 * c - TWO31) * INV_2_32);
      if (first) {
        fltSum[p] = flt;
        c15Sum[p] = c15;
      } else {
        fltSum[p] = fltSum[p]! + flt;
        c15Sum[p] = c15Sum[p]! + c15;
      }
    }
  }
}

/**
 * Decoupling and CSF of the additive part over rows [y0, y1) and columns [x0, x1):
 * restored bands rH/rV/rD and the per-position masking sums over the three orientations.
 */
function decoupleCsf(ws: Workspace, bw: number, scale: number, x0: number, x1: number, y0: number, y1: number, egl: number): void {
  const { refH, refV, refD, disH, disV, disD, rH, rV, rD, fltSum, c15Sum, flags } = ws;
  angleFlags(refH, refV, disH, disV, flags, bw, x0, x1, y0, y1);
  if (scale === 0) {
    decoupleBand0(refH, disH, rH, flags, fltSum, c15Sum, true, 36453, 16384, 15, bw, x0, x1, y0, y1, egl);
    decoupleBand0(refV, disV, rV, flags, fltSum, c15Sum, false, 36453, 16384, 15, bw, x0, x1, y0, y1, egl);
    decoupleBand0(refD, disD, rD, flags, fltSum, c15Sum, false, 49417, 65535, 17, bw, x0, x1, y0, y1, egl);
  } else {
    const rf0 = I4_RFACTOR[scale]![0]!;
    const rf2 = I4_RFACTOR[scale]![1]!;
    decoupleBandN(refH, disH, rH, flags, fltSum, c15Sum, true, rf0, bw, x0, x1, y0, y1, egl);
    decoupleBandN(refV, disV, rV, flags, fltSum, c15Sum, false, rf0, bw, x0, x1, y0, y1, egl);
    decoupleBandN(refD, disD, rD, flags, fltSum, c15Sum, false, rf2, bw, x0, x1, y0, y1, egl);
  }
}

function borderStart(n: number): number {
  return Math.trunc(n * BORDER - 0.5);
}

/** Denominator of one scale: pooled |csf(reference)|^3 over the centre region. */
function denScale(ws: Workspace, bw: number, bh: number, scale: number): number {
  const { refH, refV, refD } = ws;
  const left = borderStart(bw);
  const top = borderStart(bh);
  const right = bw - left;
  const bottom = bh - top;
  let accH = 0;
  let accV = 0;
  let accD = 0;
  if (scale === 0) {
    let sa = Math.ceil(Math.log2((bottom - top) * (right - left)) - 20);
    if (sa < 0) sa = 0;
    const add = sa > 0 ? 2 ** (sa - 1) : 0;
    const inv = 1 / 2 ** sa;
    for (let i = top; i < bottom; i++) {
      let ih = 0;
      let iv = 0;
      let id = 0;
      for (let p = i * bw + left, pe = i * bw + right; p < pe; p++) {
        const h = Math.abs(refH[p]!);
        const v = Math.abs(refV[p]!);
        const d = Math.abs(refD[p]!);
        ih += h * h * h;
        iv += v * v * v;
        id += d * d * d;
      }
      accH += Math.floor((ih + add) * inv);
      accV += Math.floor((iv + add) * inv);
      accD += Math.floor((id + add) * inv);
    }
  } else {
    const shSq = scale === 2 ? 30 : 31;
    const addSq = 2 ** shSq; // sic: a whole unit, not a half
    const invSq = 1 / addSq;
    const shCub = Math.ceil(Math.log2(right - left));
    const addCub = Math.trunc(2 ** (shCub - 1));
    const invCub = 1 / 2 ** shCub;
    const shAcc = Math.ceil(Math.log2(bottom - top));
    const addAcc = Math.trunc(2 ** (shAcc - 1));
    const invAcc = 1 / 2 ** shAcc;
    for (let i = top; i < bottom; i++) {
      let ih = 0;
      let iv = 0;
      let id = 0;
      for (let p = i * bw + left, pe = i * bw + right; p < pe; p++) {
        const h = Math.abs(refH[p]!);
        const v = Math.abs(refV[p]!);
        const d = Math.abs(refD[p]!);
        ih += Math.floor((Math.floor((h * h + addSq) * invSq) * h + addCub) * invCub);
        iv += Math.floor((Math.floor((v * v + addSq) * invSq) * v + addCub) * invCub);
        id += Math.floor((Math.floor((d * d + addSq) * invSq) * d + addCub) * invCub);
      }
      accH += Math.floor((ih + addAcc) * invAcc);
      accV += Math.floor((iv + addAcc) * invAcc);
      accD += Math.floor((id + addAcc) * invAcc);
    }
  }
  return admDenominator(accH, accV, accD, bw, bh, scale);
}

/**
 * A scale's denominator from its pooled integer accumulators of |reference|³ (h, v, d): undo the
 * accumulation shifts, apply the float32 CSF factors, cube root, add the noise floor. Shared by
 * the TypeScript pipeline and the WebAssembly one (./adm-wasm.ts), which computes the
 * accumulators in the kernel.
 */
export function admDenominator(accH: number, accV: number, accD: number, bw: number, bh: number, scale: number): number {
  const { left, top, right, bottom } = centre(bw, bh);
  let shiftCsf: number;
  if (scale === 0) {
    const sa = Math.max(0, Math.ceil(Math.log2((bottom - top) * (right - left)) - 20));
    shiftCsf = 2 ** (18 - sa);
  } else {
    const conv = scale === 1 ? 32 : scale === 2 ? 27 : 23;
    shiftCsf = 2 ** (conv - Math.ceil(Math.log2(bottom - top)) - Math.ceil(Math.log2(right - left)));
  }
  const rf0 = RFACTOR[scale]![0]!;
  const rf2 = RFACTOR[scale]![1]!;
  const csfH = (accH / shiftCsf) * rf0 * rf0 * rf0;
  const csfV = (accV / shiftCsf) * rf0 * rf0 * rf0;
  const csfD = (accD / shiftCsf) * rf2 * rf2 * rf2;
  const add = powf3((bottom - top) * (right - left) * NOISE_WEIGHT);
  const dh = f32(powf3(csfH) + add);
  const dv = f32(powf3(csfV) + add);
  const dd = f32(powf3(csfD) + add);
  return f32(f32(dh + dv) + dd);
}

/** Pooling constants shared by the numerator of each scale. */
function centre(bw: number, bh: number) {
  const left = borderStart(bw);
  const top = borderStart(bh);
  return { left, top, right: bw - left, bottom: bh - top };
}

/** Vertical 3-sums of fltSum for row i (mirrored at the band edges) over columns [c0, c1). */
function colSums(fltSum: Int32Array, colSum: Int32Array, bw: number, bh: number, i: number, c0: number, c1: number): void {
  const up = (i === 0 ? 1 : i - 1) * bw;
  const dn = (i === bh - 1 ? bh - 1 : i + 1) * bw;
  const row = i * bw;
  for (let j = c0; j < c1; j++) colSum[j] = fltSum[up + j]! + fltSum[row + j]! + fltSum[dn + j]!;
}

/**
 * A scale's numerator from its pooled integer accumulators of masked |csf(restored)|³ (h, v, d):
 * undo the accumulation shifts, cube root, add the noise floor. Shared with ./adm-wasm.ts.
 */
export function admNumerator(accH: number, accV: number, accD: number, bw: number, bh: number, scale: number): number {
  const { left, top, right, bottom } = centre(bw, bh);
  const shInner = Math.ceil(Math.log2(bh));
  let finalHV: number;
  let finalD: number;
  if (scale === 0) {
    finalHV = 2 ** (52 - Math.ceil(Math.log2(bw) - 4) - shInner);
    finalD = 2 ** (57 - Math.ceil(Math.log2(bw) - 3) - shInner);
  } else {
    const base = scale === 1 ? 45 : scale === 2 ? 39 : 36;
    finalHV = finalD = 2 ** (base - Math.ceil(Math.log2(bw)) - shInner);
  }
  const add = powf3((bottom - top) * (right - left) * NOISE_WEIGHT);
  const nh = f32(powf3(accH / finalHV) + add);
  const nv = f32(powf3(accV / finalHV) + add);
  const nd = f32(powf3(accD / finalD) + add);
  return f32(f32(nh + nv) + nd);
}

/**
 * Numerator of scale 0: CSF(restored) minus the masking threshold (3×3 neighbourhood of
 * |csf(a)|/30 over the three orientations, centre |csf(a)|/15), clipped at 0, cubed and pooled
 * over the centre region, in libvmaf's int32/int64 fixed point.
 */
function numScale0(ws: Workspace, bw: number, bh: number): number {
  const { rH, rV, rD, fltSum, c15Sum, colSum } = ws;
  const { left, top, right, bottom } = centre(bw, bh);
  const shInner = Math.ceil(Math.log2(bh));
  const addInner = Math.trunc(2 ** (shInner - 1));
  const invInner = 1 / 2 ** shInner;
  const c0 = left > 0 ? left - 1 : 0;
  const c1 = right < bw ? right + 1 : bw;
  const shCubHV = Math.ceil(Math.log2(bw) - 4);
  const shCubD = Math.ceil(Math.log2(bw) - 3);
  const addCubHV = Math.trunc(2 ** (shCubHV - 1));
  const addCubD = Math.trunc(2 ** (shCubD - 1));
  const invCubHV = 1 / 2 ** shCubHV;
  const invCubD = 1 / 2 ** shCubD;
  const INV_2_29 = 1 / 536870912;
  let accH = 0;
  let accV = 0;
  let accD = 0;
  for (let i = top; i < bottom; i++) {
    colSums(fltSum, colSum, bw, bh, i, c0, c1);
    const row = i * bw;
    let ih = 0;
    let iv = 0;
    let id = 0;
    for (let j = left; j < right; j++) {
      const jl = j === 0 ? 1 : j - 1;
      const jr = j === bw - 1 ? bw - 1 : j + 1;
      const p = row + j;
      const thr = colSum[jl]! + colSum[j]! + colSum[jr]! - fltSum[p]! + c15Sum[p]!;
      // x = max(|r·rfactor| − thr, 0) in int32 (thr in the same Q format after the shift)
      let x = Math.imul(rH[p]!, 36453);
      let sx = x >> 31;
      x = ((x ^ sx) - sx - (thr << 10)) | 0;
      x &= ~(x >> 31);
      let xsq = ((x * x + 268435456) * INV_2_29) | 0;
      ih += Math.floor((xsq * x + addCubHV) * invCubHV);
      x = Math.imul(rV[p]!, 36453);
      sx = x >> 31;
      x = ((x ^ sx) - sx - (thr << 10)) | 0;
      x &= ~(x >> 31);
      xsq = ((x * x + 268435456) * INV_2_29) | 0;
      iv += Math.floor((xsq * x + addCubHV) * invCubHV);
      x = Math.imul(rD[p]!, 49417);
      sx = x >> 31;
      x = ((x ^ sx) - sx - (thr << 12)) | 0;
      x &= ~(x >> 31);
      xsq = ((x * x + 536870912) * INV_2_30) | 0;
      id += Math.floor((xsq * x + addCubD) * invCubD);
    }
    accH += Math.floor((ih + addInner) * invInner);
    accV += Math.floor((iv + addInner) * invInner);
    accD += Math.floor((id + addInner) * invInner);
  }
  return admNumerator(accH, accV, accD, bw, bh, 0);
}

/** Numerator of scales 1..3 (int32 samples, 64-bit products). */
function numScaleN(ws: Workspace, bw: number, bh: number, scale: number): number {
  const { rH, rV, rD, fltSum, c15Sum, colSum } = ws;
  const { left, top, right, bottom } = centre(bw, bh);
  const shInner = Math.ceil(Math.log2(bh));
  const addInner = Math.trunc(2 ** (shInner - 1));
  const invInner = 1 / 2 ** shInner;
  const c0 = left > 0 ? left - 1 : 0;
  const c1 = right < bw ? right + 1 : bw;
  const rf0 = I4_RFACTOR[scale]![0]!;
  const rf2 = I4_RFACTOR[scale]![1]!;
  const shCub = Math.ceil(Math.log2(bw));
  const addCub = Math.trunc(2 ** (shCub - 1));
  const invCub = 1 / 2 ** shCub;
  let accH = 0;
  let accV = 0;
  let accD = 0;
  for (let i = top; i < bottom; i++) {
    colSums(fltSum, colSum, bw, bh, i, c0, c1);
    const row = i * bw;
    let ih = 0;
    let iv = 0;
    let id = 0;
    for (let j = left; j < right; j++) {
      const jl = j === 0 ? 1 : j - 1;
      const jr = j === bw - 1 ? bw - 1 : j + 1;
      const p = row + j;
      const thr = colSum[jl]! + colSum[j]! + colSum[jr]! - fltSum[p]! + c15Sum[p]!;
      let x = Math.floor((rH[p]! * rf0 + 134217728) * INV_2_28) | 0;
      let sx = x >> 31;
      x = ((x ^ sx) - sx - thr) | 0;
      x &= ~(x >> 31);
      let xsq = ((x * x + 536870912) * INV_2_30) | 0;
      ih += Math.floor((xsq * x + addCub) * invCub);
      x = Math.floor((rV[p]! * rf0 + 134217728) * INV_2_28) | 0;
      sx = x >> 31;
      x = ((x ^ sx) - sx - thr) | 0;
      x &= ~(x >> 31);
      xsq = ((x * x + 536870912) * INV_2_30) | 0;
      iv += Math.floor((xsq * x + addCub) * invCub);
      x = Math.floor((rD[p]! * rf2 + 134217728) * INV_2_28) | 0;
      sx = x >> 31;
      x = ((x ^ sx) - sx - thr) | 0;
      x &= ~(x >> 31);
      xsq = ((x * x + 536870912) * INV_2_30) | 0;
      id += Math.floor((xsq * x + addCub) * invCub);
    }
    accH += Math.floor((ih + addInner) * invInner);
    accV += Math.floor((iv + addInner) * invInner);
    accD += Math.floor((id + addInner) * invInner);
  }
  return admNumerator(accH, accV, accD, bw, bh, scale);
}

/**
 * ADM of a distorted luma plane against its reference, as libvmaf's `integer_adm`
 * (`integer_adm2`, `integer_adm_scale0..3`). Both planes must have the same size and bit depth;
 * 10-bit samples are brought to the 8-bit range by the DWT's rounding shift, so 10-bit planes
 * holding 8-bit values ×4 score exactly as the 8-bit planes.
 */
export function computeAdm(ref: Plane, dis: Plane, opts: AdmOptions = {}): AdmResult {
  const { width: w, height: h } = ref;
  const egl = checkAdmInputs(ref, dis, opts);
  const ws = getWorkspace(w, h);
  const scales: [number, number, number, number] = [0, 0, 0, 0];
  let num = 0;
  let den = 0;
  for (let s = 0; s < 4; s++) {
    const iw = ws.inW[s]!;
    const ih = ws.inH[s]!;
    const bw = (iw + 1) >> 1;
    const bh = (ih + 1) >> 1;
    const outRefA = ws.refA[s & 1]!;
    const outDisA = ws.disA[s & 1]!;
    if (s === 0) {
      dwtScale0(ref.data, iw, ih, ref.bitDepth, ws.indX[0]!, ws.indY[0]!, ws.tmpLoI, ws.tmpHiI, outRefA, ws.refH, ws.refV, ws.refD);
      dwtScale0(dis.data, iw, ih, dis.bitDepth, ws.indX[0]!, ws.indY[0]!, ws.tmpLoI, ws.tmpHiI, outDisA, ws.disH, ws.disV, ws.disD);
    } else {
      const inRefA = ws.refA[(s - 1) & 1]!;
      const inDisA = ws.disA[(s - 1) & 1]!;
      dwtScaleN(inRefA, iw, ih, s, ws.indX[s]!, ws.indY[s]!, ws.tmpLo, ws.tmpHi, outRefA, ws.refH, ws.refV, ws.refD);
      dwtScaleN(inDisA, iw, ih, s, ws.indX[s]!, ws.indY[s]!, ws.tmpLo, ws.tmpHi, outDisA, ws.disH, ws.disV, ws.disD);
    }
    // region whose decoupled/CSF values the masking reads: centre region + 1 sample
    const left = borderStart(bw);
    const top = borderStart(bh);
    const x0 = left > 0 ? left - 1 : 0;
    const y0 = top > 0 ? top - 1 : 0;
    const x1 = Math.min(bw, bw - left + 1);
    const y1 = Math.min(bh, bh - top + 1);
    decoupleCsf(ws, bw, s, x0, x1, y0, y1, egl);
    const d = denScale(ws, bw, bh, s);
    const n = s === 0 ? numScale0(ws, bw, bh) : numScaleN(ws, bw, bh, s);
    scales[s] = n / d;
    num += n;
    den += d;
  }
  return admResult(num, den, scales, w, h);
}

/** Validates a pair of planes for ADM (RangeError naming the problem); returns the gain limit. */
export function checkAdmInputs(ref: Plane, dis: Plane, opts: AdmOptions): number {
  const { width: w, height: h } = ref;
  if (dis.width !== w || dis.height !== h) throw new RangeError(`ADM: plane sizes differ (${w}x${h} vs ${dis.width}x${dis.height})`);
  if (dis.bitDepth !== ref.bitDepth) throw new RangeError('ADM: planes have different bit depths');
  if (w < ADM_MIN_SIZE || h < ADM_MIN_SIZE) throw new RangeError(`ADM: plane ${w}x${h} is smaller than ${ADM_MIN_SIZE}x${ADM_MIN_SIZE}`);
  if (ref.data.length < w * h || dis.data.length < w * h) throw new RangeError('ADM: plane data shorter than width*height');
  const egl = opts.enhancementGainLimit ?? 100;
  if (!(egl >= 1)) throw new RangeError('ADM: enhancementGainLimit must be >= 1');
  return egl;
}

/** adm2 from the summed numerators and denominators (libvmaf zeroes sums below a size-scaled
 * floor, and a zero denominator scores 1). */
export function admResult(num: number, den: number, scales: AdmResult['scales'], w: number, h: number): AdmResult {
  const limit = (1e-10 * (w * h)) / (1920 * 1080);
  if (num < limit) num = 0;
  if (den < limit) den = 0;
  return { adm2: den === 0 ? 1 : num / den, scales, num, den };
}
