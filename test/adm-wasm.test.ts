/**
 * admWasm (the WebAssembly port of ADM) against computeAdm (../src/quality/adm.ts): the integer
 * pipeline is the same arithmetic, so numerators, denominators and per-scale ratios must be
 * bit-identical, on the shared reference clips (gain limits 100 and 1) and on synthetic planes
 * (odd and minimum sizes, 10-bit, a non-integer gain limit, identical and flat planes).
 */
import { describe, expect, it } from 'vitest';
import { ADM_MIN_SIZE, computeAdm, type AdmResult } from '../src/quality/adm.js';
import { admWasm } from '../src/quality/adm-wasm.js';
import type { Plane } from '../src/quality/plane.js';
import { loadVmafKernels, vmafKernelsUnavailableReason, type VmafKernels } from '../src/quality/wasm/index.js';
import { hasNativeFfmpeg } from './helpers.js';
import { decodeLuma, hasReference, listClips } from './vmaf-reference.js';

const kernels = loadVmafKernels();
if (!kernels) console.warn(`\n*** ${vmafKernelsUnavailableReason()} ***\n`);
const runRef = hasReference && hasNativeFfmpeg;
if (!hasReference) console.warn('\n*** SKIPPING admWasm reference-clip test: shared vmaf-reference clips missing ***\n');
else if (!hasNativeFfmpeg) console.warn('\n*** SKIPPING admWasm reference-clip test: no ffmpeg to decode the clips ***\n');

function k(): VmafKernels {
  if (!kernels) throw new Error(vmafKernelsUnavailableReason());
  return kernels;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** Textured pair: smooth pattern + edges + noise, distorted by noise and a local blur/sharpen. */
function pair(w: number, h: number, bitDepth: 8 | 10, seed: number): [Plane, Plane] {
  const r = rng(seed);
  const max = bitDepth === 8 ? 255 : 1023;
  const n = w * h;
  const a = bitDepth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  const b = bitDepth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = 0.5 + 0.3 * Math.sin(x / 5) * Math.cos(y / 7) + (((x >> 4) + (y >> 4)) & 1 ? 0.1 : -0.1) + 0.08 * (r() - 0.5);
      a[y * w + x] = Math.max(0, Math.min(max, Math.round(v * max)));
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const c = a[y * w + x]!;
      const nb = a[y * w + Math.min(w - 1, x + 1)]!;
      // left half smoothed (detail loss), right half sharpened (enhancement), noise everywhere
      const d = x < w / 2 ? (c + nb) / 2 : c + 0.5 * (c - nb);
      b[y * w + x] = Math.max(0, Math.min(max, Math.round(d + (r() - 0.5) * 0.05 * max)));
    }
  return [
    { width: w, height: h, data: a, bitDepth },
    { width: w, height: h, data: b, bitDepth },
  ];
}

function expectSame(got: AdmResult, exp: AdmResult, label: string): void {
  expect(got.num, `${label} num`).toBe(exp.num);
  expect(got.den, `${label} den`).toBe(exp.den);
  expect(got.adm2, `${label} adm2`).toBe(exp.adm2);
  expect(got.scales, `${label} scales`).toEqual(exp.scales);
}

function check(ref: Plane, dis: Plane, egl: number, label: string): void {
  expectSame(admWasm(k(), ref, dis, { enhancementGainLimit: egl }), computeAdm(ref, dis, { enhancementGainLimit: egl }), `${label} egl ${egl}`);
}

describe.skipIf(!kernels)('admWasm = computeAdm (synthetic planes)', () => {
  it('odd, even and minimum sizes, 8- and 10-bit, gain limits 100, 1 and 1.5', () => {
    const sizes: Array<[number, number]> = [
      [ADM_MIN_SIZE, ADM_MIN_SIZE],
      [34, 35],
      [101, 77],
      [333, 201],
      [320, 180],
    ];
    for (const [w, h] of sizes)
      for (const bits of [8, 10] as const) {
        const [ref, dis] = pair(w, h, bits, w * 31 + h);
        for (const egl of [100, 1, 1.5]) check(ref, dis, egl, `${w}x${h} ${bits}-bit`);
      }
  });

  it('identical, flat and inverted planes', () => {
    const [ref] = pair(101, 77, 8, 5);
    check(ref, { ...ref, data: ref.data.slice() }, 100, 'identical');
    const flat: Plane = { width: 101, height: 77, data: new Uint8Array(101 * 77).fill(128), bitDepth: 8 };
    check(flat, flat, 100, 'flat');
    check(ref, flat, 100, 'flat distorted');
    check(flat, ref, 1, 'flat reference');
    const inv: Plane = { ...ref, data: ref.data.map((v) => 255 - v) };
    check(ref, inv, 100, 'inverted');
    const extreme: Plane = { ...ref, data: ref.data.map((v) => (v & 16 ? 255 : 0)) };
    check(ref, extreme, 100, 'extreme');
    check(extreme, ref, 100, 'extreme reference');
  });

  it('10-bit planes holding 8-bit values x4 score as the 8-bit planes', () => {
    const [ref, dis] = pair(133, 97, 8, 9);
    const up = (p: Plane): Plane => ({ ...p, data: Uint16Array.from(p.data, (v) => v * 4), bitDepth: 10 });
    const a = admWasm(k(), ref, dis);
    expectSame(admWasm(k(), up(ref), up(dis)), a, '10-bit x4');
    expectSame(a, computeAdm(ref, dis), '8-bit');
  });

  it('rejects mismatched or too small planes like computeAdm', () => {
    const [ref, dis] = pair(40, 40, 8, 3);
    expect(() => admWasm(k(), ref, { ...dis, width: 39 })).toThrow(RangeError);
    const small: Plane = { width: 32, height: 40, data: new Uint8Array(32 * 40), bitDepth: 8 };
    expect(() => admWasm(k(), small, small)).toThrow(RangeError);
    expect(() => admWasm(k(), ref, dis, { enhancementGainLimit: 0.5 })).toThrow(RangeError);
  });
});

describe.skipIf(!kernels || !runRef)('admWasm = computeAdm (shared reference clips)', () => {
  it('bit-identical num, den and scales on sampled frames of every clip, gain limits 100 and 1', () => {
    let frames = 0;
    for (const clip of listClips()) {
      const { width: w, height: h } = clip;
      const ref = decodeLuma(clip.ref, w, h);
      const dis = decodeLuma(clip.dist, w, h);
      const n = Math.min(ref.length, dis.length);
      const step = Math.max(1, Math.floor(n / 4));
      for (let f = 0; f < n; f += step) {
        const r: Plane = { width: w, height: h, data: ref[f]!, bitDepth: 8 };
        const d: Plane = { width: w, height: h, data: dis[f]!, bitDepth: 8 };
        check(r, d, 100, `${clip.name} frame ${f}`);
        check(r, d, 1, `${clip.name} frame ${f}`);
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(10);
  }, 60_000);
});
