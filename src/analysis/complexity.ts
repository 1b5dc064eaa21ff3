import { mean, quantileSorted } from 'simple-statistics';
import type { FrameFeatures } from './features.js';

/** Summary statistics of one feature over a scene. */
export interface FeatureStats {
  mean: number;
  p10: number;
  p50: number;
  p90: number;
  max: number;
}

/**
 * The per-scene complexity inputs of the CRF predictor. Field names and meanings are a stable,
 * documented contract (see README "Scene complexity"): a trained model refers to them by name.
 */
export interface SceneComplexity {
  frameCount: number;
  /** Luma mean and variance (8-bit units), averaged over the scene. */
  lumaMean: number;
  lumaVariance: number;
  /** Spatial information (P.910 SI per frame). */
  si: FeatureStats;
  /** Temporal information (P.910 TI). The scene's first frame is excluded: its TI measures the cut. */
  ti: FeatureStats;
  /** Mean absolute smoothed-luma change per frame (first frame excluded). */
  motion: FeatureStats;
  /** Motion-compensated residual per frame (first frame excluded): what motion costs an encoder. */
  mcResidual: FeatureStats;
  /** Fraction of edge pixels, averaged. */
  edgeDensity: number;
  /** Noise/grain sigma estimate, median over the scene. */
  noise: number;
  /** 0 (flat, still) … 1 (detailed, fast): see `complexityScore`. */
  score: number;
}

function stats(values: number[]): FeatureStats {
  if (values.length === 0) return { mean: 0, p10: 0, p50: 0, p90: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mean: mean(values),
    p10: quantileSorted(sorted, 0.1),
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    max: sorted[sorted.length - 1]!,
  };
}

/**
 * Normalisation anchors (8-bit units at analysis resolution): a term is log(1 + x/knee) scaled so
 * that x = reference maps to 1. SI 120 / motion 30 are "very high" (dense texture, whip pans); the
 * knees (SI 8, motion 0.5) are where content stops being flat / still.
 */
export const SI_REFERENCE = 120;
export const SI_KNEE = 8;
export const MOTION_REFERENCE = 30;
export const MOTION_KNEE = 0.5;

function logScale(x: number, knee: number, reference: number): number {
  return Math.min(1, Math.log1p(Math.max(0, x) / knee) / Math.log1p(reference / knee));
}

/**
 * One number for how hard a scene is to code: 0.5·spatial + 0.5·temporal, where spatial is the
 * log-scaled mean SI and temporal the log-scaled mean motion. Log scaling because coded size grows
 * roughly with the log of detail and motion; fixed anchors (not per-video normalisation) keep
 * scores comparable across videos.
 */
export function complexityScore(siMean: number, motionMean: number): number {
  return 0.5 * logScale(siMean, SI_KNEE, SI_REFERENCE) + 0.5 * logScale(motionMean, MOTION_KNEE, MOTION_REFERENCE);
}

/** Summarises frames [startFrame, endFrame) of `features` (indexed by frame number). */
export function summarizeScene(features: readonly FrameFeatures[], startFrame: number, endFrame: number): SceneComplexity {
  const frames = features.slice(startFrame, endFrame);
  if (frames.length === 0) throw new RangeError(`empty scene [${startFrame}, ${endFrame})`);
  const inner = frames.length > 1 ? frames.slice(1) : frames;
  const si = stats(frames.map((f) => f.si));
  const motion = stats(inner.map((f) => f.motion));
  const noiseSorted = frames.map((f) => f.noise).sort((a, b) => a - b);
  return {
    frameCount: frames.length,
    lumaMean: mean(frames.map((f) => f.mean)),
    lumaVariance: mean(frames.map((f) => f.variance)),
    si,
    ti: stats(inner.map((f) => f.ti)),
    motion,
    mcResidual: stats(inner.map((f) => f.mcResidual)),
    edgeDensity: mean(frames.map((f) => f.edgeDensity)),
    noise: quantileSorted(noiseSorted, 0.5),
    score: complexityScore(si.mean, motion.mean),
  };
}
