/**
 * ffmpeg-filter metrics (psnr, ssim, xpsnr) and the libvmaf-filter backend, on real files with the
 * real ffmpeg: values are checked against an independent computation from decoded luma planes and
 * against the shared libvmaf 3.2 reference logs. Derived inputs (half size, shortened, re-timed)
 * are made here with ffmpeg in a temp dir.
 *
 * The libvmaf test needs an ffmpeg with the libvmaf filter: the resolved one, or the executable in
 * SCENECRF_LIBVMAF_FFMPEG (with SCENECRF_LIBVMAF_MODEL when that build's libvmaf 1.x has no model
 * installed at its default path). Otherwise it is skipped with a warning naming the ffmpeg.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, FrameCountMismatchError, InputNotFoundError, UnsupportedError } from '../src/errors.js';
import { resolveFfmpeg } from '../src/media/resolve.js';
import type { FfmpegBackend } from '../src/media/types.js';
import {
  hasLibvmaf,
  metricAvailability,
  parseLibvmafHelp,
  parseLibvmafLog,
  parsePsnrStats,
  parseSsimStats,
  parseXpsnrStats,
  poolFrameMetrics,
  PSNR_POOL_CAP_DB,
  runFfmpegMetrics,
} from '../src/quality/ffmpeg-metrics.js';
import { hasNativeFfmpeg } from './helpers.js';
import { clipLog, decodeLuma, hasReference, listClips, referenceDir } from './vmaf-reference.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const canRun = hasNativeFfmpeg && hasReference;

function ffmpeg(args: string[]): void {
  execFileSync(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { stdio: 'ignore' });
}

/** Per-frame PSNR of two luma plane lists, computed here (not by ffmpeg). */
function lumaPsnr(a: Uint8Array[], b: Uint8Array[]): number[] {
  expect(a.length).toBe(b.length);
  return a.map((pa, i) => {
    const pb = b[i]!;
    let sse = 0;
    for (let j = 0; j < pa.length; j++) {
      const d = pa[j]! - pb[j]!;
      sse += d * d;
    }
    const mse = sse / pa.length;
    return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
  });
}

