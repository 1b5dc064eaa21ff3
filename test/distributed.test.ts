/**
 * Per-scene work on a BullMQ queue: a real redis-server (Debian's) on a free loopback port, real
 * worker processes running the built CLI (`scenecrf worker`), real encodes of a fixture. Checks
 * byte-identical outputs against local runs, a worker SIGKILLed mid-chunk, a coordinator killed
 * and rerun, Redis restarted mid-run, refused payloads, input failures that fail once, and
 * cancellation.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { planFromScenes, type EncodePlan } from '../src/core/plan-file.js';
import { queueExecutor } from '../src/distributed/coordinator.js';
import { INCOMING_DIR } from '../src/distributed/storage.js';
import { analyzeVideo } from '../src/analysis/analyze.js';
import { encodePlan } from '../src/encode/chunked.js';
import { optimizeEncode } from '../src/optimize/optimize.js';
import { ScenecrfError } from '../src/errors.js';
import { freePort } from '../bench/lib.js';
import { hasNativeFfmpeg } from './helpers.js';

const hasRedis = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('\n*** SKIPPING distributed tests: no redis-server (CI installs it with apt-get) ***\n');
    return false;
  }
})();

const FIXTURE = path.resolve(__dirname, '../fixtures/cuts.mp4');
const SCENES = [
  { startFrame: 0, endFrame: 48 },
  { startFrame: 48, endFrame: 96 },
  { startFrame: 96, endFrame: 144 },
  { startFrame: 144, endFrame: 192 },
];
const QUEUE = 'scenecrf-test';

let tmp: string;
let input: string;
let port: number;
let redisUrl: string;
let redis: ChildProcess | undefined;
const workers: Worker[] = [];

interface Worker {
  proc: ChildProcess;
  log: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** redis-server with an append-only file fsynced on every write, so a restart loses nothing. */
async function startRedis(): Promise<void> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  await until('redis-server to accept connections', () => /Ready to accept connections/.test(out));
  redis = proc;
}

