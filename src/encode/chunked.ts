import { access, constants, mkdir, rename, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AbortError, asNoSpaceError, CorruptInputError, InvalidOptionsError, throwIfAborted, UnsupportedError } from '../errors.js';
import { assertReadableFile } from '../media/input-checks.js';
import { colourTags, countPackets, firstFrameTime } from '../media/native/stream-facts.js';
import { probeVideo } from '../media/probe.js';
import { resolveFfmpeg } from '../media/resolve.js';
import { removeStaleTemps, tempPathFor } from '../util/atomic.js';
import { assertPlanOptions, parsePlan, type EncodePlan, type EncodePlanInput } from '../core/plan-file.js';
import { chunkArgs, chunkKey, lockWorkDir, newManifest, planChunks, removeChunkFiles } from './chunking.js';
import { planCarry } from './carry.js';
import { resolveEncoderTool } from './cli-tools.js';
import { concatChunks, outputContainer } from './concat.js';
import { encodeCut } from './encode-chunk.js';
import { localChunkExecutor, type ChunkExecutor, type ChunkOutcome } from './executor.js';
import { assertEncoderSupported, encoderAdapter, encoderVersionFromLog, type OptionValue } from './encoders.js';
import { MANIFEST_NAME, manifestWriter, type ChunkRecord } from './manifest.js';
import { runPool } from './pool.js';
import type { PreparedEncode } from './prepared.js';
import { sourceTiming } from './source-timing.js';
import { resolveSegmentCache, SegmentCacheSession, type CacheOption } from './segment-cache.js';

/**
 * Chunked per-scene encoding, Av1an-style: `prepareEncode` checks the plan, the input and the
 * tools; `encodePlan` turns the scenes into chunk jobs (chunking.ts: keys, resume from the work
 * directory's manifest, the segment cache), runs the pending ones in a pool of `jobs` encodes
 * (pool.ts, one chunk each by encode-chunk.ts) and joins the chunks (concat.ts); `encodeSegment`
 * encodes one stretch exactly as its chunk would be (a probe).
 */

export interface EncodeProgress {
  /** Frames finished (including reused chunks) and in flight in running encodes. */
  framesDone: number;
  totalFrames: number;
  /** Encoding speed of this run (frames encoded now / wall seconds). */
  fps: number;
  etaSeconds: number | undefined;
  chunksDone: number;
  chunksTotal: number;
  /** Chunks taken from an earlier run or from the segment cache. */
  chunksReused: number;
  /** Set on the event emitted when a chunk has just finished. */
  finishedChunk?: ChunkResult;
  phase: 'encode' | 'concat' | 'done';
}

export interface ChunkResult {
  index: number;
  startFrame: number;
  endFrame: number;
  crf: number;
  bytes: number;
  bitrateKbps: number;
  encodeSeconds: number;
  encoderVersion?: string;
  /** True when the chunk came from an earlier (interrupted) run or from the segment cache. */
  reused: boolean;
  /** True when the chunk came from the segment cache (a finished earlier encode or a probe). */
  cached: boolean;
  /** The chunk file (IVF) in the work directory; removed after success unless `keepChunks`. */
  file: string;
}

