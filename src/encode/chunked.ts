import { createHash } from 'node:crypto';
import { access, constants, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { AbortError, CorruptInputError, FfmpegError, InvalidOptionsError, throwIfAborted, UnsupportedError } from '../errors.js';
import { seekCut } from '../media/cut.js';
import { problemLines } from '../media/ffmpeg-info.js';
import { assertReadableFile } from '../media/input-checks.js';
import { countOutput, countPackets, firstFrameTime } from '../media/native/stream-facts.js';
import { probeVideo } from '../media/probe.js';
import { runTool } from '../media/process.js';
import { resolveFfmpeg } from '../media/resolve.js';
import type { FfmpegBackend } from '../media/types.js';
import { parsePlan, type EncodePlan, type EncodePlanInput } from '../core/plan-file.js';
import { writeFileAtomic } from '../util/atomic.js';
import { resolveEncoderTool, type EncoderTool } from './cli-tools.js';
import { assertEncoderSupported, encoderAdapter, encoderVersionFromLog, type EncoderAdapter, type OptionValue } from './encoders.js';
import { MANIFEST_NAME, manifestWriter, readManifest, type ChunkRecord, type EncodeManifest } from './manifest.js';
import { runPool } from './pool.js';
import { storeSegment, takeSegment } from './segment-cache.js';

/**
 * Chunked per-scene encoding.
 *
 * Frame-exact cutting: a chunk [S, E) is cut from the decoded input, never from packets. For
 * constant-frame-rate input (the default, `trim: 'auto'`) ffmpeg seeks on the input side to about
 * a second before frame S (`-noaccurate_seek -ss`, lands on the keyframe before that point), keeps
 * the original timestamps (`-copyts`) and cuts with `trim=start=..:end=..` at the half-frame
 * midpoints t0 + (S-0.5)/fps and t0 + (E-0.5)/fps, where t0 is the first frame's timestamp. Each
 * chunk therefore decodes only from the keyframe before it, not from the start of the file (which
 * would make a whole encode O(n²) in decoding). Every chunk's encoded frame count is checked; a
 * chunk that came out short or long (irregular timestamps, a demuxer that seeks imprecisely) is
 * redone with `trim: 'decode'`: decode from frame 0 and `trim=start_frame=S:end_frame=E`, exact
 * for any input. Variable-frame-rate input uses 'decode' throughout.
 *
 * Timestamps are regenerated from the plan's frame rate (`settb=1/fps,setpts=N`, `-r fps`), so
 * each chunk is a clean CFR stream starting at 0 and the concat demuxer lays them end to end.
 * Only the first video stream is encoded (no audio, subtitles, metadata or chapters).
 *
 * Chunks are IVF files (AV1 and VP9 both fit). The final file is the concat demuxer with
 * `-c copy` (no re-encoding) into the container the output extension names (.mkv, .webm, .mp4
 * with a track timescale that is a multiple of the frame rate, .ivf), written to a temporary name,
 * checked with ffprobe (packet count = the plan's frame count, duration within half a frame),
 * then renamed over the output.
 *
 * Determinism and resume: each chunk is encoded with a fixed thread count (`threads`, recorded in
 * the chunk key; libaom's output depends on it, SVT-AV1's and libvpx's did not in tests),
 * `-fflags +bitexact -flags +bitexact -map_metadata -1` (no encoder/muxer version strings or
 * dates), and the muxers are bitexact, so the same plan gives the same bytes. A chunk is written
 * to `<name>.<pid>.tmp`, renamed, and only then marked done in the manifest (itself written
 * atomically); partial `.tmp` files are deleted at the next start. A chunk is reused when its key —
 * sha256 of the input's size and mtime, frame range, frame rate, ffmpeg version and the exact
 * encoder arguments — matches, and its file has the recorded size. A `lock` file (pid) stops two
 * runs sharing a work directory; a lock whose process is gone is taken over.
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
  /** The chunk file (IVF) in the work directory; removed after success unless `keepChunks`. */
  file: string;
}

