import { availableParallelism } from 'node:os';
import { execa } from 'execa';
import { AbortError, CorruptInputError, FfmpegError } from '../errors.js';
import { ffmpegErrorDetail, inputErrorFromStderr, parseFfmpegInputInfo, parseFinalProgress, type ParsedInputInfo } from './ffmpeg-info.js';
import { readAhead } from './read-ahead.js';
import type { FfmpegBackend, Frame, FrameStreamOptions } from './types.js';

/**
 * The size native ffmpeg picks for `scale=w='trunc(min(W,iw)/2)*2':h=-2`: at most `width` wide
 * (never upscaled), aspect kept, both even (height rounded, then down to even, as ffmpeg does).
 */
export function analysisSize(srcWidth: number, srcHeight: number, width: number): { width: number; height: number } {
  const w = Math.max(2, 2 * Math.floor(Math.min(width, srcWidth) / 2));
  const h = Math.max(2, 2 * Math.floor(Math.round((w * srcHeight) / srcWidth) / 2));
  return { width: w, height: h };
}

/** Concrete geometry of a frame stream, as decided up front or negotiated with ffmpeg. */
export interface FrameGeometry {
  width: number;
  height: number;
  bitDepth: 8 | 10;
  chroma: boolean;
}

/** The rawvideo pixel format(s) to ask ffmpeg for (a `|` list lets it choose). */
export function pixFmts(bitDepth: FrameStreamOptions['bitDepth'], chroma: boolean): string {
  const eight = chroma ? 'yuv420p' : 'gray';
  const ten = chroma ? 'yuv420p10le' : 'gray10le';
  // 'auto' lets ffmpeg's format negotiation pick the least lossy: 10-bit only for deeper input.
  return bitDepth === 'auto' ? `${eight}|${ten}` : bitDepth === 10 ? ten : eight;
}

/**
 * The decode filter chain. Analysis extracts the luma plane first: scaling gray→gray skips
 * swscale's colour conversion path (~10% faster at 1080p), and the area downscale's range
 * handling does not matter for relative features. Quality measurement (bicubic) must reproduce
 * exactly what libvmaf users feed it — the YUV picture scaled as YUV — because swscale treats a
 * lone gray plane as full range and would stretch limited-range luma on a resize.
 */
export function videoFilter(size: string, opts: Pick<FrameStreamOptions, 'bitDepth' | 'chroma' | 'scaleFlags' | 'frameRange'>): string {
  const formats = pixFmts(opts.bitDepth, opts.chroma);
  const trim = opts.frameRange ? `trim=start_frame=${opts.frameRange.startFrame}:end_frame=${opts.frameRange.endFrame},` : '';
  if (opts.scaleFlags === 'bicubic') {
    const yuv = pixFmts(opts.bitDepth, true);
    return `${trim}scale=${size}:flags=bicubic,format=pix_fmts=${yuv}${opts.chroma ? '' : `,extractplanes=y,format=pix_fmts=${formats}`}`;
  }
  return `${trim}${opts.chroma ? '' : 'extractplanes=y,'}scale=${size}:flags=area,format=pix_fmts=${formats}`;
}

/**
 * Decoder threads for a streaming analysis: more frames in flight than ffmpeg's default (cores + 1),
 * up to 8. The downscale and the pipe write run on ffmpeg's main thread, in series with handing
 * packets to the decoder; with only cores + 1 frame threads the decoder idles while they run. On
 * 2 vCPUs, 6 threads analysed the 1080p corpus video 5–7% faster (bench/RESULTS.md, issue 2).
 * Frame threading does not change the decoded pictures. Each extra thread holds one more frame.
 */
export function analysisDecoderThreads(cores = availableParallelism()): number {
  return Math.max(cores + 1, Math.min(8, 3 * cores));
}

