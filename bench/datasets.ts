// Reading and selecting training rows (JSONL from bench/build-dataset.ts), shared by the
// training and simulation scripts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { datasetRowSchema, type DatasetRow } from '../src/training/dataset.js';
import type { RowWeighting } from '../src/training/polynomial-fit.js';
import { defaultCrfModelPath, loadCrfModel, type CrfModel } from '../src/model/format.js';
import { ENCODERS, type EncoderName } from '../src/core/encoders.js';
import { numberArg } from './lib.js';

/**
 * The shipped model whose recipe a retrain or a simulation follows by default: with `proxy`, the
 * shipped proxy model when it loads, else the plain one.
 */
export function loadShippedModel(encoder: EncoderName, proxy = false): Promise<CrfModel> {
  const plain = () => loadCrfModel(defaultCrfModelPath(encoder));
  return proxy ? loadCrfModel(defaultCrfModelPath(encoder, { proxy })).catch(plain) : plain();
}

/** The dataset and model flags bench/train-crf.ts and bench/simulate-probes.ts share. */
export interface DatasetModelArgs {
  datasets: string[];
  encoder?: EncoderName;
  preset?: number;
  exclude: string[];
  degree?: number;
  lambda?: number;
  weighting?: RowWeighting;
  /** Fit with the rows' proxy curves as features (`--proxy`). */
  proxy?: boolean;
}

/**
 * Takes one of the shared flags (`--dataset`, `--encoder`, `--preset`, `--exclude-video`,
 * `--degree`, `--lambda`, `--weighting`, `--proxy`) into `a`; false for any other flag.
 */
export function takeDatasetModelArg(a: DatasetModelArgs, arg: string, next: () => string): boolean {
  if (arg === '--dataset') a.datasets.push(path.resolve(next()));
  else if (arg === '--encoder') {
    const e = next();
    if (!(ENCODERS as readonly string[]).includes(e)) throw new Error(`--encoder must be one of ${ENCODERS.join(', ')}, got ${e}`);
    a.encoder = e as EncoderName;
  } else if (arg === '--preset') a.preset = numberArg(arg, next());
  else if (arg === '--exclude-video') a.exclude.push(...next().split(',').filter(Boolean));
  else if (arg === '--degree') a.degree = numberArg(arg, next());
  else if (arg === '--lambda') a.lambda = numberArg(arg, next());
  else if (arg === '--weighting') {
    const w = next();
    if (w !== 'row' && w !== 'video') throw new Error(`--weighting must be row or video, got ${w}`);
    a.weighting = w;
  } else if (arg === '--proxy') a.proxy = true;
  else return false;
  return true;
}

/** Which rows to use: one encoder, optionally one preset, without the named videos. */
export interface RowSelection {
  encoder: EncoderName;
  preset?: number;
  /** Videos dropped from everything (a name matches with or without its extension). */
  exclude: string[];
}

/** Reads JSONL dataset files; every bad line is reported as file:line. */
export function readDatasets(files: string[]): { rows: DatasetRow[]; sha256: string } {
  const hash = createHash('sha256');
  const rows: DatasetRow[] = [];
  const errors: string[] = [];
  for (const file of files) {
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (e) {
      throw new Error(`cannot read dataset ${file}: ${(e as Error).message}`);
    }
    hash.update(buf);
    const rel = path.relative(process.cwd(), file) || file;
    buf
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch (e) {
          errors.push(`${rel}:${i + 1}: not JSON: ${(e as Error).message}`);
          return;
        }
        const r = datasetRowSchema.safeParse(json);
        if (!r.success) errors.push(`${rel}:${i + 1}: ${r.error.issues.slice(0, 3).map((x) => `${x.path.join('.') || '(row)'}: ${x.message}`).join('; ')}`);
        else rows.push(r.data);
      });
  }
  if (errors.length) throw new Error(`invalid dataset rows (${errors.length}):\n  ${errors.slice(0, 10).join('\n  ')}${errors.length > 10 ? `\n  … and ${errors.length - 10} more` : ''}`);
  return { rows, sha256: hash.digest('hex') };
}

const stem = (name: string): string => name.replace(/\.[^.]*$/, '');

export function selectRows(all: DatasetRow[], args: RowSelection): DatasetRow[] {
  let rows = all.filter((r) => r.encoder === args.encoder);
  if (rows.length === 0) throw new Error(`no rows for encoder ${args.encoder} (have ${[...new Set(all.map((r) => r.encoder))].join(', ') || 'none'})`);
  for (const name of args.exclude) {
    const hits = rows.filter((r) => r.video === name || stem(r.video) === name);
    if (hits.length === 0)
      throw new Error(`--exclude-video ${name} matches no ${args.encoder} row (videos: ${[...new Set(rows.map((r) => r.video))].sort().join(', ')})`);
    console.log(`excluded ${name}: ${hits.length} rows`);
    const drop = new Set(hits);
    rows = rows.filter((r) => !drop.has(r));
  }
  const presets = [...new Set(rows.map((r) => r.preset))].sort((a, b) => a - b);
  if (args.preset !== undefined) {
    rows = rows.filter((r) => r.preset === args.preset);
    if (rows.length === 0) throw new Error(`no ${args.encoder} rows at preset ${args.preset} (have ${presets.join(', ')})`);
  } else if (presets.length > 1) throw new Error(`the ${args.encoder} rows mix presets ${presets.join(', ')}: pick one with --preset`);
  // One row per (video, scene, crf): a re-run build may have appended a row again; keep the last.
  const byKey = new Map<string, DatasetRow>();
  for (const r of rows) byKey.set(JSON.stringify([r.video, r.scene, r.startFrame, r.crf]), r);
  if (byKey.size < rows.length) console.log(`warning: ${rows.length - byKey.size} duplicate (video, scene, crf) rows; kept the last of each`);
  return [...byKey.values()];
}
