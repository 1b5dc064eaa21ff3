/**
 * Calibrating a CRF model's prediction intervals (src/model/uncertainty.ts) leave-one-video-out:
 * for each video, the model is fitted on the other videos (with the same nearest-scene blend),
 * its held-out scenes are predicted, and every held-out row in the target band gives an error and
 * the scene's novelty against that fold's training scenes. The interval law is then the narrowest
 * `halfWidth × (1 + perNovelty × novelty)` that covers `coverage` of those rows.
 */
import { quantileSorted } from 'simple-statistics';
import { InvalidOptionsError } from '../errors.js';
import { CRF_RANGE } from '../core/encoders.js';
import { curveQuality, type QualityStat } from '../core/curve.js';
import { parseCrfModel, type CrfModel, type CrfModelUncertainty } from '../model/format.js';
import { modelFeatures } from '../model/features.js';
import { predictSceneCurve, sceneDistance2, standardized } from '../model/predict.js';
import { intervalHalfWidth, type IntervalLaw } from '../model/uncertainty.js';
import { TARGET_BAND, valueAt } from './cross-validate.js';
import { checkRows, rowsByScene, type DatasetRow } from './dataset.js';
import { withNearestScenes } from './nearest-scenes.js';
import { fitPolynomialModel, resolveFitOptions, type CrfFitOptions } from './polynomial-fit.js';

/** perNovelty values tried by `fitIntervalLaw`. */
const PER_NOVELTY_GRID = [0, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3];
/**
 * The least growth with novelty a calibrated law may have. A few training videos cannot show how
 * error grows far from every one of them; a law that did not widen there would claim that a scene
 * unlike anything in training is as predictable as a familiar one.
 */
export const MIN_PER_NOVELTY = 0.25;

/** One calibration observation: a held-out row's absolute error and its scene's novelty. */
export interface CalibrationPoint {
  error: number;
  novelty: number;
}

/**
 * The narrowest law (mean half-width over the points) covering `coverage` of `points`, with
 * perNovelty from the grid and at least `minPerNovelty`. Pure.
 */
export function fitIntervalLaw(points: readonly CalibrationPoint[], coverage: number, minPerNovelty = MIN_PER_NOVELTY): IntervalLaw & { covered: number } {
  if (points.length === 0) throw new InvalidOptionsError('calibration', 'no held-out rows in the target band');
  if (!(coverage > 0 && coverage < 1)) throw new InvalidOptionsError('calibration', `coverage must be in (0, 1), got ${coverage}`);
  let best: (IntervalLaw & { width: number }) | undefined;
  for (const b of PER_NOVELTY_GRID.filter((g) => g >= minPerNovelty).concat(minPerNovelty > 0 && !PER_NOVELTY_GRID.includes(minPerNovelty) ? [minPerNovelty] : [])) {
    const scaled = points.map((p) => p.error / (1 + b * p.novelty)).sort((x, y) => x - y);
    const h = Math.max(1e-3, quantileSorted(scaled, coverage));
    const law = { halfWidth: h, perNovelty: b };
    const width = points.reduce((s, p) => s + intervalHalfWidth(law, p.novelty), 0) / points.length;
    if (!best || width < best.width) best = { ...law, width };
  }
  const law = { halfWidth: best!.halfWidth, perNovelty: best!.perNovelty };
  const covered = points.filter((p) => p.error <= intervalHalfWidth(law, p.novelty) + 1e-12).length / points.length;
  return { ...law, covered };
}

export interface CalibrationOptions extends CrfFitOptions {
  /** The share of held-out rows the interval must cover. Default 0.8. */
  coverage?: number;
  /** The nearest-scene blend of the model being calibrated (its `neighbours.k` and `weight`); absent: the polynomial alone. */
  neighbours?: { k: number; weight: number };
  minPerNovelty?: number;
}

export interface CalibrationResult {
  uncertainty: CrfModelUncertainty;
  /** Every held-out observation, per statistic (for reports and plots). */
  points: Record<QualityStat, (CalibrationPoint & { video: string; scene: number; crf: number })[]>;
}

/** The model fitted on `rows` the way the calibrated model is (polynomial, then the blend if any). */
function foldModel(rows: readonly DatasetRow[], o: CalibrationOptions): CrfModel {
  const poly = fitPolynomialModel(rows, resolveFitOptions(o));
  return o.neighbours ? withNearestScenes(poly, rows, o.neighbours) : poly;
}

