/**
 * Builtin VMAF against libvmaf 3.2.0 on the shared reference clips: per-feature error against
 * libvmaf's integer features, and VMAF error per frame and per clip with the shipped fusion model
 * and (when given) a libvmaf model JSON.
 *
 *   npm run bench:vmaf-accuracy -- [--shared ../shared] [--libvmaf-model ../shared/vmaf-models/vmaf_v0.6.1.json]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureQuality, type QualityReport } from '../src/index.js';
import { machineLine } from './lib.js';

const { values } = parseArgs({
  options: {
    shared: { type: 'string', default: path.resolve('../shared') },
    'libvmaf-model': { type: 'string' },
    threads: { type: 'string', default: '2' },
  },
});
const clipsDir = path.join(values.shared!, 'vmaf-reference', 'clips');
const libvmafModel = values['libvmaf-model'] ?? path.join(values.shared!, 'vmaf-models', 'vmaf_v0.6.1.json');
const clips = JSON.parse(readFileSync(path.join(clipsDir, 'clips.summary.json'), 'utf8')) as Array<{ name: string }>;
const KEYS = ['adm2', 'adm_scale0', 'adm_scale1', 'adm_scale2', 'adm_scale3', 'motion2', 'vif_scale0', 'vif_scale1', 'vif_scale2', 'vif_scale3'];

function logOf(name: string): Array<Record<string, number>> {
  return (JSON.parse(readFileSync(path.join(clipsDir, `${name}.vmaf.json`), 'utf8')) as { frames: Array<{ metrics: Record<string, number> }> }).frames.map((f) => f.metrics);
}

const featureErr = new Map(KEYS.map((k) => [k, { max: 0, sum: 0, n: 0 }]));
const rows: string[] = [];
const totals = { shipped: { sum: 0, n: 0, clipMax: 0 }, libvmaf: { sum: 0, n: 0, clipMax: 0 } };
const threads = Number(values.threads);
console.log(`machine: ${machineLine()}`);
for (const { name } of clips) {
  const dist = ['mkv', 'mp4', 'webm'].map((e) => path.join(clipsDir, `${name}.dist.${e}`)).find((f) => existsSync(f))!;
  const ref = path.join(clipsDir, `${name}.ref.mkv`);
  const log = logOf(name);
  const shipped = await measureQuality(ref, dist, { vmafBackend: 'builtin', threads });
  const withLibvmafModel = await measureQuality(ref, dist, { vmafBackend: 'builtin', threads, model: libvmafModel });
  for (const f of shipped.frames)
    for (const k of KEYS) {
      const e = featureErr.get(k)!;
      const d = Math.abs(f.features[k]! - log[f.index]![`integer_${k}`]!);
      e.max = Math.max(e.max, d);
      e.sum += d;
      e.n++;
    }
  const score = (r: QualityReport, t: { sum: number; n: number; clipMax: number }) => {
    let s = 0;
    let m = 0;
    for (const f of r.frames) {
      s += Math.abs(f.score - log[f.index]!.vmaf!);
      m += log[f.index]!.vmaf!;
    }
    t.sum += s;
    t.n += r.frames.length;
    const clipDiff = r.pooled.mean - m / r.frames.length;
    t.clipMax = Math.max(t.clipMax, Math.abs(clipDiff));
    return { mae: s / r.frames.length, clipDiff, libvmafMean: m / r.frames.length };
  };
  const a = score(shipped, totals.shipped);
  const b = score(withLibvmafModel, totals.libvmaf);
  rows.push(`| ${name} | ${a.libvmafMean.toFixed(3)} | ${shipped.pooled.mean.toFixed(3)} | ${a.mae.toFixed(3)} | ${a.clipDiff >= 0 ? '+' : ''}${a.clipDiff.toFixed(3)} | ${b.mae.toFixed(4)} | ${b.clipDiff >= 0 ? '+' : ''}${b.clipDiff.toFixed(4)} |`);
}
console.log('\n| feature | max abs error | mean abs error |\n|---|---|---|');
for (const [k, e] of featureErr) console.log(`| ${k} | ${e.max.toExponential(1)} | ${(e.sum / e.n).toExponential(1)} |`);
console.log(`\n| clip | libvmaf mean | builtin mean (shipped model) | frame MAE | clip mean diff | frame MAE with ${path.basename(libvmafModel)} | clip mean diff with it |\n|---|---|---|---|---|---|---|`);
for (const r of rows) console.log(r);
console.log(
  `| all ${totals.shipped.n} frames | | | ${(totals.shipped.sum / totals.shipped.n).toFixed(3)} | max ${totals.shipped.clipMax.toFixed(3)} | ${(totals.libvmaf.sum / totals.libvmaf.n).toFixed(4)} | max ${totals.libvmaf.clipMax.toFixed(4)} |`,
);
