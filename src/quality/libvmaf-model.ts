/**
 * Loader and evaluator for libvmaf's model JSON format (`vmaf_v0.6.1.json` and friends), written
 * from the format itself: a libsvm nu-SVR with an RBF kernel over linearly rescaled features.
 *
 * Evaluation order, as libvmaf does it per frame (checked against libvmaf 3.2.0 on 20208 frames,
 * max |diff| 1.6e-4, i.e. the 6-decimal rounding of the logged features):
 *   1. x'_i = slopes[i+1] * x_i + intercepts[i+1]       (norm_type linear_rescale; index 0 = output)
 *   2. y'   = sum_j coef_j * exp(-gamma * |x' - sv_j|^2) - rho
 *   3. y    = (y' - intercepts[0]) / slopes[0]          (back to the 0..100 score scale)
 *   4. optional score transform (p0 + p1*y + p2*y^2, then out_gte_in / out_lte_in). libvmaf applies
 *      it ONLY when the model is loaded with `enable_transform`; its default (and the `vmaf`
 *      column of libvmaf's logs) is without it, so `enableTransform` defaults to false here too.
 *   5. clip to score_clip.
 */
import { z } from 'zod';
import { describeIssues, ModelInvalidError } from '../errors.js';
import { readJsonFile } from '../util/json-file.js';

/** scenecrf's canonical names of the six VMAF v0.6.x elementary features. */
export const VMAF_FEATURE_KEYS = ['adm2', 'motion2', 'vif_scale0', 'vif_scale1', 'vif_scale2', 'vif_scale3'] as const;
export type VmafFeatureKey = (typeof VMAF_FEATURE_KEYS)[number];
/** One frame's elementary features (libvmaf's `integer_adm2`, `integer_motion2`, `integer_vif_scale0..3`). */
export type VmafFeatures = Readonly<Record<VmafFeatureKey, number>>;

/** How the feature extractors must be configured for a model (libvmaf's `feature_opts_dicts`). */
export interface VmafFeatureOptions {
  /** ADM enhancement gain limit (libvmaf `adm_enhn_gain_limit`; default 100, the NEG models use 1.0). */
  admEnhnGainLimit: number;
  /** VIF enhancement gain limit (libvmaf `vif_enhn_gain_limit`; default 100, the NEG models use 1.0). */
  vifEnhnGainLimit: number;
  /** Every option of the model file, per canonical feature, unchanged (other extractor options live here). */
  raw: Partial<Record<VmafFeatureKey, Readonly<Record<string, unknown>>>>;
}

/** libvmaf's default gain limit (no limit in practice): what plain vmaf_v0.6.1 runs with. */
export const DEFAULT_ENHN_GAIN_LIMIT = 100;

/** Common interface of every fusion model (libvmaf JSON or scenecrf's own): features in, 0..100 score out. */
export interface VmafModel {
  readonly kind: 'libvmaf' | 'scenecrf-fusion';
  readonly name: string;
  /** Features the model reads (all of them must be present in `predict`'s argument). */
  readonly features: readonly VmafFeatureKey[];
  readonly featureOptions: VmafFeatureOptions;
  /** Clipped per-frame score. Pure and synchronous. */
  predict(features: VmafFeatures): number;
}

export interface ScoreTransform {
  p0: number;
  p1: number;
  p2: number;
  outGteIn: boolean;
  outLteIn: boolean;
}

export interface LibvmafModel extends VmafModel {
  readonly kind: 'libvmaf';
  readonly path: string;
  /** libvmaf's `feature_names`, in SV index order. */
  readonly libvmafFeatureNames: readonly string[];
  readonly gamma: number;
  readonly rho: number;
  /** SV coefficients, one per support vector. */
  readonly coefs: Float64Array;
  /** Support vectors, row-major `coefs.length x features.length` (absent libsvm indices are 0). */
  readonly supportVectors: Float64Array;
  /** linear_rescale parameters of the features, in `features` order (identity when norm_type is none). */
  readonly featureSlopes: Float64Array;
  readonly featureIntercepts: Float64Array;
  readonly outputSlope: number;
  readonly outputIntercept: number;
  readonly scoreTransform: ScoreTransform | null;
  /** Whether `scoreTransform` is applied (libvmaf's `enable_transform`; default false like libvmaf). */
  readonly enableTransform: boolean;
  readonly scoreClip: readonly [number, number] | null;
}