describe('pure parsers', () => {
  it('parsePsnrStats reads ffmpeg lines, inf as Infinity', () => {
    const text =
      'n:1 mse_avg:33.31 mse_y:47.08 mse_u:6.75 mse_v:4.75 psnr_avg:32.91 psnr_y:31.40 psnr_u:39.84 psnr_v:41.36 \n' +
      'n:2 mse_avg:0.00 mse_y:0.00 mse_u:0.00 mse_v:0.00 psnr_avg:inf psnr_y:inf psnr_u:inf psnr_v:inf \n';
    const f = parsePsnrStats(text);
    expect(f).toHaveLength(2);
    expect(f[0]).toEqual({ mse_avg: 33.31, mse_y: 47.08, mse_u: 6.75, mse_v: 4.75, psnr_avg: 32.91, psnr_y: 31.4, psnr_u: 39.84, psnr_v: 41.36 });
    expect(f[1]!.psnr_y).toBe(Infinity);
    expect(f[1]!.mse_y).toBe(0);
    expect(() => parsePsnrStats('n:1 mse_y:abc psnr_y:3\n')).toThrow(SyntaxError);
    expect(() => parsePsnrStats('n:2 psnr_y:3\n')).toThrow(SyntaxError);
  });

  it('parseSsimStats reads Y/U/V/All and the dB value', () => {
    const f = parseSsimStats('n:1 Y:0.871049 U:0.946124 V:0.957290 All:0.897935 (9.911235)\nn:2 Y:1.000000 U:1.000000 V:1.000000 All:1.000000 (inf)\n');
    expect(f[0]).toEqual({ ssim_y: 0.871049, ssim_u: 0.946124, ssim_v: 0.95729, ssim_all: 0.897935, ssim_db: 9.911235 });
    expect(f[1]!.ssim_db).toBe(Infinity);
    expect(() => parseSsimStats('garbage\n')).toThrow(SyntaxError);
  });

  it('parseXpsnrStats reads the ffmpeg 7 line format', () => {
    const f = parseXpsnrStats('n:    1  XPSNR y: 37.5012  XPSNR u: 40.1234  XPSNR v: 41.0000\nn:    2  XPSNR y: inf  XPSNR u: inf  XPSNR v: inf\n');
    expect(f[0]).toEqual({ xpsnr_y: 37.5012, xpsnr_u: 40.1234, xpsnr_v: 41 });
    expect(f[1]!.xpsnr_y).toBe(Infinity);
  });

  it('pooling caps infinite PSNR at PSNR_POOL_CAP_DB but keeps other means plain', () => {
    const pooled = poolFrameMetrics([
      { psnr_y: Infinity, ssim_all: 1 },
      { psnr_y: 40, ssim_all: 0.9 },
    ]);
    expect(pooled.psnr_y).toBe((PSNR_POOL_CAP_DB + 40) / 2);
    expect(pooled.ssim_all).toBeCloseTo(0.95, 12);
  });

  it('parseLibvmafHelp tells the v2 (model=) filter from the v1 (model_path=) one', () => {
    expect(parseLibvmafHelp('libvmaf AVOptions:\n   model             <string>     ..FV....... Set the model\n   model_path        <string>\n')).toBe('v2');
    expect(parseLibvmafHelp('libvmaf AVOptions:\n  model_path        <string>     ..FV..... Set the model\n')).toBe('v1');
    expect(parseLibvmafHelp("Unknown filter 'libvmaf'.")).toBeUndefined();
  });

  it.skipIf(!hasReference)('parseLibvmafLog reproduces every shared clip log (frame count and values)', () => {
    for (const clip of listClips()) {
      const text = readFileSync(path.join(referenceDir, 'clips', `${clip.name}.vmaf.json`), 'utf8');
      const log = parseLibvmafLog(text);
      const expected = clipLog(clip.name);
      expect(log.version).toBe('f85a8536');
      expect(log.frames).toHaveLength(expected.length);
      expect(log.frames).toHaveLength(clip.frames);
      log.frames.forEach((f, i) => {
        expect(f.frameNum).toBe(i);
        const e = expected[i]!;
        expect(f.metrics).toEqual({
          adm2: e.integer_adm2,
          motion2: e.integer_motion2,
          vif_scale0: e.integer_vif_scale0,
          vif_scale1: e.integer_vif_scale1,
          vif_scale2: e.integer_vif_scale2,
          vif_scale3: e.integer_vif_scale3,
          vmaf: e.vmaf,
        });
      });
    }
  });

  it('parseLibvmafLog maps libvmaf 1.x names and rejects other shapes', () => {
    // Shape written by the libvmaf 1.3.7 filter (ffmpeg 4.x static builds).
    const v1 = JSON.stringify({
      version: '1.3.7',
      params: { model: 'vmaf_v0.6.1.pkl', scaledWidth: 640, scaledHeight: 360, subsample: 1 },
      metrics: ['adm2', 'motion2', 'vif_scale0', 'vif_scale1', 'vif_scale2', 'vif_scale3', 'vmaf'],
      frames: [{ frameNum: 0, metrics: { adm2: 0.91447, motion2: 0, vif_scale0: 0.30228, vif_scale1: 0.70756, vif_scale2: 0.82839, vif_scale3: 0.8908, vmaf: 65.85843 } }],
    });
    expect(parseLibvmafLog(v1)).toEqual({
      version: '1.3.7',
      frames: [{ frameNum: 0, metrics: { adm2: 0.91447, motion2: 0, vif_scale0: 0.30228, vif_scale1: 0.70756, vif_scale2: 0.82839, vif_scale3: 0.8908, vmaf: 65.85843 } }],
    });
    expect(() => parseLibvmafLog('{"frames": [{"frameNum": "x"}]}')).toThrow(SyntaxError);
    expect(() => parseLibvmafLog('not json')).toThrow(SyntaxError);
  });
});