export interface EncodePlanOptions {
  /** Output file; the container follows the extension: .mkv, .webm, .mp4 or .ivf. */
  output: string;
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
  /** Keep the chunk files after success (default false: only the manifest stays). */
  keepChunks?: boolean;
  /**
   * A segment cache directory (see segment-cache.ts), typically the one `planEncode`'s whole-scene
   * probes were kept in (its `segmentCache` option): a chunk whose key is there is taken from it
   * instead of encoded. The cache is only read.
   */
  segmentCache?: string;
  ffmpegPath?: string;
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
  /** Chunks encoded by this run / reused from an earlier one. */
  encodedChunks: number;
  reusedChunks: number;
  elapsedSeconds: number;
  workDir: string;
  manifest: string;
  ffmpeg: { path: string; version: string };
}

const MUXERS: Record<string, { muxer: string; codecs: ReadonlyArray<'av1' | 'vp9'> }> = {
  '.mkv': { muxer: 'matroska', codecs: ['av1', 'vp9'] },
  '.webm': { muxer: 'webm', codecs: ['av1', 'vp9'] },
  '.mp4': { muxer: 'mp4', codecs: ['av1', 'vp9'] },
  '.ivf': { muxer: 'ivf', codecs: ['av1', 'vp9'] },
};

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

/** Everything checked before any file is created or any encode starts. */
export interface PreparedEncode {
  plan: EncodePlan;
  input: string;
  output: string;
  muxer: string;
  workDir: string;
  backend: FfmpegBackend;
  adapter: EncoderAdapter;
  inputStat: { bytes: number; mtimeMs: number };
  /** Timestamp of the first frame (seconds) for seek-mode cutting, or undefined for decode mode. */
  firstFrameSeconds: number | undefined;
  jobs: number;
  threads: number;
  keyint: number;
  /** The standalone encoder program, when `via: 'tool'`. */
  tool?: { tool: EncoderTool; path: string; version: string };
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
  const mux = MUXERS[ext];
  if (!mux) throw new InvalidOptionsError('output', `${JSON.stringify(opts.output)}: unsupported extension ${JSON.stringify(ext || '(none)')}; use .mkv, .webm, .mp4 or .ivf`);
  await assertWritableDir('output', path.dirname(output), opts.output);
  const existing = await stat(output).catch(() => undefined);
  if (existing?.isDirectory()) throw new InvalidOptionsError('output', `${JSON.stringify(opts.output)} is a directory`);
  const workDir = path.resolve(opts.workDir ?? `${output}.scenecrf-work`);
  const workStat = await stat(workDir).catch(() => undefined);
  if (workStat && !workStat.isDirectory()) throw new InvalidOptionsError('workDir', `${JSON.stringify(workDir)} exists and is not a directory`);
  await assertWritableDir('workDir', workStat ? workDir : path.dirname(workDir), workDir);

  // Encoder: ffmpeg has it, and the plan's options are ones the adapter passes through.
  const backend = await resolveFfmpeg({ ffmpegPath: opts.ffmpegPath, backend: 'native' });
  const via = opts.via ?? 'ffmpeg';
  if (via !== 'ffmpeg' && via !== 'tool') throw new InvalidOptionsError('via', `expected "ffmpeg" or "tool", got ${JSON.stringify(via)}`);
  const tool = via === 'tool' ? await resolveEncoderTool(plan.encoder, opts.toolPath) : undefined;
  // Through a standalone program ffmpeg only decodes, so it needs no encoder library.
  const adapter = tool ? encoderAdapter(plan.encoder) : assertEncoderSupported(backend, plan.encoder);
  if (!mux.codecs.includes(adapter.codec)) throw new UnsupportedError(`${adapter.codec} cannot be stored in ${ext}`);
  adapter.validateOptions(plan.options as Record<string, OptionValue>, 'plan options');
  plan.scenes.forEach((s, i) => s.options && adapter.validateOptions({ ...plan.options, ...s.options } as Record<string, OptionValue>, `plan scene ${i} options`));

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