export interface EncodePlanOptions {
  /** Output file; the container follows the extension: .mkv, .webm, .mp4 or .ivf. */
  output: string;
  /**
   * Replace `output` if it exists (default true). With false an existing file is refused before
   * anything runs; the command line passes false unless `--force` (`-y`). A resumed run is not
   * affected: its output is only written at the very end.
   */
  overwrite?: boolean;
  /** Input video; defaults to the plan's `input.path`. */
  input?: string;
  /** Work directory for chunks and the manifest; default `<output>.scenecrf-work`. */
  workDir?: string;
  /** Chunks encoded at once (default 1). */
  jobs?: number;
  /** Threads per chunk encode; default floor(cores / jobs). Part of each chunk's identity: a
   * resumed run with a different thread count re-encodes (libaom's output depends on it). */
  threads?: number;
  /** Maximum keyframe interval in seconds (default 10); each chunk also starts with a keyframe. */
  keyintSeconds?: number;
  /** How chunks are cut (see module doc); default 'auto'. */
  trim?: 'auto' | 'seek' | 'decode';
  /** Encode through ffmpeg's encoder library (default) or pipe Y4M from ffmpeg into the
   * standalone program (`SvtAv1EncApp`, `aomenc`, `vpxenc`; see cli-tools.ts). */
  via?: 'ffmpeg' | 'tool';
  /** Path of the standalone encoder program (default: found on PATH). */
  toolPath?: string;
  /**
   * Encode the video alone (default false): without it, every audio, subtitle and attachment
   * stream of the input, its chapters and its metadata are carried into the output by stream copy
   * (carry.ts); one the output container cannot hold is refused before anything runs.
   */
  videoOnly?: boolean;
  /** Keep the chunk files after success (default false: only the manifest stays). */
  keepChunks?: boolean;
  /**
   * The cache of finished chunks and probes (segment-cache.ts): a chunk whose key (input, frame
   * range, exact encoder arguments) is there is taken from it instead of encoded, and every chunk
   * encoded is added to it, so a rerun of the same encode encodes nothing. `true`: the user's
   * cache folder (`defaultCacheDir`, 10 GiB, least recently used entries evicted); `{ dir,
   * maxBytes }` another place or limit. Default false in the library (the command line's default
   * is on). A cache directory that cannot be written is a warning (`warnings`), not an error.
   */
  cache?: CacheOption;
  /**
   * A segment cache directory without a size limit (the older form of `cache: { dir }`, whose
   * entries go straight into `dir`): typically the one `planEncode`'s probes were kept in.
   */
  segmentCache?: string;
  ffmpegPath?: string;
  /**
   * Where the chunks are encoded: default this process, `jobs` at a time. `queueExecutor` of
   * `scenecrf/advanced` sends them to workers on other machines (docs/deployment.md).
   */
  executor?: ChunkExecutor;
  signal?: AbortSignal;
  onProgress?: (p: EncodeProgress) => void;
}

export interface EncodeResult {
  output: string;
  encoder: EncodePlan['encoder'];
  frames: number;
  bytes: number;
  durationSeconds: number;
  bitrateKbps: number;
  chunks: ChunkResult[];
  /** Chunks encoded by this run / reused from an earlier one (of which `cachedChunks` from the segment cache). */
  encodedChunks: number;
  reusedChunks: number;
  cachedChunks: number;
  /** The segment cache directory used, if any. */
  cacheDir?: string;
  /** Problems that did not stop the encode (an unusable cache directory). */
  warnings: string[];
  elapsedSeconds: number;
  workDir: string;
  manifest: string;
  ffmpeg: { path: string; version: string };
}

/**
 * Refuses an existing `output` (INVALID_OPTIONS), the way ffmpeg and ab-av1 do without `-y`: a
 * typo in `-o` must not replace a file that may have cost hours to encode.
 */
export async function refuseExistingOutput(output: string): Promise<void> {
  const existing = await stat(output).catch(() => undefined);
  if (existing && !existing.isDirectory())
    throw new InvalidOptionsError('output', `${JSON.stringify(output)} already exists; use --force (-y) (overwrite: true in the library) to replace it`);
}

async function assertWritableDir(what: string, dir: string, target: string): Promise<void> {
  const fail = (why: string) => new InvalidOptionsError(what, `cannot write ${JSON.stringify(target)}: ${why}`);
  let s;
  try {
    s = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? `directory ${JSON.stringify(dir)} does not exist` : code === 'ENOTDIR' ? 'a parent path is not a directory' : (e as Error).message);
  }
  if (!s.isDirectory()) throw fail(`${JSON.stringify(dir)} is not a directory`);
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw fail(`directory ${JSON.stringify(dir)} is not writable (permission denied)`);
  }
}

/**
 * Validates a plan and its surroundings without touching the file system: plan schema, encoder
 * options, output container, output and work directories, ffmpeg and its encoder, the input and
 * its frame count. Throws a typed error for the first problem.
 */
