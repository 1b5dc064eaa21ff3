import { z } from 'zod';
import { ENCODERS } from '../core/encoders.js';
import { specifiedProxyCurveSchema } from '../core/proxy-spec.js';

/**
 * One row of a training dataset (JSONL, one object per line): one scene of one video encoded at
 * one CRF, with the scene's complexity from `analyzeVideo` and what the encode measured.
 * `bench/build-dataset.ts` writes it; `fitCrfModel` reads it.
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
