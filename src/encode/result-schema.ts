import { z } from 'zod';
import { ENCODERS } from '../core/encoders.js';

/**
 * `encodePlan`'s result as a zod schema: it is part of the optimize report's JSON
 * (optimize/report.ts, schemas/optimize.schema.json).
 */

export const chunkResultSchema = z.object({
  index: z.number().int().min(0),
  startFrame: z.number().int().min(0),
  endFrame: z.number().int().min(1).describe('exclusive'),
  crf: z.number(),
  bytes: z.number().int().min(0),
  bitrateKbps: z.number(),
  encodeSeconds: z.number(),
  encoderVersion: z.string().optional(),
  reused: z.boolean().describe('taken from an earlier (interrupted) run or from the segment cache'),
  cached: z.boolean().describe('taken from the segment cache (a reused chunk that was not in this work directory)'),
  file: z.string().describe('the chunk file (IVF) in the work directory; removed after success unless keepChunks'),
});

export const encodeResultSchema = z.object({
  output: z.string(),
  encoder: z.enum(ENCODERS),
  frames: z.number().int().min(0),
  bytes: z.number().int().min(0),
  durationSeconds: z.number(),
  bitrateKbps: z.number(),
  chunks: z.array(chunkResultSchema),
  encodedChunks: z.number().int().min(0),
  reusedChunks: z.number().int().min(0),
  cachedChunks: z.number().int().min(0).describe('of the reused chunks, those taken from the segment cache'),
  cacheDir: z.string().optional().describe('the segment cache used, if any'),
  warnings: z.array(z.string()).describe('e.g. a cache directory that could not be used'),
  elapsedSeconds: z.number(),
  workDir: z.string(),
  manifest: z.string(),
  ffmpeg: z.object({ path: z.string(), version: z.string() }),
});
