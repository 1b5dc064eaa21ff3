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

// ---------------------------------------------------------------------------------------------
// ADM (libvmaf integer_adm), the fixed-point arithmetic of ../../adm.ts step by step with native
// i64 (the reference emulates it in float64). `adm` runs the integer part of all four scales and
// writes per scale the pooled accumulators (f64, exact integers); the float32 finishing (CSF
// factors, cube roots) stays in JS (../adm-wasm.ts) so it is the very same code as the reference.

// db2 analysis filters in Q15.
const LO0: i32 = 15826;
const LO1: i32 = 27411;
const LO2: i32 = 7345;
const LO3: i32 = -4240;
const HI0: i32 = -4240;
const HI1: i32 = -7345;
const HI2: i32 = 27411;
const HI3: i32 = -15826;
const LO_SUM: i32 = 46342;
const COS_1DEG_SQ: f64 = <f64><f32>(Math.cos(Math.PI / 180) * Math.cos(Math.PI / 180));

/**
 * 2^30 / m truncated (libvmaf's reciprocal table), m >= 1: the float64 quotient is within 2^-23 of
 * the exact one, whose fraction is 0 or at least 1/m >= 2^-15 from the next integer, so the
 * truncation is exact (an f64 division is cheaper than a 128 KiB table lookup).
 */
@inline function admDiv(m: i64): i64 {
  return <i64>(1073741824.0 / <f64>m);
}

@inline function ld(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline function st(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

/** DWT mirror: index 2i-1+k of n samples. */
@inline function admMirror(idx: i32, n: i32): i32 {
  if (idx < 0) return -idx;
  if (idx >= n) return 2 * n - idx - 1;
  return idx;
}

/** ceil(log2(n)) for n >= 1. */
@inline function ceilLog2(n: i32): i32 {
  return n <= 1 ? 0 : 32 - clz(n - 1);
}

@inline function borderStart(n: i32): i32 {
  return <i32>(<f64>n * 0.1 - 0.5);
}

@inline function roundAdd(sh: i32): i64 {
  return sh > 0 ? (<i64>1) << (sh - 1) : 0;
}

const ADM_SLACK: i32 = 64;

/** Bytes of i32 workspace `adm` needs for a w×h plane (the input planes excluded). */
export function admWorkBytes(w: i32, h: i32): i32 {
  const n = ((w + 1) >> 1) * ((h + 1) >> 1) + ADM_SLACK;
  const t = w + ADM_SLACK;
  return (17 * n + 4 * t) * 4;
}

// Workspace layout (i32 elements, each band n = bw0*bh0 + slack): refA0 refA1 disA0 disA1 refH refV
// refD disH disV disD rH rV rD fltSum c15Sum flags colSum | tmpLo tmpHi (w + slack each, as i32;
// scale 0 uses them as i16 with one leading mirror sample).

/** Scale 0 DWT of u8/u16 samples: bands in Q6 (int16 range), SIMD (i16 dot products). */
function admDwt0(src: usize, w: i32, h: i32, bits: i32, bps: i32, tmpLo: usize, tmpHi: usize, outA: usize, outH: usize, outV: usize, outD: usize): void {
  const bw = (w + 1) >> 1;
  const bh = (h + 1) >> 1;
  const half = 1 << (bits - 1);
  const dc = LO_SUM * half - half;
  const vdc = i32x4.splat(dc);
  const vhalf = i32x4.splat(half);
  const vr = i32x4.splat(32768);
  const lo01 = i16x8(<i16>LO0, <i16>LO1, <i16>LO0, <i16>LO1, <i16>LO0, <i16>LO1, <i16>LO0, <i16>LO1);
  const lo23 = i16x8(<i16>LO2, <i16>LO3, <i16>LO2, <i16>LO3, <i16>LO2, <i16>LO3, <i16>LO2, <i16>LO3);
  const hi01 = i16x8(<i16>HI0, <i16>HI1, <i16>HI0, <i16>HI1, <i16>HI0, <i16>HI1, <i16>HI0, <i16>HI1);
  const hi23 = i16x8(<i16>HI2, <i16>HI3, <i16>HI2, <i16>HI3, <i16>HI2, <i16>HI3, <i16>HI2, <i16>HI3);
  const rowBytes = <usize>w * <usize>bps;
  for (let i = 0; i < bh; i++) {
    const r0 = src + <usize>admMirror(2 * i - 1, h) * rowBytes;
    const r1 = src + <usize>admMirror(2 * i, h) * rowBytes;
    const r2 = src + <usize>admMirror(2 * i + 1, h) * rowBytes;
    const r3 = src + <usize>admMirror(2 * i + 2, h) * rowBytes;
    for (let j = 0; j < w; j += 8) {
      let a0: v128, a1: v128, a2: v128, a3: v128;
      if (bps == 1) {
        a0 = v128.load8x8_u(r0 + <usize>j);
        a1 = v128.load8x8_u(r1 + <usize>j);
        a2 = v128.load8x8_u(r2 + <usize>j);
        a3 = v128.load8x8_u(r3 + <usize>j);
      } else {
        const jb = <usize>j << 1;
        a0 = v128.load(r0 + jb);
        a1 = v128.load(r1 + jb);
        a2 = v128.load(r2 + jb);
        a3 = v128.load(r3 + jb);
      }
      const p01l = i16x8.shuffle(a0, a1, 0, 8, 1, 9, 2, 10, 3, 11);
      const p01h = i16x8.shuffle(a0, a1, 4, 12, 5, 13, 6, 14, 7, 15);
      const p23l = i16x8.shuffle(a2, a3, 0, 8, 1, 9, 2, 10, 3, 11);
      const p23h = i16x8.shuffle(a2, a3, 4, 12, 5, 13, 6, 14, 7, 15);
      const ll = i32x4.shr_s(i32x4.sub(i32x4.add(i32x4.dot_i16x8_s(p01l, lo01), i32x4.dot_i16x8_s(p23l, lo23)), vdc), bits);
      const lh = i32x4.shr_s(i32x4.sub(i32x4.add(i32x4.dot_i16x8_s(p01h, lo01), i32x4.dot_i16x8_s(p23h, lo23)), vdc), bits);
      const hl = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.dot_i16x8_s(p01l, hi01), i32x4.dot_i16x8_s(p23l, hi23)), vhalf), bits);
      const hh = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.dot_i16x8_s(p01h, hi01), i32x4.dot_i16x8_s(p23h, hi23)), vhalf), bits);
      const o = <usize>(j + 1) << 1;
      v128.store(tmpLo + o, i16x8.narrow_i32x4_s(ll, lh));
      v128.store(tmpHi + o, i16x8.narrow_i32x4_s(hl, hh));
    }
    // mirror samples: index -1 -> 1, w -> w-1, w+1 -> w-2 (stored one element to the right)
    store<i16>(tmpLo, load<i16>(tmpLo + 4));
    store<i16>(tmpHi, load<i16>(tmpHi + 4));
    store<i16>(tmpLo + (<usize>(w + 1) << 1), load<i16>(tmpLo + (<usize>w << 1)));
    store<i16>(tmpHi + (<usize>(w + 1) << 1), load<i16>(tmpHi + (<usize>w << 1)));
    store<i16>(tmpLo + (<usize>(w + 2) << 1), load<i16>(tmpLo + (<usize>(w - 1) << 1)));
    store<i16>(tmpHi + (<usize>(w + 2) << 1), load<i16>(tmpHi + (<usize>(w - 1) << 1)));
    const ob = <usize>(i * bw) << 2;
    for (let j = 0; j < bw; j += 4) {
      const q = <usize>(2 * j) << 1;
      const l0 = v128.load(tmpLo + q);
      const l1 = v128.load(tmpLo + q + 4);
      const h0 = v128.load(tmpHi + q);
      const h1 = v128.load(tmpHi + q + 4);
      const jb = ob + (<usize>j << 2);
      v128.store(outA + jb, i32x4.shr_s(i32x4.add(i32x4.add(i32x4.dot_i16x8_s(l0, lo01), i32x4.dot_i16x8_s(l1, lo23)), vr), 16));
      v128.store(outV + jb, i32x4.shr_s(i32x4.add(i32x4.add(i32x4.dot_i16x8_s(l0, hi01), i32x4.dot_i16x8_s(l1, hi23)), vr), 16));
      v128.store(outH + jb, i32x4.shr_s(i32x4.add(i32x4.add(i32x4.dot_i16x8_s(h0, lo01), i32x4.dot_i16x8_s(h1, lo23)), vr), 16));
      v128.store(outD + jb, i32x4.shr_s(i32x4.add(i32x4.add(i32x4.dot_i16x8_s(h0, hi01), i32x4.dot_i16x8_s(h1, hi23)), vr), 16));
    }
  }
}

