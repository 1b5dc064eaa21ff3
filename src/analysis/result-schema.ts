import { z } from 'zod';
import { repeatCadenceSchema } from './detect.js';

/**
 * The JSON of an analysis (`analyzeVideo`'s result, `scenecrf analyze --json`), as zod schemas: the
 * published JSON Schema (schemas/analysis.schema.json, `npm run schemas`) is generated from them.
 * Objects list every field scenecrf writes; readers should ignore fields they do not know, which
 * later releases may add without changing `version` (it changes when a field is removed, renamed
 * or changes meaning).
 */

export const ANALYSIS_FORMAT = 'scenecrf-analysis';
export const ANALYSIS_VERSION = 1;

const count = z.number().int().min(0);
const rational = z.object({ num: z.number().int().positive(), den: z.number().int().positive() });

const featureStatsSchema = z.object({ mean: z.number(), p10: z.number(), p50: z.number(), p90: z.number(), max: z.number() });

export const sceneComplexitySchema = z.object({
  frameCount: count,
  lumaMean: z.number().describe('luma mean (8-bit units), averaged over the scene'),
  lumaVariance: z.number(),
  si: featureStatsSchema.describe('spatial information (ITU-T P.910 SI) per frame'),
  ti: featureStatsSchema.describe("temporal information (P.910 TI); the scene's first frame excluded"),
  motion: featureStatsSchema.describe('mean absolute smoothed-luma change per frame (first frame excluded)'),
  mcResidual: featureStatsSchema.describe('motion-compensated residual per frame (first frame excluded)'),
  edgeDensity: z.number(),
  noise: z.number().describe('noise/grain sigma, median over the scene'),
  score: z.number().describe('0 (flat, still) … 1 (detailed, fast)'),
});

export const videoInfoSchema = z.object({
  path: z.string(),
  container: z.string(),
  codec: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  rotation: z.number().optional().describe('display rotation in degrees, when the stream has one'),
  pixFmt: z.string(),
  bitDepth: z.number().int(),
  frameRate: rational,
  fps: z.number().positive(),
  frameCount: z.number().int().positive(),
  frameCountExact: z.boolean(),
  declaredFrameCount: count.optional(),
  declaredDurationSeconds: z.number().optional(),
  durationSeconds: z.number(),
  variableFrameRate: z.boolean(),
  sampleAspectRatio: rational.optional().describe('absent: square pixels'),
});

export const frameFeaturesSchema = z.object({
  index: count,
  mean: z.number(),
  variance: z.number(),
  si: z.number(),
  ti: z.number(),
  motion: z.number(),
  edgeDensity: z.number(),
  noise: z.number(),
  histDiff: z.number(),
  blockDiff: z.number(),
  mcResidual: z.number(),
});

const boundaryKind = z.enum(['cut', 'fade', 'dissolve', 'wipe']);

export const shotBoundarySchema = z.object({
  frame: count.describe('first frame of the new shot (the middle of a gradual transition)'),
  kind: boundaryKind,
  transitionStart: count,
  transitionEnd: count,
  strength: z.number(),
});

export const analysisSceneSchema = z.object({
  index: count,
  startFrame: count,
  endFrame: z.number().int().min(1).describe('exclusive'),
  frameCount: z.number().int().min(1),
  startTime: z.number(),
  endTime: z.number(),
  startKind: z.enum(['start', 'cut', 'fade', 'dissolve', 'wipe', 'split']),
  transition: z.object({ startFrame: count, endFrame: count }).optional(),
  complexity: sceneComplexitySchema,
  repeatCadence: repeatCadenceSchema.describe("the scene's repeated-frame cadence (docs/analysis.md)"),
});

export const analysisOutputSchema = z
  .object({
    format: z.literal(ANALYSIS_FORMAT),
    version: z.literal(ANALYSIS_VERSION),
    video: videoInfoSchema,
    backend: z.object({ source: z.enum(['option', 'env', 'ffmpeg-static', 'path', 'wasm']), kind: z.enum(['native', 'wasm']), path: z.string(), version: z.string() }),
    analysis: z.object({
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      bitDepth: z.union([z.literal(8), z.literal(10)]),
      framesAnalyzed: count,
      elapsedSeconds: z.number(),
      fps: z.number(),
    }),
    scenes: z.array(analysisSceneSchema).min(1),
    shotBoundaries: z.array(shotBoundarySchema).describe('every detected shot boundary, before the scene length limits'),
    warnings: z.array(z.string()),
    frames: z.array(frameFeaturesSchema).optional().describe('per-frame features (analyze --frames, keepFrameFeatures)'),
  })
  .describe('scenecrf analyze --json: the shots and scene complexity of a video');
