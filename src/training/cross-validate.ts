/** Leave-one-video-out cross-validation of the CRF model's fit. */
import { InvalidOptionsError } from '../errors.js';
import { CRF_RANGE } from '../core/encoders.js';
import type { SceneCurve } from '../core/curve.js';
import type { CrfCrossValidation } from '../model/format.js';
import { predictSceneCurve } from '../model/predict.js';
import { checkRows, type DatasetRow } from './dataset.js';
import { fitPolynomialModel, resolveFitOptions, type CrfFitOptions } from './polynomial-fit.js';

/** The VMAF band of `band` errors: where targets are set (a row at exactly 100 says little of the curve). */
export const TARGET_BAND = { min: 80, max: 99 } as const;

/** Linear interpolation of `ys` (sampled at consecutive integer `crfs`) at `crf`, clamped to the ends. */
export function valueAt(crfs: number[], ys: number[], crf: number): number {
  const u = Math.min(Math.max(crf - crfs[0]!, 0), crfs.length - 1);
  const i = Math.min(Math.floor(u), crfs.length - 2);
  if (i < 0) return ys[0]!;
  const f = u - i;
  return ys[i]! * (1 - f) + ys[i + 1]! * f;
}

interface ErrorSums {
  rows: number;
  mean: number;
  p5: number;
  log2Bytes: number;
  within2: number;
  bandMeanRows: number;
  bandMean: number;
  bandP5Rows: number;
  bandP5: number;
}

const noErrors = (): ErrorSums => ({ rows: 0, mean: 0, p5: 0, log2Bytes: 0, within2: 0, bandMeanRows: 0, bandMean: 0, bandP5Rows: 0, bandP5: 0 });
const inBand = (v: number): boolean => v >= TARGET_BAND.min && v <= TARGET_BAND.max;

/**
 * Leave-one-video-out cross-validation: for each video, fit on the other videos' rows and predict
 * its scenes (through `predictSceneCurve`, so the invariants are part of what is scored); errors
 * are over the held-out rows at the CRFs in the data. Needs at least two videos.
 */
export function crossValidateCrfModel(rows: readonly DatasetRow[], opts: CrfFitOptions = {}): CrfCrossValidation {
  const o = resolveFitOptions(opts);
  checkRows(rows);
  const videos = [...new Set(rows.map((r) => r.video))].sort();
  if (videos.length < 2) throw new InvalidOptionsError('training rows', `leave-one-video-out cross-validation needs at least 2 videos, got ${videos.length}`);
  const encoderRange = CRF_RANGE[rows[0]!.encoder];
  const total = noErrors();
  const perVideo: CrfCrossValidation['perVideo'] = [];
  for (const video of videos) {
    const test = rows.filter((r) => r.video === video);
    const model = fitPolynomialModel(rows.filter((r) => r.video !== video), o);
    const lo = Math.min(encoderRange.min, ...test.map((r) => Math.floor(r.crf)));
    const hi = Math.max(encoderRange.max, ...test.map((r) => Math.ceil(r.crf)));
    const curves = new Map<string, SceneCurve>();
    const e = noErrors();
    for (const r of test) {
      const key = JSON.stringify([r.complexity, r.width, r.height, r.proxy]);
      let curve = curves.get(key);
      if (!curve) curves.set(key, (curve = predictSceneCurve(model, r.complexity, r, { min: lo, max: hi }, r.proxy)));
      const dm = Math.abs(valueAt(curve.crfs, curve.vmafMean, r.crf) - r.vmafMean);
      const dp = Math.abs(valueAt(curve.crfs, curve.vmafP5, r.crf) - r.vmafP5);
      e.rows++;
      e.mean += dm;
      e.p5 += dp;
      if (inBand(r.vmafMean)) {
        e.bandMeanRows++;
        e.bandMean += dm;
      }
      if (inBand(r.vmafP5)) {
        e.bandP5Rows++;
        e.bandP5 += dp;
      }
      e.log2Bytes += Math.abs(Math.log2(valueAt(curve.crfs, curve.bytesPerFrame, r.crf)) - Math.log2(r.bytes / r.frames));
      if (dm <= 2) e.within2++;
    }
    perVideo.push({ video, rows: e.rows, vmafMeanMae: e.mean / e.rows, vmafP5Mae: e.p5 / e.rows, log2BytesMae: e.log2Bytes / e.rows });
    for (const k of Object.keys(total) as (keyof ErrorSums)[]) total[k] += e[k];
  }
  return {
    folds: 'leave-one-video-out',
    rows: total.rows,
    vmafMeanMae: total.mean / total.rows,
    vmafP5Mae: total.p5 / total.rows,
    log2BytesMae: total.log2Bytes / total.rows,
    vmafMeanWithin2: total.within2 / total.rows,
    band: {
      ...TARGET_BAND,
      meanRows: total.bandMeanRows,
      p5Rows: total.bandP5Rows,
      vmafMeanMae: total.bandMeanRows ? total.bandMean / total.bandMeanRows : 0,
      vmafP5Mae: total.bandP5Rows ? total.bandP5 / total.bandP5Rows : 0,
    },
    perVideo,
  };
}
