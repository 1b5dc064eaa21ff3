import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { discardChunks } from '../encode/chunking.js';
import { checkCarry, encodePlan, refuseExistingOutput, type EncodeProgress, type EncodeResult } from '../encode/chunked.js';
import type { ChunkExecutor } from '../encode/executor.js';
import { describeIssues, InvalidOptionsError, throwIfAborted } from '../errors.js';
import { parsePlan } from '../core/plan-file.js';
import { budgetBytes } from '../plan/allocate.js';
import { assessScenes, correctMisses, sceneCrfLimits, type SceneVerdict } from '../plan/assess.js';
import { assessBudget, correctBudget, DEFAULT_BUDGET_TOLERANCE, type BudgetAssessment } from '../plan/budget.js';
import type { CurveProbe } from '../plan/probes.js';
import { measureQuality, type QualityProgress } from '../quality/measure.js';
import type { ProbeExecutor } from './probe-executor.js';
import { planEncode, probeMeasurement, type PlanControl, type PlanEncodeOptions, type PlanEncodeResult, type PlanProgress } from './plan-encode.js';

/**
 * optimizeEncode: plan → chunked encode → per-scene VMAF validation, and bounded rounds that
 * re-encode with CRFs corrected through the measurements: in target mode the scenes that missed
 * the target (correctMisses), in budget mode, while the bitrate is off the budget, the scenes
 * whose CRF a re-allocation on the measured sizes moved (correctBudget). A re-encode round reuses
 * the work directory, so only the changed scenes are encoded again. Probe encodes are kept in the
 * caller's cache (`cache`, `segmentCache`) or else in a segment cache inside the work directory,
 * so a scene planned at the CRF of its whole-scene probe is not encoded twice; that one is removed
 * when the run succeeds and kept when it fails or is cancelled (a rerun then takes the probes
 * from it).
 */

export interface OptimizeOptions extends PlanEncodeOptions {
  output: string;
  /**
   * Replace `output` if it exists (default true); false refuses an existing file before the
   * analysis starts (the command line's default, `--force` / `-y` to replace). Later rounds
   * always replace the file the first round wrote.
   */
  overwrite?: boolean;
  /** Chunks encoded at once. */
  jobs?: number;
  /**
   * Encode the video alone (default false): otherwise the input's audio, subtitle and attachment
   * streams, chapters and metadata are copied into the output, as `encodePlan` does; a stream the
   * output container cannot hold is refused before the analysis starts.
   */
  videoOnly?: boolean;
  /** Chunk and manifest directory (default `<output>.scenecrf-work`). */
  encodeWorkDir?: string;
  /** Measure per-scene VMAF after the encode (default true). */
  validate?: boolean;
  /** A scene within this many VMAF points of the target is a hit (default 1). */
  tolerance?: number;
  /**
   * Budget mode: a bitrate within ± this fraction of the budget is 'met' (default
   * DEFAULT_BUDGET_TOLERANCE, 0.05); further above is 'over' (a miss), further below 'under' (kept,
   * with bits left unspent). Re-encode rounds run while it is not 'met'.
   */
  budgetTolerance?: number;
  /**
   * Re-encode rounds (default DEFAULT_MAX_ROUNDS, 2: the accurate path; 0 with probes 0 is the
   * prediction-only run that encodes each scene once). Target mode re-encodes the scenes that
   * missed the target; budget mode, while the bitrate is off the budget by more than
   * `budgetTolerance`, re-allocates every scene's CRF on curves corrected by the measured sizes.
   * Rounds need the validation (`validate`).
   */
  maxRounds?: number;
  /** VMAF of the validation scores every n-th frame (default 1). */
  validateSubsample?: number;
}

export interface OptimizeProgress {
  stage: 'plan' | 'encode' | 'validate';
  round: number;
  plan?: PlanProgress;
  encode?: EncodeProgress;
  validate?: QualityProgress;
}

