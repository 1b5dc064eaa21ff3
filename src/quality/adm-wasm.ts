// ADM on the WebAssembly kernels (./wasm/assembly/kernels.ts `adm`): the integer pipeline of
// ./adm.ts (DWT, decoupling, CSF, masking, pooled accumulators) runs in WebAssembly with native
// 64-bit integers; the float32 finishing below is the same code as computeAdm's, so the results
// are identical to computeAdm's (test/adm-wasm.test.ts).
import { ADM_MIN_SIZE, type AdmOptions, type AdmResult } from './adm.js';
import type { Plane } from './plane.js';
import type { VmafKernels } from './wasm/index.js';

const BORDER = 0.1;
const NOISE_WEIGHT = 0.03125;
const ONE_THIRD_F = Math.fround(1 / 3);
const TWO32 = 4294967296;
const f32 = Math.fround;
function powf3(x: number): number {
  return f32(Math.pow(f32(x), ONE_THIRD_F));
}

// Watson et al. 1997 DWT quantisation step, as in ./adm.ts.
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
const RFACTOR: number[][] = [0, 1, 2, 3].map((s) => [f32(1 / quantStep(s, 1)), f32(1 / quantStep(s, 2))]);
/** rfactor · 2^32 truncated, [scale][h/v, d] flattened (scale 0's entries are unused). */
const I4_RFACTOR = Float64Array.from(RFACTOR.flatMap((r) => [Math.trunc(r[0]! * TWO32), Math.trunc(r[1]! * TWO32)]));

function borderStart(n: number): number {
  return Math.trunc(n * BORDER - 0.5);
}

function denFinish(accH: number, accV: number, accD: number, bw: number, bh: number, scale: number): number {
  const left = borderStart(bw);
  const top = borderStart(bh);
  const right = bw - left;
  const bottom = bh - top;
  let shiftCsf: number;
  if (scale === 0) {
    let sa = Math.ceil(Math.log2((bottom - top) * (right - left)) - 20);
    if (sa < 0) sa = 0;
    shiftCsf = 2 ** (18 - sa);
  } else {
    const shCub = Math.ceil(Math.log2(right - left));
    const shAcc = Math.ceil(Math.log2(bottom - top));
    const conv = scale === 1 ? 32 : scale === 2 ? 27 : 23;
    shiftCsf = 2 ** (conv - shAcc - shCub);
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

function numFinish(accH: number, accV: number, accD: number, bw: number, bh: number, scale: number): number {
  const left = borderStart(bw);
  const top = borderStart(bh);
  const area = (bh - 2 * top) * (bw - 2 * left);
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
  const add = powf3(area * NOISE_WEIGHT);
  const nh = f32(powf3(accH / finalHV) + add);
  const nv = f32(powf3(accV / finalHV) + add);
  const nd = f32(powf3(accD / finalD) + add);
  return f32(f32(nh + nv) + nd);
}

const align = (n: number): number => (n + 15) & ~15;

/** Same as computeAdm (./adm.ts) on the WebAssembly kernels: identical results. */
export function admWasm(k: VmafKernels, ref: Plane, dis: Plane, opts: AdmOptions = {}): AdmResult {
  const { width: w, height: h } = ref;
  if (dis.width !== w || dis.height !== h) throw new RangeError(`ADM: plane sizes differ (${w}x${h} vs ${dis.width}x${dis.height})`);
  if (dis.bitDepth !== ref.bitDepth) throw new RangeError('ADM: planes have different bit depths');
  if (w < ADM_MIN_SIZE || h < ADM_MIN_SIZE) throw new RangeError(`ADM: plane ${w}x${h} is smaller than ${ADM_MIN_SIZE}x${ADM_MIN_SIZE}`);
  const n = w * h;
  if (ref.data.length < n || dis.data.length < n) throw new RangeError('ADM: plane data shorter than width*height');
  const egl = opts.enhancementGainLimit ?? 100;
  if (!(egl >= 1)) throw new RangeError('ADM: enhancementGainLimit must be >= 1');
  if (ref.data.BYTES_PER_ELEMENT !== dis.data.BYTES_PER_ELEMENT) throw new RangeError('ADM: planes have different sample types');
  const e = k.exports;
  const bps = ref.data.BYTES_PER_ELEMENT;
  // Layout: ref samples, dis samples (64 bytes of slack each: SIMD reads), CSF factors (8 f64),
  // results (24 f64), workspace.
  const planeBytes = align(n * bps + 64);
  const work = e.admWorkBytes(w, h);
  const base = k.arena(2 * planeBytes + 64 + 192 + work);
  const refPtr = base;
  const disPtr = base + planeBytes;
  const rfPtr = disPtr + planeBytes;
  const outPtr = rfPtr + 64;
  const workPtr = outPtr + 192;
  const buf = e.memory.buffer;
  if (bps === 1) {
    new Uint8Array(buf, refPtr, n).set(ref.data.subarray(0, n));
    new Uint8Array(buf, disPtr, n).set(dis.data.subarray(0, n));
  } else {
    new Uint16Array(buf, refPtr, n).set(ref.data.subarray(0, n));
    new Uint16Array(buf, disPtr, n).set(dis.data.subarray(0, n));
  }
  new Float64Array(buf, rfPtr, 8).set(I4_RFACTOR);
  e.adm(refPtr, disPtr, w, h, ref.bitDepth, bps, egl, workPtr, rfPtr, outPtr);
  const acc = new Float64Array(e.memory.buffer, outPtr, 24);
  const scales: [number, number, number, number] = [0, 0, 0, 0];
  let num = 0;
  let den = 0;
  for (let s = 0, iw = w, ih = h; s < 4; s++) {
    const bw = (iw + 1) >> 1;
    const bh = (ih + 1) >> 1;
    const d = denFinish(acc[6 * s]!, acc[6 * s + 1]!, acc[6 * s + 2]!, bw, bh, s);
    const nn = numFinish(acc[6 * s + 3]!, acc[6 * s + 4]!, acc[6 * s + 5]!, bw, bh, s);
    scales[s] = nn / d;
    num += nn;
    den += d;
    iw = bw;
    ih = bh;
  }
  const limit = (1e-10 * (w * h)) / (1920 * 1080);
  if (num < limit) num = 0;
  if (den < limit) den = 0;
  const adm2 = den === 0 ? 1 : num / den;
  return { adm2, scales, num, den };
}
