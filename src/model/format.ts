/**
 * scenecrf's per-encoder CRF predictor (`models/crf-<encoder>-v1.json`): its file format, reading
 * and writing. From a scene's complexity (`SceneComplexity`, computed on frames downscaled to 256 px
 * width) and the video's size, the model predicts the scene's rate–quality curve (`SceneCurve`) at
 * every integer CRF (src/model/predict.ts); the planner then picks each scene's CRF on that curve.
 * Fitting it is src/training's job; this package's runtime only reads models.
 *
 * Curve form, per target (VMAF mean, VMAF 5th percentile, size), with x = crf / 63 and z the
 * standardised feature vector (z_0 = 1; the features are src/model/features.ts):
 *
 *   target(x) = sum_k a_k(z) x^k,   a_k(z) = sum_j c[k][j] z_j,   k = 0..degree
 *
 * i.e. a polynomial in x whose every coefficient is a linear function of the features: one pooled
 * linear least-squares fit on the Kronecker product [1, z] ⊗ [1, x, x², …], with ridge on every
 * feature coefficient (never on the c[k][0] intercepts, which carry the average curve).
 *
 * Targets are modelled in domains where they are close to polynomial in CRF:
 *   - quality: t = ln(100 − min(VMAF, 99.5)) — VMAF approaches 100 at low CRF and its loss
 *     100 − VMAF grows roughly exponentially with the quantizer, so t is nearly linear in CRF
 *     (slightly convex); the 99.5 clamp keeps saturated (≈100) scores from producing huge negative
 *     logs. Back: VMAF = clamp(100 − e^t, 0, 100).
 *   - size: s = ln(bytesPerFrame / (width · height)), bytes per pixel per frame — size falls about
 *     exponentially with the quantizer, but faster at high CRF (s is clearly concave: on a real
 *     SVT-AV1 preset-8 clip its drop per 8 CRF grew from 0.31 at CRF 20 to 0.71 at CRF 52, which
 *     a straight line misses by ~0.1 in ln) — hence the quadratic default. Dividing by the pixel
 *     count puts videos of every resolution on one scale. Back: bytesPerFrame = e^s · width · height.
 *
 * The polynomial is trusted only over the span of CRFs in the training data; beyond it each target
 * continues along its tangent at the nearer end (slope forced to the physical sign), so a
 * quadratic's turn-over outside the data cannot bend the curve the wrong way.
 *
 * A model may also take the scene's proxy curve (src/proxy: its VMAF at a few CRFs on small, fast
 * encodes) as extra features; its `proxy` block says how the curve must be measured.
 *
 * `predictSceneCurve` then enforces the `SceneCurve` invariants (monotone quality, p5 ≤ mean,
 * strictly decreasing size), so the planner can rely on them whatever the coefficients say.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describeIssues, InvalidOptionsError, ModelInvalidError } from '../errors.js';
import { ENCODERS, type EncoderName } from '../core/encoders.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readJsonFile } from '../util/json-file.js';
import { proxySpecSchema } from '../core/proxy-spec.js';
import { modelFeatureList } from './features.js';

export const CRF_MODEL_FORMAT = 'scenecrf-crf-model';
/** The highest polynomial degree a model file may have. */
export const MAX_DEGREE = 3;

const finite = z.number().finite();
/** `degree + 1` rows (x^0, x^1, …), each `[intercept, one per feature]`. */
const coefficients = z.array(z.array(finite));

const cvStats = {
  vmafMeanMae: finite.nonnegative(),
  vmafP5Mae: finite.nonnegative(),
  /** MAE of log2(bytes per frame): 1 = off by a factor of two. */
  log2BytesMae: finite.nonnegative(),
};

/**
 * Errors over the held-out rows whose measured VMAF (mean for the mean error, p5 for the p5 error)
 * lies in the band where quality targets are set. A grid reaching the top of the CRF range adds
 * rows at VMAF 50–80 whose large errors would otherwise decide the model choice, although no
 * plan aims there. Optional: models written before it lack it.
 */
const bandSchema = z.object({
  min: finite,
  max: finite,
  meanRows: z.number().int().nonnegative(),
  p5Rows: z.number().int().nonnegative(),
  vmafMeanMae: finite.nonnegative(),
  vmafP5Mae: finite.nonnegative(),
});

export const crfCrossValidationSchema = z.object({
  folds: z.literal('leave-one-video-out'),
  rows: z.number().int().positive(),
  ...cvStats,
  /** Fraction of held-out rows whose predicted VMAF mean is within 2 points. */
  vmafMeanWithin2: finite.min(0).max(1),
  band: bandSchema.optional(),
  perVideo: z.array(z.object({ video: z.string().min(1), rows: z.number().int().positive(), ...cvStats })).min(2),
});

const comparedSchema = z.object({
  degree: z.number().int(),
  lambda: finite.nonnegative(),
  weighting: z.enum(['row', 'video']),
  ...cvStats,
  vmafMeanWithin2: finite.min(0).max(1),
  band: bandSchema.optional(),
});

