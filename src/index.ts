/**
 * scenecrf's main entry: the pipeline verbs, their options and results, model loading and the
 * errors. Lower-level building blocks (detectors, features, planners, parsers, kernels) are in
 * `scenecrf/advanced`; fitting CRF models is in `scenecrf/train` (docs/README.md).
 * This file only re-exports; test/consumer.test.ts keeps it at 40 values or fewer.
 */
export {
  ScenecrfError,
  InputNotFoundError,
  EmptyInputError,
  NotAVideoError,
  CorruptInputError,
  UnreadableInputError,
  FfmpegNotFoundError,
  FfmpegError,
  UnsupportedError,
  InvalidOptionsError,
  ModelInvalidError,
  FrameCountMismatchError,
  NoSpaceError,
  AbortError,
  type ScenecrfErrorCode,
} from './errors.js';

// video → scenes
export { analyzeVideo, type AnalyzeOptions, type AnalyzeControl, type AnalyzeProgress, type AnalysisResult, type Scene } from './analysis/analyze.js';
export type { SceneComplexity, FeatureStats } from './analysis/complexity.js';
export type { BoundaryKind, RepeatCadence } from './analysis/detect.js';
export type { FfmpegBackend, VideoInfo } from './media/types.js';

// scenes → plan
export {
  planEncode,
  type PlanEncodeOptions,
  type PlanEncodeResult,
  type PlanControl,
  type PlanProgress,
  type ScenePrediction,
  type ProbeRecord,
} from './optimize/plan-encode.js';
export { ENCODERS, CRF_RANGE, type EncoderName } from './core/encoders.js';
export { parsePlan, readPlan, planFromScenes, type EncodePlan, type EncodePlanInput, type PlanScene } from './core/plan-file.js';
export type { SceneCurve, QualityStat } from './core/curve.js';
export type { ProxyCurve, ProxySpec } from './core/proxy-spec.js';
export { loadCrfModel, defaultCrfModelPath, type CrfModel } from './model/format.js';

// plan → zone files / encodes
export { ZONE_FORMATS, formatZones, type ZoneFormat, type FormatZonesOptions, type Av1anZonesOptions, type X26xZonesOptions } from './zones/zones.js';
export type { FfmpegScriptOptions } from './zones/ffmpeg-script.js';
export { encodePlan, type EncodePlanOptions, type EncodeResult, type EncodeProgress, type ChunkResult } from './encode/chunked.js';
export type { CacheOption } from './encode/segment-cache.js';

// encodes → quality
export { measureQuality, type MeasureQualityOptions, type QualityReport, type QualityFrame, type QualityMetric, type QualityProgress } from './quality/measure.js';
export type { PooledScore } from './quality/pooling.js';
export { loadVmafModel } from './quality/fusion.js';
export type { VmafModel } from './quality/libvmaf-model.js';

// plan → encode → quality, in rounds
export { optimizeEncode, type OptimizeOptions, type OptimizeResult, type OptimizeProgress, type SceneValidation } from './optimize/optimize.js';
export type { SceneVerdict } from './plan/assess.js';
export type { BudgetAssessment, BudgetVerdict } from './plan/budget.js';

// any result → one HTML page
export { renderReport, type ReportOptions } from './report/render.js';