  const mode = opts.trim ?? 'auto';
  const canSeek = mode !== 'decode' && (mode === 'seek' || !info.variableFrameRate) && backend.ffprobePath !== undefined;
  const firstFrameSeconds = canSeek ? await firstFrameTime(backend.ffprobePath!, input, opts.signal) : undefined;
  const s = await stat(input);
  const fps = plan.input.frameRate.num / plan.input.frameRate.den;
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
  };
}

/** Bump when the way chunks are cut or muxed changes, so older chunk files are not reused. */
const CHUNK_FORMAT = 1;

/**
 * Claims the work directory for this process (a `lock` file holding the pid). A lock left by a
 * process that no longer runs (killed) is taken over; one held by a live process is an error.
 */
async function lockWorkDir(workDir: string): Promise<() => Promise<void>> {
  const lock = path.join(workDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      let alive = false;
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (err) {
          alive = (err as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive || pid === process.pid) throw new InvalidOptionsError('workDir', `${JSON.stringify(workDir)} is in use by another encode (process ${pid})`);
      await rm(lock, { force: true });
    }
  }
  throw new InvalidOptionsError('workDir', `cannot lock ${JSON.stringify(workDir)}`);
}

const chunkName = (i: number) => `chunk-${String(i).padStart(5, '0')}.ivf`;

/** The ffmpeg input-and-filter arguments that produce frames [start, end) with fresh CFR timestamps. */
function cutArgs(p: PreparedEncode, start: number, end: number, mode: 'seek' | 'decode'): string[] {
  const { num, den } = p.plan.input.frameRate;
  const retime = `settb=${den}/${num},setpts=N`;
  if (mode === 'seek' && start > 0 && p.firstFrameSeconds !== undefined) {
    const cut = seekCut(start, end, { num, den }, p.firstFrameSeconds);
    return [...cut.inputArgs, '-i', `file:${p.input}`, '-map', '0:V:0', '-vf', `${cut.trim},${retime}`];
  }
  return ['-i', `file:${p.input}`, '-map', '0:V:0', '-vf', `trim=start_frame=${start}:end_frame=${end},${retime}`];
}

/**
 * The chunk key: sha256 of everything that determines a chunk's bytes (input identity, frame
 * range, frame rate, ffmpeg version, the exact encoder arguments). Chunks and probe encodes with
 * equal keys are interchangeable.
 */
function chunkKey(p: PreparedEncode, startFrame: number, endFrame: number, args: string[]): string {
  const identity = { chunkFormat: CHUNK_FORMAT, input: p.inputStat, frameRate: p.plan.input.frameRate, ffmpeg: p.backend.version };
  return sha256(canonical({ ...identity, startFrame, endFrame, args }));
}

/** Placeholder for the output file in a standalone program's arguments (replaced per run). */
const TOOL_OUT = '\u0000out';

function chunkArgs(p: PreparedEncode, rec: { startFrame: number; endFrame: number; crf: number; options: Record<string, OptionValue> }): string[] {
  const settings = { crf: rec.crf, preset: p.plan.preset, bitDepth: p.plan.bitDepth, threads: p.threads, keyint: p.keyint, options: rec.options };
  return p.tool ? [p.tool.path, p.tool.version, ...p.tool.tool.args(settings, TOOL_OUT)] : p.adapter.args(settings);
}