export function ffmpegDecodeArgs(inputArg: string, opts: FrameStreamOptions, output: string): string[] {
  // Without a height, ffmpeg keeps the aspect (rounded to even) and never upscales; the stream
  // reports the size it chose in its output banner.
  const size =
    opts.height === undefined
      ? `w='trunc(min(${opts.width}\\,iw)/2)*2':h=-2`
      : `w=${opts.width}:h=${opts.height}`;
  return [
    '-hide_banner', '-nostdin', '-nostats',
    // Info level for the output banner (the negotiated geometry); "level" tags every line so
    // decoder errors can be told apart from it.
    '-loglevel', 'level+info',
    ...(opts.decoderThreads !== undefined ? ['-threads', String(opts.decoderThreads)] : []),
    '-i', inputArg,
    // "V", not "v": the first video stream that is not cover art (the one the probe describes).
    '-map', '0:V:0', '-an', '-sn', '-dn',
    // One output frame per decoded frame: no duplication or dropping for variable-rate input.
    '-vsync', 'passthrough',
    // Area averaging is the right low-pass for a large downscale. For luma-only analysis the plane
    // is extracted first: scaling gray→gray skips swscale's colour conversion path, which measured
    // ~10% faster end to end at 1080p.
    '-vf', videoFilter(size, opts),
    '-f', 'rawvideo',
    output,
  ];
}

/** Reads the geometry ffmpeg chose from the "Output #0" banner, once it has been printed. */
export function parseOutputGeometry(stderr: string, chroma: boolean): FrameGeometry | undefined {
  const out = stderr.indexOf('Output #0');
  if (out < 0) return undefined;
  const m = /Video: rawvideo[^\n]*?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)/.exec(stderr.slice(out));
  if (!m) return undefined;
  return { width: Number(m[2]), height: Number(m[3]), bitDepth: /10le$/.test(m[1]!) ? 10 : 8, chroma };
}

/** ffmpeg's log without the "[info] " style tags that `-loglevel level+…` adds. */
export function withoutLevelTags(stderr: string): string {
  return stderr.replace(/\[(?:quiet|panic|fatal|error|warning|info|verbose|debug|trace)\] ?/g, '');
}

/** The decoder's complaints: stderr lines at error level or worse, without their level tag. */
export function problemLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .filter((l) => /\[(?:error|fatal|panic)\]/.test(l))
    .map((l) => l.replace(/\[(?:error|fatal|panic)\] ?/, '').trim());
}

function chromaSamples(g: FrameGeometry): number {
  return g.chroma ? Math.ceil(g.width / 2) * Math.ceil(g.height / 2) : 0;
}

export function frameByteLength(g: FrameGeometry): number {
  return (g.width * g.height + 2 * chromaSamples(g)) * (g.bitDepth === 10 ? 2 : 1);
}

/**
 * Splits the raw frame at `offset` in `buf` into typed planes without copying (16-bit planes are
 * little-endian, as ffmpeg writes gray10le / yuv420p10le). A 16-bit plane at an odd address is
 * copied, since typed arrays need aligned views.
 */
