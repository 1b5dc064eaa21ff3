import { access, constants, copyFile, link, mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { errorForTarget, removeStaleTemps, tempPathFor, writeFileAtomic } from '../util/atomic.js';

/**
 * A directory of finished scene encodes, addressed by chunk key (the hash `encodePlan` uses to
 * decide that a chunk can be reused: input identity, frame range, exact encoder arguments). A
 * whole-scene probe that `planEncode` stores here becomes that scene's chunk when the plan keeps
 * the probe's CRF, instead of being encoded a second time; a probe repeated at the same CRF (a
 * second plan of the same input, or one for another target) is taken from here together with its
 * VMAF scores; a chunk `encodePlan` encoded is stored here, so a rerun of the same encode (or of
 * an encode sharing scenes with it) takes it instead of encoding it again. ab-av1 caches its
 * sample encodes for the same reason.
 *
 * Layout: `<key>.ivf` and `<key>.json` (bytes, encode seconds, probe scores). The JSON is written
 * last, so an entry without it, or whose file size differs from it, is not an entry. The JSON's
 * modification time is the entry's last use (set on every hit): eviction removes the least
 * recently used entries first.
 *
 * Several processes may share one cache directory. Every file is placed through a temporary name
 * and a rename; an evicted entry is first renamed away (its JSON, then its file) and only then
 * deleted, so a reader either linked the file before (its link survives the deletion) or finds no
 * entry (a miss, never an error).
 */

const scoresSchema = z.object({ vmafMean: z.number(), vmafP5: z.number() }).strict();

const entrySchema = z
  .object({
    bytes: z.number().int().min(0),
    encodeSeconds: z.number().min(0),
    encoderVersion: z.string().optional(),
    /** VMAF scores of this encode against the input, by how they were measured (`probeScoresKey`). */
    scores: z.record(scoresSchema).optional(),
  })
  .strict();

export type SegmentCacheEntry = z.infer<typeof entrySchema>;
export type SegmentScores = z.infer<typeof scoresSchema>;

/** The default size limit of the user's cache (`--cache-size`): 10 GiB. */
export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;

/**
 * The `cache` option of encodePlan, planEncode and optimizeEncode: `false` / absent (the library's
 * default) keeps no cache; `true` is the user's cache folder (`defaultCacheDir`) with the default
 * size limit; an object sets either.
 */
export type CacheOption = boolean | { dir?: string; maxBytes?: number };

export const cacheOptionSchema = z.union([
  z.boolean(),
  z.object({ dir: z.string().min(1).optional(), maxBytes: z.number().positive().optional() }).strict(),
]);

/** A segment cache directory and its size limit (Infinity: none). */
export interface SegmentCache {
  dir: string;
  maxBytes: number;
}

/**
 * The user's cache folder for scenecrf: `$SCENECRF_CACHE_DIR`; else `$XDG_CACHE_HOME/scenecrf`;
 * else the platform's convention: `~/Library/Caches/scenecrf` (macOS),
 * `%LOCALAPPDATA%\scenecrf\Cache` (Windows), `~/.cache/scenecrf` (elsewhere).
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  if (env.SCENECRF_CACHE_DIR) return path.resolve(env.SCENECRF_CACHE_DIR);
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'scenecrf');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'scenecrf');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'scenecrf', 'Cache');
  return path.join(home, '.cache', 'scenecrf');
}

/**
 * The segment cache of a run: `segmentCache` (an explicit directory, no size limit, the older
 * option) or `cache`, whose segments live in `<dir>/segments`. Both at once is refused.
 */
export function resolveSegmentCache(opts: { cache?: CacheOption; segmentCache?: string }): SegmentCache | undefined {
  const c = cacheOptionSchema.optional().safeParse(opts.cache);
  if (!c.success) throw new InvalidOptionsError('cache', 'expected true, false or { dir?: string, maxBytes?: number > 0 }');
  if (opts.segmentCache !== undefined && c.data !== undefined && c.data !== false)
    throw new InvalidOptionsError('cache', 'give cache or segmentCache, not both');
  if (opts.segmentCache !== undefined) return { dir: path.resolve(opts.segmentCache), maxBytes: Infinity };
  if (c.data === undefined || c.data === false) return undefined;
  const o = c.data === true ? {} : c.data;
  return { dir: path.join(o.dir ? path.resolve(o.dir) : defaultCacheDir(), 'segments'), maxBytes: o.maxBytes ?? DEFAULT_CACHE_MAX_BYTES };
}

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

async function readEntry(dir: string, key: string): Promise<SegmentCacheEntry | undefined> {
  try {
    const r = entrySchema.safeParse(JSON.parse(await readFile(metaOf(dir, key), 'utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** Marks an entry as just used (its JSON's modification time), for the LRU eviction. Best effort. */
async function touch(dir: string, key: string): Promise<void> {
  const now = new Date();
  await utimes(metaOf(dir, key), now, now).catch(() => undefined);
}

/** The cached encode for `key`, if a complete one is there (and marks it used). */
export async function lookupSegment(dir: string, key: string): Promise<(SegmentCacheEntry & { file: string }) | undefined> {
  const entry = await readEntry(dir, key);
  if (!entry) return undefined;
  const st = await stat(fileOf(dir, key)).catch(() => undefined);
  if (!(st?.isFile() && st.size === entry.bytes)) return undefined;
  await touch(dir, key);
  return { ...entry, file: fileOf(dir, key) };
}

/**
 * Adds a finished encode (`file` is linked or copied, not moved) under `key`, then evicts least
 * recently used entries until the directory holds at most `maxBytes` (never the entry just added).
 */
export async function storeSegment(dir: string, key: string, file: string, entry: SegmentCacheEntry, options: { maxBytes?: number } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await placeFile(file, fileOf(dir, key));
  await writeFileAtomic(metaOf(dir, key), JSON.stringify(entrySchema.parse(entry)));
  if (options.maxBytes !== undefined && Number.isFinite(options.maxBytes)) await evictSegments(dir, options.maxBytes, key);
}

/** Adds VMAF scores to an existing entry (nothing when the entry is gone). */
export async function storeSegmentScores(dir: string, key: string, scoresKey: string, scores: SegmentScores): Promise<void> {
  const entry = await readEntry(dir, key);
  if (!entry) return;
  await writeFileAtomic(metaOf(dir, key), JSON.stringify(entrySchema.parse({ ...entry, scores: { ...entry.scores, [scoresKey]: scores } })));
}

/**
 * Puts the cached encode for `key` at `target` (linked or copied); undefined when there is none,
 * including when the entry is evicted by another process meanwhile.
 */
export async function takeSegment(dir: string, key: string, target: string): Promise<SegmentCacheEntry | undefined> {
  const hit = await lookupSegment(dir, key);
  if (!hit) return undefined;
  try {
    await placeFile(hit.file, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (await stat(path.dirname(target)).catch(() => undefined))?.isDirectory()) return undefined;
    throw e;
  }
  // The file may have been replaced between the look-up and the link: only the recorded size counts.
  if ((await stat(target)).size !== hit.bytes) {
    await rm(target, { force: true });
    return undefined;
  }
  const { file: _file, ...entry } = hit;
  return entry;
}

/** One entry of a cache directory as eviction sees it. */
export interface CacheEntryUse {
  key: string;
  bytes: number;
  /** Last use, ms since the epoch. */
  lastUsed: number;
}

/**
 * Which entries to evict so that the rest hold at most `maxBytes`: least recently used first
 * (ties by key), never `keep`. Pure, for the eviction and its tests.
 */
export function entriesToEvict(entries: readonly CacheEntryUse[], maxBytes: number, keep?: string): string[] {
  let total = entries.reduce((a, e) => a + e.bytes, 0);
  const out: string[] = [];
  const order = entries.filter((e) => e.key !== keep).sort((a, b) => a.lastUsed - b.lastUsed || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const e of order) {
    if (total <= maxBytes) break;
    out.push(e.key);
    total -= e.bytes;
  }
  return out;
}

/**
 * Evicts least recently used entries of `dir` until it holds at most `maxBytes` (files of entries
 * and of half-stored ones; not temporaries). Each is renamed away first, then deleted: another
 * process that linked the file keeps its link, one that looks it up finds nothing. Returns the
 * keys evicted.
 */
export async function evictSegments(dir: string, maxBytes: number, keep?: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const byKey = new Map<string, { key: string; bytes: number; recordTime?: number; fileTime: number }>();
  for (const name of names) {
    const m = /^([^.].*)\.(ivf|json)$/.exec(name);
    if (!m) continue;
    const st = await stat(path.join(dir, name)).catch(() => undefined);
    if (!st?.isFile()) continue;
    const e = byKey.get(m[1]!) ?? { key: m[1]!, bytes: 0, fileTime: 0 };
    e.bytes += st.size;
    if (m[2] === 'json') e.recordTime = st.mtimeMs;
    else e.fileTime = st.mtimeMs;
    byKey.set(m[1]!, e);
  }
  // The record's time is the entry's last use; a file without a record counts from its own time.
  const uses = [...byKey.values()].map((e): CacheEntryUse => ({ key: e.key, bytes: e.bytes, lastUsed: e.recordTime ?? e.fileTime }));
  const evicted: string[] = [];
  for (const key of entriesToEvict(uses, maxBytes, keep)) {
    let removed = false;
    for (const file of [metaOf(dir, key), fileOf(dir, key)]) {
      const away = tempPathFor(file);
      try {
        await rename(file, away);
      } catch {
        continue; // already gone (another process evicted it)
      }
      removed = true;
      await rm(away, { force: true });
    }
    if (removed) evicted.push(key);
  }
  return evicted;
}

/**
 * A run's use of its segment cache: problems writing to it become a warning (once) and the run
 * goes on without storing, since a cache must never fail the encode it serves.
 */
export class SegmentCacheSession {
  readonly warnings: string[] = [];
  private writable = true;

  private constructor(readonly cache: SegmentCache | undefined) {}

  /**
   * Opens `cache`: creates its directory and checks it is writable. When it is not, the session
   * has no cache and one warning saying why.
   */
  static async open(cache: SegmentCache | undefined): Promise<SegmentCacheSession> {
    const s = new SegmentCacheSession(cache);
    if (!cache) return s;
    try {
      await mkdir(cache.dir, { recursive: true });
      await access(cache.dir, constants.W_OK | constants.X_OK);
    } catch (e) {
      const none = new SegmentCacheSession(undefined);
      none.warnings.push(`cache directory ${JSON.stringify(cache.dir)} is not usable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); continuing without the cache`);
      return none;
    }
    return s;
  }

  get dir(): string | undefined {
    return this.cache?.dir;
  }

  async lookup(key: string): Promise<(SegmentCacheEntry & { file: string }) | undefined> {
    return this.cache ? lookupSegment(this.cache.dir, key) : undefined;
  }

  async take(key: string, target: string): Promise<SegmentCacheEntry | undefined> {
    return this.cache ? takeSegment(this.cache.dir, key, target) : undefined;
  }

  async store(key: string, file: string, entry: SegmentCacheEntry): Promise<void> {
    if (!this.cache || !this.writable) return;
    try {
      await storeSegment(this.cache.dir, key, file, entry, { maxBytes: this.cache.maxBytes });
    } catch (e) {
      this.fail(e);
    }
  }

  async storeScores(key: string, scoresKey: string, scores: SegmentScores): Promise<void> {
    if (!this.cache || !this.writable) return;
    try {
      await storeSegmentScores(this.cache.dir, key, scoresKey, scores);
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    this.writable = false;
    this.warnings.push(`cannot write to the cache ${JSON.stringify(this.cache!.dir)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing more is stored there in this run`);
  }
}
