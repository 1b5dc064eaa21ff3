/**
 * The cache of finished chunks and probes (src/encode/segment-cache.ts): where it lives, its size
 * limit and least-recently-used eviction, what happens when another process evicts under a reader,
 * and, with real encodes, that a rerun of the same encode takes every chunk from it with the same
 * bytes, that --no-cache encodes again, that an unusable cache directory only warns, and that a
 * repeated plan takes its probes' encodes and VMAF scores from it. The cache of every test file is
 * a temporary directory (test/setup/cache-dir.ts), never the user's.
 */
import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeVideo } from '../src/analysis/analyze.js';
import { parseSize } from '../src/cli/cache.js';
import { runEncode } from '../src/cli/encode.js';
import { planFromScenes, type EncodePlan } from '../src/core/plan-file.js';
import { encodePlan } from '../src/encode/chunked.js';
import { readManifest } from '../src/encode/manifest.js';
import {
  DEFAULT_CACHE_MAX_BYTES,
  defaultCacheDir,
  entriesToEvict,
  evictSegments,
  lookupSegment,
  resolveSegmentCache,
  storeSegment,
  takeSegment,
} from '../src/encode/segment-cache.js';
import { InvalidOptionsError } from '../src/errors.js';
import { planEncode } from '../src/optimize/plan-encode.js';
import { hasNativeFfmpeg } from './helpers.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const SCENES = [
  { startFrame: 0, endFrame: 16 },
  { startFrame: 16, endFrame: 32 },
  { startFrame: 32, endFrame: 48 },
];
let tmp: string;
let input: string;

const makePlan = (crfs: number[]): EncodePlan =>
  planFromScenes({ path: input, width: 256, height: 144, frameCount: 48, frameRate: { num: 24, den: 1 } }, SCENES, { encoder: 'vp9', preset: 8, crf: (i) => crfs[i]! });

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-cache-'));
  input = path.join(tmp, 'in.mp4');
  if (!hasNativeFfmpeg) return;
  execFileSync(FFMPEG, [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=s=256x144:r=24,trim=end_frame=48',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', input,
  ]);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('where the cache lives', () => {
  it('SCENECRF_CACHE_DIR, else XDG_CACHE_HOME, else the platform convention', () => {
    const home = '/home/u';
    expect(defaultCacheDir({ SCENECRF_CACHE_DIR: '/c/s', XDG_CACHE_HOME: '/x' }, 'linux', home)).toBe('/c/s');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', home)).toBe('/x/scenecrf');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, 'linux', home)).toBe('/home/u/.cache/scenecrf');
    expect(defaultCacheDir({}, 'linux', home)).toBe('/home/u/.cache/scenecrf');
    expect(defaultCacheDir({}, 'darwin', home)).toBe('/home/u/Library/Caches/scenecrf');
    expect(defaultCacheDir({ LOCALAPPDATA: '/appdata' }, 'win32', home)).toBe(path.join('/appdata', 'scenecrf', 'Cache'));
  });

  it('the cache option: off by default in the library, true = the default folder and limit; not with segmentCache', () => {
    expect(resolveSegmentCache({})).toBeUndefined();
    expect(resolveSegmentCache({ cache: false })).toBeUndefined();
    expect(resolveSegmentCache({ cache: true })).toEqual({ dir: path.join(process.env.SCENECRF_CACHE_DIR!, 'segments'), maxBytes: DEFAULT_CACHE_MAX_BYTES });
    expect(resolveSegmentCache({ cache: { dir: '/tmp/c', maxBytes: 5 } })).toEqual({ dir: '/tmp/c/segments', maxBytes: 5 });
    expect(resolveSegmentCache({ segmentCache: '/tmp/s' })).toEqual({ dir: '/tmp/s', maxBytes: Infinity });
    expect(() => resolveSegmentCache({ segmentCache: '/tmp/s', cache: true })).toThrow(InvalidOptionsError);
    expect(() => resolveSegmentCache({ cache: { maxBytes: -1 } })).toThrow(InvalidOptionsError);
  });

  it('--cache-size: 10G, 500M, 1.5GiB, bytes', () => {
    expect(parseSize('10G', 'cache-size')).toBe(10 * 1024 ** 3);
    expect(parseSize('500M', 'cache-size')).toBe(500 * 1024 ** 2);
    expect(parseSize('1.5GiB', 'cache-size')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('123456', 'cache-size')).toBe(123456);
    expect(() => parseSize('ten', 'cache-size')).toThrow(InvalidOptionsError);
    expect(() => parseSize('0', 'cache-size')).toThrow(InvalidOptionsError);
  });
});

