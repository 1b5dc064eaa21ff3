/**
 * WebAssembly fallback backend: ffmpeg 5.1 from `@ffmpeg/core` (Emscripten, single-threaded) run
 * inside this Node process when no native ffmpeg is available. It is slow (no SIMD assembly, one
 * thread) and meant as the last resort; it has libx264/libx265/libvpx but no AV1 encoder and no
 * libvmaf, and its libvpx-vp9 encoder crashes (see BROKEN_WASM_ENCODERS).
 *
 * How @ffmpeg/core 0.12 behaves in Node 20 (found by experiment; the package targets browsers):
 * - The Emscripten glue is built for web workers only (ENVIRONMENT_IS_WORKER is hard-coded true) and
 *   reads `self.location.href` while initialising, so `self` must exist. It would fetch the .wasm
 *   over HTTP; instead we compile the file ourselves and hand it over through `instantiateWasm`.
 * - `exec()` is synchronous: it blocks the calling thread until ffmpeg returns. Running it on the main
 *   thread would freeze the event loop (timers, SIGINT handlers, AbortSignal listeners) for the whole
 *   decode. So every job runs in its own `worker_threads` Worker. That also gives a real abort:
 *   `worker.terminate()` stops ffmpeg mid-run, and all wasm memory is freed with the worker.
 * - `exec()` can run several times on one instance (call `reset()` in between), also after a failed
 *   or timed-out run, so a job may run a few commands on one instance (see createWasmBackend).
 * - The core's own `setTimeout(ms)` makes ffmpeg's transcode loop give up after `ms` (it then exits
 *   with code 1, "Conversion failed!"), but it cannot be triggered by an AbortSignal (the event loop
 *   of the thread running exec is blocked), so aborts and `timeoutMs` terminate the worker instead.
 * - There is no NODEFS in this build (only MEMFS and WORKERFS). The input is mounted read-only with
 *   WORKERFS and the node's read() is redirected to `fs.readSync` on the host file, so the input is
 *   never copied into memory and the host path (spaces, quotes, leading dashes) never reaches ffmpeg's
 *   argv: ffmpeg sees `/input/input.<ext>`.
 * - Output: generic outputs (`outputName`) land in MEMFS, because muxers may seek, and are moved to
 *   the caller without a copy. Raw frames for analysis are streamed from a character device straight
 *   to the consumer in frame-aligned batches, with backpressure through a SharedArrayBuffer, so memory
 *   stays bounded by a few batches rather than growing with the input's length.
 */
import { createRequire } from 'node:module';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  AbortError,
  CorruptInputError,
  EmptyInputError,
  FfmpegError,
  FfmpegNotFoundError,
  InputNotFoundError,
  InvalidOptionsError,
  NotAVideoError,
  type ScenecrfError,
  throwIfAborted,
} from '../errors.js';
import {
  ffmpegErrorDetail,
  inputErrorFromStderr,
  parseCodecList,
  parseFfmpegInputInfo,
  parseFilterList,
  parseFinalProgress,
  rateToRational,
  type ParsedInputInfo,
} from './ffmpeg-info.js';
import { frameByteLength, frameFromBuffer, pixFmts, videoFilter, type FrameGeometry } from './frames.js';
import type { FfmpegBackend, Frame, FrameStreamOptions, VideoInfo } from './types.js';

/** Placeholder in `runWasmFfmpeg` args that is replaced by the input's path inside the wasm FS. */
export const WASM_INPUT_TOKEN = '{input}';

const INPUT_DIR = '/input';
/** Frame batches posted by the worker are about this large (whole frames). */
const BATCH_TARGET_BYTES = 4 * 1024 * 1024;
/** Batches the worker may have in flight before it blocks until the consumer catches up. */
const MAX_BATCHES_IN_FLIGHT = 4;
/** ffmpeg log lines kept per command: this many from the start and this many from the end. */
const LOG_LINES_KEPT = 400;

/** Minimal typing of the WebAssembly global (not in the ES2022 lib; @types/node lacks it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
}

export interface WasmCore {
  /** Resolved path of @ffmpeg/core's UMD build, which each worker `require()`s (its factory). */
  corePath: string;
  wasmPath: string;
  /** ffmpeg-core.wasm compiled once per process (~0.4 s) and shared with every worker. */
  module: object;
}

let corePromise: Promise<WasmCore> | undefined;