export async function prepareEncode(planIn: EncodePlan | EncodePlanInput | unknown, opts: EncodePlanOptions): Promise<PreparedEncode> {
  const plan = parsePlan(planIn);
  throwIfAborted(opts.signal);
  const jobs = opts.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new InvalidOptionsError('jobs', `expected a whole number ≥ 1, got ${jobs}`);
  const threads = opts.threads ?? Math.max(1, Math.floor(os.availableParallelism() / jobs));
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidOptionsError('threads', `expected a whole number ≥ 1, got ${threads}`);
  const keyintSeconds = opts.keyintSeconds ?? 10;
  if (!(keyintSeconds > 0)) throw new InvalidOptionsError('keyintSeconds', `expected a positive number, got ${keyintSeconds}`);
  if (!opts.output) throw new InvalidOptionsError('output', 'an output file is required');

  // Output container and directories.
  const output = path.resolve(opts.output);
  const ext = path.extname(output).toLowerCase();
  const mux = outputContainer(ext);
  if (!mux) throw new InvalidOptionsError('output', `${JSON.stringify(opts.output)}: unsupported extension ${JSON.stringify(ext || '(none)')}; use .mkv, .webm, .mp4 or .ivf`);
  await assertWritableDir('output', path.dirname(output), opts.output);
  const existing = await stat(output).catch(() => undefined);
  if (existing?.isDirectory()) throw new InvalidOptionsError('output', `${JSON.stringify(opts.output)} is a directory`);
  if (opts.overwrite === false) await refuseExistingOutput(opts.output);
  const workDir = path.resolve(opts.workDir ?? `${output}.scenecrf-work`);
  const workStat = await stat(workDir).catch(() => undefined);
  if (workStat && !workStat.isDirectory()) throw new InvalidOptionsError('workDir', `${JSON.stringify(workDir)} exists and is not a directory`);
  await assertWritableDir('workDir', workStat ? workDir : path.dirname(workDir), workDir);

  // Encoder: ffmpeg has it. (The plan's options were checked when the plan was parsed.)
  const backend = await resolveFfmpeg({ ffmpegPath: opts.ffmpegPath, backend: 'native' });
  const via = opts.via ?? 'ffmpeg';
  if (via !== 'ffmpeg' && via !== 'tool') throw new InvalidOptionsError('via', `expected "ffmpeg" or "tool", got ${JSON.stringify(via)}`);
  const tool = via === 'tool' ? await resolveEncoderTool(plan.encoder, opts.toolPath) : undefined;
  // Through a standalone program ffmpeg only decodes, so it needs no encoder library.
  const adapter = tool ? encoderAdapter(plan.encoder) : assertEncoderSupported(backend, plan.encoder);
  if (!mux.codecs.includes(adapter.codec)) throw new UnsupportedError(`${adapter.codec} cannot be stored in ${ext}`);

  // Input: exists, is the video the plan describes.
  const input = path.resolve(opts.input ?? plan.input.path);
  if (input === output) throw new InvalidOptionsError('output', 'the output would overwrite the input');
  await assertReadableFile(input);
  const info = await probeVideo(input, backend, opts.signal);
  let frames = info.frameCountExact ? info.frameCount : info.declaredFrameCount;
  if (frames === undefined && backend.ffprobePath) frames = await countPackets(backend.ffprobePath, input, opts.signal);
  if (frames !== undefined && frames !== plan.input.frameCount)
    throw new InvalidOptionsError('plan', `the plan is for ${plan.input.frameCount} frames but ${JSON.stringify(input)} has ${frames}; make the plan from this input`);
  if (frames === undefined) throw new CorruptInputError(input, 'cannot count the frames of the input');
  if (info.width !== plan.input.width || info.height !== plan.input.height)
    throw new InvalidOptionsError('plan', `the plan is for ${plan.input.width}x${plan.input.height} but ${JSON.stringify(input)} is ${info.width}x${info.height}`);

  // Anamorphic input: IVF has no field for the sample aspect ratio, so an .ivf output would show a
  // squeezed or stretched picture. Refuse it rather than lose the shape silently.
  const sar = info.sampleAspectRatio;
  if (sar && mux.muxer === 'ivf')
    throw new UnsupportedError(
      `${JSON.stringify(input)} has non-square pixels (sample aspect ratio ${sar.num}:${sar.den}), which ${ext} cannot store; use .mkv, .webm or .mp4`,
    );

  const fps = plan.input.frameRate.num / plan.input.frameRate.den;
  const { timestamps, unevenTimestamps, videoStartSeconds } = await sourceTiming(backend, input, frames, fps, info.variableFrameRate, opts.signal);
  const mode = opts.trim ?? 'auto';
  // Known timestamps make a seek exact whatever their spacing (encode-chunk.ts cuts between them).
  const canSeek = mode !== 'decode' && (mode === 'seek' || !info.variableFrameRate || unevenTimestamps) && backend.ffprobePath !== undefined;
  const firstFrameSeconds = !canSeek ? undefined : unevenTimestamps ? videoStartSeconds : await firstFrameTime(backend.ffprobePath!, input, opts.signal);
  const carry = opts.videoOnly ? undefined : await planCarry(backend, input, mux.muxer, ext, opts.signal);
  const colour = backend.ffprobePath ? await colourTags(backend.ffprobePath, input, opts.signal) : {};
  const s = await stat(input);
  return {
    plan,
    input,
    output,
    muxer: mux.muxer,
    workDir,
    backend,
    adapter,
    inputStat: { bytes: s.size, mtimeMs: s.mtimeMs },
    firstFrameSeconds,
    jobs,
    threads,
    keyint: Math.max(1, Math.round(keyintSeconds * fps)),
    tool,
    ...(sar ? { sampleAspectRatio: sar } : {}),
    colour,
    ...(timestamps ? { timestamps } : {}),
    unevenTimestamps,
    videoStartSeconds,
    ...(carry ? { carry } : {}),
  };
}