export interface LibvmafPrediction {
  /** The final score: transformed if enabled, then clipped. */
  score: number;
  /** The same before clipping (after the transform when enabled). */
  unclipped: number;
}

export interface LibvmafLoadOptions {
  /** Apply the model's `score_transform` (libvmaf `enable_transform`). Default false, as libvmaf. */
  enableTransform?: boolean;
  /** Display name; defaults to the file name without `.json`. */
  name?: string;
}

const FEATURE_NAME_RE = /^(?:VMAF_(?:integer_|float_)?feature_|integer_|float_)?(adm2|motion2|vif_scale[0-3])(?:_score)?$/;

/** Maps a libvmaf feature name (`VMAF_integer_feature_adm2_score`, `VMAF_feature_adm2_score`, ...) to a canonical key. */
export function canonicalFeatureKey(libvmafName: string): VmafFeatureKey | undefined {
  const m = FEATURE_NAME_RE.exec(libvmafName);
  return m ? (m[1] as VmafFeatureKey) : undefined;
}

const boolish = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
const finite = z.number().finite();

const modelDictSchema = z.object({
  model_type: z.string(),
  model: z.string().min(1),
  feature_names: z.array(z.string()).min(1),
  norm_type: z.enum(['linear_rescale', 'none']).default('none'),
  slopes: z.array(finite).optional(),
  intercepts: z.array(finite).optional(),
  score_clip: z.tuple([finite, finite]).optional(),
  score_transform: z
    .object({
      p0: finite.optional(),
      p1: finite.optional(),
      p2: finite.optional(),
      out_gte_in: boolish.optional(),
      out_lte_in: boolish.optional(),
      knots: z.unknown().optional(),
    })
    .optional(),
  feature_opts_dicts: z.array(z.record(z.unknown())).optional(),
});
const fileSchema = z.object({ model_dict: modelDictSchema });


interface ParsedSvm {
  gamma: number;
  rho: number;
  coefs: Float64Array;
  svs: Float64Array;
}

/** Parses libsvm's text model (svm_type nu_svr/epsilon_svr, kernel_type rbf, one rho, `coef i:v ...` SV lines). */
function parseLibsvm(text: string, dims: number, fail: (detail: string) => never): ParsedSvm {
  const lines = text.split('\n').map((l) => l.trim());
  const header = new Map<string, string[]>();
  let i = 0;
  for (; i < lines.length && lines[i] !== 'SV'; i++) {
    if (!lines[i]) continue;
    const [key, ...vals] = lines[i]!.split(/\s+/);
    header.set(key!, vals);
  }
  if (i >= lines.length) fail('libsvm model has no "SV" section');
  const svmType = header.get('svm_type')?.[0];
  if (svmType !== 'nu_svr' && svmType !== 'epsilon_svr') fail(`unsupported libsvm svm_type ${JSON.stringify(svmType)} (need nu_svr or epsilon_svr)`);
  const kernel = header.get('kernel_type')?.[0];
  if (kernel !== 'rbf') fail(`unsupported libsvm kernel_type ${JSON.stringify(kernel)} (only rbf)`);
  const num = (key: string): number => {
    const v = header.get(key);
    if (!v || v.length !== 1 || !Number.isFinite(Number(v[0]))) fail(`libsvm header "${key}" is missing or not one number`);
    return Number(v[0]);
  };
  const gamma = num('gamma');
  if (!(gamma > 0)) fail(`libsvm gamma must be > 0, got ${gamma}`);
  const rho = num('rho');
  const svLines = lines.slice(i + 1).filter((l) => l.length > 0);
  const totalSv = header.has('total_sv') ? num('total_sv') : svLines.length;
  if (svLines.length !== totalSv) fail(`libsvm total_sv says ${totalSv} but ${svLines.length} SV lines follow`);
  if (totalSv === 0) fail('libsvm model has no support vectors');
  const coefs = new Float64Array(totalSv);
  const svs = new Float64Array(totalSv * dims);
  svLines.forEach((line, j) => {
    const tokens = line.split(/\s+/);
    const c = Number(tokens[0]);
    if (!Number.isFinite(c)) fail(`SV line ${j + 1}: coefficient ${JSON.stringify(tokens[0])} is not a number`);
    coefs[j] = c;
    for (const tok of tokens.slice(1)) {
      const m = /^(\d+):(\S+)$/.exec(tok);
      const idx = m ? Number(m[1]) : NaN;
      const val = m ? Number(m[2]) : NaN;
      if (!m || !Number.isFinite(val)) fail(`SV line ${j + 1}: bad entry ${JSON.stringify(tok)} (want index:value)`);
      if (idx < 1 || idx > dims) fail(`SV line ${j + 1}: feature index ${idx} outside 1..${dims}`);
      svs[j * dims + idx - 1] = val;
    }
  });
  return { gamma, rho, coefs, svs };
}

