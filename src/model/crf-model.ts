/**
 * scenecrf's per-encoder CRF predictor (`models/crf-<encoder>-v1.json`): from a scene's complexity
 * (`SceneComplexity`, computed on frames downscaled to 256 px width) and the video's size, it
 * predicts the scene's rate–quality curve (`SceneCurve`) at every integer CRF; the planner then
 * picks each scene's CRF on that curve.
 *
 * Curve form, per target (VMAF mean, VMAF 5th percentile, size), with x = crf / 63 and z the
 * standardised feature vector (z_0 = 1):
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
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { SceneComplexity } from '../analysis/complexity.js';
import { describeIssues, InvalidOptionsError, ModelInvalidError } from '../errors.js';
import { CRF_RANGE, ENCODERS, type EncoderName } from '../core/encoders.js';
import { writeFileAtomic } from '../util/atomic.js';
import { cholesky, choleskySolve } from '../util/linalg.js';
import { proxySpecSchema, type ProxyCurve, type ProxySpec } from '../core/proxy-spec.js';
import { tToVmaf, VMAF_CEILING, vmafToT, type SceneCurve } from '../core/curve.js';
import { rowsByScene, type DatasetRow } from './dataset.js';

export const CRF_MODEL_FORMAT = 'scenecrf-crf-model';

/**
 * The model's inputs, in order. Detail and motion statistics enter through log1p: their effect on
 * coded size and on quality loss saturates (doubling already-high detail costs far less than going
 * from flat to textured), and the log keeps heavy-tailed values (whip pans, grain) from dominating
 * a linear fit. All are on the 256-px-wide analysis frames, so they are comparable across videos.
 *
 * - log1p(si.mean): spatial detail — the main driver of intra cost and of blur/ringing loss.
 * - log1p(si.p90): the most detailed frames — what pulls the scene's 5th-percentile VMAF down.
 * - log1p(motion.mean): typical motion (smoothed-luma change) — inter-prediction cost.
 * - log1p(motion.p90): motion bursts — worst frames for inter prediction, again for p5.
 * - log1p(mcResidual.mean): what is left of the frame change after per-block motion search —
 *   the inter cost an encoder actually pays (a pan has high motion but a low residual).
 * - log1p(ti.mean): raw frame difference (unsmoothed, so it also sees flicker/noise changes
 *   that motion smooths away).
 * - edgeDensity: sharp edges show coding artefacts first (VMAF's detail-loss term is edge driven).
 * - log1p(noise): grain/noise is expensive to code and VMAF partly forgives losing it.
 * - lumaMean/255: dark scenes get fewer bits from the encoders' rate distortion and VMAF is
 *   lenient in the dark.
 * - log2(width*height): the native resolution — features are measured at 256 px width, so the
 *   same analysis-frame detail spreads over more pixels (less detail per pixel) at higher
 *   resolution, and VMAF is computed at native resolution.
 *
 * Frame rate is not an input: the per-frame motion statistics already measure the change between
 * coded frames, and with few training videos a video-constant input like fps would mostly learn
 * video identity.
 */
export const modelFeatureNames = [
  'log1p(si.mean)',
  'log1p(si.p90)',
  'log1p(motion.mean)',
  'log1p(motion.p90)',
  'log1p(mcResidual.mean)',
  'log1p(ti.mean)',
  'edgeDensity',
  'log1p(noise)',
  'lumaMean/255',
  'log2(width*height)',
] as const;

export type ModelFeatureName = (typeof modelFeatureNames)[number];

/** What the model needs to know about the video besides the scene's complexity. */
export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
}

const lp = (v: number): number => Math.log1p(Math.max(0, v));

/** The feature names of a model: `modelFeatureNames`, then one per proxy CRF when it uses proxy curves. */
export function modelFeatureList(proxy?: ProxySpec): string[] {
  return [...modelFeatureNames, ...(proxy?.crfs ?? []).map((c) => `proxyT@${c}`)];
}

/**
 * The raw (unstandardised) feature vector of a scene, in `modelFeatureList(proxy)` order. With a
 * proxy spec, `proxyCurve` must hold the scene's proxy VMAF at every spec CRF; each enters as
 * t = ln(100 − min(VMAF, 99.5)), the model's own quality domain.
 */
