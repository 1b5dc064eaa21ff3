/**
 * Optimizer benchmark on held-out videos (never in the models' training data): for each video,
 * encoder and target VMAF (mean per scene):
 * - hit rate of the plan with 0 probes (±2) and 1 probe (±1), measured by real encodes;
 * - bits saved vs one fixed-CRF encode of the whole video, the fixed CRF being the highest that
 *   gives the same 5th-percentile scene VMAF as the plan (found on a grid of fixed-CRF encodes,
 *   interpolated linearly in CRF for p5 and in log(bytes) for size);
 * - CPU time (user + system of this process and every child it waited for: analysis, probes,
 *   encodes; not the validation VMAF) relative to the fixed-CRF encode at that CRF;
 * - an Av1an-style target-quality search built from scenecrf's own pieces: 4 probes per scene at
 *   a fast preset, every 4th frame scored (Av1an's default probing rate), CRF interpolated;
 * - "capped" scenes (assessScenes): more than 1 away from the target at the CRF bound that would
 *   fix them (above it at the variant's highest CRF), and the hit rates over the other scenes.
 *
 *   npm run bench:optimizer -- <video>... [--encoder svt-av1 --encoder vp9] [--target 93 --target 95]
 *        [--fixed-crfs svt-av1=24,32,40,48,vp9=24,32,40,48] [--work dir] [--subsample 2] [--no-av1an]
 *        [--probes 0,1] (probe counts to plan with) [--probe-frames all,48] (frames per probe)
 *        [--model svt-av1=file.json,vp9=file.json] (CRF models to plan with; default the shipped ones)
 *        [--proxy auto|on|off] (proxy curves: auto = planEncode's default, on with probes when a
 *        proxy model is shipped; variants planned with them are labelled "+ proxy")
 *        [--rounds 1,2] (also: 0 probes, encode, validate, re-encode the scenes outside ±1, up
 *        to R rounds: optimizeEncode's maxRounds)
 *
 * Validation VMAF scores every `--subsample`-th frame (default 2) of each scene.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../src/util/atomic.js';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { analyzeVideo, encodePlan, measureQuality, type AnalysisResult } from '../src/index.js';
import { assessScenes, resolveFfmpeg, type Assessment } from '../src/advanced.js';
import { encodeSegment, prepareEncode } from '../src/encode/chunked.js';
import { assertEncoderSupported, encoderAdapter } from '../src/encode/encoders.js';
import { percentile } from '../src/quality/pooling.js';
import { optimizeEncode } from '../src/optimize/optimize.js';
import { planEncode } from '../src/optimize/plan-encode.js';
import { planFromScenes } from '../src/core/plan-file.js';
import { type EncoderName } from '../src/core/encoders.js';
import { loadCrfModel, defaultCrfModelPath } from '../src/model/format.js';
import { fmt, log, machineLine, timed } from './lib.js';

const run = promisify(execFile);

interface SceneScore {
  mean: number;
  p5: number;
}

async function sceneScores(input: string, encoded: string, analysis: AnalysisResult, subsample: number): Promise<SceneScore[]> {
  const q = await measureQuality(input, encoded, { scenes: analysis.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame })), subsample });
  return q.scenes!.map((s) => ({ mean: s.score.mean, p5: s.score.p5 }));
}

/** 5th percentile of the scenes' mean VMAF (the "5th-percentile scene VMAF"). */
const p5OfScenes = (s: SceneScore[]) => percentile(Float64Array.from(s.map((x) => x.mean)).sort(), 5);