/** Scales 1..3 DWT of the previous LL band (int32 samples, 64-bit products). */
function admDwtN(src: usize, w: i32, h: i32, scale: i32, tmpLo: usize, tmpHi: usize, outA: usize, outH: usize, outV: usize, outD: usize): void {
  const bw = (w + 1) >> 1;
  const bh = (h + 1) >> 1;
  const vAdd: i64 = scale == 1 ? 0 : 32768;
  const vSh: i64 = scale == 1 ? 0 : 16;
  const hAdd: i64 = scale == 2 ? 32768 : 16384;
  const hSh: i64 = scale == 2 ? 16 : 15;
  for (let i = 0; i < bh; i++) {
    const r0 = src + ((<usize>admMirror(2 * i - 1, h) * <usize>w) << 2);
    const r1 = src + ((<usize>admMirror(2 * i, h) * <usize>w) << 2);
    const r2 = src + ((<usize>admMirror(2 * i + 1, h) * <usize>w) << 2);
    const r3 = src + ((<usize>admMirror(2 * i + 2, h) * <usize>w) << 2);
    let j0 = 0;
    if (scale == 1) {
      // no shift: the int32 result is the 64-bit sum mod 2^32, i.e. wrapping int32 arithmetic
      for (; j0 + 4 <= w; j0 += 4) {
        const q = <usize>j0 << 2;
        const s0 = v128.load(r0 + q);
        const s1 = v128.load(r1 + q);
        const s2 = v128.load(r2 + q);
        const s3 = v128.load(r3 + q);
        const lo = i32x4.add(
          i32x4.add(i32x4.mul(i32x4.splat(LO0), s0), i32x4.mul(i32x4.splat(LO1), s1)),
          i32x4.add(i32x4.mul(i32x4.splat(LO2), s2), i32x4.mul(i32x4.splat(LO3), s3)),
        );
        const hi = i32x4.add(
          i32x4.add(i32x4.mul(i32x4.splat(HI0), s0), i32x4.mul(i32x4.splat(HI1), s1)),
          i32x4.add(i32x4.mul(i32x4.splat(HI2), s2), i32x4.mul(i32x4.splat(HI3), s3)),
        );
        v128.store(tmpLo + q, lo);
        v128.store(tmpHi + q, hi);
      }
    }
    for (let j = j0; j < w; j++) {
      const s0 = <i64>ld(r0, j);
      const s1 = <i64>ld(r1, j);
      const s2 = <i64>ld(r2, j);
      const s3 = <i64>ld(r3, j);
      st(tmpLo, j, <i32>((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + vAdd) >> vSh));
      st(tmpHi, j, <i32>((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + vAdd) >> vSh));
    }
    const o = i * bw;
    // interior (2j-1 .. 2j+2 inside the row) without the mirror
    const jEnd = (w - 2) >> 1;
    for (let j = 1; j < jEnd; j++) {
      const q = tmpLo + (<usize>(2 * j - 1) << 2);
      let s0 = <i64>load<i32>(q);
      let s1 = <i64>load<i32>(q, 4);
      let s2 = <i64>load<i32>(q, 8);
      let s3 = <i64>load<i32>(q, 12);
      st(outA, o + j, <i32>((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + hAdd) >> hSh));
      st(outV, o + j, <i32>((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + hAdd) >> hSh));
      const qh = tmpHi + (<usize>(2 * j - 1) << 2);
      s0 = <i64>load<i32>(qh);
      s1 = <i64>load<i32>(qh, 4);
      s2 = <i64>load<i32>(qh, 8);
      s3 = <i64>load<i32>(qh, 12);
      st(outH, o + j, <i32>((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + hAdd) >> hSh));
      st(outD, o + j, <i32>((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + hAdd) >> hSh));
    }
    for (let j = 0; j < bw; j++) {
      if (j == 1 && jEnd > 1) j = jEnd;
      const j0 = admMirror(2 * j - 1, w);
      const j1 = admMirror(2 * j, w);
      const j2 = admMirror(2 * j + 1, w);
      const j3 = admMirror(2 * j + 2, w);
      let s0 = <i64>ld(tmpLo, j0);
      let s1 = <i64>ld(tmpLo, j1);
      let s2 = <i64>ld(tmpLo, j2);
      let s3 = <i64>ld(tmpLo, j3);
      st(outA, o + j, <i32>((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + hAdd) >> hSh));
      st(outV, o + j, <i32>((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + hAdd) >> hSh));
      s0 = <i64>ld(tmpHi, j0);
      s1 = <i64>ld(tmpHi, j1);
      s2 = <i64>ld(tmpHi, j2);
      s3 = <i64>ld(tmpHi, j3);
      st(outH, o + j, <i32>((LO0 * s0 + LO1 * s1 + LO2 * s2 + LO3 * s3 + hAdd) >> hSh));
      st(outD, o + j, <i32>((HI0 * s0 + HI1 * s1 + HI2 * s2 + HI3 * s3 + hAdd) >> hSh));
    }
  }
}

