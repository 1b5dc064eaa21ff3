/**
 * Scenes to chunk jobs: each scene of the plan becomes one chunk with its encoder arguments, file
 * name and key, and a chunk an earlier run (the manifest) or the segment cache already holds is
 * reused instead of encoded.
 *
 * Determinism and resume: each chunk is encoded with a fixed thread count (`threads`, recorded in
 * the chunk key; libaom's output depends on it, SVT-AV1's and libvpx's did not in tests),
 * `-fflags +bitexact -flags +bitexact -map_metadata -1` (no encoder/muxer version strings or
 * dates), and the muxers are bitexact, so the same plan gives the same bytes. A chunk is written
 * to a temporary name (`.<name>.<pid>.<random>.tmp`), renamed, and only then marked done in the manifest (itself written
 * atomically); partial `.tmp` files are deleted at the next start. A chunk is reused when its key —
 * sha256 of the input's size and mtime, frame range, frame rate, ffmpeg version and the exact
 * encoder arguments — matches, and its file has the recorded size. A `lock` file (pid) stops two
 * runs sharing a work directory; a lock whose process is gone is taken over.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidOptionsError } from '../errors.js';
import { processAlive } from '../util/atomic.js';
import type { OptionValue } from './encoders.js';
import { MANIFEST_NAME, readManifest, type ChunkRecord, type EncodeManifest } from './manifest.js';
import type { PreparedEncode } from './prepared.js';
import type { SegmentCacheSession } from './segment-cache.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with sorted object keys, so equal plans hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Bump when the way chunks are cut or muxed changes, so older chunk files are not reused. */
const CHUNK_FORMAT = 1;

/**
 * Claims the work directory for this process (a `lock` file holding the pid). A lock left by a
 * process that no longer runs (killed) is taken over; one held by a live process is an error.
 */
export async function lockWorkDir(workDir: string): Promise<() => Promise<void>> {
  const lock = path.join(workDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      const alive = Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid);
      if (alive || pid === process.pid) throw new InvalidOptionsError('workDir', `${JSON.stringify(workDir)} is in use by another encode (process ${pid})`);
      await rm(lock, { force: true });
    }
  }
  throw new InvalidOptionsError('workDir', `cannot lock ${JSON.stringify(workDir)}`);
}

const chunkName = (i: number) => `chunk-${String(i).padStart(5, '0')}.ivf`;

/**
 * The chunk key: sha256 of everything that determines a chunk's bytes (input identity, frame
 * range, frame rate, ffmpeg version, the exact encoder arguments). Chunks and probe encodes with
 * equal keys are interchangeable.
 */
export function chunkKey(p: PreparedEncode, startFrame: number, endFrame: number, args: string[]): string {
  // Unevenly spaced input is cut at its own timestamps; earlier builds cut it at the nominal
  // rate (wrong frames), so its chunks get keys of their own.
  const identity = { chunkFormat: CHUNK_FORMAT, input: p.inputStat, frameRate: p.plan.input.frameRate, ffmpeg: p.backend.version, ...(p.unevenTimestamps ? { cut: 'timestamps' } : {}) };
  return sha256(canonical({ ...identity, startFrame, endFrame, args }));
}

/** Placeholder for the output file in a standalone program's arguments (replaced per run). */
export const TOOL_OUT = '\u0000out';

export function chunkArgs(p: PreparedEncode, rec: { startFrame: number; endFrame: number; crf: number; options: Record<string, OptionValue> }): string[] {
  const settings = { crf: rec.crf, preset: p.plan.preset, bitDepth: p.plan.bitDepth, threads: p.threads, keyint: p.keyint, options: rec.options };
  return p.tool ? [p.tool.path, p.tool.version, ...p.tool.tool.args(settings, TOOL_OUT)] : p.adapter.args(settings);
}

/** Deletes chunk files and the concat list from a work directory; the manifest stays. */
export async function removeChunkFiles(workDir: string, files: readonly string[]): Promise<void> {
  await rm(path.join(workDir, 'concat.txt'), { force: true });
  for (const f of files) await rm(path.join(workDir, f), { force: true });
}

/**
 * Deletes the chunk files of a finished encode that was run with `keepChunks` (for example to be
 * re-encoded in part, as optimizeEncode's rounds do), keeping only its manifest.
 */
export async function discardChunks(workDir: string): Promise<void> {
  const manifest = await readManifest(path.join(workDir, MANIFEST_NAME));
  if (manifest) await removeChunkFiles(workDir, manifest.chunks.map((c) => c.file));
}

/** A scene as a chunk: its manifest record, plus the encoder arguments and options it is encoded with. */
export type ChunkJob = ChunkRecord & { args: string[]; options: Record<string, OptionValue> };

/**
 * The plan's scenes as chunk jobs, each either done (its file from an earlier run of this work
 * directory with the same key and recorded size, or taken from the segment cache) or pending.
 * Leftovers of a killed run (partial chunk files) are deleted first, never reused.
 */
export async function planChunks(p: PreparedEncode, cache: SegmentCacheSession): Promise<ChunkJob[]> {
  const { plan } = p;
  const fps = plan.input.frameRate.num / plan.input.frameRate.den;
  for (const name of await readdir(p.workDir)) if (name.endsWith('.tmp')) await rm(path.join(p.workDir, name), { force: true });
  const previous = await readManifest(path.join(p.workDir, MANIFEST_NAME));
  const chunks: ChunkJob[] = [];
  for (const [index, s] of plan.scenes.entries()) {
    const options = { ...plan.options, ...(s.options ?? {}) } as Record<string, OptionValue>;
    const args = chunkArgs(p, { startFrame: s.startFrame, endFrame: s.endFrame, crf: s.crf, options });
    const key = chunkKey(p, s.startFrame, s.endFrame, args);
    const file = chunkName(index);
    const old = previous?.chunks.find((c) => c.index === index && c.key === key && c.status === 'done' && c.file === file);
    let reusable = false;
    if (old?.bytes !== undefined) {
      const st = await stat(path.join(p.workDir, file)).catch(() => undefined);
      reusable = !!st?.isFile() && st.size === old.bytes;
    }
    const cached = reusable ? undefined : await cache.take(key, path.join(p.workDir, file));
    const frames = s.endFrame - s.startFrame;
    chunks.push(
      reusable
        ? { ...old!, args, options }
        : cached
          ? {
              index, startFrame: s.startFrame, endFrame: s.endFrame, crf: s.crf, key, file, status: 'done', args, options,
              bytes: cached.bytes, bitrateKbps: (cached.bytes * 8) / 1000 / (frames / fps), encodeSeconds: cached.encodeSeconds, encoderVersion: cached.encoderVersion, cached: true,
            }
          : { index, startFrame: s.startFrame, endFrame: s.endFrame, crf: s.crf, key, file, status: 'pending', args, options },
    );
  }
  return chunks;
}

/** The manifest of an encode about to run these chunks. */
export function newManifest(p: PreparedEncode, chunks: readonly ChunkJob[]): EncodeManifest {
  return {
    format: 'scenecrf-encode-manifest',
    version: 1,
    planHash: sha256(canonical(p.plan)),
    encoder: p.plan.encoder,
    ffmpeg: p.backend.version,
    input: { path: p.input, ...p.inputStat },
    output: p.output,
    threads: p.threads,
    chunks: chunks.map(({ args: _a, options: _o, ...c }) => c),
  };
}
