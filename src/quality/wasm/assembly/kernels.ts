// AssemblyScript source of the builtin VMAF kernels (WebAssembly SIMD, f32x4).
// Build: `npm run build:wasm` -> ../kernels.wasm (options in ../asconfig.json). The .wasm is
// committed; test/vmaf-wasm.test.ts checks that it matches this source.
//
// No allocation happens here: the JS loader (../index.ts) lays every buffer out in linear memory
// above `heapBase()` and passes byte pointers. Kernels may read up to 64 bytes past the end of a
// plane and write up to 16 bytes past the end of an output plane (SIMD tails), so the loader gives
// every plane 64 bytes of slack. Row buffers need `width + 2*half + 32` floats (doubles for
// decimate64).
//
// Reference implementations (float64, scalar): ../../vif.ts and ../../motion.ts.

/** First free byte of linear memory (16-aligned); the loader's arena starts here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

@inline function mirror(i: i32, n: i32): i32 {
  if (i < 0) return -i;
  if (i >= n) return 2 * n - i - 2;
  return i;
}

/**
 * Samples (u8 when `bytesPerSample` is 1, else u16) to f32 as `v * scale - offset`. With
 * scale 1 or 0.25 and an integer offset this is exact.
 */
export function toF32(src: usize, dst: usize, n: i32, bytesPerSample: i32, scale: f32, offset: f32): void {
  const vs = f32x4.splat(scale);
  const vo = f32x4.splat(offset);
  let i = 0;
  if (bytesPerSample == 1) {
    for (; i + 8 <= n; i += 8) {
      const v = v128.load8x8_u(src + <usize>i);
      const lo = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(v));
      const hi = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(v));
      const o = dst + (<usize>i << 2);
      v128.store(o, f32x4.sub(f32x4.mul(lo, vs), vo));
      v128.store(o, f32x4.sub(f32x4.mul(hi, vs), vo), 16);
    }
    for (; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u8>(src + <usize>i) * scale - offset);
  } else {
    for (; i + 4 <= n; i += 4) {
      const v = f32x4.convert_i32x4_u(v128.load16x4_u(src + (<usize>i << 1)));
      v128.store(dst + (<usize>i << 2), f32x4.sub(f32x4.mul(v, vs), vo));
    }
    for (; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u16>(src + (<usize>i << 1)) * scale - offset);
  }
}

/** Byte offsets of the mirrored source rows y-half .. y+half into `offs` (i32 each). */
@inline function rowOffsets(offs: usize, y: i32, half: i32, taps: i32, h: i32, strideBytes: i32): void {
  for (let k = 0; k < taps; k++) store<i32>(offs + (<usize>k << 2), mirror(y - half + k, h) * strideBytes);
}

/** Mirror the `half` samples on each side of a padded row buffer (data at [half, half+w)). */
@inline function mirrorPad(b: usize, w: i32, half: i32): void {
  for (let k = 1; k <= half; k++) {
    store<f32>(b + (<usize>(half - k) << 2), load<f32>(b + (<usize>(half + k) << 2)));
    store<f32>(b + (<usize>(half + w - 1 + k) << 2), load<f32>(b + (<usize>(half + w - 1 - k) << 2)));
  }
}

// ---------------------------------------------------------------------------------------------
// VIF

// f32 lane masks for the log2 accumulation: log2 of a product is the sum of the exponents plus
// log2 of the mantissa product, so each lane keeps a running mantissa product in [1, 2) and an
// integer exponent sum; the f64 log2 is taken only once per lane per row.
const MANT_MASK: i32 = 0x007fffff;
const ONE_BITS: i32 = 0x3f800000;

let vifDen: f64 = 0;
let refined: i32 = 0;
let maxRelErr: f64 = 0;

/** Bound on |f32 sigma1 - f64 sigma1| relative to the f32 second moment s11, with margin. */
let REL_MARGIN: f32 = 4e-6;
let ABS_MARGIN: f32 = 1e-4;

