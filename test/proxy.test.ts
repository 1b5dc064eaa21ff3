/**
 * Proxy curves (src/proxy) with real small encodes and the builtin VMAF on the fixtures.
 * fixtures/cuts.mp4: 192 frames, 320x180, four shots cut at 48, 96, 144.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, InputNotFoundError, InvalidOptionsError } from '../src/errors.js';
import { measureProxyCurves } from '../src/proxy/measure.js';
import { DEFAULT_PROXY_SPEC, middleFrames } from '../src/proxy/spec.js';
import { hasNativeFfmpeg } from './helpers.js';

const ROOT = path.resolve(__dirname, '..');
const CUTS = path.join(ROOT, 'fixtures', 'cuts.mp4');
const SHOTS = [0, 48, 96, 144].map((s) => ({ startFrame: s, endFrame: s + 48 }));
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-proxy-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('middleFrames', () => {
  it('takes the middle of a longer range and all of a shorter one', () => {
    expect(middleFrames(100, 200, 48)).toEqual({ startFrame: 126, endFrame: 174 });
    expect(middleFrames(100, 130, 48)).toEqual({ startFrame: 100, endFrame: 130 });
    expect(middleFrames(100, 201, 'all')).toEqual({ startFrame: 100, endFrame: 201 });
  });
});

describe.skipIf(!hasNativeFfmpeg)('measureProxyCurves', () => {
  it.each(['vp9', 'svt-av1'] as const)('%s: one curve per scene at the spec CRFs; quality falls with CRF; the work folder is cleaned up', async (encoder) => {
    const progress: number[] = [];
    const curves = await measureProxyCurves(CUTS, SHOTS, { encoder, workDir: tmp, onProgress: (p) => progress.push(p.done) });
    expect(curves).toHaveLength(4);
    for (const c of curves) {
      expect(c.crfs).toEqual(DEFAULT_PROXY_SPEC.crfs);
      for (const v of c.vmafMean) expect(v).toBeGreaterThan(0), expect(v).toBeLessThanOrEqual(100);
      expect(c.vmafMean[0]!).toBeGreaterThan(c.vmafMean[1]!);
    }
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]); // four scenes encoded, two CRFs scored
    expect(await readdir(tmp)).toEqual([]);
  }, 120_000);

  // Each scene is cut and encoded on its own; only VMAF's motion term sees, at the joint, the frame
  // of the scene scored before it.
  it('a scene measured alone gives almost what it gives among others', async () => {
    const spec = { ...DEFAULT_PROXY_SPEC, crfs: [30, 50] };
    const all = await measureProxyCurves(CUTS, SHOTS.slice(1, 3), { encoder: 'vp9', spec });
    const third = await measureProxyCurves(CUTS, [SHOTS[2]!], { encoder: 'vp9', spec });
    expect(third[0]!.crfs).toEqual([30, 50]);
    expect(Math.abs(third[0]!.vmafMean[0]! - all[1]!.vmafMean[0]!)).toBeLessThan(0.25);
    expect(Math.abs(third[0]!.vmafMean[1]! - all[1]!.vmafMean[1]!)).toBeLessThan(0.25);
    expect(third[0]!.vmafMean[0]).toBeGreaterThan(third[0]!.vmafMean[1]! + 1);
  }, 120_000);

  it('rejects bad scenes, specs and inputs before encoding; honours an aborted signal', async () => {
    await expect(measureProxyCurves(CUTS, [{ startFrame: 0, endFrame: 50 }, { startFrame: 40, endFrame: 96 }], { encoder: 'vp9' })).rejects.toThrow(/inside scene 0/);
    await expect(measureProxyCurves(CUTS, [{ startFrame: 10, endFrame: 10 }], { encoder: 'vp9' })).rejects.toThrow(InvalidOptionsError);
    await expect(measureProxyCurves(CUTS, [{ startFrame: 0, endFrame: 500 }], { encoder: 'vp9' })).rejects.toThrow(/end at frame 500/);
    await expect(measureProxyCurves(CUTS, SHOTS, { encoder: 'vp9', spec: { ...DEFAULT_PROXY_SPEC, crfs: [52, 36] } })).rejects.toThrow(InvalidOptionsError);
    await expect(measureProxyCurves(path.join(tmp, 'missing.mp4'), SHOTS, { encoder: 'vp9' })).rejects.toThrow(InputNotFoundError);
    const ac = new AbortController();
    ac.abort();
    await expect(measureProxyCurves(CUTS, SHOTS, { encoder: 'vp9', signal: ac.signal })).rejects.toThrow(AbortError);
    expect(await measureProxyCurves(CUTS, [], { encoder: 'vp9' })).toEqual([]);
  });
});
