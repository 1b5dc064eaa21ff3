import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';

/**
 * The work directory's manifest: which chunks are finished and what they cost. A chunk counts as
 * finished only when its file was renamed into place AND the manifest saying so was written
 * (atomically); a resumed run reuses a chunk only if its `key` (input identity, frame range and
 * the exact encoder arguments) matches and the file still has the recorded size.
 */
export const MANIFEST_NAME = 'manifest.json';

export const chunkRecordSchema = z
  .object({
    index: z.number().int().min(0),
    startFrame: z.number().int().min(0),
    endFrame: z.number().int().min(1),
    crf: z.number(),
    /** Hash of everything that determines the chunk's bytes. */
    key: z.string(),
    /** File name inside the work directory. */
    file: z.string(),
    status: z.enum(['pending', 'done']),
    bytes: z.number().int().min(0).optional(),
    /** Average bitrate of the chunk in kbit/s at the plan's frame rate. */
    bitrateKbps: z.number().optional(),
    encodeSeconds: z.number().optional(),
    encoderVersion: z.string().optional(),
    /** How the frames were cut: input seek + timestamp trim, or decode from the start + frame trim. */
    trim: z.enum(['seek', 'decode']).optional(),
    /** The chunk was taken from the segment cache, not encoded by this work directory's runs. */
    cached: z.boolean().optional(),
  })
  .strict();

export const manifestSchema = z
  .object({
    format: z.literal('scenecrf-encode-manifest'),
    version: z.literal(1),
    planHash: z.string(),
    encoder: z.string(),
    ffmpeg: z.string(),
    input: z.object({ path: z.string(), bytes: z.number(), mtimeMs: z.number() }).strict(),
    output: z.string(),
    threads: z.number().int().positive(),
    chunks: z.array(chunkRecordSchema),
    /** Set when the final file was written. */
    completed: z.object({ bytes: z.number(), frames: z.number(), at: z.string() }).strict().optional(),
  })
  .strict();

export type ChunkRecord = z.infer<typeof chunkRecordSchema>;
export type EncodeManifest = z.infer<typeof manifestSchema>;

/** Reads a manifest; undefined when missing or not a valid manifest (the run then starts fresh). */
export async function readManifest(file: string): Promise<EncodeManifest | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = manifestSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** Serialises manifest writes: each write is atomic and they happen in call order. */
export function manifestWriter(file: string) {
  let chain: Promise<void> = Promise.resolve();
  return (m: EncodeManifest): Promise<void> => {
    const text = `${JSON.stringify(m, null, 2)}\n`;
    chain = chain.catch(() => undefined).then(() => writeFileAtomic(file, text));
    return chain;
  };
}