/**
 * Resolves and compiles @ffmpeg/core, once per process (later calls share the result; a failure is
 * not cached). Nothing is loaded until this is called. The module instance itself is created per job,
 * inside that job's worker.
 */
export function loadWasmCore(): Promise<WasmCore> {
  corePromise ??= compileCore().catch((err: unknown) => {
    corePromise = undefined;
    throw err;
  });
  return corePromise;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function compileCore(): Promise<WasmCore> {
  let corePath: string;
  let wasmPath: string;
  try {
    // Resolved at run time from node_modules (never bundled); createRequire keeps this identical in
    // the ESM and the CJS build (tsup shims import.meta.url for CJS).
    const require = createRequire(import.meta.url);
    corePath = require.resolve('@ffmpeg/core');
    wasmPath = require.resolve('@ffmpeg/core/wasm');
  } catch (err) {
    throw new FfmpegNotFoundError(
      `the WebAssembly fallback needs the "@ffmpeg/core" package, which could not be resolved (${message(err)}); ` +
        'install a native ffmpeg (recommended) or run "npm install @ffmpeg/core@0.12.10"',
    );
  }
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new FfmpegNotFoundError('this JavaScript runtime has no WebAssembly support');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(wasmPath);
  } catch (err) {
    throw new FfmpegNotFoundError(`could not read ${wasmPath} from @ffmpeg/core (${message(err)})`);
  }
  try {
    return { corePath, wasmPath, module: await api.compile(bytes) };
  } catch (err) {
    throw new FfmpegNotFoundError(`could not compile ${wasmPath} from @ffmpeg/core (${message(err)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Worker protocol

interface WorkerInput {
  hostPath: string;
  dir: string;
  name: string;
}

interface WorkerCommand {
  args: string[];
  /** MEMFS file to hand back after the run (then deleted). */
  readOutput?: string;
  /** Device path whose writes are posted as frame-aligned 'chunk' messages of `batchBytes`. */
  streamOutput?: { path: string; batchBytes: number };
}

interface WorkerJob {
  corePath: string;
  coreUrl: string;
  module: object;
  input?: WorkerInput;
  commands: WorkerCommand[];
  /** Int32 counter of posted-but-unconsumed chunks (backpressure), when streaming. */
  control?: SharedArrayBuffer;
  maxInFlight: number;
  logLimit: number;
}

type WorkerMessage =
  | { type: 'result'; index: number; exitCode: number; stdout: string; stderr: string; output?: Uint8Array }
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'fatal'; message: string; log: string };

interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  output?: Uint8Array;
}

/**
 * Runs inside the worker (CommonJS, `eval: true`, so there is no separate file for tsup to bundle
 * or for the package to ship). Plain JavaScript; keep it free of backticks and `${`.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData: job } = require('node:worker_threads');
const fs = require('node:fs');

function fatal(err, logTail) {
  parentPort.postMessage({ type: 'fatal', message: String((err && err.message) || err), log: logTail || '' });
  process.exit(1);
}

function makeLog(limit) {
  const head = [];
  let tail = [];
  let dropped = 0;
  return {
    push(line) {
      if (head.length < limit) { head.push(line); return; }
      tail.push(line);
      if (tail.length > 2 * limit) { dropped += tail.length - limit; tail = tail.slice(tail.length - limit); }
    },
    text() {
      if (tail.length > limit) { dropped += tail.length - limit; tail = tail.slice(tail.length - limit); }
      const mid = dropped > 0 ? ['[... ' + dropped + ' log lines omitted ...]'] : [];
      return head.concat(mid, tail).join('\n');
    },
  };
}

function mountInput(FS, input) {
  const fd = fs.openSync(input.hostPath, 'r');
  const size = fs.fstatSync(fd).size;
  const WORKERFS = FS.filesystems.WORKERFS;
  // WORKERFS.mount() would construct a FileReaderSync (browser-only) unless a reader exists; it is
  // never used because the node's read() below reads the host file directly into the wasm heap.
  if (!WORKERFS.reader) WORKERFS.reader = {};
  FS.mkdir(input.dir);
  FS.mount(WORKERFS, { blobs: [{ name: input.name, data: { size: size } }] }, input.dir);
  const node = FS.lookupPath(input.dir + '/' + input.name).node;
  node.stream_ops = Object.assign({}, node.stream_ops, {
    read(stream, buffer, offset, length, position) {
      if (position >= size) return 0;
      return fs.readSync(fd, buffer, offset, Math.min(length, size - position), position);
    },
  });
  return function close() {
    try { FS.unmount(input.dir); } catch (e) { /* already gone */ }
    fs.closeSync(fd);
  };
}

function createStreamSink(FS, spec, devMinor) {
  const ctl = job.control ? new Int32Array(job.control) : null;
  let batch = null;
  let fill = 0;
  function flush() {
    if (fill === 0) return;
    const data = fill === batch.length ? batch : batch.slice(0, fill);
    batch = null;
    fill = 0;
    parentPort.postMessage({ type: 'chunk', data: data }, [data.buffer]);
    if (ctl) {
      Atomics.add(ctl, 0, 1);
      let n;
      while ((n = Atomics.load(ctl, 0)) >= job.maxInFlight) Atomics.wait(ctl, 0, n, 1000);
    }
  }
  const dev = FS.makedev(250, devMinor);
  FS.registerDevice(dev, {
    open() {},
    close() {},
    read() { return 0; },
    write(stream, buffer, offset, length) {
      let src = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
      while (src.length > 0) {
        if (batch === null) batch = new Uint8Array(spec.batchBytes);
        const n = Math.min(src.length, batch.length - fill);
        batch.set(src.subarray(0, n), fill);
        fill += n;
        src = src.subarray(n);
        if (fill === batch.length) flush();
      }
      return length;
    },
  });
  FS.mkdev(spec.path, 438, dev);
  return {
    finish() {
      flush();
      try { FS.unlink(spec.path); } catch (e) { /* ignore */ }
    },
  };
}

function takeFile(FS, path) {
  let node;
  try { node = FS.lookupPath(path).node; } catch (e) { return undefined; }
  const used = node.usedBytes || 0;
  const contents = node.contents instanceof Uint8Array ? node.contents : Uint8Array.from(node.contents || []);
  try { FS.unlink(path); } catch (e) { /* ignore */ }
  return contents.subarray(0, used);
}

async function main() {
  // The Emscripten glue is built for web workers and reads self.location.href while initialising.
  // This global only exists inside this worker.
  globalThis.self = { location: { href: job.coreUrl } };
  const createCore = require(job.corePath);
  const core = await createCore({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(job.module, imports).then(function (instance) { receive(instance); }, fatal);
      return {};
    },
  });
  const FS = core.FS;
  let log = null;
  core.setLogger(function (entry) {
    if (log === null) return;
    if (entry.type === 'stdout') log.out.push(entry.message);
    else if (entry.message !== 'Aborted()') log.err.push(entry.message); // printed at every normal exit
  });
  const closeInput = job.input ? mountInput(FS, job.input) : function () {};
  for (let i = 0; i < job.commands.length; i++) {
    const cmd = job.commands[i];
    log = { out: makeLog(job.logLimit), err: makeLog(job.logLimit) };
    const sink = cmd.streamOutput ? createStreamSink(FS, cmd.streamOutput, i) : null;
    core.reset();
    let exitCode;
    try {
      exitCode = core.exec.apply(null, cmd.args);
    } catch (err) {
      // A trap such as "memory access out of bounds" leaves the instance unusable: report and stop.
      fatal(err, log.err.text().split('\n').slice(-8).join('\n'));
      return;
    }
    if (sink) sink.finish();
    const output = cmd.readOutput ? takeFile(FS, cmd.readOutput) : undefined;
    parentPort.postMessage(
      { type: 'result', index: i, exitCode: exitCode, stdout: log.out.text(), stderr: log.err.text(), output: output },
      output ? [output.buffer] : [],
    );
  }
  log = null;
  closeInput();
}

main().catch(fatal);
`;

interface JobHooks {
  signal?: AbortSignal;
  timeoutMs?: number;
  onChunk?: (data: Uint8Array) => void;
  control?: SharedArrayBuffer;
}

interface RunningJob {
  done: Promise<CommandResult[]>;
  /** Keep the process alive for this worker (while someone awaits it) or not. */
  ref(): void;
  unref(): void;
  /** Stops the worker; `done` rejects with AbortError if it had not settled. */
  cancel(): void;
}

function startJob(core: WasmCore, input: WorkerInput | undefined, commands: WorkerCommand[], hooks: JobHooks): RunningJob {
  const job: WorkerJob = {
    corePath: core.corePath,
    coreUrl: pathToFileURL(core.corePath).href,
    module: core.module,
    input,
    commands,
    control: hooks.control,
    maxInFlight: MAX_BATCHES_IN_FLIGHT,
    logLimit: LOG_LINES_KEPT,
  };
  const { signal, timeoutMs } = hooks;
  // execArgv: [] so loaders/inspector flags of the parent (tsx, --inspect) are not re-run per job.
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: job, execArgv: [] });
  const results: CommandResult[] = [];
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: (err?: unknown) => void = () => {};
  const currentArgs = (): string[] => commands[Math.min(results.length, commands.length - 1)]?.args ?? [];

  const done = new Promise<CommandResult[]>((resolve, reject) => {
    const onAbort = (): void => finish(new AbortError(signal?.reason));
    finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err === undefined) resolve(results);
      else reject(err);
    };
    if (signal) {
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }
    if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timer = setTimeout(
        () => finish(new AbortError(new Error(`wasm ffmpeg did not finish within ${timeoutMs} ms`))),
        timeoutMs,
      );
    }
    worker.on('message', (msg: WorkerMessage) => {
      if (settled) return;
      if (msg.type === 'chunk') {
        try {
          hooks.onChunk?.(msg.data);
        } catch (err) {
          finish(err);
        }
      } else if (msg.type === 'fatal') {
        // Log first, crash reason last: FfmpegError's message shows the last lines.
        const tail = msg.log ? `${msg.log}\n` : '';
        finish(new FfmpegError(currentArgs(), undefined, `${tail}wasm ffmpeg crashed: ${msg.message}`));
      } else {
        results.push({ exitCode: msg.exitCode, stdout: msg.stdout, stderr: msg.stderr, output: msg.output });
        if (results.length === commands.length) finish();
      }
    });
    worker.on('error', (err: Error) => finish(new FfmpegError(currentArgs(), undefined, `wasm ffmpeg crashed: ${err.message}`)));
    worker.on('exit', (code: number) => {
      if (results.length === commands.length) finish();
      else finish(new FfmpegError(currentArgs(), undefined, `wasm ffmpeg worker exited with code ${code} before finishing`));
    });
  });
  return {
    done,
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    cancel: () => finish(new AbortError('cancelled')),
  };
}