export function modelFeatures(c: SceneComplexity, video: VideoInfo, proxy?: ProxySpec, proxyCurve?: ProxyCurve): number[] {
  const base = [
    lp(c.si.mean),
    lp(c.si.p90),
    lp(c.motion.mean),
    lp(c.motion.p90),
    lp(c.mcResidual.mean),
    lp(c.ti.mean),
    c.edgeDensity,
    lp(c.noise),
    c.lumaMean / 255,
    Math.log2(video.width * video.height),
  ];
  if (!proxy) return base;
  if (!proxyCurve) throw new InvalidOptionsError('scene', 'this CRF model uses proxy curves (measureProxyCurves), and none was given');
  return base.concat(
    proxy.crfs.map((crf) => {
      const i = proxyCurve.crfs.indexOf(crf);
      if (i < 0) throw new InvalidOptionsError('proxy curve', `the model needs the proxy VMAF at CRF ${crf}; the curve has CRFs ${proxyCurve.crfs.join(', ')}`);
      return vmafToT(proxyCurve.vmafMean[i]!);
    }),
  );
}

export { VMAF_CEILING };
/**
 * Standardised features are clamped to ±Z_CLAMP at prediction: a scene far outside the training
 * data gets the prediction of the nearest plausible scene instead of a wild polynomial extrapolation.
 */
export const Z_CLAMP = 4;
/** Predicted ln(bytes per pixel per frame) is clamped to this range (1e-8 … 4 bytes per pixel). */
const LN_BPP_MIN = Math.log(1e-8);
const LN_BPP_MAX = Math.log(4);
/** Relative step that makes a flat stretch of the size curve strictly decreasing. */
const BYTES_STEP = 1e-6;
export const MAX_DEGREE = 3;
export const DEFAULT_DEGREE = 2;
export const DEFAULT_LAMBDA = 1e-3;
export type RowWeighting = 'row' | 'video';

// ---------------------------------------------------------------------------------------------
// Model file

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

/** The VMAF band of `band` errors: where targets are set (a row at exactly 100 says little of the curve). */
export const TARGET_BAND = { min: 80, max: 99 } as const;

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


/** Validates a parsed CRF model JSON. Throws ModelInvalidError naming `what` (usually the file). */
export function parseCrfModel(json: unknown, what: string): CrfModel {
  const parsed = crfModelSchema.safeParse(json);
  if (!parsed.success) throw new ModelInvalidError(what, `not a ${CRF_MODEL_FORMAT} v1 model: ${describeIssues(parsed.error.issues, '(root)', 5)}`);
  return parsed.data;
}

/** Reads and validates a CRF model file; every problem is a ModelInvalidError naming the file. */
export async function loadCrfModel(file: string): Promise<CrfModel> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ModelInvalidError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelInvalidError(file, `not valid JSON: ${(e as Error).message}`, { cause: e });
  }
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
  // This module runs as src/model/crf-model.ts (tests, tsx) or bundled into dist/*.js / dist/*.cjs
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

// ---------------------------------------------------------------------------------------------
// Prediction

/** The polynomial's coefficients a_k = c[k][0] + sum_j c[k][j+1] z_j. */
function polyOf(c: number[][], zs: number[]): number[] {
  return c.map((row) => {
    let a = row[0]!;
    for (let j = 0; j < zs.length; j++) a += row[j + 1]! * zs[j]!;
    return a;
  });
}

function horner(a: number[], x: number): number {
  let y = 0;
  for (let k = a.length - 1; k >= 0; k--) y = y * x + a[k]!;
  return y;
}

function hornerSlope(a: number[], x: number): number {
  let y = 0;
  for (let k = a.length - 1; k >= 1; k--) y = y * x + k * a[k]!;
  return y;
}

/**
 * The polynomial inside the trusted span [lo, hi] (the training CRFs); outside it, its tangent at
 * the nearer end, with the slope's sign forced the physical way (`sign` +1: the target may only
 * grow with CRF, −1: only fall; a wrong-signed slope becomes flat). A quadratic fitted on CRFs
 * 20..52 often turns over just outside them — ln(size) is concave in CRF, so its parabola peaks
 * near CRF 5–10 and would predict *smaller* files at CRF 1 — and the running minimum that enforces
 * monotonicity from CRF 1 upward would then carry that artefact across the whole curve.
 */
function extrapolated(a: number[], x: number, lo: number, hi: number, sign: 1 | -1): number {
  if (x >= lo && x <= hi) return horner(a, x);
  const end = x < lo ? lo : hi;
  const slope = hornerSlope(a, end);
  return horner(a, end) + (sign * slope > 0 ? slope : 0) * (x - end);
}

