/**
 * `scenecrf/advanced`: the building blocks under the pipeline verbs, for notebooks and for
 * pipelines that run only part of it. Pure functions on plain arrays where the stage allows it
 * (features, detection, planners, VMAF kernels); ffmpeg at the edges (probe, decode, metrics).
 * The main entry (`scenecrf`) has the verbs, their types and the errors; this file only re-exports.
 */

// options schemas of the pipeline verbs (zod), e.g. to validate a configuration file up front
export { analyzeOptionsSchema } from './analysis/analyze.js';
export { measureQualityOptionsSchema } from './quality/measure.js';
export { planEncodeOptionsSchema, defaultProbeTrust } from './optimize/plan-encode.js';
export { optimizeOptionsSchema } from './optimize/optimize.js';
export { describeIssues, throwIfAborted } from './errors.js';

// media: which ffmpeg, what the input is, its frames
export { resolveFfmpeg, type ResolveFfmpegOptions } from './media/resolve.js';
export { probeVideo } from './media/probe.js';
export { decodeFrames } from './media/frames.js';
export { analysisSize } from './media/frame-format.js';
export type { FfmpegCapabilities, FfmpegSource, Frame, FrameStreamOptions } from './media/types.js';

// analysis: per-frame features, shot detection, scenes, complexity
export { computeFrameFeatures, histogramDistance, gridDistance, type FrameFeatures, type FrameSignature } from './analysis/features.js';
export { describeCadence, detectShots, detectorOptionsSchema, repeatCadenceSchema, repeatFlags, type DetectorOptions, type RepeatCadence, type ShotBoundary } from './analysis/detect.js';
export { buildScenes, type SceneRange, type SceneStart, type SceneLengthOptions } from './analysis/scenes.js';
export { summarizeScene, complexityScore } from './analysis/complexity.js';

// quality: pooling, the builtin VMAF's features and kernels, ffmpeg's metrics, model files
export { poolScores, poolScenes, percentile, type SceneSpan } from './quality/pooling.js';
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
export { loadFusionModel, defaultFusionModelPath, type FusionModel } from './quality/fusion.js';
export { loadLibvmafModel, parseLibvmafModel, type LibvmafModel } from './quality/libvmaf-model.js';

// the plan file and the CRF model
export { planSchema, planSceneSchema } from './core/plan-file.js';
export { curveQuality } from './core/curve.js';
export { modelFeatureNames, modelFeatureList, modelFeatures } from './model/features.js';
export { crfModelSchema, parseCrfModel } from './model/format.js';
export { predictSceneCurve } from './model/predict.js';
export {
  intervalHalfWidth,
  intervalLaw,
  plausibleCrfs,
  sceneNovelty,
  sceneUncertainty,
  scenesToProbe,
  type IntervalLaw,
  type SceneUncertainty,
} from './model/uncertainty.js';

// proxy curves
export { measureProxyCurves, PROXY_ENCODES, type MeasureProxyOptions, type ProxyProgress } from './proxy/measure.js';
export { DEFAULT_PROXY_SPEC, middleFrames, proxyCurveSchema, proxySpecSchema } from './core/proxy-spec.js';

// planning: allocation, probe corrections, assessment and the correction round
export {
  planForTarget,
  planForBudget,
  budgetBytes,
  limitCrfJumps,
  type PlanResult,
  type TargetPlan,
  type BudgetPlan,
  type TargetPlanOptions,
  type BudgetPlanOptions,
} from './plan/allocate.js';
export type { PlannerScene, SceneCrfBounds } from './plan/inputs.js';
export { correctCurveWithProbe, fitCurveToProbes, proxySlopeFactor, probeTrustBounds, type CurveProbe } from './plan/probes.js';
export { assessScenes, correctMisses, type Assessment, type SceneAssessment, type SceneCrfLimits } from './plan/assess.js';
export {
  assessBudget,
  correctBudget,
  DEFAULT_BUDGET_TOLERANCE,
  type BudgetAssessment,
  type BudgetVerdict,
  type BudgetCorrection,
  type CorrectBudgetOptions,
} from './plan/budget.js';

// zone files, one format at a time
export { AV1AN_ENCODER, writeAv1anZones, x265Zones, x265Zonefile, x264Zones, planJson, zoneFormatNotes } from './zones/zones.js';
export { ffmpegScript } from './zones/ffmpeg-script.js';

// encoding: one scene, a prepared plan, the encoders, the resume manifest
export { prepareEncode, encodeSegment, type SegmentEncode } from './encode/chunked.js';
export type { PreparedEncode } from './encode/prepared.js';
export { ENCODER_ADAPTERS, encoderAdapter, assertEncoderSupported, type EncoderAdapter, type ChunkEncodeSettings } from './encode/encoders.js';
export { manifestSchema, readManifest, type EncodeManifest, type ChunkRecord } from './encode/manifest.js';
export { defaultCacheDir, evictSegments, DEFAULT_CACHE_MAX_BYTES, type SegmentCache } from './encode/segment-cache.js';

// per-scene work on a BullMQ queue in Redis (docs/deployment.md): the coordinator's executor, the worker
export { queueExecutor, queueExecutorOptionsSchema, type QueueExecutor, type QueueExecutorOptions } from './distributed/coordinator.js';
export { startWorker, workerOptionsSchema, type WorkerOptions, type WorkerControl, type WorkerEvent, type RunningWorker } from './distributed/worker.js';
export { sharedFsStorage, type JobStorage } from './distributed/storage.js';
export type { ChunkExecutor, ChunkTask, ChunkOutcome } from './encode/executor.js';
export type { ProbeExecutor, ProbeTask, ProbeOutcome } from './optimize/probe-executor.js';

// the report's edges: reading a result file, its source video, scene thumbnails
export { detectReportKind, parseReportInput, type ReportInput, type ReportKind } from './report/schema.js';
export {
  readReportInput,
  reportSource,
  sceneThumbnails,
  thumbnailDefaults,
  DEFAULT_THUMBNAIL_BUDGET,
  type ReportSource,
  type SceneThumbnails,
  type SceneThumbnailOptions,
} from './report/thumbnails.js';
