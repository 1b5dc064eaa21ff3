import { z } from 'zod';
import { AbortError, CorruptInputError, describeIssues, InvalidOptionsError, NotAVideoError, throwIfAborted } from '../errors.js';
import { ffmpegErrorDetail, nonVideoFormat, type ParsedInputInfo } from '../media/ffmpeg-info.js';
import { analysisDecoderThreads, analysisSize, decodeFrames } from '../media/frames.js';
import { assertReadableFile, probeVideo, videoInfoFromBanner } from '../media/probe.js';
import { resolveFfmpeg } from '../media/resolve.js';
import type { FfmpegBackend, FrameStreamOptions, VideoInfo } from '../media/types.js';
import { summarizeScene, type SceneComplexity } from './complexity.js';
import { detectShots, detectorOptionsSchema, type ShotBoundary } from './detect.js';
import { computeFrameFeatures, type FrameFeatures, type FrameSignature, type FrameState } from './features.js';
import { buildScenes, type SceneStart } from './scenes.js';

export const analyzeOptionsSchema = z
  .object({
    /** Explicit ffmpeg executable (first in the resolution order). */
    ffmpegPath: z.string().min(1).optional(),
    /** 'auto' = option → FFMPEG_PATH → ffmpeg-static → PATH → wasm; 'native' never uses wasm. */
    backend: z.enum(['auto', 'native', 'wasm']).default('auto'),
    /** Width frames are scaled to for analysis (aspect kept, never upscaled). */
    analysisWidth: z.number().int().min(64).max(3840).default(256),
    /** Scenes shorter than this many frames merge into a neighbour. */
    minSceneLength: z.number().int().min(1).default(24),
    /** Scenes longer than this many frames are split at their quietest frame. */
    maxSceneLength: z.number().int().min(2).optional(),
    /** ffmpeg decoder threads (native backend). Default `analysisDecoderThreads()`: more frames in
     *  flight than ffmpeg's own cores + 1, which measured 5–7% faster analysis on 2 vCPUs. */
    decoderThreads: z.number().int().min(1).max(64).optional(),
    /** Keep 10-bit precision for high bit depth input (else decoded as 8-bit). */
    highBitDepth: z.boolean().default(true),
    /** Return per-frame features too (memory: ~100 bytes per frame). */
    keepFrameFeatures: z.boolean().default(false),
    detector: detectorOptionsSchema.partial().default({}),
  })
  .strict()
  .refine((o) => o.maxSceneLength === undefined || o.maxSceneLength >= 2 * o.minSceneLength, {
    message: 'maxSceneLength must be at least twice minSceneLength',
    path: ['maxSceneLength'],
  });

export type AnalyzeOptions = z.input<typeof analyzeOptionsSchema>;

export interface AnalyzeProgress {
  stage: 'probe' | 'analyze' | 'detect';
  frame: number;
  totalFrames: number;
  /** Frames analysed per second so far. */
  fps: number;
  elapsedSeconds: number;
  etaSeconds: number | undefined;
}

export interface AnalyzeControl {
  signal?: AbortSignal;
  onProgress?: (p: AnalyzeProgress) => void;
}

export interface Scene {
  index: number;
  startFrame: number;
  /** Exclusive. */
  endFrame: number;
  frameCount: number;
  /** Seconds, from the constant-rate frame index (frame / fps). */
  startTime: number;
  endTime: number;
  startKind: SceneStart;
  transition?: { startFrame: number; endFrame: number };
  complexity: SceneComplexity;
}

export interface AnalysisResult {
  video: VideoInfo;
  backend: Pick<FfmpegBackend, 'source' | 'kind' | 'path' | 'version'>;
  analysis: {
    width: number;
    height: number;
    bitDepth: 8 | 10;
    framesAnalyzed: number;
    elapsedSeconds: number;
    fps: number;
  };
  scenes: Scene[];
  /** Every detected shot boundary, before the scene length limits were applied. */
  shotBoundaries: ShotBoundary[];
  /** Decoder complaints that did not stop decoding (damaged but readable input). */
  warnings: string[];
  frames?: FrameFeatures[];
}

