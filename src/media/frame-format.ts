/**
 * The raw frame format both decoders produce: which pixel formats ffmpeg is asked for, the decode
 * filter chain, and how a raw frame's bytes split into planes. Pure functions shared by the native
 * and the wasm backend.
 */
import type { Frame, FrameStreamOptions } from './types.js';

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