/** 1 where the (h, v) orientation of the distorted coefficient is within 1° of the reference's. */
function admAngleFlags(refH: usize, refV: usize, disH: usize, disV: usize, flags: usize, bw: i32, x0: i32, x1: i32, y0: i32, y1: i32): void {
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p++) {
      const oh = <i64>ld(refH, p);
      const ov = <i64>ld(refV, p);
      const th = <i64>ld(disH, p);
      const tv = <i64>ld(disV, p);
      // as the reference: the 64-bit dot products through float64, then float32
      const dp = <f64><f32>(<f64>(oh * th) + <f64>(ov * tv)) / 4096;
      const oo = <f64><f32>(<f64>(oh * oh) + <f64>(ov * ov));
      const tt = <f64><f32>(<f64>(th * th) + <f64>(tv * tv));
      st(flags, p, <i32>(dp >= 0 && dp * dp >= ((COS_1DEG_SQ * oo) / 4096) * (tt / 4096)));
    }
  }
}

/** Restored coefficient with the enhancement test (`flag` and k > 0), gain limit `egl`. */
@inline function admEnhance(r: i32, o: i32, t: i32, egl: f64): i32 {
  const e = <f64>r * egl;
  const tf = <f64>t;
  return o > 0 ? <i32>(e < tf ? e : tf) : <i32>(e > tf ? e : tf);
}