function checkVideo(video: VideoInfo): void {
  for (const k of ['width', 'height'] as const)
    if (!(Number.isFinite(video[k]) && video[k] > 0)) throw new InvalidOptionsError('video', `${k} must be a positive number, got ${video[k]}`);
}

function standardized(model: CrfModel, c: SceneComplexity, video: VideoInfo, proxyCurve?: ProxyCurve): number[] {
  checkVideo(video);
  const f = modelFeatures(c, video, model.proxy, proxyCurve);
  return f.map((v, j) => {
    if (!Number.isFinite(v)) throw new InvalidOptionsError('scene complexity', `model feature ${model.features[j]} is ${v}`);
    const zj = (v - model.standardize.mean[j]!) / model.standardize.std[j]!;
    return zj < -Z_CLAMP ? -Z_CLAMP : zj > Z_CLAMP ? Z_CLAMP : zj;
  });
}

type NeighbourScene = NonNullable<CrfModel['neighbours']>['scenes'][number];

/** The `k` stored scenes nearest to the standardised features `zs` (stored ones standardised and clamped alike). */
function nearestScenes(nb: NonNullable<CrfModel['neighbours']>, zs: number[], st: CrfModel['standardize']): NeighbourScene[] {
  return nb.scenes
    .map((sc) => {
      let d = 0;
      sc.features.forEach((v, j) => {
        const z = Math.max(-Z_CLAMP, Math.min(Z_CLAMP, (v - st.mean[j]!) / st.std[j]!));
        d += (z - zs[j]!) ** 2;
      });
      return { sc, d };
    })
    .sort((a, b) => a.d - b.d)
    .slice(0, nb.k)
    .map((x) => x.sc);
}

/** A measured curve read at `crf`: linear between measured CRFs, the end segment's line outside them. */
export function measuredAt(crfs: number[], values: number[], crf: number): number {
  let i = 0;
  while (i < crfs.length - 2 && crf > crfs[i + 1]!) i++;
  const u = (crf - crfs[i]!) / (crfs[i + 1]! - crfs[i]!);
  return values[i]! * (1 - u) + values[i + 1]! * u;
}

function meanAt(scenes: NeighbourScene[], pick: (sc: NeighbourScene) => number[], crf: number): number {
  return scenes.reduce((sum, sc) => sum + measuredAt(sc.crfs, pick(sc), crf), 0) / scenes.length;
}

/**
 * The model with a nearest-scene blend (see `neighboursSchema`): every scene of `rows` with at
 * least two distinct CRFs is stored with its measured curve (rows at a repeated CRF are averaged).
 */
export function withNearestScenes(model: CrfModel, rows: readonly DatasetRow[], opts: { k: number; weight: number }): CrfModel {
  if (!(Number.isInteger(opts.k) && opts.k >= 1)) throw new InvalidOptionsError('nearest-scene options', `k must be an integer >= 1, got ${opts.k}`);
  if (!(opts.weight > 0 && opts.weight <= 1)) throw new InvalidOptionsError('nearest-scene options', `weight must be in (0, 1], got ${opts.weight}`);
  const { encoder, preset } = checkRows(rows);
  if (encoder !== model.encoder || preset !== model.preset)
    throw new InvalidOptionsError('training rows', `rows are ${encoder} preset ${preset}, the model ${model.encoder} preset ${model.preset}`);
  const scenes: NeighbourScene[] = [];
  for (const sceneRows of rowsByScene(rows)) {
    const crfs = [...new Set(sceneRows.map((r) => r.crf))].sort((a, b) => a - b);
    if (crfs.length < 2) continue;
    const avg = (f: (r: DatasetRow) => number) => crfs.map((c) => {
      const at = sceneRows.filter((r) => r.crf === c);
      return at.reduce((s, r) => s + f(r), 0) / at.length;
    });
    scenes.push({
      features: modelFeatures(sceneRows[0]!.complexity, sceneRows[0]!, model.proxy, sceneRows[0]!.proxy),
      crfs,
      tMean: avg((r) => vmafToT(r.vmafMean)),
      tP5: avg((r) => vmafToT(r.vmafP5)),
      lnBytesPerPixel: avg(sizeTarget),
    });
  }
  if (scenes.length < opts.k) throw new InvalidOptionsError('training rows', `${scenes.length} scenes have two or more CRFs measured; k is ${opts.k}`);
  return parseCrfModel({ ...model, neighbours: { k: opts.k, weight: opts.weight, scenes } }, 'CRF model with nearest scenes');
}

