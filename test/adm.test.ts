/**
 * ADM (computeAdm) against libvmaf 3.2.0's integer_adm on the shared reference clips, plus
 * edge cases (identical, flat, 10-bit, odd and minimum sizes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADM_MIN_SIZE, computeAdm } from '../src/quality/adm.js';
import type { Plane } from '../src/quality/plane.js';
import { hasNativeFfmpeg } from './helpers.js';
import { clipLog, decodeLuma, hasReference, listClips, readFramesCsv, type ClipInfo } from './vmaf-reference.js';

/** The reference comparison needs the shared clips and ffmpeg to decode them. */
const run = hasReference && hasNativeFfmpeg;
if (hasReference && !hasNativeFfmpeg) console.warn('\n*** SKIPPING ADM reference test: no ffmpeg to decode the clips ***\n');

/** Every STEP-th frame of each clip is scored (decoding dominates the run time). */
const STEP = 3;
/** Max abs error reached over all 384 frames: 6.4e-7 (gain limit 100) and 6.6e-7 (gain limit 1); mean 2.5e-7 (the 6-decimal rounding of the logs). */
const TOL = 1e-6;

function plane8(data: Uint8Array, width: number, height: number): Plane {
  return { width, height, data, bitDepth: 8 };
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function texture(w: number, h: number, seed: number): Uint8Array {
  const r = rng(seed);
  const a = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      a[y * w + x] = Math.max(0, Math.min(255, Math.round(128 + 60 * Math.sin(x / 5) * Math.cos(y / 7) + 30 * (r() - 0.5))));
  return a;
}

function blur(src: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++)
          s += src[Math.min(h - 1, Math.max(0, y + dy)) * w + Math.min(w - 1, Math.max(0, x + dx))]!;
      out[y * w + x] = Math.round(s / 9);
    }
  return out;
}

interface ClipData {
  clip: ClipInfo & { pair?: number };
  ref: Uint8Array[];
  dis: Uint8Array[];
}

const clips: ClipData[] = [];
let csvByPairFrame = new Map<string, Record<string, number>>();

beforeAll(() => {
  if (!run) return;
  for (const clip of listClips()) {
    clips.push({ clip, ref: decodeLuma(clip.ref, clip.width, clip.height), dis: decodeLuma(clip.dist, clip.width, clip.height) });
  }
  csvByPairFrame = new Map(readFramesCsv().map((r) => [`${r.pair}/${r.frame}`, r]));
}, 120_000);

