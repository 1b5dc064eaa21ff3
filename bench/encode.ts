/**
 * Wall time of a chunked per-scene encode (1 job, then 2 jobs) against one plain ffmpeg encode
 * of the whole file at the same settings (same encoder, preset, CRF for every scene, keyframe
 * interval, bit depth), measured alternately in one run.
 *
 *   npm run bench:encode -- <video> [--frames 300] [--encoder svt-av1] [--preset 10] [--crf 35] [--rounds 2]
 *
 * With --frames the first N frames are first transcoded to a near-lossless H.264 intermediate
 * (not timed), so every variant decodes the same short input. Scenes come from analyzeVideo.
 * The plain encode forces keyframes at the scene starts (`-force_key_frames`) so that both have
 * the same GOP layout; ffmpeg 5.1's libsvtav1 ignores that, so for svt-av1 the plain encode has
 * keyframes only every 10 s and the byte counts differ (a keyframe at a scene start can cost a lot).
 * Threads: the plain encode and the 1-job chunked encode use all cores per encode; the 2-job
 * encode gives each chunk cores/2. Ratios are chunked / plain (lower is faster).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { analyzeVideo } from '../src/index.js';
import { probeVideo, resolveFfmpeg } from '../src/advanced.js';
import { encodePlan } from '../src/encode/chunked.js';
import { assertEncoderSupported } from '../src/encode/encoders.js';
import { planFromScenes } from '../src/core/plan-file.js';
import { type EncoderName } from '../src/core/encoders.js';
import { fmt, machineLine, median } from './lib.js';

const run = promisify(execFile);

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      frames: { type: 'string' },
      encoder: { type: 'string', default: 'svt-av1' },
      preset: { type: 'string' },
      crf: { type: 'string', default: '35' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const source = positionals[0];
  if (!source) throw new Error('usage: npm run bench:encode -- <video> [--frames N] [--encoder svt-av1|aom|vp9] [--preset P] [--crf C] [--rounds R]');
  const encoder = values.encoder as EncoderName;
  const preset = Number(values.preset ?? (encoder === 'svt-av1' ? 10 : 8));
  const crf = Number(values.crf);
  const rounds = Number(values.rounds);
  const cores = os.availableParallelism();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-bench-encode-'));
  try {
    const backend = await resolveFfmpeg({ backend: 'native' });
    const adapter = assertEncoderSupported(backend, encoder);
    let input = path.resolve(source);
    if (values.frames) {
      input = path.join(tmp, 'input.mp4');
      await run(backend.path, ['-hide_banner', '-nostdin', '-v', 'error', '-i', source, '-map', '0:V:0', '-frames:v', values.frames, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '12', '-pix_fmt', 'yuv420p', input]);
    }
    const info = await probeVideo(input, backend);
    const analysis = await analyzeVideo(input);
    const frameCount = analysis.scenes.at(-1)!.endFrame;
    const plan = planFromScenes(
      { path: input, width: info.width, height: info.height, frameCount, frameRate: info.frameRate },
      analysis.scenes,
      { encoder, preset, crf },
    );
    const keyint = Math.round(10 * (info.frameRate.num / info.frameRate.den));

    const plain = async () => {
      const out = path.join(tmp, 'plain.ivf');
      const args = adapter.args({ crf, preset, bitDepth: 8, threads: cores, keyint, options: {} });
      // Keyframes where the chunks start, so both have the same GOP layout (libaom and libvpx
      // honour this; ffmpeg 5.1's libsvtav1 ignores forced keyframes).
      const starts = plan.scenes.slice(1).map((s) => `eq(n,${s.startFrame})`);
      if (starts.length) args.push('-force_key_frames', `expr:${starts.join('+')}`);
      const t = performance.now();
      await run(backend.path, ['-hide_banner', '-nostdin', '-v', 'error', '-i', input, '-map', '0:V:0', ...args, '-f', 'ivf', '-y', out], { maxBuffer: 1 << 26 });
      return { seconds: (performance.now() - t) / 1000, bytes: (await stat(out)).size };
    };
    const chunked = (jobs: number) => async () => {
      const out = path.join(tmp, `chunked-${jobs}.mkv`);
      const workDir = path.join(tmp, `work-${jobs}-${Math.random().toString(36).slice(2)}`);
      const t = performance.now();
      const r = await encodePlan(plan, { output: out, workDir, jobs, threads: Math.max(1, Math.floor(cores / jobs)) });
      const seconds = (performance.now() - t) / 1000;
      await rm(workDir, { recursive: true, force: true });
      return { seconds, bytes: r.bytes };
    };
    const variants: Array<[string, () => Promise<{ seconds: number; bytes: number }>]> = [
      ['plain ffmpeg (1 encode)', plain],
      ['chunked, 1 job', chunked(1)],
      ['chunked, 2 jobs', chunked(2)],
    ];
    const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
    const sizes = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      // Rotate the order each round so no variant always runs first (cold caches) or last.
      const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
      for (const [name, fn] of order) {
        const res = await fn();
        times.get(name)!.push(res.seconds);
        sizes.set(name, res.bytes);
        process.stderr.write(`round ${r + 1}: ${name}: ${fmt(res.seconds, 2)} s\n`);
      }
    }
    const base = median(times.get(variants[0]![0])!);
    console.log(`\nmachine: ${machineLine()}`);
    console.log(
      `input: ${path.basename(source)}${values.frames ? ` (first ${frameCount} frames)` : ''}, ${info.width}x${info.height}, ${analysis.scenes.length} scenes; ` +
        `${encoder} preset ${preset}, CRF ${crf} for every scene (scene starts: ${plan.scenes.map((s) => s.startFrame).join(', ')}); ${rounds} rounds, median wall time\n`,
    );
    console.log('| variant | wall s (median) | runs | fps | ratio to plain | output KiB |');
    console.log('|---|---:|---|---:|---:|---:|');
    for (const [name] of variants) {
      const ts = times.get(name)!;
      const m = median(ts);
      console.log(`| ${name} | ${fmt(m, 2)} | ${ts.map((t) => fmt(t, 1)).join(', ')} | ${fmt(frameCount / m, 1)} | ${fmt(m / base, 2)}× | ${fmt(sizes.get(name)! / 1024, 0)} |`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