/**
 * The scene's predicted curve at every integer CRF of `crfRange` (default: the encoder's
 * `CRF_RANGE`), with the `SceneCurve` invariants enforced: VMAF mean and p5 within 0..100 and
 * non-increasing in CRF (running minimum from the lowest CRF up), p5 ≤ mean, bytes per frame
 * positive and strictly decreasing. Outside the training CRFs the curve is a tangent
 * extrapolation (see `extrapolated`), so treat values far outside them as rough. Features are
 * clamped to ±Z_CLAMP training standard deviations. A model with a `proxy` spec needs the scene's
 * `proxyCurve` measured to that spec. Pure and synchronous.
 */
export function predictSceneCurve(
  model: CrfModel,
  complexity: SceneComplexity,
  video: VideoInfo,
  crfRange?: { min: number; max: number },
  proxyCurve?: ProxyCurve,
): SceneCurve {
  const range = crfRange ?? CRF_RANGE[model.encoder];
  if (!(Number.isInteger(range.min) && Number.isInteger(range.max) && range.min <= range.max))
    throw new InvalidOptionsError('CRF range', `want integers min <= max, got ${range.min}..${range.max}`);
  const zs = standardized(model, complexity, video, proxyCurve);
  const near = model.neighbours ? nearestScenes(model.neighbours, zs, model.standardize) : undefined;
  const w = model.neighbours?.weight ?? 0;
  const am = polyOf(model.quality.mean, zs);
  const ap = polyOf(model.quality.p5, zs);
  const ab = polyOf(model.bits, zs);
  const pixels = video.width * video.height;
  const lo = Math.min(...model.training.crfs) / 63;
  const hi = Math.max(...model.training.crfs) / 63;
  const n = range.max - range.min + 1;
  const crfs = new Array<number>(n);
  const vmafMean = new Array<number>(n);
  const vmafP5 = new Array<number>(n);
  const bytesPerFrame = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const crf = range.min + i;
    const x = crf / 63;
    crfs[i] = crf;
    let tm = extrapolated(am, x, lo, hi, 1);
    let tp = extrapolated(ap, x, lo, hi, 1);
    let s = extrapolated(ab, x, lo, hi, -1);
    if (near) {
      tm = (1 - w) * tm + w * meanAt(near, (sc) => sc.tMean, crf);
      tp = (1 - w) * tp + w * meanAt(near, (sc) => sc.tP5, crf);
      s = (1 - w) * s + w * meanAt(near, (sc) => sc.lnBytesPerPixel, crf);
    }
    let m = tToVmaf(tm);
    let p = tToVmaf(tp);
    let b = Math.exp(s < LN_BPP_MIN ? LN_BPP_MIN : s > LN_BPP_MAX ? LN_BPP_MAX : s) * pixels;
    if (i > 0) {
      m = Math.min(m, vmafMean[i - 1]!);
      p = Math.min(p, vmafP5[i - 1]!);
      b = Math.min(b, bytesPerFrame[i - 1]! * (1 - BYTES_STEP));
    }
    vmafMean[i] = m;
    vmafP5[i] = Math.min(p, m); // both non-increasing, so their minimum is too
    bytesPerFrame[i] = b;
  }
  return { crfs, vmafMean, vmafP5, bytesPerFrame };
}

// ---------------------------------------------------------------------------------------------
// Fitting

export interface CrfFitOptions {
  /** Degree of the polynomial in x = crf/63 (1..3). Default 2. */
  degree?: number;
  /** Ridge penalty on the feature coefficients (loss is the weighted mean squared error). Default 1e-3. */
  lambda?: number;
  /** 'row': every row counts the same; 'video': every video counts the same in total. Default 'row'. */
  weighting?: RowWeighting;
  /** Add the rows' proxy curves as features (every row needs a `proxy` measured to one spec). Default false. */
  proxy?: boolean;
}

interface ResolvedOptions {
  degree: number;
  lambda: number;
  weighting: RowWeighting;
  proxy: boolean;
}

