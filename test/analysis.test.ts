import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analysisSize, decodeFrames, resolveFfmpeg, type Frame } from '../src/advanced.js';
import { analyzeVideo, type AnalysisResult } from '../src/index.js';
import { analysisDecoderThreads } from '../src/media/frames.js';
import { scoreBoundaries, type GroundTruth } from '../bench/score.js';
import { hasNativeFfmpeg } from './helpers.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const truth = (name: string) => JSON.parse(readFileSync(fixture(name.replace(/\.\w+$/, '.json')), 'utf8')) as GroundTruth;

const cache = new Map<string, Promise<AnalysisResult>>();
/** Each fixture is analysed once per file (frames kept), shared by the assertions below. */
function analyzed(name: string): Promise<AnalysisResult> {
  let p = cache.get(name);
  if (!p) {
    p = analyzeVideo(fixture(name), { backend: 'native', keepFrameFeatures: true });
    cache.set(name, p);
  }
  return p;
}

describe.skipIf(!hasNativeFfmpeg)('analyzeVideo on real fixture clips (native ffmpeg)', () => {
  it('finds the hard cuts at the right frames', async () => {
    const r = await analyzed('cuts.mp4');
    expect(r.shotBoundaries.map((b) => [b.frame, b.kind])).toEqual(truth('cuts.mp4').cuts.map((c) => [c, 'cut']));
    expect(r.scenes.map((s) => s.startFrame)).toEqual([0, ...truth('cuts.mp4').cuts]);
    expect(r.video.frameCount).toBe(192);
  });

  it('reports a fade through black as one fade transition', async () => {
    const r = await analyzed('fade.mp4');
    const [[s, e]] = truth('fade.mp4').transitions as [[number, number, string]];
    expect(r.shotBoundaries).toHaveLength(1);
    const b = r.shotBoundaries[0]!;
    expect(b.kind).toBe('fade');
    expect(b.frame).toBeGreaterThanOrEqual(s);
    expect(b.frame).toBeLessThanOrEqual(e);
    expect(r.scenes[1]!.startKind).toBe('fade');
    expect(r.scenes[1]!.transition!.startFrame).toBeLessThanOrEqual(s + 6);
    expect(r.scenes[1]!.transition!.endFrame).toBeGreaterThanOrEqual(e - 6);
  });

  it('reports a cross-dissolve as one dissolve transition', async () => {
    const r = await analyzed('dissolve.mp4');
    const [[s, e]] = truth('dissolve.mp4').transitions as [[number, number, string]];
    expect(r.shotBoundaries).toHaveLength(1);
    expect(r.shotBoundaries[0]!.kind).toBe('dissolve');
    expect(r.shotBoundaries[0]!.frame).toBeGreaterThanOrEqual(s - 1);
    expect(r.shotBoundaries[0]!.frame).toBeLessThanOrEqual(e + 1);
  });

  it('does not cut on a white flash or a fast pan', async () => {
    expect((await analyzed('flash.mp4')).shotBoundaries).toEqual([]);
    expect((await analyzed('pan.mp4')).shotBoundaries).toEqual([]);
    // The pan really is fast: its motion dwarfs the static clip's.
    const pan = await analyzed('pan.mp4');
    expect(pan.scenes[0]!.complexity.motion.max).toBeGreaterThan(10);
  });

  it('scores F1 = 1 on the demo clip with everything in it', async () => {
    const r = await analyzed('demo.mp4');
    const score = scoreBoundaries(r.shotBoundaries.map((b) => b.frame), truth('demo.mp4'));
    expect(score.falseDetections).toEqual([]);
    expect(score.missed).toEqual([]);
  });

  it('measures a still clip as still, and noise as raising SI, TI and grain', async () => {
    const still = (await analyzed('static.mp4')).scenes[0]!.complexity;
    const noisy = (await analyzed('noisy.mp4')).scenes[0]!.complexity;
    expect(still.ti.mean).toBeLessThan(0.1);
    expect(still.motion.mean).toBeLessThan(0.05);
    expect(noisy.ti.mean).toBeGreaterThan(2);
    expect(noisy.si.mean).toBeGreaterThan(still.si.mean);
    expect(noisy.noise).toBeGreaterThan(still.noise + 0.5);
    expect(noisy.score).toBeGreaterThan(still.score);
  });

  it('decodes 10-bit input at 10 bits and finds its cut', async () => {
    const r = await analyzed('tenbit.mkv');
    expect(r.video.bitDepth).toBe(10);
    expect(r.analysis.bitDepth).toBe(10);
    expect(r.shotBoundaries.map((b) => b.frame)).toEqual(truth('tenbit.mkv').cuts);
    // Features stay in 8-bit units whatever the depth.
    expect(r.scenes[0]!.complexity.lumaMean).toBeLessThan(256);
  });

  it('covers every frame once, keeps per-frame features on request, and reports progress', async () => {
    const seen: number[] = [];
    const r = await analyzeVideo(fixture('demo.mp4'), { backend: 'native', keepFrameFeatures: true, analysisWidth: 160 }, { onProgress: (p) => seen.push(p.frame) });
    expect(r.frames).toHaveLength(480);
    expect(r.frames!.map((f) => f.index)).toEqual([...Array(480).keys()]);
    expect(r.scenes[0]!.startFrame).toBe(0);
    expect(r.scenes.at(-1)!.endFrame).toBe(480);
    for (let i = 1; i < r.scenes.length; i++) expect(r.scenes[i]!.startFrame).toBe(r.scenes[i - 1]!.endFrame);
    expect(seen.at(-1)).toBe(480);
    expect(r.analysis.width).toBe(160);
  });

  it('applies minimum and maximum scene lengths', async () => {
    const r = await analyzeVideo(fixture('demo.mp4'), { backend: 'native', minSceneLength: 100, maxSceneLength: 200 });
    for (const s of r.scenes) {
      expect(s.frameCount).toBeGreaterThanOrEqual(100);
      expect(s.frameCount).toBeLessThanOrEqual(200);
    }
    // Raw shot boundaries are still all reported.
    expect(r.shotBoundaries.length).toBeGreaterThan(r.scenes.filter((s) => s.startKind !== 'split').length - 1);
  });
});

