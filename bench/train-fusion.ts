// Fits scenecrf's default VMAF fusion model (models/vmaf-fusion-v1.json) on libvmaf's per-frame
// features and scores (frames.csv of the shared libvmaf reference set).
//
//   npm run bench:fusion -- [FRAMES_CSV] [--out models/vmaf-fusion-v1.json] [--centers 2000]
//                           [--gamma 6] [--lambda 1e-6] [--hold megamind,leb1953,testsrc2] [--seed 1]
//
// Model: subset-of-regressors kernel ridge regression. Every frame row is a training row (least
// squares over all n rows), but the function is spanned by only m "centers" (rows picked
// stratified by score so that every 5-point score band, including the rare clipped and 97.43
// motion-0 regions, has centers), plus a linear term and a bias:
//     f(z) = bias + w.z + sum_j a_j exp(-gamma |z - c_j|^2)
// solved from (D'D + lambda n Kmm) a = D'y with D = [K(z, C) 1 z] (an n x (m+1+d) design matrix,
// accumulated block-wise so it is never stored). A full KRR (ml-regression's KernelRidgeRegression)
// would need the n x n kernel matrix of all 20k rows (3.2 GB, O(n^3) solve); KRR on a random
// subset would throw away most rows. SoR keeps the fit on all rows at O(n m^2) time and O(m^2)
// memory, and the shipped file only holds the m centers.
// Inputs: motion2 through log1p (it spans 0..57 and its effect saturates); every feature min-max
// scaled to the training range and clamped to it (no wild extrapolation outside it); output
// clipped to 0..100 like libvmaf.
// First a fit without the held-out SOURCES (whole source videos, every size and distortion) to
// measure the held-out error, then the final fit on everything; both numbers go into the file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/atomic.js';
import {
  FUSION_MODEL_FORMAT,
  parseFusionModel,
  predictFusion,
  type FusionModelFile,
} from '../src/quality/fusion.js';
import { DEFAULT_ENHN_GAIN_LIMIT, VMAF_FEATURE_KEYS, type VmafFeatures } from '../src/quality/libvmaf-model.js';
import { cholesky, choleskySolve } from '../src/util/linalg.js';
import { mulberry32 } from '../src/util/random.js';
import { eachArg } from './lib.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  frames: string;
  out: string;
  centers: number;
  gamma: number;
  lambda: number;
  hold: string[];
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    frames: path.resolve(repoRoot, '..', 'shared', 'vmaf-reference', 'frames.csv'),
    out: path.join(repoRoot, 'models', 'vmaf-fusion-v1.json'),
    centers: 2000,
    gamma: 6,
    lambda: 1e-6,
    hold: ['megamind', 'leb1953', 'testsrc2'],
    seed: 1,
  };
  eachArg(argv, (arg, next) => {
    if (arg === '--out') a.out = path.resolve(next());
    else if (arg === '--centers') a.centers = Number(next());
    else if (arg === '--gamma') a.gamma = Number(next());
    else if (arg === '--lambda') a.lambda = Number(next());
    else if (arg === '--hold') a.hold = next().split(',').filter(Boolean);
    else if (arg === '--seed') a.seed = Number(next());
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else a.frames = path.resolve(arg);
  });
  return a;
}

interface Row {
  pair: number;
  source: string;
  x: number[]; // VMAF_FEATURE_KEYS order
  y: number;
}