function resolveOptions(opts: CrfFitOptions): ResolvedOptions {
  const degree = opts.degree ?? DEFAULT_DEGREE;
  const lambda = opts.lambda ?? DEFAULT_LAMBDA;
  const weighting = opts.weighting ?? 'row';
  if (!(Number.isInteger(degree) && degree >= 1 && degree <= MAX_DEGREE)) throw new InvalidOptionsError('CRF model options', `degree must be an integer 1..${MAX_DEGREE}, got ${degree}`);
  if (!(Number.isFinite(lambda) && lambda >= 0)) throw new InvalidOptionsError('CRF model options', `lambda must be a finite number >= 0, got ${lambda}`);
  if (weighting !== 'row' && weighting !== 'video') throw new InvalidOptionsError('CRF model options', `weighting must be 'row' or 'video', got ${JSON.stringify(weighting)}`);
  return { degree, lambda, weighting, proxy: opts.proxy === true };
}

const rowLabel = (r: DatasetRow): string => `${r.video} scene ${r.scene} crf ${r.crf}`;

/** Checks rows are fit-able: one encoder, one preset, finite measurements. */
function checkRows(rows: readonly DatasetRow[]): { encoder: EncoderName; preset: number } {
  if (rows.length === 0) throw new InvalidOptionsError('training rows', 'no rows');
  const encoders = new Set(rows.map((r) => r.encoder));
  if (encoders.size !== 1) throw new InvalidOptionsError('training rows', `rows mix encoders (${[...encoders].join(', ')}); fit one model per encoder`);
  const presets = new Set(rows.map((r) => r.preset));
  if (presets.size !== 1) throw new InvalidOptionsError('training rows', `rows mix presets (${[...presets].join(', ')}); fit one model per preset`);
  for (const r of rows) {
    if (![r.crf, r.vmafMean, r.vmafP5, r.bytes, r.frames, r.width, r.height].every(Number.isFinite))
      throw new InvalidOptionsError('training rows', `${rowLabel(r)} has a non-finite number`);
    if (!(r.bytes > 0 && r.frames > 0 && r.width > 0 && r.height > 0)) throw new InvalidOptionsError('training rows', `${rowLabel(r)} needs positive bytes, frames, width and height`);
  }
  return { encoder: rows[0]!.encoder, preset: rows[0]!.preset };
}

const sizeTarget = (r: DatasetRow): number => Math.log(r.bytes / r.frames / (r.width * r.height));


type Coefficients = Pick<CrfModel, 'encoder' | 'preset' | 'features' | 'standardize' | 'degree' | 'quality' | 'bits' | 'proxy'>;

/** The one proxy spec all `rows` were measured with (rows without a proxy curve are an error). */
function proxySpecOf(rows: readonly DatasetRow[]): ProxySpec {
  const first = rows[0]!.proxy;
  for (const r of rows) {
    if (!r.proxy) throw new InvalidOptionsError('training rows', `${rowLabel(r)} has no proxy curve (build the dataset with --proxy, or fit without proxy features)`);
    if (JSON.stringify(r.proxy.spec) !== JSON.stringify(first!.spec)) throw new InvalidOptionsError('training rows', `${rowLabel(r)}: proxy curves were measured with different specs`);
  }
  return first!.spec;
}

