/**
 * `scenecrf/train`: fitting scenecrf's CRF models on your own content — the dataset rows
 * (`npm run bench:dataset` writes them), the ridge fit, leave-one-video-out cross-validation and
 * the nearest-scene blend — and writing the model file that `loadCrfModel` reads (docs/training.md).
 * Kept out of the main entry: encoding pipelines load and predict, they do not train.
 */
export { datasetRowSchema, sceneComplexitySchema, rowsByScene, type DatasetRow } from './training/dataset.js';
export { fitCrfModel } from './training/fit.js';
export { DEFAULT_DEGREE, DEFAULT_LAMBDA, type CrfFitOptions, type RowWeighting } from './training/polynomial-fit.js';
export { crossValidateCrfModel, TARGET_BAND } from './training/cross-validate.js';
export { withNearestScenes } from './training/nearest-scenes.js';
export {
  calibrateUncertainty,
  fitIntervalLaw,
  withCalibratedUncertainty,
  MIN_PER_NOVELTY,
  type CalibrationOptions,
  type CalibrationPoint,
  type CalibrationResult,
} from './training/calibrate.js';
export { saveCrfModel, crfModelFileName, MAX_DEGREE, type CrfCrossValidation, type CrfModelUncertainty } from './model/format.js';
