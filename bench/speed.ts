/**
 * Analysis speed against decode-only speed, measured alternately in one run, and peak memory of
 * a long (default 10-minute) 1080p analysis.
 *
 *   npm run bench:speed -- <1080p-video> [--runs 3] [--widths 320,480] [--decoder-threads 3] [--against <checkout>] [--long-minutes 10]
 *
 * `--against` times another checkout's `analyzeVideo` (e.g. a `git worktree` of an older commit, run
 * from its source through tsx) in the same alternation, so a code change is compared side by side.
 *
 * Decode-only is `ffmpeg -i X -f null -` with ffmpeg's default threading: exactly what ffmpeg
 * costs before any analysis. Memory: the analysis runs in a child process; the sum of the resident
 * sizes of that process and its ffmpeg child is sampled every 100 ms.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { analyzeVideo } from '../src/index.js';
import { probeVideo, resolveFfmpeg } from '../src/advanced.js';
import { analysisDecoderThreads } from '../src/media/frames.js';
import { fmt, machineLine, median, timed } from './lib.js';

const run = promisify(execFile);

/** Wall and CPU seconds (CPU: this process and every child it waited for, ffmpeg included). */
type Timing = { wall: number; cpu: number };

function decodeOnly(file: string): Promise<Timing> {
  return timed(() => run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'null', '-']));
}

type AnalyzeFn = typeof analyzeVideo;

function analysis(file: string, analysisWidth?: number, decoderThreads?: number, analyze: AnalyzeFn = analyzeVideo): Promise<Timing> {
  return timed(() => analyze(file, { backend: 'native', analysisWidth, decoderThreads }));
}

/** Sum of VmRSS (bytes) of a process and its direct children (Linux /proc). */
function treeRss(pid: number): number {
  const rss = (p: number) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  let total = rss(pid);
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) total += rss(Number(k));
    }
  } catch {
    /* process ended */
  }
  return total;
}