/** The weighted ridge fit of the three targets (they share the design matrix). */
function fitCoefficients(rows: readonly DatasetRow[], o: ResolvedOptions): Coefficients {
  const { encoder, preset } = checkRows(rows);
  const proxy = o.proxy ? proxySpecOf(rows) : undefined;
  const names = modelFeatureList(proxy);
  const n = rows.length;
  const d = names.length;
  const q = d + 1;
  const p = (o.degree + 1) * q;

  const feats = rows.map((r) => modelFeatures(r.complexity, r, proxy, r.proxy));
  feats.forEach((f, i) =>
    f.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new InvalidOptionsError('training rows', `${rowLabel(rows[i]!)}: model feature ${names[j]} is ${v}`);
    }),
  );
  const weights = new Float64Array(n).fill(1);
  if (o.weighting === 'video') {
    const count = new Map<string, number>();
    for (const r of rows) count.set(r.video, (count.get(r.video) ?? 0) + 1);
    rows.forEach((r, i) => (weights[i] = n / count.size / count.get(r.video)!));
  }
  let wSum = 0;
  for (const w of weights) wSum += w;

  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  feats.forEach((f, i) => f.forEach((v, j) => (mean[j] += weights[i]! * v)));
  for (let j = 0; j < d; j++) mean[j]! /= wSum;
  feats.forEach((f, i) => f.forEach((v, j) => (std[j] += weights[i]! * (v - mean[j]!) ** 2)));
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j]! / wSum);
    // A feature that does not vary in the data (e.g. every video 1080p) standardises to 0: its
    // coefficients stay 0 (ridge), and std 1 keeps the stored model well defined.
    std[j] = s > 1e-9 * Math.max(1, Math.abs(mean[j]!)) ? s : 1;
  }

  // Normal equations of the weighted mean squared error: A = sum w φφ' / W, b = sum w φ y / W.
  const A = new Float64Array(p * p);
  const rhs = [new Float64Array(p), new Float64Array(p), new Float64Array(p)];
  const phi = new Float64Array(p);
  const zrow = new Float64Array(q);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const f = feats[i]!;
    zrow[0] = 1;
    for (let j = 0; j < d; j++) zrow[j + 1] = (f[j]! - mean[j]!) / std[j]!;
    const x = r.crf / 63;
    let xk = 1;
    for (let k = 0; k <= o.degree; k++, xk *= x) for (let j = 0; j < q; j++) phi[k * q + j] = xk * zrow[j]!;
    const w = weights[i]! / wSum;
    const ys = [vmafToT(r.vmafMean), vmafToT(r.vmafP5), sizeTarget(r)];
    for (let a = 0; a < p; a++) {
      const wa = w * phi[a]!;
      if (wa === 0) continue;
      for (let b = a; b < p; b++) A[a * p + b] += wa * phi[b]!;
      for (let t = 0; t < 3; t++) rhs[t]![a] += wa * ys[t]!;
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) A[a * p + b] = A[b * p + a]!;
  // Ridge on every feature coefficient (j ≥ 1), never on the intercepts c[k][0].
  for (let k = 0; k <= o.degree; k++) for (let j = 1; j < q; j++) A[(k * q + j) * p + k * q + j] += o.lambda;
  // A tiny jitter only matters when lambda is 0 and the design is rank deficient.
  let trace = 0;
  for (let a = 0; a < p; a++) trace += A[a * p + a]!;
  let jitter = 1e-12 * (trace / p);
  let L: Float64Array | undefined;
  for (let attempt = 0; attempt < 8 && !L; attempt++, jitter *= 100) {
    const c = Float64Array.from(A);
    for (let a = 0; a < p; a++) c[a * p + a] += jitter;
    if (cholesky(c, p)) L = c;
  }
  if (!L) throw new InvalidOptionsError('training rows', 'the normal equations are singular (too few distinct scenes or CRFs for this degree; raise lambda)');
  const [cm, cp, cb] = rhs.map((b) => {
    const sol = choleskySolve(L, p, b);
    return Array.from({ length: o.degree + 1 }, (_, k) => Array.from(sol.subarray(k * q, (k + 1) * q)));
  });
  return {
    encoder,
    preset,
    features: names,
    standardize: { mean, std },
    degree: o.degree,
    quality: { mean: cm!, p5: cp! },
    bits: cb!,
    ...(proxy ? { proxy } : {}),
  };
}

/**
 * Fits a CRF model on dataset rows of one encoder and preset. With two or more videos the
 * returned model also carries its leave-one-video-out errors (`crossValidate: false` skips them).
 */
export function fitCrfModel(rows: readonly DatasetRow[], opts: CrfFitOptions & { crossValidate?: boolean } = {}): CrfModel {
  const o = resolveOptions(opts);
  const model = buildModel(rows, o);
  if (model.training.videos.length >= 2 && opts.crossValidate !== false) model.crossValidation = crossValidateCrfModel(rows, o);
  return parseCrfModel(model, '(fitted model)');
}

function buildModel(rows: readonly DatasetRow[], o: ResolvedOptions): CrfModel {
  const coef = fitCoefficients(rows, o);
  return {
    format: CRF_MODEL_FORMAT,
    version: 1,
    ...coef,
    training: {
      videos: [...new Set(rows.map((r) => r.video))].sort(),
      scenes: new Set(rows.map((r) => `${r.video}\u0000${r.scene}`)).size,
      rows: rows.length,
      crfs: [...new Set(rows.map((r) => r.crf))].sort((a, b) => a - b),
      createdAt: new Date().toISOString(),
      lambda: o.lambda,
      weighting: o.weighting,
    },
  };
}