/**
 * How many frames the container says the video has, and how far short of that the decoded count
 * may fall before the input counts as truncated. A stated frame count (mp4/mov header) or counted
 * packets are exact. Containers without one (Matroska, WebM, MPEG-TS) state a duration instead;
 * duration x nominal rate is looser, because the nominal rate of a variable-rate stream that is not
 * flagged as such can be off by a few percent, and it is not used at all for flagged VFR input.
 */
/**
 * Why the decode looks truncated, or undefined. With a frame count in the container (mp4, mov) the
 * decoded count must match it; otherwise the time the decoder reached is compared with the stated
 * duration — counts say nothing for variable frame rate, where the stated fps is only nominal.
 */
function truncation(video: VideoInfo, decoded: number, reachedSeconds: number | undefined): string | undefined {
  const exact = video.declaredFrameCount ?? (video.frameCountExact ? video.frameCount : undefined);
  if (exact !== undefined) {
    return decoded < exact - Math.max(2, Math.round(0.01 * exact)) ? `only ${decoded} of ${exact} frames decodable` : undefined;
  }
  const stated = video.declaredDurationSeconds;
  const reached = reachedSeconds ?? (video.variableFrameRate ? undefined : decoded / video.fps);
  if (stated === undefined || reached === undefined) return undefined;
  return reached < stated - Math.max(2 / video.fps, 0.05 * stated)
    ? `only ${decoded} frames (${reached.toFixed(2)} s) decodable of ${stated.toFixed(2)} s stated by the container`
    : undefined;
}

/** The banner's description, or undefined when it lacks what a VideoInfo needs. */
function bannerInfo(info: ParsedInputInfo, input: string): VideoInfo | undefined {
  try {
    return videoInfoFromBanner(info, input);
  } catch {
    return undefined;
  }
}

/**
 * Analyses a video: decodes it once at analysis resolution, computes per-frame features, detects
 * shots, and summarises each scene's complexity.
 */
