import { rm } from 'node:fs/promises';
import { encodeSegment } from '../encode/chunked.js';
import type { PreparedEncode } from '../encode/prepared.js';
import type { SegmentCacheSession } from '../encode/segment-cache.js';
import { measureQuality } from '../quality/measure.js';

/**
 * The seam between planEncode's probes and where they run: a probe encodes frames
 * [startFrame, endFrame) at `crf` exactly as the scene's chunk would be encoded and scores it with
 * the builtin VMAF. By default that happens in this process, one probe at a time
 * (`localProbeExecutor`); the queue executor of src/distributed sends a round's probes to workers.
 * A probe's result depends only on its encode key and `subsample`, so where it ran does not change
 * the plan.
 */

export interface ProbeTask {
  startFrame: number;
  endFrame: number;
  crf: number;
  /** VMAF scores every n-th frame. */
  subsample: number;
  /** Scratch path for the encode (removed afterwards); a remote worker uses its own. */
  file: string;
  /** Keep the encode in this segment cache (and take it from there when it already holds it). */
  segmentCache?: string;
  /** In this process: the cache session to use instead of `segmentCache` (never sent to a worker). */
  session?: SegmentCacheSession;
}

export interface ProbeOutcome {
  bytes: number;
  frames: number;
  encodeSeconds: number;
  /** Taken from the segment cache, not encoded now. */
  cached: boolean;
  vmafMean: number;
  vmafP5: number;
}

export interface ProbeExecutor {
  /** Probes run at once (default 1). */
  readonly concurrency?: number;
  probe(p: PreparedEncode, task: ProbeTask, signal: AbortSignal): Promise<ProbeOutcome>;
}

/** One probe in this process: encode (or take from the cache), score against the input, remove the encode. */
export async function probeHere(p: PreparedEncode, task: ProbeTask, signal: AbortSignal, ffmpegPath?: string): Promise<ProbeOutcome> {
  const range = { startFrame: task.startFrame, endFrame: task.endFrame };
  try {
    const enc = await encodeSegment(p, { ...range, crf: task.crf }, task.file, signal, task.session ? { session: task.session } : { segmentCache: task.segmentCache });
    const q = await measureQuality(p.input, task.file, { referenceFrames: range, subsample: task.subsample, ffmpegPath, signal });
    return { bytes: enc.bytes, frames: enc.frames, encodeSeconds: enc.encodeSeconds, cached: enc.cached, vmafMean: q.pooled.mean, vmafP5: q.pooled.p5 };
  } finally {
    await rm(task.file, { force: true });
  }
}

/** The default: probes in this process, one at a time, with `ffmpegPath` for the scoring. */
export function localProbeExecutor(ffmpegPath?: string): ProbeExecutor {
  return { probe: (p, task, signal) => probeHere(p, task, signal, ffmpegPath) };
}
