/**
 * Shot detection on small ffmpeg-rendered clips (160x90, 24 fps), one per hard class of the
 * stress corpus (issue 18): each clip is made at test time from lavfi sources, so what is decoded
 * and analysed is a real encoded video, not a hand-made array.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeVideo } from '../src/index.js';
import { hasNativeFfmpeg } from './helpers.js';

/** A slowly panning fractal: fine texture that moves half a pixel a frame. */
const sceneA = (speed = '1/2') =>
  `mandelbrot=s=320x180:r=24:maxiter=300:start_x=-0.7453:start_y=0.1127:start_scale=0.01:end_scale=0.01,crop=160:90:x='20+n*${speed}':y=40,format=yuv420p`;
const sceneB = (speed = '1/2') =>
  `mandelbrot=s=320x180:r=24:maxiter=300:start_x=-0.16:start_y=1.0405:start_scale=0.03:end_scale=0.03,crop=160:90:x='150-n*${speed}':y=50,format=yuv420p`;
/** Darkened, low-contrast version of a scene (night footage). */
const dark = ',eq=brightness=-0.3:contrast=0.35';

const clips: Record<string, string> = {
  // Moving content at 8 distinct frames a second brought to 24 by repeating frames (2 of every 3
  // frames are repeats), each copy with its own light noise, as near-duplicates are.
  cadence: 'testsrc2=s=160x90:r=8,fps=24,noise=alls=3:allf=t,trim=end_frame=96,format=yuv420p',
  // Exposure and contrast jump to a new random level every 6 frames (archival flicker).
  flicker:
    `${sceneA()},eq=eval=frame:brightness='0.3*if(eq(mod(n,6),0),st(1,random(0)),ld(1))-0.15'` +
    `:contrast='0.7+0.6*if(eq(mod(n,6),0),st(2,random(3)),ld(2))',trim=end_frame=96,format=yuv420p`,
  // Coarse, clumpy grain over a still: noise added at a quarter of the size, then fine noise.
  grain: `${sceneA()},trim=end_frame=1,loop=loop=95:size=1,scale=40:24,noise=alls=30:allf=t+u,scale=160:90:flags=bicubic,noise=alls=12:allf=t+u,format=yuv420p`,
  // A half-second wipe from left to right: frames 48..59 are mixed, 108 frames in all.
  wipe: `${sceneA()},trim=end_frame=60[a];${sceneB()},trim=end_frame=60[b];[a][b]xfade=transition=wipeleft:duration=0.5:offset=2,format=yuv420p`,
  // A two-second dissolve between two dark, low-contrast scenes: frames 48..95, 144 in all.
  darkDissolve:
    `${sceneA('1/8')}${dark},trim=end_frame=96[a];${sceneB('1/8')}${dark},trim=end_frame=96[b];` +
    '[a][b]xfade=transition=fade:duration=2:offset=2,noise=alls=4:allf=t,format=yuv420p',
};

describe.skipIf(!hasNativeFfmpeg)('shot detection on generated clips, one per hard class', () => {
  let dir: string | undefined;
  const render = (name: keyof typeof clips) => {
    dir ??= mkdtempSync(path.join(tmpdir(), 'scenecrf-detect-'));
    const out = path.join(dir, `${name}.mp4`);
    execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-v', 'error', '-y', '-filter_complex', clips[name]!, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', out]);
    return out;
  };
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a repeat cadence (2 of 3 frames repeated) with no cut gives no boundary, and the cadence is reported', async () => {
    const r = await analyzeVideo(render('cadence'), { backend: 'native' });
    expect(r.video.frameCount).toBe(96);
    expect(r.shotBoundaries).toEqual([]);
    expect(r.scenes).toHaveLength(1);
    expect(r.scenes[0]!.repeatCadence.repeatedFraction).toBeGreaterThan(0.55);
    expect(r.scenes[0]!.repeatCadence.pattern).toEqual({ period: 3, repeats: 2 });
  });

  it('exposure and contrast flicker gives no boundary', async () => {
    const r = await analyzeVideo(render('flicker'), { backend: 'native' });
    expect(r.shotBoundaries).toEqual([]);
  });

  it('heavy grain over a still gives no boundary', async () => {
    const r = await analyzeVideo(render('grain'), { backend: 'native' });
    expect(r.video.frameCount).toBe(96);
    expect(r.shotBoundaries).toEqual([]);
    expect(r.scenes[0]!.repeatCadence.repeatedFraction).toBe(0);
  });

  it('a wipe gives one gradual boundary covering its frames', async () => {
    const r = await analyzeVideo(render('wipe'), { backend: 'native' });
    expect(r.video.frameCount).toBe(108);
    expect(r.shotBoundaries).toHaveLength(1);
    const b = r.shotBoundaries[0]!;
    expect(b.kind).toBe('wipe');
    // The wipe mixes frames 48..59; the reported range lies on it and covers most of it.
    expect(b.transitionStart).toBeGreaterThanOrEqual(47);
    expect(b.transitionEnd).toBeLessThanOrEqual(61);
    expect(b.transitionEnd - b.transitionStart + 1).toBeGreaterThanOrEqual(7);
    expect(b.frame).toBeGreaterThanOrEqual(b.transitionStart);
    expect(b.frame).toBeLessThanOrEqual(b.transitionEnd);
    expect(r.scenes[1]!.startKind).toBe('wipe');
    expect(r.scenes[1]!.transition).toEqual({ startFrame: b.transitionStart, endFrame: b.transitionEnd });
  });

  it('a dissolve between two dark scenes gives one boundary inside it', async () => {
    const r = await analyzeVideo(render('darkDissolve'), { backend: 'native' });
    expect(r.video.frameCount).toBe(144);
    expect(r.shotBoundaries).toHaveLength(1);
    const b = r.shotBoundaries[0]!;
    expect(b.kind).toBe('dissolve');
    expect(b.frame).toBeGreaterThanOrEqual(48);
    expect(b.frame).toBeLessThanOrEqual(95);
  });
});
