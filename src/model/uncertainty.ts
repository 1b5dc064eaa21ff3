/**
 * How sure a CRF model is of one scene: an interval around its predicted VMAF, wider for scenes
 * unlike the training scenes. Pure and synchronous.
 *
 * The interval's law is `halfWidth × (1 + perNovelty × novelty)` VMAF points, where `novelty` is
 * the scene's distance (in the model's standardised, clamped feature space) to the nearest stored
 * training scene, over the model's `noveltyScale` — the median distance from a training scene to
 * the nearest scene of *another* video, so a novelty of 1 is how new a typical unseen video looks.
 * A model file carries the law calibrated leave-one-video-out (src/training/calibrate.ts: the
 * interval covered `coverage` of held-out rows). A model without one gets a wide law derived from
 * its cross-validation errors, which says "unsure" rather than pretending otherwise.
 */
import type { SceneComplexity } from '../analysis/complexity.js';
import type { ProxyCurve } from '../core/proxy-spec.js';
import { curveQuality, type QualityStat, type SceneCurve } from '../core/curve.js';
import type { CrfModel } from './format.js';
import type { VideoInfo } from './features.js';
import { sceneDistance2, standardized } from './predict.js';

/** An interval law for one statistic (see the module comment). */
export interface IntervalLaw {
  halfWidth: number;
  perNovelty: number;
}

/** The coverage a law derived from cross-validation errors aims at. */
export const DEFAULT_COVERAGE = 0.8;
/**
 * For a law derived from the mean absolute error: the 80% quantile of |error| is about 1.6 MAE
 * for the heavy-tailed errors the models make (1.6 for a Laplace law, 1.6 for a half-normal).
 */
const MAE_TO_Q80 = 1.6;
/** Growth per unit novelty when nothing was calibrated: a new video's scene is twice as uncertain at novelty 2. */
const FALLBACK_PER_NOVELTY = 0.5;
/** Half-width (VMAF) when a model has neither calibration nor cross-validation: unknown, so wide. */
const UNKNOWN_HALF_WIDTH = 8;
/** Without a calibration, novelty above this flags a scene as unlike training. */
const FALLBACK_NOVEL_ABOVE = 2;

/** The interval's half-width (VMAF points) at `novelty` under `law`. */
export function intervalHalfWidth(law: IntervalLaw, novelty: number): number {
  return law.halfWidth * (1 + law.perNovelty * Math.max(0, novelty));
}

/** The model's interval law for `stat`, calibrated or derived from its cross-validation errors. */
export function intervalLaw(model: CrfModel, stat: QualityStat): { law: IntervalLaw; coverage: number; source: 'calibrated' | 'cross-validation' | 'none' } {
  if (model.uncertainty) return { law: model.uncertainty[stat], coverage: model.uncertainty.coverage, source: 'calibrated' };
  const cv = model.crossValidation;
  if (!cv) return { law: { halfWidth: UNKNOWN_HALF_WIDTH, perNovelty: FALLBACK_PER_NOVELTY }, coverage: DEFAULT_COVERAGE, source: 'none' };
  const band = cv.band;
  const mae = stat === 'p5' ? (band && band.p5Rows > 0 ? band.vmafP5Mae : cv.vmafP5Mae) : band && band.meanRows > 0 ? band.vmafMeanMae : cv.vmafMeanMae;
  return { law: { halfWidth: Math.max(0.25, MAE_TO_Q80 * mae), perNovelty: FALLBACK_PER_NOVELTY }, coverage: DEFAULT_COVERAGE, source: 'cross-validation' };
}

/** Median of `xs` (not empty). */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fallbackScales = new WeakMap<CrfModel, number>();

/**
 * A model without calibration: the median distance from each stored scene to its nearest other
 * stored scene (the stored scenes carry no video name, so same-video neighbours count too: a
 * smaller scale, so more novelty — erring on the unsure side).
 */
function fallbackNoveltyScale(model: CrfModel): number {
  const nb = model.neighbours;
  if (!nb || nb.scenes.length < 2) return 1;
  let scale = fallbackScales.get(model);
  if (scale === undefined) {
    const st = model.standardize;
    const zs = nb.scenes.map((sc) => sc.features.map((v, j) => (v - st.mean[j]!) / st.std[j]!));
    const nearest = nb.scenes.map((_, i) => Math.sqrt(Math.min(...nb.scenes.map((sc, j) => (j === i ? Infinity : sceneDistance2(sc.features, zs[i]!, st))))));
    scale = Math.max(1e-6, median(nearest));
    fallbackScales.set(model, scale);
  }
  return scale;
}

