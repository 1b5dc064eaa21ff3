import { describe, expect, it } from 'vitest';
import { detectShots, type DetectorOptions } from '../src/analysis/detect.js';
import { computeFrameFeatures, type FrameFeatures, type FrameSignature, type FrameState } from '../src/analysis/features.js';
import { buildScenes } from '../src/analysis/scenes.js';

const W = 160;
const H = 96;
const FPS = 24;

/** A textured "scene": a different pattern per seed, panned by dx pixels. */
function scene(seed: number, dx = 0, gain = 1, offset = 0): Uint8Array {
  const a = new Uint8Array(W * H);
  const fx = 3 + (seed % 5);
  const fy = 4 + ((seed * 3) % 7);
  const base = 60 + ((seed * 37) % 120);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const v = base + 50 * Math.sin((x + dx) / fx + seed) * Math.cos(y / fy - seed) + 20 * Math.sin((x + dx + y) / (fx + 7));
      a[y * W + x] = Math.max(0, Math.min(255, Math.round(v * gain + offset)));
    }
  return a;
}

function mix(a: Uint8Array, b: Uint8Array, t: number): Uint8Array {
  return Uint8Array.from(a, (v, i) => Math.round(v * (1 - t) + b[i]! * t));
}

/** Slow drift so shots are not perfectly still (real video never is). */
function shot(seed: number, n: number, speed = 0.3): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => scene(seed, i * speed));
}

function run(frames: Uint8Array[], opts: DetectorOptions = {}) {
  const feats: FrameFeatures[] = [];
  const sigs: FrameSignature[] = [];
  let prev: FrameState | undefined;
  frames.forEach((f, i) => {
    const r = computeFrameFeatures(i, f, W, H, 8, prev);
    feats.push(r.features);
    sigs.push(r.state.signature);
    prev = r.state;
  });
  return { boundaries: detectShots(sigs, feats, FPS, opts), feats };
}

describe('detectShots on synthetic sequences', () => {
  it('finds hard cuts at the first frame of each new shot', () => {
    const { boundaries } = run([...shot(1, 40), ...shot(2, 40), ...shot(3, 40)]);
    expect(boundaries.map((b) => [b.frame, b.kind])).toEqual([
      [40, 'cut'],
      [80, 'cut'],
    ]);
  });

  it('does not cut on a two-frame white flash inside a shot', () => {
    const frames = shot(4, 80);
    frames[40] = new Uint8Array(W * H).fill(255);
    frames[41] = mix(frames[41]!, new Uint8Array(W * H).fill(255), 0.6);
    expect(run(frames).boundaries).toEqual([]);
  });

  it('does not cut during a fast pan', () => {
    const frames = [...shot(5, 30), ...Array.from({ length: 30 }, (_, i) => scene(5, 9 + i * 14)), ...shot(5, 30).map((_, i) => scene(5, 430 + i * 0.3))];
    expect(run(frames).boundaries).toEqual([]);
  });

  it('reports a fade through black as one fade boundary inside the transition', () => {
    const a = shot(6, 40);
    const b = shot(7, 40);
    const black = new Uint8Array(W * H);
    const out = Array.from({ length: 12 }, (_, i) => mix(a[39]!, black, (i + 1) / 12));
    const hold = Array.from({ length: 4 }, () => black);
    const inn = Array.from({ length: 12 }, (_, i) => mix(black, b[0]!, (i + 1) / 12));
    const { boundaries } = run([...a, ...out, ...hold, ...inn, ...b]);
    expect(boundaries).toHaveLength(1);
    expect(boundaries[0]!.kind).toBe('fade');
    expect(boundaries[0]!.frame).toBeGreaterThanOrEqual(40);
    expect(boundaries[0]!.frame).toBeLessThanOrEqual(40 + 28);
  });

  it('reports a cross-dissolve as one dissolve boundary inside it', () => {
    const a = shot(8, 40);
    const b = shot(9, 56);
    const dissolve = Array.from({ length: 16 }, (_, i) => mix(scene(8, (40 + i) * 0.3), scene(9, i * 0.3), (i + 1) / 17));
    const { boundaries } = run([...a, ...dissolve, ...b]);
    expect(boundaries).toHaveLength(1);
    expect(boundaries[0]!.kind).toBe('dissolve');
    expect(boundaries[0]!.frame).toBeGreaterThanOrEqual(39);
    expect(boundaries[0]!.frame).toBeLessThanOrEqual(57);
  });

  it('treats a changed slide in perfectly still content as a cut', () => {
    const a = scene(10);
    const b = a.slice();
    for (let y = 40; y < 48; y++) for (let x = 60; x < 80; x++) b[y * W + x] = 255 - b[y * W + x]!;
    const frames = [...Array.from({ length: 40 }, () => a), ...Array.from({ length: 40 }, () => b)];
    expect(run(frames).boundaries.map((x) => x.frame)).toEqual([40]);
  });
});

describe('buildScenes', () => {
  const still = Array.from({ length: 300 }, (_, i) => ({ motion: i === 150 ? 0 : 1 + (i % 7) }));
  const cut = (frame: number, strength = 10) => ({ frame, kind: 'cut' as const, transitionStart: frame, transitionEnd: frame, strength });

  it('covers every frame exactly once, in order', () => {
    const scenes = buildScenes([cut(50), cut(120)], still, 300, { minSceneLength: 24 });
    expect(scenes.map((s) => [s.startFrame, s.endFrame, s.startKind])).toEqual([
      [0, 50, 'start'],
      [50, 120, 'cut'],
      [120, 300, 'cut'],
    ]);
  });

  it('merges a too-short scene by dropping its weaker boundary', () => {
    const scenes = buildScenes([cut(50, 30), cut(60, 5), cut(200, 30)], still, 300, { minSceneLength: 24 });
    expect(scenes.map((s) => s.startFrame)).toEqual([0, 50, 200]);
  });

  it('splits long scenes at the quietest frame near the even split point', () => {
    const scenes = buildScenes([], still, 300, { minSceneLength: 24, maxSceneLength: 200 });
    expect(scenes.map((s) => [s.startFrame, s.endFrame, s.startKind])).toEqual([
      [0, 150, 'start'],
      [150, 300, 'split'],
    ]);
    for (const s of buildScenes([], still, 300, { minSceneLength: 10, maxSceneLength: 40 })) {
      expect(s.endFrame - s.startFrame).toBeLessThanOrEqual(40);
      expect(s.endFrame - s.startFrame).toBeGreaterThanOrEqual(10);
    }
  });
});