/** Override the refinement margins (diagnostics; see test/vmaf-wasm.test.ts). */
export function vifSetMargins(rel: f32, abs: f32): void {
  REL_MARGIN = rel;
  ABS_MARGIN = abs;
}

/** Pixels whose branch `vifScale` decided in f64 since the last call of this function. */
export function vifRefinedCount(): i32 {
  const n = refined;
  refined = 0;
  return n;
}

/** Largest |f32 sigma1 - f64 sigma1| / s11 seen by the refinement since the last call (diagnostic). */
export function vifMaxRelErr(): f64 {
  const e = maxRelErr;
  maxRelErr = 0;
  return e;
}

/**
 * sigma1 at (x, y) in f64 from the f32 plane, in the reference's order (vertical sums per column,
 * then horizontal), with the f64 window `coef64`; -1 (all lanes set) when below σn², else 0.
 */
function refineSmall(ref: usize, w: i32, h: i32, x: i32, y: i32, coef64: usize, taps: i32, s32: f32): i32 {
  const half = taps >> 1;
  let m: f64 = 0;
  let s: f64 = 0;
  for (let j = 0; j < taps; j++) {
    const col = mirror(x - half + j, w);
    let a1: f64 = 0;
    let a11: f64 = 0;
    for (let k = 0; k < taps; k++) {
      const r = <f64>load<f32>(ref + ((<usize>mirror(y - half + k, h) * <usize>w + <usize>col) << 2));
      const c = load<f64>(coef64 + (<usize>k << 3));
      a1 += c * r;
      a11 += c * r * r;
    }
    const cj = load<f64>(coef64 + (<usize>j << 3));
    m += cj * a1;
    s += cj * a11;
  }
  let sigma1 = s - m * m;
  if (sigma1 < 0) sigma1 = 0;
  refined++;
  const e = Math.abs(<f64>s32 - sigma1) / s;
  if (e > maxRelErr) maxRelErr = e;
  return sigma1 < 2.0 ? -1 : 0;
}

/** Σ information present (the VIF denominator) of the last `vifScale` call. */
export function vifLastDen(): f64 {
  return vifDen;
}

/**
 * VIF at one scale over f32 planes `ref`/`dis` (w×h, row stride w). `coef` holds the `taps`
 * window coefficients (f32), `rows` five padded row buffers `rowStride` floats apart, `offs`
 * room for `taps` i32. Returns Σ information kept (numerator); the denominator is read with
 * `vifLastDen()`.
 */
