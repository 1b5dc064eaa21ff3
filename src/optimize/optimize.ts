import path from 'node:path';
import { discardChunks, encodePlan, type EncodeProgress, type EncodeResult } from '../encode/chunked.js';
import { InvalidOptionsError, throwIfAborted } from '../errors.js';
import { parsePlan } from '../plan/format.js';
import { assessScenes, fitCurveToProbes, planForTarget, type CurveProbe, type SceneVerdict } from '../plan/planner.js';
import { measureQuality, type QualityProgress } from '../quality/measure.js';
import { planEncode, probeMeasurement, type PlanEncodeOptions, type PlanEncodeResult, type PlanProgress } from './plan-encode.js';

/**
 * optimizeEncode: plan → chunked encode → per-scene VMAF validation, and (target mode) bounded
 * rounds that re-encode the scenes that missed with CRFs corrected through the measurement. A
 * re-encode round reuses the work directory, so only the changed scenes are encoded again.
 */

export interface OptimizeOptions extends PlanEncodeOptions {
  output: string;
  /** Chunks encoded at once. */
  jobs?: number;
  /** Chunk and manifest directory (default `<output>.scenecrf-work`). */
  encodeWorkDir?: string;
  /** Measure per-scene VMAF after the encode (default true). */
  validate?: boolean;
  /** A scene within this many VMAF points of the target is a hit (default 1). */
  tolerance?: number;
  /** Re-encode rounds for scenes that missed below the target (default 0). */
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

/** Plans, encodes and validates `input` into `options.output`. */
export async function optimizeEncode(
  input: string,
  options: OptimizeOptions,
  control: { signal?: AbortSignal; onProgress?: (p: OptimizeProgress) => void } = {},
): Promise<OptimizeResult> {
  const { output, jobs, encodeWorkDir, validate = true, tolerance = 1, maxRounds = 0, validateSubsample = 1, ...planOptions } = options;
  if (!(tolerance > 0)) throw new InvalidOptionsError('tolerance', `expected a positive number, got ${tolerance}`);
  if (!Number.isInteger(maxRounds) || maxRounds < 0) throw new InvalidOptionsError('maxRounds', `expected a whole number ≥ 0, got ${maxRounds}`);
  if (!Number.isInteger(validateSubsample) || validateSubsample < 1) throw new InvalidOptionsError('validateSubsample', `expected a whole number ≥ 1, got ${validateSubsample}`);
  const { signal, onProgress } = control;
  const planned = await planEncode(input, planOptions, { signal, onProgress: (p) => onProgress?.({ stage: 'plan', round: 0, plan: p }) });
  const stat = planned.stat;
  let plan = planned.plan;
  const curves = planned.scenes.map((s) => s.curve);
  const measurements: CurveProbe[][] = planned.scenes.map((s) => s.probes.map(probeMeasurement));
  const workDir = encodeWorkDir ?? `${path.resolve(output)}.scenecrf-work`;
  // A re-encode round reuses the chunks of unchanged scenes, so they are kept until the last round.
  const mayRetry = validate && planned.target !== undefined && maxRounds > 0;
  const done = async (r: OptimizeResult): Promise<OptimizeResult> => {
    if (mayRetry) await discardChunks(workDir);
    return r;
  };
  let rounds = 0;
  for (;;) {
    throwIfAborted(signal);
    const encode = await encodePlan(plan, { output, input, jobs, workDir, keepChunks: mayRetry, ffmpegPath: options.ffmpegPath, signal, onProgress: (e) => onProgress?.({ stage: 'encode', round: rounds, encode: e }) });
    if (!validate) return { planned, plan, encode };
    const q = await measureQuality(input, output, {
      scenes: plan.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame })),
      subsample: validateSubsample,
      ffmpegPath: options.ffmpegPath,
      signal,
      onProgress: (v) => onProgress?.({ stage: 'validate', round: rounds, validate: v }),
    });
    const target = planned.target;
    const measured = q.scenes!.map((x) => ({ vmafMean: x.score.mean, vmafP5: x.score.p5 }));
    const limits = plan.scenes.map((s, i) => {
      const range = curves[i]!.crfs;
      return { crf: s.crf, crfMin: planOptions.crfMin ?? range[0]!, crfMax: planOptions.crfMax ?? range[range.length - 1]! };
    });
    const assessed = target === undefined ? undefined : assessScenes(measured, target, stat, tolerance, limits);
    const scenes: SceneValidation[] = plan.scenes.map((s, i) => {
      const at = curves[i]!.crfs.indexOf(s.crf);
      return {
        index: i,
        startFrame: s.startFrame,
        endFrame: s.endFrame,
        crf: s.crf,
        predictedVmaf: (stat === 'p5' ? curves[i]!.vmafP5 : curves[i]!.vmafMean)[at]!,
        measuredVmafMean: measured[i]!.vmafMean,
        measuredVmafP5: measured[i]!.vmafP5,
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
      vmafMean: q.pooled.mean,
      vmafP5Min: Math.min(...scenes.map((s) => s.measuredVmafP5)),
      rounds,
    };
    // Re-encode round (target mode): move each missed scene's curve through its measurement and
    // re-plan that scene; stop when nothing changes or the rounds are used up.
    const settled = (s: SceneValidation) => s.verdict === 'hit' || s.verdict === 'capped';
    if (target === undefined || rounds >= maxRounds || scenes.every(settled)) return done({ planned, plan, encode, validation });
    // Every measurement of a scene so far (its probes, earlier rounds, this encode) fixes its curve.
    const crfs = plan.scenes.map((s) => s.crf);
    let changed = false;
    for (const s of scenes) {
      const frames = s.endFrame - s.startFrame;
      measurements[s.index]!.push({ crf: s.crf, vmafMean: s.measuredVmafMean, vmafP5: s.measuredVmafP5, bytesPerFrame: s.bytes / frames });
      if (settled(s)) continue;
      curves[s.index] = fitCurveToProbes(planned.scenes[s.index]!.predictedCurve, measurements[s.index]!);
      const next = planForTarget([{ frames, curve: curves[s.index]! }], { target, stat, crfMin: planOptions.crfMin, crfMax: planOptions.crfMax }).crfs[0]!;
      if (next !== crfs[s.index]) {
        crfs[s.index] = next;
        changed = true;
      }
    }
    if (!changed) return done({ planned, plan, encode, validation });
    plan = parsePlan({ ...plan, scenes: plan.scenes.map((s, i) => ({ ...s, crf: crfs[i]! })) });
    rounds++;
  }
}