describe('analyzeVideo with the WebAssembly backend', () => {
  it('analyses a fixture with the wasm core and finds the same cuts', async () => {
    const r = await analyzeVideo(fixture('cuts.mp4'), { backend: 'wasm' });
    expect(r.backend.kind).toBe('wasm');
    expect(r.backend.source).toBe('wasm');
    expect(r.shotBoundaries.map((b) => b.frame)).toEqual(truth('cuts.mp4').cuts);
    expect(r.video.frameCount).toBe(192);
  }, 120_000);
});

describe.skipIf(!hasNativeFfmpeg)('decodeFrames (native ffmpeg)', () => {
  it('negotiates size and depth with ffmpeg, and returns chroma planes on request', async () => {
    const backend = await resolveFfmpeg({ backend: 'native' });
    const frames: Frame[] = [];
    for await (const f of decodeFrames(fixture('cuts.mp4'), backend, { width: 250, bitDepth: 'auto', chroma: true })) frames.push(f);
    expect(frames).toHaveLength(192);
    const f = frames[0]!;
    // 250 rounds down to even; the height keeps 16:9 as ffmpeg computes it (and as analysisSize predicts).
    expect([f.width, f.height]).toEqual([250, 140]);
    expect(analysisSize(320, 180, 250)).toEqual({ width: 250, height: 140 });
    expect(f.bitDepth).toBe(8);
    expect(f.luma).toBeInstanceOf(Uint8Array);
    expect(f.u).toHaveLength(125 * 70);
    expect(f.v).toHaveLength(125 * 70);
    const ten: Frame[] = [];
    for await (const t of decodeFrames(fixture('tenbit.mkv'), backend, { width: 1000, bitDepth: 'auto', chroma: false })) ten.push(t);
    // Never upscaled; 10-bit input stays 10-bit.
    expect([ten[0]!.width, ten[0]!.height, ten[0]!.bitDepth]).toEqual([320, 180, 10]);
    expect(Math.max(...ten[0]!.luma)).toBeGreaterThan(255);
  });

  it('decodes the same pictures with more decoder threads (analysisDecoderThreads)', async () => {
    expect([1, 2, 4, 16].map((c) => analysisDecoderThreads(c))).toEqual([3, 6, 8, 17]);
    const backend = await resolveFfmpeg({ backend: 'native' });
    const decode = async (decoderThreads?: number) => {
      const out: Buffer[] = [];
      for await (const f of decodeFrames(fixture('cuts.mp4'), backend, { width: 160, bitDepth: 8, chroma: false, decoderThreads })) out.push(Buffer.from(f.luma as Uint8Array));
      return out;
    };
    const plain = await decode();
    const threaded = await decode(analysisDecoderThreads(2));
    expect(threaded).toHaveLength(192);
    expect(threaded.every((b, i) => b.equals(plain[i]!))).toBe(true);
  });

  it('every frame owns its buffer: a consumer may keep frames or transfer them to a worker', async () => {
    // The builtin VMAF transfers each frame's buffer to a worker thread. A frame that were a view
    // into a pipe chunk shared with the next frame would detach the rest of the stream.
    const backend = await resolveFfmpeg({ backend: 'native' });
    const opts = { width: 160, bitDepth: 8, chroma: true } as const;
    const kept: Frame[] = [];
    for await (const f of decodeFrames(fixture('cuts.mp4'), backend, opts)) kept.push(f);
    const moved: Buffer[] = [];
    for await (const f of decodeFrames(fixture('cuts.mp4'), backend, opts)) {
      const buffer = structuredClone(f.luma.buffer, { transfer: [f.luma.buffer as ArrayBuffer] });
      moved.push(Buffer.from(buffer, 0, f.width * f.height));
    }
    expect(moved).toHaveLength(192);
    expect(kept).toHaveLength(192);
    // Frames kept from the first run were not overwritten by later reads.
    expect(moved.every((b, i) => b.equals(kept[i]!.luma as Uint8Array))).toBe(true);
  });

  it('stops ffmpeg when the consumer breaks out early', async () => {
    const backend = await resolveFfmpeg({ backend: 'native' });
    let n = 0;
    for await (const _ of decodeFrames(fixture('demo.mp4'), backend, { width: 128, bitDepth: 8, chroma: false })) if (++n === 5) break;
    expect(n).toBe(5);
  });
});

describe.skipIf(!hasNativeFfmpeg)('variable frame rate', () => {
  // 72 frames: the first 36 one 24th of a second apart, the rest one 12th: 4.5 s in all.
  let dir: string | undefined;
  const make = (name: string) => {
    dir ??= mkdtempSync(path.join(tmpdir(), 'scenecrf-vfr-'));
    const out = path.join(dir, name);
    execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24:d=3',
      '-vf', "setpts='if(lt(N,36),N/24/TB,(36/24+(N-36)/12)/TB)'", '-vsync', 'vfr',
      '-c:v', 'libx264', '-preset', 'ultrafast', out,
    ]);
    return out;
  };
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['vfr.mkv', 'vfr.mp4'])('%s: every frame analysed, the variable rate reported, not taken for truncation', async (name) => {
    const r = await analyzeVideo(make(name), { backend: 'native' });
    expect(r.video.frameCount).toBe(72);
    expect(r.video.variableFrameRate).toBe(true);
    expect(r.scenes.at(-1)!.endFrame).toBe(72);
  });

  it('a constant-rate clip is not reported as variable', async () => {
    expect((await analyzed('cuts.mp4')).video.variableFrameRate).toBe(false);
  });
});
