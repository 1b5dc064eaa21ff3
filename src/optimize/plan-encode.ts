import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { analyzeOptionsSchema, analyzeVideo, type AnalysisResult, type AnalyzeProgress } from '../analysis/analyze.js';
import { prepareEncode, segmentKey } from '../encode/chunked.js';
import { runPool } from '../encode/pool.js';
import { cacheOptionSchema, resolveSegmentCache, SegmentCacheSession } from '../encode/segment-cache.js';
import { describeIssues, InvalidOptionsError, throwIfAborted, UnsupportedError } from '../errors.js';
import { defaultCrfModelPath, loadCrfModel, type CrfModel } from '../model/format.js';
import { predictSceneCurve } from '../model/predict.js';
import { intervalHalfWidth, intervalLaw, sceneNovelty, sceneUncertainty, scenesToProbe, type SceneUncertainty } from '../model/uncertainty.js';
import type { SceneCurve } from '../core/curve.js';
import { CRF_RANGE, ENCODERS, type EncoderName } from '../core/encoders.js';
import { planFromScenes, type EncodePlan } from '../core/plan-file.js';
import { budgetBytes, planForBudget, planForTarget, type PlanResult } from '../plan/allocate.js';
import { measuredWithin } from '../plan/assess.js';
import { targetVmafSchema } from '../plan/inputs.js';
import { fitCurveToProbes, probeTrustBounds, type CurveProbe } from '../plan/probes.js';
import { measureProxyCurves } from '../proxy/measure.js';
import { middleFrames, type ProxyCurve } from '../core/proxy-spec.js';
import { localProbeExecutor, type ProbeExecutor } from './probe-executor.js';

/**
 * planEncode: the optimizer's front half. From the pre-analysis alone it predicts every scene's
 * rate–quality curve and picks each scene's CRF for a VMAF target or a bitrate budget; optional
 * probes encode a scene at its predicted CRF, measure it and move the curve through the
 * measurement (keeping the predicted slope), then re-plan. With a model that uses proxy curves
 * (src/proxy), each scene's proxy curve is measured first and is part of the prediction.
 */

const crf = z.number().int().min(0).max(63);

/**
 * planEncode's default `probeTrust` (and optimizeEncode's, for its re-encode rounds): ±8 CRF with
 * a proxy-curve model, none (63) with a plain one. In the planning simulation the region lowered
 * the one-probe mean error in all eight settings with the proxy models (by 29–61%), and cost
 * SVT-AV1 hits within ±1 with the plain models (bench/RESULTS.md, "trust region").
 */
export function defaultProbeTrust(modelUsesProxy: boolean): number {
  return modelUsesProxy ? 8 : 63;
}