/** Scale 0, one orientation (see decoupleBand0 in ../../adm.ts). */
function admDecouple0(ref: usize, dis: usize, rOut: usize, flags: usize, fltSum: usize, c15Sum: usize, first: bool, rf: i32, add: i32, shift: i32, bw: i32, x0: i32, x1: i32, y0: i32, y1: i32, egl: f64): void {
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p++) {
      const o = ld(ref, p);
      const t = ld(dis, p);
      const sgn = (o >> 31) | 1;
      const ao = sgn * o;
      let s = sgn * t;
      // st > |o| saturates k at 1 anyway
      if (s > ao + 1) s = ao + 1;
      let k = ao == 0 ? 0 : <i32>((admDiv(ao) * <i64>s + 16384) >> 15);
      if (k < 0) k = 0;
      if (k > 32768) k = 32768;
      let r = (k * o + 16384) >> 15;
      if (k > 0 && ld(flags, p) != 0) r = admEnhance(r, o, t, egl);
      st(rOut, p, r);
      let c = (((rf * (t - r) + add) >> shift) << 16) >> 16;
      const cs = c >> 31;
      c = (c ^ cs) - cs;
      const flt = (((4369 * c + 2048) >> 12) << 16) >> 16;
      const c15 = (((8738 * c + 2048) >> 12) << 16) >> 16;
      if (first) {
        st(fltSum, p, flt);
        st(c15Sum, p, c15);
      } else {
        st(fltSum, p, ld(fltSum, p) + flt);
        st(c15Sum, p, ld(c15Sum, p) + c15);
      }
    }
  }
}

/** Angle test of 4 positions (int32 dot products converted to float32, compared in float64). */
@inline function admAngle4(oh: v128, ov: v128, th: v128, tv: v128): v128 {
  const dot = f32x4.convert_i32x4_s(i32x4.add(i32x4.mul(oh, th), i32x4.mul(ov, tv)));
  const oo = f32x4.convert_i32x4_s(i32x4.add(i32x4.mul(oh, oh), i32x4.mul(ov, ov)));
  const tt = f32x4.convert_i32x4_s(i32x4.add(i32x4.mul(th, th), i32x4.mul(tv, tv)));
  const inv = f64x2.splat(1.0 / 4096);
  const cosSq = f64x2.splat(COS_1DEG_SQ);
  const zero = f64x2.splat(0);
  let dp = f64x2.mul(f64x2.promote_low_f32x4(dot), inv);
  let rhs = f64x2.mul(f64x2.mul(f64x2.mul(cosSq, f64x2.promote_low_f32x4(oo)), inv), f64x2.mul(f64x2.promote_low_f32x4(tt), inv));
  const mLo = v128.and(f64x2.ge(dp, zero), f64x2.ge(f64x2.mul(dp, dp), rhs));
  const dotH = i32x4.shuffle(dot, dot, 2, 3, 2, 3);
  const ooH = i32x4.shuffle(oo, oo, 2, 3, 2, 3);
  const ttH = i32x4.shuffle(tt, tt, 2, 3, 2, 3);
  dp = f64x2.mul(f64x2.promote_low_f32x4(dotH), inv);
  rhs = f64x2.mul(f64x2.mul(f64x2.mul(cosSq, f64x2.promote_low_f32x4(ooH)), inv), f64x2.mul(f64x2.promote_low_f32x4(ttH), inv));
  const mHi = v128.and(f64x2.ge(dp, zero), f64x2.ge(f64x2.mul(dp, dp), rhs));
  return i32x4.shuffle(mLo, mHi, 0, 2, 4, 6);
}

/** Restored coefficients of 4 scale-0 positions (int16-range o, t; integer gain limit). */
@inline function admRestore4(o: v128, t: v128, flag: v128, egl: v128): v128 {
  const sgnm = i32x4.shr_s(o, 31);
  const ao = i32x4.abs(o);
  const b = i32x4.sub(v128.xor(t, sgnm), sgnm);
  const s = i32x4.min_s(b, i32x4.add(ao, i32x4.splat(1)));
  const two30 = f64x2.splat(1073741824.0);
  const half = f64x2.splat(16384.0);
  const inv15 = f64x2.splat(1.0 / 32768);
  const divLo = f64x2.trunc(f64x2.div(two30, f64x2.convert_low_i32x4_s(ao)));
  const kLo = f64x2.floor(f64x2.mul(f64x2.add(f64x2.mul(divLo, f64x2.convert_low_i32x4_s(s)), half), inv15));
  const aoH = i32x4.shuffle(ao, ao, 2, 3, 2, 3);
  const sH = i32x4.shuffle(s, s, 2, 3, 2, 3);
  const divHi = f64x2.trunc(f64x2.div(two30, f64x2.convert_low_i32x4_s(aoH)));
  const kHi = f64x2.floor(f64x2.mul(f64x2.add(f64x2.mul(divHi, f64x2.convert_low_i32x4_s(sH)), half), inv15));
  let k = i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(kLo), i32x4.trunc_sat_f64x2_s_zero(kHi), 0, 1, 4, 5);
  k = i32x4.min_s(i32x4.max_s(k, i32x4.splat(0)), i32x4.splat(32768));
  k = v128.andnot(k, i32x4.eq(ao, i32x4.splat(0)));
  const r = i32x4.shr_s(i32x4.add(i32x4.mul(k, o), i32x4.splat(16384)), 15);
  // enhancement where the angle test passed and k > 0: sgn·min(sgn·r·egl, sgn·t)
  const e = i32x4.sub(v128.xor(i32x4.mul(r, egl), sgnm), sgnm);
  const m = i32x4.min_s(e, b);
  const re = i32x4.sub(v128.xor(m, sgnm), sgnm);
  return v128.bitselect(re, r, v128.and(flag, i32x4.gt_s(k, i32x4.splat(0))));
}