async function stopRedis(): Promise<void> {
  const proc = redis;
  redis = undefined;
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

function cli(): string {
  return path.join(inject('packageDir'), 'bin', 'scenecrf.cjs');
}

async function startWorker(): Promise<Worker> {
  const proc = spawn(
    process.execPath,
    [cli(), 'worker', '--redis', redisUrl, '--queue', QUEUE, '--root', tmp, '--lock-duration', '4000', '--stalled-interval', '1000'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const w: Worker = { proc, log: '' };
  proc.stderr!.on('data', (d) => (w.log += String(d)));
  workers.push(w);
  await until('the worker to be ready', () => w.log.includes('scenecrf worker: ready') || proc.exitCode !== null);
  if (proc.exitCode !== null) throw new Error(`worker exited: ${w.log}`);
  return w;
}

function makePlan(crfs: number[], options: Record<string, number> = {}): EncodePlan {
  return planFromScenes({ path: input, width: 320, height: 180, frameCount: 192, frameRate: { num: 24, den: 1 } }, SCENES, {
    encoder: 'svt-av1',
    preset: 12,
    crf: (i) => crfs[i]!,
    options,
  });
}

async function localEncode(plan: EncodePlan, name: string): Promise<Buffer> {
  const output = path.join(tmp, `${name}-local.mkv`);
  await encodePlan(plan, { output, threads: 1 });
  return readFile(output);
}

async function distributedEncode(plan: EncodePlan, name: string, signal?: AbortSignal, queue = QUEUE): Promise<Buffer> {
  const output = path.join(tmp, `${name}-queue.mkv`);
  const executor = await queueExecutor({ redis: redisUrl, queue });
  try {
    await encodePlan(plan, { output, threads: 1, executor, signal });
  } finally {
    await executor.close();
  }
  return readFile(output);
}

/** Job keys each worker started, over all workers (a key twice: a chunk encoded twice). */
function starts(): string[] {
  return workers.flatMap((w) => [...w.log.matchAll(/scenecrf worker: start ([0-9a-f]{64})/g)].map((m) => m[1]!));
}

const run = hasNativeFfmpeg && hasRedis ? describe : describe.skip;

run('distributed encodes on BullMQ + Redis', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-queue-'));
    input = path.join(tmp, 'cuts.mp4');
    await copyFile(FIXTURE, input);
    port = await freePort();
    redisUrl = `redis://127.0.0.1:${port}`;
    await startRedis();
    await Promise.all([startWorker(), startWorker()]);
  });

  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    await stopRedis();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('encodes byte-identically to a local run, each chunk once, with progress', async () => {
    const plan = makePlan([30, 35, 40, 45]);
    const before = starts().length;
    const frames: number[] = [];
    const executor = await queueExecutor({ redis: redisUrl, queue: QUEUE });
    const output = path.join(tmp, 'basic-queue.mkv');
    try {
      const r = await encodePlan(plan, { output, threads: 1, executor, onProgress: (p) => frames.push(p.framesDone) });
      expect(r.encodedChunks).toBe(4);
    } finally {
      await executor.close();
    }
    const local = await localEncode(plan, 'basic');
    expect((await readFile(output)).equals(local)).toBe(true);
    expect(starts().length - before, workers.map((w) => w.log).join('\n')).toBe(4);
    expect(frames.at(-1)).toBe(192);
    // Both workers took part (the jobs were queued at once).
    expect(workers.filter((w) => /scenecrf worker: done/.test(w.log)).length).toBe(2);
  });

  it('refuses bad job payloads without running anything', async () => {
    const queue = new Queue(QUEUE, { connection: { url: redisUrl } });
    try {
      const good = {
        version: 1,
        key: 'a'.repeat(64),
        plan: { ...makePlan([30, 30, 30, 30]), scenes: [{ startFrame: 0, endFrame: 192, crf: 30 }] },
        index: 0,
        startFrame: 0,
        endFrame: 48,
        workDir: tmp,
        file: 'chunk-00000.ivf',
        threads: 1,
        keyint: 240,
        trim: 'seek',
        via: 'ffmpeg',
      };
      const bad = {
        // A command line is not a field a worker knows.
        commandLine: { ...good, key: 'b'.repeat(64), args: ['-i', '/etc/passwd', '-f', 'null', '-'] },
        // A path outside the worker's storage root.
        outside: { ...good, key: 'c'.repeat(64), workDir: '/etc' },
        // An encoder option the plan schema refuses (it would be passed to the encoder).
        option: { ...good, key: 'd'.repeat(64), plan: { ...good.plan, options: { 'preset; rm -rf /': 1 } } },
        // The wrong key: this worker would encode other bytes under that id.
        key: { ...good, key: 'e'.repeat(64) },
      };
      const jobs = await Promise.all(Object.entries(bad).map(([name, data]) => queue.add('chunk', data, { jobId: `bad-${name}`, attempts: 1 })));
      for (const job of jobs) {
        const state = await until(`job ${job.id} to fail`, async () => ((await job.getState()) === 'failed' ? 'failed' : undefined));
        expect(state).toBe('failed');
        const failed = (await queue.getJob(job.id!))!;
        expect(failed.failedReason).toMatch(/^INVALID_OPTIONS: /);
      }
      const reasons = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id!))!.failedReason));
      expect(reasons[0]).toMatch(/commandLine|unrecognized/i);
      expect(reasons[1]).toMatch(/outside this worker's storage root/);
      expect(reasons[2]).toMatch(/option names/);
      expect(reasons[3]).toMatch(/chunk key mismatch/);
      // Nothing was written for them.
      expect((await readdir(tmp)).filter((f) => f.startsWith('chunk-'))).toEqual([]);
    } finally {
      await queue.close();
    }
  });

  it('fails the run once with the error of the input, as a local run does', async () => {
    const plan = makePlan([31, 36, 41, 46], { tune: 9 });
    const local = await encodePlan(plan, { output: path.join(tmp, 'bad-local.mkv'), threads: 1 }).catch((e: unknown) => e);
    expect(local).toBeInstanceOf(ScenecrfError);
    const remote = await distributedEncode(plan, 'bad').catch((e: unknown) => e);
    expect(remote).toBeInstanceOf(ScenecrfError);
    expect((remote as ScenecrfError).code).toBe((local as ScenecrfError).code);
    expect((remote as ScenecrfError).code).toBe('FFMPEG_FAILED');
    const queue = new Queue(QUEUE, { connection: { url: redisUrl } });
    try {
      const failed = await queue.getFailed();
      const ours = failed.filter((j) => (j.data as { plan?: { options?: { tune?: number } } }).plan?.options?.tune === 9);
      expect(ours.length).toBeGreaterThan(0);
      for (const j of ours) expect(j.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it('cancelling the coordinator removes its waiting jobs', async () => {
    // No worker listens on this queue: the jobs wait until the abort removes them.
    const idle = 'scenecrf-idle';
    const controller = new AbortController();
    const done = distributedEncode(makePlan([32, 37, 42, 47]), 'cancel', controller.signal, idle).catch((e: unknown) => e);
    const queue = new Queue(idle, { connection: { url: redisUrl } });
    try {
      await until('the jobs to be queued', async () => ((await queue.getWaitingCount()) === 4 ? true : undefined));
      controller.abort(new Error('test'));
      const e = await done;
      expect((e as ScenecrfError).code).toBe('ABORTED');
      expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    } finally {
      await queue.close();
    }
  });

  it('a coordinator killed mid-run and rerun resumes without redoing finished chunks', async () => {
    const plan = makePlan([33, 38, 43, 48]);
    const planFile = path.join(tmp, 'resume-plan.json');
    await writeFile(planFile, JSON.stringify(plan));
    const output = path.join(tmp, 'resume-queue.mkv');
    const args = [cli(), 'encode', input, '--plan', planFile, '-o', output, '--threads', '1', '--redis', redisUrl, '--queue', QUEUE, '--quiet'];
    const before = starts().length;
    const doneBefore = workers.reduce((a, w) => a + (w.log.match(/scenecrf worker: done/g)?.length ?? 0), 0);
    const first = spawn(process.execPath, args, { stdio: 'ignore' });
    await until('a chunk to be finished by a worker', () => workers.reduce((a, w) => a + (w.log.match(/scenecrf worker: done/g)?.length ?? 0), 0) > doneBefore);
    first.kill('SIGKILL');
    await new Promise((r) => (first.exitCode !== null ? r(undefined) : first.once('exit', r)));
    const rerun = spawn(process.execPath, [...args, '--force'], { stdio: 'ignore' });
    expect(await new Promise((r) => rerun.once('exit', r))).toBe(0);
    await sleep(300); // the workers' last log lines
    const ours = starts().slice(before);
    expect(ours.length, workers.map((w) => w.log).join('\n')).toBe(4);
    expect(new Set(ours).size).toBe(4);
    expect((await readFile(output)).equals(await localEncode(plan, 'resume'))).toBe(true);
  });

  it('completes when Redis is restarted mid-run (append-only file on)', async () => {
    const plan = makePlan([34, 39, 44, 49]);
    const doneBefore = workers.reduce((a, w) => a + (w.log.match(/scenecrf worker: done/g)?.length ?? 0), 0);
    const result = distributedEncode(plan, 'restart');
    await until('a chunk to be finished', () => workers.reduce((a, w) => a + (w.log.match(/scenecrf worker: done/g)?.length ?? 0), 0) > doneBefore);
    await stopRedis();
    await sleep(500);
    await startRedis();
    expect((await result).equals(await localEncode(plan, 'restart'))).toBe(true);
  });

  it('optimize with probes on the queue gives the local plan, probes and bytes', async () => {
    const analysis = await analyzeVideo(input);
    const options = { encoder: 'svt-av1', preset: 12, targetVmaf: 90, probes: 1, proxy: false, maxRounds: 0, validate: false } as const;
    const local = await optimizeEncode(input, { ...options, output: path.join(tmp, 'opt-local.mkv') }, { analysis });
    const before = starts().length;
    const executor = await queueExecutor({ redis: redisUrl, queue: QUEUE });
    let remote;
    try {
      remote = await optimizeEncode(input, { ...options, output: path.join(tmp, 'opt-queue.mkv') }, { analysis, executor });
    } finally {
      await executor.close();
    }
    // The probes ran on the workers (one job each), and measured what the local probes measured.
    expect(starts().length - before).toBeGreaterThanOrEqual(4);
    const probesOf = (r: typeof local) => r.planned.scenes.map((s) => s.probes.map(({ encodeSeconds: _e, cached: _c, ...p }) => p));
    expect(probesOf(remote)).toEqual(probesOf(local));
    expect(remote.plan).toEqual({ ...local.plan, input: { ...local.plan.input } });
    expect((await readFile(path.join(tmp, 'opt-queue.mkv'))).equals(await readFile(path.join(tmp, 'opt-local.mkv')))).toBe(true);
  }, 300_000); // two optimize runs: minutes when the machine is shared

  it('a worker stopped with SIGTERM finishes its running chunk, then exits', async () => {
    await startWorker(); // so that two remain for the next test
    const plan = makePlan([27, 28, 29, 30]);
    const result = distributedEncode(plan, 'term');
    const incoming = path.join(tmp, 'term-queue.mkv.scenecrf-work', INCOMING_DIR);
    const partial = await until('a chunk being written', async () => (await readdir(incoming).catch(() => [])).find((f) => f.endsWith('.tmp')));
    const pid = Number(/\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(partial)![1]);
    const stopped = workers.find((w) => w.proc.pid === pid)!;
    const started = stopped.log.match(/scenecrf worker: start [0-9a-f]{64}/g)!.length;
    stopped.proc.kill('SIGTERM');
    const code = await new Promise((r) => (stopped.proc.exitCode !== null ? r(stopped.proc.exitCode) : stopped.proc.once('exit', r)));
    expect(code).toBe(0);
    // It finished what it had started and took nothing after the signal.
    expect(stopped.log).toMatch(/stopping after the running jobs[\s\S]*scenecrf worker: done/);
    expect(stopped.log.match(/scenecrf worker: start [0-9a-f]{64}/g)!.length).toBe(started);
    expect((await result).equals(await localEncode(plan, 'term'))).toBe(true);
    workers.splice(workers.indexOf(stopped), 1);
  });

  it('a Redis with a password: the right one connects, a wrong one fails instead of hanging', async () => {
    const securePort = await freePort();
    const secure = spawn('redis-server', ['--port', String(securePort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 's3cret'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      secure.stdout!.on('data', (d) => (out += String(d)));
      await until('the second redis-server', () => /Ready to accept connections/.test(out));
      const ok = await queueExecutor({ redis: `redis://:s3cret@127.0.0.1:${securePort}`, queue: QUEUE });
      await ok.close();
      const wrong = await queueExecutor({ redis: `redis://:wrong@127.0.0.1:${securePort}`, queue: QUEUE }).catch((e: unknown) => e);
      expect(String(wrong)).toMatch(/WRONGPASS|NOAUTH|invalid password/i);
    } finally {
      secure.kill('SIGTERM');
    }
  });

  it('a worker SIGKILLed in the middle of a chunk: the job moves to another worker, identical output', async () => {
    // A slower preset so that a chunk is caught being written.
    const plan = { ...makePlan([28, 29, 30, 31]), preset: 8 };
    const result = distributedEncode(plan, 'kill');
    const incoming = path.join(tmp, 'kill-queue.mkv.scenecrf-work', INCOMING_DIR);
    const partial = await until('a chunk being written', async () => (await readdir(incoming).catch(() => [])).find((f) => f.endsWith('.tmp')));
    const host = os.hostname();
    const pid = Number(new RegExp(`\\.${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.`).exec(partial)![1]);
    const victim = workers.find((w) => w.proc.pid === pid);
    expect(victim).toBeDefined();
    victim!.proc.kill('SIGKILL');
    expect((await result).equals(await localEncode(plan, 'kill'))).toBe(true);
  });
});
