import { readFileSync } from 'node:fs';
import type { Plane } from '../plane.js';
import { MOTION_TAPS } from '../motion.js';
import { gaussianWindow, type VifOptions, type VifResult } from '../vif.js';

/**
 * WebAssembly SIMD versions of the builtin VMAF kernels (source: ./assembly/kernels.ts, built by
 * `npm run build:wasm` into ./kernels.wasm, which ships next to the bundle in dist/). They return
 * the same numbers as the TypeScript reference implementations (../vif.ts, ../motion.ts) to within
 * float32 rounding: see test/vmaf-wasm.test.ts for the tolerances.
 *
 * Adding a kernel (e.g. ADM): export it from assembly/kernels.ts, add its signature to
 * `KernelExports`, rebuild, and write a wrapper here that lays its buffers out with
 * `k.arena(bytes)` (and `k.f32`/`k.u8` views) like `vifWasm` does.
 */

// The project's lib settings (ES2022 without DOM) declare no WebAssembly types: the few used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** The raw exports of kernels.wasm (pointers are byte offsets into `memory`). */
export interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  toF32(src: number, dst: number, n: number, bytesPerSample: number, scale: number, offset: number): void;
  vifScale(
    ref: number,
    dis: number,
    w: number,
    h: number,
    coef: number,
    taps: number,
    rows: number,
    rowStride: number,
    offs: number,
    gainLimit: number,
    coef64: number,
  ): number;
  vifScaleExact(
    ref: number,
    dis: number,
    w: number,
    h: number,
    coef64: number,
    taps: number,
    rows: number,
    rowStride: number,
    gainLimit: number,
  ): number;
  vifLastDen(): number;
  vifRefinedCount(): number;
  vifMaxRelErr(): number;
  vifSetMargins(rel: number, abs: number): void;
  decimate64(src: number, w: number, h: number, coef64: number, taps: number, row: number, offs: number, dst: number): void;
  subF32(src: number, dst: number, n: number, offset: number): void;
  motionBlur(src: number, w: number, h: number, coef: number, row: number, dst: number): void;
  sumAbsDiff(a: number, b: number, n: number): number;
  admWorkBytes(w: number, h: number): number;
  adm(ref: number, dis: number, w: number, h: number, bits: number, bps: number, egl: number, work: number, rf: number, out: number): void;
}

/** One instance of the kernels with its linear-memory arena (one per thread, see loadVmafKernels). */
export interface VmafKernels {
  readonly exports: KernelExports;
  /**
   * Start of a scratch region of at least `bytes` bytes (16-aligned), growing memory when needed.
   * The region is shared by every wrapper: its contents last only until the next wrapper call.
   * Growing memory detaches earlier views, so take views (`f32`, `u8`, `u16`) after this.
   */
  arena(bytes: number): number;
  f32(ptr: number, length: number): Float32Array;
  u8(ptr: number, length: number): Uint8Array;
  u16(ptr: number, length: number): Uint16Array;
}

const SLACK = 64;
/** Scales with at most this many pixels run the scalar f64 VIF (cost: well under 1 ms). */
const EXACT_MAX_PIXELS = 16384;
const align = (n: number): number => (n + 15) & ~15;

// Constant region at the heap base: window coefficients (f32).
const VIF_WIDTHS = [17, 9, 5, 3] as const;
/** Byte offset of scale s's window in the constant region. */
const VIF_COEF_OFFSET = [0, 80, 128, 160] as const;
const MOTION_COEF_OFFSET = 192;
/** The same windows in f64 (for the exact threshold decisions). */
const VIF_COEF64_OFFSET = [256, 392, 464, 504] as const;
const CONST_BYTES = 1024;

class Kernels implements VmafKernels {
  readonly exports: KernelExports;
  readonly constBase: number;
  private readonly arenaBase: number;