export interface SceneValidation {
  index: number;
  startFrame: number;
  endFrame: number;
  crf: number;
  predictedVmaf: number;
  measuredVmafMean: number;
  measuredVmafP5: number;
  bytes: number;
  /** Measured statistic minus target (target mode). */
  error?: number;
  hit?: boolean;
  /** Target mode: 'capped' is a miss no CRF in range can fix (see assessScenes). */
  verdict?: SceneVerdict;
}

export interface OptimizeResult {
  planned: PlanEncodeResult;
  /** Budget mode: the final encode's bitrate against the budget, and the rounds that corrected it. */
  budget?: BudgetAssessment & {
    rounds: number;
    /** The measured bitrate of each encode, first (the plan as predicted) to last (= measuredKbps). */
    kbpsByRound: number[];
  };
  /** The plan that was finally encoded (after re-encode rounds). */
  plan: PlanEncodeResult['plan'];
  encode: EncodeResult;
  validation?: {
    scenes: SceneValidation[];
    hitRate?: number;
    /** Hits among the scenes that are not capped at a CRF bound (target mode). */
    reachableHitRate?: number;
    /** Scenes that missed at the CRF bound that would fix them (target mode). */
    capped?: number;
    tolerance: number;
    vmafMean: number;
    vmafP5Min: number;
    rounds: number;
  };
}

/**
 * Re-encode rounds by default. Predictions alone put few scenes within ±1 of the target on unseen
 * content; two correction rounds put 91–100% of the reachable ones there (bench/RESULTS.md), as
 * ab-av1 and Av1an users expect of a target-quality encode.
 */
export const DEFAULT_MAX_ROUNDS = 2;

/**
 * optimizeEncode's own options, checked before any work (the planning options are
 * planEncodeOptionsSchema's, checked by planEncode). The CLI validates with the same schema, so a
 * bad value is reported under its flag there.
 */
export const optimizeOptionsSchema = z
  .object({
    output: z.string().min(1),
    overwrite: z.boolean().optional(),
    jobs: z.number().int().min(1).optional(),
    videoOnly: z.boolean().optional(),
    encodeWorkDir: z.string().min(1).optional(),
    validate: z.boolean().optional(),
    tolerance: z.number().positive().optional(),
    budgetTolerance: z.number().min(0).max(1).optional(),
    maxRounds: z.number().int().min(0).optional(),
    validateSubsample: z.number().int().min(1).optional(),
  })
  .passthrough();