/** |csf(t - r)| as int16 (rfactor Q, rounding `add`, shift `sh`). */
@inline function admCsfAbs0(t: v128, r: v128, rf: v128, add: v128, sh: i32): v128 {
  const c = i32x4.shr_s(i32x4.shl(i32x4.shr_s(i32x4.add(i32x4.mul(rf, i32x4.sub(t, r)), add), sh), 16), 16);
  return i32x4.abs(c);
}

@inline function admI16(x: v128): v128 {
  return i32x4.shr_s(i32x4.shl(x, 16), 16);
}

/**
 * Scale 0, all three orientations at once with SIMD (angle flags, restored bands, masking sums),
 * for an integer gain limit up to 1000 (r·egl stays in int32).
 */
function admDecouple0Simd(refH: usize, refV: usize, refD: usize, disH: usize, disV: usize, disD: usize, rH: usize, rV: usize, rD: usize, fltSum: usize, c15Sum: usize, bw: i32, x0: i32, x1: i32, y0: i32, y1: i32, egl: i32): void {
  const eglV = i32x4.splat(egl);
  const rfHV = i32x4.splat(36453);
  const rfD = i32x4.splat(49417);
  const addHV = i32x4.splat(16384);
  const addD = i32x4.splat(65535);
  const m30 = i32x4.splat(4369);
  const m15 = i32x4.splat(8738);
  const r12 = i32x4.splat(2048);
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p += 4) {
      const q = <usize>p << 2;
      const oh = v128.load(refH + q);
      const ov = v128.load(refV + q);
      const od = v128.load(refD + q);
      const th = v128.load(disH + q);
      const tv = v128.load(disV + q);
      const td = v128.load(disD + q);
      const flag = admAngle4(oh, ov, th, tv);
      const rh = admRestore4(oh, th, flag, eglV);
      const rv = admRestore4(ov, tv, flag, eglV);
      const rd = admRestore4(od, td, flag, eglV);
      v128.store(rH + q, rh);
      v128.store(rV + q, rv);
      v128.store(rD + q, rd);
      const ch = admCsfAbs0(th, rh, rfHV, addHV, 15);
      const cv = admCsfAbs0(tv, rv, rfHV, addHV, 15);
      const cd = admCsfAbs0(td, rd, rfD, addD, 17);
      const flt = i32x4.add(
        i32x4.add(admI16(i32x4.shr_s(i32x4.add(i32x4.mul(m30, ch), r12), 12)), admI16(i32x4.shr_s(i32x4.add(i32x4.mul(m30, cv), r12), 12))),
        admI16(i32x4.shr_s(i32x4.add(i32x4.mul(m30, cd), r12), 12)),
      );
      const c15 = i32x4.add(
        i32x4.add(admI16(i32x4.shr_s(i32x4.add(i32x4.mul(m15, ch), r12), 12)), admI16(i32x4.shr_s(i32x4.add(i32x4.mul(m15, cv), r12), 12))),
        admI16(i32x4.shr_s(i32x4.add(i32x4.mul(m15, cd), r12), 12)),
      );
      v128.store(fltSum + q, flt);
      v128.store(c15Sum + q, c15);
    }
  }
}

/** Scales 1..3, one orientation (see decoupleBandN in ../../adm.ts). */
function admDecoupleN(ref: usize, dis: usize, rOut: usize, flags: usize, fltSum: usize, c15Sum: usize, first: bool, rf: i64, bw: i32, x0: i32, x1: i32, y0: i32, y1: i32, egl: f64): void {
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p++) {
      const o = ld(ref, p);
      const t = ld(dis, p);
      const neg = o < 0;
      const ao = neg ? -<i64>o : <i64>o;
      const s = neg ? -<i64>t : <i64>t;
      let sh = 17 - <i32>clz(<u32>ao);
      if (sh < 0) sh = 0;
      const m = <i32>((ao + ((<i64>1 << sh) >> 1)) >> sh);
      let k = ao == 0 ? 0 : (admDiv(m) * s + ((<i64>1) << (14 + sh))) >> (15 + sh);
      if (k < 0) k = 0;
      if (k > 32768) k = 32768;
      let r = <i32>((k * <i64>o + 16384) >> 15);
      if (k > 0 && ld(flags, p) != 0) r = admEnhance(r, o, t, egl);
      st(rOut, p, r);
      let c = <i32>((rf * (<i64>t - <i64>r) + 134217728) >> 28);
      if (c < 0) c = -c;
      // the reference's rounding term is 1u << 31 stored in an int32, i.e. -2^31
      const flt = <i32>((143165577 * <i64>c - 2147483648) >> 32);
      const c15 = <i32>((286331153 * <i64>c - 2147483648) >> 32);
      if (first) {
        st(fltSum, p, flt);
        st(c15Sum, p, c15);
      } else {
        st(fltSum, p, ld(fltSum, p) + flt);
        st(c15Sum, p, ld(c15Sum, p) + c15);
      }
    }
  }
}