/**
 * Validates an already-parsed libvmaf model JSON. Throws ModelInvalidError (naming `pathForErrors`)
 * on anything malformed or unsupported.
 */
export function parseLibvmafModel(json: unknown, pathForErrors: string, options: LibvmafLoadOptions = {}): LibvmafModel {
  const fail = (detail: string): never => {
    throw new ModelInvalidError(pathForErrors, detail);
  };
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) fail(`not a libvmaf model JSON: ${describeIssues(parsed.error.issues, '(root)', 5)}`);
  const md = parsed.data!.model_dict;
  if (md.model_type !== 'LIBSVMNUSVR') fail(`unsupported model_type ${JSON.stringify(md.model_type)} (only LIBSVMNUSVR)`);

  const features = md.feature_names.map((n) => canonicalFeatureKey(n) ?? fail(`unsupported feature ${JSON.stringify(n)} (scenecrf computes adm2, motion2, vif_scale0..3)`));
  const dupe = features.find((f, i) => features.indexOf(f) !== i);
  if (dupe) fail(`feature ${dupe} appears twice in feature_names`);
  const d = features.length;

  let featureSlopes = new Float64Array(d).fill(1);
  let featureIntercepts = new Float64Array(d);
  let outputSlope = 1;
  let outputIntercept = 0;
  if (md.norm_type === 'linear_rescale') {
    if (!md.slopes || !md.intercepts) fail('norm_type linear_rescale needs slopes and intercepts');
    if (md.slopes!.length !== d + 1 || md.intercepts!.length !== d + 1)
      fail(`slopes/intercepts must have ${d + 1} entries (output + ${d} features), got ${md.slopes!.length}/${md.intercepts!.length}`);
    outputSlope = md.slopes![0]!;
    outputIntercept = md.intercepts![0]!;
    if (outputSlope === 0) fail('slopes[0] (output rescale) is 0');
    featureSlopes = Float64Array.from(md.slopes!.slice(1));
    featureIntercepts = Float64Array.from(md.intercepts!.slice(1));
  }

  let scoreClip: readonly [number, number] | null = null;
  if (md.score_clip) {
    if (md.score_clip[0] > md.score_clip[1]) fail(`score_clip [${md.score_clip.join(', ')}] is reversed`);
    scoreClip = [md.score_clip[0], md.score_clip[1]];
  }
  let scoreTransform: ScoreTransform | null = null;
  if (md.score_transform) {
    const t = md.score_transform;
    scoreTransform = { p0: t.p0 ?? 0, p1: t.p1 ?? 0, p2: t.p2 ?? 0, outGteIn: t.out_gte_in ?? false, outLteIn: t.out_lte_in ?? false };
    if (t.knots !== undefined && options.enableTransform) fail('score_transform knots are not supported');
  }

  const raw: VmafFeatureOptions['raw'] = {};
  let admLimit: number | undefined;
  let vifLimit: number | undefined;
  if (md.feature_opts_dicts) {
    if (md.feature_opts_dicts.length !== d) fail(`feature_opts_dicts has ${md.feature_opts_dicts.length} entries for ${d} features`);
    md.feature_opts_dicts.forEach((opts, i) => {
      const key = features[i]!;
      if (Object.keys(opts).length) raw[key] = opts;
      for (const [opt, value] of Object.entries(opts)) {
        if (opt !== 'adm_enhn_gain_limit' && opt !== 'vif_enhn_gain_limit') continue;
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) fail(`${opt} of ${key} must be a number >= 1, got ${JSON.stringify(value)}`);
        const v = value as number;
        if (opt === 'adm_enhn_gain_limit') {
          if (admLimit !== undefined && admLimit !== v) fail(`conflicting adm_enhn_gain_limit values ${admLimit} and ${v}`);
          admLimit = v;
        } else {
          if (vifLimit !== undefined && vifLimit !== v) fail(`conflicting vif_enhn_gain_limit values ${vifLimit} and ${v}`);
          vifLimit = v;
        }
      }
    });
  }
  const svm = parseLibsvm(md.model, d, fail);
  const name = options.name ?? pathForErrors.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
  const model: LibvmafModel = {
    kind: 'libvmaf',
    name,
    path: pathForErrors,
    features,
    libvmafFeatureNames: md.feature_names,
    featureOptions: { admEnhnGainLimit: admLimit ?? DEFAULT_ENHN_GAIN_LIMIT, vifEnhnGainLimit: vifLimit ?? DEFAULT_ENHN_GAIN_LIMIT, raw },
    gamma: svm.gamma,
    rho: svm.rho,
    coefs: svm.coefs,
    supportVectors: svm.svs,
    featureSlopes,
    featureIntercepts,
    outputSlope,
    outputIntercept,
    scoreTransform,
    enableTransform: options.enableTransform ?? false,
    scoreClip,
    predict: (f) => predict(model, f).score,
  };
  return model;
}

