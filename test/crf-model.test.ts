import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SceneComplexity } from '../src/analysis/complexity.js';
import { InvalidOptionsError, ModelInvalidError } from '../src/errors.js';
import { modelFeatureNames, modelFeatures } from '../src/model/features.js';
import { crfModelSchema, defaultCrfModelPath, loadCrfModel, parseCrfModel, saveCrfModel, type CrfModel } from '../src/model/format.js';
import { predictSceneCurve } from '../src/model/predict.js';
import { vmafToT, type SceneCurve } from '../src/core/curve.js';
import { crossValidateCrfModel, TARGET_BAND } from '../src/training/cross-validate.js';
import { datasetRowSchema, type DatasetRow } from '../src/training/dataset.js';
import { fitCrfModel } from '../src/training/fit.js';
import { withNearestScenes } from '../src/training/nearest-scenes.js';
import { CRF_RANGE } from '../src/core/encoders.js';
import { mulberry32 } from '../src/util/random.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');


import { complexity, DATA_CRFS, gaussian, rowsOf, stats, syntheticVideo, truth } from './synthetic-rows.js';

const trainVideos = Array.from({ length: 6 }, (_, i) => syntheticVideo(`train-${i}.mkv`, 100 + i));
const trainRows = trainVideos.flatMap((v, i) => rowsOf(v, 200 + i));
const heldOut = syntheticVideo('held-out.mkv', 999, 20);

/** Every broken SceneCurve invariant, as text (empty when the curve is valid). */
function invariantViolations(curve: SceneCurve, range: { min: number; max: number }): string[] {
  const bad: string[] = [];
  const n = range.max - range.min + 1;
  if (curve.crfs.length !== n || curve.crfs.some((c, i) => c !== range.min + i)) bad.push(`crfs are not ${range.min}..${range.max}`);
  for (const key of ['vmafMean', 'vmafP5', 'bytesPerFrame'] as const) if (curve[key].length !== n) bad.push(`${key} has ${curve[key].length} entries, want ${n}`);
  for (let i = 0; i < n; i++) {
    const at = `crf ${curve.crfs[i]}`;
    for (const key of ['vmafMean', 'vmafP5'] as const) {
      const q = curve[key][i]!;
      if (!(q >= 0 && q <= 100)) bad.push(`${at}: ${key} ${q} outside 0..100`);
      if (i > 0 && !(q <= curve[key][i - 1]!)) bad.push(`${at}: ${key} rises from ${curve[key][i - 1]} to ${q}`);
    }
    if (!(curve.vmafP5[i]! <= curve.vmafMean[i]!)) bad.push(`${at}: p5 ${curve.vmafP5[i]} > mean ${curve.vmafMean[i]}`);
    const b = curve.bytesPerFrame[i]!;
    if (!(Number.isFinite(b) && b > 0)) bad.push(`${at}: bytesPerFrame ${b} is not positive and finite`);
    if (i > 0 && !(b < curve.bytesPerFrame[i - 1]!)) bad.push(`${at}: bytesPerFrame ${b} does not drop from ${curve.bytesPerFrame[i - 1]}`);
  }
  return bad;
}

function expectInvariants(curve: SceneCurve, range: { min: number; max: number }): void {
  expect(invariantViolations(curve, range)).toEqual([]);
}

const extremeScenes: Array<[string, SceneComplexity, { width: number; height: number; fps: number }]> = [
  ['all zero', { ...complexity(0, 0, { edge: 0, noise: 0, luma: 0, ti: 0 }), si: stats(0, 1), motion: stats(0, 1), ti: stats(0, 1) }, { width: 16, height: 16, fps: 1 }],
  ['huge detail and motion', complexity(1e6, 1e5, { edge: 1, noise: 1e4, luma: 255, ti: 1e5 }), { width: 7680, height: 4320, fps: 240 }],
  ['detailed but still', complexity(500, 0, { edge: 0.9 }), { width: 1920, height: 1080, fps: 24 }],
  ['flat but fast', complexity(0.5, 200, { noise: 50 }), { width: 320, height: 180, fps: 60 }],
  ['negative garbage', complexity(-5, -3, { edge: -1, noise: -2, luma: -10, ti: -1 }), { width: 1, height: 1, fps: 30 }],
];