export const planEncodeOptionsSchema = z
  .object({
    encoder: z.enum(ENCODERS),
    /** Encoder speed; default the preset the model was trained at (predictions are for it). */
    preset: z.number().int().min(0).max(13).optional(),
    /** Per-scene VMAF target (the chosen statistic of the scene's frame scores). */
    targetVmaf: targetVmafSchema.optional(),
    /** Average bitrate budget for the whole video, kbit/s. */
    bitrateKbps: z.number().positive().optional(),
    /** Which per-scene statistic the target refers to / the budget maximises: mean or 5th percentile. */
    stat: z.enum(['mean', 'p5']).default('mean'),
    crfMin: crf.optional(),
    crfMax: crf.optional(),
    /** Largest CRF difference allowed between neighbouring scenes. */
    maxCrfJump: z.number().int().min(0).optional(),
    /**
     * Probe rounds per scene (0 = prediction only), or 'auto': probe only the scenes the model is
     * unsure of (prediction interval wider than `autoProbeTolerance`), least sure first, up to
     * AUTO_PROBE_ROUNDS probes each and `maxProbes` in all.
     */
    probes: z.union([z.literal('auto'), z.number().int().min(0).max(8)]).default(0),
    /** `probes: 'auto'`: a scene whose prediction interval (± VMAF) is wider than this is probed. */
    autoProbeTolerance: z.number().positive().default(1),
    /** At most this many probe encodes in all (a CPU budget); the least sure scenes are probed first. */
    maxProbes: z.number().int().min(0).optional(),
    /** A probe within this many VMAF points of the target stops probing that scene. */
    probeTolerance: z.number().positive().default(0.5),
    /**
     * Target mode: after probing, a scene's CRF stays within this many CRF of the CRFs it was
     * probed at (`probeTrustBounds`), since the corrected curve is only reliable near its
     * measurements. 63 turns it off. Default `defaultProbeTrust`: 8 with a proxy-curve model, else off.
     */
    probeTrust: z.number().int().min(1).max(63).optional(),
    /** VMAF of probes scores every n-th frame. */
    probeSubsample: z.number().int().min(1).default(2),
    /**
     * Frames a probe encodes: the whole scene ('all'), or at most this many from its middle (a
     * cheaper, rougher measurement; the shipped models were trained on 48-frame excerpts).
     */
    probeFrames: z.union([z.literal('all'), z.number().int().min(8)]).default('all'),
    /** CRF model file; default the shipped `models/crf-<encoder>-v1.json` (with `proxy`: `crf-<encoder>-proxy-v1.json`). */
    model: z.string().min(1).optional(),
    /**
     * Measure every scene's proxy curve (small fast encodes, src/proxy) and predict with a model
     * that uses them: a better predicted slope for the probes' corrections, at some CPU. Default:
     * on when `probes` > 0 and a proxy model is shipped for the encoder, else off. With `model`,
     * the model file decides (true/false then only check it).
     */
    proxy: z.boolean().optional(),
    bitDepth: z.union([z.literal(8), z.literal(10)]).default(8),
    /** Encoder options for every scene (see the plan format). */
    options: z.record(z.union([z.string(), z.number(), z.boolean()])).default({}),
    /** Where probe and proxy encodes go (removed afterwards); default a temporary directory. */
    workDir: z.string().min(1).optional(),
    /**
     * Keep every probe encode in this segment cache directory (created if missing), and take
     * probes already there instead of encoding them. An `encodePlan` of the result with the same
     * `segmentCache` (and the same threads per chunk: one job, by default) then reuses each
     * whole-scene probe whose CRF the plan kept as that scene's chunk. `optimizeEncode` does this
     * by itself.
     */
    segmentCache: z.string().min(1).optional(),
    /**
     * The cache of probe encodes and their VMAF scores (and of chunks: see encodePlan's `cache`).
     * A probe already there (same input, frames, CRF and encoder settings) is not encoded again,
     * and, measured the same way, not scored again: a plan of the same input for another target
     * reuses every probe it repeats. `true`: the user's cache folder; `{ dir, maxBytes }`. Default
     * false in the library, on on the command line. Not together with `segmentCache`.
     */
    cache: cacheOptionSchema.optional(),
    analyze: analyzeOptionsSchema.innerType().partial().optional(),
    ffmpegPath: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.targetVmaf === undefined) === (o.bitrateKbps === undefined))
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give exactly one of targetVmaf and bitrateKbps', path: ['targetVmaf'] });
    const range = CRF_RANGE[o.encoder];
    for (const k of ['crfMin', 'crfMax'] as const) {
      const v = o[k];
      if (v !== undefined && (v < range.min || v > range.max)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${k} ${v} is out of range for ${o.encoder} (${range.min}..${range.max})`, path: [k] });
    }
    if (o.crfMin !== undefined && o.crfMax !== undefined && o.crfMin > o.crfMax) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'crfMin must not exceed crfMax', path: ['crfMin'] });
    // The equal-slope allocator has no per-scene bounds, and a silently ignored option is worse than a refused one.
    if (o.probeTrust !== undefined && o.bitrateKbps !== undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'probeTrust applies to targetVmaf plans only, not to bitrateKbps plans', path: ['probeTrust'] });
  });

export type PlanEncodeOptions = z.input<typeof planEncodeOptionsSchema>;

/**
 * How a probe's VMAF scores are stored in the segment cache: bump the version when the probe
 * measurement changes (the builtin VMAF, its default model), so older scores are not reused.
 */
const probeScoresKey = (subsample: number) => `vmaf-builtin-v1-subsample${subsample}`;

export interface PlanProgress {
  stage: 'analyze' | 'proxy' | 'predict' | 'probe';
  /** analyze: frames; proxy: steps (scenes encoded, then CRFs scored); probe: probe encodes done / planned. */
  done: number;
  total: number;
  analysis?: AnalyzeProgress;
}

export interface PlanControl {
  signal?: AbortSignal;
  onProgress?: (p: PlanProgress) => void;
  /** Reuse an analysis of the same input instead of analysing again. */
  analysis?: AnalysisResult;
  /** Use this model object instead of loading one. */
  crfModel?: CrfModel;
  /**
   * The caller will correct the plan with measurements of its own (optimizeEncode's re-encode
   * rounds): as with probes, the proxy-curve model is then the default when one is shipped.
   */
  corrections?: boolean;
  /** Where probes run: default this process, one at a time; `queueExecutor` (scenecrf/advanced) sends them to queue workers. */
  executor?: ProbeExecutor;
}

export interface ProbeRecord {
  crf: number;
  /** The frames encoded and measured: the whole scene, or its middle with `probeFrames`. */
  startFrame: number;
  endFrame: number;
  frames: number;
  vmafMean: number;
  vmafP5: number;
  bytes: number;
  encodeSeconds: number;
  /** The encode was taken from the segment cache (encodeSeconds is then its original time). */
  cached: boolean;
  /** Its VMAF scores were taken from the cache too (no measurement ran). */
  scoresCached?: boolean;
}

export interface ScenePrediction {
  index: number;
  startFrame: number;
  endFrame: number;
  crf: number;
  /** Predicted (after probes: corrected) values at the chosen CRF. */
  predictedVmafMean: number;
  predictedVmafP5: number;
  predictedBytes: number;
  /** Whether the target is predicted to be reached within the CRF bounds (target mode). */
  reached: boolean;
  /** Scene complexity score (0..1) from the analysis. */
  complexity: number;
  probes: ProbeRecord[];
  /** The curve the CRF was chosen on (predicted, moved through the probes). */
  curve: SceneCurve;
  /** The model's prediction before any probe. */
  predictedCurve: SceneCurve;
  /** The scene's proxy curve, when the model uses them. */
  proxy?: ProxyCurve;
  /**
   * How sure the model's prediction is, at the chosen CRF on the predicted curve (before probes):
   * the interval, the CRFs it allows, and whether the scene is unlike anything in training.
   */
  uncertainty: SceneUncertainty;
}

export interface PlanEncodeResult {
  plan: EncodePlan;
  mode: 'target' | 'budget';
  stat: 'mean' | 'p5';
  /** Target mode: the `targetVmaf` option, as given (under this name in the JSON output). */
  target?: number;
  bitrateKbps?: number;
  scenes: ScenePrediction[];
  predicted: { bytes: number; bitrateKbps: number; vmafMean: number; vmafP5Min: number; budgetMet?: boolean };
  model: { path: string; encoder: EncoderName; preset: number; trainedOn: string[]; proxy: boolean };
  /** The probe trust region used: CRFs within this many of a scene's probes. Target plans only; a budget plan has no per-scene bounds. */
  probeTrust?: number;
  /** Set when the plan's preset differs from the model's: predictions are for the model's preset. */
  warnings: string[];
  analysis: AnalysisResult;
  timings: { analysisSeconds: number; proxySeconds: number; planSeconds: number; probeSeconds: number };
}

/** `probes: 'auto'`: probes per unsure scene at most (the second only when the first missed the target). */
export const AUTO_PROBE_ROUNDS = 2;

/** The frames a probe encodes: all of the scene, or `limit` frames from its middle. */
export const probeRange = middleFrames;

/**
 * Which model file: `model` if given; else the shipped proxy model when proxy curves are asked
 * for (explicitly, or by default with probes or the caller's `corrections`) and one exists for
 * the encoder; else the plain one.
 */
function chooseModelPath(o: z.output<typeof planEncodeOptionsSchema>, corrections: boolean): string {
  if (o.model) return path.resolve(o.model);
  if (o.proxy ?? (o.probes !== 0 || corrections)) {
    const proxyPath = defaultCrfModelPath(o.encoder, { proxy: true });
    if (existsSync(proxyPath)) return proxyPath;
    if (o.proxy) throw new UnsupportedError(`no proxy-curve model is shipped for ${o.encoder} (${proxyPath}); train one with npm run bench:train -- --proxy, or pass proxy: false`);
  }
  return defaultCrfModelPath(o.encoder);
}

/** A probe as a curve measurement (bytes per frame of the scene). */
export function probeMeasurement(p: ProbeRecord): CurveProbe {
  return { crf: p.crf, vmafMean: p.vmafMean, vmafP5: p.vmafP5, bytesPerFrame: p.bytes / p.frames };
}

function invalid(e: z.ZodError): InvalidOptionsError {
  return new InvalidOptionsError('planEncode options', describeIssues(e.issues, 'options'));
}

/** Re-plans all scenes on the (possibly corrected) curves; in target mode within each scene's probe trust region. */
function choose(curves: SceneCurve[], frames: number[], o: z.output<typeof planEncodeOptionsSchema>, fps: number, totalFrames: number, probes: ProbeRecord[][], trust: number): PlanResult {
  const scenes = curves.map((curve, i) => ({ frames: frames[i]!, curve }));
  const bounds = { crfMin: o.crfMin, crfMax: o.crfMax, maxCrfJump: o.maxCrfJump };
  if (o.targetVmaf === undefined) return planForBudget(scenes, { bytes: budgetBytes(o.bitrateKbps!, totalFrames, fps), stat: o.stat, ...bounds });
  const sceneBounds = probes.map((p) => probeTrustBounds(p.map((x) => x.crf), trust));
  return planForTarget(scenes, { targetVmaf: o.targetVmaf, stat: o.stat, ...bounds, sceneBounds });
}

/**
 * Analyses `input` (unless an analysis is given), predicts every scene's curve with the encoder's
 * CRF model and plans per-scene CRFs for `targetVmaf` or `bitrateKbps`; with `probes`, refines
 * by real trial encodes. Returns the encode plan plus what was predicted for each scene.
 */
export async function planEncode(input: string, options: PlanEncodeOptions, control: PlanControl = {}): Promise<PlanEncodeResult> {
  const parsed = planEncodeOptionsSchema.safeParse(options);
  if (!parsed.success) throw invalid(parsed.error);
  const o = parsed.data;
  const segmentCache = resolveSegmentCache(o);
  const { signal, onProgress } = control;
  throwIfAborted(signal);

  const modelPath = control.crfModel ? '(given)' : chooseModelPath(o, control.corrections === true);
  const model = control.crfModel ?? (await loadCrfModel(modelPath));
  if (model.encoder !== o.encoder) throw new InvalidOptionsError('model', `${JSON.stringify(modelPath)} is a model for ${model.encoder}, not ${o.encoder}`);
  if (o.proxy !== undefined && o.proxy !== (model.proxy !== undefined))
    throw new InvalidOptionsError('model', `${modelPath} ${model.proxy ? 'uses' : 'does not use'} proxy curves, and proxy is ${o.proxy}`);
  const preset = o.preset ?? model.preset;
  const warnings: string[] = [];
  if (preset !== model.preset)
    warnings.push(`the model was trained at ${o.encoder} preset ${model.preset}; predictions for preset ${preset} are less accurate (use probes, or retrain with npm run bench:train)`);

  const t0 = performance.now();
  const analysis =
    control.analysis ??
    (await analyzeVideo(input, { ...(o.analyze ?? {}), ffmpegPath: o.ffmpegPath ?? o.analyze?.ffmpegPath }, {
      signal,
      onProgress: (a) => onProgress?.({ stage: 'analyze', done: a.frame, total: a.totalFrames, analysis: a }),
    }));
  const t1 = performance.now();
  const video = analysis.video;
  const frameCount = analysis.scenes[analysis.scenes.length - 1]!.endFrame;
  const frames = analysis.scenes.map((s) => s.endFrame - s.startFrame);
  const range = CRF_RANGE[o.encoder];
  // measureProxyCurves never upscales, so a narrower source gives smaller proxy frames than the
  // model was trained on, and VMAF at another size is another scale.
  if (model.proxy && video.width < model.proxy.width)
    warnings.push(`the video is ${video.width} px wide, narrower than the ${model.proxy.width} px proxy curves the model was trained on; its proxy curves are measured at ${video.width} px and predictions are less accurate`);
  const proxies = model.proxy
    ? await measureProxyCurves(input, analysis.scenes, {
        encoder: o.encoder,
        spec: model.proxy,
        ffmpegPath: o.ffmpegPath,
        workDir: o.workDir,
        signal,
        onProgress: (p) => onProgress?.({ stage: 'proxy', done: p.done, total: p.total }),
      })
    : undefined;
  const tProxy = performance.now();
  const predictedCurves = analysis.scenes.map((s, i) =>
    predictSceneCurve(model, s.complexity, { width: video.width, height: video.height, fps: video.fps }, range, proxies?.[i]),
  );
  const curves = predictedCurves.slice();
  onProgress?.({ stage: 'predict', done: curves.length, total: curves.length });
  // Probes: encode each scene at its current CRF, measure, move its curve, re-plan.
  const probes: ProbeRecord[][] = analysis.scenes.map(() => []);
  const probeTrust = o.probeTrust ?? defaultProbeTrust(model.proxy !== undefined);
  let result = choose(curves, frames, o, video.fps, frameCount, probes, probeTrust);

  const planInput = {
    path: path.resolve(input),
    width: video.width,
    height: video.height,
    frameCount,
    frameRate: video.frameRate,
    bitDepth: video.bitDepth,
    ...(video.sampleAspectRatio ? { sampleAspectRatio: video.sampleAspectRatio } : {}),
  };
  const makePlan = (crfs: number[]) =>
    planFromScenes(planInput, analysis.scenes, { encoder: o.encoder, preset, crf: (i) => crfs[i]!, bitDepth: o.bitDepth, options: o.options });

  // Which scenes probe, and how often: every scene `probes` times, or with 'auto' the unsure ones.
  const auto = o.probes === 'auto';
  const rounds = auto ? AUTO_PROBE_ROUNDS : (o.probes as number);
  const videoInfo = { width: video.width, height: video.height, fps: video.fps };
  let candidateOrder: number[] | undefined;
  if (auto) {
    const law = intervalLaw(model, o.stat).law;
    const widths = analysis.scenes.map((s, i) => intervalHalfWidth(law, sceneNovelty(model, s.complexity, videoInfo, proxies?.[i])));
    candidateOrder = scenesToProbe(widths, o.autoProbeTolerance, o.maxProbes);
  }
  let probeBudget = o.maxProbes ?? Infinity;
  let probeSeconds = 0;
  if (rounds > 0 && (!candidateOrder || candidateOrder.length > 0) && probeBudget > 0) {
    const tp = performance.now();
    const workDir = o.workDir ? path.resolve(o.workDir) : path.join(os.tmpdir(), `scenecrf-probes-${process.pid}-${Date.now()}`);
    await mkdir(workDir, { recursive: true });
    const prepared = await prepareEncode(makePlan(result.crfs), { output: path.join(workDir, 'probe.mkv'), workDir, input, ffmpegPath: o.ffmpegPath, signal, videoOnly: true });
    const cache = await SegmentCacheSession.open(segmentCache);
    const executor = control.executor ?? localProbeExecutor(o.ffmpegPath);
    const settled = new Set<number>();
    const total = Math.min(rounds * (candidateOrder?.length ?? analysis.scenes.length), probeBudget);
    let done = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        // A round's probes are independent (each moves only its own scene's curve), so an
        // executor may run them at once; they are applied in scene order either way. With
        // 'auto', only the unsure scenes probe, least sure first within the probe budget.
        const todo: number[] = [];
        for (const i of candidateOrder ?? analysis.scenes.keys()) {
          if (settled.has(i)) continue;
          throwIfAborted(signal);
          if (probes[i]!.some((p) => p.crf === result.crfs[i]!)) settled.add(i); // the curve already passes through a measurement at this CRF
          else if (todo.length < probeBudget) todo.push(i);
        }
        probeBudget -= todo.length;
        todo.sort((a, b) => a - b);
        const measuredNow = new Map<number, ProbeRecord>();
        const roundCrfs = result.crfs;
        const pool = new AbortController();
        const onAbort = () => pool.abort(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await runPool(todo, executor.concurrency ?? 1, pool, async (i) => {
            const s = analysis.scenes[i]!;
            const c = roundCrfs[i]!;
            const range = probeRange(s.startFrame, s.endFrame, o.probeFrames);
            const key = segmentKey(prepared, { ...range, crf: c });
            const scoresKey = probeScoresKey(o.probeSubsample);
            const known = await cache.lookup(key);
            const knownScores = known?.scores?.[scoresKey];
            let rec: ProbeRecord;
            if (known && knownScores) {
              // Encoded and scored before, the same way: neither runs again.
              rec = { crf: c, ...range, frames: range.endFrame - range.startFrame, ...knownScores, bytes: known.bytes, encodeSeconds: known.encodeSeconds, cached: true, scoresCached: true };
            } else {
              const file = path.join(workDir, `probe-${i}-crf${c}.ivf`);
              const m = await executor.probe(prepared, { ...range, crf: c, subsample: o.probeSubsample, file, session: cache, segmentCache: o.segmentCache && path.resolve(o.segmentCache) }, pool.signal);
              await cache.storeScores(key, scoresKey, { vmafMean: m.vmafMean, vmafP5: m.vmafP5 });
              rec = { crf: c, ...range, frames: m.frames, vmafMean: m.vmafMean, vmafP5: m.vmafP5, bytes: m.bytes, encodeSeconds: m.encodeSeconds, cached: m.cached };
            }
            measuredNow.set(i, rec);
            onProgress?.({ stage: 'probe', done: ++done, total });
          });
        } catch (e) {
          throwIfAborted(signal);
          throw e;
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
        for (const i of todo) {
          const rec = measuredNow.get(i)!;
          probes[i]!.push(rec);
          curves[i] = fitCurveToProbes(predictedCurves[i]!, probes[i]!.map(probeMeasurement), { proxy: proxies?.[i] });
          const measured = o.stat === 'p5' ? rec.vmafP5 : rec.vmafMean;
          if (o.targetVmaf !== undefined && measuredWithin(measured, o.targetVmaf, o.probeTolerance)) settled.add(i);
        }
        result = choose(curves, frames, o, video.fps, frameCount, probes, probeTrust);
      }
    } finally {
      if (!o.workDir) await rm(workDir, { recursive: true, force: true });
    }
    warnings.push(...cache.warnings);
    probeSeconds = (performance.now() - tp) / 1000;
  }

  const plan = makePlan(result.crfs);
  const scenes: ScenePrediction[] = analysis.scenes.map((s, i) => {
    const r = result.scenes[i]!;
    return {
      index: i,
      startFrame: s.startFrame,
      endFrame: s.endFrame,
      crf: r.crf,
      predictedVmafMean: r.predictedVmafMean,
      predictedVmafP5: r.predictedVmafP5,
      predictedBytes: r.predictedBytes,
      reached: r.reached,
      complexity: s.complexity.score,
      probes: probes[i]!,
      curve: curves[i]!,
      predictedCurve: predictedCurves[i]!,
      ...(proxies ? { proxy: proxies[i]! } : {}),
      uncertainty: sceneUncertainty(
        model,
        { complexity: s.complexity, video: videoInfo, proxyCurve: proxies?.[i], curve: predictedCurves[i]! },
        { crf: r.crf, stat: o.stat, target: o.targetVmaf },
      ),
    };
  });
  const novel = scenes.filter((s) => s.uncertainty.novel).length;
  if (novel > 0)
    warnings.push(
      `${novel} of ${scenes.length} scenes are unlike anything the model was trained on (scene${novel > 1 ? 's' : ''} ${scenes.filter((s) => s.uncertainty.novel).map((s) => s.index).join(', ')}): their predictions are the least reliable; probe them (--probes auto) or re-encode (optimize --rounds)`,
    );
  const bytes = scenes.reduce((a, s) => a + s.predictedBytes, 0);
  return {
    plan,
    mode: o.targetVmaf !== undefined ? 'target' : 'budget',
    stat: o.stat,
    target: o.targetVmaf,
    bitrateKbps: o.bitrateKbps,
    scenes,
    predicted: {
      bytes,
      bitrateKbps: (bytes * 8) / 1000 / (frameCount / video.fps),
      vmafMean: scenes.reduce((a, s) => a + s.predictedVmafMean * (s.endFrame - s.startFrame), 0) / frameCount,
      vmafP5Min: Math.min(...scenes.map((s) => s.predictedVmafP5)),
      budgetMet: result.budgetMet,
    },
    model: { path: modelPath, encoder: model.encoder, preset: model.preset, trainedOn: model.training.videos, proxy: model.proxy !== undefined },
    ...(o.targetVmaf !== undefined ? { probeTrust } : {}),
    warnings,
    analysis,
    timings: {
      analysisSeconds: control.analysis ? 0 : (t1 - t0) / 1000,
      proxySeconds: proxies ? (tProxy - t1) / 1000 : 0,
      planSeconds: (performance.now() - tProxy) / 1000 - probeSeconds,
      probeSeconds,
    },
  };
}
