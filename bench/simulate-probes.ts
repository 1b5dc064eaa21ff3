// Simulates scenecrf's target-quality planning with 0…N probes on a training dataset, without
// encoding anything: each video's scenes are predicted by a model fitted on the other videos
// (leave-one-video-out), and a "probe" at CRF c reads the scene's measured quality at c from the
// dataset (interpolated in ln(100 − VMAF) between the measured CRFs). It mirrors planEncode's
// probe loop (probe at the planned CRF, move the curve through every measurement, re-plan; stop
// when a probe lands within the probe tolerance or repeats a CRF), so probe-correction rules can be
// compared on dozens of scenes in a second instead of hours of encodes.
//
//   npm run bench:simulate -- --dataset <file.jsonl> [--dataset ...] --encoder svt-av1|vp9|aom
//       [--preset N] [--exclude-video name ...] [--degree D] [--lambda L] [--weighting row|video]
//       [--knn K [--knn-weight W]] (model configuration; default: the shipped model's, its
//       nearest-scene blend included; --knn 0: the polynomial alone) [--proxy] (proxy curves
//       as features: a dataset built with bench:dataset --proxy; default configuration then the
//       shipped proxy model's)
//       [--target 93 --target 95] [--stat mean|p5] [--probes 3] [--tolerance 1] [--probe-tolerance 0.5]
//       [--train-crfs 20,28,36,44,52] [--train-dataset extra.jsonl ...] [--holdout]
//
// `--train-dataset` adds rows that every fold trains on and none is evaluated on: "would this
// extra content make the predictions for these videos better?" `--knn K` predicts each scene with
// the mean measured curve of its K nearest training scenes instead of the model (or, with
// `--knn-weight W`, blended with it in t): the model's nearest-scene blend (withNearestScenes). `--holdout`
// trains on the --train-dataset rows only and scores the --dataset videos (held-out videos).
//
// The planning range is the dataset's measured CRFs (lowest..highest): outside them there is no
// truth to read. "capped" scenes miss by more than the tolerance at the bound that would fix them
// (as assessScenes counts them); "oracle CRF" is the highest CRF whose measured quality reaches the
// target, and "bytes over oracle" what the plan spends beyond it (negative: it undershot quality).
import path from 'node:path';
import { measuredAt, predictSceneCurve } from '../src/model/predict.js';
import { fitCrfModel } from '../src/training/fit.js';
import { withNearestScenes } from '../src/training/nearest-scenes.js';
import type { RowWeighting } from '../src/training/polynomial-fit.js';
import { tToVmaf, vmafToT, type QualityStat, type SceneCurve } from '../src/core/curve.js';
import { rowsByScene, type DatasetRow } from '../src/training/dataset.js';
import type { ProxyCurve } from '../src/core/proxy-spec.js';
import type { EncoderName } from '../src/core/encoders.js';
import { planForTarget } from '../src/plan/allocate.js';
import { assessScenes } from '../src/plan/assess.js';
import { fitCurveToProbes, probeTrustBounds, type CurveProbe } from '../src/plan/probes.js';
import { defaultProbeTrust } from '../src/optimize/plan-encode.js';
import { loadShippedModel, readDatasets, selectRows, takeDatasetModelArg } from './datasets.js';
import { eachArg, fmt, machineLine, numberArg } from './lib.js';


interface Args {
  datasets: string[];
  encoder: EncoderName;
  preset?: number;
  exclude: string[];
  /** Model configuration; unset: the shipped model's (models/crf-<encoder>-v1.json). */
  degree?: number;
  lambda?: number;
  weighting?: RowWeighting;
  targets: number[];
  stat: QualityStat;
  probes: number;
  tolerance: number;
  probeTolerance: number;
  /** Fit the models on these CRFs' rows only (default all); scenes are still read at every CRF. */
  trainCrfs?: number[];
  /** Datasets whose rows every fold trains on, never evaluated. */
  trainDatasets: string[];
  /** Nearest-scene blend: K neighbours (0: none). Default: the shipped model's blend, if any. */
  knn?: number;
  /** Weight of the nearest-scene curve against the polynomial's (1: nearest scenes only). */
  knnWeight?: number;
  /** Train on the --train-dataset rows only; the --dataset videos are only scored. */
  holdout: boolean;
  /** Models with the rows' proxy curves as features (default configuration: the shipped proxy model's). */
  proxy?: boolean;
}

