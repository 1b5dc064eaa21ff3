/**
 * Proxy curves (src/proxy) with real small encodes and the builtin VMAF on the fixtures.
 * fixtures/cuts.mp4: 192 frames, 320x180, four shots cut at 48, 96, 144.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, InputNotFoundError, InvalidOptionsError } from '../src/errors.js';
import { measureProxyCurves, referenceCutArgs, writeProxyReference } from '../src/proxy/measure.js';
import { DEFAULT_PROXY_SPEC, middleFrames } from '../src/core/proxy-spec.js';
import { hasNativeFfmpeg } from './helpers.js';

const ROOT = path.resolve(__dirname, '..');
const CUTS = path.join(ROOT, 'fixtures', 'cuts.mp4');
const SHOTS = [0, 48, 96, 144].map((s) => ({ startFrame: s, endFrame: s + 48 }));
let tmp: string;

/** The MD5 of every frame of stream 0 that ffmpeg outputs with `args` (inputs, filters, maps), in order. */
function frameMd5s(args: string[]): string[] {
  return execFileSync('ffmpeg', ['-v', 'error', '-nostdin', ...args, '-fps_mode', 'passthrough', '-f', 'framemd5', '-'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^\s*0,/.test(l))
    .map((l) => l.split(',').at(-1)!.trim());
}

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

  // ffmpeg's expression parser refuses a flat sum of more than 100 terms: the reference's select
  // once had one term per scene, so any video with more than 100 scenes failed here.
  it('writeProxyReference: exactly the windows’ frames, scaled, with more than 100 windows', async () => {
    // 120 one-frame windows with gaps, then one of 35 frames.
    const windows = Array.from({ length: 150 }, (_, i) => i)
      .filter((i) => i % 5 !== 0)
      .map((i) => ({ startFrame: i, endFrame: i + 1 }))
      .concat([{ startFrame: 155, endFrame: 190 }]);
    expect(windows.length).toBeGreaterThan(100);
    const reference = path.join(tmp, 'many-windows.mkv');
    const backend = { path: 'ffmpeg', version: execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0]! };
    const written = await writeProxyReference(backend, CUTS, windows, { frameRate: { num: 24, den: 1 }, size: { width: 128, height: 72 } }, reference);
    expect(written).toBe(windows.reduce((n, w) => n + w.endFrame - w.startFrame, 0));
    const source = frameMd5s(['-i', CUTS, '-vf', 'scale=128:72:flags=bicubic', '-pix_fmt', 'yuv420p']);
    expect(frameMd5s(['-i', reference])).toEqual(windows.flatMap((w) => source.slice(w.startFrame, w.endFrame)));
  });

  // The seek cut must give exactly the frames the frame-number cut gives, at the start, in the
  // middle, across a shot boundary and at the end, at an integer and a fractional frame rate.
  it.each([
    [24, 1],
    [30000, 1001],
  ])('referenceCutArgs: seeking gives the same frames as decoding from the start (%i/%i fps)', (num, den) => {
    const reference = path.join(tmp, `ref-${num}.mkv`);
    execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', CUTS, '-vf', `settb=${den}/${num},setpts=N`, '-r', `${num}/${den}`, '-c:v', 'ffv1', reference]);
    for (const range of [{ startFrame: 0, endFrame: 48 }, { startFrame: 37, endFrame: 61 }, { startFrame: 101, endFrame: 150 }, { startFrame: 150, endFrame: 192 }]) {
      const decoded = frameMd5s([...referenceCutArgs(reference, range, { num, den }, 'decode', '[p0]'), '-map', '[p0]']);
      expect(decoded).toHaveLength(range.endFrame - range.startFrame);
      expect(frameMd5s([...referenceCutArgs(reference, range, { num, den }, 'seek', '[p0]'), '-map', '[p0]'])).toEqual(decoded);
    }
    expect(referenceCutArgs(reference, { startFrame: 500, endFrame: 548 }, { num, den }, 'seek', '[p0]')).toContain('-ss');
    expect(referenceCutArgs(reference, { startFrame: 500, endFrame: 548 }, { num: 300, den: 1 }, 'seek', '[p0]')).not.toContain('-ss');
  }, 60_000);

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