export function vifScale(
  ref: usize,
  dis: usize,
  w: i32,
  h: i32,
  coef: usize,
  taps: i32,
  rows: usize,
  rowStride: i32,
  offs: usize,
  gainLimit: f32,
  coef64: usize,
): f64 {
  const half = taps >> 1;
  const strideBytes = w << 2;
  const rs = <usize>rowStride << 2;
  const mu1 = rows;
  const mu2 = rows + rs;
  const xx = rows + 2 * rs;
  const yy = rows + 3 * rs;
  const xy = rows + 4 * rs;
  const cMid = v128.load32_splat(coef + (<usize>half << 2));
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const two = f32x4.splat(2);
  const halfV = f32x4.splat(0.5);
  const eps = f32x4.splat(1e-10);
  const maxInv = f32x4.splat(<f32>(4.0 / (255.0 * 255.0)));
  const limit = f32x4.splat(gainLimit);
  const mant = i32x4.splat(MANT_MASK);
  const oneBits = i32x4.splat(ONE_BITS);
  const lane = i32x4(0, 1, 2, 3);
  const wV = i32x4.splat(w);
  const chunks = (w + 3) >> 2;
  const relMargin = f32x4.splat(REL_MARGIN);
  const absMargin = f32x4.splat(ABS_MARGIN);
  let num: f64 = 0;
  let den: f64 = 0;
  for (let y = 0; y < h; y++) {
    rowOffsets(offs, y, half, taps, h, strideBytes);
    const oMid = <usize>load<i32>(offs + (<usize>half << 2));
    // Vertical pass: mean, second moments and cross moment of every column of this row.
    for (let x = 0; x < w; x += 4) {
      const xb = <usize>x << 2;
      let r = v128.load(ref + oMid + xb);
      let d = v128.load(dis + oMid + xb);
      let a1 = f32x4.mul(cMid, r);
      let a2 = f32x4.mul(cMid, d);
      let a11 = f32x4.mul(cMid, f32x4.mul(r, r));
      let a22 = f32x4.mul(cMid, f32x4.mul(d, d));
      let a12 = f32x4.mul(cMid, f32x4.mul(r, d));
      for (let k = 0; k < half; k++) {
        const c = v128.load32_splat(coef + (<usize>k << 2));
        const oa = <usize>load<i32>(offs + (<usize>k << 2)) + xb;
        const ob = <usize>load<i32>(offs + (<usize>(taps - 1 - k) << 2)) + xb;
        const ra = v128.load(ref + oa);
        const rb = v128.load(ref + ob);
        const da = v128.load(dis + oa);
        const db = v128.load(dis + ob);
        a1 = f32x4.add(a1, f32x4.mul(c, f32x4.add(ra, rb)));
        a2 = f32x4.add(a2, f32x4.mul(c, f32x4.add(da, db)));
        a11 = f32x4.add(a11, f32x4.mul(c, f32x4.add(f32x4.mul(ra, ra), f32x4.mul(rb, rb))));
        a22 = f32x4.add(a22, f32x4.mul(c, f32x4.add(f32x4.mul(da, da), f32x4.mul(db, db))));
        a12 = f32x4.add(a12, f32x4.mul(c, f32x4.add(f32x4.mul(ra, da), f32x4.mul(rb, db))));
      }
      const p = <usize>(x + half) << 2;
      v128.store(mu1 + p, a1);
      v128.store(mu2 + p, a2);
      v128.store(xx + p, a11);
      v128.store(yy + p, a22);
      v128.store(xy + p, a12);
    }
    mirrorPad(mu1, w, half);
    mirrorPad(mu2, w, half);
    mirrorPad(xx, w, half);
    mirrorPad(yy, w, half);
    mirrorPad(xy, w, half);

    // Horizontal pass and the per-pixel statistic.
    let lin = zero;
    let cnt = zero;
    let prodN = one;
    let prodD = one;
    let expN = i32x4.splat(0);
    let expD = i32x4.splat(0);
    for (let x = 0; x < w; x += 4) {
      const xb = <usize>x << 2;
      const pm = <usize>(x + half) << 2;
      let m1 = f32x4.mul(cMid, v128.load(mu1 + pm));
      let m2 = f32x4.mul(cMid, v128.load(mu2 + pm));
      let s11 = f32x4.mul(cMid, v128.load(xx + pm));
      let s22 = f32x4.mul(cMid, v128.load(yy + pm));
      let s12 = f32x4.mul(cMid, v128.load(xy + pm));
      for (let k = 0; k < half; k++) {
        const c = v128.load32_splat(coef + (<usize>k << 2));
        const pa = xb + (<usize>k << 2);
        const pb = xb + (<usize>(taps - 1 - k) << 2);
        m1 = f32x4.add(m1, f32x4.mul(c, f32x4.add(v128.load(mu1 + pa), v128.load(mu1 + pb))));
        m2 = f32x4.add(m2, f32x4.mul(c, f32x4.add(v128.load(mu2 + pa), v128.load(mu2 + pb))));
        s11 = f32x4.add(s11, f32x4.mul(c, f32x4.add(v128.load(xx + pa), v128.load(xx + pb))));
        s22 = f32x4.add(s22, f32x4.mul(c, f32x4.add(v128.load(yy + pa), v128.load(yy + pb))));
        s12 = f32x4.add(s12, f32x4.mul(c, f32x4.add(v128.load(xy + pa), v128.load(xy + pb))));
      }
      const sigma1 = f32x4.max(f32x4.sub(s11, f32x4.mul(m1, m1)), zero);
      const sigma2 = f32x4.max(f32x4.sub(s22, f32x4.mul(m2, m2)), zero);
      const sigma12 = f32x4.sub(s12, f32x4.mul(m1, m2));
      const valid = i32x4.lt_s(i32x4.add(i32x4.splat(x), lane), wV);
      let small = f32x4.lt(sigma1, two);
      // The reference's branch on sigma1 < σn² is discontinuous in the numerator, so where the f32
      // sigma1 lies within its rounding error of σn², decide with sigma1 recomputed in f64 exactly
      // as the reference does (rare: a fraction of a percent of the pixels).
      const near = v128.and(valid, f32x4.lt(f32x4.abs(f32x4.sub(sigma1, two)), f32x4.add(f32x4.mul(s11, relMargin), absMargin)));
      if (v128.any_true(near)) {
        const pick = i32x4.bitmask(near);
        let fix = i32x4.splat(0);
        if (pick & 1) fix = i32x4.replace_lane(fix, 0, refineSmall(ref, w, h, x, y, coef64, taps, f32x4.extract_lane(sigma1, 0)));
        if (pick & 2) fix = i32x4.replace_lane(fix, 1, refineSmall(ref, w, h, x + 1, y, coef64, taps, f32x4.extract_lane(sigma1, 1)));
        if (pick & 4) fix = i32x4.replace_lane(fix, 2, refineSmall(ref, w, h, x + 2, y, coef64, taps, f32x4.extract_lane(sigma1, 2)));
        if (pick & 8) fix = i32x4.replace_lane(fix, 3, refineSmall(ref, w, h, x + 3, y, coef64, taps, f32x4.extract_lane(sigma1, 3)));
        small = v128.bitselect(fix, small, near);
      }
      // sigma1 < σn²: credit by how little variance the distorted adds.
      const aMask = v128.and(small, valid);
      lin = f32x4.add(lin, v128.and(f32x4.sub(one, f32x4.mul(sigma2, maxInv)), aMask));
      cnt = f32x4.add(cnt, v128.and(one, aMask));
      // Otherwise: gain-plus-noise channel.
      let g = f32x4.div(sigma12, f32x4.add(sigma1, eps));
      let sv = f32x4.sub(sigma2, f32x4.mul(g, sigma12));
      const c1 = f32x4.lt(sigma2, eps);
      g = v128.andnot(g, c1);
      sv = v128.andnot(sv, c1);
      const c2 = f32x4.lt(g, zero);
      sv = v128.bitselect(sigma2, sv, c2);
      g = v128.andnot(g, c2);
      sv = f32x4.max(sv, eps);
      g = f32x4.min(g, limit);
      const bMask = v128.andnot(valid, small);
      const vN = v128.bitselect(f32x4.add(one, f32x4.div(f32x4.mul(f32x4.mul(g, g), sigma1), f32x4.add(sv, two))), one, bMask);
      const vD = v128.bitselect(f32x4.add(one, f32x4.mul(sigma1, halfV)), one, bMask);
      // log2 accumulation (all values ≥ 1, so the sign bit is clear).
      expN = i32x4.add(expN, i32x4.shr_u(vN, 23));
      prodN = f32x4.mul(prodN, v128.or(v128.and(vN, mant), oneBits));
      expN = i32x4.add(expN, i32x4.shr_u(prodN, 23));
      prodN = v128.or(v128.and(prodN, mant), oneBits);
      expD = i32x4.add(expD, i32x4.shr_u(vD, 23));
      prodD = f32x4.mul(prodD, v128.or(v128.and(vD, mant), oneBits));
      expD = i32x4.add(expD, i32x4.shr_u(prodD, 23));
      prodD = v128.or(v128.and(prodD, mant), oneBits);
    }
    const bias = <f64>(2 * 127 * chunks);
    num +=
      <f64>f32x4.extract_lane(lin, 0) + <f64>f32x4.extract_lane(lin, 1) + <f64>f32x4.extract_lane(lin, 2) + <f64>f32x4.extract_lane(lin, 3);
    den +=
      <f64>f32x4.extract_lane(cnt, 0) + <f64>f32x4.extract_lane(cnt, 1) + <f64>f32x4.extract_lane(cnt, 2) + <f64>f32x4.extract_lane(cnt, 3);
    num += <f64>i32x4.extract_lane(expN, 0) - bias + Math.log2(<f64>f32x4.extract_lane(prodN, 0));
    num += <f64>i32x4.extract_lane(expN, 1) - bias + Math.log2(<f64>f32x4.extract_lane(prodN, 1));
    num += <f64>i32x4.extract_lane(expN, 2) - bias + Math.log2(<f64>f32x4.extract_lane(prodN, 2));
    num += <f64>i32x4.extract_lane(expN, 3) - bias + Math.log2(<f64>f32x4.extract_lane(prodN, 3));
    den += <f64>i32x4.extract_lane(expD, 0) - bias + Math.log2(<f64>f32x4.extract_lane(prodD, 0));
    den += <f64>i32x4.extract_lane(expD, 1) - bias + Math.log2(<f64>f32x4.extract_lane(prodD, 1));
    den += <f64>i32x4.extract_lane(expD, 2) - bias + Math.log2(<f64>f32x4.extract_lane(prodD, 2));
    den += <f64>i32x4.extract_lane(expD, 3) - bias + Math.log2(<f64>f32x4.extract_lane(prodD, 3));
  }
  vifDen = den;
  return num;
}