/** Linear interpolation of `ys` (sampled at consecutive integer `crfs`) at `crf`, clamped to the ends. */
function valueAt(crfs: number[], ys: number[], crf: number): number {
  const u = Math.min(Math.max(crf - crfs[0]!, 0), crfs.length - 1);
  const i = Math.min(Math.floor(u), crfs.length - 2);
  if (i < 0) return ys[0]!;
  const f = u - i;
  return ys[i]! * (1 - f) + ys[i + 1]! * f;
}

interface ErrorSums {
  rows: number;
  mean: number;
  p5: number;
  log2Bytes: number;
  within2: number;
  bandMeanRows: number;
  bandMean: number;
  bandP5Rows: number;
  bandP5: number;
}

const noErrors = (): ErrorSums => ({ rows: 0, mean: 0, p5: 0, log2Bytes: 0, within2: 0, bandMeanRows: 0, bandMean: 0, bandP5Rows: 0, bandP5: 0 });
const inBand = (v: number): boolean => v >= TARGET_BAND.min && v <= TARGET_BAND.max;

/**
 * Leave-one-video-out cross-validation: for each video, fit on the other videos' rows and predict
 * its scenes (through `predictSceneCurve`, so the invariants are part of what is scored); errors
 * are over the held-out rows at the CRFs in the data. Needs at least two videos.
 */
export function crossValidateCrfModel(rows: readonly DatasetRow[], opts: CrfFitOptions = {}): CrfCrossValidation {
  const o = resolveOptions(opts);
  checkRows(rows);
  const videos = [...new Set(rows.map((r) => r.video))].sort();
  if (videos.length < 2) throw new InvalidOptionsError('training rows', `leave-one-video-out cross-validation needs at least 2 videos, got ${videos.length}`);
  const encoderRange = CRF_RANGE[rows[0]!.encoder];
  const total = noErrors();
  const perVideo: CrfCrossValidation['perVideo'] = [];
  for (const video of videos) {
    const test = rows.filter((r) => r.video === video);
    const model = buildModel(rows.filter((r) => r.video !== video), o);
    const lo = Math.min(encoderRange.min, ...test.map((r) => Math.floor(r.crf)));
    const hi = Math.max(encoderRange.max, ...test.map((r) => Math.ceil(r.crf)));
    const curves = new Map<string, SceneCurve>();
    const e = noErrors();
    for (const r of test) {
      const key = JSON.stringify([r.complexity, r.width, r.height, r.proxy]);
      let curve = curves.get(key);
      if (!curve) curves.set(key, (curve = predictSceneCurve(model, r.complexity, r, { min: lo, max: hi }, r.proxy)));
      const dm = Math.abs(valueAt(curve.crfs, curve.vmafMean, r.crf) - r.vmafMean);
      const dp = Math.abs(valueAt(curve.crfs, curve.vmafP5, r.crf) - r.vmafP5);
      e.rows++;
      e.mean += dm;
      e.p5 += dp;
      if (inBand(r.vmafMean)) {
        e.bandMeanRows++;
        e.bandMean += dm;
      }
      if (inBand(r.vmafP5)) {
        e.bandP5Rows++;
        e.bandP5 += dp;
      }
      e.log2Bytes += Math.abs(Math.log2(valueAt(curve.crfs, curve.bytesPerFrame, r.crf)) - Math.log2(r.bytes / r.frames));
      if (dm <= 2) e.within2++;
    }
    perVideo.push({ video, rows: e.rows, vmafMeanMae: e.mean / e.rows, vmafP5Mae: e.p5 / e.rows, log2BytesMae: e.log2Bytes / e.rows });
    for (const k of Object.keys(total) as (keyof ErrorSums)[]) total[k] += e[k];
  }
  return {
    folds: 'leave-one-video-out',
    rows: total.rows,
    vmafMeanMae: total.mean / total.rows,
    vmafP5Mae: total.p5 / total.rows,
    log2BytesMae: total.log2Bytes / total.rows,
    vmafMeanWithin2: total.within2 / total.rows,
    band: {
      ...TARGET_BAND,
      meanRows: total.bandMeanRows,
      p5Rows: total.bandP5Rows,
      vmafMeanMae: total.bandMeanRows ? total.bandMean / total.bandMeanRows : 0,
      vmafP5Mae: total.bandP5Rows ? total.bandP5 / total.bandP5Rows : 0,
    },
    perVideo,
  };
}
