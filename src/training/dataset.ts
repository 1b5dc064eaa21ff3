import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { ENCODERS, type EncoderName } from '../core/encoders.js';
import { specifiedProxyCurveSchema } from '../core/proxy-spec.js';

/**
 * One row of a training dataset (JSONL, one object per line): one scene of one video encoded at
 * one CRF, with the scene's complexity from `analyzeVideo` and what the encode measured.
 * `bench/build-dataset.ts` writes it; `fitCrfModel` reads it. Only training reads it: the runtime
 * predicts from a scene's complexity alone (src/model/predict.ts).
 */
const featureStats = z.object({ mean: z.number(), p10: z.number(), p50: z.number(), p90: z.number(), max: z.number() }).strict();

export const sceneComplexitySchema = z
  .object({
    frameCount: z.number().int().positive(),
    lumaMean: z.number(),
    lumaVariance: z.number(),
    si: featureStats,
    ti: featureStats,
    motion: featureStats,
    mcResidual: featureStats,
    edgeDensity: z.number(),
    noise: z.number(),
    score: z.number(),
  })
  .strict();

export const datasetRowSchema = z
  .object({
    /** Video file name (no directory): the unit of cross-validation and of train/test splits. */
    video: z.string().min(1),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fps: z.number().positive(),
    encoder: z.enum(ENCODERS),
    preset: z.number().int(),
    crf: z.number(),
    /** Scene index within the video, and its frames in the source video (end exclusive). */
    scene: z.number().int().min(0),
    startFrame: z.number().int().min(0),
    endFrame: z.number().int().min(1),
    /** Frames encoded and scored (may be an excerpt of the scene: see `bench/build-dataset.ts`). */
    frames: z.number().int().positive(),
    complexity: sceneComplexitySchema,
    vmafMean: z.number(),
    vmafP5: z.number(),
    vmafMin: z.number(),
    bytes: z.number().positive(),
    encodeSeconds: z.number().min(0),
    /** The scene's proxy curve (src/proxy), measured on the same frames, when the dataset was built with proxies. */
    proxy: specifiedProxyCurveSchema.optional(),
  })
  .strict();

export type DatasetRow = z.output<typeof datasetRowSchema>;

/** The rows of each scene (one per measured CRF; a scene is video, index and start frame), scenes in first-seen order. */
export function rowsByScene(rows: readonly DatasetRow[]): DatasetRow[][] {
  const byScene = new Map<string, DatasetRow[]>();
  for (const r of rows) {
    const key = `${r.video}\u0000${r.scene}\u0000${r.startFrame}`;
    byScene.set(key, [...(byScene.get(key) ?? []), r]);
  }
  return [...byScene.values()];
}

/** How error messages name a row. */
export const rowLabel = (r: DatasetRow): string => `${r.video} scene ${r.scene} crf ${r.crf}`;

/** Checks rows are fit-able: one encoder, one preset, finite measurements. */
export function checkRows(rows: readonly DatasetRow[]): { encoder: EncoderName; preset: number } {
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

/** A row's size target: ln(bytes per frame per pixel), the model's `bits` domain (src/model/format.ts). */
export const sizeTarget = (r: DatasetRow): number => Math.log(r.bytes / r.frames / (r.width * r.height));
