/** Decoding with the wasm ffmpeg: frames streamed from its worker in frame-aligned batches. */
import { CorruptInputError, FfmpegError, InvalidOptionsError, throwIfAborted } from '../../errors.js';
import { ffmpegErrorDetail, parseFfmpegInputInfo } from '../ffmpeg-info.js';
import { frameByteLength, frameFromBuffer, videoFilter, type FrameGeometry } from '../frame-format.js';
import type { Frame, FrameStreamOptions } from '../types.js';
import { loadWasmCore, prepareInput, startJob, substituteInput, WASM_INPUT_TOKEN } from './core.js';
import { isStillOrText, notAVideo, wasmRunError } from './probe.js';
import type { CommandResult } from './worker.js';

/** Frame batches posted by the worker are about this large (whole frames). */
const BATCH_TARGET_BYTES = 4 * 1024 * 1024;

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
      // The native decoder's filter chain, so both backends hand the features the same samples.
      // Converting to gray while scaling (cheaper here) made swscale stretch limited-range luma to
      // full range: SI, TI and motion came out x255/219 and plans changed (issue 21, item 4).
      videoFilter(`${layout.geometry.width}:${layout.geometry.height}`, opts),
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
          throw wasmRunError(path, args, result);
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