async function prepareInput(path: string): Promise<WorkerInput> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new InputNotFoundError(path);
  }
  if (!info.isFile()) throw new InputNotFoundError(path);
  if (info.size === 0) throw new EmptyInputError(path);
  // Keep a plain extension: some demuxers (raw .h264/.y4m, ...) are chosen by it.
  const ext = extname(path);
  return { hostPath: resolvePath(path), dir: INPUT_DIR, name: `input${/^\.[A-Za-z0-9]{1,10}$/.test(ext) ? ext : ''}` };
}

function substituteInput(args: readonly string[], input: WorkerInput | undefined): string[] {
  const needs = args.some((a) => a.includes(WASM_INPUT_TOKEN));
  if (needs && !input) throw new InvalidOptionsError('wasm ffmpeg arguments', `${WASM_INPUT_TOKEN} is used but no inputPath was given`);
  if (!input) return [...args];
  const inWasm = `${input.dir}/${input.name}`;
  return args.map((a) => a.split(WASM_INPUT_TOKEN).join(inWasm));
}

// ---------------------------------------------------------------------------------------------
// Public API

export interface WasmRunOptions {
  /** Host file mounted read-only in the wasm FS; `{input}` in args is replaced by its in-wasm path. */
  inputPath?: string;
  /**
   * In-wasm output path (e.g. "/out.raw") to read back after the run. It lives in MEMFS, i.e. the
   * whole output is held in memory until the run ends: fine for small outputs; frames for analysis
   * go through decodeFramesWasm, which streams.
   */
  outputName?: string;
  signal?: AbortSignal;
  /** Terminates the run after this long (rejects with AbortError). */
  timeoutMs?: number;
}