describe('modelFeatures', () => {
  it('returns one finite value per feature name', () => {
    const f = modelFeatures(complexity(30, 2), { width: 1920, height: 1080, fps: 24 });
    expect(f).toHaveLength(modelFeatureNames.length);
    expect(f.every(Number.isFinite)).toBe(true);
    expect(f[modelFeatureNames.indexOf('log2(width*height)')]).toBeCloseTo(Math.log2(1920 * 1080), 12);
    expect(f[modelFeatureNames.indexOf('log1p(si.mean)')]).toBeCloseTo(Math.log1p(30), 12);
  });

  it('grows with detail and motion', () => {
    const video = { width: 1280, height: 720, fps: 30 };
    const lo = modelFeatures(complexity(5, 0.5), video);
    const hi = modelFeatures(complexity(60, 10), video);
    for (const name of ['log1p(si.mean)', 'log1p(si.p90)', 'log1p(motion.mean)', 'log1p(motion.p90)', 'log1p(ti.mean)'] as const)
      expect(hi[modelFeatureNames.indexOf(name)]!).toBeGreaterThan(lo[modelFeatureNames.indexOf(name)]!);
  });
});

describe('fitCrfModel / predictSceneCurve', () => {
  const model = fitCrfModel(trainRows, { degree: 2 });

  it('records what it was trained on', () => {
    expect(model.format).toBe('scenecrf-crf-model');
    expect(model.encoder).toBe('svt-av1');
    expect(model.preset).toBe(8);
    expect(model.degree).toBe(2);
    expect(model.features).toEqual([...modelFeatureNames]);
    expect(model.training.videos).toEqual(trainVideos.map((v) => v.name).sort());
    expect(model.training.rows).toBe(trainRows.length);
    expect(model.training.scenes).toBe(6 * 12);
    expect(model.training.crfs).toEqual(DATA_CRFS);
    expect(model.quality.mean).toHaveLength(3);
    expect(model.bits[0]).toHaveLength(modelFeatureNames.length + 1);
    expect(() => crfModelSchema.parse(model)).not.toThrow();
  });

  // (Degree 1 cannot follow the curved law: see the cross-validation comparison below.)
  for (const degree of [2, 3]) {
    it(`degree ${degree} recovers the ground truth on a held-out video`, () => {
      const m = degree === 2 ? model : fitCrfModel(trainRows, { degree, crossValidate: false });
      let errMean = 0;
      let errP5 = 0;
      let errBits = 0;
      let worst = 0;
      let n = 0;
      for (const c of heldOut.scenes) {
        const curve = predictSceneCurve(m, c, { width: heldOut.width, height: heldOut.height, fps: 24 });
        for (let crf = DATA_CRFS[0]!; crf <= DATA_CRFS.at(-1)!; crf++) {
          const t = truth(c, heldOut.width, heldOut.height, crf);
          const i = curve.crfs.indexOf(crf);
          errMean += Math.abs(curve.vmafMean[i]! - t.mean);
          errP5 += Math.abs(curve.vmafP5[i]! - t.p5);
          errBits += Math.abs(Math.log2(curve.bytesPerFrame[i]! / t.bytesPerFrame));
          worst = Math.max(worst, Math.abs(curve.vmafMean[i]! - t.mean));
          n++;
        }
      }
      expect(errMean / n).toBeLessThan(0.4);
      expect(errP5 / n).toBeLessThan(0.5);
      expect(errBits / n).toBeLessThan(0.05); // 3.5 % in size
      expect(worst).toBeLessThan(2);
    });
  }

  it('orders scenes like the truth: harder scenes lose more quality and cost more bytes', () => {
    const video = { width: 1920, height: 1080, fps: 24 };
    const easy = predictSceneCurve(model, complexity(10, 0.5), video);
    const hard = predictSceneCurve(model, complexity(50, 6), video);
    const i = easy.crfs.indexOf(40);
    expect(hard.vmafMean[i]!).toBeLessThan(easy.vmafMean[i]!);
    expect(hard.bytesPerFrame[i]!).toBeGreaterThan(easy.bytesPerFrame[i]!);
  });

  it('satisfies the SceneCurve invariants on ordinary scenes, over the default and a custom range', () => {
    for (const c of heldOut.scenes.slice(0, 5)) {
      expectInvariants(predictSceneCurve(model, c, { width: 1920, height: 1080, fps: 24 }), CRF_RANGE['svt-av1']);
      expectInvariants(predictSceneCurve(model, c, { width: 1920, height: 1080, fps: 24 }, { min: 0, max: 70 }), { min: 0, max: 70 });
      expectInvariants(predictSceneCurve(model, c, { width: 1920, height: 1080, fps: 24 }, { min: 30, max: 30 }), { min: 30, max: 30 });
    }
  });

  for (const [label, c, video] of extremeScenes)
    it(`satisfies the invariants for an extreme scene (${label})`, () => {
      expectInvariants(predictSceneCurve(model, c, video), CRF_RANGE['svt-av1']);
    });

  it('keeps the invariants whatever the coefficients say (random, steep, non-monotone models)', () => {
    const rand = mulberry32(7);
    const d = modelFeatureNames.length;
    const coef = (scale: number, degree: number) => Array.from({ length: degree + 1 }, () => Array.from({ length: d + 1 }, () => (rand() * 2 - 1) * scale));
    for (let trial = 0; trial < 60; trial++) {
      const degree = 1 + (trial % 3);
      const scale = [0.5, 5, 80][trial % 3]!;
      const random = parseCrfModel(
        {
          ...model,
          degree,
          standardize: { mean: model.standardize.mean, std: model.standardize.std.map(() => 0.01 + rand()) },
          quality: { mean: coef(scale, degree), p5: coef(scale, degree) },
          bits: coef(scale, degree),
          crossValidation: undefined,
        },
        'random',
      );
      const encoder = (['svt-av1', 'aom', 'vp9'] as const)[trial % 3]!;
      const m = { ...random, encoder };
      const [, c, video] = extremeScenes[trial % extremeScenes.length]!;
      expectInvariants(predictSceneCurve(m, c, video), CRF_RANGE[encoder]);
      expectInvariants(predictSceneCurve(m, heldOut.scenes[trial % heldOut.scenes.length]!, { width: 1920, height: 1080, fps: 30 }), CRF_RANGE[encoder]);
    }
  });

  it('does not extrapolate without bound: far outside the training data, more detail changes nothing', () => {
    const video = { width: 1920, height: 1080, fps: 24 };
    const far = predictSceneCurve(model, complexity(1e6, 5), video);
    const farther = predictSceneCurve(model, complexity(1e12, 5), video);
    expect(farther).toEqual(far);
  });

  it('inside the training CRFs the curve is the fitted law, even when the polynomial turns over just outside them', () => {
    // ln(100 − VMAF) = 1 − 4x + 6x² has its minimum at x = 1/3 (CRF 21): evaluated naively, VMAF
    // would fall again below CRF 21 and the running minimum from CRF 1 would cap the whole curve.
    const d = modelFeatureNames.length;
    const row = (...v: number[]) => [...v, ...Array.from({ length: d + 1 - v.length }, () => 0)];
    const turning = parseCrfModel(
      {
        ...model,
        degree: 2,
        quality: { mean: [row(1), row(-4), row(6)], p5: [row(1.5), row(-4), row(6)] },
        bits: [row(-6), row(1), row(-4)], // concave: peaks at x = 1/8 (CRF 8)
        training: { ...model.training, crfs: [30, 38, 46, 52] },
      },
      'turning',
    );
    const curve = predictSceneCurve(turning, heldOut.scenes[0]!, { width: 1280, height: 720, fps: 24 });
    expect(invariantViolations(curve, CRF_RANGE['svt-av1'])).toEqual([]);
    for (let crf = 30; crf <= 52; crf++) {
      const x = crf / 63;
      const i = curve.crfs.indexOf(crf);
      expect(curve.vmafMean[i]).toBeCloseTo(100 - Math.exp(1 - 4 * x + 6 * x * x), 9);
      expect(curve.vmafP5[i]).toBeCloseTo(100 - Math.exp(1.5 - 4 * x + 6 * x * x), 9);
      expect(curve.bytesPerFrame[i]! / (1280 * 720)).toBeCloseTo(Math.exp(-6 + x - 4 * x * x), 12);
    }
    // below the data, quality keeps rising and size keeps growing toward CRF 1
    const at = (crf: number) => curve.crfs.indexOf(crf);
    expect(curve.vmafMean[at(1)]!).toBeGreaterThan(curve.vmafMean[at(30)]! + 0.5);
    expect(curve.bytesPerFrame[at(1)]!).toBeGreaterThan(1.5 * curve.bytesPerFrame[at(30)]!);
  });

  it('extrapolates flat, not backwards, when the fitted slope at the edge of the data has the wrong sign', () => {
    const d = modelFeatureNames.length;
    const row = (...v: number[]) => [...v, ...Array.from({ length: d + 1 - v.length }, () => 0)];
    // size *growing* with CRF and quality *rising* with CRF: both wrong-signed everywhere
    const wrong = parseCrfModel(
      { ...model, degree: 1, quality: { mean: [row(3), row(-2)], p5: [row(3.2), row(-2)] }, bits: [row(-6), row(2)], training: { ...model.training, crfs: [30, 52] } },
      'wrong',
    );
    const curve = predictSceneCurve(wrong, heldOut.scenes[0]!, { width: 1280, height: 720, fps: 24 });
    expect(invariantViolations(curve, CRF_RANGE['svt-av1'])).toEqual([]);
    // below CRF 30 the curve holds the CRF-30 values instead of following the slope the wrong way
    expect(curve.vmafMean[0]).toBeCloseTo(100 - Math.exp(3 - (2 * 30) / 63), 9);
    expect(curve.bytesPerFrame[0]! / (1280 * 720)).toBeCloseTo(Math.exp(-6 + (2 * 30) / 63), 6);
  });

  it('ridge shrinks the feature terms, not the average curve', () => {
    const flat = fitCrfModel(trainRows, { lambda: 1e6, crossValidate: false });
    const video = { width: 1920, height: 1080, fps: 24 };
    const a = predictSceneCurve(flat, complexity(5, 0.3), video);
    const b = predictSceneCurve(flat, complexity(80, 12), video);
    const i = a.crfs.indexOf(36);
    expect(Math.abs(a.vmafMean[i]! - b.vmafMean[i]!)).toBeLessThan(0.05);
    const avg = trainRows.filter((r) => r.crf === 36).reduce((s, r) => s + r.vmafMean, 0) / (trainRows.length / DATA_CRFS.length);
    expect(Math.abs(a.vmafMean[i]! - avg)).toBeLessThan(3); // near the data's typical quality, not at 99 (intercepts shrunk)
  });

  it('is pure: the same inputs give the same curve', () => {
    const c = heldOut.scenes[3]!;
    const video = { width: 1280, height: 720, fps: 24 };
    expect(predictSceneCurve(model, c, video)).toEqual(predictSceneCurve(model, structuredClone(c), { ...video }));
  });

  it('rejects bad arguments with InvalidOptionsError', () => {
    const video = { width: 1920, height: 1080, fps: 24 };
    const c = heldOut.scenes[0]!;
    expect(() => predictSceneCurve(model, { ...c, edgeDensity: Number.NaN }, video)).toThrow(InvalidOptionsError);
    expect(() => predictSceneCurve(model, { ...c, si: { ...c.si, mean: Number.POSITIVE_INFINITY } }, video)).toThrow(InvalidOptionsError);
    expect(() => predictSceneCurve(model, c, { ...video, width: 0 })).toThrow(InvalidOptionsError);
    expect(() => predictSceneCurve(model, c, video, { min: 40, max: 30 })).toThrow(InvalidOptionsError);
    expect(() => predictSceneCurve(model, c, video, { min: 1.5, max: 30 })).toThrow(InvalidOptionsError);
    expect(() => fitCrfModel([])).toThrow(InvalidOptionsError);
    expect(() => fitCrfModel(trainRows, { degree: 0 })).toThrow(InvalidOptionsError);
    expect(() => fitCrfModel(trainRows, { degree: 4 })).toThrow(InvalidOptionsError);
    expect(() => fitCrfModel(trainRows, { lambda: -1 })).toThrow(InvalidOptionsError);
    expect(() => fitCrfModel([...trainRows.slice(0, 10), { ...trainRows[10]!, encoder: 'vp9' }])).toThrow(/mix encoders/);
    expect(() => fitCrfModel([...trainRows.slice(0, 10), { ...trainRows[10]!, preset: 4 }])).toThrow(/mix presets/);
    expect(() => fitCrfModel([...trainRows.slice(0, 10), { ...trainRows[10]!, vmafMean: Number.NaN }])).toThrow(InvalidOptionsError);
  });

  it('fits a single video (no cross-validation) and a constant feature without breaking', () => {
    const one = fitCrfModel(rowsOf(trainVideos[0]!, 1));
    expect(one.crossValidation).toBeUndefined();
    // every training video 1080p: log2(width*height) is constant
    const same = trainRows.map((r) => ({ ...r, width: 1920, height: 1080 }));
    for (const lambda of [0, 1e-3]) {
      const m = fitCrfModel(same, { lambda, crossValidate: false });
      expectInvariants(predictSceneCurve(m, heldOut.scenes[0]!, { width: 3840, height: 2160, fps: 24 }), CRF_RANGE['svt-av1']);
    }
  });
});