/** Reads and validates a libvmaf model JSON file. Throws ModelInvalidError if unreadable or malformed. */
export async function loadLibvmafModel(path: string, options: LibvmafLoadOptions = {}): Promise<LibvmafModel> {
  const json = await readJsonFile(path, (why, cause) => new ModelInvalidError(path, why, { cause }));
  return parseLibvmafModel(json, path, options);
}

/**
 * Σ_j weights[j] · exp(−gamma · |x − centers_j|²), with the centers stored row after row in
 * `centers` (x.length values each): the RBF kernel expansion both VMAF fusion models evaluate.
 */
export function rbfKernelSum(x: ArrayLike<number>, centers: ArrayLike<number>, weights: ArrayLike<number>, gamma: number): number {
  const d = x.length;
  let sum = 0;
  for (let j = 0, o = 0; j < weights.length; j++, o += d) {
    let dist = 0;
    for (let i = 0; i < d; i++) {
      const t = x[i]! - centers[o + i]!;
      dist += t * t;
    }
    sum += weights[j]! * Math.exp(-gamma * dist);
  }
  return sum;
}

/** Evaluates a libvmaf model on one frame's features. Pure; throws RangeError if a feature is missing. */
export function predict(model: LibvmafModel, features: VmafFeatures): LibvmafPrediction {
  const d = model.features.length;
  const x = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const v = features[model.features[i]!];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new RangeError(`feature ${model.features[i]} is missing or NaN`);
    x[i] = model.featureSlopes[i]! * v + model.featureIntercepts[i]!;
  }
  const sum = rbfKernelSum(x, model.supportVectors, model.coefs, model.gamma);
  let y = (sum - model.rho - model.outputIntercept) / model.outputSlope;
  const t = model.scoreTransform;
  if (model.enableTransform && t) {
    let v = t.p0 + t.p1 * y + t.p2 * y * y;
    if (t.outGteIn && v < y) v = y;
    if (t.outLteIn && v > y) v = y;
    y = v;
  }
  const clip = model.scoreClip;
  const score = clip ? Math.min(clip[1], Math.max(clip[0], y)) : y;
  return { score, unclipped: y };
}
