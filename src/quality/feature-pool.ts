import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AbortError } from '../errors.js';
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

/**
 * How to start a worker: the script bundled next to the library in dist/, or — running from the
 * TypeScript sources (tests, notebooks) — a small bootstrap that loads the source through tsx's
 * API, resolved from this package rather than the caller's working directory.
 */
function workerSpec(): { script: string; eval: boolean } {
  const dist = fileURLToPath(new URL('./quality-worker.cjs', import.meta.url));
  if (existsSync(dist)) return { script: dist, eval: false };
  const src = fileURLToPath(new URL('./feature-worker.ts', import.meta.url));
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsxApi = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist', 'esm', 'api', 'index.mjs')).href;
  const srcUrl = pathToFileURL(src).href;
  return {
    script: `import(${JSON.stringify(tsxApi)}).then((m) => m.tsImport(${JSON.stringify(srcUrl)}, ${JSON.stringify(srcUrl)}));`,
    eval: true,
  };
}

/**
 * `signal`: on abort the workers are terminated at once and every pending computation rejects with
 * an AbortError — a worker busy with a 1080p frame would otherwise keep the process for its frame
 * and the ones queued behind it.
 */
export function createFeatureRunner(threads: number, gain: GainLimits, signal?: AbortSignal): FeatureRunner {
  if (threads <= 1) {
    return {
      threads: 1,
      compute: async (ref, dis) => computePairFeatures(ref, dis, gain),
      close: async () => {},
    };
  }
  const spec = workerSpec();
  const workers = Array.from({ length: threads }, () => new Worker(spec.script, { eval: spec.eval }));
  const pending = new Map<number, { resolve: (f: PairFeatures) => void; reject: (e: Error) => void }>();
  const load = new Map<Worker, number>(workers.map((w) => [w, 0]));
  let nextId = 0;
  let closing = false;
  // A worker that dies (failed start, crash) fails everything queued and everything after.
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  for (const w of workers) {
    w.on('message', (m: { id: number; features?: PairFeatures; error?: string }) => {
      load.set(w, load.get(w)! - 1);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!p) return;
      if (m.error) p.reject(new Error(`VMAF feature worker failed: ${m.error}`));
      else p.resolve(m.features!);
    });
    w.on('error', (e) => fail(new Error(`VMAF feature worker failed: ${e.message}`, { cause: e })));
    w.on('exit', (code) => {
      if (!closing) fail(new Error(`VMAF feature worker exited unexpectedly (code ${code})`));
    });
  }
  const onAbort = () => {
    closing = true;
    fail(new AbortError(signal!.reason));
    for (const w of workers) void w.terminate();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    threads,
    compute(ref, dis) {
      if (failure) return Promise.reject(failure);
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
      signal?.removeEventListener('abort', onAbort);
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