describe('withNearestScenes (nearest-scene blend)', () => {
  const polynomial = fitCrfModel(trainRows, { degree: 1, lambda: 1 });
  const video = { width: trainVideos[0]!.width, height: trainVideos[0]!.height, fps: 24 };
  // A training scene's own measured t at each grid CRF (one row per CRF).
  const measuredT = (scene: number) => trainRows.filter((r) => r.video === trainVideos[0]!.name && r.scene === scene).map((r) => vmafToT(r.vmafMean));
  const range = { min: DATA_CRFS[0]!, max: DATA_CRFS.at(-1)! };
  const tAtGrid = (curve: SceneCurve) => DATA_CRFS.map((c) => vmafToT(curve.vmafMean[c - range.min]!));

  it('stores every training scene with its measured curve', () => {
    const m = withNearestScenes(polynomial, trainRows, { k: 3, weight: 0.5 });
    expect(m.neighbours!.scenes).toHaveLength(6 * 12);
    expect(m.neighbours!.scenes[0]!.crfs).toEqual(DATA_CRFS);
    expect(m.neighbours!.scenes[0]!.tMean).toEqual(measuredT(0));
    expect(polynomial.neighbours).toBeUndefined();
  });

  it('with k 1 and weight 1, a training scene is predicted as its own measured curve', () => {
    const m = withNearestScenes(polynomial, trainRows, { k: 1, weight: 1 });
    for (const scene of [0, 5, 11]) {
      const curve = predictSceneCurve(m, trainVideos[0]!.scenes[scene]!, video, range);
      // Exact unless the running minimum bites on the noisy measurements.
      const want = measuredT(scene).map((t, i, all) => Math.max(t, ...all.slice(0, i)));
      tAtGrid(curve).forEach((t, i) => expect(t).toBeCloseTo(want[i]!, 9));
    }
  });

  it('weight w mixes the polynomial and the neighbours in t; the invariants hold', () => {
    const c = heldOut.scenes[3]!;
    const tPoly = tAtGrid(predictSceneCurve(polynomial, c, video, range));
    const tNear = tAtGrid(predictSceneCurve(withNearestScenes(polynomial, trainRows, { k: 5, weight: 1 }), c, video, range));
    const half = withNearestScenes(polynomial, trainRows, { k: 5, weight: 0.5 });
    tAtGrid(predictSceneCurve(half, c, video, range)).forEach((t, i) => expect(t).toBeCloseTo((tPoly[i]! + tNear[i]!) / 2, 6));
    for (const [, scene, v] of extremeScenes) expectInvariants(predictSceneCurve(half, scene, v), CRF_RANGE['svt-av1']);
  });

  it('the blend predicts held-out scenes at least as well as the polynomial on this smooth law', () => {
    const err = (m: CrfModel) =>
      heldOut.scenes.reduce((sum, c) => {
        const curve = predictSceneCurve(m, c, { width: heldOut.width, height: heldOut.height, fps: 24 }, range);
        return sum + DATA_CRFS.reduce((s2, crf) => s2 + Math.abs(curve.vmafMean[crf - range.min]! - truth(c, heldOut.width, heldOut.height, crf).mean), 0);
      }, 0);
    // The synthetic law is smooth and the polynomial's own form, so the blend cannot win much; it must not be far worse.
    expect(err(withNearestScenes(polynomial, trainRows, { k: 5, weight: 0.5 }))).toBeLessThan(2 * err(polynomial));
  });

  it('round-trips through a model file, and bad neighbours are a ModelInvalidError', async () => {
    const m = withNearestScenes(polynomial, trainRows, { k: 2, weight: 0.5 });
    const json = JSON.parse(JSON.stringify(m)) as CrfModel;
    expect(parseCrfModel(json, 'x')).toEqual(m);
    const broken = (f: (n: NonNullable<CrfModel['neighbours']>) => void) => {
      const copy = JSON.parse(JSON.stringify(m)) as CrfModel;
      f(copy.neighbours!);
      return () => parseCrfModel(copy, 'broken.json');
    };
    expect(broken((n) => (n.k = n.scenes.length + 1))).toThrow(/k \d+ is more than/);
    expect(broken((n) => n.scenes[0]!.tMean.pop())).toThrow(/one entry per CRF/);
    expect(broken((n) => n.scenes[1]!.crfs.reverse())).toThrow(/strictly increasing/);
    expect(broken((n) => n.scenes[2]!.features.pop())).toThrow(ModelInvalidError);
    expect(broken((n) => (n.weight = 0))).toThrow(ModelInvalidError);
  });

  it('refuses rows of another encoder, bad k or weight, and too few measured scenes, with InvalidOptionsError', () => {
    const vp9 = trainRows.map((r) => ({ ...r, encoder: 'vp9' as const }));
    expect(() => withNearestScenes(polynomial, vp9, { k: 1, weight: 1 })).toThrow(InvalidOptionsError);
    expect(() => withNearestScenes(polynomial, trainRows, { k: 0, weight: 1 })).toThrow(/k must be/);
    expect(() => withNearestScenes(polynomial, trainRows, { k: 2.5, weight: 1 })).toThrow(InvalidOptionsError);
    expect(() => withNearestScenes(polynomial, trainRows, { k: 3, weight: 0 })).toThrow(/weight must be/);
    expect(() => withNearestScenes(polynomial, trainRows, { k: 3, weight: 1.5 })).toThrow(InvalidOptionsError);
    // One CRF per scene: no curve to store.
    expect(() => withNearestScenes(polynomial, trainRows.filter((r) => r.crf === 36), { k: 1, weight: 1 })).toThrow(/0 scenes have two or more CRFs/);
    expect(() => withNearestScenes(polynomial, trainRows, { k: 1000, weight: 1 })).toThrow(/k is 1000/);
  });
});

