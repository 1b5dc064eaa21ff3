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
import { AbortError, EmptyInputError, FfmpegError, FfmpegNotFoundError, InputNotFoundError, InvalidOptionsError, throwIfAborted } from '../../errors.js';
import { WORKER_SOURCE, type CommandResult, type WorkerCommand, type WorkerInput, type WorkerJob, type WorkerMessage } from './worker.js';
import { onceUntilFailure } from '../../util/once.js';
import { announceCommand } from '../../util/command-log.js';

/** Placeholder in `runWasmFfmpeg` args that is replaced by the input's path inside the wasm FS. */
export const WASM_INPUT_TOKEN = '{input}';

const INPUT_DIR = '/input';
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

/**
 * Resolves and compiles @ffmpeg/core, once per process (later calls share the result; a failure is
 * not cached). Nothing is loaded until this is called. The module instance itself is created per job,
 * inside that job's worker.
 */
export const loadWasmCore: () => Promise<WasmCore> = onceUntilFailure(() => compileCore());

export function errorMessage(err: unknown): string {
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
      `the WebAssembly fallback needs the "@ffmpeg/core" package, which could not be resolved (${errorMessage(err)}); ` +
        'install a native ffmpeg (recommended) or run "npm install @ffmpeg/core@0.12.10"',
    );
  }
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new FfmpegNotFoundError('this JavaScript runtime has no WebAssembly support');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(wasmPath);
  } catch (err) {
    throw new FfmpegNotFoundError(`could not read ${wasmPath} from @ffmpeg/core (${errorMessage(err)})`);
  }
  try {
    return { corePath, wasmPath, module: await api.compile(bytes) };
  } catch (err) {
    throw new FfmpegNotFoundError(`could not compile ${wasmPath} from @ffmpeg/core (${errorMessage(err)})`);
  }
}

export interface JobHooks {
  signal?: AbortSignal;
  timeoutMs?: number;
  onChunk?: (data: Uint8Array) => void;
  control?: SharedArrayBuffer;
}

export interface RunningJob {
  done: Promise<CommandResult[]>;
  /** Keep the process alive for this worker (while someone awaits it) or not. */
  ref(): void;
  unref(): void;
  /** Stops the worker; `done` rejects with AbortError if it had not settled. */
  cancel(): void;
}

export function startJob(core: WasmCore, input: WorkerInput | undefined, commands: WorkerCommand[], hooks: JobHooks): RunningJob {
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
  // In-process, but a command all the same (--verbose): named so it cannot be taken for a native run.
  for (const c of commands) announceCommand({ file: 'ffmpeg.wasm', args: c.args });
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

export async function prepareInput(path: string): Promise<WorkerInput> {
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

export function substituteInput(args: readonly string[], input: WorkerInput | undefined): string[] {
  const needs = args.some((a) => a.includes(WASM_INPUT_TOKEN));
  if (needs && !input) throw new InvalidOptionsError('wasm ffmpeg arguments', `${WASM_INPUT_TOKEN} is used but no inputPath was given`);
  if (!input) return [...args];
  const inWasm = `${input.dir}/${input.name}`;
  return args.map((a) => a.split(WASM_INPUT_TOKEN).join(inWasm));
}

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