function usage(): never {
  console.error(
    'usage: npm run bench:simulate -- --dataset <file.jsonl> [--dataset ...] --encoder <svt-av1|aom|vp9> [--preset N]\n' +
      '         [--exclude-video name ...] [--degree 1] [--lambda 1] [--weighting row|video]\n' +
      '         [--target 93 ...] [--stat mean|p5] [--probes 3] [--tolerance 1] [--probe-tolerance 0.5] [--train-crfs a,b,c]\n' +
      '         [--train-dataset extra.jsonl ...] [--knn K [--knn-weight W]] [--holdout] [--proxy]',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Partial<Args> & { datasets: string[]; exclude: string[]; targets: number[]; trainDatasets: string[] } = { datasets: [], exclude: [], targets: [], trainDatasets: [] };
  eachArg(argv, (arg, next) => {
    if (takeDatasetModelArg(a, arg, next)) return;
    if (arg === '--target') a.targets.push(numberArg(arg, next()));
    else if (arg === '--stat') {
      const s = next();
      if (s !== 'mean' && s !== 'p5') throw new Error(`--stat must be mean or p5, got ${s}`);
      a.stat = s;
    } else if (arg === '--probes') a.probes = numberArg(arg, next());
    else if (arg === '--tolerance') a.tolerance = numberArg(arg, next());
    else if (arg === '--probe-tolerance') a.probeTolerance = numberArg(arg, next());
    else if (arg === '--train-crfs') a.trainCrfs = next().split(',').map((v) => numberArg(arg, v));
    else if (arg === '--train-dataset') a.trainDatasets.push(path.resolve(next()));
    else if (arg === '--knn') a.knn = numberArg(arg, next());
    else if (arg === '--knn-weight') a.knnWeight = numberArg(arg, next());
    else if (arg === '--holdout') a.holdout = true;
    else if (arg === '-h' || arg === '--help') usage();
    else throw new Error(`unknown argument ${arg}`);
  });
  if (a.datasets.length === 0 || !a.encoder) usage();
  return {
    stat: 'mean',
    probes: 3,
    tolerance: 1,
    probeTolerance: 0.5,
    holdout: false,
    ...a,
    targets: a.targets.length ? a.targets : [93, 95],
  } as Args;
}

/** One scene's measurements: quality and bytes per frame at the measured CRFs, read anywhere in between. */
interface SceneTruth {
  video: string;
  scene: number;
  rows: DatasetRow[];
  crfs: number[];
  at(crf: number): { vmafMean: number; vmafP5: number; bytesPerFrame: number };
}


function sceneTruth(rows: DatasetRow[]): SceneTruth {
  const sorted = rows.slice().sort((a, b) => a.crf - b.crf);
  const crfs = sorted.map((r) => r.crf);
  // Quality is monotone in CRF between measurements: read it in t = ln(100 − VMAF), where the
  // curves are nearly straight; bytes log-linearly.
  const tMean = sorted.map((r) => vmafToT(r.vmafMean));
  const tP5 = sorted.map((r) => vmafToT(r.vmafP5));
  const lnBytes = sorted.map((r) => Math.log(r.bytes / r.frames));
  return {
    video: sorted[0]!.video,
    scene: sorted[0]!.scene,
    rows: sorted,
    crfs,
    at: (crf) => ({
      vmafMean: tToVmaf(measuredAt(crfs, tMean, crf)),
      vmafP5: tToVmaf(measuredAt(crfs, tP5, crf)),
      bytesPerFrame: Math.exp(measuredAt(crfs, lnBytes, crf)),
    }),
  };
}

/** A rule that moves the predicted curve through a scene's probes. */
type ProbeFit = (predicted: SceneCurve, probes: readonly CurveProbe[], proxy?: ProxyCurve) => SceneCurve;

/**
 * Experimental variant: the probes' correction (fitted minus predicted, in t) is held constant
 * outside the probed CRFs on the side(s) where extrapolating it would make the curve flatter than
 * predicted ('above': only above the highest probe; 'both': both sides, whichever way).
 */
function holdOutside(mode: 'above' | 'flatter' | 'both'): ProbeFit {
  return (predicted, probes) => {
    const fitted = fitCurveToProbes(predicted, probes);
    if (new Set(probes.map((p) => p.crf)).size < 2) return fitted;
    const lo = Math.min(...probes.map((p) => p.crf));
    const hi = Math.max(...probes.map((p) => p.crf));
    const c0 = predicted.crfs[0]!;
    const ti = (arr: number[]) => arr.map(vmafToT);
    const adjust = (pred: number[], fit: number[]) => {
      const tp = ti(pred);
      const tf = ti(fit);
      const r = tf.map((t, k) => t - tp[k]!);
      const rHi = r[hi - c0]!;
      const rLo = r[lo - c0]!;
      const out = tf.slice();
      for (let k = 0; k < out.length; k++) {
        const c = c0 + k;
        if (c > hi && (mode === 'both' || r[k]! < rHi)) out[k] = tp[k]! + rHi;
        if (c < lo && (mode === 'both' || (mode === 'flatter' && r[k]! > rLo))) out[k] = tp[k]! + rLo;
      }
      for (let k = 1; k < out.length; k++) out[k] = Math.max(out[k]!, out[k - 1]!);
      return out.map((t) => tToVmaf(t));
    };
    const vmafMean = adjust(predicted.vmafMean, fitted.vmafMean);
    const vmafP5 = adjust(predicted.vmafP5, fitted.vmafP5).map((v, k) => Math.min(v, vmafMean[k]!));
    return { ...fitted, vmafMean, vmafP5 };
  };
}

/**
 * A probe rule: how the curve is moved through the probes, and optionally a trust region — after
 * probing, the CRF may move at most `step` above the highest probed CRF (`upOnly`), or also at
 * most `step` below the lowest, since the curve is only known near the measurements.
 */
interface ProbeRule {
  fit: ProbeFit;
  trust?: { step: number; upOnly: boolean };
}

// "library" is what planEncode does: fitCurveToProbes (with a proxy model: the predicted shape
// scaled to the scene's proxy slope first), within the trust region of its default probeTrust
// (probeTrustBounds; ±8 with proxy models, none without). "predicted slope" is the library before
// the proxy slope (until 2026-11-30): the predicted curve shifted through the probes as it is.
const libraryFit =
  (proxy: boolean): ProbeFit =>
  (predicted, probes, proxyCurve) =>
    fitCurveToProbes(predicted, probes, { proxy: proxy ? proxyCurve : undefined });
const rules = (proxy: boolean): Record<string, ProbeRule> => ({
  library: { fit: libraryFit(proxy), trust: { step: defaultProbeTrust(proxy), upOnly: false } },
  'no trust region': { fit: libraryFit(proxy) },
  ...(proxy ? { 'predicted slope, trust ±8': { fit: (c: SceneCurve, p: readonly CurveProbe[]) => fitCurveToProbes(c, p), trust: { step: 8, upOnly: false } } } : {}),
  'hold above': { fit: holdOutside('above') },
  'trust +6': { fit: libraryFit(proxy), trust: { step: 6, upOnly: true } },
});

interface SceneOutcome {
  crf: number;
  probes: number;
  measured: { vmafMean: number; vmafP5: number };
  bytesPerFrame: number;
  oracleCrf: number | undefined;
  oracleBytesPerFrame: number | undefined;
}

function simulateScene(truth: SceneTruth, predicted: SceneCurve, rule: ProbeRule, a: Pick<Args, 'stat' | 'probeTolerance'>, target: number, maxProbes: number, lo: number, hi: number): SceneOutcome {
  const probes: CurveProbe[] = [];
  const plan = (curve: SceneCurve) => {
    let min = lo;
    let max = hi;
    if (rule.trust && probes.length) {
      const region = probeTrustBounds(probes.map((p) => p.crf), rule.trust.step);
      max = Math.min(hi, region.crfMax!);
      if (!rule.trust.upOnly) min = Math.max(lo, region.crfMin!);
    }
    return planForTarget([{ frames: 1, curve }], { targetVmaf: target, stat: a.stat, crfMin: min, crfMax: max }).crfs[0]!;
  };
  const fit = rule.fit;
  let crf = plan(predicted);
  for (let k = 0; k < maxProbes; k++) {
    if (probes.some((p) => p.crf === crf)) break;
    const m = truth.at(crf);
    probes.push({ crf, vmafMean: m.vmafMean, vmafP5: m.vmafP5, bytesPerFrame: m.bytesPerFrame });
    crf = plan(fit(predicted, probes, truth.rows[0]!.proxy));
    const measured = a.stat === 'p5' ? m.vmafP5 : m.vmafMean;
    // Settled, as in planEncode: no more probes, but the CRF is still re-planned on the fitted curve.
    if (Math.abs(measured - target) <= a.probeTolerance) break;
  }
  const m = truth.at(crf);
  let oracleCrf: number | undefined;
  for (let c = hi; c >= lo; c--) {
    const q = truth.at(c);
    if ((a.stat === 'p5' ? q.vmafP5 : q.vmafMean) >= target) {
      oracleCrf = c;
      break;
    }
  }
  return {
    crf,
    probes: probes.length,
    measured: { vmafMean: m.vmafMean, vmafP5: m.vmafP5 },
    bytesPerFrame: m.bytesPerFrame,
    oracleCrf,
    oracleBytesPerFrame: oracleCrf === undefined ? undefined : truth.at(oracleCrf).bytesPerFrame,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The shipped model's configuration unless given: "what would the shipped recipe do on my data".
  // (--proxy: the shipped proxy model's configuration, when there is one)
  const shipped = await loadShippedModel(args.encoder, args.proxy);
  const a = {
    ...args,
    degree: args.degree ?? shipped.degree,
    lambda: args.lambda ?? shipped.training.lambda,
    weighting: args.weighting ?? shipped.training.weighting,
    // --knn 0 turns the blend off (the polynomial alone); --knn K alone uses the neighbours alone.
    knn: args.knn ?? shipped.neighbours?.k ?? 0,
    knnWeight: args.knnWeight ?? (args.knn !== undefined ? 1 : (shipped.neighbours?.weight ?? 1)),
  };
  const rows = selectRows(readDatasets(a.datasets).rows, a);
  const extraRows = a.trainDatasets.length ? selectRows(readDatasets(a.trainDatasets).rows, a) : [];
  const overlap = new Set(extraRows.map((r) => r.video).filter((v) => rows.some((r) => r.video === v)));
  if (overlap.size) throw new Error(`--train-dataset videos also in --dataset: ${[...overlap].join(', ')}`);
  const videos = [...new Set(rows.map((r) => r.video))].sort();
  if (a.holdout && extraRows.length === 0) throw new Error('--holdout needs --train-dataset: the rows to train on');
  if (!a.holdout && videos.length < 2) throw new Error('leave-one-video-out simulation needs at least 2 videos');
  const gridCrfs = [...new Set(rows.map((r) => r.crf))].sort((x, y) => x - y);
  const lo = gridCrfs[0]!;
  const hi = gridCrfs[gridCrfs.length - 1]!;
  console.log(`machine: ${machineLine()}`);
  console.log(
    `${a.encoder} preset ${rows[0]!.preset}: ${rows.length} rows, ${videos.length} videos, CRFs ${gridCrfs.join(', ')} (planning range ${lo}..${hi}); model degree ${a.degree}, lambda ${a.lambda}, ${a.weighting} weighting; stat ${a.stat}, hit = within ±${a.tolerance}, probe tolerance ${a.probeTolerance}`,
  );
  if (a.proxy) console.log('models use the proxy curves as features');
  if (a.trainCrfs) console.log(`models fitted on the rows at CRF ${a.trainCrfs.join(', ')} only`);
  if (a.knn) console.log(`predictions: mean curve of the ${a.knn} nearest training scenes (standardised model features)${a.knnWeight < 1 ? `, weight ${a.knnWeight} against the model's ${1 - a.knnWeight}` : ', not the model'}`);
  if (a.holdout) console.log(`trained on ${extraRows.length} rows of ${new Set(extraRows.map((r) => r.video)).size} videos from ${a.trainDatasets.map((f) => path.basename(f)).join(', ')}; the --dataset videos are only scored`);
  else if (extraRows.length) console.log(`every fold also trains on ${extraRows.length} rows of ${new Set(extraRows.map((r) => r.video)).size} videos from ${a.trainDatasets.map((f) => path.basename(f)).join(', ')} (never evaluated)`);

  // Per held-out video: its model and its scenes' truths and predicted curves.
  const cases: Array<{ truth: SceneTruth; predicted: SceneCurve }> = [];
  for (const video of videos) {
    // --holdout: the --dataset videos are only scored, never trained on.
    const training = [...(a.holdout ? [] : rows), ...extraRows].filter((r) => r.video !== video && (!a.trainCrfs || a.trainCrfs.includes(r.crf)));
    const polynomial = fitCrfModel(training, { degree: a.degree, lambda: a.lambda, weighting: a.weighting, proxy: a.proxy, crossValidate: false });
    const model = a.knn ? withNearestScenes(polynomial, training, { k: a.knn, weight: a.knnWeight }) : polynomial;
    for (const sceneRows of rowsByScene(rows.filter((x) => x.video === video))) {
      if (new Set(sceneRows.map((r) => r.crf)).size < 2) continue;
      const r = sceneRows[0]!;
      const predicted = predictSceneCurve(model, r.complexity, r, { min: lo, max: hi }, r.proxy);
      cases.push({ truth: sceneTruth(sceneRows), predicted });
    }
  }
  console.log(`${cases.length} scenes\n`);
  console.log('| probe fit | target | probes (max) | probes used | hit ±1 | hit ±2 | capped | hit ±1 of the rest | mean err | mean abs err | mean \\|CRF − oracle\\| | bytes over oracle |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(0)}%`);
  for (const [name, rule] of Object.entries(rules(a.proxy === true))) {
    for (const target of a.targets) {
      for (let n = 0; n <= a.probes; n++) {
        const out = cases.map((c) => simulateScene(c.truth, c.predicted, rule, a, target, n, lo, hi));
        const limits = out.map((o) => ({ crf: o.crf, crfMin: lo, crfMax: hi }));
        const as1 = assessScenes(out.map((o) => o.measured), target, a.stat, a.tolerance, limits);
        const as2 = assessScenes(out.map((o) => o.measured), target, a.stat, 2 * a.tolerance, limits);
        const bias = as1.scenes.reduce((s, x) => s + x.error, 0) / out.length;
        const mae = as1.scenes.reduce((s, x) => s + Math.abs(x.error), 0) / out.length;
        const withOracle = out.filter((o) => o.oracleCrf !== undefined);
        const crfErr = withOracle.reduce((s, o) => s + Math.abs(o.crf - o.oracleCrf!), 0) / Math.max(1, withOracle.length);
        const bytes = withOracle.reduce((s, o) => s + o.bytesPerFrame, 0);
        const oracleBytes = withOracle.reduce((s, o) => s + o.oracleBytesPerFrame!, 0);
        const used = out.reduce((s, o) => s + o.probes, 0) / out.length;
        console.log(
          `| ${name} | ${target} | ${n} | ${used.toFixed(2)} | ${pct(as1.hitRate)} | ${pct(as2.hitRate)} | ${as1.capped} | ${pct(as1.reachableHitRate)} | ${bias >= 0 ? '+' : ''}${fmt(bias, 2)} | ${fmt(mae, 2)} | ${fmt(crfErr, 1)} | ${(100 * (bytes / oracleBytes - 1)).toFixed(1)}% |`,
        );
      }
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
