import { describe, expect, it } from 'vitest';
import { computeFrameFeatures, MC_BLOCK, motionCompensatedResidual, type FrameState } from '../src/analysis/features.js';
import { referenceFrameFeatures, type ReferenceFrame } from './features-reference.js';

const W = 64;
const H = 48;

/** Deterministic pseudo-random generator so "noise" is reproducible. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function image(fn: (x: number, y: number) => number): Uint8Array {
  const a = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) a[y * W + x] = Math.max(0, Math.min(255, Math.round(fn(x, y))));
  return a;
}

describe('computeFrameFeatures', () => {
  it('a flat grey frame has its level as mean, zero variance, SI, edges and noise', () => {
    const { features } = computeFrameFeatures(0, image(() => 100), W, H, 8, undefined);
    expect(features.mean).toBe(100);
    expect(features.variance).toBe(0);
    expect(features.si).toBe(0);
    expect(features.edgeDensity).toBe(0);
    expect(features.noise).toBe(0);
    expect(features.ti).toBe(0);
  });

  it('a repeated frame has zero TI and motion; a shifted one does not', () => {
    const img = image((x, y) => 128 + 60 * Math.sin(x / 3) * Math.cos(y / 4));
    const first = computeFrameFeatures(0, img, W, H, 8, undefined);
    const same = computeFrameFeatures(1, img.slice(), W, H, 8, first.state);
    expect(same.features.ti).toBe(0);
    expect(same.features.motion).toBe(0);
    expect(same.features.blockDiff).toBe(0);
    const shifted = computeFrameFeatures(2, image((x, y) => 128 + 60 * Math.sin((x + 4) / 3) * Math.cos(y / 4)), W, H, 8, same.state);
    expect(shifted.features.ti).toBeGreaterThan(10);
    expect(shifted.features.motion).toBeGreaterThan(5);
  });

  it('TI is the standard deviation of the frame difference (P.910)', () => {
    const r = rng(1);
    const a = image(() => 50 + 100 * r());
    const b = image(() => 50 + 100 * r());
    const prev = computeFrameFeatures(0, a, W, H, 8, undefined);
    const cur = computeFrameFeatures(1, b, W, H, 8, prev.state);
    const d = Array.from(b, (v, i) => v - a[i]!);
    const m = d.reduce((s, v) => s + v, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / d.length);
    expect(cur.features.ti).toBeCloseTo(sd, 6);
  });

  it('a vertical step edge gives the Sobel magnitude SI and edge density expects', () => {
    const { features } = computeFrameFeatures(0, image((x) => (x < W / 2 ? 0 : 200)), W, H, 8, undefined);
    // Two interior columns see the step with |gx| = 4·200; everything else is 0.
    const inner = (W - 2) * (H - 2);
    const edgePixels = 2 * (H - 2);
    expect(features.edgeDensity).toBeCloseTo(edgePixels / inner, 6);
    const meanMag = (edgePixels * 800) / inner;
    const sd = Math.sqrt((edgePixels * 800 ** 2) / inner - meanMag ** 2);
    expect(features.si).toBeCloseTo(sd, 6);
  });

  it('noise raises the grain estimate roughly to the noise sigma, texture alone does not', () => {
    const r = rng(7);
    const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const clean = computeFrameFeatures(0, image((x, y) => 100 + 20 * Math.sin(x / 6 + y / 9)), W, H, 8, undefined);
    const noisy = computeFrameFeatures(0, image((x, y) => 100 + 20 * Math.sin(x / 6 + y / 9) + 5 * gauss()), W, H, 8, undefined);
    expect(clean.features.noise).toBeLessThan(1);
    expect(noisy.features.noise).toBeGreaterThan(3.5);
    expect(noisy.features.noise).toBeLessThan(6.5);
    expect(noisy.features.si).toBeGreaterThan(clean.features.si);
  });

  it('10-bit samples give the same features as 8-bit ones ×4', () => {
    const img8 = image((x, y) => 30 + ((x * 7 + y * 13) % 180));
    const img10 = Uint16Array.from(img8, (v) => v * 4);
    const a = computeFrameFeatures(0, img8, W, H, 8, undefined).features;
    const b = computeFrameFeatures(0, img10, W, H, 10, undefined).features;
    for (const k of ['mean', 'variance', 'si', 'edgeDensity', 'noise'] as const) expect(b[k]).toBeCloseTo(a[k], 6);
  });

  it('rejects a luma plane smaller than width × height', () => {
    expect(() => computeFrameFeatures(0, new Uint8Array(10), W, H, 8, undefined)).toThrow(RangeError);
  });

  it('a cut to different content gives large block and histogram differences', () => {
    const a = computeFrameFeatures(0, image((x) => 40 + x), W, H, 8, undefined);
    const b = computeFrameFeatures(1, image((_, y) => 220 - 2 * y), W, H, 8, a.state as FrameState);
    expect(b.features.blockDiff).toBeGreaterThan(0.3);
    expect(b.features.histDiff).toBeGreaterThan(0.9);
  });
});

describe('motionCompensatedResidual', () => {
  // A textured image (smoothed-image scale: values are sums of 4 samples) and a copy panned by (dx, dy).
  const W = 96;
  const H = 64;
  const texture = (x: number, y: number) => Math.round(4 * (128 + 60 * Math.sin(x * 0.37 + y * 0.11) + 40 * Math.cos(y * 0.29 - x * 0.07 * Math.sin(y * 0.05))));
  const image = (dx: number, dy: number) => {
    const a = new Uint32Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) a[y * W + x] = texture(x + dx, y + dy);
    return a;
  };

  it('a pan the search can follow leaves almost no residual, while the plain difference is large', () => {
    const ref = image(0, 0);
    const cur = image(3, -2);
    let plain = 0;
    for (let i = 0; i < ref.length; i++) plain += Math.abs(cur[i]! - ref[i]!);
    plain /= ref.length;
    const { residual, mvs } = motionCompensatedResidual(cur, ref, W, H);
    expect(plain).toBeGreaterThan(50);
    expect(residual).toBeLessThan(plain / 20);
    // Interior blocks found the true displacement (content at x+3 is at x in the reference's x+3).
    const bw = Math.floor(W / MC_BLOCK);
    const b = 2 * (2 * bw + 3);
    expect([mvs[b], mvs[b + 1]]).toEqual([3, -2]);
  });

  it('a still frame has zero residual; new content (no match anywhere) keeps a large one', () => {
    const ref = image(0, 0);
    expect(motionCompensatedResidual(ref, ref, W, H).residual).toBe(0);
    const other = new Uint32Array(W * H);
    for (let i = 0; i < other.length; i++) other[i] = (i * 7919) % 1021;
    expect(motionCompensatedResidual(other, ref, W, H).residual).toBeGreaterThan(100);
  });
});

describe('computeFrameFeatures against a plain reference implementation', () => {
  // Panning, noisy texture with a cut in the middle: the motion search walks, uses the previous
  // frame's vectors, pads at the borders and meets content it cannot match.
  const clip = (w: number, h: number, bitDepth: 8 | 10, seed: number) => {
    const r = rng(seed);
    const max = bitDepth === 10 ? 1023 : 255;
    const frames: Array<Uint8Array | Uint16Array> = [];
    for (let f = 0; f < 6; f++) {
      const a = bitDepth === 10 ? new Uint16Array(w * h) : new Uint8Array(w * h);
      const [px, py] = f < 3 ? [3 * f, -2 * f] : [-5 * f, f];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const u = x + px;
          const v = y + py;
          const base = f < 3 ? 0.5 + 0.3 * Math.sin(u * 0.31 + v * 0.13) + 0.15 * Math.cos(v * 0.41 - u * 0.05) : 0.4 + 0.35 * Math.sin(u * 0.05) * Math.cos(v * 0.7);
          a[y * w + x] = Math.max(0, Math.min(max, Math.round((base + 0.04 * (r() - 0.5)) * max)));
        }
      }
      frames.push(a);
    }
    return frames;
  };

  for (const [w, h, bitDepth] of [
    [96, 64, 8],
    [67, 45, 8],
    [70, 51, 10],
  ] as const) {
    it(`gives exactly the reference's numbers (${w}×${h}, ${bitDepth}-bit, 6 frames)`, () => {
      let prev: FrameState | undefined;
      let prevRef: ReferenceFrame | undefined;
      clip(w, h, bitDepth, w + h).forEach((luma, i) => {
        const got = computeFrameFeatures(i, luma, w, h, bitDepth, prev);
        const want = referenceFrameFeatures(i, luma, w, h, bitDepth, prevRef);
        expect(got.features).toEqual(want.features);
        expect(Array.from(got.state.mvs ?? [])).toEqual(want.frame.mvs ?? []);
        prev = got.state;
        prevRef = want.frame;
      });
      // The pans moved the vectors away from zero: the search was exercised.
      expect(prev!.mvs!.some((v) => v !== 0)).toBe(true);
    });
  }
});