export interface WasmRunResult {
  exitCode: number;
  /** What ffmpeg printed to stdout (e.g. -version, -encoders). */
  stdout: string;
  /** ffmpeg's log, one line per entry (very long logs keep their first and last 400 lines). */
  stderr: string;
  output?: Uint8Array;
}

/**
 * Runs ffmpeg (already prefixed with `-nostdin -y` by the core) in a fresh worker.
 * A non-zero exit code is returned, not thrown; input/abort problems are thrown as typed errors.
 */
export async function runWasmFfmpeg(args: readonly string[], opts: WasmRunOptions = {}): Promise<WasmRunResult> {
  throwIfAborted(opts.signal);
  const { outputName } = opts;
  if (outputName !== undefined && (!/^\/[A-Za-z0-9._\-/]+$/.test(outputName) || outputName.startsWith(`${INPUT_DIR}/`))) {
    throw new InvalidOptionsError('wasm outputName', `expected an absolute in-wasm path such as "/out.raw", got ${JSON.stringify(outputName)}`);
  }
  const input = opts.inputPath !== undefined ? await prepareInput(opts.inputPath) : undefined;
  const wasmArgs = substituteInput(args, input);
  const core = await loadWasmCore();
  throwIfAborted(opts.signal);
  const [result] = await startJob(core, input, [{ args: wasmArgs, readOutput: outputName }], {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
  }).done;
  return result;
}

