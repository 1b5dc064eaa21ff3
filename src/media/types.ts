import type { ParsedInputInfo } from './ffmpeg-info.js';

/** How ffmpeg was found. Order of preference is the order of this union. */
export type FfmpegSource = 'option' | 'env' | 'ffmpeg-static' | 'path' | 'wasm';

export interface FfmpegCapabilities {
  /** Encoder names as listed by `ffmpeg -encoders` (e.g. libsvtav1, libvpx-vp9). */
  encoders: ReadonlySet<string>;
  /** Filter names as listed by `ffmpeg -filters` (e.g. libvmaf, scdet, siti). */
  filters: ReadonlySet<string>;
}

export interface FfmpegBackend {
  source: FfmpegSource;
  /** 'native' runs a child process; 'wasm' runs @ffmpeg/core in this process. */
  kind: 'native' | 'wasm';
  /** Executable path for native backends; the core module path for wasm. */
  path: string;
  /** ffprobe next to the ffmpeg binary or on PATH, when one exists (native only). */
  ffprobePath?: string;
  /** First line of `ffmpeg -version`. */
  version: string;
  capabilities: FfmpegCapabilities;
}

export interface VideoInfo {
  path: string;
  container: string;
  codec: string;
  /** Size as displayed and as ffmpeg decodes it: a stream with a quarter-turn `rotation` is stored
   * with width and height the other way round. */
  width: number;
  height: number;
  /** Display rotation in degrees ((-180, 180], ffmpeg's display matrix convention) when the stream
   * has one (a phone's `rotate` tag); ffmpeg turns the frames upright when decoding. Absent: none. */
  rotation?: number;
  pixFmt: string;
  bitDepth: number;
  /** Average frame rate as a rational and as a number. */
  frameRate: { num: number; den: number };
  fps: number;
  /** Exact when counted (ffprobe -count_packets or decode); else estimated from duration. */
  frameCount: number;
  frameCountExact: boolean;
  /** Frame count written in the container header, when it has one; a larger value than the
   * decodable frames means the file was truncated. */
  declaredFrameCount?: number;
  /** Length of the video stream as the container states it (stream duration, Matroska DURATION
   * tag, or the file duration when nothing else can outlast the video). Lets the analysis detect
   * truncated files in containers that store no frame count. */
  declaredDurationSeconds?: number;
  durationSeconds: number;
  /** True when r_frame_rate and avg_frame_rate disagree or timestamps are irregular. */
  variableFrameRate: boolean;
  /**
   * Sample (pixel) aspect ratio, reduced, when the stream declares non-square pixels (anamorphic
   * video: 704x576 at 16:11 is shown 16:9). Absent means square pixels (1:1), so outputs and files
   * of square-pixel video are the same as before the field existed.
   */
  sampleAspectRatio?: { num: number; den: number };
}

/** One decoded frame at analysis resolution. `luma` is 8-bit or 16-bit (10-bit input) samples. */
export interface Frame {
  index: number;
  width: number;
  height: number;
  bitDepth: 8 | 10;
  luma: Uint8Array | Uint16Array;
  /** Present when chroma was requested: quarter-area planes (4:2:0 at analysis resolution). */
  u?: Uint8Array | Uint16Array;
  v?: Uint8Array | Uint16Array;
}

export interface FrameStreamOptions {
  /** Analysis width. Without `height`: a maximum (never upscaled), rounded down to even. */
  width: number;
  /** Omit to keep the aspect ratio (native ffmpeg computes it, rounded to even). */
  height?: number;
  /** 8 or 10 bits per sample, or 'auto': 10 for deeper input, else 8 (native ffmpeg only). */
  bitDepth: 8 | 10 | 'auto';
  chroma: boolean;
  /** swscale algorithm when the size changes: 'area' (default; the right low-pass for analysis
   * downscales) or 'bicubic' (what VMAF users upscale a smaller distorted video with). */
  scaleFlags?: 'area' | 'bicubic';
  /** Only frames [startFrame, endFrame) of the input, counted from its first decoded frame
   * (decoded from the start and dropped before the range, so it is frame-exact for any input). */
  frameRange?: { startFrame: number; endFrame: number };
  /** Decoder threads (native ffmpeg; default: ffmpeg's own choice). See `analysisDecoderThreads`. */
  decoderThreads?: number;
  signal?: AbortSignal;
}

/** What a decode reports besides frames; the caller passes the object and reads it afterwards. */
export interface DecodeDiagnostics {
  /** Decoder error lines that did not stop decoding (damaged but readable input). */
  warnings: string[];
  /** The input as the decoder's own banner describes it (native ffmpeg), so no probe need run. */
  input?: ParsedInputInfo;
  /** How far into the stream (seconds) the decoded frames reach, from the decoder's final report. */
  endTimeSeconds?: number;
}

/** Frame options with the geometry the decode will have, and the probe that decided it, if any. */
export interface SettledDecode {
  options: FrameStreamOptions;
  /** The backend had to probe the input to settle the geometry: these are its facts (unchecked). */
  probed?: VideoInfo;
}

/**
 * What each ffmpeg backend (native, wasm) does for the rest of the package. Get one for a resolved
 * `FfmpegBackend` with `mediaBackend()` (media/resolve.ts); callers use `probeVideo`,
 * `decodeFrames` and `readVideo`, which add the input checks.
 */
export interface MediaBackend {
  /** Facts of the input's first video stream. No file checks (probeVideo makes them first). */
  probe(path: string, signal?: AbortSignal): Promise<VideoInfo>;
  /**
   * Fills in an open geometry (no `height`, bitDepth 'auto'). A decoder that negotiates it with
   * ffmpeg (native) leaves the options as they are; one that cannot (wasm) probes the input here.
   */
  settleGeometry(path: string, opts: FrameStreamOptions): Promise<SettledDecode>;
  /** Decodes the first video stream; `opts` as settled by `settleGeometry`. */
  decodeFrames(path: string, opts: FrameStreamOptions, diagnostics?: DecodeDiagnostics): AsyncGenerator<Frame>;
}