/**
 * Scales 1..3, all three orientations per position with the angle test inline, branch-free, for
 * an integer gain limit (same arithmetic as admAngleFlags + admDecoupleN).
 */
function admDecoupleNInt(refH: usize, refV: usize, refD: usize, disH: usize, disV: usize, disD: usize, rH: usize, rV: usize, rD: usize, fltSum: usize, c15Sum: usize, rf0: i64, rf2: i64, bw: i32, x0: i32, x1: i32, y0: i32, y1: i32, egl: i64): void {
  for (let i = y0; i < y1; i++) {
    for (let p = i * bw + x0, pe = i * bw + x1; p < pe; p++) {
      const oh = <i64>ld(refH, p);
      const ov = <i64>ld(refV, p);
      const th = <i64>ld(disH, p);
      const tv = <i64>ld(disV, p);
      const dp = <f64><f32>(<f64>(oh * th) + <f64>(ov * tv)) / 4096;
      const oo = <f64><f32>(<f64>(oh * oh) + <f64>(ov * ov));
      const tt = <f64><f32>(<f64>(th * th) + <f64>(tv * tv));
      const flag = <i32>(dp >= 0) & <i32>(dp * dp >= ((COS_1DEG_SQ * oo) / 4096) * (tt / 4096));
      const rh = admRestoreN(<i32>oh, <i32>th, flag, egl);
      const rv = admRestoreN(<i32>ov, <i32>tv, flag, egl);
      const rd = admRestoreN(ld(refD, p), ld(disD, p), flag, egl);
      st(rH, p, rh);
      st(rV, p, rv);
      st(rD, p, rd);
      const ch = admCsfAbsN(<i32>th, rh, rf0);
      const cv = admCsfAbsN(<i32>tv, rv, rf0);
      const cd = admCsfAbsN(ld(disD, p), rd, rf2);
      st(fltSum, p, admQ(ch, 143165577) + admQ(cv, 143165577) + admQ(cd, 143165577));
      st(c15Sum, p, admQ(ch, 286331153) + admQ(cv, 286331153) + admQ(cd, 286331153));
    }
  }
}

@inline function admRestoreN(o: i32, t: i32, flag: i32, egl: i64): i32 {
  const sgn: i64 = o < 0 ? -1 : 1;
  const ao = sgn * <i64>o;
  const s = sgn * <i64>t;
  let sh = 17 - <i32>clz(<u32>ao);
  sh = sh < 0 ? 0 : sh;
  const m = (ao + ((<i64>1 << sh) >> 1)) >> sh;
  const div = <i64>(1073741824.0 / <f64>(m < 1 ? <i64>1 : m));
  let k = (div * s + ((<i64>1) << (14 + sh))) >> (15 + sh);
  k = k < 0 ? 0 : k;
  k = k > 32768 ? 32768 : k;
  k = ao == 0 ? 0 : k;
  const r = (k * <i64>o + 16384) >> 15;
  const e = sgn * r * egl;
  const re = sgn * (e < s ? e : s);
  return <i32>(flag != 0 && k > 0 ? re : r);
}

@inline function admCsfAbsN(t: i32, r: i32, rf: i64): i32 {
  const c = <i32>((rf * (<i64>t - <i64>r) + 134217728) >> 28);
  return c < 0 ? -c : c;
}

/** (mul·c − 2^31) >> 32 (libvmaf's rounding term 1u << 31 stored in an int32). */
@inline function admQ(c: i32, mul: i64): i32 {
  return <i32>((mul * <i64>c - 2147483648) >> 32);
}

/** Denominator accumulators of one scale into out[0..2]. */
function admDen(refH: usize, refV: usize, refD: usize, bw: i32, bh: i32, scale: i32, out: usize): void {
  const left = borderStart(bw);
  const top = borderStart(bh);
  const right = bw - left;
  const bottom = bh - top;
  let accH: i64 = 0;
  let accV: i64 = 0;
  let accD: i64 = 0;
  if (scale == 0) {
    let sa = ceilLog2((bottom - top) * (right - left)) - 20;
    if (sa < 0) sa = 0;
    const add = roundAdd(sa);
    for (let i = top; i < bottom; i++) {
      let ih: i64 = 0;
      let iv: i64 = 0;
      let id: i64 = 0;
      for (let p = i * bw + left, pe = i * bw + right; p < pe; p++) {
        const h = <i64>abs(ld(refH, p));
        const v = <i64>abs(ld(refV, p));
        const d = <i64>abs(ld(refD, p));
        ih += h * h * h;
        iv += v * v * v;
        id += d * d * d;
      }
      accH += (ih + add) >> sa;
      accV += (iv + add) >> sa;
      accD += (id + add) >> sa;
    }
  } else {
    const shSq: i64 = scale == 2 ? 30 : 31;
    const addSq: i64 = (<i64>1) << shSq; // sic: a whole unit, not a half
    const shCub = ceilLog2(right - left);
    const addCub = roundAdd(shCub);
    const shAcc = ceilLog2(bottom - top);
    const addAcc = roundAdd(shAcc);
    for (let i = top; i < bottom; i++) {
      let ih: i64 = 0;
      let iv: i64 = 0;
      let id: i64 = 0;
      for (let p = i * bw + left, pe = i * bw + right; p < pe; p++) {
        const h = abs(<i64>ld(refH, p));
        const v = abs(<i64>ld(refV, p));
        const d = abs(<i64>ld(refD, p));
        ih += ((((h * h + addSq) >> shSq) * h + addCub) >> shCub);
        iv += ((((v * v + addSq) >> shSq) * v + addCub) >> shCub);
        id += ((((d * d + addSq) >> shSq) * d + addCub) >> shCub);
      }
      accH += (ih + addAcc) >> shAcc;
      accV += (iv + addAcc) >> shAcc;
      accD += (id + addAcc) >> shAcc;
    }
  }
  store<f64>(out, <f64>accH);
  store<f64>(out, <f64>accV, 8);
  store<f64>(out, <f64>accD, 16);
}