let backendPromise: Promise<FfmpegBackend> | undefined;

/** The wasm backend, with version and capabilities read from the core itself (cached per process). */
export function createWasmBackend(): Promise<FfmpegBackend> {
  backendPromise ??= describeBackend().catch((err: unknown) => {
    backendPromise = undefined;
    throw err;
  });
  return backendPromise;
}

/**
 * Encoders that @ffmpeg/core 0.12.10 lists but that crash the instance ("RuntimeError: memory
 * access out of bounds", upstream ffmpegwasm/ffmpeg.wasm#679): libvpx-vp9 fails after a few frames
 * even with -threads 1. They are left out of the capabilities so nothing selects them.
 */
const BROKEN_WASM_ENCODERS: readonly string[] = ['libvpx-vp9'];

function withoutBrokenEncoders(encoders: Set<string>): Set<string> {
  for (const name of BROKEN_WASM_ENCODERS) encoders.delete(name);
  return encoders;
}

async function describeBackend(): Promise<FfmpegBackend> {
  const core = await loadWasmCore();
  let results: CommandResult[];
  try {
    results = await startJob(
      core,
      undefined,
      [{ args: ['-version'] }, { args: ['-hide_banner', '-encoders'] }, { args: ['-hide_banner', '-filters'] }],
      { timeoutMs: 60_000 },
    ).done;
  } catch (err) {
    throw new FfmpegNotFoundError(`@ffmpeg/core at ${core.corePath} failed to start (${message(err)})`);
  }
  const [version, encoders, filters] = results;
  const versionLine = `${version.stdout}\n${version.stderr}`.split('\n').find((l) => l.startsWith('ffmpeg version'));
  if (!versionLine) {
    throw new FfmpegNotFoundError(`@ffmpeg/core at ${core.corePath} did not report a version (${ffmpegErrorDetail(version.stderr)})`);
  }
  return {
    source: 'wasm',
    kind: 'wasm',
    path: core.corePath,
    version: versionLine.trim(),
    capabilities: {
      encoders: withoutBrokenEncoders(parseCodecList(`${encoders.stdout}\n${encoders.stderr}`)),
      filters: parseFilterList(`${filters.stdout}\n${filters.stderr}`),
    },
  };
}

export interface WasmProbeOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * Decode the whole video stream to count frames exactly (default true). This is a full decode in
   * wasm, i.e. slow for long inputs; with false the count is estimated from duration x frame rate.
   */
  countFrames?: boolean;
}

function notAVideo(path: string, info: ParsedInputInfo): NotAVideoError {
  return new NotAVideoError(path, info.hasAudio ? `audio only (${info.container})` : `no video stream in ${info.container}`);
}

/** Still images, image sequences and text ("tty" demuxer) are readable but are not video. */
function isStillOrText(container: string): boolean {
  return /^(?:image2|tty|.+_pipe)$/.test(container);
}

function failure(path: string, args: readonly string[], r: CommandResult): ScenecrfError {
  return inputErrorFromStderr(r.stderr, path) ?? new FfmpegError(args, r.exitCode, r.stderr.split('\n').slice(-20).join('\n'));
}

