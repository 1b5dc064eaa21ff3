/**
 * Where `optimize`'s CPU goes: one `optimizeEncode` run per variant, its CPU (user + system of this
 * process and every child it waited for) split by phase — analysis, proxy curves, probes, each
 * round's encode and VMAF check — from the progress callbacks (a phase's CPU is what was spent
 * between its first report and the next phase's), next to one plain fixed-CRF ffmpeg encode of
 * the whole video at the same preset (the baseline issue 22's CPU targets are stated against).
 *
 *   npm run bench:optimize-phases -- <video> [--encoder svt-av1] [--target 93] [--fixed-crf 36]
 *        [--variant default] [--variant auto] [--variant fast] [--work dir]
 *
 * Variants: default (optimize's defaults), auto (probes 'auto' + the default rounds), fast
 * (prediction only: probes 0, rounds 0).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { optimizeEncode, type OptimizeOptions, type OptimizeProgress } from '../src/optimize/optimize.js';
import { assertEncoderSupported } from '../src/encode/encoders.js';
import { resolveFfmpeg } from '../src/media/resolve.js';
import { defaultCrfModelPath, loadCrfModel } from '../src/model/format.js';
import type { EncoderName } from '../src/core/encoders.js';
import { cpuSeconds, fmt, log, machineLine, timed } from './lib.js';

const run = promisify(execFile);

const VARIANTS: Record<string, Partial<OptimizeOptions>> = {
  default: {},
  auto: { probes: 'auto' },
  fast: { probes: 0, proxy: false, maxRounds: 0 },
};

/** The phase an optimize progress report belongs to. */
function phaseOf(p: OptimizeProgress): string {
  if (p.stage === 'plan') return p.plan?.stage === 'analyze' ? 'analysis' : p.plan?.stage === 'proxy' ? 'proxy curves' : p.plan?.stage === 'probe' ? 'probes' : 'planning';
  return `${p.stage === 'encode' ? 'encode' : 'VMAF check'}, round ${p.round}`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      encoder: { type: 'string', default: 'svt-av1' },
      target: { type: 'string', default: '93' },
      'fixed-crf': { type: 'string', default: '36' },
      variant: { type: 'string', multiple: true },
      work: { type: 'string' },
    },
  });
  const video = positionals[0];
  if (!video || positionals.length > 1) throw new Error('usage: npm run bench:optimize-phases -- <video> [--encoder e] [--target v] [--fixed-crf c] [--variant default|auto|fast]...');
  const encoder = values.encoder as EncoderName;
  const target = Number(values.target);
  const variants = values.variant?.length ? values.variant : ['default', 'auto', 'fast'];
  for (const v of variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (${Object.keys(VARIANTS).join(', ')})`);
  const work = path.resolve(values.work ?? path.join(os.tmpdir(), `scenecrf-bench-phases-${process.pid}`));
  await mkdir(work, { recursive: true });
  const backend = await resolveFfmpeg({ backend: 'native' });
  const preset = (await loadCrfModel(defaultCrfModelPath(encoder))).preset;
  const adapter = assertEncoderSupported(backend, encoder);
  console.log(`Machine: ${machineLine()}; ${new Date().toISOString()}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at start`);
  console.log(`Command: npm run bench:optimize-phases -- ${process.argv.slice(2).join(' ')}\n`);

  const fixedFile = path.join(work, 'fixed.ivf');
  const fixed = await timed(() =>
    run(backend.path, ['-hide_banner', '-nostdin', '-v', 'error', '-i', video, '-map', '0:V:0', ...adapter.args({ crf: Number(values['fixed-crf']), preset, bitDepth: 8, threads: os.availableParallelism(), keyint: 240, options: {} }), '-f', 'ivf', '-y', fixedFile], { maxBuffer: 1 << 26 }),
  );
  await rm(fixedFile, { force: true });
  log(`fixed CRF ${values['fixed-crf']} encode: ${fmt(fixed.cpu, 1)} CPU s`);

  console.log(`| variant | phase | CPU s | × one fixed-CRF encode (${fmt(fixed.cpu, 1)} CPU s) |`);
  console.log('|---|---|---:|---:|');
  for (const name of variants) {
    const phases = new Map<string, number>();
    let current = 'start-up';
    let mark = cpuSeconds();
    const onProgress = (p: OptimizeProgress) => {
      const phase = phaseOf(p);
      if (phase === current) return;
      const now = cpuSeconds();
      phases.set(current, (phases.get(current) ?? 0) + now - mark);
      current = phase;
      mark = now;
    };
    const out = path.join(work, `${name}.mkv`);
    const r = await timed(() =>
      optimizeEncode(video, { encoder, targetVmaf: target, output: out, overwrite: true, encodeWorkDir: path.join(work, `${name}.work`), ...VARIANTS[name] }, { onProgress }),
    );
    phases.set(current, (phases.get(current) ?? 0) + cpuSeconds() - mark);
    for (const [phase, cpu] of phases) if (cpu > 0.05) console.log(`| ${name} | ${phase} | ${fmt(cpu, 1)} | ${fmt(cpu / fixed.cpu, 2)}× |`);
    const hits = r.value.validation?.scenes.filter((s) => s.hit).length;
    console.log(`| ${name} | **total** (${hits ?? '?'}/${r.value.plan.scenes.length} scenes within ±1) | **${fmt(r.cpu, 1)}** | **${fmt(r.cpu / fixed.cpu, 2)}×** |`);
    await rm(out, { force: true });
    await rm(path.join(work, `${name}.work`), { recursive: true, force: true });
  }
  await rm(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