describe('crossValidateCrfModel', () => {
  it('returns pooled and per-video leave-one-video-out errors', () => {
    const cv = crossValidateCrfModel(trainRows, { degree: 2 });
    expect(cv.folds).toBe('leave-one-video-out');
    expect(cv.rows).toBe(trainRows.length);
    expect(cv.perVideo.map((p) => p.video)).toEqual(trainVideos.map((v) => v.name).sort());
    expect(cv.perVideo.reduce((s, p) => s + p.rows, 0)).toBe(trainRows.length);
    for (const p of cv.perVideo) {
      expect(p.rows).toBe(12 * DATA_CRFS.length);
      for (const v of [p.vmafMeanMae, p.vmafP5Mae, p.log2BytesMae]) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
      }
    }
    // The data's noise is 0.3 VMAF (MAE ≈ 0.24) and 0.03 in ln bytes: CV errors must be near it.
    expect(cv.vmafMeanMae).toBeGreaterThan(0.1);
    expect(cv.vmafMeanMae).toBeLessThan(0.6);
    expect(cv.vmafP5Mae).toBeLessThan(0.7);
    expect(cv.log2BytesMae).toBeLessThan(0.1);
    expect(cv.vmafMeanWithin2).toBeGreaterThan(0.95);
    expect(cv.vmafMeanWithin2).toBeLessThanOrEqual(1);
  });

  it('prefers a quadratic in CRF when the law is curved (as real size curves are)', () => {
    const linear = crossValidateCrfModel(trainRows, { degree: 1 });
    const quadratic = crossValidateCrfModel(trainRows, { degree: 2 });
    expect(quadratic.log2BytesMae).toBeLessThan(0.5 * linear.log2BytesMae);
    expect(quadratic.vmafMeanMae).toBeLessThan(linear.vmafMeanMae);
    expect(quadratic.vmafP5Mae).toBeLessThan(linear.vmafP5Mae);
  });

  it('scores the band where targets are set (measured VMAF 80..99) separately', () => {
    const cv = crossValidateCrfModel(trainRows, { degree: 1, lambda: 0.01 });
    const band = cv.band!;
    expect([band.min, band.max]).toEqual([TARGET_BAND.min, TARGET_BAND.max]);
    // Recomputed independently: each held-out video's in-band rows against a model fitted without it.
    let meanRows = 0;
    let meanErr = 0;
    let p5Rows = 0;
    let p5Err = 0;
    for (const v of [...new Set(trainRows.map((r) => r.video))]) {
      const model = fitCrfModel(trainRows.filter((r) => r.video !== v), { degree: 1, lambda: 0.01, crossValidate: false });
      for (const r of trainRows.filter((x) => x.video === v)) {
        const curve = predictSceneCurve(model, r.complexity, r);
        const i = r.crf - curve.crfs[0]!;
        if (r.vmafMean >= 80 && r.vmafMean <= 99) {
          meanRows++;
          meanErr += Math.abs(curve.vmafMean[i]! - r.vmafMean);
        }
        if (r.vmafP5 >= 80 && r.vmafP5 <= 99) {
          p5Rows++;
          p5Err += Math.abs(curve.vmafP5[i]! - r.vmafP5);
        }
      }
    }
    expect(meanRows).toBeGreaterThan(0);
    expect(meanRows).toBeLessThan(trainRows.length); // the data has rows outside the band too
    expect(band.meanRows).toBe(meanRows);
    expect(band.p5Rows).toBe(p5Rows);
    expect(band.vmafMeanMae).toBeCloseTo(meanErr / meanRows, 9);
    expect(band.vmafP5Mae).toBeCloseTo(p5Err / p5Rows, 9);
  });

  it('is what fitCrfModel stores', () => {
    const cv = crossValidateCrfModel(trainRows, { degree: 1, lambda: 0.01, weighting: 'video' });
    const m = fitCrfModel(trainRows, { degree: 1, lambda: 0.01, weighting: 'video' });
    expect(m.crossValidation).toEqual(cv);
    expect(m.training.lambda).toBe(0.01);
    expect(m.training.weighting).toBe('video');
  });

  it('scores a clearly worse model as worse (a misfit law)', () => {
    // Quality depends on detail, but a huge ridge penalty removes every feature term.
    const good = crossValidateCrfModel(trainRows, { lambda: 1e-3 });
    const bad = crossValidateCrfModel(trainRows, { lambda: 1e6 });
    expect(bad.vmafMeanMae).toBeGreaterThan(2 * good.vmafMeanMae);
    expect(bad.log2BytesMae).toBeGreaterThan(2 * good.log2BytesMae);
  });

  it('needs at least two videos', () => {
    expect(() => crossValidateCrfModel(rowsOf(trainVideos[0]!, 1))).toThrow(InvalidOptionsError);
  });
});

