/** Fitting a CRF model: the ridge fit with its cross-validation errors, validated as a model file. */
import { parseCrfModel, type CrfModel } from '../model/format.js';
import type { DatasetRow } from './dataset.js';
import { crossValidateCrfModel } from './cross-validate.js';
import { fitPolynomialModel, resolveFitOptions, type CrfFitOptions } from './polynomial-fit.js';

/**
 * Fits a CRF model on dataset rows of one encoder and preset. With two or more videos the
 * returned model also carries its leave-one-video-out errors (`crossValidate: false` skips them).
 */
export function fitCrfModel(rows: readonly DatasetRow[], opts: CrfFitOptions & { crossValidate?: boolean } = {}): CrfModel {
  const o = resolveFitOptions(opts);
  const model = fitPolynomialModel(rows, o);
  if (model.training.videos.length >= 2 && opts.crossValidate !== false) model.crossValidation = crossValidateCrfModel(rows, o);
  return parseCrfModel(model, '(fitted model)');
}