export function frameFromBuffer(buf: Uint8Array, index: number, g: FrameGeometry, offset = 0): Frame {
  const bytesPerSample = g.bitDepth === 10 ? 2 : 1;
  const plane = (byteStart: number, samples: number): Uint8Array | Uint16Array => {
    if (bytesPerSample === 1) return buf.subarray(byteStart, byteStart + samples);
    const absolute = buf.byteOffset + byteStart;
    if (absolute % 2 === 0) return new Uint16Array(buf.buffer, absolute, samples);
    return new Uint16Array(buf.slice(byteStart, byteStart + samples * 2).buffer);
  };
  const n = g.width * g.height;
  const c = chromaSamples(g);
  const frame: Frame = { index, width: g.width, height: g.height, bitDepth: g.bitDepth, luma: plane(offset, n) };
  if (c > 0) {
    frame.u = plane(offset + n * bytesPerSample, c);
    frame.v = plane(offset + (n + c) * bytesPerSample, c);
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
  /**
   * Receives decoder error lines that did not stop decoding (damaged but readable input) and, for
   * native ffmpeg, the input description from its banner (so callers need not run a probe).
   */
  diagnostics?: { warnings: string[]; input?: ParsedInputInfo; endTimeSeconds?: number },
): AsyncGenerator<Frame> {
  if (backend.kind === 'wasm') {
    const { decodeFramesWasm, probeWasm } = await import('./wasm.js');
    let { width, height, bitDepth } = opts;
    if (height === undefined || bitDepth === 'auto') {
      // The wasm decoder cannot report a negotiated geometry: decide it from a probe.
      const info = await probeWasm(input, { signal: opts.signal, countFrames: false });
      if (height === undefined) ({ width, height } = analysisSize(info.width, info.height, opts.width));
      if (bitDepth === 'auto') bitDepth = info.bitDepth > 8 ? 10 : 8;
    }
    yield* decodeFramesWasm(input, { ...opts, width, height, bitDepth });
    return;
  }
  if (opts.signal?.aborted) throw new AbortError(opts.signal.reason);
  const args = ffmpegDecodeArgs(`file:${input}`, opts, 'pipe:1');
  const child = execa(backend.path, args, {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cancelSignal: opts.signal,
    encoding: 'buffer',
  });
  // The head holds the banners (geometry); the tail holds the latest complaints.
  let head = '';
  let tail = '';
  let geometry: FrameGeometry | undefined;
  let gotGeometry: (() => void) | undefined;
  const geometryKnown = new Promise<void>((resolve) => (gotGeometry = resolve));
  child.stderr?.on('data', (d: Buffer) => {
    const text = d.toString('utf8');
    if (head.length < STDERR_KEEP) head += text;
    tail = (tail + text).slice(-STDERR_KEEP);
    if (!geometry) {
      geometry = parseOutputGeometry(head, opts.chroma);
      if (geometry) {
        if (diagnostics) {
          try {
            diagnostics.input = parseFfmpegInputInfo(withoutLevelTags(head), input);
          } catch {
            // No usable banner: the caller falls back to a probe.
          }
        }
        gotGeometry?.();
      }
    }
  });
  child.stderr?.once('close', () => gotGeometry?.());
  const stderrText = () => problemLines(head.length < STDERR_KEEP ? head : `${head}\n${tail}`).join('\n');
  let frameBytes = 0;
  let buf = new Uint8Array(0);
  let filled = 0;
  let index = 0;
  let finished = false;
  try {
    // Up to 4 MiB read ahead keeps ffmpeg and the feature code overlapping.
    for await (const chunk of readAhead(child.stdout!, 4 << 20)) {
      if (!frameBytes) {
        // stdout and stderr are separate pipes: the banner may arrive just after the first bytes.
        await geometryKnown;
        if (!geometry) throw new FfmpegError(args, undefined, 'ffmpeg wrote frames but no output stream description');
        frameBytes = frameByteLength(geometry);
        buf = new Uint8Array(frameBytes);
      }
      let off = 0;
      while (off < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - off);
        buf.set(chunk.subarray(off, off + take), filled);
        filled += take;
        off += take;
        if (filled === frameBytes) {
          const frame = frameFromBuffer(buf, index++, geometry!);
          // A fresh buffer per frame, never a view into a pipe chunk: consumers may keep the previous
          // frame (temporal features) or transfer its buffer to a worker (builtin VMAF), which would
          // detach a shared chunk under the rest of the stream.
          buf = new Uint8Array(frameBytes);
          filled = 0;
          yield frame;
        }
      }
    }
    const result = await child;
    finished = true;
    if (result.isCanceled || opts.signal?.aborted) throw new AbortError(opts.signal?.reason);
    const problems = stderrText();
    if (result.exitCode !== 0) {
      const typed = inputErrorFromStderr(problems, input);
      if (typed) throw typed;
      if (index === 0) throw new CorruptInputError(input, ffmpegErrorDetail(problems));
      throw new FfmpegError(args, result.exitCode, problems);
    }
    if (index === 0) throw new CorruptInputError(input, ffmpegErrorDetail(problems) || 'no frame could be decoded');
    if (filled !== 0) throw new CorruptInputError(input, `decoder output ended inside a frame (${filled} of ${frameBytes} bytes)`);
    if (diagnostics) {
      diagnostics.warnings.push(...problems.split('\n').filter(Boolean).slice(-20));
      // ffmpeg's final report: how far into the stream (seconds) the decoded frames reach.
      const final = parseFinalProgress(withoutLevelTags(tail));
      if (final?.timeSeconds != null) diagnostics.endTimeSeconds = final.timeSeconds;
    }
  } finally {
    if (!finished) {
      child.kill();
      await child.catch(() => undefined);
    }
  }
}

