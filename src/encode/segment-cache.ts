import { copyFile, link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errorForTarget, removeStaleTemps, tempPathFor, writeFileAtomic } from '../util/atomic.js';

/**
 * A directory of finished scene encodes, addressed by chunk key (the hash `encodePlan` uses to
 * decide that a chunk can be reused: input identity, frame range, exact encoder arguments). A
 * whole-scene probe that `planEncode` stores here becomes that scene's chunk when the plan keeps
 * the probe's CRF, instead of being encoded a second time; a probe repeated at the same CRF (a
 * second plan of the same input) is taken from here too. ab-av1 caches its sample encodes for the
 * same reason.
 *
 * Layout: `<key>.ivf` and `<key>.json` (bytes, encode seconds). The JSON is written last, so an
 * entry without it, or whose file size differs from it, is not an entry.
 */

const entrySchema = z
  .object({
    bytes: z.number().int().min(0),
    encodeSeconds: z.number().min(0),
    encoderVersion: z.string().optional(),
  })
  .strict();

export type SegmentCacheEntry = z.infer<typeof entrySchema>;

const fileOf = (dir: string, key: string) => path.join(dir, `${key}.ivf`);
const metaOf = (dir: string, key: string) => path.join(dir, `${key}.json`);

/** Hard-links `from` to `to` (copies across file systems), through a temporary name. */
async function placeFile(from: string, to: string): Promise<void> {
  const tmp = tempPathFor(to);
  try {
    await link(from, tmp).catch(() => copyFile(from, tmp));
    await rename(tmp, to);
  } catch (e) {
    await rm(tmp, { force: true });
    throw errorForTarget(e, tmp, to);
  }
  await removeStaleTemps(to);
}

/** The cached encode for `key`, if a complete one is there. */
export async function lookupSegment(dir: string, key: string): Promise<(SegmentCacheEntry & { file: string }) | undefined> {
  let entry: SegmentCacheEntry;
  try {
    const r = entrySchema.safeParse(JSON.parse(await readFile(metaOf(dir, key), 'utf8')));
    if (!r.success) return undefined;
    entry = r.data;
  } catch {
    return undefined;
  }
  const st = await stat(fileOf(dir, key)).catch(() => undefined);
  return st?.isFile() && st.size === entry.bytes ? { ...entry, file: fileOf(dir, key) } : undefined;
}

/** Adds a finished encode (`file` is linked or copied, not moved) under `key`. */
export async function storeSegment(dir: string, key: string, file: string, entry: SegmentCacheEntry): Promise<void> {
  await mkdir(dir, { recursive: true });
  await placeFile(file, fileOf(dir, key));
  await writeFileAtomic(metaOf(dir, key), JSON.stringify(entrySchema.parse(entry)));
}

/** Puts the cached encode for `key` at `target` (linked or copied); undefined when there is none. */
export async function takeSegment(dir: string, key: string, target: string): Promise<SegmentCacheEntry | undefined> {
  const hit = await lookupSegment(dir, key);
  if (!hit) return undefined;
  await placeFile(hit.file, target);
  const { file: _file, ...entry } = hit;
  return entry;
}
