/**
 * Both ffmpeg backends must measure the same features (issue 21, item 4): the wasm decode once
 * converted limited-range luma to full range (`format=gray` while scaling), so SI, TI and motion
 * came out ×255/219 and plans changed. Every fixture, native vs wasm, per scene.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeVideo, type AnalysisResult } from '../src/analysis/analyze.js';
import { hasNativeFfmpeg } from './helpers.js';

const fixtures = readdirSync('fixtures').filter((f) => /\.(mp4|mkv)$/.test(f)).sort();

/** Relative difference, with a floor so values near zero (a still scene's motion) compare absolutely. */
function close(native: number, wasm: number, floor: number): boolean {
  return Math.abs(native - wasm) <= 0.01 * Math.max(Math.abs(native), floor);
}

describe.skipIf(!hasNativeFfmpeg)('native and wasm backends measure the same features', () => {
  it.each(fixtures)('%s: SI, TI, motion and the complexity score per scene within 1%%', async (name) => {
    const input = join('fixtures', name);
    const native: AnalysisResult = await analyzeVideo(input, { backend: 'native' });
    const wasm: AnalysisResult = await analyzeVideo(input, { backend: 'wasm' });
    expect(wasm.analysis).toMatchObject({ width: native.analysis.width, height: native.analysis.height, bitDepth: native.analysis.bitDepth });
    expect(wasm.scenes.map((s) => [s.startFrame, s.endFrame])).toEqual(native.scenes.map((s) => [s.startFrame, s.endFrame]));
    const off: string[] = [];
    native.scenes.forEach((n, i) => {
      const w = wasm.scenes[i]!.complexity;
      const pairs: Array<[string, number, number, number]> = [
        ['si', n.complexity.si.mean, w.si.mean, 1],
        ['ti', n.complexity.ti.mean, w.ti.mean, 1],
        ['motion', n.complexity.motion.mean, w.motion.mean, 0.1],
        ['score', n.complexity.score, w.score, 0.01],
      ];
      for (const [k, a, b, floor] of pairs) if (!close(a, b, floor)) off.push(`scene ${i} ${k}: native ${a.toFixed(4)}, wasm ${b.toFixed(4)}`);
    });
    expect(off).toEqual([]);
  });
});