/** Plans, encodes and validates `input` into `options.output`. */
export async function optimizeEncode(
  input: string,
  options: OptimizeOptions,
  control: {
    signal?: AbortSignal;
    onProgress?: (p: OptimizeProgress) => void;
    analysis?: PlanControl['analysis'];
    /** Where probes and chunk encodes run (default this process); `queueExecutor` of scenecrf/advanced sends them to queue workers. */
    executor?: ChunkExecutor & ProbeExecutor;
  } = {},
): Promise<OptimizeResult> {
  const checked = optimizeOptionsSchema.safeParse(options);
  if (!checked.success) throw new InvalidOptionsError('optimizeEncode options', describeIssues(checked.error.issues));
  const {
    output,
    overwrite = true,
    jobs,
    videoOnly,
    encodeWorkDir,
    validate = true,
    tolerance = 1,
    budgetTolerance = DEFAULT_BUDGET_TOLERANCE,
    maxRounds = DEFAULT_MAX_ROUNDS,
    validateSubsample = 1,
    ...planOptions
  } = options;
  const { signal, onProgress } = control;
  if (!overwrite) await refuseExistingOutput(path.resolve(output));
  // The output container must take the streams carried over before hours of analysis.
  if (!videoOnly) await checkCarry(input, output, { ffmpegPath: planOptions.ffmpegPath, signal });
  const workDir = encodeWorkDir ?? `${path.resolve(output)}.scenecrf-work`;
  // The caller's own segment cache (or the persistent `cache`) is theirs to keep; without either,
  // one lives and dies with the run, so that probes still become chunks.
  const persistent = planOptions.segmentCache !== undefined || (planOptions.cache !== undefined && planOptions.cache !== false);
  const cacheOptions = persistent ? { segmentCache: planOptions.segmentCache, cache: planOptions.cache } : { segmentCache: path.join(workDir, 'segments'), cache: undefined };
  // Re-encode rounds, which correct along the predicted slope as probes do: in target mode they
  // get the proxy-curve model by default too (bench/RESULTS.md: better in every setting). The
  // round's chunks are kept until the last round.
  const budgetMode = planOptions.bitrateKbps !== undefined;
  const mayRetry = validate && maxRounds > 0;
  const planned = await planEncode(input, { ...planOptions, ...cacheOptions }, {
    signal,
    analysis: control.analysis,
    executor: control.executor,
    corrections: mayRetry && !budgetMode,
    onProgress: (p) => onProgress?.({ stage: 'plan', round: 0, plan: p }),
  });
  const stat = planned.stat;
  // planEncode has validated the target; it is used as the caller gave it.
  const { targetVmaf } = planOptions;
  let plan = planned.plan;
  let curves = planned.scenes.map((s) => s.curve);
  let measurements: CurveProbe[][] = planned.scenes.map((s) => s.probes.map(probeMeasurement));
  const done = async (r: OptimizeResult): Promise<OptimizeResult> => {
    if (mayRetry) await discardChunks(workDir);
    if (!persistent) await rm(cacheOptions.segmentCache!, { recursive: true, force: true });
    return r;
  };
  let rounds = 0;
  // Per-scene measurements of the file as encoded so far, and the scenes the latest round re-encoded.
  let measured: Array<{ vmafMean: number; vmafP5: number }> | undefined;
  let pooledMean: number | undefined;
  let reencoded: number[] = [];
  const kbpsByRound: number[] = [];
  for (;;) {
    throwIfAborted(signal);
    const encode = await encodePlan(plan, {
      output, input, jobs, videoOnly, workDir, ...cacheOptions, keepChunks: mayRetry, ffmpegPath: options.ffmpegPath, signal, executor: control.executor,
      onProgress: (e) => onProgress?.({ stage: 'encode', round: rounds, encode: e }),
    });
    kbpsByRound.push(encode.bitrateKbps);
    const budget = budgetMode ? { ...assessBudget(encode.bitrateKbps, planOptions.bitrateKbps!, budgetTolerance), rounds, kbpsByRound } : undefined;
    if (!validate) return done({ planned, ...(budget ? { budget } : {}), plan, encode });
    const onValidate = (v: QualityProgress) => onProgress?.({ stage: 'validate', round: rounds, validate: v });
    if (!measured) {
      // The first validation scores the whole output in one pass.
      const q = await measureQuality(input, output, {
        scenes: plan.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame })),
        subsample: validateSubsample,
        ffmpegPath: options.ffmpegPath,
        signal,
        onProgress: onValidate,
      });
      measured = q.scenes!.map((x) => ({ vmafMean: x.score.mean, vmafP5: x.score.p5 }));
      pooledMean = q.pooled.mean;
    } else {
      // A re-encode round scores only the scenes it re-encoded, from their chunks (kept for the
      // rounds), the way probes are scored. One pass over the file would differ slightly (by 0.1
      // VMAF on the test fixture): there, the motion feature at a scene's first frame sees the
      // frame before the cut.
      for (const i of reencoded) {
        const s = plan.scenes[i]!;
        const q = await measureQuality(input, encode.chunks[i]!.file, {
          referenceFrames: { startFrame: s.startFrame, endFrame: s.endFrame },
          subsample: validateSubsample,
          ffmpegPath: options.ffmpegPath,
          signal,
          onProgress: onValidate,
        });
        measured[i] = { vmafMean: q.pooled.mean, vmafP5: q.pooled.p5 };
      }
      // Frame-weighted, as one pass over the file would pool it.
      pooledMean = plan.scenes.reduce((a, s, i) => a + measured![i]!.vmafMean * (s.endFrame - s.startFrame), 0) / plan.input.frameCount;
    }
    const sceneScores = measured;
    const crfs = plan.scenes.map((s) => s.crf);
    const current = plan.scenes.map((s, i) => ({ frames: s.endFrame - s.startFrame, curve: curves[i]! }));
    const assessed = targetVmaf === undefined ? undefined : assessScenes(sceneScores, targetVmaf, stat, tolerance, sceneCrfLimits(current, crfs, planOptions));
    const scenes: SceneValidation[] = plan.scenes.map((s, i) => {
      const at = curves[i]!.crfs.indexOf(s.crf);
      return {
        index: i,
        startFrame: s.startFrame,
        endFrame: s.endFrame,
        crf: s.crf,
        predictedVmaf: (stat === 'p5' ? curves[i]!.vmafP5 : curves[i]!.vmafMean)[at]!,
        measuredVmafMean: sceneScores[i]!.vmafMean,
        measuredVmafP5: sceneScores[i]!.vmafP5,
        bytes: encode.chunks[i]!.bytes,
        error: assessed?.scenes[i]!.error,
        hit: assessed ? assessed.scenes[i]!.verdict === 'hit' : undefined,
        verdict: assessed?.scenes[i]!.verdict,
      };
    });
    const validation = {
      scenes,
      hitRate: assessed?.hitRate,
      reachableHitRate: assessed?.reachableHitRate,
      capped: assessed?.capped,
      tolerance,
      vmafMean: pooledMean!,
      vmafP5Min: Math.min(...scenes.map((s) => s.measuredVmafP5)),
      rounds,
    };
    const sceneMeasurements = scenes.map((s) => ({ vmafMean: s.measuredVmafMean, vmafP5: s.measuredVmafP5, bytesPerFrame: s.bytes / (s.endFrame - s.startFrame) }));
    if (budget) {
      // Budget round: while the bitrate is off the budget, refit every scene's curve through its
      // measurements (above all its measured size) and allocate the budget again on them.
      if (budget.verdict === 'met' || rounds >= maxRounds) return done({ planned, budget, plan, encode, validation });
      const chunkBytes = encode.chunks.reduce((a, c) => a + c.bytes, 0);
      const round = correctBudget(
        current.map((s, i) => ({ ...s, predictedCurve: planned.scenes[i]!.predictedCurve, measurements: measurements[i]!, proxy: planned.scenes[i]!.proxy })),
        crfs,
        sceneMeasurements,
        {
          budgetBytes: budgetBytes(planOptions.bitrateKbps!, plan.input.frameCount, plan.input.frameRate.num / plan.input.frameRate.den),
          overheadBytes: Math.max(0, encode.bytes - chunkBytes),
          stat,
          crfMin: planOptions.crfMin,
          crfMax: planOptions.crfMax,
          maxCrfJump: planOptions.maxCrfJump,
        },
      );
      curves = round.curves;
      measurements = round.measurements;
      if (round.reencode.length === 0) return done({ planned, budget, plan, encode, validation });
      reencoded = round.reencode;
      plan = parsePlan({ ...plan, scenes: plan.scenes.map((s, i) => ({ ...s, crf: round.crfs[i]! })) });
      rounds++;
      continue;
    }
    // Re-encode round (target mode): refit each missed scene's curve through every measurement of
    // it (its probes, earlier rounds, this encode) and re-plan that scene; stop when nothing
    // changes or the rounds are used up.
    if (targetVmaf === undefined || rounds >= maxRounds) return done({ planned, plan, encode, validation });
    const round = correctMisses(
      current.map((s, i) => ({ ...s, predictedCurve: planned.scenes[i]!.predictedCurve, measurements: measurements[i]!, proxy: planned.scenes[i]!.proxy })),
      crfs,
      sceneMeasurements,
      // Re-encode rounds are target mode, where planEncode always reports its trust region.
      { targetVmaf, stat, tolerance, crfMin: planOptions.crfMin, crfMax: planOptions.crfMax, probeTrust: planned.probeTrust },
    );
    curves = round.curves;
    measurements = round.measurements;
    if (round.reencode.length === 0) return done({ planned, plan, encode, validation });
    reencoded = round.reencode;
    plan = parsePlan({ ...plan, scenes: plan.scenes.map((s, i) => ({ ...s, crf: round.crfs[i]! })) });
    rounds++;
  }
}
