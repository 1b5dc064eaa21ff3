// ADM on the WebAssembly kernels (./wasm/assembly/kernels.ts `adm`): the integer pipeline of
// ./adm.ts (DWT, decoupling, CSF, masking, pooled accumulators) runs in WebAssembly with native
// 64-bit integers; the float32 finishing is computeAdm's own (admDenominator / admNumerator), so
// the results are identical to computeAdm's (test/adm-wasm.test.ts).
import { admDenominator, admNumerator, admResult, checkAdmInputs, I4_RFACTOR, type AdmOptions, type AdmResult } from './adm.js';
import type { Plane } from './plane.js';
import type { VmafKernels } from './wasm/index.js';

/** rfactor · 2^32 truncated, [scale][h/v, d] flattened (scale 0's entries are unused). */
const I4_RFACTOR_FLAT = Float64Array.from(I4_RFACTOR.flat());

const align = (n: number): number => (n + 15) & ~15;

/** Same as computeAdm (./adm.ts) on the WebAssembly kernels: identical results. */
export function admWasm(k: VmafKernels, ref: Plane, dis: Plane, opts: AdmOptions = {}): AdmResult {
  const { width: w, height: h } = ref;
  const egl = checkAdmInputs(ref, dis, opts);
  const n = w * h;
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
  new Float64Array(buf, rfPtr, 8).set(I4_RFACTOR_FLAT);
  e.adm(refPtr, disPtr, w, h, ref.bitDepth, bps, egl, workPtr, rfPtr, outPtr);
  const acc = new Float64Array(e.memory.buffer, outPtr, 24);
  const scales: [number, number, number, number] = [0, 0, 0, 0];
  let num = 0;
  let den = 0;
  for (let s = 0, iw = w, ih = h; s < 4; s++) {
    const bw = (iw + 1) >> 1;
    const bh = (ih + 1) >> 1;
    const d = admDenominator(acc[6 * s]!, acc[6 * s + 1]!, acc[6 * s + 2]!, bw, bh, s);
    const nn = admNumerator(acc[6 * s + 3]!, acc[6 * s + 4]!, acc[6 * s + 5]!, bw, bh, s);
    scales[s] = nn / d;
    num += nn;
    den += d;
    iw = bw;
    ih = bh;
  }
  return admResult(num, den, scales, w, h);
}