/** One training scene's measured curve, kept in a model for nearest-scene prediction. */
const neighbourSceneSchema = z.object({
  /** Raw (unstandardised) model features, in the model's `features` order. */
  features: z.array(finite),
  /** Measured CRFs, strictly increasing. */
  crfs: z.array(finite).min(2),
  /** t = ln(100 − min(VMAF, 99.5)) of the measured mean and p5 at each CRF. */
  tMean: z.array(finite),
  tP5: z.array(finite),
  /** ln(bytes per frame per pixel) at each CRF. */
  lnBytesPerPixel: z.array(finite),
});

/**
 * Optional nearest-scene blend: the prediction becomes (1 − weight) × the polynomial + weight ×
 * the mean measured curve of the `k` training scenes nearest in standardised feature space, in t
 * and ln bytes. Measured curves keep shapes a low-order fit smooths away (plateaus, ceilings below
 * 100); bench/RESULTS.md has what it does on the corpus.
 */
const neighboursSchema = z.object({
  k: z.number().int().min(1),
  weight: finite.gt(0).max(1),
  scenes: z.array(neighbourSceneSchema).min(1),
});

/**
 * How sure a prediction is (src/model/uncertainty.ts): the half-width, in VMAF points, of the
 * interval around a scene's predicted VMAF at a CRF that held `coverage` of the scenes in
 * leave-one-video-out calibration, growing with the scene's novelty (its distance to the nearest
 * training scene over `noveltyScale`): halfWidth × (1 + perNovelty × novelty).
 */
const intervalLawSchema = z.object({ halfWidth: finite.positive(), perNovelty: finite.nonnegative() });
export const uncertaintySchema = z.object({
  coverage: finite.gt(0).lt(1),
  mean: intervalLawSchema,
  p5: intervalLawSchema,
  /** The median leave-one-video-out distance (standardised features) from a training scene to the nearest scene of another video. */
  noveltyScale: finite.positive(),
  /** A scene whose novelty exceeds this is flagged as unlike anything in training (the calibration's 95th percentile). */
  novelAbove: finite.positive(),
  calibration: z.object({
    folds: z.literal('leave-one-video-out'),
    scenes: z.number().int().positive(),
    rows: z.number().int().positive(),
    /** Fraction of calibration rows inside their interval (mean, p5): `coverage` by construction, up to ties. */
    covered: z.object({ mean: finite.min(0).max(1), p5: finite.min(0).max(1) }),
  }),
});

export const crfModelSchema = z
  .object({
    format: z.literal(CRF_MODEL_FORMAT),
    version: z.literal(1),
    encoder: z.enum(ENCODERS),
    /** Encoder speed the training data was encoded at (SVT-AV1 preset, libaom/libvpx cpu-used). */
    preset: z.number().int(),
    features: z.array(z.string()),
    /** z_j = (feature_j − mean_j) / std_j, from the training rows. */
    standardize: z.object({ mean: z.array(finite), std: z.array(finite.positive()) }),
    degree: z.number().int().min(1).max(MAX_DEGREE),
    /** t = ln(100 − min(VMAF, 99.5)) of the scene's mean and 5th-percentile per-frame VMAF. */
    quality: z.object({ mean: coefficients, p5: coefficients }),
    /** s = ln(bytesPerFrame / (width · height)). */
    bits: coefficients,
    training: z.object({
      videos: z.array(z.string()).min(1),
      scenes: z.number().int().positive(),
      rows: z.number().int().positive(),
      /** The CRFs in the data. Between the lowest and highest the polynomial is used as fitted;
       * outside, its tangent at the nearer end (see `predictSceneCurve`). */
      crfs: z.array(finite).min(1),
      createdAt: z.string(),
      command: z.string().optional(),
      /** sha256 of the dataset file(s), concatenated in the order given. */
      datasetSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
      lambda: finite.nonnegative(),
      weighting: z.enum(['row', 'video']),
      /** Leave-one-video-out errors of the configurations the trainer compared. */
      compared: z.array(comparedSchema).optional(),
    }),
    /** Leave-one-video-out errors of this configuration (absent when trained on one video). */
    crossValidation: crfCrossValidationSchema.optional(),
    /** Nearest-scene blend (absent: the polynomial alone). `crossValidation` describes the polynomial. */
    neighbours: neighboursSchema.optional(),
    /** Present when the model's last features are proxy-curve values (`modelFeatureList`): how to measure them. */
    proxy: proxySpecSchema.optional(),
    /** Calibrated prediction intervals (absent: derived from `crossValidation`, see src/model/uncertainty.ts). */
    uncertainty: uncertaintySchema.optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string, p: (string | number)[]): void => ctx.addIssue({ code: z.ZodIssueCode.custom, message, path: p });
    const names = modelFeatureList(m.proxy);
    const d = names.length;
    if (m.features.length !== d || m.features.some((f, i) => f !== names[i]))
      issue(`features must be exactly [${names.join(', ')}] (this scenecrf's feature set${m.proxy ? ' with the proxy CRFs' : ''})`, ['features']);
    if (m.standardize.mean.length !== d) issue(`must have ${d} entries`, ['standardize', 'mean']);
    if (m.standardize.std.length !== d) issue(`must have ${d} entries`, ['standardize', 'std']);
    const check = (c: number[][], p: string[]): void => {
      if (c.length !== m.degree + 1) issue(`must have degree + 1 = ${m.degree + 1} rows, has ${c.length}`, p);
      c.forEach((row, k) => {
        if (row.length !== d + 1) issue(`must have ${d + 1} entries (intercept + ${d} features), has ${row.length}`, [...p, k]);
      });
    };
    check(m.quality.mean, ['quality', 'mean']);
    check(m.quality.p5, ['quality', 'p5']);
    check(m.bits, ['bits']);
    if (m.neighbours) {
      const nb = m.neighbours;
      if (nb.k > nb.scenes.length) issue(`k ${nb.k} is more than the ${nb.scenes.length} scenes`, ['neighbours', 'k']);
      nb.scenes.forEach((sc, i) => {
        const p = ['neighbours', 'scenes', i];
        if (sc.features.length !== d) issue(`features must have ${d} entries`, [...p, 'features']);
        if (sc.crfs.some((c, j) => j > 0 && c <= sc.crfs[j - 1]!)) issue('crfs must be strictly increasing', [...p, 'crfs']);
        for (const key of ['tMean', 'tP5', 'lnBytesPerPixel'] as const)
          if (sc[key].length !== sc.crfs.length) issue(`must have one entry per CRF (${sc.crfs.length})`, [...p, key]);
      });
    }
  });

