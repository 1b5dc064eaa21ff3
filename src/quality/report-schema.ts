import { z } from 'zod';

/**
 * The JSON of a quality measurement (`measureQuality`'s report, `scenecrf quality --json`), as zod
 * schemas: the published JSON Schema (schemas/quality.schema.json, `npm run schemas`) is generated
 * from them. Readers should ignore fields they do not know (see analysis/result-schema.ts).
 */

export const QUALITY_FORMAT = 'scenecrf-quality';
export const QUALITY_VERSION = 1;

export const pooledScoreSchema = z.object({
  mean: z.number(),
  harmonicMean: z.number(),
  min: z.number(),
  max: z.number(),
  p1: z.number(),
  p5: z.number(),
  frames: z.number().int().min(0).describe('frames that went into the statistics'),
});

export const qualityFrameSchema = z.object({
  index: z.number().int().min(0),
  score: z.number().describe('VMAF, luma PSNR (dB, capped at 100 for identical frames), luma SSIM or luma XPSNR'),
  // JSON has no Infinity or NaN: a plane PSNR of identical frames is written as null.
  features: z.record(z.number().nullable()).describe("the score's inputs or side values (VMAF features, the filter's per-plane values); null: not finite"),
});

export const qualityOutputSchema = z
  .object({
    format: z.literal(QUALITY_FORMAT),
    version: z.literal(QUALITY_VERSION),
    reference: z.string(),
    distorted: z.string(),
    metric: z.enum(['vmaf', 'psnr', 'ssim', 'xpsnr']),
    backend: z.enum(['builtin', 'ffmpeg-libvmaf', 'ffmpeg-filters']),
    backendNote: z.string().optional(),
    model: z.string().optional().describe('VMAF model name or path'),
    ffmpeg: z.object({ source: z.enum(['option', 'env', 'ffmpeg-static', 'path', 'wasm']), path: z.string(), version: z.string() }),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    frameCount: z.number().int().positive(),
    subsample: z.number().int().min(1),
    frames: z.array(qualityFrameSchema).describe('scored frames only (every subsample-th)'),
    pooled: pooledScoreSchema,
    scenes: z.array(z.object({ startFrame: z.number().int().min(0), endFrame: z.number().int().min(1), score: pooledScoreSchema })).optional(),
    elapsedSeconds: z.number(),
  })
  .describe('scenecrf quality --json: per-frame and pooled scores of a distorted video against its reference');
