/**
 * Prediction intervals (src/model/uncertainty.ts, src/training/calibrate.ts) on synthetic data with
 * a known law, and `probes: 'auto'` end to end on the demo clip with real encodes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCrfModelPath, loadCrfModel, parseCrfModel, type CrfModel } from '../src/model/format.js';
import { predictSceneCurve } from '../src/model/predict.js';
import { intervalHalfWidth, intervalLaw, plausibleCrfs, sceneNovelty, sceneUncertainty, scenesToProbe } from '../src/model/uncertainty.js';
import { calibrateUncertainty, fitIntervalLaw, MIN_PER_NOVELTY, withCalibratedUncertainty } from '../src/training/calibrate.js';
import { fitCrfModel } from '../src/training/fit.js';
import { withNearestScenes } from '../src/training/nearest-scenes.js';
import { planEncode } from '../src/optimize/plan-encode.js';
import { mulberry32 } from '../src/util/random.js';
import { complexity, rowsOf, syntheticVideo, truth } from './synthetic-rows.js';
import { hasNativeFfmpeg } from './helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO = path.join(repoRoot, 'fixtures', 'demo.mp4');

const trainVideos = Array.from({ length: 6 }, (_, i) => syntheticVideo(`train-${i}.mkv`, 300 + i));
const trainRows = trainVideos.flatMap((v, i) => rowsOf(v, 400 + i, { vmaf: 0.8, lnBytes: 0.05 }));

describe('fitIntervalLaw', () => {
  it('covers the asked share of points, and grows with novelty when the errors do', () => {
    const rand = mulberry32(5);
    // Errors whose spread is proportional to (1 + 2 × novelty): the law must find the growth.
    const growing = Array.from({ length: 400 }, () => {
      const novelty = rand() * 3;
      return { novelty, error: Math.abs(rand() * 2 * (1 + 2 * novelty)) };
    });
    const law = fitIntervalLaw(growing, 0.8);
    expect(law.covered).toBeCloseTo(0.8, 1);
    expect(law.perNovelty).toBeGreaterThan(MIN_PER_NOVELTY);
    // Errors that do not depend on novelty: the law keeps the least growth it may have.
    const flat = growing.map((p) => ({ novelty: p.novelty, error: rand() * 2 }));
    const flatLaw = fitIntervalLaw(flat, 0.8);
    expect(flatLaw.perNovelty).toBe(MIN_PER_NOVELTY);
    expect(flatLaw.covered).toBeCloseTo(0.8, 1);
    expect(() => fitIntervalLaw([], 0.8)).toThrow(/no held-out rows/);
  });
});

describe('calibrated intervals on a synthetic law', () => {
  let model: CrfModel;
  beforeAll(() => {
    const poly = fitCrfModel(trainRows);
    model = withCalibratedUncertainty(withNearestScenes(poly, trainRows, { k: 3, weight: 0.5 }), trainRows);
  });

  it('calibration covers about the asked share of held-out rows leave-one-video-out', () => {
    const u = model.uncertainty!;
    expect(u.coverage).toBe(0.8);
    expect(u.calibration.covered.mean).toBeGreaterThan(0.75);
    expect(u.calibration.covered.mean).toBeLessThan(0.9);
    expect(u.calibration.scenes).toBe(trainVideos.length * 12);
    expect(intervalLaw(model, 'mean').source).toBe('calibrated');
  });

  it('the interval widens off the training distribution', () => {
    const video = { width: trainVideos[0]!.width, height: trainVideos[0]!.height, fps: 24 };
    const familiar = trainVideos[0]!.scenes[0]!;
    const far = complexity(900, 60, { edge: 0.9, noise: 30, luma: 250 });
    const near = sceneNovelty(model, familiar, video);
    const away = sceneNovelty(model, far, video);
    expect(near).toBeLessThan(0.5); // a training scene is (almost) its own nearest neighbour
    expect(away).toBeGreaterThan(model.uncertainty!.novelAbove);
    const at = (c: typeof familiar) =>
      sceneUncertainty(model, { complexity: c, video, curve: predictSceneCurve(model, c, video) }, { crf: 36, stat: 'mean', target: 93 });
    const a = at(familiar);
    const b = at(far);
    expect(b.vmafHalfWidth).toBeGreaterThan(2 * a.vmafHalfWidth);
    expect([a.novel, b.novel]).toEqual([false, true]);
    // The interval is around the prediction at that CRF.
    const curve = predictSceneCurve(model, familiar, video);
    const v = curve.vmafMean[curve.crfs.indexOf(36)]!;
    expect(a.vmafLow).toBeCloseTo(Math.max(0, v - a.vmafHalfWidth), 9);
    expect(a.vmafHigh).toBeCloseTo(Math.min(100, v + a.vmafHalfWidth), 9);
  });

  it('on an unseen video of the same law, the interval covers about its share of rows', () => {
    const held = syntheticVideo('held-out.mkv', 777, 30);
    const video = { width: held.width, height: held.height, fps: 24 };
    let rows = 0;
    let covered = 0;
    for (const c of held.scenes) {
      const curve = predictSceneCurve(model, c, video);
      const h = intervalHalfWidth(model.uncertainty!.mean, sceneNovelty(model, c, video));
      for (const crf of [28, 36, 44]) {
        const measured = truth(c, held.width, held.height, crf).mean;
        if (measured < 80 || measured > 99) continue;
        rows++;
        if (Math.abs(curve.vmafMean[curve.crfs.indexOf(crf)]! - measured) <= h) covered++;
      }
    }
    expect(rows).toBeGreaterThan(20);
    expect(covered / rows).toBeGreaterThan(0.7);
  });

  it('a model without calibration gets a wide law from its cross-validation errors', async () => {
    const shipped = await loadCrfModel(defaultCrfModelPath('svt-av1'));
    const { uncertainty: _u, ...bare } = shipped;
    const l = intervalLaw(parseCrfModel(bare, 'bare'), 'mean');
    expect(l.source).toBe('cross-validation');
    expect(l.law.halfWidth).toBeGreaterThan(shipped.crossValidation!.band!.vmafMeanMae);
  });

  it('needs two videos', () => {
    expect(() => calibrateUncertainty(trainRows.filter((r) => r.video === 'train-0.mkv'))).toThrow(/at least 2 videos/);
  });
});

describe('plausibleCrfs and scenesToProbe', () => {
  it('the CRFs whose interval holds the target form one run', () => {
    const curve = { crfs: [30, 31, 32, 33, 34], vmafMean: [96, 95, 94, 93, 92], vmafP5: [94, 93, 92, 91, 90], bytesPerFrame: [5, 4, 3, 2, 1] };
    expect(plausibleCrfs(curve, 'mean', 94, 1)).toEqual({ crfLow: 31, crfHigh: 33 });
    expect(plausibleCrfs(curve, 'p5', 94, 0)).toEqual({ crfLow: 30, crfHigh: 30 });
    expect(plausibleCrfs(curve, 'mean', 99, 1)).toBeUndefined();
  });
  it('probes the unsure scenes, least sure first, within the budget', () => {
    expect(scenesToProbe([0.5, 3, 1.2, 0.9, 5], 1)).toEqual([4, 1, 2]);
    expect(scenesToProbe([0.5, 3, 1.2, 0.9, 5], 1, 2)).toEqual([4, 1]);
    expect(scenesToProbe([0.5, 0.9], 1)).toEqual([]);
  });
});

describe.runIf(hasNativeFfmpeg)("probes: 'auto' on the demo clip (real encodes)", () => {
  let dir: string;
  let shipped: CrfModel;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scenecrf-auto-probes-'));
    shipped = await loadCrfModel(defaultCrfModelPath('svt-av1'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The shipped model with a given interval law (the same for every scene at novelty 0). */
  const withLaw = (halfWidth: number, perNovelty: number): CrfModel =>
    parseCrfModel(
      {
        ...shipped,
        uncertainty: {
          coverage: 0.8,
          mean: { halfWidth, perNovelty },
          p5: { halfWidth, perNovelty },
          noveltyScale: 1,
          novelAbove: 1e9,
          calibration: { folds: 'leave-one-video-out', scenes: 2, rows: 2, covered: { mean: 0.8, p5: 0.8 } },
        },
      },
      'test model',
    );
  const plan = (model: CrfModel, extra: { maxProbes?: number } = {}) =>
    planEncode(DEMO, { encoder: 'svt-av1', targetVmaf: 93, probes: 'auto', probeFrames: 16, proxy: false, workDir: dir, ...extra }, { crfModel: model });

  it('skips the scenes the model is sure of and probes the unsure ones', async () => {
    const sure = await plan(withLaw(0.01, 0));
    expect(sure.scenes.flatMap((s) => s.probes)).toEqual([]);
    expect(sure.scenes.every((s) => s.uncertainty.vmafHalfWidth < 1)).toBe(true);

    // Intervals that grow with novelty: the scenes wider than the tolerance are probed, the others not.
    const mixed = withLaw(0.05, 1);
    const widths = sure.analysis.scenes.map((s) => intervalHalfWidth(mixed.uncertainty!.mean, sceneNovelty(mixed, s.complexity, sure.analysis.video)));
    const tolerance = [...widths].sort((a, b) => a - b)[Math.floor(widths.length / 2)]!;
    const r = await planEncode(
      DEMO,
      { encoder: 'svt-av1', targetVmaf: 93, probes: 'auto', autoProbeTolerance: tolerance, probeFrames: 16, proxy: false, workDir: dir },
      { crfModel: mixed, analysis: sure.analysis },
    );
    const probed = r.scenes.filter((s) => s.probes.length > 0).map((s) => s.index);
    expect(probed).toEqual(widths.flatMap((w, i) => (w > tolerance ? [i] : [])));
    expect(probed.length).toBeGreaterThan(0);
    expect(probed.length).toBeLessThan(r.scenes.length);
    for (const s of r.scenes) expect(s.probes.length).toBeLessThanOrEqual(2);
  }, 240_000);

  it('maxProbes caps the probe encodes', async () => {
    const r = await plan(withLaw(20, 0), { maxProbes: 2 });
    expect(r.scenes.flatMap((s) => s.probes)).toHaveLength(2);
  }, 240_000);
});
