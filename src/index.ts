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
export { decodeFrames, analysisSize } from './media/frames.js';
export type { FfmpegBackend, FfmpegCapabilities, FfmpegSource, Frame, FrameStreamOptions, VideoInfo } from './media/types.js';
export * from './errors.js';
