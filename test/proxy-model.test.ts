/**
 * CRF models with proxy-curve features, on a synthetic law where part of a scene's rate–quality
 * behaviour is hidden from the pre-analysis features and visible only in its proxy curve.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SceneComplexity } from '../src/analysis/complexity.js';
import { InvalidOptionsError, ModelInvalidError } from '../src/errors.js';
import { modelFeatureList, modelFeatureNames } from '../src/model/features.js';
import { loadCrfModel, parseCrfModel, saveCrfModel } from '../src/model/format.js';
import { predictSceneCurve } from '../src/model/predict.js';
import { datasetRowSchema, type DatasetRow } from '../src/training/dataset.js';
import { fitCrfModel } from '../src/training/fit.js';
import { withNearestScenes } from '../src/training/nearest-scenes.js';
import { DEFAULT_PROXY_SPEC, type ProxyCurve } from '../src/core/proxy-spec.js';
import { mulberry32 } from '../src/util/random.js';

const stats = (mean: number) => ({ mean, p10: mean * 0.8, p50: mean, p90: mean * 1.3, max: mean * 1.6 });
const complexity = (si: number, motion: number): SceneComplexity => ({
  frameCount: 48,
  lumaMean: 110,
  lumaVariance: 900,
  si: stats(si),
  ti: stats(motion * 1.8 + 1),
  motion: stats(motion),
  mcResidual: stats(motion * 0.4),
  edgeDensity: 0.1,
  noise: 1,
  score: 0.5,
});

/**
 * Ground truth with a hidden factor h (say, grain that the 256-px analysis frames cannot see):
 *   VMAF mean = 100 − exp(−1.6 + 0.3 s + (1.8 + 1.5 h) x + x²),  s = ln(1 + si.mean), x = crf/63
 * and the proxy encode, on the same scene, VMAF = 100 − exp(−1.2 + 0.3 s + (2 + 1.7 h) x).
 */
const law = (s: number, h: number, crf: number) => 100 - Math.exp(-1.6 + 0.3 * s + (1.8 + 1.5 * h) * (crf / 63) + (crf / 63) ** 2);
const proxyLaw = (s: number, h: number, crf: number) => 100 - Math.exp(-1.2 + 0.3 * s + (2 + 1.7 * h) * (crf / 63));

interface Scene {
  c: SceneComplexity;
  s: number;
  h: number;
  proxy: ProxyCurve;
}

function scenes(seed: number, n: number): Scene[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const si = 5 + rand() * 60;
    const s = Math.log1p(si);
    const h = rand() * 1.5;
    return { c: complexity(si, 0.5 + rand() * 4), s, h, proxy: { crfs: [...DEFAULT_PROXY_SPEC.crfs], vmafMean: DEFAULT_PROXY_SPEC.crfs.map((crf) => proxyLaw(s, h, crf)) } };
  });
}

function rows(video: string, sc: Scene[], withProxy = true): DatasetRow[] {
  return sc.flatMap((x, scene) =>
    [20, 28, 36, 44, 52, 58].map((crf) =>
      datasetRowSchema.parse({
        video, width: 1280, height: 720, fps: 24, encoder: 'svt-av1', preset: 8, crf, scene,
        startFrame: scene * 48, endFrame: scene * 48 + 48, frames: 48, complexity: x.c,
        vmafMean: law(x.s, x.h, crf), vmafP5: law(x.s, x.h, crf) - 1, vmafMin: law(x.s, x.h, crf) - 2,
        bytes: 48 * 2000 * Math.exp(-3 * (crf / 63)), encodeSeconds: 1,
        ...(withProxy ? { proxy: { spec: DEFAULT_PROXY_SPEC, ...x.proxy } } : {}),
      }),
    ),
  );
}

const train = Array.from({ length: 5 }, (_, v) => rows(`v${v}.mkv`, scenes(10 + v, 10))).flat();
const held = scenes(99, 15);
const video = { width: 1280, height: 720, fps: 24 };

function heldOutError(model: ReturnType<typeof fitCrfModel>, useProxy: boolean): number {
  let sum = 0;
  let n = 0;
  for (const x of held) {
    const curve = predictSceneCurve(model, x.c, video, { min: 20, max: 58 }, useProxy ? x.proxy : undefined);
    for (const crf of [30, 40, 50]) {
      sum += Math.abs(curve.vmafMean[crf - 20]! - law(x.s, x.h, crf));
      n++;
    }
  }
  return sum / n;
}

describe('CRF models with proxy curves', () => {
  const plain = fitCrfModel(train, { degree: 2, lambda: 1e-3 });
  const proxied = fitCrfModel(train, { degree: 2, lambda: 1e-3, proxy: true });

  it('store the spec and the extra feature names; the proxy curve explains what the features cannot', () => {
    expect(proxied.proxy).toEqual(DEFAULT_PROXY_SPEC);
    expect(proxied.features).toEqual([...modelFeatureNames, 'proxyT@36', 'proxyT@52']);
    expect(proxied.features).toEqual(modelFeatureList(DEFAULT_PROXY_SPEC));
    expect(plain.proxy).toBeUndefined();
    const withProxy = heldOutError(proxied, true);
    const without = heldOutError(plain, false);
    expect(without).toBeGreaterThan(1);
    expect(withProxy).toBeLessThan(without / 3);
  });

  it('need the proxy curve at every spec CRF to predict', () => {
    const x = held[0]!;
    expect(() => predictSceneCurve(proxied, x.c, video)).toThrow(InvalidOptionsError);
    expect(() => predictSceneCurve(proxied, x.c, video, undefined, { crfs: [36], vmafMean: [90] })).toThrow(/CRF 52/);
    // A plain model ignores a proxy curve.
    expect(predictSceneCurve(plain, x.c, video, undefined, x.proxy)).toEqual(predictSceneCurve(plain, x.c, video));
  });

  it('refuse rows without proxy curves or measured to different specs', () => {
    const mixed = [...train, ...rows('noproxy.mkv', scenes(5, 3), false)];
    expect(() => fitCrfModel(mixed, { proxy: true })).toThrow(/has no proxy curve/);
    const otherSpec = train.map((r, i) => (i === 0 ? { ...r, proxy: { ...r.proxy!, spec: { ...r.proxy!.spec, width: 480 } } } : r));
    expect(() => fitCrfModel(otherSpec, { proxy: true })).toThrow(/different specs/);
  });

  it('keep the proxy features through the nearest-scene blend and a file round trip; a feature list without them is corrupt', async () => {
    const blended = withNearestScenes(proxied, train, { k: 3, weight: 0.5 });
    expect(blended.neighbours!.scenes[0]!.features).toHaveLength(modelFeatureNames.length + 2);
    const x = held[1]!;
    const a = predictSceneCurve(blended, x.c, video, undefined, x.proxy);
    const dir = await mkdtemp(path.join(tmpdir(), 'scenecrf-proxy-model-'));
    try {
      const file = path.join(dir, 'm.json');
      await saveCrfModel(blended, file);
      const back = await loadCrfModel(file);
      expect(predictSceneCurve(back, x.c, video, undefined, x.proxy)).toEqual(a);
      const json = JSON.parse(await readFile(file, 'utf8'));
      json.features = [...modelFeatureNames];
      await writeFile(file, JSON.stringify(json));
      await expect(loadCrfModel(file)).rejects.toThrow(ModelInvalidError);
      expect(() => parseCrfModel({ ...json, features: blended.features, proxy: { ...blended.proxy, crfs: [52, 36] } }, 'x')).toThrow(ModelInvalidError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
