/**
 * Rotation metadata (issue 21, item 3): a 160x90 clip tagged `rotate=90` is shown, and decoded by
 * ffmpeg, as 90x160. Probe, analysis, plan, encode and quality must all use that displayed
 * geometry, and comparing it with an unrotated copy must be refused, not scored near 0.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeVideo } from '../src/analysis/analyze.js';
import { planFromScenes } from '../src/core/plan-file.js';
import { encodePlan } from '../src/encode/chunked.js';
import { InvalidOptionsError } from '../src/errors.js';
import { parseFfmpegInputInfo } from '../src/media/ffmpeg-info.js';
import { probeVideo } from '../src/media/probe.js';
import { resolveFfmpeg } from '../src/media/resolve.js';
import { measureQuality } from '../src/quality/measure.js';
import { hasNativeFfmpeg } from './helpers.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
let tmp: string;
let good: string;
let rotated: string;

function size(file: string): string {
  return execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-rotation-'));
  good = path.join(tmp, 'good.mp4');
  rotated = path.join(tmp, 'rotated.mp4');
  if (!hasNativeFfmpeg) return;
  const q = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];
  execFileSync(FFMPEG, [...q, '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24', '-frames:v', '24', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', good]);
  execFileSync(FFMPEG, [...q, '-i', good, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('the banner parser reads the display matrix of the video stream', () => {
  const banner = [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'r.mp4':",
    '  Duration: 00:00:01.00, start: 0.000000, bitrate: 137 kb/s',
    '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 160x90 [SAR 1:1 DAR 16:9], 127 kb/s, 24 fps, 24 tbr, 12288 tbn (default)',
    '    Side data:',
    '      displaymatrix: rotation of -90.00 degrees',
  ].join('\n');
  expect(parseFfmpegInputInfo(banner, 'r.mp4').video).toMatchObject({ width: 160, height: 90, rotation: -90 });
});

describe.skipIf(!hasNativeFfmpeg)('a video with rotation metadata', () => {
  it('is described as displayed by every probe and by the analysis', async () => {
    const native = await resolveFfmpeg({ backend: 'native' });
    for (const backend of [native, { ...native, ffprobePath: undefined }, await resolveFfmpeg({ backend: 'wasm' })]) {
      const info = await probeVideo(rotated, backend);
      expect(info).toMatchObject({ width: 90, height: 160 });
      expect(Math.abs(info.rotation ?? 0)).toBe(90);
    }
    expect((await probeVideo(good, native)).rotation).toBeUndefined();
    const a = await analyzeVideo(rotated, { backend: 'native' });
    expect(a.video).toMatchObject({ width: 90, height: 160 });
    expect(a.analysis).toMatchObject({ width: 90, height: 160 });
  });

  it('encodes upright as the player shows it, and its quality can be measured against the source', async () => {
    const a = await analyzeVideo(rotated, { backend: 'native' });
    const v = a.video;
    const plan = planFromScenes({ path: rotated, width: v.width, height: v.height, frameCount: v.frameCount, frameRate: v.frameRate }, a.scenes, { encoder: 'vp9', preset: 8, crf: 40 });
    const out = path.join(tmp, 'enc.webm');
    await encodePlan(plan, { output: out, jobs: 1, threads: 1 });
    expect(size(out)).toBe('90,160');
    for (const metric of ['psnr', 'ssim', 'vmaf'] as const) {
      const r = await measureQuality(rotated, out, { metric, threads: 1 });
      expect(r.pooled.mean).toBeGreaterThan(metric === 'ssim' ? 0.8 : metric === 'psnr' ? 25 : 50);
    }
  });

  it('is refused against an unrotated copy (oriented differently), for every metric', async () => {
    for (const metric of ['vmaf', 'psnr'] as const) {
      const r = measureQuality(good, rotated, { metric, threads: 1 });
      await expect(r).rejects.toThrow(InvalidOptionsError);
      await expect(measureQuality(good, rotated, { metric, threads: 1 })).rejects.toThrow(/oriented differently/);
    }
  });
});
