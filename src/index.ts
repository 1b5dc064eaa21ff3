// Public API. Each pipeline stage lives in its own folder; this file only re-exports.
export {
  analyzeVideo,
  analyzeOptionsSchema,
  type AnalyzeOptions,
  type AnalyzeControl,
  type AnalyzeProgress,
  type AnalysisResult,
  type Scene,
} from './analysis/analyze.js';
export { computeFrameFeatures, histogramDistance, gridDistance, type FrameFeatures, type FrameSignature } from './analysis/features.js';
export { detectShots, detectorOptionsSchema, type DetectorOptions, type ShotBoundary, type BoundaryKind } from './analysis/detect.js';
export { buildScenes, type SceneRange, type SceneStart, type SceneLengthOptions } from './analysis/scenes.js';
export { summarizeScene, complexityScore, type SceneComplexity, type FeatureStats } from './analysis/complexity.js';
export { resolveFfmpeg, type ResolveFfmpegOptions } from './media/resolve.js';
export { probeVideo } from './media/probe.js';
export { decodeFrames } from './media/frames.js';
export { analysisSize } from './media/frame-format.js';
export type { FfmpegBackend, FfmpegCapabilities, FfmpegSource, Frame, FrameStreamOptions, VideoInfo } from './media/types.js';
export * from './errors.js';
export {
  measureQuality,
  measureQualityOptionsSchema,
  type MeasureQualityOptions,
  type QualityReport,
  type QualityFrame,
  type QualityMetric,
  type QualityProgress,
} from './quality/measure.js';
export { poolScores, poolScenes, percentile, type PooledScore, type SceneSpan } from './quality/pooling.js';
export { computePairFeatures, type PairFeatures, type VmafFeatures, type GainLimits } from './quality/frame-features.js';
export { computeVif } from './quality/vif.js';
export { computeAdm } from './quality/adm.js';
export { blurForMotion, motionSad, motion2FromSads } from './quality/motion.js';
export type { Plane } from './quality/plane.js';
export {
  runFfmpegMetrics,
  hasLibvmaf,
  parsePsnrStats,
  parseSsimStats,
  parseXpsnrStats,
  parseLibvmafLog,
  PSNR_POOL_CAP_DB,
  type FfmpegMetric,
  type FfmpegMetricsOptions,
  type FfmpegMetricsResult,
} from './quality/ffmpeg-metrics.js';
export { loadVmafModel, loadFusionModel, defaultFusionModelPath, type FusionModel } from './quality/fusion.js';
export { loadLibvmafModel, parseLibvmafModel, type VmafModel, type LibvmafModel } from './quality/libvmaf-model.js';
export {
  ZONE_FORMATS,
  AV1AN_ENCODER,
  formatZones,
  writeAv1anZones,
  x265Zones,
  x265Zonefile,
  x264Zones,
  planJson,
  type ZoneFormat,
  type Av1anZonesOptions,
  type X26xZonesOptions,
  type FormatZonesOptions,
} from './zones/zones.js';
export { ffmpegScript, type FfmpegScriptOptions } from './zones/ffmpeg-script.js';
export {
  encodePlan,
  prepareEncode,
  type EncodePlanOptions,
  type EncodeResult,
  type EncodeProgress,
  type ChunkResult,
} from './encode/chunked.js';
export type { PreparedEncode } from './encode/prepared.js';
export { ENCODER_ADAPTERS, encoderAdapter, assertEncoderSupported, type EncoderAdapter, type ChunkEncodeSettings } from './encode/encoders.js';
export { manifestSchema, readManifest, type EncodeManifest, type ChunkRecord } from './encode/manifest.js';
export {
  planSchema,
  planSceneSchema,
  parsePlan,
  readPlan,
  planFromScenes,
  type EncodePlan,
  type EncodePlanInput,
  type PlanScene,
} from './core/plan-file.js';
export { ENCODERS, CRF_RANGE, type EncoderName } from './core/encoders.js';
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
} from './model/crf-model.js';
export { datasetRowSchema, type DatasetRow } from './model/dataset.js';
export { curveQuality, type SceneCurve, type QualityStat } from './core/curve.js';
export {
  measureProxyCurves,
  PROXY_ENCODES,
  type MeasureProxyOptions,
  type ProxyProgress,
} from './proxy/measure.js';
export {
  DEFAULT_PROXY_SPEC,
  middleFrames,
  proxyCurveSchema,
  proxySpecSchema,
  type ProxyCurve,
  type ProxySpec,
} from './core/proxy-spec.js';
export {
  planForTarget,
  planForBudget,
  budgetBytes,
  limitCrfJumps,
  correctCurveWithProbe,
  fitCurveToProbes,
  proxySlopeFactor,
  probeTrustBounds,
  assessScenes,
  correctMisses,
  type PlannerScene,
  type PlanResult,
  type TargetPlan,
  type BudgetPlan,
  type TargetPlanOptions,
  type BudgetPlanOptions,
  type CurveProbe,
  type Assessment,
  type SceneAssessment,
  type SceneVerdict,
  type SceneCrfLimits,
  type SceneCrfBounds,
} from './plan/planner.js';
export {
  planEncode,
  planEncodeOptionsSchema,
  defaultProbeTrust,
  type PlanEncodeOptions,
  type PlanEncodeResult,
  type PlanControl,
  type PlanProgress,
  type ScenePrediction,
  type ProbeRecord,
} from './optimize/plan-encode.js';
export {
  optimizeEncode,
  type OptimizeOptions,
  type OptimizeResult,
  type OptimizeProgress,
  type SceneValidation,
} from './optimize/optimize.js';
export { encodeSegment, type SegmentEncode } from './encode/chunked.js';
export { lookupSegment, storeSegment, takeSegment, type SegmentCacheEntry } from './encode/segment-cache.js';