/** Probes with the wasm ffmpeg (there is no ffprobe in @ffmpeg/core): banner + a counting decode. */
export async function probeWasm(path: string, opts: WasmProbeOptions = {}): Promise<VideoInfo> {
  const countFrames = opts.countFrames ?? true;
  // "0:V" skips attached pictures (cover art). passthrough: count every decoded frame, no dup/drop.
  const args = countFrames
    ? ['-hide_banner', '-i', WASM_INPUT_TOKEN, '-map', '0:V:0', '-fps_mode', 'passthrough', '-f', 'null', '-']
    : ['-hide_banner', '-i', WASM_INPUT_TOKEN];
  const r = await runWasmFfmpeg(args, { inputPath: path, signal: opts.signal, timeoutMs: opts.timeoutMs });
  const info = parseFfmpegInputInfo(r.stderr, path); // throws Corrupt/NotFound when ffmpeg could not open it
  if (!info.video || isStillOrText(info.container)) throw notAVideo(path, info);
  const video = info.video;

  let frameCount: number;
  let frameCountExact: boolean;
  let decodedSeconds: number | null = null;
  if (countFrames) {
    if (r.exitCode !== 0) throw failure(path, args, r);
    const progress = parseFinalProgress(r.stderr);
    if (!progress || progress.frame === 0) {
      throw new CorruptInputError(path, `no video frame could be decoded (${ffmpegErrorDetail(r.stderr)})`);
    }
    frameCount = progress.frame;
    frameCountExact = true;
    decodedSeconds = progress.timeSeconds !== null && progress.timeSeconds > 0 ? progress.timeSeconds : null;
  } else {
    frameCount = 0;
    frameCountExact = false;
  }

  const durationSeconds = decodedSeconds ?? info.durationSeconds;
  let frameRate = video.frameRate;
  if (!frameRate && durationSeconds && frameCount > 0) frameRate = rateToRational((frameCount / durationSeconds).toFixed(2));
  if (!frameRate) throw new CorruptInputError(path, 'the video frame rate could not be determined');
  const fps = frameRate.num / frameRate.den;
  if (!countFrames) {
    if (!durationSeconds) throw new CorruptInputError(path, 'the duration is unknown, so frames cannot be estimated');
    frameCount = Math.max(1, Math.round(durationSeconds * fps));
  }
  const finalDuration = durationSeconds ?? frameCount / fps;

  // Frame rates disagree (avg vs. base rate), or the counted frames do not fit duration x fps.
  const ratesDisagree = video.fps !== null && video.tbr !== null && Math.abs(video.fps - video.tbr) / video.tbr > 0.01;
  const expected = finalDuration * fps;
  const countDisagrees = frameCountExact && Math.abs(frameCount - expected) > Math.max(2, expected * 0.02);

  return {
    path,
    container: info.container,
    codec: video.codec,
    width: video.width,
    height: video.height,
    pixFmt: video.pixFmt,
    bitDepth: video.bitDepth,
    frameRate,
    fps,
    frameCount,
    frameCountExact,
    durationSeconds: finalDuration,
    variableFrameRate: ratesDisagree || countDisagrees,
  };
}

/** The wasm decoder needs the geometry up front (it cannot report ffmpeg's negotiated one). */
export type WasmFrameStreamOptions = FrameStreamOptions & { height: number; bitDepth: 8 | 10 };

interface FrameLayout {
  geometry: FrameGeometry;
  frameBytes: number;
}

function frameLayout(o: WasmFrameStreamOptions): FrameLayout {
  const { width, height, bitDepth, chroma } = o;
  const issues: string[] = [];
  if (!Number.isInteger(width) || width < 2 || width > 8192) issues.push(`width must be an integer in 2..8192 (got ${width})`);
  if (!Number.isInteger(height) || height < 2 || height > 8192) issues.push(`height must be an integer in 2..8192 (got ${height})`);
  if (bitDepth !== 8 && bitDepth !== 10) issues.push(`bitDepth must be 8 or 10 (got ${String(bitDepth)})`);
  if (issues.length > 0) throw new InvalidOptionsError('frame stream options', issues.join('; '));
  const geometry: FrameGeometry = { width, height, bitDepth, chroma };
  return { geometry, frameBytes: frameByteLength(geometry) };
}

/** A tiny single-consumer queue between worker messages and the generator. */
class ChunkQueue {
  private items: Uint8Array[] = [];
  private endResult: CommandResult[] | undefined;
  private error: unknown;
  private failed = false;
  private wake: (() => void) | undefined;

