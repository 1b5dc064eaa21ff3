import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blurForMotion, motionSad } from '../src/quality/motion.js';
import type { Plane } from '../src/quality/plane.js';
import { computeVif } from '../src/quality/vif.js';
import {
  loadVmafKernels,
  motionBlurWasm,
  motionSadWasm,
  vifWasm,
  vmafKernelsUnavailableReason,
  type VmafKernels,
} from '../src/quality/wasm/index.js';
import { decodeLuma, hasReference, listClips } from './vmaf-reference.js';

// Tolerances of the WebAssembly SIMD kernels against the float64 TypeScript references.
// VIF: f32x4 filtering (pixels offset by -128), f32 statistic with exact f64 decisions at the
// σn² threshold, f64 decimation; measured ≤ 3e-6 on every 4th frame of the reference clips.
const VIF_TOL = 1e-5;
// Motion: the blurred frame is computed in f32 (the reference sums in f64, then rounds to f32):
// a few ulp of values up to 255. SAD (mean |a-b|): measured ≤ 3e-7.
const BLUR_TOL = 1e-4;
const SAD_TOL = 2e-6;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const kernels = loadVmafKernels();
if (!kernels) console.warn(`\n*** ${vmafKernelsUnavailableReason()} ***\n`);

function k(): VmafKernels {
  if (!kernels) throw new Error(vmafKernelsUnavailableReason());
  return kernels;
}

/** Textured synthetic frame pair (smooth gradients, edges and noise) and a distorted copy. */
function syntheticPair(width: number, height: number, bitDepth: 8 | 10, seed = 1): [Plane, Plane] {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const max = bitDepth === 8 ? 255 : 1023;
  const n = width * height;
  const ref = bitDepth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  const dis = bitDepth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 0.5 + 0.3 * Math.sin(x * 0.05) * Math.cos(y * 0.07) + (x > width / 2 ? 0.15 : 0) + 0.05 * (rand() - 0.5);
      const r = Math.round(Math.min(1, Math.max(0, v)) * max);
      ref[y * width + x] = r;
      // Distortion: blur-ish smoothing of the noise plus a little added noise.
      const d = r + Math.round((rand() - 0.5) * 0.04 * max);
      dis[y * width + x] = Math.min(max, Math.max(0, d));
    }
  }
  return [
    { width, height, data: ref, bitDepth },
    { width, height, data: dis, bitDepth },
  ];
}

function maxVifDiff(ref: Plane, dis: Plane, gain: number): number {
  const a = computeVif(ref, dis, { enhancementGainLimit: gain }).scales;
  const b = vifWasm(k(), ref, dis, { enhancementGainLimit: gain }).scales;
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}

function checkMotion(frames: Plane[]): { blur: number; sad: number } {
  let blur = 0;
  let sad = 0;
  let prevT: Float32Array | undefined;
  let prevW: Float32Array | undefined;
  for (const f of frames) {
    const t = blurForMotion(f);
    const w = motionBlurWasm(k(), f);
    for (let i = 0; i < t.length; i++) blur = Math.max(blur, Math.abs(t[i]! - w[i]!));
    if (prevT && prevW) sad = Math.max(sad, Math.abs(motionSad(prevT, t) - motionSadWasm(k(), prevW, w)));
    prevT = t;
    prevW = w;
  }
  return { blur, sad };
}

describe.skipIf(!kernels)('VMAF WebAssembly kernels', () => {
  it('loads once per thread', () => {
    expect(loadVmafKernels()).toBe(kernels);
    expect(vmafKernelsUnavailableReason()).toBeUndefined();
  });

  it('committed kernels.wasm is up to date with its AssemblyScript source', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scenecrf-wasm-'));
    try {
      const out = path.join(dir, 'kernels.wasm');
      const asc = path.join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
      execFileSync(
        process.execPath,
        [asc, 'src/quality/wasm/assembly/kernels.ts', '--config', 'src/quality/wasm/asconfig.json', '-o', out],
        { cwd: root, stdio: 'pipe' },
      );
      const built = readFileSync(out);
      const committed = readFileSync(path.join(root, 'src', 'quality', 'wasm', 'kernels.wasm'));
      expect(built.equals(committed), 'run `npm run build:wasm` and commit src/quality/wasm/kernels.wasm').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('VIF and motion match the TypeScript versions on odd sizes, 8-bit', () => {
    for (const [w, h] of [
      [333, 201],
      [64, 48],
      [97, 131],
    ] as const) {
      const [ref, dis] = syntheticPair(w, h, 8, w);
      expect(maxVifDiff(ref, dis, 100), `${w}x${h}`).toBeLessThan(VIF_TOL);
      expect(maxVifDiff(ref, dis, 1), `${w}x${h} NEG`).toBeLessThan(VIF_TOL);
      expect(maxVifDiff(ref, ref, 100), `${w}x${h} identical`).toBeLessThan(VIF_TOL);
      const m = checkMotion([ref, dis, syntheticPair(w, h, 8, w + 7)[0]]);
      expect(m.blur).toBeLessThan(BLUR_TOL);
      expect(m.sad).toBeLessThan(SAD_TOL);
    }
  });

  it('VIF and motion match the TypeScript versions on 10-bit planes', () => {
    const [ref, dis] = syntheticPair(333, 201, 10, 3);
    expect(maxVifDiff(ref, dis, 100)).toBeLessThan(VIF_TOL);
    expect(maxVifDiff(ref, dis, 1)).toBeLessThan(VIF_TOL);
    const m = checkMotion([ref, dis]);
    expect(m.blur).toBeLessThan(BLUR_TOL);
    expect(m.sad).toBeLessThan(SAD_TOL);
  });

  describe.skipIf(!hasReference)('on the libvmaf reference clips', () => {
    const clips = hasReference ? listClips() : [];
    const picked = ['city_720_aom_crf28', 'mandelbrot_360_aom_crf50', 'grain_360_x264_crf41']
      .map((name) => clips.find((c) => c.name === name))
      .filter((c) => c !== undefined);
    if (hasReference && picked.length < 3) picked.push(...clips.slice(0, 3 - picked.length));

    it.each(picked.map((c) => [c.name, c] as const))('%s: VIF and motion within tolerance', (_name, clip) => {
      const refs = decodeLuma(clip.ref, clip.width, clip.height);
      const diss = decodeLuma(clip.dist, clip.width, clip.height);
      const plane = (data: Uint8Array): Plane => ({ width: clip.width, height: clip.height, data, bitDepth: 8 });
      const frames = [0, 1, 17, 33].filter((f) => f < refs.length && f < diss.length);
      let worst = 0;
      for (const f of frames) {
        worst = Math.max(worst, maxVifDiff(plane(refs[f]!), plane(diss[f]!), 100), maxVifDiff(plane(refs[f]!), plane(diss[f]!), 1));
      }
      expect(worst).toBeLessThan(VIF_TOL);
      const m = checkMotion(frames.map((f) => plane(refs[f]!)));
      expect(m.blur).toBeLessThan(BLUR_TOL);
      expect(m.sad).toBeLessThan(SAD_TOL);
    });
  });
});