  constructor(exports: KernelExports) {
    this.exports = exports;
    this.constBase = align(exports.heapBase());
    this.arenaBase = this.constBase + CONST_BYTES;
    this.ensure(this.arenaBase);
    const c = this.f32(this.constBase, CONST_BYTES / 4);
    const c64 = new Float64Array(exports.memory.buffer, this.constBase, CONST_BYTES / 8);
    VIF_WIDTHS.forEach((n, s) => {
      c.set(gaussianWindow(n), VIF_COEF_OFFSET[s] / 4);
      c64.set(gaussianWindow(n), VIF_COEF64_OFFSET[s] / 8);
    });
    c.set(MOTION_TAPS.subarray(0, 3), MOTION_COEF_OFFSET / 4);
  }

  private ensure(end: number): void {
    const mem = this.exports.memory;
    const have = mem.buffer.byteLength;
    if (end > have) mem.grow(Math.ceil((end - have) / 65536));
  }

  arena(bytes: number): number {
    this.ensure(this.arenaBase + bytes);
    return this.arenaBase;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, ptr, length);
  }

  u16(ptr: number, length: number): Uint16Array {
    return new Uint16Array(this.exports.memory.buffer, ptr, length);
  }
}

let cached: Kernels | undefined;
let failure: string | undefined;

/** Path or URL of kernels.wasm: next to this module in src/, next to the bundle in dist/. */
function wasmLocation(): URL {
  return new URL('./kernels.wasm', import.meta.url);
}

/**
 * The WebAssembly SIMD kernels, compiled and instantiated synchronously on first use and cached
 * for this thread; undefined when they cannot be used (no WebAssembly SIMD, file missing) — then
 * `vmafKernelsUnavailableReason()` says why and callers fall back to the TypeScript versions.
 */
export function loadVmafKernels(): VmafKernels | undefined {
  if (cached || failure !== undefined) return cached;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm) throw new Error('WebAssembly is not available');
    const bytes = readFileSync(wasmLocation());
    // Compiling fails (CompileError) where WebAssembly SIMD is not supported.
    const module = new wasm.Module(bytes);
    const instance = new wasm.Instance(module, {});
    cached = new Kernels(instance.exports as unknown as KernelExports);
  } catch (err) {
    failure = `VMAF WebAssembly SIMD kernels unavailable: ${(err as Error).message ?? String(err)}`;
  }
  return cached;
}

/** Why `loadVmafKernels()` returned undefined (undefined when it has not failed). */
export function vmafKernelsUnavailableReason(): string | undefined {
  return failure;
}

function sampleBytes(p: Plane): number {
  return p.data.BYTES_PER_ELEMENT;
}

/** Copy a plane's samples into memory at `ptr` (u8 or u16 as stored). */
function copyIn(k: VmafKernels, p: Plane, ptr: number): void {
  const n = p.width * p.height;
  if (p.data.length < n) throw new RangeError(`plane data holds ${p.data.length} samples, need ${n}`);
  if (p.data instanceof Uint8Array) k.u8(ptr, n).set(p.data.subarray(0, n));
  else k.u16(ptr, n).set(p.data.subarray(0, n));
}

