import { AbortError, FrameCountMismatchError } from '../errors.js';
import { decodeFrames } from '../media/frames.js';
import type { FfmpegBackend, Frame, VideoInfo } from '../media/types.js';
import { createFeatureRunner } from './feature-pool.js';
import { bestMotionKernels, type GainLimits, type PairFeatures, type VmafFeatures } from './frame-features.js';
import { motion2FromSads, MotionTracker } from './motion.js';
import type { Plane } from './plane.js';

export interface BuiltinVmafOptions {
  /** Score every n-th frame (1 = all). Motion still sees every reference frame. */
  subsample: number;
  /** Worker threads for VIF/ADM (1 = this thread). */
  threads: number;
  gain: GainLimits;
  /** Score the distorted video against these reference frames only (a probe encode of one scene). */
  referenceFrames?: { startFrame: number; endFrame: number };
  signal?: AbortSignal;
  onFrame?: (framesDone: number) => void;
}

export interface BuiltinFeatureFrames {
  /** Features per frame index; undefined for frames skipped by subsampling. */
  features: Array<VmafFeatures | undefined>;
  frameCount: number;
}

const toPlane = (f: Frame): Plane => ({ width: f.width, height: f.height, bitDepth: f.bitDepth, data: f.luma });

/**
 * Decodes reference and distorted side by side (distorted scaled to the reference size with
 * bicubic, as libvmaf users do), computes motion on every reference frame and VIF/ADM on every
 * n-th pair. Differing frame counts are an error, never a silent truncation.
 */
export async function computeBuiltinFeatures(
  reference: VideoInfo,
  distorted: VideoInfo,
  backend: FfmpegBackend,
  opts: BuiltinVmafOptions,
): Promise<BuiltinFeatureFrames> {
  const bitDepth: 8 | 10 = reference.bitDepth > 8 ? 10 : 8;
  // Both through the same YUV chain (a no-op scale for the reference).
  const geometry = { width: reference.width, height: reference.height, bitDepth, chroma: false, scaleFlags: 'bicubic' } as const;
  const refFrames = decodeFrames(reference.path, backend, { ...geometry, frameRange: opts.referenceFrames, signal: opts.signal });
  const disFrames = decodeFrames(distorted.path, backend, { ...geometry, signal: opts.signal });
  const runner = createFeatureRunner(opts.threads, opts.gain, opts.signal);
  const motion = new MotionTracker(bestMotionKernels());
  const sads: number[] = [];
  let index = 0;
  let done = 0;
  // Keep each worker fed with two pairs while bounding memory.
  const maxInFlight = Math.max(2, 2 * runner.threads);
  const inFlight: Array<Promise<unknown>> = [];
  const results: Array<PairFeatures | undefined> = [];
  try {
    for (;;) {
      if (opts.signal?.aborted) throw new AbortError(opts.signal.reason);
      const [r, d] = await Promise.all([refFrames.next(), disFrames.next()]);
      if (r.done || d.done) {
        if (r.done && d.done) break;
        // Count what is left of the longer one so the error states both lengths.
        let extra = 1;
        const rest = r.done ? disFrames : refFrames;
        while (!(await rest.next()).done) extra++;
        throw new FrameCountMismatchError(r.done ? index : index + extra, d.done ? index : index + extra);
      }
      const ref = toPlane(r.value);
      sads.push(motion.push(ref));
      if (index % opts.subsample === 0) {
        const i = index;
        const p = runner.compute(ref, toPlane(d.value)).then((f) => {
          results[i] = f;
          opts.onFrame?.(++done);
          return f;
        });
        // Only the oldest is awaited; a failure (abort, worker crash) rejects them all at once.
        p.catch(() => undefined);
        inFlight.push(p);
        if (inFlight.length >= maxInFlight) await inFlight.shift();
      }
      index++;
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled([refFrames.return(undefined), disFrames.return(undefined)]);
    await runner.close();
  }
  const motion2 = motion2FromSads(sads);
  const features = Array.from({ length: index }, (_, i) => (results[i] ? { ...results[i]!, motion2: motion2[i]! } : undefined));
  return { features, frameCount: index };
}