/**
 * Refuses, before any work, a stream of `input` that the container of `output` cannot hold
 * (carry.ts); optimizeEncode calls it before it plans. Nothing for an unknown extension, which
 * prepareEncode names.
 */
export async function checkCarry(input: string, output: string, o: { ffmpegPath?: string; signal?: AbortSignal } = {}): Promise<void> {
  const ext = path.extname(output).toLowerCase();
  const mux = outputContainer(ext);
  if (!mux) return;
  await assertReadableFile(path.resolve(input));
  const backend = await resolveFfmpeg({ ffmpegPath: o.ffmpegPath, backend: 'native' });
  await planCarry(backend, path.resolve(input), mux.muxer, ext, o.signal);
}

export interface SegmentEncode {
  file: string;
  bytes: number;
  frames: number;
  encodeSeconds: number;
  /** Taken from the segment cache, not encoded now. */
  cached: boolean;
}

/**
 * Encodes one stretch of a prepared plan's input on its own (a probe: the scene at a trial CRF),
 * exactly as `encodePlan` would encode that scene as a chunk, into `output` (IVF; written to a
 * temporary name and renamed). With a segment cache (`segmentCache` directory, or an open
 * `session`), an encode already there is taken instead (`cached: true`, its original encode
 * time), and a new one is added to it.
 */
export async function encodeSegment(
  p: PreparedEncode,
  segment: { startFrame: number; endFrame: number; crf: number; options?: Record<string, OptionValue> },
  output: string,
  signal: AbortSignal = new AbortController().signal,
  cache: { segmentCache?: string; session?: SegmentCacheSession } = {},
): Promise<SegmentEncode> {
  const t = performance.now();
  const args = segmentArgs(p, segment);
  const key = chunkKey(p, segment.startFrame, segment.endFrame, args);
  const frames = segment.endFrame - segment.startFrame;
  const session = cache.session ?? (await SegmentCacheSession.open(resolveSegmentCache({ segmentCache: cache.segmentCache })));
  throwIfAborted(signal);
  const hit = await session.take(key, output);
  if (hit) return { file: output, bytes: hit.bytes, frames, encodeSeconds: hit.encodeSeconds, cached: true };
  const tmp = tempPathFor(output);
  const { out } = await encodeCut(p, { index: -1, ...segment, args }, tmp, signal, () => undefined);
  await rename(tmp, output);
  await removeStaleTemps(output);
  const result = { file: output, bytes: (await stat(output)).size, frames, encodeSeconds: (performance.now() - t) / 1000, cached: false };
  await session.store(key, output, {
    bytes: result.bytes,
    encodeSeconds: result.encodeSeconds,
    encoderVersion: p.tool ? p.tool.version : (encoderVersionFromLog(p.adapter, out.log) ?? p.backend.version),
  });
  return result;
}

