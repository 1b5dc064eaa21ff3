/**
 * Decoding with a native ffmpeg: raw frames through a pipe, with the output geometry ffmpeg
 * negotiated read from its banner (and the input's description with it).
 */
import { execa } from 'execa';
import { AbortError, CorruptInputError, FfmpegError } from '../../errors.js';
import { announceCommand } from '../../util/command-log.js';
import { ffmpegErrorDetail, inputErrorFromStderr, parseFfmpegInputInfo, parseFinalProgress, problemLines, withoutLevelTags } from '../ffmpeg-info.js';
import { frameByteLength, frameFromBuffer, videoFilter, type FrameGeometry } from '../frame-format.js';
import { readAhead } from '../read-ahead.js';
import type { DecodeDiagnostics, Frame, FrameStreamOptions } from '../types.js';

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

const STDERR_KEEP = 16 * 1024;

/**
 * Streams decoded frames from ffmpeg through a pipe. The pipe applies backpressure: ffmpeg blocks
 * when the consumer is slow, so memory stays at a few frames however long the input is. Breaking
 * out of the loop or aborting kills ffmpeg. `diagnostics` also receives the input description from
 * ffmpeg's banner, so callers need not run a probe.
 */
export async function* decodeFramesNative(
  input: string,
  ffmpeg: string,
  opts: FrameStreamOptions,
  diagnostics?: DecodeDiagnostics,
): AsyncGenerator<Frame> {
  if (opts.signal?.aborted) throw new AbortError(opts.signal.reason);
  const args = ffmpegDecodeArgs(`file:${input}`, opts, 'pipe:1');
  announceCommand({ file: ffmpeg, args });
  const child = execa(ffmpeg, args, {
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
  // ffmpeg blocked writing into a full pipe does not act on SIGTERM until the write returns (about
  // 5 s later execa's SIGKILL ended it): closing our end of the pipe fails that write at once.
  const onAbort = () => child.stdout?.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
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
    opts.signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      child.stdout?.destroy();
      child.kill();
      await child.catch(() => undefined);
    }
  }
}