/** Vertical 3-sums of fltSum for row i (mirrored at the band edges) over columns [c0, c1). */
@inline function admColSums(fltSum: usize, colSum: usize, bw: i32, bh: i32, i: i32, c0: i32, c1: i32): void {
  const up = (i == 0 ? 1 : i - 1) * bw;
  const dn = (i == bh - 1 ? bh - 1 : i + 1) * bw;
  const row = i * bw;
  for (let j = c0; j < c1; j++) st(colSum, j, ld(fltSum, up + j) + ld(fltSum, row + j) + ld(fltSum, dn + j));
}

@inline function admCube(x: i32, rSh: i64, rAdd: i64, cAdd: i64, cSh: i64): i64 {
  x &= ~(x >> 31);
  const xsq = <i64><i32>((<i64>x * <i64>x + rAdd) >> rSh);
  return (xsq * <i64>x + cAdd) >> cSh;
}

/** Numerator accumulators of one scale into out[0..2] (see numScale0/numScaleN in ../../adm.ts). */
function admNum(rH: usize, rV: usize, rD: usize, fltSum: usize, c15Sum: usize, colSum: usize, bw: i32, bh: i32, scale: i32, rf0: i64, rf2: i64, out: usize): void {
  const left = borderStart(bw);
  const top = borderStart(bh);
  const right = bw - left;
  const bottom = bh - top;
  const shInner = ceilLog2(bh);
  const addInner = roundAdd(shInner);
  const c0 = left > 0 ? left - 1 : 0;
  const c1 = right < bw ? right + 1 : bw;
  let accH: i64 = 0;
  let accV: i64 = 0;
  let accD: i64 = 0;
  if (scale == 0) {
    const shHV = ceilLog2(bw) - 4;
    const shD = ceilLog2(bw) - 3;
    const addHV = roundAdd(shHV);
    const addD = roundAdd(shD);
    for (let i = top; i < bottom; i++) {
      admColSums(fltSum, colSum, bw, bh, i, c0, c1);
      const row = i * bw;
      let ih: i64 = 0;
      let iv: i64 = 0;
      let id: i64 = 0;
      for (let j = left; j < right; j++) {
        const jl = j == 0 ? 1 : j - 1;
        const jr = j == bw - 1 ? bw - 1 : j + 1;
        const p = row + j;
        const thr = ld(colSum, jl) + ld(colSum, j) + ld(colSum, jr) - ld(fltSum, p) + ld(c15Sum, p);
        ih += admCube(abs(ld(rH, p) * 36453) - (thr << 10), 29, 268435456, addHV, shHV);
        iv += admCube(abs(ld(rV, p) * 36453) - (thr << 10), 29, 268435456, addHV, shHV);
        id += admCube(abs(ld(rD, p) * 49417) - (thr << 12), 30, 536870912, addD, shD);
      }
      accH += (ih + addInner) >> shInner;
      accV += (iv + addInner) >> shInner;
      accD += (id + addInner) >> shInner;
    }
  } else {
    const shCub = ceilLog2(bw);
    const addCub = roundAdd(shCub);
    for (let i = top; i < bottom; i++) {
      admColSums(fltSum, colSum, bw, bh, i, c0, c1);
      const row = i * bw;
      let ih: i64 = 0;
      let iv: i64 = 0;
      let id: i64 = 0;
      for (let j = left; j < right; j++) {
        const jl = j == 0 ? 1 : j - 1;
        const jr = j == bw - 1 ? bw - 1 : j + 1;
        const p = row + j;
        const thr = ld(colSum, jl) + ld(colSum, j) + ld(colSum, jr) - ld(fltSum, p) + ld(c15Sum, p);
        ih += admCube(abs(<i32>((<i64>ld(rH, p) * rf0 + 134217728) >> 28)) - thr, 30, 536870912, addCub, shCub);
        iv += admCube(abs(<i32>((<i64>ld(rV, p) * rf0 + 134217728) >> 28)) - thr, 30, 536870912, addCub, shCub);
        id += admCube(abs(<i32>((<i64>ld(rD, p) * rf2 + 134217728) >> 28)) - thr, 30, 536870912, addCub, shCub);
      }
      accH += (ih + addInner) >> shInner;
      accV += (iv + addInner) >> shInner;
      accD += (id + addInner) >> shInner;
    }
  }
  store<f64>(out, <f64>accH);
  store<f64>(out, <f64>accV, 8);
  store<f64>(out, <f64>accD, 16);
}