  push(data: Uint8Array): void {
    this.items.push(data);
    this.notify();
  }
  end(results: CommandResult[]): void {
    this.endResult = results;
    this.notify();
  }
  fail(err: unknown): void {
    this.failed = true;
    this.error = err;
    this.items = [];
    this.notify();
  }
  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  async next(): Promise<Uint8Array | CommandResult[]> {
    for (;;) {
      if (this.failed) throw this.error;
      const item = this.items.shift();
      if (item) return item;
      if (this.endResult) return this.endResult;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

/**
 * Decodes the first video stream at analysis resolution with the wasm ffmpeg.
 *
 * Frames arrive in batches of whole frames (~4 MB); each `Frame`'s planes are views into its batch,
 * not copies, so a consumer that keeps frames keeps their batch alive (copy them to retain many).
 * Memory: the worker blocks when 4 batches are waiting, so decoding never runs far ahead of the
 * consumer; besides that the wasm ffmpeg holds its decoder state (a few frames at source resolution)
 * in its own heap. It is still the slow, last-resort path: expect a 10 minute 1080p input to take
 * several times longer than native ffmpeg, so use small analysis sizes.
 */
export async function* decodeFramesWasm(path: string, opts: WasmFrameStreamOptions): AsyncGenerator<Frame, void, undefined> {
  const layout = frameLayout(opts);
  const { signal } = opts;
  throwIfAborted(signal);
  const format = pixFmts(opts.bitDepth, opts.chroma);
  const outPath = '/frames.raw';
  const input = await prepareInput(path);
  const args = substituteInput(
    [
      '-hide_banner',
      '-i',
      WASM_INPUT_TOKEN,
      '-map',
      '0:V:0',
      '-vf',
      // Quality decodes scale the YUV picture, then take luma (see videoFilter); analysis converts
      // while it scales, which is cheaper in the slow wasm core.
      opts.scaleFlags === 'bicubic'
        ? videoFilter(`${layout.geometry.width}:${layout.geometry.height}`, opts)
        : `scale=${layout.geometry.width}:${layout.geometry.height}:flags=area,format=${format}`,
      '-fps_mode',
      'passthrough',
      '-f',
      'rawvideo',
      outPath,
    ],
    input,
  );
  const core = await loadWasmCore();
  throwIfAborted(signal);

  const control = new SharedArrayBuffer(4);
  const inFlight = new Int32Array(control);
  const queue = new ChunkQueue();
  const batchBytes = layout.frameBytes * Math.max(1, Math.floor(BATCH_TARGET_BYTES / layout.frameBytes));
  const job = startJob(core, input, [{ args, streamOutput: { path: outPath, batchBytes } }], {
    signal,
    control,
    onChunk: (data) => queue.push(data),
  });
  job.done.then(
    (results) => queue.end(results),
    (err: unknown) => queue.fail(err),
  );

  let index = 0;
  let leftover = 0;
  try {
    for (;;) {
      // Keep the process alive only while waiting for the worker: if a consumer abandons this
      // generator without return(), a worker blocked on backpressure must not hold the process open.
      job.ref();
      const item = await queue.next();
      job.unref();
      if (!(item instanceof Uint8Array)) {
        const [result] = item;
        if (result.exitCode !== 0) {
          // NotAVideo / Corrupt from the banner when possible, else from the log, else FfmpegError.
          const info = parseFfmpegInputInfo(result.stderr, path);
          if (!info.video || isStillOrText(info.container)) throw notAVideo(path, info);
          throw failure(path, args, result);
        }
        if (leftover !== 0) throw new FfmpegError(args, 0, `wasm ffmpeg wrote a partial frame (${leftover} bytes)`);
        if (index === 0) {
          const info = parseFfmpegInputInfo(result.stderr, path);
          if (!info.video || isStillOrText(info.container)) throw notAVideo(path, info);
          throw new CorruptInputError(path, `no video frame could be decoded (${ffmpegErrorDetail(result.stderr)})`);
        }
        return;
      }
      const { frameBytes, geometry } = layout;
      let off = 0;
      for (; off + frameBytes <= item.length; off += frameBytes) {
        yield frameFromBuffer(item, index++, geometry, off);
        throwIfAborted(signal);
      }
      leftover += item.length - off;
      // This batch is consumed: let the worker continue if it was waiting for room.
      Atomics.sub(inFlight, 0, 1);
      Atomics.notify(inFlight, 0);
    }
  } finally {
    job.cancel();
  }
}