interface FixedPoint {
  crf: number;
  bytes: number;
  cpu: number;
  p5: number;
  mean: number;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      encoder: { type: 'string', multiple: true },
      target: { type: 'string', multiple: true },
      'fixed-crfs': { type: 'string' },
      work: { type: 'string' },
      subsample: { type: 'string', default: '2' },
      'no-av1an': { type: 'boolean', default: false },
      'av1an-targets': { type: 'string' },
      probes: { type: 'string', default: '0,1' },
      'probe-frames': { type: 'string', default: 'all' },
      model: { type: 'string' },
      proxy: { type: 'string', default: 'auto' },
      rounds: { type: 'string' },
    },
  });
  // auto: planEncode's default (proxy curves with probes, when a proxy model is shipped); on, off: for every variant.
  const proxyArg = values.proxy;
  if (!['auto', 'on', 'off'].includes(proxyArg!)) throw new Error(`--proxy wants auto, on or off, got ${proxyArg}`);
  const proxy = proxyArg === 'auto' ? undefined : proxyArg === 'on';
  if (positionals.length === 0) throw new Error('usage: npm run bench:optimizer -- <video>... [--encoder E]... [--target V]... [--work dir]');
  const encoders = (values.encoder ?? ['svt-av1', 'vp9']) as EncoderName[];
  const targets = (values.target ?? ['93', '95']).map(Number);
  const av1anTargets = values['av1an-targets'] ? values['av1an-targets'].split(',').map(Number) : targets;
  const subsample = Number(values.subsample);
  const fixedCrfs: Record<string, number[]> = { 'svt-av1': [24, 32, 40, 48], vp9: [24, 32, 40, 48], aom: [24, 32, 40, 48] };
  if (values['fixed-crfs'])
    for (const part of values['fixed-crfs'].split(/,(?=[a-z])/)) {
      const [k, v] = part.split('=');
      fixedCrfs[k!] = v!.split(',').map(Number);
    }
  const models: Record<string, string> = {};
  for (const part of values.model ? values.model.split(',') : []) {
    const [k, v] = part.split('=');
    if (!k || !v) throw new Error(`--model wants encoder=file[,encoder=file], got ${JSON.stringify(part)}`);
    models[k] = path.resolve(v);
  }
  const work = path.resolve(values.work ?? path.join(os.tmpdir(), 'scenecrf-bench-optimizer'));
  await mkdir(work, { recursive: true });
  const backend = await resolveFfmpeg({ backend: 'native' });
  const cores = os.availableParallelism();
  const out: string[] = [];
  const say = (line: string) => {
    out.push(line);
    console.log(line);
  };
  say(`Machine: ${machineLine()}; ${new Date().toISOString()}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at start`);
  for (const [encoder, file] of Object.entries(models)) say(`Model for ${encoder}: ${file}`);
  say('');
  say('| video | encoder | target | variant | scenes | hit ±1 | hit ±2 | capped | hit ±1 of the rest | hit ±2 of the rest | mean abs err | kbit/s | p5 scene VMAF | fixed CRF (same p5) | fixed kbit/s | bits saved | CPU s | CPU ratio |');
  say('|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');

  for (const video of positionals) {
    const name = path.basename(video);
    const a = await timed(() => analyzeVideo(video, {}));
    const analysis = a.value;
    const fps = analysis.video.fps;
    const frames = analysis.scenes[analysis.scenes.length - 1]!.endFrame;
    const planInput = { path: path.resolve(video), width: analysis.video.width, height: analysis.video.height, frameCount: frames, frameRate: analysis.video.frameRate };
    const kbps = (bytes: number) => (bytes * 8) / 1000 / (frames / fps);
    log(`${name}: ${analysis.scenes.length} scenes, analysis ${fmt(a.cpu, 1)} CPU s`);
    for (const encoder of encoders) {
      const adapter = assertEncoderSupported(backend, encoder);
      const model = await loadCrfModel(defaultCrfModelPath(encoder));
      const preset = model.preset;
      if (model.training.videos.includes(name)) throw new Error(`${name} is in the ${encoder} model's training data; pick held-out videos`);
      const keyint = Math.round(10 * fps);

      // Fixed-CRF baseline grid: one plain ffmpeg encode of the whole video per CRF (cached).
      const fixed: FixedPoint[] = [];
      for (const crf of fixedCrfs[encoder]!) {
        const file = path.join(work, `${name}.${encoder}.p${preset}.fixed${crf}.ivf`);
        const meta = `${file}.json`;
        let point: FixedPoint | undefined = await readFile(meta, 'utf8').then((t) => JSON.parse(t) as FixedPoint, () => undefined);
        if (!point) {
          const args = adapter.args({ crf, preset, bitDepth: 8, threads: cores, keyint, options: {} });
          const enc = await timed(() => run(backend.path, ['-hide_banner', '-nostdin', '-v', 'error', '-i', video, '-map', '0:V:0', ...args, '-f', 'ivf', '-y', file], { maxBuffer: 1 << 26 }));
          const scores = await sceneScores(video, file, analysis, subsample);
          point = { crf, bytes: (await stat(file)).size, cpu: enc.cpu, p5: p5OfScenes(scores), mean: scores.reduce((x, s) => x + s.mean, 0) / scores.length };
          await writeFileAtomic(meta, JSON.stringify(point));
          await rm(file, { force: true });
        }
        fixed.push(point);
        log(`${name} ${encoder} fixed CRF ${crf}: ${fmt(kbps(point.bytes), 0)} kbit/s, p5 scene VMAF ${fmt(point.p5, 2)}, ${fmt(point.cpu, 1)} CPU s`);
      }
      /** Highest fixed CRF (interpolated) whose p5 scene VMAF is ≥ q, with its bytes and CPU. */
      const fixedFor = (q: number) => {
        const pts = [...fixed].sort((x, y) => x.crf - y.crf);
        for (let i = pts.length - 1; i > 0; i--) {
          const lo = pts[i - 1]!;
          const hi = pts[i]!;
          if (hi.p5 >= q) return { crf: hi.crf, bytes: hi.bytes, cpu: hi.cpu, note: i === pts.length - 1 ? '≥' : '' };
          if (lo.p5 >= q) {
            const f = (lo.p5 - q) / (lo.p5 - hi.p5);
            return { crf: lo.crf + f * (hi.crf - lo.crf), bytes: Math.exp(Math.log(lo.bytes) + f * (Math.log(hi.bytes) - Math.log(lo.bytes))), cpu: lo.cpu + f * (hi.cpu - lo.cpu), note: '' };
          }
        }
        const lo = pts[0]!;
        return { crf: lo.crf, bytes: lo.bytes, cpu: lo.cpu, note: '≤' };
      };

      // bounds: the CRF range the variant could choose from (a scene above the target at its top is
      // 'capped': no CRF in range could have met the target).
      // One table row from a finished encode: its bytes, per-scene scores and CPU.
      const report = (target: number, variant: string, crfs: number[], bytes: number, scores: SceneScore[], cpu: number, reused: number, bounds = { crfMin: 0, crfMax: 63 }) => {
        const errs = scores.map((s) => s.mean - target);
        const p5 = p5OfScenes(scores);
        const base = fixedFor(p5);
        const hit = (tol: number) => `${fmt((100 * errs.filter((e) => Math.abs(e) <= tol).length) / errs.length, 0)}%`;
        const measured = scores.map((x) => ({ vmafMean: x.mean, vmafP5: x.p5 }));
        const limits = errs.map((_, i) => ({ crf: crfs[i]!, ...bounds }));
        const within1 = assessScenes(measured, target, 'mean', 1, limits);
        const within2 = assessScenes(measured, target, 'mean', 2, limits);
        const capped = within1.capped;
        const reachable = (a: Assessment) => (a.reachableHitRate === undefined ? '—' : `${fmt(100 * a.reachableHitRate, 0)}%`);
        say(
          `| ${name} | ${encoder} p${preset} | ${target} | ${variant} | ${errs.length} | ${hit(1)} | ${hit(2)} | ${capped} | ${reachable(within1)} | ${reachable(within2)} | ${fmt(errs.reduce((x, e) => x + Math.abs(e), 0) / errs.length, 2)} | ${fmt(kbps(bytes), 0)} | ${fmt(p5, 2)} | ${base.note}${fmt(base.crf, 1)} | ${fmt(kbps(base.bytes), 0)} | ${fmt(100 * (1 - bytes / base.bytes), 1)}% | ${fmt(cpu, 1)} | ${fmt(cpu / base.cpu, 2)}× |`,
        );
        log(`${name} ${encoder} t${target} ${variant}: CRF→error ${errs.map((e, i) => `${crfs[i]}→${e.toFixed(1)}`).join(' ')}; ${reused} chunk(s) reused`);
      };

      // Encodes per-scene CRFs (chunked, fresh work directory), scores the scenes, reports the row.
      // segmentCache: the probes' segment cache, whose whole-scene probes at a kept CRF become chunks.
      const row = async (target: number, variant: string, encodeCrfs: (scene: number) => number, extraCpu: number, bounds = { crfMin: 0, crfMax: 63 }, segmentCache?: string) => {
        const plan = planFromScenes(planInput, analysis.scenes, { encoder, preset, crf: encodeCrfs });
        const output = path.join(work, `${name}.${encoder}.${variant}.t${target}.mkv`);
        // A fresh work directory: a resumed encode would reuse chunks and not count their CPU.
        await rm(`${output}.work`, { recursive: true, force: true });
        const enc = await timed(() => encodePlan(plan, { output, jobs: 1, workDir: `${output}.work`, segmentCache }));
        const scores = await sceneScores(video, output, analysis, subsample);
        await rm(output, { force: true });
        report(target, variant, plan.scenes.map((s) => s.crf), enc.value.bytes, scores, a.cpu + extraCpu + enc.cpu, enc.value.reusedChunks, bounds);
      };

      for (const target of targets) {
        for (const probes of values.probes!.split(',').map(Number)) {
          for (const frames of probes ? values['probe-frames']!.split(',') : ['all']) {
            const probeFrames = frames === 'all' ? 'all' : Number(frames);
            // A fresh segment cache: probes taken from an earlier run's cache would not count their CPU.
            const segmentCache = path.join(work, `${name}.${encoder}.p${probes}.f${frames}.t${target}.segments`);
            await rm(segmentCache, { recursive: true, force: true });
            const p = await timed(() => planEncode(video, { encoder, targetVmaf: target, probes, probeSubsample: subsample, probeFrames, model: models[encoder], proxy, segmentCache }, { analysis }));
            const label = `${probes} probe${probes === 1 ? '' : 's'}${probeFrames === 'all' ? '' : ` of ${probeFrames} frames`}${p.value.model.proxy ? ' + proxy' : ''}`;
            await row(target, label, (i) => p.value.plan.scenes[i]!.crf, p.cpu, undefined, segmentCache);
            await rm(segmentCache, { recursive: true, force: true });
          }
        }
        // Encode first, then fix the misses: optimizeEncode with 0 probes and up to R re-encode
        // rounds. Its CPU includes every VMAF pass it makes (the first validation is what decides
        // the re-encodes), the last one too, which the other rows leave out.
        for (const maxRounds of values.rounds ? values.rounds.split(',').map(Number) : []) {
          const output = path.join(work, `${name}.${encoder}.rounds${maxRounds}.t${target}.mkv`);
          const encodeWorkDir = `${output}.work`;
          await rm(encodeWorkDir, { recursive: true, force: true });
          const o = await timed(() =>
            optimizeEncode(video, { encoder, targetVmaf: target, probes: 0, model: models[encoder], proxy, output, encodeWorkDir, jobs: 1, tolerance: 1, maxRounds, validateSubsample: subsample }, { analysis }),
          );
          // Scored like every other row: one pass over the final file.
          const scores = await sceneScores(video, output, analysis, subsample);
          await rm(output, { force: true });
          const label = `0 probes${o.value.planned.model.proxy ? ' + proxy' : ''}, ≤ ${maxRounds} re-encode round${maxRounds === 1 ? '' : 's'} (used ${o.value.validation!.rounds})`;
          const crfs = o.value.plan.scenes.map((s) => s.crf);
          report(target, label, crfs, o.value.encode.bytes, scores, a.cpu + o.cpu, o.value.encode.reusedChunks);
        }
        if (values['no-av1an'] || !av1anTargets.includes(target)) continue;
        // Av1an-style: 4 probes per scene at a fast preset, every 4th frame scored, CRF interpolated.
        const fastPreset = encoder === 'svt-av1' ? 12 : 8;
        const probeGrid = encoder === 'svt-av1' ? [20, 32, 44, 56] : [20, 32, 44, 56];
        const av = await timed(async () => {
          const plan = planFromScenes(
            planInput,
            analysis.scenes,
            { encoder, preset: fastPreset, crf: 30 },
          );
          const dir = path.join(work, 'av1an-probes');
          await mkdir(dir, { recursive: true });
          const prepared = await prepareEncode(plan, { output: path.join(dir, 'x.mkv'), workDir: dir });
          const crfs: number[] = [];
          for (const s of analysis.scenes) {
            const pts: Array<{ crf: number; v: number }> = [];
            for (const c of probeGrid) {
              const f = path.join(dir, `probe.ivf`);
              await encodeSegment(prepared, { startFrame: s.startFrame, endFrame: s.endFrame, crf: c }, f);
              const q = await measureQuality(video, f, { referenceFrames: { startFrame: s.startFrame, endFrame: s.endFrame }, subsample: 4 });
              pts.push({ crf: c, v: q.pooled.mean });
            }
            // Highest CRF whose (piecewise-linear interpolated) VMAF reaches the target.
            let best = probeGrid[0]!;
            for (let c = probeGrid[0]!; c <= probeGrid[probeGrid.length - 1]!; c++) {
              const j = Math.min(pts.length - 2, Math.max(0, pts.findIndex((p) => p.crf > c) - 1));
              const lo = pts[j]!;
              const hi = pts[j + 1]!;
              const v = lo.v + ((c - lo.crf) / (hi.crf - lo.crf)) * (hi.v - lo.v);
              if (v >= target) best = c;
            }
            crfs.push(best);
          }
          return crfs;
        });
        await row(target, 'Av1an-style 4 fast probes', (i) => av.value[i]!, av.cpu, { crfMin: probeGrid[0]!, crfMax: probeGrid[probeGrid.length - 1]! });
      }
    }
  }
  say('');
  say(`Encodes: chunked per scene, 1 job, ${cores} threads, models' presets; fixed CRF: one plain ffmpeg encode, keyframe every 10 s. Validation VMAF: builtin, every ${subsample}th frame.`);
  await writeFileAtomic(path.join(work, 'results.md'), `${out.join('\n')}\n`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