async function makeLongVideo(minutes: number): Promise<string> {
  const dir = path.join('bench', 'out');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `synthetic-1080p-${minutes}min.mp4`);
  if (existsSync(file)) return file;
  console.log(`generating ${file} (once; cached)…`);
  const tmp = `${file}.tmp.mp4`;
  // Scene changes every 20 s (hue rotation of the pattern) so detection has work to do.
  await run('ffmpeg', [
    '-hide_banner', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=s=1920x1080:r=25:d=${minutes * 60}`,
    '-vf', "hue=h='floor(t/20)*67'",
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '28', '-pix_fmt', 'yuv420p', tmp,
  ]);
  renameSync(tmp, file);
  return file;
}

async function memoryRun(file: string): Promise<{ peak: number; quarters: number[]; frames: number; seconds: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'analyze-child.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let peak = 0;
  const samples: { at: number; rss: number }[] = [];
  const t0 = performance.now();
  const timer = setInterval(() => {
    const rss = treeRss(child.pid!);
    peak = Math.max(peak, rss);
    samples.push({ at: performance.now() - t0, rss });
  }, 100);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`analysis child exited ${code}`);
  const seconds = (performance.now() - t0) / 1000;
  const frames = (JSON.parse(out) as { frames: number }).frames;
  const end = samples.at(-1)?.at ?? 1;
  const quarters = [0.25, 0.5, 0.75, 1].map((q) => Math.max(...samples.filter((s) => s.at <= q * end).map((s) => s.rss), 0));
  return { peak, quarters, frames, seconds };
}

async function main() {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
  // Extra analysis widths to compare in the same run (e.g. --widths 256,480); the default always runs.
  const widths = args.includes('--widths') ? args[args.indexOf('--widths') + 1]!.split(',').map(Number) : [];
  // Extra decoder thread counts to compare in the same run (e.g. --decoder-threads 3: ffmpeg's own
  // default on 2 cores, cores + 1).
  const threads = args.includes('--decoder-threads') ? args[args.indexOf('--decoder-threads') + 1]!.split(',').map(Number) : [];
  // Other checkouts whose analysis to time alongside (e.g. --against ../old: a worktree of an older commit).
  const against = args.includes('--against') ? args[args.indexOf('--against') + 1]!.split(',') : [];
  const minutes = args.includes('--long-minutes') ? Number(args[args.indexOf('--long-minutes') + 1]) : 10;
  if (!file) throw new Error('usage: npm run bench:speed -- <1080p-video> [--runs 3] [--widths 320,480] [--decoder-threads 3] [--against <checkout>] [--long-minutes 10]');
  console.log(`machine: ${machineLine()}`);
  const backend = await resolveFfmpeg({ backend: 'native' });
  const info = await probeVideo(file, backend);
  console.log(`input: ${file} ${info.width}x${info.height} ${info.codec} ${info.frameCount} frames`);
  const others = await Promise.all(
    against.map(async (dir) => {
      const root = path.resolve(dir);
      const { stdout } = await run('git', ['-C', root, 'log', '-1', '--format=%h %s']);
      const analyze = ((await import(path.join(root, 'src', 'index.ts'))) as { analyzeVideo: AnalyzeFn }).analyzeVideo;
      return { label: `${dir} at ${stdout.trim().slice(0, 60)}`, analyze, runs: [] as Timing[] };
    }),
  );
  // Warm the page cache and the JIT so neither side pays a one-off cost.
  await decodeOnly(file);
  await analysis(file);
  for (const o of others) await analysis(file, undefined, undefined, o.analyze);
  const dec: Timing[] = [];
  const ana: Timing[] = [];
  const extra = widths.map(() => [] as Timing[]);
  const extraThreads = threads.map(() => [] as Timing[]);
  for (let i = 0; i < runs; i++) {
    dec.push(await decodeOnly(file));
    ana.push(await analysis(file));
    for (let w = 0; w < widths.length; w++) extra[w]!.push(await analysis(file, widths[w]));
    for (let k = 0; k < threads.length; k++) extraThreads[k]!.push(await analysis(file, undefined, threads[k]));
    for (const o of others) o.runs.push(await analysis(file, undefined, undefined, o.analyze));
  }
  const decFps = info.frameCount / median(dec.map((t) => t.wall));
  const decCpu = median(dec.map((t) => t.cpu));
  const row = (name: string, timings: Timing[]) => {
    const fps = info.frameCount / median(timings.map((t) => t.wall));
    const cpu = median(timings.map((t) => t.cpu));
    return `| ${name} | ${timings.map((t) => fmt(t.wall, 2)).join(', ')} | ${fmt(fps, 1)} | ${fmt(fps / decFps, 2)}× | ${fmt(cpu, 2)} | ${fmt(cpu / decCpu, 2)}× |`;
  };
  console.log('| run | wall seconds per run | frames/s (median) | vs decode-only | CPU seconds (median, with ffmpeg) | CPU vs decode-only |\n|---|---|---|---|---|---|');
  console.log(row('decode-only `ffmpeg -i X -f null -`', dec));
  console.log(row(`scenecrf analysis (default: width 256, ${analysisDecoderThreads()} decoder threads)`, ana));
  widths.forEach((w, i) => console.log(row(`scenecrf analysis, width ${w}`, extra[i]!)));
  threads.forEach((n, i) => console.log(row(`scenecrf analysis, ${n} decoder threads`, extraThreads[i]!)));
  for (const o of others) console.log(row(`analysis of ${o.label}`, o.runs));
  if (minutes > 0) {
    const long = await makeLongVideo(minutes);
    const m = await memoryRun(long);
    const mb = (b: number) => fmt(b / 2 ** 20, 0);
    console.log(
      `memory, ${minutes}-minute 1080p (${m.frames} frames, ${fmt(m.frames / m.seconds, 0)} frames/s): peak ${mb(m.peak)} MB (node + ffmpeg); ` +
        `max RSS by elapsed quarter: ${m.quarters.map(mb).join(' / ')} MB`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
