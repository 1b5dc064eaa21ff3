/**
 * The CRF model's ridge fit (the model's form is described in src/model/format.ts): the three
 * targets' polynomial coefficients from dataset rows, and the model file around them.
 */
import { InvalidOptionsError } from '../errors.js';
import type { ProxySpec } from '../core/proxy-spec.js';
import { vmafToT } from '../core/curve.js';
import { cholesky, choleskySolve } from '../util/linalg.js';
import { CRF_MODEL_FORMAT, MAX_DEGREE, type CrfModel } from '../model/format.js';
import { modelFeatureList, modelFeatures } from '../model/features.js';
import { checkRows, rowLabel, sizeTarget, type DatasetRow } from './dataset.js';

/** Quadratic by default: ln(size) is clearly concave in CRF (src/model/format.ts). */
export const DEFAULT_DEGREE = 2;
export const DEFAULT_LAMBDA = 1e-3;
/** How rows count in the fit: 'row' all alike, 'video' each video's rows together as much as another's. */
export type RowWeighting = 'row' | 'video';

/** How `fitCrfModel` and `crossValidateCrfModel` fit (bench/train-crf.ts compares a grid of them). */
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

/** `CrfFitOptions` with every default filled in and checked. */
export interface ResolvedFitOptions {
  degree: number;
  lambda: number;
  weighting: RowWeighting;
  proxy: boolean;
}

/** Fills in the defaults; an option out of range is an InvalidOptionsError. */
export function resolveFitOptions(opts: CrfFitOptions): ResolvedFitOptions {
  const degree = opts.degree ?? DEFAULT_DEGREE;
  const lambda = opts.lambda ?? DEFAULT_LAMBDA;
  const weighting = opts.weighting ?? 'row';
  if (!(Number.isInteger(degree) && degree >= 1 && degree <= MAX_DEGREE)) throw new InvalidOptionsError('CRF model options', `degree must be an integer 1..${MAX_DEGREE}, got ${degree}`);
  if (!(Number.isFinite(lambda) && lambda >= 0)) throw new InvalidOptionsError('CRF model options', `lambda must be a finite number >= 0, got ${lambda}`);
  if (weighting !== 'row' && weighting !== 'video') throw new InvalidOptionsError('CRF model options', `weighting must be 'row' or 'video', got ${JSON.stringify(weighting)}`);
  return { degree, lambda, weighting, proxy: opts.proxy === true };
}

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
function fitCoefficients(rows: readonly DatasetRow[], o: ResolvedFitOptions): Coefficients {
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
 * The model fitted on `rows` as `fitCrfModel` returns it, but without cross-validation errors and
 * not yet checked against the schema; `createdAt` is now.
 */
export function fitPolynomialModel(rows: readonly DatasetRow[], o: ResolvedFitOptions): CrfModel {
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
