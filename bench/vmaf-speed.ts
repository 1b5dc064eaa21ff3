/**
 * Builtin VMAF speed: frames/s of the feature computation (VIF + ADM + motion + fusion) on
 * pre-decoded frames, as libvmaf's own figure is measured (y4m already on /dev/shm, decoding not
 * counted), at 640x360, 1280x720 and 1920x1080; on one thread and on worker threads; plus the
 * end-to-end `measureQuality` time (decoding included).
 *
 *   npm run bench:vmaf-speed -- [--reference <video>] [--frames 24] [--e2e-frames 144] [--threads 2]
 *
 * Material: the reference (default: the shared megamind clip libvmaf was timed on, looped) scaled
 * with lanczos to each size, and its x264 crf 30 encode as the distorted version. The kernel
 * figures use the first `--frames` frames; the end-to-end run scores all `--e2e-frames` so that
 * start-up (resolving ffmpeg, probes, first decoded frame: ~1 s) is amortised as in real use.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureQuality } from '../src/index.js';
import { createFeatureRunner } from '../src/quality/feature-pool.js';
import { bestMotionKernels, computePairFeatures } from '../src/quality/frame-features.js';
import { MotionTracker } from '../src/quality/motion.js';
import type { Plane } from '../src/quality/plane.js';
import { resolveVmafModel } from '../src/quality/vmaf-model.js';
import { machineLine } from './lib.js';

const { values } = parseArgs({
  options: {
    reference: { type: 'string', default: path.resolve('../shared/vmaf-reference/clips/megamind_720_svtav1_crf32.ref.mkv') },
    frames: { type: 'string', default: '24' },
    'e2e-frames': { type: 'string', default: '144' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const frames = Number(values.frames);
const e2eFrames = Number(values['e2e-frames']);
const threads = Number(values.threads);
const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';
const work = path.join(os.tmpdir(), `scenecrf-vmaf-speed-${process.pid}`);
mkdirSync(work, { recursive: true });

// libvmaf 3.2.0, one thread, same machine kind (shared/vmaf-reference/README.md, median of 5).
const LIBVMAF_FPS: Record<string, number> = { '640x360': 94.5, '1280x720': 25.3, '1920x1080': 12.4 };

function material(w: number, h: number): { ref: string; dis: string } {
  const ref = path.join(work, `ref_${w}x${h}.mkv`);
  const dis = path.join(work, `dis_${w}x${h}.mp4`);
  execFileSync(ffmpeg, ['-nostdin', '-v', 'error', '-y', '-stream_loop', '-1', '-i', values.reference!, '-frames:v', String(Math.max(frames, e2eFrames)), '-vf', `scale=${w}:${h}:flags=lanczos,format=yuv420p`, '-c:v', 'ffv1', ref]);
  execFileSync(ffmpeg, ['-nostdin', '-v', 'error', '-y', '-i', ref, '-c:v', 'libx264', '-preset', 'medium', '-crf', '30', '-threads', '1', dis]);
  return { ref, dis };
}

function lumaPlanes(file: string, w: number, h: number): Plane[] {
  const raw = execFileSync(ffmpeg, ['-nostdin', '-v', 'error', '-i', file, '-vf', 'extractplanes=y', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { maxBuffer: 1 << 30 });
  const n = w * h;
  const out: Plane[] = [];
  for (let o = 0; o + n <= raw.length && out.length < frames; o += n) out.push({ width: w, height: h, bitDepth: 8, data: new Uint8Array(raw.buffer, raw.byteOffset + o, n) });
  return out;
}

const model = await resolveVmafModel();

function singleThreadFps(ref: Plane[], dis: Plane[]): number {
  // One warm-up frame so JIT/WASM compilation is not counted.
  computePairFeatures(ref[0]!, dis[0]!);
  const t = performance.now();
  const motion = new MotionTracker(bestMotionKernels());
  for (let i = 0; i < ref.length; i++) {
    const f = computePairFeatures(ref[i]!, dis[i]!);
    // The fusion (motion2 here is this frame's SAD: the cost is the same).
    model.predict({ ...f, motion2: motion.push(ref[i]!) });
  }
  return ref.length / ((performance.now() - t) / 1000);
}

async function workerFps(ref: Plane[], dis: Plane[], n: number): Promise<number> {
  const runner = createFeatureRunner(n, {});
  await Promise.all(Array.from({ length: n }, () => runner.compute(ref[0]!, dis[0]!)));
  const t = performance.now();
  const motion = new MotionTracker(bestMotionKernels());
  const jobs: Array<Promise<unknown>> = [];
  for (let i = 0; i < ref.length; i++) {
    jobs.push(runner.compute(ref[i]!, dis[i]!));
    motion.push(ref[i]!);
    if (jobs.length >= 2 * n) await jobs.shift();
  }
  await Promise.all(jobs);
  const fps = ref.length / ((performance.now() - t) / 1000);
  await runner.close();
  return fps;
}

console.log(`machine: ${machineLine()}`);
console.log(`material: ${values.reference} looped to ${Math.max(frames, e2eFrames)} frames, scaled (lanczos); distorted = x264 crf 30; kernels timed on ${frames} frames, end-to-end on all`);
console.log('| size | builtin 1 thread fps | vs libvmaf 1 thread | builtin ' + threads + ' workers fps | measureQuality end-to-end fps (threads ' + threads + ') |');
console.log('|---|---|---|---|---|');
try {
  for (const [w, h] of [[640, 360], [1280, 720], [1920, 1080]] as const) {
    const { ref, dis } = material(w, h);
    const r = lumaPlanes(ref, w, h);
    const d = lumaPlanes(dis, w, h);
    const one = singleThreadFps(r, d);
    const many = await workerFps(r, d, threads);
    const q = await measureQuality(ref, dis, { vmafBackend: 'builtin', threads });
    const key = `${w}x${h}`;
    console.log(`| ${key} | ${one.toFixed(1)} | ${(one / LIBVMAF_FPS[key]!).toFixed(2)}× (libvmaf ${LIBVMAF_FPS[key]}) | ${many.toFixed(1)} | ${(q.frameCount / q.elapsedSeconds).toFixed(1)} (VMAF ${q.pooled.mean.toFixed(2)}) |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
