import os from 'node:os';
import { z } from 'zod';
import { describeIssues, InvalidOptionsError, UnsupportedError } from '../errors.js';
import { assertSameOrientation } from '../media/input-checks.js';
import { probeVideo } from '../media/probe.js';
import { resolveFfmpeg } from '../media/resolve.js';
import type { FfmpegBackend } from '../media/types.js';
import { computeBuiltinFeatures } from './builtin-vmaf.js';
import { hasLibvmaf, PSNR_POOL_CAP_DB, runFfmpegMetrics, type FfmpegMetric } from './ffmpeg-metrics.js';
import { poolScenes, poolScores, type PooledScore, type SceneSpan } from './pooling.js';
import { QUALITY_FORMAT, QUALITY_VERSION, type qualityOutputSchema } from './report-schema.js';
import { resolveVmafModel } from './vmaf-model.js';

export type QualityMetric = 'vmaf' | 'psnr' | 'ssim' | 'xpsnr';

export const measureQualityOptionsSchema = z
  .object({
    /** What to score: VMAF (default), or luma PSNR / SSIM / XPSNR through ffmpeg's filters. */
    metric: z.enum(['vmaf', 'psnr', 'ssim', 'xpsnr']).default('vmaf'),
    /** 'auto' (default) uses libvmaf when the resolved ffmpeg has it, else the builtin VMAF. */
    vmafBackend: z.enum(['auto', 'builtin', 'libvmaf']).default('auto'),
    /**
     * VMAF model. Builtin: a libvmaf model JSON path (e.g. vmaf_v0.6.1.json) or a scenecrf fusion
     * model path; default scenecrf's shipped fusion model. libvmaf: a built-in version name
     * (default vmaf_v0.6.1) or a model file path.
     */
    model: z.string().min(1).optional(),
    /** Scene ranges (end exclusive) to pool separately, e.g. analyzeVideo's scenes. */
    scenes: z
      .array(z.object({ startFrame: z.number().int().min(0), endFrame: z.number().int().min(1) }))
      .refine((s) => s.every((x) => x.endFrame > x.startFrame), 'every scene needs endFrame > startFrame')
      .optional(),
    /**
     * Compare the distorted video with these reference frames only (end exclusive), e.g. a probe
     * encode of one scene against the full source. Builtin VMAF only.
     */
    referenceFrames: z
      .object({ startFrame: z.number().int().min(0), endFrame: z.number().int().min(1) })
      .refine((r) => r.endFrame > r.startFrame, 'endFrame must be greater than startFrame')
      .optional(),
    /** Score every n-th frame only (cheap probing). */
    subsample: z.number().int().min(1).default(1),
    /** Threads for the builtin VMAF / libvmaf (default: all cores). */
    threads: z.number().int().min(1).max(256).optional(),
    /** Explicit ffmpeg executable (else FFMPEG_PATH, ffmpeg-static, PATH). */
    ffmpegPath: z.string().min(1).optional(),
  })
  .strict();

export type MeasureQualityOptions = z.input<typeof measureQualityOptionsSchema> & {
  signal?: AbortSignal;
  onProgress?: (p: QualityProgress) => void;
};

export interface QualityProgress {
  /** Frames scored so far. */
  frame: number;
  /** Frames to score, as known up front: counted, declared by the container or estimated from its
   * duration (so `frame` may end slightly above or below it); undefined only when nothing tells. */
  totalFrames?: number;
  fps: number;
}

export interface QualityFrame {
  index: number;
  /** VMAF, luma PSNR (dB, capped at 100 for identical frames), luma SSIM or luma XPSNR. */
  score: number;
  /** The inputs or side values of the score (VMAF features; the filter's per-plane values). */
  features: Record<string, number>;
}

export interface QualityReport {
  /** What this JSON is and its schema version (schemas/quality.schema.json). */
  format: typeof QUALITY_FORMAT;
  version: typeof QUALITY_VERSION;
  reference: string;
  distorted: string;
  metric: QualityMetric;
  /** What produced the scores. */
  backend: 'builtin' | 'ffmpeg-libvmaf' | 'ffmpeg-filters';
  /** Why that backend, when a choice was made (e.g. no libvmaf filter in this ffmpeg). */
  backendNote?: string;
  /** VMAF model name or path. */
  model?: string;
  ffmpeg: { source: FfmpegBackend['source']; path: string; version: string };
  width: number;
  height: number;
  /** Frames in each input. */
  frameCount: number;
  subsample: number;
  /** Scored frames only (every `subsample`-th). */
  frames: QualityFrame[];
  pooled: PooledScore;
  scenes?: Array<SceneSpan & { score: PooledScore }>;
  elapsedSeconds: number;
}

// Every report fits its published schema: a field of another type, or a missing one, fails to compile.
const reportFitsSchema: QualityReport extends z.input<typeof qualityOutputSchema> ? true : never = true;
void reportFitsSchema;

const FILTER_SCORE_KEY: Record<Exclude<QualityMetric, 'vmaf'>, string> = { psnr: 'psnr_y', ssim: 'ssim_y', xpsnr: 'xpsnr_y' };

/**
 * Scores `distorted` against `reference`, per frame, pooled over the clip and per scene.
 * A distorted video of another size is scaled to the reference (bicubic); inputs with different
 * frame counts are an error.
 */
