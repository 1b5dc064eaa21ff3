/**
 * Detector iteration without decoding: `dump` writes every video's per-frame signatures and
 * features (what detectShots consumes) once; `score` runs the pure detector on them against the
 * ground truth in seconds.
 *
 *   npx tsx bench/detect-cache.ts dump <cache-dir> <corpus-dir> [...]
 *   npx tsx bench/detect-cache.ts score <cache-dir> [--detector '<json>'] [--only id,id] [--verbose]
 *
 * Only dump the halves you tune on (the stress corpus's tune/ and the shared corpus): the
 * held-out half is scored by bench:detect, end to end, for the report only.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectShots, type DetectorOptions } from '../src/analysis/detect.js';
import { computeFrameFeatures, type FrameFeatures, type FrameSignature, type FrameState } from '../src/analysis/features.js';
import { readVideo } from '../src/media/read-video.js';
import { resolveFfmpeg } from '../src/media/resolve.js';
import { fmt } from './lib.js';
import { eventsWithBoundary, scoreBoundaries, totalScore, type GroundTruth } from './score.js';

interface Cached {
  id: string;
  fps: number;
  gt: GroundTruth;
  features: FrameFeatures[];
  signatures: FrameSignature[];
}

const typed = new Set(['grid', 'hist']);

async function dump(cache: string, dirs: string[]) {
  mkdirSync(cache, { recursive: true });
  const backend = await resolveFfmpeg({ backend: 'native' });
  for (const dir of dirs) {
    const names = readdirSync(dir);
    for (const v of names.filter((f) => f.endsWith('.mp4') && names.includes(f.replace(/\.mp4$/, '.json'))).sort()) {
      const id = v.replace(/\.mp4$/, '');
      const file = path.join(dir, v);
      const gt = JSON.parse(readFileSync(file.replace(/\.mp4$/, '.json'), 'utf8')) as GroundTruth;
      const reading = await readVideo(file, backend, { width: 256, bitDepth: 'auto', chroma: false, decoderThreads: 2 });
      const features: FrameFeatures[] = [];
      const signatures: FrameSignature[] = [];
      let prev: FrameState | undefined;
      for await (const f of reading.frames()) {
        const r = computeFrameFeatures(f.index, f.luma, f.width, f.height, f.bitDepth, prev);
        features.push(r.features);
        signatures.push(r.state.signature);
        prev = r.state;
      }
      const { video } = await reading.finish();
      const out = JSON.stringify({ id, fps: video.fps, gt, features, signatures }, (k, val) => (typed.has(k) || val instanceof Uint8Array || val instanceof Float32Array || val instanceof Int8Array ? Array.from(val as ArrayLike<number>) : val));
      writeFileSync(path.join(cache, `${id}.json`), out);
      console.log(`${id}: ${features.length} frames`);
    }
  }
}

function load(cache: string, only?: string[]): Cached[] {
  return readdirSync(cache)
    .filter((f) => f.endsWith('.json') && (!only || only.some((o) => f.startsWith(o))))
    .sort()
    .map((f) => {
      const c = JSON.parse(readFileSync(path.join(cache, f), 'utf8')) as Cached;
      for (const s of c.signatures as unknown as Record<string, unknown>[]) {
        for (const [k, val] of Object.entries(s)) {
          if (!Array.isArray(val)) continue;
          s[k] = k === 'hist' ? Float32Array.from(val as number[]) : k.startsWith('s') && k !== 'grid' ? Int16Array.from(val as number[]) : Uint8Array.from(val as number[]);
        }
      }
      return c;
    });
}

function score(cache: string, detector: DetectorOptions, only: string[] | undefined, verbose: boolean) {
  const vids = load(cache, only);
  const groups = new Map<string, { s: ReturnType<typeof scoreBoundaries>[]; ev: number; hit: number }>();
  for (const v of vids) {
    const b = detectShots(v.signatures, v.features, v.fps, detector);
    const frames = b.map((x) => x.frame);
    const s = scoreBoundaries(frames, v.gt);
    const ev = eventsWithBoundary(frames, v.gt);
    const g = v.id.startsWith('pub') ? 'shared' : 'tune';
    const acc = groups.get(g) ?? { s: [], ev: 0, hit: 0 };
    acc.s.push(s);
    acc.ev += ev.events;
    acc.hit += ev.hit;
    groups.set(g, acc);
    console.log(
      `${v.id.padEnd(28)} F1 ${fmt(s.f1)} P ${fmt(s.precision)} R ${fmt(s.recall)} mnc ${ev.hit}/${ev.events}` +
        (s.falseDetections.length ? `  FP ${JSON.stringify(s.falseDetections.map((d) => d.frame + (d.event ? ':' + d.event : '')))}` : '') +
        (s.missed.length ? `  missed ${JSON.stringify(s.missed.map((m) => `${m.frame}:${m.kind}`))}` : ''),
    );
    if (verbose) console.log('   ', b.map((x) => `${x.frame}${x.kind[0]}[${x.transitionStart}-${x.transitionEnd}]`).join(' '));
  }
  for (const [g, acc] of groups) {
    const t = totalScore(acc.s);
    console.log(`${g}: F1 ${fmt(t.f1)} P ${fmt(t.precision)} R ${fmt(t.recall)} TP ${t.truePositives} FP ${t.falsePositives} FN ${t.misses} mnc ${acc.hit}/${acc.ev}`);
  }
}

const [mode, cache, ...rest] = process.argv.slice(2);
if (mode === 'dump' && cache) {
  await dump(cache, rest.filter((a) => existsSync(a)));
} else if (mode === 'score' && cache) {
  const v = (n: string) => (rest.includes(n) ? rest[rest.indexOf(n) + 1] : undefined);
  score(cache, v('--detector') ? (JSON.parse(v('--detector')!) as DetectorOptions) : {}, v('--only')?.split(','), rest.includes('--verbose'));
} else {
  console.error('usage: detect-cache.ts dump <cache-dir> <corpus-dir>... | score <cache-dir> [--detector json] [--only ids] [--verbose]');
  process.exit(1);
}
