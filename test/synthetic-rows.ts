/**
 * Synthetic CRF-model training data with a known ground truth (test/crf-model.test.ts,
 * test/uncertainty.test.ts): scenes' complexity, the law their VMAF and size follow, and dataset
 * rows measured from it with noise.
 */
import type { SceneComplexity } from '../src/analysis/complexity.js';
import { datasetRowSchema, type DatasetRow } from '../src/training/dataset.js';
import { mulberry32 } from '../src/util/random.js';

export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export const stats = (mean: number, spread: number) => ({ mean, p10: mean / spread, p50: mean, p90: mean * spread, max: mean * spread * 1.5 });

export function complexity(siMean: number, motionMean: number, extra: { edge?: number; noise?: number; luma?: number; ti?: number } = {}): SceneComplexity {
  return {
    frameCount: 48,
    lumaMean: extra.luma ?? 110,
    lumaVariance: 900,
    si: stats(siMean, 1.3),
    ti: stats(extra.ti ?? motionMean * 1.8 + 1, 1.4),
    motion: stats(motionMean, 1.5),
    mcResidual: stats(motionMean * 0.4, 1.5),
    edgeDensity: extra.edge ?? 0.1,
    noise: extra.noise ?? 1,
    score: 0.5,
  };
}

/**
 * Ground truth, stated in the scene's own statistics (not in the model's code): with
 * s = ln(1 + si.mean), m = ln(1 + motion.mean) and x = crf/63,
 *   VMAF mean = 100 − exp(−1.6 + 0.35 s + 0.3 m + (1.6 + 0.15 s + 0.2 m) x + x²)
 *   VMAF p5   = 100 − exp(−1.4 + 0.35 s + 0.4 m + (1.6 + 0.15 s + 0.2 m) x + x²)
 *   bytes per frame = width · height · exp(−6.5 + 0.5 s + 0.6 m + 0.9 x − 4.1 x²)
 * The curvature is what a real SVT-AV1 preset-8 scene showed between CRF 20 and 52 (ln(100 − VMAF)
 * slightly convex, ln(size) clearly concave: its drop per 8 CRF grows from 0.3 to 0.7). The other
 * inputs (edges, noise, luma, resolution) have no effect.
 */
export function truth(c: SceneComplexity, width: number, height: number, crf: number): { mean: number; p5: number; bytesPerFrame: number } {
  const s = Math.log1p(c.si.mean);
  const m = Math.log1p(c.motion.mean);
  const x = crf / 63;
  const slope = 1.6 + 0.15 * s + 0.2 * m;
  return {
    mean: 100 - Math.exp(-1.6 + 0.35 * s + 0.3 * m + slope * x + x * x),
    p5: 100 - Math.exp(-1.4 + 0.35 * s + 0.4 * m + slope * x + x * x),
    bytesPerFrame: width * height * Math.exp(-6.5 + 0.5 * s + 0.6 * m + 0.9 * x - 4.1 * x * x),
  };
}

export const DATA_CRFS = [20, 28, 36, 44, 52];

export interface SyntheticVideo {
  name: string;
  width: number;
  height: number;
  scenes: SceneComplexity[];
}

/** A video whose scenes have their own mix of detail and motion (videos differ in style). */
export function syntheticVideo(name: string, seed: number, sceneCount = 12): SyntheticVideo {
  const rand = mulberry32(seed);
  const [width, height] = rand() < 0.5 ? [1280, 720] : [1920, 1080];
  const siCenter = 8 + rand() * 50;
  const motionCenter = 0.3 + rand() * 8;
  const scenes = Array.from({ length: sceneCount }, () =>
    complexity(siCenter * Math.exp(0.5 * gaussian(rand)), motionCenter * Math.exp(0.6 * gaussian(rand)), {
      edge: 0.02 + rand() * 0.25,
      noise: rand() * 4,
      luma: 30 + rand() * 180,
    }),
  );
  return { name, width, height, scenes };
}

export function rowsOf(v: SyntheticVideo, seed: number, noise = { vmaf: 0.3, lnBytes: 0.03 }): DatasetRow[] {
  const rand = mulberry32(seed);
  const rows: DatasetRow[] = [];
  v.scenes.forEach((c, scene) => {
    for (const crf of DATA_CRFS) {
      const t = truth(c, v.width, v.height, crf);
      const frames = 48;
      const mean = t.mean + noise.vmaf * gaussian(rand);
      rows.push(
        datasetRowSchema.parse({
          video: v.name,
          width: v.width,
          height: v.height,
          fps: 24,
          encoder: 'svt-av1',
          preset: 8,
          crf,
          scene,
          startFrame: scene * 48,
          endFrame: scene * 48 + 48,
          frames,
          complexity: c,
          vmafMean: mean,
          vmafP5: Math.min(mean, t.p5 + noise.vmaf * gaussian(rand)),
          vmafMin: Math.min(mean, t.p5) - 2,
          bytes: Math.round(frames * t.bytesPerFrame * Math.exp(noise.lnBytes * gaussian(rand))),
          encodeSeconds: 1,
        }),
      );
    }
  });
  return rows;
}