export async function measureQuality(reference: string, distorted: string, options: MeasureQualityOptions = {}): Promise<QualityReport> {
  const { signal, onProgress, ...plain } = options;
  const parsed = measureQualityOptionsSchema.safeParse(plain);
  if (!parsed.success) throw new InvalidOptionsError('measureQuality options', describeIssues(parsed.error.issues, 'options'));
  const opts = parsed.data;
  const started = performance.now();
  const backend = await resolveFfmpeg({ ffmpegPath: opts.ffmpegPath });
  const threads = opts.threads ?? Math.max(1, Math.min(8, os.availableParallelism()));
  const ffmpeg = { source: backend.source, path: backend.path, version: backend.version };
  const progress = (frame: number, totalFrames?: number) => {
    const s = (performance.now() - started) / 1000;
    onProgress?.({ frame, totalFrames, fps: s > 0 ? frame / s : 0 });
  };

  let frames: QualityFrame[];
  let frameCount: number;
  let width: number;
  let height: number;
  let report: Pick<QualityReport, 'backend' | 'backendNote' | 'model'>;

  const useLibvmaf = opts.metric === 'vmaf' ? chooseLibvmaf(opts.referenceFrames && opts.vmafBackend === 'auto' ? 'builtin' : opts.vmafBackend, backend) : { use: false };
  if (opts.referenceFrames && (opts.metric !== 'vmaf' || useLibvmaf.use))
    throw new InvalidOptionsError('referenceFrames', 'a reference frame range needs the builtin VMAF (metric vmaf, vmafBackend builtin)');
  if (opts.metric === 'vmaf' && !useLibvmaf.use) {
    const [refInfo, disInfo] = await Promise.all([probeVideo(reference, backend, signal), probeVideo(distorted, backend, signal)]);
    assertSameOrientation(refInfo, disInfo);
    const model = await resolveVmafModel(opts.model);
    // The probe's count: the container's when it has one, else estimated from the duration (the
    // native probe never counts). An estimate is better than no total: progress then shows
    // "83/250 frames" and an ETA, not "83/0"; the frames actually scored decide the report.
    const refFrames = opts.referenceFrames ? opts.referenceFrames.endFrame - opts.referenceFrames.startFrame : refInfo.frameCount;
    const totalFrames = refFrames > 0 ? Math.ceil(refFrames / opts.subsample) : undefined;
    const result = await computeBuiltinFeatures(refInfo, disInfo, backend, {
      subsample: opts.subsample,
      threads,
      gain: model.gainLimits,
      referenceFrames: opts.referenceFrames,
      signal,
      onFrame: (n) => progress(n, totalFrames),
    });
    frameCount = result.frameCount;
    ({ width, height } = refInfo);
    frames = [];
    result.features.forEach((f, index) => {
      if (f) frames.push({ index, score: model.predict(f), features: { ...f } });
    });
    report = { backend: 'builtin', backendNote: useLibvmaf.note, model: model.name };
  } else {
    const metric: FfmpegMetric = opts.metric === 'vmaf' ? 'libvmaf' : opts.metric;
    const result = await runFfmpegMetrics(reference, distorted, {
      metrics: [metric],
      backend,
      signal,
      libvmaf: metric === 'libvmaf' ? { model: opts.model, threads, subsample: opts.subsample } : undefined,
      onProgress: (p) => progress(p.frame, p.totalFrames),
    });
    frameCount = result.frameCount;
    ({ width, height } = result);
    const key = opts.metric === 'vmaf' ? 'vmaf' : FILTER_SCORE_KEY[opts.metric];
    const capped = opts.metric === 'psnr' || opts.metric === 'xpsnr';
    frames = [];
    result.frames.forEach((rec, index) => {
      if (opts.metric !== 'vmaf' && index % opts.subsample !== 0) return;
      const v = rec[key];
      if (v === undefined) return;
      frames.push({ index, score: capped ? Math.min(v, PSNR_POOL_CAP_DB) : v, features: rec });
    });
    report = { backend: result.backend, backendNote: useLibvmaf.note, model: opts.metric === 'vmaf' ? opts.model ?? 'vmaf_v0.6.1' : undefined };
  }

  const byFrame = new Float64Array(frameCount).fill(Number.NaN);
  for (const f of frames) byFrame[f.index] = f.score;
  let scenes: QualityReport['scenes'];
  if (opts.scenes) {
    const beyond = opts.scenes.find((s) => s.endFrame > frameCount);
    if (beyond) throw new InvalidOptionsError('scenes', `scene [${beyond.startFrame}, ${beyond.endFrame}) ends after the last frame (${frameCount} frames)`);
    scenes = poolScenes(byFrame, opts.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame })));
  }
  return {
    format: QUALITY_FORMAT,
    version: QUALITY_VERSION,
    reference,
    distorted,
    metric: opts.metric,
    ...report,
    ffmpeg,
    width,
    height,
    frameCount,
    subsample: opts.subsample,
    frames,
    pooled: poolScores(frames.map((f) => f.score)),
    scenes,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

function chooseLibvmaf(choice: 'auto' | 'builtin' | 'libvmaf', backend: FfmpegBackend): { use: boolean; note?: string } {
  if (choice === 'builtin') return { use: false, note: 'builtin VMAF requested' };
  const has = hasLibvmaf(backend);
  if (has.available) return { use: true, note: `libvmaf filter of ${backend.path}` };
  if (choice === 'libvmaf') throw new UnsupportedError(`libvmaf backend requested, but ${has.reason}`);
  return { use: false, note: `builtin VMAF: ${has.reason}` };
}
