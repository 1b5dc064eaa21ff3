/**
 * The queue's cost per job, and a paper estimate of a two-hour film on many workers.
 *
 *   npm run bench:queue -- [--chunks 16] [--concurrency 2] [--rounds 3] [--preset 8] [--no-film]
 *
 * 1. Overhead: fixtures/cuts.mp4 cut into `--chunks` equal chunks (SVT-AV1 preset 12, one thread
 *    each) is encoded locally with `--jobs C` and through the queue by C worker processes
 *    (`scenecrf worker --concurrency 1`, from the sources via tsx) against a redis-server started
 *    here, alternately, `--rounds` times (a new CRF each round, so no job is a repeat). The workers
 *    get one untimed warm-up run (their per-input preparation). Per-job overhead =
 *    (queue wall − local wall) × C / chunks.
 * 2. A 5-second 1080p chunk: 120 frames of testsrc2 at 1920x1080 (made here, near-lossless H.264)
 *    encoded as one chunk at `--preset`, all cores, locally: the job size the overhead is compared to.
 * 3. The estimate for a 2-hour 24 fps 1080p film (172,800 frames, 2,000 scenes) on 1, 8 and 64
 *    workers of this machine's size, from 1 and 2 and the analysis speed in bench/RESULTS.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { planFromScenes, type EncodePlan } from '../src/core/plan-file.js';
import { queueExecutor } from '../src/distributed/coordinator.js';
import { encodePlan } from '../src/encode/chunked.js';
import { fmt, freePort, machineLine, median } from './lib.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURE = path.join(ROOT, 'fixtures', 'cuts.mp4');
const FRAMES = 192;

/** Analysis speed of 1080p H.264 (bench/RESULTS.md, "Analysis speed against decode-only", 2026-11-30). */
const ANALYSIS_FPS_1080P = 227.6;

async function waitFor(proc: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp): Promise<void> {
  let text = '';
  await new Promise<void>((resolve, reject) => {
    proc[stream]!.on('data', (d) => {
      text += String(d);
      if (re.test(text)) resolve();
    });
    proc.once('exit', () => reject(new Error(`exited before ${re}: ${text}`)));
  });
}

function plan(input: string, chunks: number, crf: number, preset: number, frames = FRAMES, width = 320, height = 180): EncodePlan {
  const size = Math.floor(frames / chunks);
  const scenes = Array.from({ length: chunks }, (_, i) => ({ startFrame: i * size, endFrame: i === chunks - 1 ? frames : (i + 1) * size }));
  return planFromScenes({ path: input, width, height, frameCount: frames, frameRate: { num: 24, den: 1 } }, scenes, { encoder: 'svt-av1', preset, crf: () => crf });
}

async function main() {
  const { values } = parseArgs({
    options: {
      chunks: { type: 'string', default: '16' },
      concurrency: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      preset: { type: 'string', default: '8' },
      'no-film': { type: 'boolean', default: false },
    },
  });
  const chunks = Number(values.chunks);
  const c = Number(values.concurrency);
  const rounds = Number(values.rounds);
  const preset = Number(values.preset);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-bench-queue-'));
  const input = path.join(tmp, 'cuts.mp4');
  await copyFile(FIXTURE, input);
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:${port}`;
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const workers: ChildProcess[] = [];
  try {
    await waitFor(redis, 'stdout', /Ready to accept connections/);
    for (let i = 0; i < c; i++) {
      const w = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'worker', '--redis', redisUrl, '--root', tmp, '--queue', 'bench'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      workers.push(w);
      await waitFor(w, 'stderr', /scenecrf worker: ready/);
    }
    const executor = await queueExecutor({ redis: redisUrl, queue: 'bench' });
    const timeRun = async (crf: number, queued: boolean) => {
      const t = performance.now();
      await encodePlan(plan(input, chunks, crf, 12), { output: path.join(tmp, `r${crf}-${queued ? 'q' : 'l'}.mkv`), threads: 1, jobs: c, executor: queued ? executor : undefined });
      return (performance.now() - t) / 1000;
    };
    await timeRun(20, true); // warm-up: the workers prepare the input once
    await timeRun(20, false);
    const local: number[] = [];
    const queue: number[] = [];
    for (let r = 0; r < rounds; r++) {
      local.push(await timeRun(30 + r, false));
      queue.push(await timeRun(30 + r, true));
    }
    await executor.close();
    const perJob = ((median(queue) - median(local)) * c) / chunks;
    console.log(machineLine());
    console.log(`overhead: ${chunks} chunks of ${FRAMES / chunks} frames (320x180, SVT-AV1 preset 12, 1 thread), concurrency ${c}, ${rounds} rounds`);
    console.log(`  local pool (--jobs ${c}): ${local.map((x) => fmt(x, 2)).join(' ')} s, median ${fmt(median(local), 2)} s (${fmt(median(local) * c / chunks, 3)} s per job)`);
    console.log(`  queue (${c} workers):      ${queue.map((x) => fmt(x, 2)).join(' ')} s, median ${fmt(median(queue), 2)} s (${fmt(median(queue) * c / chunks, 3)} s per job)`);
    console.log(`  queue overhead per job: ${fmt(perJob, 3)} s`);

    if (values['no-film']) return;
    const hd = path.join(tmp, 'hd.mp4');
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=24', '-frames:v', '120', '-c:v', 'libx264', '-crf', '12', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', hd]);
    const t = performance.now();
    const r = await encodePlan(plan(hd, 1, 35, preset, 120, 1920, 1080), { output: path.join(tmp, 'hd.mkv') });
    const chunkSeconds = (performance.now() - t) / 1000;
    const encodeOnly = r.chunks[0]!.encodeSeconds;
    console.log(`5-second 1080p chunk (120 frames testsrc2, SVT-AV1 preset ${preset}, CRF 35, all cores): ${fmt(encodeOnly, 2)} s encode, ${fmt(chunkSeconds, 2)} s with checks and concat; ${(await stat(hd)).size} B in, ${r.bytes} B out`);
    console.log(`  queue overhead / chunk encode: ${fmt((100 * perJob) / encodeOnly, 2)}% (goal ≤ 5%)`);

    // Paper estimate: a 2-hour 24 fps film, 2,000 scenes, workers the size of this machine.
    const frames = 172_800;
    const scenes = 2_000;
    const perFrame = encodeOnly / 120;
    const analysis = frames / ANALYSIS_FPS_1080P;
    const outBytes = (r.bytes / 120) * frames;
    console.log(`2-hour 1080p film (${frames} frames, ${scenes} scenes), per-frame encode ${fmt(perFrame, 3)} s on one worker, analysis ${fmt(analysis / 60, 1)} min (${ANALYSIS_FPS_1080P} fps), output ≈ ${fmt(outBytes / 1e9, 2)} GB`);
    for (const w of [1, 8, 64]) {
      const encode = (frames * perFrame + scenes * Math.max(0, perJob)) / w;
      const total = analysis + encode;
      // Storage: every worker reads its stretch of the input (8 Mbit/s source assumed) and writes its chunk.
      const mbps = ((8e6 / 8) * (frames / 24) + outBytes) / encode / 1e6;
      console.log(`  ${String(w).padStart(2)} worker(s): encode ${fmt(encode / 3600, 2)} h + analysis ${fmt(analysis / 3600, 2)} h = ${fmt(total / 3600, 2)} h; storage ≈ ${fmt(mbps, 1)} MB/s`);
    }
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(undefined) : w.once('exit', r)))));
    redis.kill('SIGTERM');
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