describe('size limit: least recently used entries go first', () => {
  it('entriesToEvict: oldest first until under the limit, never the kept entry', () => {
    const e = [
      { key: 'a', bytes: 100, lastUsed: 3 },
      { key: 'b', bytes: 100, lastUsed: 1 },
      { key: 'c', bytes: 100, lastUsed: 2 },
    ];
    expect(entriesToEvict(e, 300)).toEqual([]);
    expect(entriesToEvict(e, 250)).toEqual(['b']);
    expect(entriesToEvict(e, 100)).toEqual(['b', 'c']);
    expect(entriesToEvict(e, 0, 'b')).toEqual(['c', 'a']);
  });

  it('a store over the limit evicts the least recently used entries; a look-up counts as a use', async () => {
    const dir = path.join(tmp, 'lru');
    const src = path.join(tmp, 'lru-src.ivf');
    await writeFile(src, Buffer.alloc(1000, 1));
    const entry = { bytes: 1000, encodeSeconds: 1 };
    for (const k of ['a', 'b', 'c']) await storeSegment(dir, k, src, entry);
    // a used long ago, b later, c last; then a is looked up (used now).
    for (const [k, t] of [['a', 1000], ['b', 2000], ['c', 3000]] as const) await utimes(path.join(dir, `${k}.json`), t, t);
    expect(await lookupSegment(dir, 'a')).toBeDefined();
    const perEntry = 1000 + (await readFile(path.join(dir, 'a.json'))).length;
    // Room for three entries: adding d evicts b, the least recently used.
    await storeSegment(dir, 'd', src, entry, { maxBytes: 3 * perEntry + 10 });
    expect((await readdir(dir)).sort()).toEqual(['a.ivf', 'a.json', 'c.ivf', 'c.json', 'd.ivf', 'd.json']);
    // Room for one: only the entry just stored stays.
    await storeSegment(dir, 'e', src, entry, { maxBytes: 1 });
    expect((await readdir(dir)).sort()).toEqual(['e.ivf', 'e.json']);
  });

  it('eviction under a reader: a file linked before stays whole, a look-up after is a miss, not an error', async () => {
    const dir = path.join(tmp, 'race');
    const src = path.join(tmp, 'race-src.ivf');
    await writeFile(src, Buffer.alloc(500, 7));
    await storeSegment(dir, 'k', src, { bytes: 500, encodeSeconds: 1 });
    const hit = await lookupSegment(dir, 'k');
    // Another process links the file (as takeSegment does), then this one evicts everything.
    const held = path.join(tmp, 'race-held.ivf');
    await link(hit!.file, held);
    expect(await evictSegments(dir, 0)).toEqual(['k']);
    expect(await readdir(dir)).toEqual([]); // renamed away, then deleted: no leftovers
    expect((await readFile(held)).equals(Buffer.alloc(500, 7))).toBe(true);
    expect(await takeSegment(dir, 'k', path.join(tmp, 'race-out.ivf'))).toBeUndefined();
    // Two evictions at once: neither fails on a file the other took, and together they remove all.
    for (const k of ['x', 'y', 'z']) await storeSegment(dir, k, src, { bytes: 500, encodeSeconds: 1 });
    const [one, two] = await Promise.all([evictSegments(dir, 0), evictSegments(dir, 0)]);
    expect([...new Set([...one, ...two])].sort()).toEqual(['x', 'y', 'z']);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe.skipIf(!hasNativeFfmpeg)('encodes through the cache', () => {
  it('a rerun of the same encode takes every chunk from the cache, byte-identical; a small limit keeps one entry', async () => {
    const dir = path.join(tmp, 'rerun');
    await mkdir(dir);
    const cache = { dir: path.join(dir, 'cache') };
    const output = path.join(dir, 'out.webm');
    const plan = makePlan([40, 30, 50]);
    const first = await encodePlan(plan, { output, threads: 2, cache });
    expect([first.encodedChunks, first.cachedChunks]).toEqual([3, 0]);
    expect(first.cacheDir).toBe(path.join(cache.dir, 'segments'));
    const bytes = await readFile(output);
    const again = await encodePlan(plan, { output, threads: 2, cache });
    expect([again.encodedChunks, again.reusedChunks, again.cachedChunks]).toEqual([0, 3, 3]);
    expect(again.chunks.map((c) => c.cached)).toEqual([true, true, true]);
    expect((await readManifest(again.manifest))!.chunks.map((c) => c.cached)).toEqual([true, true, true]);
    expect((await readFile(output)).equals(bytes)).toBe(true);
    // Another plan sharing two scenes with it: only the changed scene is encoded.
    const changed = await encodePlan(makePlan([40, 31, 50]), { output: path.join(dir, 'changed.webm'), threads: 2, cache });
    expect(changed.chunks.map((c) => c.cached)).toEqual([true, false, true]);
    // A limit smaller than one chunk: each store evicts all but itself.
    const small = { dir: path.join(dir, 'small'), maxBytes: 1 };
    await encodePlan(plan, { output: path.join(dir, 'small.webm'), threads: 2, cache: small });
    expect((await readdir(path.join(small.dir, 'segments'))).filter((n) => n.endsWith('.json'))).toHaveLength(1);
  });

  it('the command line caches by default (SCENECRF_CACHE_DIR here); --no-cache encodes again', async () => {
    const dir = path.join(tmp, 'cli');
    await mkdir(dir);
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(makePlan([45, 35, 55])));
    const output = path.join(dir, 'out.webm');
    const manifest = path.join(`${output}.scenecrf-work`, 'manifest.json');
    const cachedFlags = async () => (await readManifest(manifest))!.chunks.map((c) => c.cached === true);
    expect(await runEncode([input, '--plan', planFile, '-o', output, '--threads', '2', '--quiet'])).toBe(0);
    expect(await cachedFlags()).toEqual([false, false, false]);
    const bytes = await readFile(output);
    expect((await readdir(path.join(process.env.SCENECRF_CACHE_DIR!, 'segments'))).filter((n) => n.endsWith('.ivf')).length).toBeGreaterThanOrEqual(3);
    expect(await runEncode([input, '--plan', planFile, '-o', output, '--threads', '2', '--force', '--quiet'])).toBe(0);
    expect(await cachedFlags()).toEqual([true, true, true]);
    expect((await readFile(output)).equals(bytes)).toBe(true);
    expect(await runEncode([input, '--plan', planFile, '-o', output, '--threads', '2', '--force', '--quiet', '--no-cache'])).toBe(0);
    expect(await cachedFlags()).toEqual([false, false, false]);
    expect((await readFile(output)).equals(bytes)).toBe(true);
    await expect(runEncode([input, '--plan', planFile, '-o', output, '--no-cache', '--cache-dir', dir])).rejects.toThrow(/--no-cache/);
  });

  it('an unusable cache directory is a warning, and the encode goes on without the cache', async () => {
    const dir = path.join(tmp, 'unwritable');
    await mkdir(dir);
    const notADir = path.join(dir, 'file');
    await writeFile(notADir, 'x');
    const r = await encodePlan(makePlan([40, 30, 50]), { output: path.join(dir, 'out.webm'), threads: 2, cache: { dir: path.join(notADir, 'cache') } });
    expect(r.encodedChunks).toBe(3);
    expect(r.cacheDir).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/cache directory .* is not usable \(ENOTDIR\); continuing without the cache/);
    // On the command line: on stderr, exit 0.
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(makePlan([40, 30, 50])));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runEncode([input, '--plan', planFile, '-o', path.join(dir, 'cli.webm'), '--threads', '2', '--quiet', '--cache-dir', path.join(notADir, 'c')])).toBe(0);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/warning: cache directory .* is not usable/);
    } finally {
      stderr.mockRestore();
    }
  });

  it('a repeated plan takes its probes, encodes and VMAF scores alike, from the cache', async () => {
    const cuts = path.resolve(__dirname, '..', 'fixtures', 'cuts.mp4');
    const analysis = await analyzeVideo(cuts);
    const cache = { dir: path.join(tmp, 'probes') };
    const options = { encoder: 'vp9', preset: 8, targetVmaf: 93, probes: 1, proxy: false, cache } as const;
    const first = await planEncode(cuts, options, { analysis });
    expect(first.scenes.every((s) => !s.probes[0]!.cached && !s.probes[0]!.scoresCached)).toBe(true);
    const second = await planEncode(cuts, options, { analysis });
    expect(second.scenes.every((s) => s.probes[0]!.cached && s.probes[0]!.scoresCached)).toBe(true);
    expect(second.scenes.map((s) => s.probes[0]!.vmafMean)).toEqual(first.scenes.map((s) => s.probes[0]!.vmafMean));
    expect(second.plan.scenes.map((s) => s.crf)).toEqual(first.plan.scenes.map((s) => s.crf));
    expect(second.timings.probeSeconds).toBeLessThan(first.timings.probeSeconds);
  });
});
