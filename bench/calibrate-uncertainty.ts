// Calibrates a CRF model's prediction intervals (src/training/calibrate.ts) on the videos it was
// trained on, leave-one-video-out, and checks them on the dataset's other videos (held out: never
// trained on, never used to choose anything).
//
//   npm run bench:calibrate -- --dataset <file.jsonl> [--dataset ...] --model models/crf-svt-av1-v1.json
//       [--coverage 0.8] [--write]
//
// Prints, for the tuning folds and the held-out videos: the share of rows (VMAF 80..99) inside
// their interval, the mean half-width, the share of scenes flagged novel, and the share of rows
// whose 0-probe prediction is within ±2. --write stores the calibrated law in the model file.
import path from 'node:path';
import { loadCrfModel, saveCrfModel, type CrfModel } from '../src/model/format.js';
import { predictSceneCurve } from '../src/model/predict.js';
import { intervalHalfWidth, sceneNovelty } from '../src/model/uncertainty.js';
import { calibrateUncertainty } from '../src/training/calibrate.js';
import { TARGET_BAND } from '../src/training/cross-validate.js';
import { rowsByScene, type DatasetRow } from '../src/training/dataset.js';
import { curveQuality } from '../src/core/curve.js';
import { CRF_RANGE } from '../src/core/encoders.js';
import { readDatasets, selectRows } from './datasets.js';
import { eachArg, fmt, machineLine, numberArg } from './lib.js';

interface Args {
  datasets: string[];
  model?: string;
  coverage: number;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { datasets: [], coverage: 0.8, write: false };
  eachArg(argv, (arg, next) => {
    if (arg === '--dataset') a.datasets.push(path.resolve(next()));
    else if (arg === '--model') a.model = next();
    else if (arg === '--coverage') a.coverage = numberArg(arg, next());
    else if (arg === '--write') a.write = true;
    else throw new Error(`unknown argument ${arg}`);
  });
  if (!a.datasets.length || !a.model) throw new Error('usage: npm run bench:calibrate -- --dataset <file.jsonl> --model <model.json> [--coverage 0.8] [--write]');
  return a;
}

interface Check {
  rows: number;
  covered: { mean: number; p5: number };
  halfWidth: { mean: number; p5: number };
  within2: number;
  scenes: number;
  novel: number;
}

/** How the calibrated `model` does on `rows` (videos it never saw). */
function check(model: CrfModel, rows: readonly DatasetRow[]): Check {
  const range = CRF_RANGE[model.encoder];
  const c = { rows: 0, cm: 0, cp: 0, hm: 0, hp: 0, pm: 0, pp: 0, within2: 0, scenes: 0, novel: 0 };
  for (const sceneRows of rowsByScene(rows)) {
    const r0 = sceneRows[0]!;
    const curve = predictSceneCurve(model, r0.complexity, r0, range, r0.proxy);
    const novelty = sceneNovelty(model, r0.complexity, r0, r0.proxy);
    c.scenes++;
    if (novelty > model.uncertainty!.novelAbove) c.novel++;
    for (const r of sceneRows) {
      const i = curve.crfs.indexOf(Math.round(r.crf));
      for (const stat of ['mean', 'p5'] as const) {
        const measured = stat === 'p5' ? r.vmafP5 : r.vmafMean;
        if (measured < TARGET_BAND.min || measured > TARGET_BAND.max) continue;
        const err = Math.abs(curveQuality(curve, stat)[i]! - measured);
        const h = intervalHalfWidth(model.uncertainty![stat], novelty);
        if (stat === 'mean') {
          c.rows++;
          c.pm++;
          c.hm += h;
          if (err <= h) c.cm++;
          if (err <= 2) c.within2++;
        } else {
          c.pp++;
          c.hp += h;
          if (err <= h) c.cp++;
        }
      }
    }
  }
  return {
    rows: c.rows,
    covered: { mean: c.cm / c.pm, p5: c.cp / c.pp },
    halfWidth: { mean: c.hm / c.pm, p5: c.hp / c.pp },
    within2: c.within2 / c.pm,
    scenes: c.scenes,
    novel: c.novel,
  };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const model = await loadCrfModel(a.model!);
  const all = selectRows(readDatasets(a.datasets).rows, { encoder: model.encoder, preset: model.preset, exclude: [] });
  const trained = new Set(model.training.videos);
  const tune = all.filter((r) => trained.has(r.video));
  const heldout = all.filter((r) => !trained.has(r.video));
  const missing = model.training.videos.filter((v) => !tune.some((r) => r.video === v));
  if (missing.length) throw new Error(`the dataset lacks the model's training videos ${missing.join(', ')}`);
  const { uncertainty, points } = calibrateUncertainty(tune, {
    coverage: a.coverage,
    degree: model.degree,
    lambda: model.training.lambda,
    weighting: model.training.weighting,
    proxy: model.proxy !== undefined,
    ...(model.neighbours ? { neighbours: { k: model.neighbours.k, weight: model.neighbours.weight } } : {}),
  });
  const calibrated: CrfModel = { ...model, uncertainty };
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  console.log(`# ${path.basename(a.model!)}: interval calibration (coverage ${a.coverage})\n`);
  console.log(`- ${machineLine()}`);
  console.log(`- command: npm run bench:calibrate -- ${process.argv.slice(2).join(' ')}`);
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- law: mean ±${fmt(uncertainty.mean.halfWidth, 2)} × (1 + ${uncertainty.mean.perNovelty} × novelty); p5 ±${fmt(uncertainty.p5.halfWidth, 2)} × (1 + ${uncertainty.p5.perNovelty} × novelty); novelty scale ${fmt(uncertainty.noveltyScale, 3)}, novel above ${fmt(uncertainty.novelAbove, 2)}\n`);
  console.log('| videos | scenes | rows (VMAF 80–99) | mean: covered | mean: avg ± | p5: covered | p5: avg ± | 0-probe within ±2 | scenes flagged novel |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const tuneRow = {
    covered: uncertainty.calibration.covered,
    halfMean: mean(points.mean.map((p) => intervalHalfWidth(uncertainty.mean, p.novelty))),
    halfP5: mean(points.p5.map((p) => intervalHalfWidth(uncertainty.p5, p.novelty))),
    within2: points.mean.filter((p) => p.error <= 2).length / points.mean.length,
  };
  const novelTune = new Set(points.mean.filter((p) => p.novelty > uncertainty.novelAbove).map((p) => `${p.video}/${p.scene}`)).size;
  console.log(
    `| tuning, leave-one-video-out (${model.training.videos.length}) | ${uncertainty.calibration.scenes} | ${points.mean.length} | ${fmt(tuneRow.covered.mean, 3)} | ${fmt(tuneRow.halfMean, 2)} | ${fmt(tuneRow.covered.p5, 3)} | ${fmt(tuneRow.halfP5, 2)} | ${fmt(tuneRow.within2, 3)} | ${novelTune} |`,
  );
  if (heldout.length) {
    const h = check(calibrated, heldout);
    const names = [...new Set(heldout.map((r) => r.video))].sort();
    console.log(`| held out: ${names.join(', ')} | ${h.scenes} | ${h.rows} | ${fmt(h.covered.mean, 3)} | ${fmt(h.halfWidth.mean, 2)} | ${fmt(h.covered.p5, 3)} | ${fmt(h.halfWidth.p5, 2)} | ${fmt(h.within2, 3)} | ${h.novel} |`);
  } else console.log('\n(no held-out videos in the dataset: every video was trained on)');
  if (a.write) {
    await saveCrfModel(calibrated, a.model!);
    console.log(`\nwrote the calibrated law into ${a.model}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