/**
 * Distance (standardised features) from `zs` to the nearest stored training scene; without stored
 * scenes, to the training mean (the root mean square z-score times √d, i.e. |z|).
 */
export function nearestTrainingDistance(model: CrfModel, zs: number[]): number {
  const nb = model.neighbours;
  if (!nb) return Math.sqrt(zs.reduce((s, z) => s + z * z, 0));
  return Math.sqrt(Math.min(...nb.scenes.map((sc) => sceneDistance2(sc.features, zs, model.standardize))));
}

export interface SceneUncertainty {
  /** Distance to the nearest training scene over the model's novelty scale (1: as far as a typical unseen video's scene). */
  novelty: number;
  /** The scene is unlike anything in training (novelty above the model's threshold): trust its prediction least. */
  novel: boolean;
  /** The share of scenes the interval is meant to cover. */
  coverage: number;
  /** Half-width (VMAF points) of the interval around the predicted statistic. */
  vmafHalfWidth: number;
  /** The interval at the scene's CRF: predicted statistic ± half-width, within 0..100. */
  vmafLow: number;
  vmafHigh: number;
  /** Target mode: the CRFs whose interval holds the target — where the right CRF lies. Absent when none does. */
  crfLow?: number;
  crfHigh?: number;
  /** Where the interval law came from: the model's calibration, its cross-validation errors, or neither (wide). */
  source: 'calibrated' | 'cross-validation' | 'none';
}

/** The scene's novelty under `model` (see `SceneUncertainty.novelty`). */
export function sceneNovelty(model: CrfModel, complexity: SceneComplexity, video: VideoInfo, proxyCurve?: ProxyCurve): number {
  const zs = standardized(model, complexity, video, proxyCurve);
  const scale = model.uncertainty?.noveltyScale ?? (model.neighbours ? fallbackNoveltyScale(model) : Math.sqrt(zs.length));
  return nearestTrainingDistance(model, zs) / scale;
}

/**
 * The CRFs of `curve` whose interval (statistic ± halfWidth) holds `target`: since the curve is
 * non-increasing in CRF, they form one run. Undefined when no CRF's interval holds it.
 */
export function plausibleCrfs(curve: SceneCurve, stat: QualityStat, target: number, halfWidth: number): { crfLow: number; crfHigh: number } | undefined {
  const q = curveQuality(curve, stat);
  let lo: number | undefined;
  let hi: number | undefined;
  q.forEach((v, i) => {
    if (v - halfWidth <= target && target <= v + halfWidth) {
      lo ??= curve.crfs[i]!;
      hi = curve.crfs[i]!;
    }
  });
  return lo === undefined || hi === undefined ? undefined : { crfLow: lo, crfHigh: hi };
}

/**
 * The prediction interval of one scene at `crf` on its predicted `curve` (and, with `target`,
 * the CRFs that could be right).
 */
export function sceneUncertainty(
  model: CrfModel,
  scene: { complexity: SceneComplexity; video: VideoInfo; proxyCurve?: ProxyCurve; curve: SceneCurve },
  at: { crf: number; stat: QualityStat; target?: number },
): SceneUncertainty {
  const novelty = sceneNovelty(model, scene.complexity, scene.video, scene.proxyCurve);
  const { law, coverage, source } = intervalLaw(model, at.stat);
  const h = intervalHalfWidth(law, novelty);
  const q = curveQuality(scene.curve, at.stat);
  const i = scene.curve.crfs.indexOf(at.crf);
  const v = q[i >= 0 ? i : 0]!;
  const novelAbove = model.uncertainty?.novelAbove ?? FALLBACK_NOVEL_ABOVE;
  const crfs = at.target === undefined ? undefined : plausibleCrfs(scene.curve, at.stat, at.target, h);
  return {
    novelty,
    novel: novelty > novelAbove,
    coverage,
    vmafHalfWidth: h,
    vmafLow: Math.max(0, v - h),
    vmafHigh: Math.min(100, v + h),
    ...(crfs ?? {}),
    source,
  };
}

/**
 * Which scenes `probes: 'auto'` probes: those whose interval half-width exceeds `tolerance`,
 * least sure first, at most `maxProbes` of them (a CPU budget; default all). Returns scene indexes.
 */
export function scenesToProbe(halfWidths: readonly number[], tolerance: number, maxProbes = Infinity): number[] {
  return halfWidths
    .map((h, i) => ({ h, i }))
    .filter((x) => x.h > tolerance)
    .sort((a, b) => b.h - a.h || a.i - b.i)
    .slice(0, Math.max(0, maxProbes))
    .map((x) => x.i);
}