describe('model files', () => {
  let dir: string;
  const model = fitCrfModel(trainRows, { crossValidate: true });
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scenecrf-crf-model-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('save → load round-trips to identical predictions', async () => {
    const file = path.join(dir, 'crf-svt-av1-v1.json');
    await saveCrfModel(model, file);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const loaded = await loadCrfModel(file);
    expect(loaded).toEqual(model);
    for (const c of [...heldOut.scenes.slice(0, 4), ...extremeScenes.map((e) => e[1])]) {
      const video = { width: 1920, height: 1080, fps: 24 };
      expect(predictSceneCurve(loaded, c, video)).toEqual(predictSceneCurve(model, c, video));
    }
  });

  it('refuses to save an invalid model', async () => {
    await expect(saveCrfModel({ ...model, degree: 7 }, path.join(dir, 'bad.json'))).rejects.toThrow(InvalidOptionsError);
  });

  const corrupt = async (name: string, text: string, pattern: RegExp): Promise<void> => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    const err = await loadCrfModel(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelInvalidError);
    expect((err as ModelInvalidError).code).toBe('MODEL_INVALID');
    expect((err as ModelInvalidError).path).toBe(file);
    expect((err as Error).message).toContain(name);
    expect((err as Error).message).toMatch(pattern);
  };
  const json = (m: unknown): string => JSON.stringify(m);

  it('rejects a file that is not JSON', async () => {
    await corrupt('not-json.json', '{"format": "scenecrf-crf-model", ', /not valid JSON/);
    await corrupt('nan-literal.json', json(model).replace(/-?\d+\.\d+/, 'NaN'), /not valid JSON/);
  });

  it('rejects a missing file', async () => {
    const file = path.join(dir, 'missing.json');
    await expect(loadCrfModel(file)).rejects.toThrow(ModelInvalidError);
    await expect(loadCrfModel(file)).rejects.toThrow(/missing\.json.*ENOENT/);
  });

  it('rejects the wrong format or version', async () => {
    await corrupt('wrong-format.json', json({ ...model, format: 'scenecrf-vmaf-fusion' }), /format/);
    await corrupt('wrong-version.json', json({ ...model, version: 2 }), /version/);
    await corrupt('array.json', '[1, 2, 3]', /not a scenecrf-crf-model v1 model/);
  });

  it('rejects wrong coefficient and standardisation lengths', async () => {
    await corrupt('short-row.json', json({ ...model, bits: model.bits.map((r, k) => (k === 1 ? r.slice(1) : r)) }), /bits\.1/);
    await corrupt('extra-row.json', json({ ...model, quality: { ...model.quality, p5: [...model.quality.p5, model.quality.p5[0]] } }), /quality\.p5/);
    await corrupt('degree-mismatch.json', json({ ...model, degree: 1 }), /degree/);
    await corrupt('short-std.json', json({ ...model, standardize: { ...model.standardize, std: model.standardize.std.slice(1) } }), /standardize\.std/);
    await corrupt('zero-std.json', json({ ...model, standardize: { ...model.standardize, std: model.standardize.std.map(() => 0) } }), /standardize\.std/);
  });

  it('rejects a model made for other features', async () => {
    const features: string[] = [...modelFeatureNames];
    features[2] = 'log1p(motion.max)';
    await corrupt('features.json', json({ ...model, features }), /features/);
  });

  it('rejects non-finite numbers (NaN serialises to null; Infinity in an object)', async () => {
    const nan = structuredClone(model);
    nan.quality.mean[1]![3] = Number.NaN;
    await corrupt('nan.json', json(nan), /quality\.mean\.1\.3/);
    const inf = structuredClone(model);
    inf.standardize.mean[0] = Number.POSITIVE_INFINITY;
    expect(() => parseCrfModel(inf, 'in-memory.json')).toThrow(ModelInvalidError);
    expect(() => parseCrfModel(nan, 'in-memory.json')).toThrow(/in-memory\.json/);
  });

  it('writes numbers at full precision in a readable file', async () => {
    const file = path.join(dir, 'pretty.json');
    await saveCrfModel(model, file);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('"format": "scenecrf-crf-model"');
    expect(JSON.parse(text).bits).toEqual(model.bits);
  });

  it('names the default model under the package root models/ folder', () => {
    expect(defaultCrfModelPath('svt-av1')).toBe(path.join(repoRoot, 'models', 'crf-svt-av1-v1.json'));
    expect(defaultCrfModelPath('vp9')).toBe(path.join(repoRoot, 'models', 'crf-vp9-v1.json'));
    expect(() => defaultCrfModelPath('x264' as never)).toThrow(InvalidOptionsError);
  });
});

// A model type check: CrfModel is the file's content, so a parsed literal is assignable.
const _typecheck: (m: CrfModel) => number = (m) => m.degree;
void _typecheck;