export async function analyzeVideo(input: string, options: AnalyzeOptions = {}, control: AnalyzeControl = {}): Promise<AnalysisResult> {
  const parsed = analyzeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidOptionsError('analyzeVideo options', describeIssues(parsed.error.issues, '(root)'));
  }
  const o = parsed.data;
  const { signal, onProgress } = control;
  throwIfAborted(signal);
  const started = performance.now();
  const backend = await resolveFfmpeg({ ffmpegPath: o.ffmpegPath, backend: o.backend });
  throwIfAborted(signal);
  let video: VideoInfo | undefined;
  let streamOptions: FrameStreamOptions = { width: o.analysisWidth, bitDepth: o.highBitDepth ? 'auto' : 8, chroma: false, decoderThreads: o.decoderThreads ?? analysisDecoderThreads(), signal };
  if (backend.kind === 'wasm') {
    // The wasm decoder cannot negotiate: decide the geometry from a probe first.
    video = await probeVideo(input, backend, signal);
    const size = analysisSize(video.width, video.height, o.analysisWidth);
    streamOptions = { ...streamOptions, ...size, bitDepth: o.highBitDepth && video.bitDepth > 8 ? 10 : 8 };
  } else {
    // Native ffmpeg describes the input in its own banner and negotiates the output geometry, so
    // no probe process runs up front (each ffmpeg/ffprobe start costs ~0.2 s of CPU that the
    // decoder would otherwise have). The cheap path checks still come first.
    await assertReadableFile(input);
  }

  const features: FrameFeatures[] = [];
  const signatures: FrameSignature[] = [];
  const diagnostics: { warnings: string[]; input?: ParsedInputInfo; endTimeSeconds?: number } = { warnings: [] };
  let geometry: { width: number; height: number; bitDepth: 8 | 10 } | undefined;
  // Native: the decoder's banner description, read once when the first frame arrives.
  let banner: VideoInfo | undefined;
  let prev: FrameState | undefined;
  let lastReport = 0;
  const report = (stage: AnalyzeProgress['stage'], frame: number) => {
    if (!onProgress) return;
    const total = video?.frameCount ?? banner?.frameCount ?? 0;
    const elapsed = (performance.now() - started) / 1000;
    const fps = elapsed > 0 ? frame / elapsed : 0;
    onProgress({ stage, frame, totalFrames: total, fps, elapsedSeconds: elapsed, etaSeconds: fps > 0 && total ? Math.max(0, (total - frame) / fps) : undefined });
  };
  report('probe', 0);
  try {
    for await (const frame of decodeFrames(input, backend, streamOptions, diagnostics)) {
      if (!geometry) {
        geometry = { width: frame.width, height: frame.height, bitDepth: frame.bitDepth };
        if (!video && diagnostics.input) banner = bannerInfo(diagnostics.input, input);
      }
      const r = computeFrameFeatures(frame.index, frame.luma, frame.width, frame.height, frame.bitDepth, prev);
      features.push(r.features);
      // The detector needs only the signature; drop the pixel data of all but the previous frame.
      signatures.push(r.state.signature);
      prev = r.state;
      const now = performance.now();
      if (now - lastReport > 200) {
        lastReport = now;
        report('analyze', features.length);
      }
    }
  } catch (e) {
    if (e instanceof AbortError || signal?.aborted) throw e;
    // The probe names the problem best (not a video, unreadable, truncated header…).
    throw (await probeVideo(input, backend, signal).then(() => undefined, (probeError: unknown) => probeError)) ?? e;
  }
  throwIfAborted(signal);
  const decoded = features.length;
  if (!video) {
    const described = banner ?? (diagnostics.input ? bannerInfo(diagnostics.input, input) : undefined);
    // Still images and text-mode art decode as "video"; they are not videos to analyse.
    const notVideo = described && nonVideoFormat(described.container);
    if (notVideo) throw new NotAVideoError(input, notVideo);
    // Only a decode that looks damaged or short against the stated duration needs the container's
    // exact frame count (ffprobe) to tell truncation from, say, audio that outlasts the video.
    const reached = described ? (diagnostics.endTimeSeconds ?? decoded / described.fps) : 0;
    const suspicious =
      !described || diagnostics.warnings.length > 0 || reached < described.durationSeconds - Math.max(2 / described.fps, 0.01 * described.durationSeconds);
    video = suspicious ? await probeVideo(input, backend, signal) : described;
  }
  const truncated = truncation(video, decoded, diagnostics.endTimeSeconds);
  if (truncated) {
    throw new CorruptInputError(
      input,
      `truncated or damaged: ${truncated}${diagnostics.warnings.length ? `; decoder said: ${ffmpegErrorDetail(diagnostics.warnings.join('\n'))}` : ''}`,
    );
  }
  // Frames whose timestamps span more or less time than count / fps: the rate varies (containers
  // such as Matroska state only a nominal rate, so the header alone cannot tell).
  const end = diagnostics.endTimeSeconds;
  if (end !== undefined && Math.abs(end - decoded / video.fps) > Math.max(2 / video.fps, 0.01 * end)) {
    video = { ...video, variableFrameRate: true };
  }
  report('detect', decoded);
  const fps = video.fps;
  const boundaries = detectShots(signatures, features, fps, o.detector);
  const ranges = buildScenes(boundaries, features, decoded, { minSceneLength: o.minSceneLength, maxSceneLength: o.maxSceneLength });
  const scenes: Scene[] = ranges.map((r, index) => ({
    index,
    startFrame: r.startFrame,
    endFrame: r.endFrame,
    frameCount: r.endFrame - r.startFrame,
    startTime: r.startFrame / fps,
    endTime: r.endFrame / fps,
    startKind: r.startKind,
    ...(r.transition ? { transition: r.transition } : {}),
    complexity: summarizeScene(features, r.startFrame, r.endFrame),
  }));
  const elapsedSeconds = (performance.now() - started) / 1000;
  report('detect', decoded);
  return {
    video: { ...video, frameCount: decoded, frameCountExact: true },
    backend: { source: backend.source, kind: backend.kind, path: backend.path, version: backend.version },
    analysis: { ...geometry!, framesAnalyzed: decoded, elapsedSeconds, fps: decoded / elapsedSeconds },
    scenes,
    shotBoundaries: boundaries,
    warnings: diagnostics.warnings,
    ...(o.keepFrameFeatures ? { frames: features } : {}),
  };
}
