/**
 * scenecrf's own VMAF fusion model (`models/vmaf-fusion-v1.json`): maps the six elementary
 * features of a frame to a 0..100 score that tracks libvmaf's vmaf_v0.6.1. It is a kernel model
 * fitted by scenecrf on libvmaf outputs (bench/train-fusion.ts), not Netflix's model file:
 *
 *   z_i   = clamp((T_i(x_i) - min_i) / (max_i - min_i), 0, 1)     T_i = identity or log1p
 *   score = clip(bias + w . z + sum_j a_j * exp(-gamma * |z - c_j|^2), 0, 100)
 *
 * `loadVmafModel` opens either this format or a libvmaf model JSON, behind one `VmafModel` type.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describeIssues, ModelInvalidError } from '../errors.js';
import { readJsonFile } from '../util/json-file.js';
import {
  DEFAULT_ENHN_GAIN_LIMIT,
  VMAF_FEATURE_KEYS,
  parseLibvmafModel,
  rbfKernelSum,
  type LibvmafLoadOptions,
  type VmafFeatureKey,
  type VmafFeatures,
  type VmafModel,
} from './libvmaf-model.js';

export type { VmafFeatureKey, VmafFeatures, VmafFeatureOptions, VmafModel } from './libvmaf-model.js';

export const FUSION_MODEL_FORMAT = 'scenecrf-vmaf-fusion';
export const DEFAULT_FUSION_MODEL_FILE = 'vmaf-fusion-v1.json';

const finite = z.number().finite();
const featureKey = z.enum(VMAF_FEATURE_KEYS);

export const fusionModelFileSchema = z
  .object({
    format: z.literal(FUSION_MODEL_FORMAT),
    version: z.literal(1),
    name: z.string().min(1),
    description: z.string().optional(),
    features: z.array(featureKey).min(1),
    normalization: z.object({
      type: z.literal('minmax-clamp'),
      transform: z.array(z.enum(['identity', 'log1p'])),
      min: z.array(finite),
      max: z.array(finite),
    }),
    kernel: z.object({ type: z.literal('rbf'), gamma: finite.positive() }),
    centers: z.array(z.array(finite)).min(1),
    weights: z.array(finite),
    linear: z.object({ bias: finite, weights: z.array(finite) }),
    output: z.object({ clip: z.tuple([finite, finite]) }),
    featureOptions: z.object({ admEnhnGainLimit: finite.min(1), vifEnhnGainLimit: finite.min(1) }),
    training: z.object({
      source: z.string(),
      target: z.string(),
      rows: z.number().int().nonnegative(),
      heldOutSources: z.array(z.string()),
      heldOutRows: z.number().int().nonnegative(),
      heldOutMae: finite,
      heldOutRmse: finite,
      heldOutMax: finite,
      pairMae: finite,
      trainMae: finite.optional(),
      centers: z.number().int().positive().optional(),
      lambda: finite.optional(),
      date: z.string(),
      command: z.string(),
    }),
  })
  .superRefine((m, ctx) => {
    const d = m.features.length;
    const issue = (message: string, p: (string | number)[]) => ctx.addIssue({ code: z.ZodIssueCode.custom, message, path: p });
    if (new Set(m.features).size !== d) issue('features must be distinct', ['features']);
    for (const k of ['transform', 'min', 'max'] as const)
      if (m.normalization[k].length !== d) issue(`must have ${d} entries`, ['normalization', k]);
    m.normalization.min.forEach((lo, i) => {
      if (!(m.normalization.max[i]! > lo)) issue(`max must exceed min for ${m.features[i]}`, ['normalization', 'max', i]);
    });
    if (m.linear.weights.length !== d) issue(`must have ${d} entries`, ['linear', 'weights']);
    if (m.weights.length !== m.centers.length) issue(`${m.weights.length} weights for ${m.centers.length} centers`, ['weights']);
    const bad = m.centers.findIndex((c) => c.length !== d);
    if (bad >= 0) issue(`center ${bad} has ${m.centers[bad]!.length} values, want ${d}`, ['centers', bad]);
    if (m.output.clip[0] > m.output.clip[1]) issue('clip is reversed', ['output', 'clip']);
  });

export type FusionModelFile = z.infer<typeof fusionModelFileSchema>;

/** A loaded scenecrf fusion model: the validated file plus flat arrays for fast prediction. */
export interface FusionModel extends VmafModel {
  readonly kind: 'scenecrf-fusion';
  readonly path: string;
  readonly file: FusionModelFile;
  readonly gamma: number;
  /** Per feature, in `features` order: 1 when the log1p transform applies. */
  readonly logInput: Uint8Array;
  readonly min: Float64Array;
  /** 1 / (max - min). */
  readonly invRange: Float64Array;
  /** Row-major `weights.length x features.length`. */
  readonly centers: Float64Array;
  readonly weights: Float64Array;
  readonly bias: number;
  readonly linear: Float64Array;
  readonly clip: readonly [number, number];
}

