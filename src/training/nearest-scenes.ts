/** The nearest-scene blend's builder: the training scenes' measured curves, stored in a model. */
import { InvalidOptionsError } from '../errors.js';
import { vmafToT } from '../core/curve.js';
import { parseCrfModel, type CrfModel, type NeighbourScene } from '../model/format.js';
import { modelFeatures } from '../model/features.js';
import { checkRows, rowsByScene, sizeTarget, type DatasetRow } from './dataset.js';

/**
 * The model with a nearest-scene blend (see `neighboursSchema` in src/model/format.ts): every scene of `rows` with at
 * least two distinct CRFs is stored with its measured curve (rows at a repeated CRF are averaged).
 */
export function withNearestScenes(model: CrfModel, rows: readonly DatasetRow[], opts: { k: number; weight: number }): CrfModel {
  if (!(Number.isInteger(opts.k) && opts.k >= 1)) throw new InvalidOptionsError('nearest-scene options', `k must be an integer >= 1, got ${opts.k}`);
  if (!(opts.weight > 0 && opts.weight <= 1)) throw new InvalidOptionsError('nearest-scene options', `weight must be in (0, 1], got ${opts.weight}`);
  const { encoder, preset } = checkRows(rows);
  if (encoder !== model.encoder || preset !== model.preset)
    throw new InvalidOptionsError('training rows', `rows are ${encoder} preset ${preset}, the model ${model.encoder} preset ${model.preset}`);
  const scenes: NeighbourScene[] = [];
  for (const sceneRows of rowsByScene(rows)) {
    const crfs = [...new Set(sceneRows.map((r) => r.crf))].sort((a, b) => a - b);
    if (crfs.length < 2) continue;
    const avg = (f: (r: DatasetRow) => number) => crfs.map((c) => {
      const at = sceneRows.filter((r) => r.crf === c);
      return at.reduce((s, r) => s + f(r), 0) / at.length;
    });
    scenes.push({
      features: modelFeatures(sceneRows[0]!.complexity, sceneRows[0]!, model.proxy, sceneRows[0]!.proxy),
      crfs,
      tMean: avg((r) => vmafToT(r.vmafMean)),
      tP5: avg((r) => vmafToT(r.vmafP5)),
      lnBytesPerPixel: avg(sizeTarget),
    });
  }
  if (scenes.length < opts.k) throw new InvalidOptionsError('training rows', `${scenes.length} scenes have two or more CRFs measured; k is ${opts.k}`);
  return parseCrfModel({ ...model, neighbours: { k: opts.k, weight: opts.weight, scenes } }, 'CRF model with nearest scenes');
}
