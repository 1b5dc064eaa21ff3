/**
 * CPU cost of measuring proxy curves (src/proxy) at several proxy widths, side by side: for each
 * video the scenes come from one analysis, then every round measures every width once (the order
 * alternates between rounds, so a slow spell of the shared host does not land on one width).
 *
 *   npm run bench:proxy-cost -- <video>... [--encoder svt-av1 --encoder vp9] [--widths 320,640] [--rounds 3]
 *
 * Prints per video, encoder and width the median CPU seconds (this process and its ffmpeg
 * children) and wall seconds, and the ratio to the first width.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeVideo } from '../src/index.js';
import type { EncoderName } from '../src/plan/format.js';
import { DEFAULT_PROXY_SPEC, measureProxyCurves, proxySpecSchema } from '../src/proxy/index.js';
import { fmt, log, machineLine, median, timed } from './lib.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      encoder: { type: 'string', multiple: true },
      widths: { type: 'string', default: '320,640' },
      rounds: { type: 'string', default: '3' },
    },
  });
  if (positionals.length === 0) throw new Error('usage: npm run bench:proxy-cost -- <video>... [--encoder E]... [--widths 320,640] [--rounds 3]');
  const encoders = (values.encoder ?? ['svt-av1', 'vp9']) as EncoderName[];
  const specs = values.widths!.split(',').map((w) => proxySpecSchema.parse({ ...DEFAULT_PROXY_SPEC, width: Number(w) }));
  const rounds = Number(values.rounds);
  log(`proxy cost: widths ${specs.map((s) => s.width).join(', ')}, ${rounds} rounds; ${machineLine()}`);
  console.log('| video | encoder | proxy width | scenes | CPU s (median) | wall s (median) | CPU vs first width |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const video of positionals) {
    const analysis = await analyzeVideo(video);
    const scenes = analysis.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame }));
    for (const encoder of encoders) {
      const cpu = specs.map((): number[] => []);
      const wall = specs.map((): number[] => []);
      for (let r = 0; r < rounds; r++) {
        const order = specs.map((_, i) => i);
        if (r % 2 === 1) order.reverse();
        for (const i of order) {
          const t = await timed(() => measureProxyCurves(video, scenes, { encoder, spec: specs[i]! }));
          cpu[i]!.push(t.cpu);
          wall[i]!.push(t.wall);
          log(`${path.basename(video)} ${encoder} width ${specs[i]!.width} round ${r + 1}: ${fmt(t.cpu)} CPU s, ${fmt(t.wall)} s`);
        }
      }
      const base = median(cpu[0]!);
      specs.forEach((s, i) =>
        console.log(`| ${path.basename(video)} | ${encoder} | ${s.width} | ${scenes.length} | ${fmt(median(cpu[i]!))} | ${fmt(median(wall[i]!))} | ${fmt(median(cpu[i]!) / base, 2)}× |`),
      );
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
