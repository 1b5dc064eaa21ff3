/** The CRF predictor: scene complexity → predicted rate–quality curve (`SceneCurve`). */
export {
  modelFeatureNames,
  modelFeatureList,
  modelFeatures,
  fitCrfModel,
  predictSceneCurve,
  withNearestScenes,
  crossValidateCrfModel,
  TARGET_BAND,
  crfModelSchema,
  parseCrfModel,
  loadCrfModel,
  saveCrfModel,
  defaultCrfModelPath,
  type CrfModel,
  type CrfCrossValidation,
  type CrfFitOptions,
  type VideoInfo,
} from './crf-model.js';
export { curveQuality, type SceneCurve, type QualityStat } from './curve.js';
export { datasetRowSchema, sceneComplexitySchema, type DatasetRow } from './dataset.js';