function readCsv(file: string): Array<Record<string, string>> {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

function loadRows(framesCsv: string): Row[] {
  const pairsCsv = path.join(path.dirname(framesCsv), 'pairs.csv');
  const sourceOf = new Map(readCsv(pairsCsv).map((p) => [Number(p.pair), p.source!]));
  return readCsv(framesCsv).map((r) => {
    const pair = Number(r.pair);
    const source = sourceOf.get(pair);
    if (!source) throw new Error(`pair ${pair} of ${framesCsv} is not in ${pairsCsv}`);
    const x = VMAF_FEATURE_KEYS.map((k) => Number(r[`integer_${k}`]));
    const y = Number(r.vmaf);
    if (![...x, y].every(Number.isFinite)) throw new Error(`non-numeric row in ${framesCsv}: pair ${pair} frame ${r.frame}`);
    return { pair, source, x, y };
  });
}


const TRANSFORM: Array<'identity' | 'log1p'> = VMAF_FEATURE_KEYS.map((k) => (k === 'motion2' ? 'log1p' : 'identity'));
const D = VMAF_FEATURE_KEYS.length;
const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

function normalize(x: number[], min: number[], max: number[], out: Float64Array): Float64Array {
  for (let i = 0; i < D; i++) {
    const v = TRANSFORM[i] === 'log1p' ? Math.log1p(Math.max(0, x[i]!)) : x[i]!;
    const z = (v - min[i]!) / (max[i]! - min[i]!);
    out[i] = z < 0 ? 0 : z > 1 ? 1 : z;
  }
  return out;
}

/** Stratified center choice: up to m/20 rows from each 5-point score band, the rest at random. */
function pickCenters(rows: Row[], m: number, rand: () => number): number[] {
  const bands: number[][] = Array.from({ length: 20 }, () => []);
  rows.forEach((r, i) => bands[Math.min(19, Math.max(0, Math.floor(r.y / 5)))]!.push(i));
  const chosen = new Set<number>();
  const take = (pool: number[], k: number): void => {
    const p = pool.slice();
    for (let t = 0; t < k && p.length; t++) {
      const j = Math.floor(rand() * p.length);
      chosen.add(p[j]!);
      p[j] = p[p.length - 1]!;
      p.pop();
    }
  };
  for (const band of bands) take(band, Math.floor(m / 20));
  take(
    rows.map((_, i) => i).filter((i) => !chosen.has(i)),
    m - chosen.size,
  );
  return [...chosen].sort((a, b) => a - b);
}


interface FitResult {
  file: Omit<FusionModelFile, 'training'>;
  trainMae: number;
}

/**
 * libvmaf clips its score to 0..100, so a logged 100 (or 0) says "at least 100" (or "at most 0"),
 * not "exactly". Fitting those rows as exact values pulls the smooth fit down just below the
 * ceiling — a visible bias on high-quality clips, where many frames are clipped. So the fit is
 * repeated with each clipped row's target replaced by the model's own unclipped prediction when
 * that prediction is already beyond the bound (a censored-regression iteration).
 */
function fitCensored(rows: Row[], args: Args, label: string): FitResult {
  let work = rows;
  let result = fit(work, args, `${label}, pass 1`);
  for (let pass = 2; pass <= 3; pass++) {
    const model = parseFusionModel({ ...result.file, output: { clip: [-1e9, 1e9] }, training: PLACEHOLDER_TRAINING }, '(in training)');
    let moved = 0;
    work = rows.map((r) => {
      if (r.y > 0 && r.y < 100) return r;
      const raw = predictFusion(model, toFeatures(r.x));
      if ((r.y >= 100 && raw > 100) || (r.y <= 0 && raw < 0)) {
        moved++;
        return { ...r, y: raw };
      }
      return r;
    });
    process.stderr.write(`  [${label}] ${moved} clipped rows re-targeted to their unclipped prediction\n`);
    result = fit(work, args, `${label}, pass ${pass}`);
  }
  // Errors are always reported against libvmaf's logged (clipped) scores.
  return { file: result.file, trainMae: evaluate(result.file, rows).mae };
}

function fit(rows: Row[], args: Args, label: string): FitResult {
  const t0 = Date.now();
  const n = rows.length;
  const min = VMAF_FEATURE_KEYS.map(() => Infinity);
  const max = VMAF_FEATURE_KEYS.map(() => -Infinity);
  for (const r of rows)
    for (let i = 0; i < D; i++) {
      const v = TRANSFORM[i] === 'log1p' ? Math.log1p(Math.max(0, r.x[i]!)) : r.x[i]!;
      min[i] = Math.min(min[i]!, v);
      max[i] = Math.max(max[i]!, v);
    }
  const Z = rows.map((r) => Array.from(normalize(r.x, min, max, new Float64Array(D))));
  const centerIdx = pickCenters(rows, Math.min(args.centers, n), mulberry32(args.seed));
  const C = centerIdx.map((i) => Z[i]!.map(round6)); // rounded as stored: fit with what ships
  const m = C.length;
  const Cf = new Float64Array(m * D);
  C.forEach((c, j) => Cf.set(c, j * D));
  const p = m + 1 + D;
  const g = args.gamma;
  const designInto = (z: number[] | Float64Array, out: Float64Array, stride: number, col: number): void => {
    for (let j = 0; j < m; j++) {
      let dist = 0;
      for (let i = 0; i < D; i++) {
        const t = z[i]! - Cf[j * D + i]!;
        dist += t * t;
      }
      out[j * stride + col] = Math.exp(-g * dist);
    }
    out[m * stride + col] = 1;
    for (let i = 0; i < D; i++) out[(m + 1 + i) * stride + col] = z[i]!;
  };

  // A = D'D (upper triangle, block of B rows at a time, transposed block so dots are contiguous).
  const A = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  const B = 128;
  const Vt = new Float64Array(p * B);
  const yOff = 50;
  let lastReport = Date.now();
  for (let start = 0; start < n; start += B) {
    const nb = Math.min(B, n - start);
    if (nb < B) Vt.fill(0);
    for (let r = 0; r < nb; r++) designInto(Z[start + r]!, Vt, B, r);
    for (let a = 0; a < p; a++) {
      const oa = a * B;
      let s = 0;
      for (let r = 0; r < nb; r++) s += Vt[oa + r]! * (rows[start + r]!.y - yOff);
      rhs[a] = rhs[a]! + s;
      for (let b = a; b < p; b++) {
        const ob = b * B;
        let t = 0;
        for (let r = 0; r < B; r++) t += Vt[oa + r]! * Vt[ob + r]!;
        A[a * p + b] = A[a * p + b]! + t;
      }
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      process.stderr.write(`  [${label}] normal equations ${Math.round(((start + nb) / n) * 100)}% (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) A[a * p + b] = A[b * p + a]!;
  // + lambda * n * Kmm on the kernel block (the RKHS norm of the kernel part).
  const lam = args.lambda * n;
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) {
      let dist = 0;
      for (let i = 0; i < D; i++) {
        const t = Cf[a * D + i]! - Cf[b * D + i]!;
        dist += t * t;
      }
      A[a * p + b] = A[a * p + b]! + lam * Math.exp(-g * dist);
    }
  let jitter = 1e-9 * n;
  let coef: Float64Array | undefined;
  for (let attempt = 0; attempt < 6 && !coef; attempt++, jitter *= 10) {
    const L = Float64Array.from(A);
    for (let a = 0; a < p; a++) L[a * p + a] = L[a * p + a]! + jitter;
    if (cholesky(L, p)) coef = choleskySolve(L, p, rhs);
    else process.stderr.write(`  [${label}] matrix not positive definite with jitter ${jitter.toExponential(1)}, retrying\n`);
  }
  if (!coef) throw new Error('normal equations are singular');

  const file: Omit<FusionModelFile, 'training'> = {
    format: FUSION_MODEL_FORMAT,
    version: 1,
    name: 'scenecrf-vmaf-fusion-v1',
    description:
      "scenecrf's own fusion of VMAF elementary features into a 0..100 score, fitted to libvmaf 3.2.0 vmaf_v0.6.1 per-frame scores (bench/train-fusion.ts). Not a Netflix model file.",
    features: [...VMAF_FEATURE_KEYS],
    normalization: { type: 'minmax-clamp', transform: TRANSFORM, min, max },
    kernel: { type: 'rbf', gamma: g },
    centers: C,
    weights: Array.from(coef.subarray(0, m)),
    linear: { bias: coef[m]! + yOff, weights: Array.from(coef.subarray(m + 1)) },
    output: { clip: [0, 100] },
    featureOptions: { admEnhnGainLimit: DEFAULT_ENHN_GAIN_LIMIT, vifEnhnGainLimit: DEFAULT_ENHN_GAIN_LIMIT },
  };
  const trainMae = evaluate(file, rows).mae;
  process.stderr.write(`  [${label}] fit ${n} rows, ${m} centers in ${((Date.now() - t0) / 1000).toFixed(1)} s; train MAE ${trainMae.toFixed(4)}\n`);
  return { file, trainMae };
}

const PLACEHOLDER_TRAINING: FusionModelFile['training'] = {
  source: '',
  target: 'vmaf',
  rows: 0,
  heldOutSources: [],
  heldOutRows: 0,
  heldOutMae: 0,
  heldOutRmse: 0,
  heldOutMax: 0,
  pairMae: 0,
  date: '',
  command: '',
};

function toFeatures(x: number[]): VmafFeatures {
  return Object.fromEntries(VMAF_FEATURE_KEYS.map((k, i) => [k, x[i]!])) as unknown as VmafFeatures;
}

interface Errors {
  mae: number;
  rmse: number;
  max: number;
  pairMae: number;
  perSource: Map<string, number>;
}

/** Errors of the model exactly as it will be loaded (through parseFusionModel + predictFusion). */
function evaluate(file: Omit<FusionModelFile, 'training'>, rows: Row[]): Errors {
  const model = parseFusionModel({ ...file, training: PLACEHOLDER_TRAINING }, '(in training)');
  let sa = 0;
  let s2 = 0;
  let mx = 0;
  const pairs = new Map<number, { p: number; y: number; n: number }>();
  const src = new Map<string, { e: number; n: number }>();
  for (const r of rows) {
    const pr = predictFusion(model, toFeatures(r.x));
    const e = pr - r.y;
    sa += Math.abs(e);
    s2 += e * e;
    mx = Math.max(mx, Math.abs(e));
    const q = pairs.get(r.pair) ?? { p: 0, y: 0, n: 0 };
    q.p += pr;
    q.y += r.y;
    q.n++;
    pairs.set(r.pair, q);
    const s = src.get(r.source) ?? { e: 0, n: 0 };
    s.e += Math.abs(e);
    s.n++;
    src.set(r.source, s);
  }
  let pm = 0;
  for (const q of pairs.values()) pm += Math.abs(q.p / q.n - q.y / q.n);
  return {
    mae: sa / rows.length,
    rmse: Math.sqrt(s2 / rows.length),
    max: mx,
    pairMae: pm / pairs.size,
    perSource: new Map([...src].map(([k, v]) => [k, v.e / v.n])),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows = loadRows(args.frames);
  const sources = new Set(rows.map((r) => r.source));
  for (const h of args.hold) if (!sources.has(h)) throw new Error(`held-out source ${h} is not in ${args.frames} (have ${[...sources].join(', ')})`);
  const held = new Set(args.hold);
  const train = rows.filter((r) => !held.has(r.source));
  const test = rows.filter((r) => held.has(r.source));
  console.log(`frames: ${rows.length} rows, ${sources.size} sources; held out ${args.hold.join(', ')} (${test.length} rows)`);
  console.log(`model: ${args.centers} centers, rbf gamma ${args.gamma}, lambda ${args.lambda}, seed ${args.seed}`);

  const heldFit = fitCensored(train, args, 'held-out fit');
  const he = evaluate(heldFit.file, test);
  console.log(
    `held-out (${test.length} frames of ${args.hold.join(', ')}): MAE ${he.mae.toFixed(4)}, RMSE ${he.rmse.toFixed(4)}, max ${he.max.toFixed(3)}, per-pair mean MAE ${he.pairMae.toFixed(4)}`,
  );
  for (const [s, e] of he.perSource) console.log(`  ${s}: MAE ${e.toFixed(4)}`);

  const finalFit = fitCensored(rows, args, 'final fit');
  const fe = evaluate(finalFit.file, rows);
  console.log(`final model on all ${rows.length} rows (in-sample): MAE ${fe.mae.toFixed(4)}, RMSE ${fe.rmse.toFixed(4)}, max ${fe.max.toFixed(3)}, per-pair mean MAE ${fe.pairMae.toFixed(4)}`);

  const sourceRel = path.relative(repoRoot, args.frames).split(path.sep).join('/');
  const cmdArgs = process.argv.slice(2).map((a) => (a.includes(path.sep) ? path.relative(repoRoot, path.resolve(a)).split(path.sep).join('/') : a));
  const file: FusionModelFile = {
    ...finalFit.file,
    training: {
      source: `libvmaf 3.2.0 vmaf_v0.6.1 per-frame scores, ${sourceRel}`,
      target: 'vmaf',
      rows: rows.length,
      heldOutSources: args.hold,
      heldOutRows: test.length,
      heldOutMae: he.mae,
      heldOutRmse: he.rmse,
      heldOutMax: he.max,
      pairMae: he.pairMae,
      trainMae: finalFit.trainMae,
      centers: finalFit.file.centers.length,
      lambda: args.lambda,
      date: new Date().toISOString().slice(0, 10),
      command: ['npm run bench:fusion', ...(cmdArgs.length ? ['--', ...cmdArgs] : [])].join(' '),
    },
  };
  parseFusionModel(file, args.out); // validate before writing
  // Indented, but arrays of numbers on one line each (a center per line) to keep the file small and diffable.
  const text = JSON.stringify(file, null, 1).replace(/\[[-\d.e+,\s]*\]/g, (arr) => arr.replace(/\s+/g, '')) + '\n';
  await writeFileAtomic(args.out, text);
  console.log(`wrote ${path.relative(process.cwd(), args.out)} (${(text.length / 1024).toFixed(0)} KB)`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