const COMMON_OUT = ['-an', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1', '-fflags', '+bitexact', '-flags', '+bitexact'];

interface RunOutput {
  frames: number;
  log: string;
}

/**
 * Runs one ffmpeg encode (progress on stderr via `-progress pipe:2`), or ffmpeg piping Y4M into
 * a standalone encoder; reports `frame=` progress; throws AbortError or FfmpegError.
 */
async function runEncode(
  ffmpeg: string,
  args: string[],
  signal: AbortSignal,
  onFrames: (n: number) => void,
  tool?: { path: string; args: string[] },
): Promise<RunOutput> {
  if (signal.aborted) throw new AbortError(signal.reason);
  const child = execa(ffmpeg, args, { reject: false, stdin: 'ignore', buffer: false, cancelSignal: signal, encoding: 'utf8' });
  let toolLog = '';
  const encoder = tool ? execa(tool.path, tool.args, { reject: false, stdin: 'pipe', stdout: 'ignore', buffer: false, cancelSignal: signal, encoding: 'utf8' }) : undefined;
  if (encoder) {
    // A dead encoder closes the pipe; ffmpeg then fails with EPIPE, reported below.
    encoder.stdin!.on('error', () => undefined);
    child.stdout!.pipe(encoder.stdin!);
    encoder.stderr?.on('data', (d: Buffer | string) => {
      toolLog = (toolLog + String(d)).slice(-32_768);
    });
  }
  let head = '';
  let tail = '';
  child.stderr?.on('data', (d: Buffer | string) => {
    const t = String(d);
    if (head.length < 32_768) head += t;
    else tail = (tail + t).slice(-32_768);
  });
  let frames = 0;
  let pending = '';
  child.stderr?.on('data', (d: Buffer | string) => {
    pending += String(d);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^frame=(\d+)/.exec(l);
      if (m) {
        frames = Number(m[1]);
        onFrames(frames);
      }
    }
  });
  const [r, e] = await Promise.all([child, encoder]);
  const log = tail ? `${head}\n${tail}` : head;
  if (r.isCanceled || e?.isCanceled || signal.aborted) throw new AbortError(signal.reason);
  if (e && e.exitCode !== 0) throw new FfmpegError([tool!.path, ...tool!.args], e.exitCode, `${path.basename(tool!.path)}: ${toolLog.slice(-2000)}`);
  if (r.exitCode !== 0) {
    const problems = problemLines(log);
    throw new FfmpegError(args, r.exitCode, problems.length ? problems.join('\n') : log.slice(-2000));
  }
  return { frames, log: `${log}\n${toolLog}` };
}

interface CutResult {
  out: RunOutput;
  mode: 'seek' | 'decode';
}

/**
 * Encodes frames [startFrame, endFrame) of the prepared input with one chunk's arguments into
 * `tmp` (an IVF file), checking the frame count; a seek that lands on the wrong frames (timestamps
 * off the nominal rate) is retried by decoding from the start. Removes `tmp` on failure.
 */