/**
 * VIF at one scale in scalar f64, operation for operation the reference's `vifAtScale` (for
 * small images, where the f32 rounding of `vifScale` is not averaged away over many pixels).
 * Same arguments as `vifScale` but the f64 window `coef64` and f64 row buffers `rows` (five,
 * `rowStride` doubles apart, each at least w + 2*half).
 */
export function vifScaleExact(ref: usize, dis: usize, w: i32, h: i32, coef64: usize, taps: i32, rows: usize, rowStride: i32, gainLimit: f64): f64 {
  const half = taps >> 1;
  const rs = <usize>rowStride << 3;
  const mu1 = rows;
  const mu2 = rows + rs;
  const xx = rows + 2 * rs;
  const yy = rows + 3 * rs;
  const xy = rows + 4 * rs;
  let num: f64 = 0;
  let den: f64 = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let a1: f64 = 0, a2: f64 = 0, a11: f64 = 0, a22: f64 = 0, a12: f64 = 0;
      for (let k = 0; k < taps; k++) {
        const i = (<usize>mirror(y - half + k, h) * <usize>w + <usize>x) << 2;
        const c = load<f64>(coef64 + (<usize>k << 3));
        const r = <f64>load<f32>(ref + i);
        const d = <f64>load<f32>(dis + i);
        a1 += c * r;
        a2 += c * d;
        a11 += c * r * r;
        a22 += c * d * d;
        a12 += c * r * d;
      }
      const p = <usize>(x + half) << 3;
      store<f64>(mu1 + p, a1);
      store<f64>(mu2 + p, a2);
      store<f64>(xx + p, a11);
      store<f64>(yy + p, a22);
      store<f64>(xy + p, a12);
    }
    for (let b: i32 = 0; b < 5; b++) {
      const buf = rows + <usize>b * rs;
      for (let k = 1; k <= half; k++) {
        store<f64>(buf + (<usize>(half - k) << 3), load<f64>(buf + (<usize>(half + k) << 3)));
        store<f64>(buf + (<usize>(half + w - 1 + k) << 3), load<f64>(buf + (<usize>(half + w - 1 - k) << 3)));
      }
    }
    for (let x = 0; x < w; x++) {
      let m1: f64 = 0, m2: f64 = 0, s11: f64 = 0, s22: f64 = 0, s12: f64 = 0;
      for (let k = 0; k < taps; k++) {
        const c = load<f64>(coef64 + (<usize>k << 3));
        const p = <usize>(x + k) << 3;
        m1 += c * load<f64>(mu1 + p);
        m2 += c * load<f64>(mu2 + p);
        s11 += c * load<f64>(xx + p);
        s22 += c * load<f64>(yy + p);
        s12 += c * load<f64>(xy + p);
      }
      let sigma1 = s11 - m1 * m1;
      let sigma2 = s22 - m2 * m2;
      const sigma12 = s12 - m1 * m2;
      if (sigma1 < 0) sigma1 = 0;
      if (sigma2 < 0) sigma2 = 0;
      if (sigma1 < 2.0) {
        num += 1 - sigma2 * (4.0 / (255.0 * 255.0));
        den += 1;
        continue;
      }
      let g = sigma12 / (sigma1 + 1e-10);
      let sv = sigma2 - g * sigma12;
      if (sigma2 < 1e-10) {
        g = 0;
        sv = 0;
      }
      if (g < 0) {
        sv = sigma2;
        g = 0;
      }
      if (sv < 1e-10) sv = 1e-10;
      if (g > gainLimit) g = gainLimit;
      num += Math.log2(1 + (g * g * sigma1) / (sv + 2.0));
      den += Math.log2(1 + sigma1 / 2.0);
    }
  }
  vifDen = den;
  return num;
}