/** Same as computeVif (../vif.ts) on the WebAssembly kernels. */
export function vifWasm(k: VmafKernels, ref: Plane, dis: Plane, opts: VifOptions = {}): VifResult {
  const { width, height } = ref;
  if (dis.width !== width || dis.height !== height) throw new RangeError('reference and distorted sizes differ');
  const gainLimit = opts.enhancementGainLimit ?? 100;
  const kk = k as Kernels;
  const e = k.exports;
  // Layout: staging (input samples), scratch offsets, 5 row buffers, then per scale the planes
  // as the reference holds them (decimation input/output) and offset by -128 (for vifScale: the
  // statistics are offset-invariant, and f32 second moments are more precise near 0).
  const n = width * height;
  const stagingBytes = align(n * 2 + SLACK);
  const offsBytes = 128;
  // Five row buffers of rowStride elements: floats for vifScale, doubles for vifScaleExact (the
  // first one also serves decimate64).
  const rowStride = align(width + 2 * 8 + 32);
  const rowsBytes = 5 * rowStride * 8;
  const dims: Array<[number, number]> = [];
  let planeBytes = 0;
  for (let s = 0, w = width, h = height; s < 4; s++, w >>= 1, h >>= 1) {
    dims.push([w, h]);
    planeBytes += 4 * align(w * h * 4 + SLACK);
  }
  const base = k.arena(stagingBytes + offsBytes + rowsBytes + planeBytes);
  const staging = base;
  const offs = staging + stagingBytes;
  const rows = offs + offsBytes;
  const refRaw: number[] = [];
  const disRaw: number[] = [];
  const refOff: number[] = [];
  const disOff: number[] = [];
  let p = rows + rowsBytes;
  for (const [w, h] of dims) {
    const bytes = align(w * h * 4 + SLACK);
    refRaw.push(p);
    disRaw.push(p + bytes);
    refOff.push(p + 2 * bytes);
    disOff.push(p + 3 * bytes);
    p += 4 * bytes;
  }
  for (const [plane, raw, off] of [
    [ref, refRaw[0]!, refOff[0]!],
    [dis, disRaw[0]!, disOff[0]!],
  ] as const) {
    copyIn(k, plane, staging);
    const scale = plane.bitDepth === 8 ? 1 : 0.25;
    e.toF32(staging, raw, n, sampleBytes(plane), scale, 0);
    e.toF32(staging, off, n, sampleBytes(plane), scale, 128);
  }
  const scales: number[] = [];
  for (let s = 0; s < 4; s++) {
    const taps = VIF_WIDTHS[s];
    const coef = kk.constBase + VIF_COEF_OFFSET[s];
    const coef64 = kk.constBase + VIF_COEF64_OFFSET[s];
    const [w, h] = dims[s]!;
    if (s > 0) {
      const [pw, ph] = dims[s - 1]!;
      e.decimate64(refRaw[s - 1]!, pw, ph, coef64, taps, rows, offs, refRaw[s]!);
      e.decimate64(disRaw[s - 1]!, pw, ph, coef64, taps, rows, offs, disRaw[s]!);
      e.subF32(refRaw[s]!, refOff[s]!, w * h, 128);
      e.subF32(disRaw[s]!, disOff[s]!, w * h, 128);
    }
    // Small scales (a few thousand pixels) in f64 scalar: too few pixels to average f32 rounding.
    const num =
      w * h <= EXACT_MAX_PIXELS
        ? e.vifScaleExact(refOff[s]!, disOff[s]!, w, h, coef64, taps, rows, rowStride, gainLimit)
        : e.vifScale(refOff[s]!, disOff[s]!, w, h, coef, taps, rows, rowStride, offs, gainLimit, coef64);
    const den = e.vifLastDen();
    scales.push(den > 0 ? num / den : 1);
  }
  return { scales: scales as VifResult['scales'] };
}

/** Same as blurForMotion (../motion.ts) on the WebAssembly kernels (a fresh array unless `out` fits). */
export function motionBlurWasm(k: VmafKernels, p: Plane, out?: Float32Array): Float32Array {
  const { width: w, height: h } = p;
  const n = w * h;
  const kk = k as Kernels;
  const stagingBytes = align(n * 2 + SLACK);
  const planeBytes = align(n * 4 + SLACK);
  const rowBytes = align((w + 32) * 4);
  const base = k.arena(stagingBytes + 2 * planeBytes + rowBytes);
  const src = base + stagingBytes;
  const dst = src + planeBytes;
  const row = dst + planeBytes;
  copyIn(k, p, base);
  k.exports.toF32(base, src, n, sampleBytes(p), p.bitDepth === 8 ? 1 : 0.25, 0);
  k.exports.motionBlur(src, w, h, kk.constBase + MOTION_COEF_OFFSET, row, dst);
  const res = out && out.length === n ? out : new Float32Array(n);
  res.set(k.f32(dst, n));
  return res;
}

/** Same as motionSad (../motion.ts): mean |a - b| of two blurred frames. */
export function motionSadWasm(k: VmafKernels, a: Float32Array, b: Float32Array): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError('blurred frames differ in size');
  const bytes = align(n * 4 + SLACK);
  const base = k.arena(2 * bytes);
  k.f32(base, n).set(a);
  k.f32(base + bytes, n).set(b);
  return k.exports.sumAbsDiff(base, base + bytes, n) / n;
}
