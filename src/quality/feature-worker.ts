// Worker-thread entry: computes VIF and ADM for frame pairs posted by FeaturePool.
import { parentPort } from 'node:worker_threads';
import { computePairFeatures, type GainLimits } from './frame-features.js';

interface Job {
  id: number;
  width: number;
  height: number;
  bitDepth: 8 | 10;
  ref: Uint8Array | Uint16Array;
  dis: Uint8Array | Uint16Array;
  gain: GainLimits;
}

parentPort!.on('message', (job: Job) => {
  try {
    const { width, height, bitDepth } = job;
    const features = computePairFeatures({ width, height, bitDepth, data: job.ref }, { width, height, bitDepth, data: job.dis }, job.gain);
    parentPort!.postMessage({ id: job.id, features });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