/** `dst[i] = src[i] - offset` over n f32 samples. */
export function subF32(src: usize, dst: usize, n: i32, offset: f32): void {
  const vo = f32x4.splat(offset);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.sub(v128.load(src + o), vo));
  }
}

@inline function loadF32x2AsF64(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/**
 * Low-pass `src` (w×h f32) with the `taps`-wide window `coef64` and keep every other sample in both
 * directions, into `dst` (⌊w/2⌋×⌊h/2⌋), in f64 (f64 row buffer `row`, room for `taps` i32 at
 * `offs`). The output is the float32 rounding
 * of the same f64 sums the reference computes, so the scales 1–3 planes match the reference's
 * (an f32 filter would differ by a few ulp, which shows at scale 3 where the images are small).
 */
export function decimate64(src: usize, w: i32, h: i32, coef64: usize, taps: i32, row: usize, offs: usize, dst: usize): void {
  const half = taps >> 1;
  const ow = w >> 1;
  const oh = h >> 1;
  const strideBytes = w << 2;
  const cMid = v128.load64_splat(coef64 + (<usize>half << 3));
  for (let oy = 0; oy < oh; oy++) {
    rowOffsets(offs, 2 * oy, half, taps, h, strideBytes);
    const oMid = <usize>load<i32>(offs + (<usize>half << 2));
    for (let x = 0; x < w; x += 4) {
      const xb = <usize>x << 2;
      let a = f64x2.mul(cMid, loadF32x2AsF64(src + oMid + xb));
      let b = f64x2.mul(cMid, loadF32x2AsF64(src + oMid + xb + 8));
      for (let k = 0; k < half; k++) {
        const c = v128.load64_splat(coef64 + (<usize>k << 3));
        const oa = src + <usize>load<i32>(offs + (<usize>k << 2)) + xb;
        const ob = src + <usize>load<i32>(offs + (<usize>(taps - 1 - k) << 2)) + xb;
        a = f64x2.add(a, f64x2.mul(c, f64x2.add(loadF32x2AsF64(oa), loadF32x2AsF64(ob))));
        b = f64x2.add(b, f64x2.mul(c, f64x2.add(loadF32x2AsF64(oa + 8), loadF32x2AsF64(ob + 8))));
      }
      const p = row + (<usize>(x + half) << 3);
      v128.store(p, a);
      v128.store(p, b, 16);
    }
    for (let k = 1; k <= half; k++) {
      store<f64>(row + (<usize>(half - k) << 3), load<f64>(row + (<usize>(half + k) << 3)));
      store<f64>(row + (<usize>(half + w - 1 + k) << 3), load<f64>(row + (<usize>(half + w - 1 - k) << 3)));
    }
    const out = dst + (<usize>(oy * ow) << 2);
    for (let ox = 0; ox < ow; ox += 2) {
      // Outputs at columns 2*ox and 2*ox+2.
      const xb = row + (<usize>(2 * ox) << 3);
      const m = xb + (<usize>half << 3);
      let a = f64x2.mul(cMid, v128.shuffle<f64>(v128.load(m), v128.load(m, 16), 0, 2));
      for (let k = 0; k < half; k++) {
        const c = v128.load64_splat(coef64 + (<usize>k << 3));
        const pa = xb + (<usize>k << 3);
        const pb = xb + (<usize>(taps - 1 - k) << 3);
        const va = v128.shuffle<f64>(v128.load(pa), v128.load(pa, 16), 0, 2);
        const vb = v128.shuffle<f64>(v128.load(pb), v128.load(pb, 16), 0, 2);
        a = f64x2.add(a, f64x2.mul(c, f64x2.add(va, vb)));
      }
      v128.store64_lane(out + (<usize>ox << 2), f32x4.demote_f64x2_zero(a), 0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Motion

/**
 * 5-tap symmetric blur of `src` (w×h f32) into `dst` with taps (c0, c1, c2, c1, c0) read from
 * `coef`; mirrored borders. `row` is a row buffer of at least w + 32 floats.
 */
export function motionBlur(src: usize, w: i32, h: i32, coef: usize, row: usize, dst: usize): void {
  const c0 = v128.load32_splat(coef);
  const c1 = v128.load32_splat(coef + 4);
  const c2 = v128.load32_splat(coef + 8);
  const sb = <usize>w << 2;
  for (let y = 0; y < h; y++) {
    const r0 = src + <usize>mirror(y - 2, h) * sb;
    const r1 = src + <usize>mirror(y - 1, h) * sb;
    const r2 = src + <usize>y * sb;
    const r3 = src + <usize>mirror(y + 1, h) * sb;
    const r4 = src + <usize>mirror(y + 2, h) * sb;
    for (let x = 0; x < w; x += 4) {
      const xb = <usize>x << 2;
      const v = f32x4.add(
        f32x4.add(
          f32x4.mul(c0, f32x4.add(v128.load(r0 + xb), v128.load(r4 + xb))),
          f32x4.mul(c1, f32x4.add(v128.load(r1 + xb), v128.load(r3 + xb))),
        ),
        f32x4.mul(c2, v128.load(r2 + xb)),
      );
      v128.store(row + xb, v, 8);
    }
    store<f32>(row + 4, load<f32>(row + 12));
    store<f32>(row, load<f32>(row + 16));
    store<f32>(row + (<usize>(w + 2) << 2), load<f32>(row + (<usize>w << 2)));
    store<f32>(row + (<usize>(w + 3) << 2), load<f32>(row + (<usize>(w - 1) << 2)));
    const out = dst + <usize>y * sb;
    for (let x = 0; x < w; x += 4) {
      const p = row + (<usize>x << 2);
      const v = f32x4.add(
        f32x4.add(
          f32x4.mul(c0, f32x4.add(v128.load(p), v128.load(p, 16))),
          f32x4.mul(c1, f32x4.add(v128.load(p, 4), v128.load(p, 12))),
        ),
        f32x4.mul(c2, v128.load(p, 8)),
      );
      v128.store(out + (<usize>x << 2), v);
    }
  }
}

/** Σ |a - b| over n f32 samples (f32x4 partial sums, flushed to f64 every 1024 samples). */
export function sumAbsDiff(a: usize, b: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    let acc = f32x4.splat(0);
    const end = min(n & ~3, i + 1024);
    for (; i < end; i += 4) {
      const o = <usize>i << 2;
      acc = f32x4.add(acc, f32x4.abs(f32x4.sub(v128.load(a + o), v128.load(b + o))));
    }
    total +=
      <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    total += Math.abs(<f64>load<f32>(a + o) - <f64>load<f32>(b + o));
  }
  return total;
}