/**
 * Integer part of ADM for planes `ref`/`dis` (w×h samples of `bps` bytes, `bits` bits) with the
 * workspace `work` (`admWorkBytes(w, h)` bytes). `rf` holds the CSF factors of scales 1..3 as
 * 2^32-scaled u32 pairs (h/v, d) at rf[2s], rf[2s+1] (f64 each, index 0..7). Writes 6 f64 per
 * scale to `out`: denominator accumulators h, v, d then numerator accumulators h, v, d.
 */
export function adm(ref: usize, dis: usize, w: i32, h: i32, bits: i32, bps: i32, egl: f64, work: usize, rf: usize, out: usize): void {
  const bw0 = (w + 1) >> 1;
  const bh0 = (h + 1) >> 1;
  const bandBytes = <usize>(bw0 * bh0 + ADM_SLACK) << 2;
  const refA0 = work;
  const refA1 = refA0 + bandBytes;
  const disA0 = refA1 + bandBytes;
  const disA1 = disA0 + bandBytes;
  const refH = disA1 + bandBytes;
  const refV = refH + bandBytes;
  const refD = refV + bandBytes;
  const disH = refD + bandBytes;
  const disV = disH + bandBytes;
  const disD = disV + bandBytes;
  const rH = disD + bandBytes;
  const rV = rH + bandBytes;
  const rD = rV + bandBytes;
  const fltSum = rD + bandBytes;
  const c15Sum = fltSum + bandBytes;
  const flags = c15Sum + bandBytes;
  const colSum = flags + bandBytes;
  const tmpLo = colSum + bandBytes;
  const tmpHi = tmpLo + (<usize>(w + ADM_SLACK) << 2);
  const eglInt = egl == Math.floor(egl) && egl <= 1000;
  let iw = w;
  let ih = h;
  for (let s = 0; s < 4; s++) {
    const bw = (iw + 1) >> 1;
    const bh = (ih + 1) >> 1;
    const outRefA = s & 1 ? refA1 : refA0;
    const outDisA = s & 1 ? disA1 : disA0;
    if (s == 0) {
      admDwt0(ref, iw, ih, bits, bps, tmpLo, tmpHi, outRefA, refH, refV, refD);
      admDwt0(dis, iw, ih, bits, bps, tmpLo, tmpHi, outDisA, disH, disV, disD);
    } else {
      const inRefA = s & 1 ? refA0 : refA1;
      const inDisA = s & 1 ? disA0 : disA1;
      admDwtN(inRefA, iw, ih, s, tmpLo, tmpHi, outRefA, refH, refV, refD);
      admDwtN(inDisA, iw, ih, s, tmpLo, tmpHi, outDisA, disH, disV, disD);
    }
    const left = borderStart(bw);
    const top = borderStart(bh);
    const x0 = left > 0 ? left - 1 : 0;
    const y0 = top > 0 ? top - 1 : 0;
    const x1 = min(bw, bw - left + 1);
    const y1 = min(bh, bh - top + 1);
    const rf0 = <i64>load<f64>(rf + (<usize>(2 * s) << 3));
    const rf2 = <i64>load<f64>(rf + (<usize>(2 * s + 1) << 3));
    if (s == 0 && eglInt) {
      admDecouple0Simd(refH, refV, refD, disH, disV, disD, rH, rV, rD, fltSum, c15Sum, bw, x0, x1, y0, y1, <i32>egl);
    } else if (s == 0) {
      admAngleFlags(refH, refV, disH, disV, flags, bw, x0, x1, y0, y1);
      admDecouple0(refH, disH, rH, flags, fltSum, c15Sum, true, 36453, 16384, 15, bw, x0, x1, y0, y1, egl);
      admDecouple0(refV, disV, rV, flags, fltSum, c15Sum, false, 36453, 16384, 15, bw, x0, x1, y0, y1, egl);
      admDecouple0(refD, disD, rD, flags, fltSum, c15Sum, false, 49417, 65535, 17, bw, x0, x1, y0, y1, egl);
    } else if (eglInt) {
      admDecoupleNInt(refH, refV, refD, disH, disV, disD, rH, rV, rD, fltSum, c15Sum, rf0, rf2, bw, x0, x1, y0, y1, <i64>egl);
    } else {
      admAngleFlags(refH, refV, disH, disV, flags, bw, x0, x1, y0, y1);
      admDecoupleN(refH, disH, rH, flags, fltSum, c15Sum, true, rf0, bw, x0, x1, y0, y1, egl);
      admDecoupleN(refV, disV, rV, flags, fltSum, c15Sum, false, rf0, bw, x0, x1, y0, y1, egl);
      admDecoupleN(refD, disD, rD, flags, fltSum, c15Sum, false, rf2, bw, x0, x1, y0, y1, egl);
    }
    const o = out + (<usize>(6 * s) << 3);
    admDen(refH, refV, refD, bw, bh, s, o);
    admNum(rH, rV, rD, fltSum, c15Sum, colSum, bw, bh, s, rf0, rf2, o + 24);
    iw = bw;
    ih = bh;
  }
}