/** The shipped default model: `models/vmaf-fusion-v1.json` at the package root (next to dist/ and src/). */
export function defaultFusionModelPath(): string {
  // This module runs as src/quality/fusion.ts (tests, tsx) or bundled into dist/*.js / dist/*.cjs
  // (tsup shims import.meta.url for CJS); walk up until a folder holds models/<file>.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'models', DEFAULT_FUSION_MODEL_FILE);
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models', DEFAULT_FUSION_MODEL_FILE);
}


/** Validates a parsed scenecrf fusion model JSON. Throws ModelInvalidError naming `pathForErrors`. */
export function parseFusionModel(json: unknown, pathForErrors: string): FusionModel {
  const parsed = fusionModelFileSchema.safeParse(json);
  if (!parsed.success) throw new ModelInvalidError(pathForErrors, `not a ${FUSION_MODEL_FORMAT} v1 model: ${describeIssues(parsed.error.issues, '(root)', 5)}`);
  const file = parsed.data;
  const d = file.features.length;
  const centers = new Float64Array(file.centers.length * d);
  file.centers.forEach((c, j) => centers.set(c, j * d));
  const model: FusionModel = {
    kind: 'scenecrf-fusion',
    name: file.name,
    path: pathForErrors,
    features: file.features,
    featureOptions: { admEnhnGainLimit: file.featureOptions.admEnhnGainLimit, vifEnhnGainLimit: file.featureOptions.vifEnhnGainLimit, raw: {} },
    file,
    gamma: file.kernel.gamma,
    logInput: Uint8Array.from(file.normalization.transform, (t) => (t === 'log1p' ? 1 : 0)),
    min: Float64Array.from(file.normalization.min),
    invRange: Float64Array.from(file.normalization.max, (hi, i) => 1 / (hi - file.normalization.min[i]!)),
    centers,
    weights: Float64Array.from(file.weights),
    bias: file.linear.bias,
    linear: Float64Array.from(file.linear.weights),
    clip: file.output.clip,
    predict: (f) => predictFusion(model, f),
  };
  return model;
}

function readJson(file: string): Promise<unknown> {
  return readJsonFile(file, (why, cause) => new ModelInvalidError(file, why, { cause }));
}

/** Loads a scenecrf fusion model; without a path, the shipped default `models/vmaf-fusion-v1.json`. */
export async function loadFusionModel(file: string = defaultFusionModelPath()): Promise<FusionModel> {
  return parseFusionModel(await readJson(file), file);
}

/**
 * Loads any supported model behind the common `VmafModel` interface: a scenecrf fusion model
 * (`format: "scenecrf-vmaf-fusion"`) or a libvmaf model JSON (`model_dict`). No path: the default.
 */
export async function loadVmafModel(file?: string, libvmafOptions?: LibvmafLoadOptions): Promise<VmafModel> {
  if (file === undefined) return loadFusionModel();
  const json = await readJson(file);
  if (json && typeof json === 'object' && 'model_dict' in json) return parseLibvmafModel(json, file, libvmafOptions);
  return parseFusionModel(json, file);
}

/** Writes the normalized input vector of `features` into `out` (exported for the trainer). */
export function normalizeFusionInput(model: FusionModel, features: VmafFeatures, out: Float64Array): Float64Array {
  const keys = model.features;
  for (let i = 0; i < keys.length; i++) {
    let v = features[keys[i]!];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new RangeError(`feature ${keys[i]} is missing or NaN`);
    if (model.logInput[i]) v = Math.log1p(Math.max(0, v));
    const z = (v - model.min[i]!) * model.invRange[i]!;
    out[i] = z < 0 ? 0 : z > 1 ? 1 : z;
  }
  return out;
}

const scratch = new Float64Array(VMAF_FEATURE_KEYS.length);

/** The model's clipped score for one frame. Pure, synchronous, allocation-free. */
export function predictFusion(model: FusionModel, features: VmafFeatures): number {
  const d = model.features.length;
  const z = normalizeFusionInput(model, features, d <= scratch.length ? scratch : new Float64Array(d));
  let y = model.bias;
  for (let i = 0; i < d; i++) y += model.linear[i]! * z[i]!;
  const { centers, weights, gamma } = model;
  if (d === 6) {
    // the usual case, unrolled (about 2x faster than the generic loop)
    const z0 = z[0]!, z1 = z[1]!, z2 = z[2]!, z3 = z[3]!, z4 = z[4]!, z5 = z[5]!;
    const ng = -gamma;
    for (let j = 0, o = 0; j < weights.length; j++, o += 6) {
      const t0 = z0 - centers[o]!, t1 = z1 - centers[o + 1]!, t2 = z2 - centers[o + 2]!;
      const t3 = z3 - centers[o + 3]!, t4 = z4 - centers[o + 4]!, t5 = z5 - centers[o + 5]!;
      y += weights[j]! * Math.exp(ng * (t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3 + t4 * t4 + t5 * t5));
    }
  } else {
    y += rbfKernelSum(d === z.length ? z : z.subarray(0, d), centers, weights, gamma);
  }
  const [lo, hi] = model.clip;
  return y < lo ? lo : y > hi ? hi : y;
}

export { DEFAULT_ENHN_GAIN_LIMIT };