describe.skipIf(!canRun)('runFfmpegMetrics with the native ffmpeg', () => {
  let backend: FfmpegBackend;
  let tmp: string;
  let ref: string;
  let dist: string;
  let refLuma: Uint8Array[];
  const W = 640;
  const H = 360;

  beforeAll(async () => {
    backend = await resolveFfmpeg({ backend: 'native' });
    const clip = listClips().find((c) => c.name === 'vtest_360_x264_crf41')!;
    ref = clip.ref;
    dist = clip.dist;
    refLuma = decodeLuma(ref, W, H);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'scenecrf-fm-test-'));
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('PSNR Y matches an independent computation from decoded luma to 0.01 dB; SSIM < 1; progress reported', async () => {
    const progress: number[] = [];
    const r = await runFfmpegMetrics(ref, dist, { metrics: ['psnr', 'ssim'], backend, onProgress: (p) => progress.push(p.frame) });
    expect(r.backend).toBe('ffmpeg-filters');
    expect(r.ffmpegVersion).toMatch(/^\d+\.\d+/);
    expect(r.frameCount).toBe(48);
    expect(r.frames).toHaveLength(48);
    expect(r.scaledDistorted).toBe(false);
    expect(r.pixFmt).toBe('yuv420p');
    const expected = lumaPsnr(refLuma, decodeLuma(dist, W, H));
    r.frames.forEach((f, i) => {
      expect(Math.abs(f.psnr_y! - expected[i]!)).toBeLessThanOrEqual(0.01);
      expect(f.ssim_all).toBeGreaterThan(0.5);
      expect(f.ssim_all).toBeLessThan(1);
      expect(f.ssim_y).toBeLessThan(1);
      for (const k of ['psnr_u', 'psnr_v', 'psnr_avg', 'mse_y', 'mse_u', 'mse_v', 'mse_avg', 'ssim_u', 'ssim_v', 'ssim_db']) expect(f[k]).toBeTypeOf('number');
    });
    expect(r.pooled.psnr_y).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / 48, 2);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(48);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('identical inputs: PSNR Infinity per frame (pooled at the cap), SSIM exactly 1', async () => {
    const r = await runFfmpegMetrics(ref, ref, { metrics: ['ssim', 'psnr'], backend });
    expect(r.frames).toHaveLength(48);
    for (const f of r.frames) {
      expect(f.psnr_y).toBe(Infinity);
      expect(f.mse_y).toBe(0);
      expect(f.ssim_all).toBe(1);
      expect(f.ssim_y).toBe(1);
    }
    expect(r.pooled.psnr_y).toBe(PSNR_POOL_CAP_DB);
  });

  it('a half-size distorted is upscaled (bicubic) and matches a manual bicubic upscale exactly', async () => {
    const half = path.join(tmp, 'half.mkv');
    const up = path.join(tmp, 'up.mkv');
    ffmpeg(['-i', ref, '-vf', 'scale=iw/2:ih/2:flags=bicubic', '-c:v', 'ffv1', half]);
    ffmpeg(['-i', half, '-vf', `scale=${W}:${H}:flags=bicubic,format=yuv420p`, '-c:v', 'ffv1', up]);
    const [viaFilter, manual] = await Promise.all([
      runFfmpegMetrics(ref, half, { metrics: ['psnr'], backend }),
      runFfmpegMetrics(ref, up, { metrics: ['psnr'], backend }),
    ]);
    expect(viaFilter.scaledDistorted).toBe(true);
    expect(manual.scaledDistorted).toBe(false);
    expect(viaFilter.width).toBe(W);
    expect(viaFilter.frames.map((f) => f.psnr_y)).toEqual(manual.frames.map((f) => f.psnr_y));
    const expected = lumaPsnr(refLuma, decodeLuma(up, W, H));
    viaFilter.frames.forEach((f, i) => expect(Math.abs(f.psnr_y! - expected[i]!)).toBeLessThanOrEqual(0.01));
    // Upscaled half resolution is clearly lossy but not garbage.
    expect(viaFilter.pooled.psnr_y).toBeGreaterThan(20);
    expect(viaFilter.pooled.psnr_y).toBeLessThan(60);
  });

  it('differing frame counts throw FrameCountMismatchError (both orders), never truncate', async () => {
    const short = path.join(tmp, 'short.mkv');
    ffmpeg(['-i', ref, '-frames:v', '40', '-c:v', 'ffv1', short]);
    const e1 = await runFfmpegMetrics(ref, short, { metrics: ['psnr', 'ssim'], backend }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(FrameCountMismatchError);
    expect((e1 as FrameCountMismatchError).referenceFrames).toBe(48);
    expect((e1 as FrameCountMismatchError).distortedFrames).toBe(40);
    const e2 = await runFfmpegMetrics(short, ref, { metrics: ['psnr'], backend }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(FrameCountMismatchError);
    expect((e2 as FrameCountMismatchError).referenceFrames).toBe(40);
    expect((e2 as FrameCountMismatchError).distortedFrames).toBe(48);
  });

  it('frames are paired by index, whatever the timestamps say', async () => {
    // Same 48 pictures at half speed: time-based pairing would compare different pictures.
    const slow = path.join(tmp, 'slow.mkv');
    ffmpeg(['-i', ref, '-vf', 'setpts=2*PTS', '-fps_mode', 'passthrough', '-c:v', 'ffv1', slow]);
    const r = await runFfmpegMetrics(ref, slow, { metrics: ['psnr'], backend });
    expect(r.frames).toHaveLength(48);
    for (const f of r.frames) expect(f.psnr_y).toBe(Infinity);
  });

  it('typed errors: missing input, abort, wasm backend, missing filters', async () => {
    await expect(runFfmpegMetrics(ref, path.join(tmp, 'nope.mp4'), { metrics: ['psnr'], backend })).rejects.toBeInstanceOf(InputNotFoundError);
    await expect(runFfmpegMetrics(path.join(tmp, 'nope.mkv'), dist, { metrics: ['psnr'], backend })).rejects.toBeInstanceOf(InputNotFoundError);

    const ac = new AbortController();
    const aborted = runFfmpegMetrics(ref, dist, { metrics: ['psnr', 'ssim'], backend, signal: ac.signal, onProgress: () => ac.abort() });
    setTimeout(() => ac.abort(), 300);
    await expect(aborted).rejects.toBeInstanceOf(AbortError);

    const wasm: FfmpegBackend = { ...backend, kind: 'wasm', source: 'wasm', path: 'core.js' };
    await expect(runFfmpegMetrics(ref, dist, { metrics: ['psnr'], backend: wasm })).rejects.toBeInstanceOf(UnsupportedError);
    expect(hasLibvmaf(wasm)).toMatchObject({ available: false, reason: expect.stringMatching(/wasm/) });

    const noFilters: FfmpegBackend = { ...backend, capabilities: { ...backend.capabilities, filters: new Set(['scale']) } };
    const e = await runFfmpegMetrics(ref, dist, { metrics: ['ssim'], backend: noFilters }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as Error).message).toContain(`ffmpeg at ${backend.path} has no ssim filter`);
  });

  // ---- xpsnr (ffmpeg 7+) ----
  const xpsnrAvailable = () => metricAvailability(backend, 'xpsnr');
  it.skipIf(!hasNativeFfmpegWith('xpsnr'))('xpsnr per frame (when the filter exists)', async () => {
    expect(xpsnrAvailable().available).toBe(true);
    const r = await runFfmpegMetrics(ref, dist, { metrics: ['xpsnr', 'psnr'], backend });
    expect(r.frames).toHaveLength(48);
    for (const f of r.frames) {
      expect(Number.isFinite(f.xpsnr_y)).toBe(true);
      expect(f.xpsnr_y).toBeGreaterThan(10);
      expect(f.xpsnr_y).toBeLessThan(80);
    }
  });
});

// ---- libvmaf backend ----
const libvmafFfmpeg = findLibvmafFfmpeg();

function hasNativeFfmpegWith(filter: string): boolean {
  if (!hasNativeFfmpeg) return false;
  try {
    const out = execFileSync(FFMPEG, ['-hide_banner', '-filters'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (new RegExp(`^\\s*\\S+\\s+${filter}\\s`, 'm').test(out)) return true;
  } catch {
    return false;
  }
  console.warn(`\n*** SKIPPING ${filter} test: ffmpeg at ${whichFfmpeg()} has no ${filter} filter ***\n`);
  return false;
}

function whichFfmpeg(): string {
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'ffmpeg');
    if (dir && existsSync(p)) return p;
  }
  return 'ffmpeg';
}

function findLibvmafFfmpeg(): string | undefined {
  if (!canRun) return undefined;
  const candidates = [process.env.SCENECRF_LIBVMAF_FFMPEG, FFMPEG].filter((p): p is string => !!p);
  for (const p of candidates) {
    try {
      const out = execFileSync(p, ['-hide_banner', '-filters'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (/^\s*\S+\s+libvmaf\s/m.test(out)) return p;
    } catch {
      // not runnable: try the next one
    }
  }
  console.warn(
    `\n*** SKIPPING libvmaf-backend test: ffmpeg at ${whichFfmpeg()} has no libvmaf filter` +
      ' (set SCENECRF_LIBVMAF_FFMPEG to an ffmpeg built with --enable-libvmaf to run it) ***\n',
  );
  return undefined;
}

describe.skipIf(!libvmafFfmpeg)('libvmaf filter backend', () => {
  it('scores a shared clip like the reference libvmaf log (distorted is the filter\'s main input)', async () => {
    const backend = await resolveFfmpeg({ ffmpegPath: libvmafFfmpeg! });
    expect(hasLibvmaf(backend)).toEqual({ available: true });
    const clip = listClips().find((c) => c.name === 'vtest_360_x264_crf41')!;
    const expected = clipLog(clip.name);
    const model = process.env.SCENECRF_LIBVMAF_MODEL;
    const r = await runFfmpegMetrics(clip.ref, clip.dist, { metrics: ['libvmaf', 'psnr'], backend, libvmaf: { threads: 2, ...(model ? { model } : {}) } });
    expect(r.backend).toBe('ffmpeg-libvmaf');
    expect(r.libvmafVersion).toBeTruthy();
    expect(r.frames).toHaveLength(expected.length);
    r.frames.forEach((f, i) => {
      const e = expected[i]!;
      // Another libvmaf version (or its float extractors) differs slightly from libvmaf 3.2's
      // integer ones; swapped inputs would put VIF and VMAF far off.
      expect(Math.abs(f.vmaf! - e.vmaf!)).toBeLessThan(1);
      expect(Math.abs(f.vif_scale0! - e.integer_vif_scale0!)).toBeLessThan(0.01);
      expect(Math.abs(f.adm2! - e.integer_adm2!)).toBeLessThan(0.01);
      expect(Math.abs(f.motion2! - e.integer_motion2!)).toBeLessThan(0.05);
      expect(f.psnr_y).toBeTypeOf('number');
    });
    // Subsampling scores every n-th frame only.
    const sub = await runFfmpegMetrics(clip.ref, clip.dist, { metrics: ['libvmaf'], backend, libvmaf: { threads: 2, subsample: 4, ...(model ? { model } : {}) } });
    expect(sub.frames).toHaveLength(48);
    expect(sub.frames.filter((f) => f.vmaf !== undefined).length).toBeLessThan(48);
  }, 60_000);
});
