/**
 * CPU cost of measuring proxy curves (src/proxy) at several proxy widths, side by side: for each
 * video the scenes come from one analysis, then every round measures every width once (the order
 * alternates between rounds, so a slow spell of the shared host does not land on one width).
 *
 *   npm run bench:proxy-cost -- <video>... [--encoder svt-av1 --encoder vp9] [--widths 320,640] [--rounds 3] [--against <checkout>]
 *
 * `--against` also measures with another checkout's `measureProxyCurves` (e.g. a `git worktree`
 * of an older commit, with node_modules linked) in the same alternation, and says whether its
 * curves are identical to this checkout's.
 *
 * Prints per video, encoder, width (and checkout) the median CPU seconds (this process and its
 * ffmpeg children) and wall seconds, and the ratio to the first row of that video and encoder.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { analyzeVideo } from '../src/index.js';
import type { EncoderName } from '../src/core/encoders.js';
import { DEFAULT_PROXY_SPEC, proxySpecSchema, type ProxyCurve } from '../src/core/proxy-spec.js';
import { measureProxyCurves } from '../src/proxy/measure.js';
import { fmt, log, machineLine, median, timed } from './lib.js';

const run = promisify(execFile);

type Measure = typeof measureProxyCurves;

interface Variant {
  label: string;
  width: number;
  measure: Measure;
  cpu: number[];
  wall: number[];
  curves?: ProxyCurve[];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      encoder: { type: 'string', multiple: true },
      widths: { type: 'string', default: String(DEFAULT_PROXY_SPEC.width) },
      rounds: { type: 'string', default: '3' },
      against: { type: 'string' },
    },
  });
  if (positionals.length === 0) throw new Error('usage: npm run bench:proxy-cost -- <video>... [--encoder E]... [--widths 320,640] [--rounds 3] [--against <checkout>]');
  const encoders = (values.encoder ?? ['svt-av1', 'vp9']) as EncoderName[];
  const widths = values.widths!.split(',').map(Number);
  const rounds = Number(values.rounds);
  const measures: Array<{ label: string; measure: Measure }> = [{ label: 'this checkout', measure: measureProxyCurves }];
  if (values.against) {
    const root = path.resolve(values.against);
    const { stdout } = await run('git', ['-C', root, 'log', '-1', '--format=%h']);
    const other = (await import(path.join(root, 'src', 'proxy', 'measure.ts'))) as { measureProxyCurves: Measure };
    measures.push({ label: `${values.against} at ${stdout.trim()}`, measure: other.measureProxyCurves });
  }
  log(`proxy cost: widths ${widths.join(', ')}, ${rounds} rounds; ${machineLine()}`);
  console.log('| video | encoder | proxy width | checkout | scenes | CPU s (median) | wall s (median) | CPU vs first row | same curves as first row |');
  console.log('|---|---|---:|---|---:|---:|---:|---:|---|');
  for (const video of positionals) {
    const analysis = await analyzeVideo(video);
    const scenes = analysis.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame }));
    for (const encoder of encoders) {
      const variants: Variant[] = widths.flatMap((width) => measures.map((m) => ({ ...m, width, cpu: [], wall: [] })));
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 1 ? [...variants].reverse() : variants;
        for (const v of order) {
          const spec = proxySpecSchema.parse({ ...DEFAULT_PROXY_SPEC, width: v.width });
          const t = await timed(() => v.measure(video, scenes, { encoder, spec }));
          v.cpu.push(t.cpu);
          v.wall.push(t.wall);
          v.curves ??= t.value;
          log(`${path.basename(video)} ${encoder} width ${v.width} ${v.label} round ${r + 1}: ${fmt(t.cpu)} CPU s, ${fmt(t.wall)} s`);
        }
      }
      const first = variants[0]!;
      for (const v of variants) {
        const same = v.width !== first.width ? '—' : JSON.stringify(v.curves) === JSON.stringify(first.curves) ? 'yes' : 'NO';
        console.log(
          `| ${path.basename(video)} | ${encoder} | ${v.width} | ${v.label} | ${scenes.length} | ${fmt(median(v.cpu))} | ${fmt(median(v.wall))} | ${fmt(median(v.cpu) / median(first.cpu), 2)}× | ${same} |`,
        );
      }
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