describe.skipIf(!run)('computeAdm vs libvmaf 3.2.0 integer_adm (shared reference clips)', () => {
  const FEATURES = ['adm2', 'scale0', 'scale1', 'scale2', 'scale3'] as const;

  function check(egl: number, expected: (c: ClipData, frame: number) => number[] | undefined): void {
    const worst = [0, 0, 0, 0, 0];
    let frames = 0;
    for (const c of clips) {
      const { width: w, height: h } = c.clip;
      for (let f = 0; f < c.ref.length; f += STEP) {
        const exp = expected(c, f);
        expect(exp, `${c.clip.name} frame ${f} has libvmaf values`).toBeDefined();
        const r = computeAdm(plane8(c.ref[f]!, w, h), plane8(c.dis[f]!, w, h), { enhancementGainLimit: egl });
        const got = [r.adm2, ...r.scales];
        for (let k = 0; k < 5; k++) worst[k] = Math.max(worst[k]!, Math.abs(got[k]! - exp![k]!));
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(100);
    for (let k = 0; k < 5; k++) expect(worst[k], `${FEATURES[k]} max abs error`).toBeLessThanOrEqual(TOL);
  }

  it(`adm2 and adm_scale0..3 within ${TOL} of libvmaf on every ${STEP}rd frame (gain limit 100)`, () => {
    check(100, (c, f) => {
      const m = clipLog(c.clip.name)[f]!;
      return [m.integer_adm2!, m.integer_adm_scale0!, m.integer_adm_scale1!, m.integer_adm_scale2!, m.integer_adm_scale3!];
    });
  });

  it(`gain limit 1 (NEG model): within ${TOL} of frames.csv's *_egl_1 columns`, () => {
    check(1, (c, f) => {
      const row = csvByPairFrame.get(`${c.clip.pair}/${f}`);
      if (!row) return undefined;
      return [
        row.integer_adm2_egl_1!,
        row.integer_adm_scale0_egl_1!,
        row.integer_adm_scale1_egl_1!,
        row.integer_adm_scale2_egl_1!,
        row.integer_adm_scale3_egl_1!,
      ];
    });
  });
});

describe('computeAdm edge cases', () => {
  const W = 96;
  const H = 80;
  const ref = texture(W, H, 1);

  it('identical planes score 1 (as libvmaf: within 1e-4, per scale too)', () => {
    for (const egl of [100, 1]) {
      const r = computeAdm(plane8(ref, W, H), plane8(ref.slice(), W, H), { enhancementGainLimit: egl });
      expect(r.adm2).toBeCloseTo(1, 4);
      for (const s of r.scales) expect(s).toBeCloseTo(1, 4);
    }
  });

  it('a blurred distortion scores below 1, more blur scores lower', () => {
    const b1 = blur(ref, W, H);
    const b2 = blur(b1, W, H);
    const a1 = computeAdm(plane8(ref, W, H), plane8(b1, W, H)).adm2;
    const a2 = computeAdm(plane8(ref, W, H), plane8(b2, W, H)).adm2;
    expect(a1).toBeLessThan(0.99);
    expect(a2).toBeLessThan(a1);
    expect(a2).toBeGreaterThan(0);
  });

  it('flat planes give finite scores (no NaN), flat vs flat = 1', () => {
    const flat = new Uint8Array(W * H).fill(77);
    const black = new Uint8Array(W * H);
    const cases = [
      computeAdm(plane8(flat, W, H), plane8(flat, W, H)),
      computeAdm(plane8(black, W, H), plane8(black, W, H)),
      computeAdm(plane8(flat, W, H), plane8(ref, W, H)),
      computeAdm(plane8(ref, W, H), plane8(flat, W, H)),
    ];
    for (const r of cases) {
      expect(Number.isFinite(r.adm2)).toBe(true);
      for (const s of r.scales) expect(Number.isFinite(s)).toBe(true);
    }
    expect(cases[0]!.adm2).toBe(1);
    expect(cases[1]!.adm2).toBe(1);
    expect(cases[3]!.adm2).toBeLessThan(0.5);
  });

  it('10-bit planes holding the 8-bit values x4 score as the 8-bit planes (within 1e-6)', () => {
    const dis = blur(ref, W, H);
    const to10 = (a: Uint8Array): Plane => ({ width: W, height: H, data: Uint16Array.from(a, (v) => v * 4), bitDepth: 10 });
    for (const egl of [100, 1]) {
      const r8 = computeAdm(plane8(ref, W, H), plane8(dis, W, H), { enhancementGainLimit: egl });
      const r10 = computeAdm(to10(ref), to10(dis), { enhancementGainLimit: egl });
      expect(Math.abs(r10.adm2 - r8.adm2)).toBeLessThanOrEqual(1e-6);
      for (let k = 0; k < 4; k++) expect(Math.abs(r10.scales[k]! - r8.scales[k]!)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('odd sizes and the minimum size work; smaller planes are rejected', () => {
    for (const [w, h] of [
      [101, 77],
      [65, 64],
      [64, 64],
      [ADM_MIN_SIZE, ADM_MIN_SIZE],
    ] as const) {
      const a = texture(w, h, w * h);
      const b = blur(a, w, h);
      const same = computeAdm(plane8(a, w, h), plane8(a.slice(), w, h));
      expect(same.adm2).toBeCloseTo(1, 4);
      const r = computeAdm(plane8(a, w, h), plane8(b, w, h));
      expect(Number.isFinite(r.adm2)).toBe(true);
      expect(r.adm2).toBeLessThan(1);
    }
    const tiny = new Uint8Array(32 * 40);
    expect(() => computeAdm(plane8(tiny, 32, 40), plane8(tiny, 32, 40))).toThrow(RangeError);
    expect(() => computeAdm(plane8(ref, W, H), plane8(ref, W, H - 1))).toThrow(RangeError);
  });

  it('reuses its workspace: repeated calls give identical results', () => {
    const dis = blur(ref, W, H);
    const a = computeAdm(plane8(ref, W, H), plane8(dis, W, H));
    computeAdm(plane8(texture(120, 70, 5), 120, 70), plane8(texture(120, 70, 6), 120, 70));
    const b = computeAdm(plane8(ref, W, H), plane8(dis, W, H));
    expect(b).toEqual(a);
  });
});