/** A validated CRF model (the JSON file's content). */
export type CrfModel = z.output<typeof crfModelSchema>;
export type CrfCrossValidation = z.output<typeof crfCrossValidationSchema>;
export type CrfModelUncertainty = z.output<typeof uncertaintySchema>;
/** One training scene's stored measured curve (the nearest-scene blend's data). */
export type NeighbourScene = NonNullable<CrfModel['neighbours']>['scenes'][number];

/** Validates a parsed CRF model JSON. Throws ModelInvalidError naming `what` (usually the file). */
export function parseCrfModel(json: unknown, what: string): CrfModel {
  const parsed = crfModelSchema.safeParse(json);
  if (!parsed.success) throw new ModelInvalidError(what, `not a ${CRF_MODEL_FORMAT} v1 model: ${describeIssues(parsed.error.issues, '(root)', 5)}`);
  return parsed.data;
}

/** Reads and validates a CRF model file; every problem is a ModelInvalidError naming the file. */
export async function loadCrfModel(file: string): Promise<CrfModel> {
  const json = await readJsonFile(file, (why, cause) => new ModelInvalidError(file, why, { cause }));
  return parseCrfModel(json, file);
}

/** Validates `model` and writes it (temporary name, then rename). Numbers keep full precision. */
export async function saveCrfModel(model: CrfModel, file: string): Promise<void> {
  const parsed = crfModelSchema.safeParse(model);
  if (!parsed.success) throw new InvalidOptionsError('CRF model', `refusing to write ${JSON.stringify(file)}: ${describeIssues(parsed.error.issues, '(root)', 5)}`);
  // Indented, but each array of numbers on one line, so the file stays small and diffable.
  const text = JSON.stringify(parsed.data, null, 1).replace(/\[[-\d.e+,\s]*\]/g, (arr) => arr.replace(/\s+/g, '')) + '\n';
  await writeFileAtomic(file, text);
}

/** `crf-<encoder>-v1.json`, or `crf-<encoder>-proxy-v1.json` for the model that uses proxy curves. */
export function crfModelFileName(encoder: EncoderName, opts: { proxy?: boolean } = {}): string {
  return `crf-${encoder}${opts.proxy ? '-proxy' : ''}-v1.json`;
}

/** The shipped model for `encoder` (with `proxy`: the one that uses proxy curves) under `models/` at the package root. */
export function defaultCrfModelPath(encoder: EncoderName, opts: { proxy?: boolean } = {}): string {
  if (!ENCODERS.includes(encoder)) throw new InvalidOptionsError('encoder', `${JSON.stringify(encoder)} is not one of ${ENCODERS.join(', ')}`);
  const file = crfModelFileName(encoder, opts);
  // This module runs as src/model/format.ts (tests, tsx) or bundled into dist/*.js / dist/*.cjs
  // (tsup shims import.meta.url for CJS); walk up until a folder holds models/<file>.
  // If no candidate exists yet, name the file under the nearest folder holding package.json (the
  // package root), so the "cannot read" error points where the model belongs.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  let root: string | undefined;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'models', file);
    if (existsSync(candidate)) return candidate;
    if (!root && existsSync(path.join(dir, 'package.json'))) root = dir;
    dir = path.dirname(dir);
  }
  return path.join(root ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'models', file);
}
