import { execa } from 'execa';
import { AbortError, CorruptInputError, FfmpegError } from '../errors.js';
import { ffmpegErrorDetail, inputErrorFromStderr } from './ffmpeg-info.js';
import { readAhead } from './read-ahead.js';
import type { FfmpegBackend, Frame, FrameStreamOptions } from './types.js';

/** Even dimensions that keep the display aspect, fitting `width` wide (never upscaling). */
export function analysisSize(srcWidth: number, srcHeight: number, width: number): { width: number; height: number } {
  const w = Math.min(width, srcWidth);
  const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));
  return { width: even(w), height: even((w * srcHeight) / srcWidth) };
}

export function ffmpegDecodeArgs(inputArg: string, opts: FrameStreamOptions, output: string): string[] {
  const pixFmt = opts.chroma ? (opts.bitDepth === 10 ? 'yuv420p10le' : 'yuv420p') : opts.bitDepth === 10 ? 'gray10le' : 'gray';
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-i', inputArg,
    // "V", not "v": the first video stream that is not cover art (the one the probe describes).
    '-map', '0:V:0', '-an', '-sn', '-dn',
    // One output frame per decoded frame: no duplication or dropping for variable-rate input.
    '-vsync', 'passthrough',
    // Area averaging is the right low-pass for a large downscale and is cheap in swscale.
    '-vf', `scale=${opts.width}:${opts.height}:flags=area,format=${pixFmt}`,
    '-f', 'rawvideo', '-pix_fmt', pixFmt,
    output,
  ];
}

export function frameByteLength(opts: Pick<FrameStreamOptions, 'width' | 'height' | 'bitDepth' | 'chroma'>): number {
  const bytesPerSample = opts.bitDepth === 10 ? 2 : 1;
  const luma = opts.width * opts.height;
  const chroma = opts.chroma ? 2 * (opts.width / 2) * (opts.height / 2) : 0;
  return (luma + chroma) * bytesPerSample;
}

/** Splits one raw frame buffer into typed planes without copying. */
export function frameFromBuffer(buf: Uint8Array, index: number, opts: FrameStreamOptions): Frame {
  const { width, height, bitDepth, chroma } = opts;
  const n = width * height;
  const c = (width / 2) * (height / 2);
  const plane = (offset: number, count: number) =>
    bitDepth === 10 ? new Uint16Array(buf.buffer, buf.byteOffset + offset * 2, count) : new Uint8Array(buf.buffer, buf.byteOffset + offset, count);
  const frame: Frame = { index, width, height, bitDepth, luma: plane(0, n) };
  if (chroma) {
    frame.u = plane(n, c);
    frame.v = plane(n + c, c);
  }
  return frame;
}

const STDERR_KEEP = 16 * 1024;

/**
 * Streams decoded frames from ffmpeg through a pipe. The pipe applies backpressure: ffmpeg blocks
 * when the consumer is slow, so memory stays at a few frames however long the input is. Breaking
 * out of the loop or aborting kills ffmpeg.
 */
export async function* decodeFrames(
  input: string,
  backend: FfmpegBackend,
  opts: FrameStreamOptions,
  /** Receives decoder error lines that did not stop decoding (damaged but readable input). */
  diagnostics?: { warnings: string[] },
): AsyncGenerator<Frame> {
  if (backend.kind === 'wasm') {
    const { decodeFramesWasm } = await import('./wasm.js');
    yield* decodeFramesWasm(input, opts);
    return;
  }
  if (opts.signal?.aborted) throw new AbortError(opts.signal.reason);
  const args = ffmpegDecodeArgs(`file:${input}`, opts, 'pipe:1');
  const child = execa(backend.path, args, {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cancelSignal: opts.signal,
    // Node's default 64 KiB pipe chunks: large enough, and bounded.
    encoding: 'buffer',
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
  });
  const frameBytes = frameByteLength(opts);
  let buf = new Uint8Array(frameBytes);
  let filled = 0;
  let index = 0;
  let finished = false;
  try {
    // Up to ~16 frames (at least 4 MiB) in flight keeps ffmpeg and the feature code overlapping.
    for await (const chunk of readAhead(child.stdout!, Math.max(4 << 20, 16 * frameBytes))) {
      let off = 0;
      while (off < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - off);
        buf.set(chunk.subarray(off, off + take), filled);
        filled += take;
        off += take;
        if (filled === frameBytes) {
          const frame = frameFromBuffer(buf, index++, opts);
          // A fresh buffer per frame: consumers may keep the previous frame (temporal features).
          buf = new Uint8Array(frameBytes);
          filled = 0;
          yield frame;
        }
      }
    }
    const result = await child;
    finished = true;
    if (result.isCanceled || opts.signal?.aborted) throw new AbortError(opts.signal?.reason);
    if (result.exitCode !== 0) {
      const typed = inputErrorFromStderr(stderr, input);
      if (typed) throw typed;
      if (index === 0) throw new CorruptInputError(input, ffmpegErrorDetail(stderr));
      throw new FfmpegError(args, result.exitCode, stderr);
    }
    if (index === 0) throw new CorruptInputError(input, ffmpegErrorDetail(stderr) || 'no frame could be decoded');
    if (filled !== 0) throw new CorruptInputError(input, `decoder output ended inside a frame (${filled} of ${frameBytes} bytes)`);
    if (diagnostics) diagnostics.warnings.push(...stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-20));
  } finally {
    if (!finished) {
      child.kill();
      await child.catch(() => undefined);
    }
  }
}

