import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { computePairFeatures, type GainLimits, type PairFeatures } from './frame-features.js';
import type { Plane } from './plane.js';

/**
 * Runs VIF+ADM for frame pairs on `threads` worker threads (or in this thread when threads is 1),
 * so a multi-core machine scores several frames at once. Results come back as promises; callers
 * bound how many they keep in flight.
 */
export interface FeatureRunner {
  readonly threads: number;
  compute(ref: Plane, dis: Plane): Promise<PairFeatures>;
  close(): Promise<void>;
}

/** The worker script: bundled next to the library in dist/, or the TypeScript source under tsx. */
function workerScript(): { file: string; execArgv: string[] } {
  const dist = fileURLToPath(new URL('./quality-worker.cjs', import.meta.url));
  if (existsSync(dist)) return { file: dist, execArgv: [] };
  const src = fileURLToPath(new URL('./feature-worker.ts', import.meta.url));
  // Running from source (tests, ts-node notebooks): the worker needs a TypeScript loader.
  return { file: src, execArgv: ['--import', 'tsx'] };
}

export function createFeatureRunner(threads: number, gain: GainLimits): FeatureRunner {
  if (threads <= 1) {
    return {
      threads: 1,
      compute: async (ref, dis) => computePairFeatures(ref, dis, gain),
      close: async () => {},
    };
  }
  const { file, execArgv } = workerScript();
  const workers = Array.from({ length: threads }, () => new Worker(file, { execArgv }));
  const pending = new Map<number, { resolve: (f: PairFeatures) => void; reject: (e: Error) => void }>();
  const load = new Map<Worker, number>(workers.map((w) => [w, 0]));
  let nextId = 0;
  for (const w of workers) {
    w.on('message', (m: { id: number; features?: PairFeatures; error?: string }) => {
      load.set(w, load.get(w)! - 1);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!p) return;
      if (m.error) p.reject(new Error(`VMAF feature worker failed: ${m.error}`));
      else p.resolve(m.features!);
    });
    w.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  }
  return {
    threads,
    compute(ref, dis) {
      // Least-loaded worker; planes are copied (the caller keeps the reference for motion).
      const w = workers.reduce((a, b) => (load.get(b)! < load.get(a)! ? b : a));
      load.set(w, load.get(w)! + 1);
      const id = nextId++;
      return new Promise<PairFeatures>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const refData = ref.data.slice();
        const disData = dis.data.slice();
        w.postMessage(
          { id, width: ref.width, height: ref.height, bitDepth: ref.bitDepth, ref: refData, dis: disData, gain },
          [refData.buffer, disData.buffer],
        );
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