/**
 * Leave-one-video-out calibration of the interval law (see the module comment). Needs at least
 * two videos; with few videos the law is rough, and `covered` on videos outside `rows` is the
 * honest check (bench/calibrate-uncertainty.ts reports it).
 */
export function calibrateUncertainty(rows: readonly DatasetRow[], opts: CalibrationOptions = {}): CalibrationResult {
  const coverage = opts.coverage ?? 0.8;
  checkRows(rows);
  const videos = [...new Set(rows.map((r) => r.video))].sort();
  if (videos.length < 2) throw new InvalidOptionsError('training rows', `leave-one-video-out calibration needs at least 2 videos, got ${videos.length}`);
  const range = CRF_RANGE[rows[0]!.encoder];
  const points: CalibrationResult['points'] = { mean: [], p5: [] };
  const rawNovelty: number[] = [];
  let scenes = 0;
  let bandRows = 0;
  for (const video of videos) {
    const train = rows.filter((r) => r.video !== video);
    const model = foldModel(train, opts);
    // The fold's training scenes, as the runtime sees them: the stored neighbours, or every training scene's features.
    const trainFeatures = model.neighbours
      ? model.neighbours.scenes.map((s) => s.features)
      : rowsByScene(train).map((sr) => modelFeatures(sr[0]!.complexity, sr[0]!, model.proxy, sr[0]!.proxy));
    for (const sceneRows of rowsByScene(rows.filter((r) => r.video === video))) {
      const r0 = sceneRows[0]!;
      const zs = standardized(model, r0.complexity, r0, r0.proxy);
      const distance = Math.sqrt(Math.min(...trainFeatures.map((f) => sceneDistance2(f, zs, model.standardize))));
      const lo = Math.min(range.min, ...sceneRows.map((r) => Math.floor(r.crf)));
      const hi = Math.max(range.max, ...sceneRows.map((r) => Math.ceil(r.crf)));
      const curve = predictSceneCurve(model, r0.complexity, r0, { min: lo, max: hi }, r0.proxy);
      scenes++;
      rawNovelty.push(distance);
      for (const r of sceneRows) {
        let inBand = false;
        for (const stat of ['mean', 'p5'] as const) {
          const measured = stat === 'p5' ? r.vmafP5 : r.vmafMean;
          if (measured < TARGET_BAND.min || measured > TARGET_BAND.max) continue;
          inBand = true;
          const error = Math.abs(valueAt(curve.crfs, curveQuality(curve, stat), r.crf) - measured);
          points[stat].push({ error, novelty: distance, video, scene: r.scene, crf: r.crf });
        }
        if (inBand) bandRows++;
      }
    }
  }
  const sorted = rawNovelty.slice().sort((a, b) => a - b);
  const noveltyScale = Math.max(1e-6, quantileSorted(sorted, 0.5));
  for (const stat of ['mean', 'p5'] as const) for (const p of points[stat]) p.novelty /= noveltyScale;
  const fit = (stat: QualityStat) => fitIntervalLaw(points[stat], coverage, opts.minPerNovelty);
  const mean = fit('mean');
  const p5 = fit('p5');
  return {
    uncertainty: {
      coverage,
      mean: { halfWidth: mean.halfWidth, perNovelty: mean.perNovelty },
      p5: { halfWidth: p5.halfWidth, perNovelty: p5.perNovelty },
      noveltyScale,
      novelAbove: Math.max(1, quantileSorted(sorted, 0.95) / noveltyScale),
      calibration: { folds: 'leave-one-video-out', scenes, rows: bandRows, covered: { mean: mean.covered, p5: p5.covered } },
    },
    points,
  };
}

/** `model` with the interval law calibrated on `rows` (the rows it was trained on, and the same fit options). */
export function withCalibratedUncertainty(model: CrfModel, rows: readonly DatasetRow[], opts: Omit<CalibrationOptions, 'neighbours' | 'degree' | 'lambda' | 'weighting'> = {}): CrfModel {
  const { uncertainty } = calibrateUncertainty(rows, {
    ...opts,
    degree: model.degree,
    lambda: model.training.lambda,
    weighting: model.training.weighting,
    proxy: model.proxy !== undefined,
    ...(model.neighbours ? { neighbours: { k: model.neighbours.k, weight: model.neighbours.weight } } : {}),
  });
  return parseCrfModel({ ...model, uncertainty }, 'CRF model with calibrated uncertainty');
}
