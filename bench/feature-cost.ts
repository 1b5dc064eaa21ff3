/**
 * CPU cost of the per-frame feature pass alone (`computeFrameFeatures`, motion search included),
 * with no decoder running: the video is decoded once at analysis resolution into memory, then the
 * frames are run through the feature code again and again.
 *
 *   npm run bench:feature-cost -- <video> [--runs 15] [--analysis-width 256] [--against <checkout>]
 *
 * `--against` runs another checkout's `computeFrameFeatures` (e.g. a `git worktree` of an older
 * commit, from its source through tsx) alternately with this one, checks that both give the same
 * numbers, and reports both medians.
 */
import path from 'node:path';
import { computeFrameFeatures, type FrameFeatures } from '../src/analysis/features.js';
import { analysisDecoderThreads, decodeFrames } from '../src/media/frames.js';
import { resolveFfmpeg } from '../src/media/resolve.js';
import type { Frame } from '../src/media/types.js';
import { eachArg, fmt, machineLine, median, numberArg } from './lib.js';

type FeatureFn = typeof computeFrameFeatures;

function runAll(frames: readonly Frame[], compute: FeatureFn): { ms: number; features: FrameFeatures[] } {
  const t = performance.now();
  const features: FrameFeatures[] = [];
  let prev: ReturnType<FeatureFn>['state'] | undefined;
  for (const f of frames) {
    const r = compute(f.index, f.luma, f.width, f.height, f.bitDepth, prev);
    features.push(r.features);
    prev = r.state;
  }
  return { ms: performance.now() - t, features };
}

async function main(): Promise<void> {
  let file: string | undefined;
  let runs = 15;
  let width = 256;
  let against: string | undefined;
  eachArg(process.argv.slice(2), (arg, next) => {
    if (arg === '--runs') runs = numberArg(arg, next());
    else if (arg === '--analysis-width') width = numberArg(arg, next());
    else if (arg === '--against') against = next();
    else if (arg.startsWith('--') || file) throw new Error('usage: npm run bench:feature-cost -- <video> [--runs 15] [--analysis-width 256] [--against <checkout>]');
    else file = arg;
  });
  if (!file) throw new Error('usage: npm run bench:feature-cost -- <video> [--runs 15] [--analysis-width 256] [--against <checkout>]');
  console.log(`machine: ${machineLine()}`);
  const backend = await resolveFfmpeg({ backend: 'native' });
  const frames: Frame[] = [];
  for await (const f of decodeFrames(file, backend, { width, bitDepth: 'auto', chroma: false, decoderThreads: analysisDecoderThreads() })) frames.push(f);
  const first = frames[0]!;
  console.log(`input: ${file}, ${frames.length} frames at ${first.width}x${first.height}, ${first.bitDepth}-bit`);

  const variants: Array<{ label: string; compute: FeatureFn; ms: number[] }> = [{ label: 'this checkout', compute: computeFrameFeatures, ms: [] }];
  if (against) {
    const mod = (await import(path.join(path.resolve(against), 'src', 'analysis', 'features.ts'))) as { computeFrameFeatures: FeatureFn };
    variants.push({ label: against, compute: mod.computeFrameFeatures, ms: [] });
    const a = runAll(frames, variants[0]!.compute).features;
    const b = runAll(frames, variants[1]!.compute).features;
    const differ = a.filter((x, i) => JSON.stringify(x) !== JSON.stringify(b[i])).length;
    console.log(`frames whose features differ between the two: ${differ} of ${a.length}`);
  }
  // Warm-up (JIT), then alternate.
  for (const v of variants) runAll(frames, v.compute);
  for (let k = 0; k < runs; k++) for (const v of variants) v.ms.push(runAll(frames, v.compute).ms / frames.length);
  console.log('| feature code | ms per frame (median) | runs |\n|---|---:|---|');
  for (const v of variants) console.log(`| ${v.label} | ${fmt(median(v.ms), 3)} | ${v.ms.map((x) => fmt(x, 3)).join(', ')} |`);
  if (variants.length === 2) console.log(`ratio this / ${against}: ${fmt(median(variants[0]!.ms) / median(variants[1]!.ms), 2)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