async function encodeCut(
  p: PreparedEncode,
  c: { index: number; startFrame: number; endFrame: number; args: string[] },
  tmp: string,
  signal: AbortSignal,
  onFrames: (n: number) => void,
): Promise<CutResult> {
  const { num, den } = p.plan.input.frameRate;
  const frames = c.endFrame - c.startFrame;
  let mode: 'seek' | 'decode' = p.firstFrameSeconds !== undefined && c.startFrame > 0 ? 'seek' : 'decode';
  for (;;) {
    const head = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', '-progress', 'pipe:2', ...cutArgs(p, c.startFrame, c.endFrame, mode), '-r', `${num}/${den}`, '-vsync', 'passthrough'];
    // Y4M carries the frame rate and bit depth to the standalone encoder (10-bit Y4M needs -strict -1).
    const args = p.tool
      ? [...head, '-pix_fmt', p.plan.bitDepth === 10 ? 'yuv420p10le' : 'yuv420p', '-strict', '-1', ...COMMON_OUT, '-f', 'yuv4mpegpipe', 'pipe:1']
      : [...head, ...c.args, ...COMMON_OUT, '-f', 'ivf', '-y', tmp];
    const tool = p.tool ? { path: p.tool.path, args: c.args.slice(2).map((a) => (a === TOOL_OUT ? tmp : a)) } : undefined;
    let out: RunOutput;
    try {
      out = await runEncode(p.backend.path, args, signal, onFrames, tool);
      // The standalone encoder must have written every frame it was given.
      if (tool && out.frames === frames) out.frames = (await countOutput(p.backend, tmp, signal)).frames;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    if (out.frames === frames) return { out, mode };
    await rm(tmp, { force: true });
    if (mode === 'seek') {
      mode = 'decode'; // timestamps did not match the nominal rate here: cut by frame number
      continue;
    }
    throw new CorruptInputError(p.input, `scene ${c.index} (frames ${c.startFrame}..${c.endFrame - 1}) decoded to ${out.frames} frames, expected ${frames}`);
  }
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
 * temporary name and renamed). With `segmentCache`, an encode already there is taken instead
 * (`cached: true`, its original encode time), and a new one is added to it.
 */
export async function encodeSegment(
  p: PreparedEncode,
  segment: { startFrame: number; endFrame: number; crf: number; options?: Record<string, OptionValue> },
  output: string,
  signal: AbortSignal = new AbortController().signal,
  cache: { segmentCache?: string } = {},
): Promise<SegmentEncode> {
  const t = performance.now();
  const options = { ...p.plan.options, ...(segment.options ?? {}) } as Record<string, OptionValue>;
  const args = chunkArgs(p, { startFrame: segment.startFrame, endFrame: segment.endFrame, crf: segment.crf, options });
  const frames = segment.endFrame - segment.startFrame;
  const key = chunkKey(p, segment.startFrame, segment.endFrame, args);
  throwIfAborted(signal);
  const hit = cache.segmentCache ? await takeSegment(cache.segmentCache, key, output) : undefined;
  if (hit) return { file: output, bytes: hit.bytes, frames, encodeSeconds: hit.encodeSeconds, cached: true };
  const tmp = `${output}.${process.pid}.tmp`;
  const { out } = await encodeCut(p, { index: -1, ...segment, args }, tmp, signal, () => undefined);
  await rename(tmp, output);
  const result = { file: output, bytes: (await stat(output)).size, frames, encodeSeconds: (performance.now() - t) / 1000, cached: false };
  if (cache.segmentCache)
    await storeSegment(cache.segmentCache, key, output, {
      bytes: result.bytes,
      encodeSeconds: result.encodeSeconds,
      encoderVersion: p.tool ? p.tool.version : (encoderVersionFromLog(p.adapter, out.log) ?? p.backend.version),
    });
  return result;
}

/** Deletes chunk files and the concat list from a work directory; the manifest stays. */
async function removeChunkFiles(workDir: string, files: readonly string[]): Promise<void> {
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

/**
 * Encodes a plan scene by scene and concatenates the chunks into `output`. Resumable: finished
 * chunks recorded in `<workDir>/manifest.json` are reused by a later run with the same settings,
 * and the result is byte-identical to an uninterrupted run.
 */
export async function encodePlan(planIn: EncodePlan | EncodePlanInput | unknown, opts: EncodePlanOptions): Promise<EncodeResult> {
  const started = performance.now();
  const p = await prepareEncode(planIn, opts);

  await mkdir(p.workDir, { recursive: true });
  const unlock = await lockWorkDir(p.workDir);
  try {
    return await encodeLocked(p, opts, started);
  } finally {
    await unlock();
  }
}

async function encodeLocked(p: PreparedEncode, opts: EncodePlanOptions, started: number): Promise<EncodeResult> {
  const { plan, adapter, backend } = p;
  const { num, den } = plan.input.frameRate;
  const fps = num / den;
  // Leftovers of a killed run (partial chunk files) are never reused.
  for (const name of await readdir(p.workDir)) if (name.endsWith('.tmp')) await rm(path.join(p.workDir, name), { force: true });

  const manifestPath = path.join(p.workDir, MANIFEST_NAME);
  const previous = await readManifest(manifestPath);
  const writeManifest = manifestWriter(manifestPath);

  const chunks: Array<ChunkRecord & { args: string[]; options: Record<string, OptionValue> }> = [];
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
    const cached = !reusable && opts.segmentCache ? await takeSegment(opts.segmentCache, key, path.join(p.workDir, file)) : undefined;
    const frames = s.endFrame - s.startFrame;
    chunks.push(
      reusable
        ? { ...old!, args, options }
        : cached
          ? {
              index, startFrame: s.startFrame, endFrame: s.endFrame, crf: s.crf, key, file, status: 'done', args, options,
              bytes: cached.bytes, bitrateKbps: (cached.bytes * 8) / 1000 / (frames / fps), encodeSeconds: cached.encodeSeconds, encoderVersion: cached.encoderVersion,
            }
          : { index, startFrame: s.startFrame, endFrame: s.endFrame, crf: s.crf, key, file, status: 'pending', args, options },
    );
  }
  const reusedIdx = new Set(chunks.filter((c) => c.status === 'done').map((c) => c.index));

  const manifest: EncodeManifest = {
    format: 'scenecrf-encode-manifest',
    version: 1,
    planHash: sha256(canonical(plan)),
    encoder: plan.encoder,
    ffmpeg: backend.version,
    input: { path: p.input, ...p.inputStat },
    output: p.output,
    threads: p.threads,
    chunks: chunks.map(({ args: _a, options: _o, ...c }) => c),
  };
  await writeManifest(manifest);

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
    await runPool(todo, p.jobs, controller, async (c) => {
      const frames = c.endFrame - c.startFrame;
      const target = path.join(p.workDir, c.file);
      const tmp = `${target}.${process.pid}.tmp`;
      const t = performance.now();
      let cut: CutResult;
      try {
        cut = await encodeCut(p, c, tmp, controller.signal, (n) => {
          inFlight.set(c.index, Math.min(n, frames));
          emit('encode');
        });
      } finally {
        inFlight.delete(c.index);
      }
      const { out, mode } = cut;
      await rename(tmp, target);
      const bytes = (await stat(target)).size;
      const rec = manifest.chunks[c.index]!;
      Object.assign(rec, {
        status: 'done',
        bytes,
        bitrateKbps: (bytes * 8) / 1000 / (frames / fps),
        encodeSeconds: (performance.now() - t) / 1000,
        encoderVersion: p.tool ? p.tool.version : (encoderVersionFromLog(adapter, out.log) ?? backend.version),
        trim: mode,
      } satisfies Partial<ChunkRecord>);
      Object.assign(c, rec);
      await writeManifest(manifest);
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

  // Concatenate losslessly; write to a temporary name, check, rename.
  emit('concat');
  throwIfAborted(opts.signal);
  const list = path.join(p.workDir, 'concat.txt');
  await writeFileAtomic(list, chunks.map((c) => `file '${c.file}'\n`).join(''));
  const tmpOut = path.join(path.dirname(p.output), `.${path.basename(p.output)}.${process.pid}.tmp`);
  const timescale = p.muxer === 'mp4' ? ['-video_track_timescale', String(num * Math.max(1, Math.ceil(10_000 / num)))] : [];
  const concatArgs = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+error', '-f', 'concat', '-i', list, '-map', '0:V:0', '-c', 'copy', ...COMMON_OUT, ...timescale, '-f', p.muxer, '-y', tmpOut];
  try {
    const r = await runTool(backend.path, concatArgs, { signal: opts.signal });
    if (r.exitCode !== 0) throw new FfmpegError(concatArgs, r.exitCode, r.stderr);
    const check = await countOutput(backend, tmpOut, opts.signal);
    if (check.frames !== total) throw new FfmpegError(concatArgs, 0, `concatenated output has ${check.frames} frames, expected ${total}`);
    if (check.duration !== undefined && Math.abs(check.duration - total / fps) > 0.5 / fps + 0.002)
      throw new FfmpegError(concatArgs, 0, `concatenated output lasts ${check.duration}s, expected ${(total / fps).toFixed(4)}s`);
    await rename(tmpOut, p.output);
  } catch (e) {
    await rm(tmpOut, { force: true });
    throw e;
  }
  const bytes = (await stat(p.output)).size;
  manifest.completed = { bytes, frames: total, at: new Date().toISOString() };
  await writeManifest(manifest);
  if (!opts.keepChunks) await removeChunkFiles(p.workDir, chunks.map((c) => c.file));
  emit('done');
  const durationSeconds = total / fps;
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
    elapsedSeconds: (performance.now() - started) / 1000,
    workDir: p.workDir,
    manifest: manifestPath,
    ffmpeg: { path: backend.path, version: backend.version },
  };
}