function segmentArgs(p: PreparedEncode, segment: { startFrame: number; endFrame: number; crf: number; options?: Record<string, OptionValue> }): string[] {
  if (segment.options) assertPlanOptions(p.plan.encoder, segment.options, 'segment options');
  const options = { ...p.plan.options, ...(segment.options ?? {}) } as Record<string, OptionValue>;
  return chunkArgs(p, { startFrame: segment.startFrame, endFrame: segment.endFrame, crf: segment.crf, options });
}

/** The segment cache key of one stretch of a prepared plan's input at a CRF (encodeSegment's, and the chunk's). */
export function segmentKey(p: PreparedEncode, segment: { startFrame: number; endFrame: number; crf: number; options?: Record<string, OptionValue> }): string {
  return chunkKey(p, segment.startFrame, segment.endFrame, segmentArgs(p, segment));
}

/**
 * Encodes a plan scene by scene and concatenates the chunks into `output`. Resumable: finished
 * chunks recorded in `<workDir>/manifest.json` are reused by a later run with the same settings,
 * and the result is byte-identical to an uninterrupted run.
 */
export async function encodePlan(planIn: EncodePlan | EncodePlanInput | unknown, opts: EncodePlanOptions): Promise<EncodeResult> {
  const started = performance.now();
  const segmentCache = resolveSegmentCache(opts);
  const p = await prepareEncode(planIn, opts);

  try {
    await mkdir(p.workDir, { recursive: true });
    const unlock = await lockWorkDir(p.workDir);
    try {
      return await encodeLocked(p, opts, started, await SegmentCacheSession.open(segmentCache));
    } finally {
      await unlock();
    }
  } catch (e) {
    // A full disk under ffmpeg is read from its stderr where it runs; one hit by scenecrf's own
    // writes here (work directory, lock, chunk renames) is named the same way.
    throw asNoSpaceError(e, p.workDir);
  }
}

