/**
 * A CRF model's prediction: a scene's rate–quality curve at every integer CRF (the model's form is
 * described in src/model/format.ts), with the nearest-scene blend when the model stores scenes.
 */
import type { SceneComplexity } from '../analysis/complexity.js';
import { InvalidOptionsError } from '../errors.js';
import { CRF_RANGE } from '../core/encoders.js';
import type { ProxyCurve } from '../core/proxy-spec.js';
import { tToVmaf, type SceneCurve } from '../core/curve.js';
import type { CrfModel, NeighbourScene } from './format.js';
import { modelFeatures, type VideoInfo } from './features.js';

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

/** The scene's model features, standardised and clamped to ±Z_CLAMP. */
export function standardized(model: CrfModel, c: SceneComplexity, video: VideoInfo, proxyCurve?: ProxyCurve): number[] {
  checkVideo(video);
  const f = modelFeatures(c, video, model.proxy, proxyCurve);
  return f.map((v, j) => {
    if (!Number.isFinite(v)) throw new InvalidOptionsError('scene complexity', `model feature ${model.features[j]} is ${v}`);
    const zj = (v - model.standardize.mean[j]!) / model.standardize.std[j]!;
    return zj < -Z_CLAMP ? -Z_CLAMP : zj > Z_CLAMP ? Z_CLAMP : zj;
  });
}

/** Squared distance between standardised features `zs` and a stored scene's raw features (standardised and clamped alike). */
export function sceneDistance2(features: number[], zs: number[], st: CrfModel['standardize']): number {
  let d = 0;
  features.forEach((v, j) => {
    const z = Math.max(-Z_CLAMP, Math.min(Z_CLAMP, (v - st.mean[j]!) / st.std[j]!));
    d += (z - zs[j]!) ** 2;
  });
  return d;
}

/** The `k` stored scenes nearest to the standardised features `zs`. */
function nearestScenes(nb: NonNullable<CrfModel['neighbours']>, zs: number[], st: CrfModel['standardize']): NeighbourScene[] {
  return nb.scenes
    .map((sc) => ({ sc, d: sceneDistance2(sc.features, zs, st) }))
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