async function encodeLocked(p: PreparedEncode, opts: EncodePlanOptions, started: number, cache: SegmentCacheSession): Promise<EncodeResult> {
  const { plan, adapter, backend } = p;
  const fps = plan.input.frameRate.num / plan.input.frameRate.den;
  const chunks = await planChunks(p, cache);
  const reusedIdx = new Set(chunks.filter((c) => c.status === 'done').map((c) => c.index));
  const manifestPath = path.join(p.workDir, MANIFEST_NAME);
  const writeManifest = manifestWriter(manifestPath);
  const manifest = newManifest(p, chunks);
  await writeManifest(manifest);
  // The final file's temporary lives beside the output, outside the work directory that
  // planChunks sweeps: a run killed while joining (SIGKILL runs no cleanup) left it there.
  await removeStaleTemps(p.output);

  // Progress bookkeeping.
  const total = plan.input.frameCount;
  const inFlight = new Map<number, number>();
  let framesFinished = chunks.filter((c) => c.status === 'done').reduce((a, c) => a + c.endFrame - c.startFrame, 0);
  let framesEncodedNow = 0;
  let chunksDone = reusedIdx.size;
  const encodeStart = performance.now();
  const emit = (phase: EncodeProgress['phase'], finishedChunk?: ChunkResult) => {
    if (!opts.onProgress) return;
    const running = [...inFlight.values()].reduce((a, b) => a + b, 0);
    const secs = (performance.now() - encodeStart) / 1000;
    const rate = secs > 0 ? (framesEncodedNow + running) / secs : 0;
    const done = framesFinished + running;
    opts.onProgress({
      framesDone: done,
      totalFrames: total,
      fps: rate,
      etaSeconds: rate > 0 ? (total - done) / rate : undefined,
      chunksDone,
      chunksTotal: chunks.length,
      chunksReused: reusedIdx.size,
      finishedChunk,
      phase,
    });
  };
  const result = (c: ChunkRecord): ChunkResult => ({
    index: c.index,
    startFrame: c.startFrame,
    endFrame: c.endFrame,
    crf: c.crf,
    bytes: c.bytes ?? 0,
    bitrateKbps: c.bitrateKbps ?? 0,
    encodeSeconds: c.encodeSeconds ?? 0,
    encoderVersion: c.encoderVersion,
    reused: reusedIdx.has(c.index),
    cached: c.cached === true,
    file: path.join(p.workDir, c.file),
  });

  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    emit('encode');
    // Longest chunks first: with several jobs the last ones to start are short, so the workers
    // finish close together. (Order does not change any chunk's bytes.)
    const todo = chunks.filter((c) => c.status !== 'done').sort((a, b) => b.endFrame - b.startFrame - (a.endFrame - a.startFrame) || a.index - b.index);
    const executor = opts.executor ?? localChunkExecutor;
    await runPool(todo, executor.concurrency ?? p.jobs, controller, async (c) => {
      const frames = c.endFrame - c.startFrame;
      const target = path.join(p.workDir, c.file);
      const t = performance.now();
      let done: ChunkOutcome;
      try {
        done = await executor.encodeChunk(p, { ...c, target }, controller.signal, (n) => {
          inFlight.set(c.index, Math.min(n, frames));
          emit('encode');
        });
      } finally {
        inFlight.delete(c.index);
      }
      const bytes = (await stat(target)).size;
      const rec = manifest.chunks[c.index]!;
      Object.assign(rec, {
        status: 'done',
        bytes,
        bitrateKbps: (bytes * 8) / 1000 / (frames / fps),
        encodeSeconds: done.encodeSeconds ?? (performance.now() - t) / 1000,
        encoderVersion: done.encoderVersion,
        trim: done.trim,
      } satisfies Partial<ChunkRecord>);
      Object.assign(c, rec);
      await writeManifest(manifest);
      await cache.store(c.key, target, { bytes, encodeSeconds: rec.encodeSeconds!, ...(rec.encoderVersion ? { encoderVersion: rec.encoderVersion } : {}) });
      framesFinished += frames;
      framesEncodedNow += frames;
      chunksDone++;
      emit('encode', result(rec));
    });
  } catch (e) {
    if (opts.signal?.aborted) throw e instanceof AbortError ? e : new AbortError(opts.signal.reason);
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  emit('concat');
  await concatChunks(p, chunks.map((c) => c.file), opts.signal);
  const bytes = (await stat(p.output)).size;
  manifest.completed = { bytes, frames: total, at: new Date().toISOString() };
  await writeManifest(manifest);
  if (!opts.keepChunks) await removeChunkFiles(p.workDir, chunks.map((c) => c.file));
  emit('done');
  // Frames not evenly spaced last from the first timestamp to the last, plus a nominal frame.
  const ts = p.unevenTimestamps ? p.timestamps : undefined;
  const durationSeconds = ts ? ((ts.pts[ts.pts.length - 1]! - ts.pts[0]!) * ts.timeBase.num) / ts.timeBase.den + 1 / fps : total / fps;
  return {
    output: p.output,
    encoder: plan.encoder,
    frames: total,
    bytes,
    durationSeconds,
    bitrateKbps: (bytes * 8) / 1000 / durationSeconds,
    chunks: manifest.chunks.map(result),
    encodedChunks: chunks.length - reusedIdx.size,
    reusedChunks: reusedIdx.size,
    cachedChunks: manifest.chunks.filter((c) => reusedIdx.has(c.index) && c.cached === true).length,
    ...(cache.dir ? { cacheDir: cache.dir } : {}),
    warnings: cache.warnings,
    elapsedSeconds: (performance.now() - started) / 1000,
    workDir: p.workDir,
    manifest: manifestPath,
    ffmpeg: { path: backend.path, version: backend.version },
  };
}
