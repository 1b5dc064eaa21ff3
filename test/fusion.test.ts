import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelInvalidError } from '../src/errors.js';
import {
  canonicalFeatureKey,
  loadLibvmafModel,
  parseLibvmafModel,
  predict,
  VMAF_FEATURE_KEYS,
  type VmafFeatures,
} from '../src/quality/libvmaf-model.js';
import { defaultFusionModelPath, loadFusionModel, loadVmafModel, parseFusionModel, predictFusion } from '../src/quality/fusion.js';
import { hasReference, modelsDir, readFramesCsv, type FramesCsvRow } from './vmaf-reference.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'scenecrf-fusion-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let rowsCache: FramesCsvRow[] | undefined;
const rows = (): FramesCsvRow[] => (rowsCache ??= readFramesCsv());
const features = (r: FramesCsvRow, suffix = ''): VmafFeatures =>
  Object.fromEntries(VMAF_FEATURE_KEYS.map((k) => [k, r[k === 'motion2' ? 'integer_motion2' : `integer_${k}${suffix}`]!])) as unknown as VmafFeatures;

describe('libvmaf model JSON', () => {
  it('maps libvmaf feature names to canonical keys', () => {
    expect(canonicalFeatureKey('VMAF_integer_feature_adm2_score')).toBe('adm2');
    expect(canonicalFeatureKey('VMAF_integer_feature_motion2_score')).toBe('motion2');
    expect(canonicalFeatureKey('VMAF_feature_vif_scale3_score')).toBe('vif_scale3');
    expect(canonicalFeatureKey('VMAF_float_feature_vif_scale0_score')).toBe('vif_scale0');
    expect(canonicalFeatureKey('VMAF_feature_motion_score')).toBeUndefined();
    expect(canonicalFeatureKey('VMAF_feature_ansnr_score')).toBeUndefined();
  });

  it.skipIf(!hasReference)('reproduces libvmaf vmaf_v0.6.1 per frame to ±0.001 on every frames.csv row', async () => {
    const model = await loadLibvmafModel(path.join(modelsDir, 'vmaf_v0.6.1.json'));
    expect(model.name).toBe('vmaf_v0.6.1');
    expect(model.features).toEqual(['adm2', 'motion2', 'vif_scale0', 'vif_scale1', 'vif_scale2', 'vif_scale3']);
    expect(model.coefs.length).toBe(211);
    expect(model.featureOptions.admEnhnGainLimit).toBe(100);
    expect(model.featureOptions.vifEnhnGainLimit).toBe(100);
    let max = 0;
    let clipped = 0;
    for (const r of rows()) {
      const p = predict(model, features(r));
      max = Math.max(max, Math.abs(p.score - r.vmaf!));
      if (p.unclipped < 0 || p.unclipped > 100) clipped++;
      expect(model.predict(features(r))).toBe(p.score);
    }
    expect(rows().length).toBe(20208);
    expect(clipped).toBeGreaterThan(400); // the clipped rows are included
    expect(max).toBeLessThan(0.001);
  });

  it.skipIf(!hasReference)('reproduces libvmaf vmaf_v0.6.1neg (with the _egl_1 features) to ±0.001 and exposes its gain limits', async () => {
    const model = await loadLibvmafModel(path.join(modelsDir, 'vmaf_v0.6.1neg.json'));
    expect(model.featureOptions.admEnhnGainLimit).toBe(1);
    expect(model.featureOptions.vifEnhnGainLimit).toBe(1);
    expect(model.featureOptions.raw.vif_scale2).toEqual({ vif_enhn_gain_limit: 1 });
    let max = 0;
    for (const r of rows()) max = Math.max(max, Math.abs(predict(model, features(r, '_egl_1')).score - r.vmaf_neg!));
    expect(max).toBeLessThan(0.001);
  });

  it.skipIf(!hasReference)('applies the score transform only when enabled (libvmaf enable_transform), and loads the 4k model', async () => {
    const plain = await loadLibvmafModel(path.join(modelsDir, 'vmaf_v0.6.1.json'));
    const tr = await loadLibvmafModel(path.join(modelsDir, 'vmaf_v0.6.1.json'), { enableTransform: true });
    const r = rows().find((x) => x.vmaf! > 40 && x.vmaf! < 60)!;
    const y = predict(plain, features(r)).unclipped;
    const t = plain.scoreTransform!;
    expect(predict(tr, features(r)).unclipped).toBeCloseTo(Math.max(y, t.p0 + t.p1 * y + t.p2 * y * y), 10);
    const k4 = await loadLibvmafModel(path.join(modelsDir, 'vmaf_4k_v0.6.1.json'));
    expect(k4.scoreTransform).toBeNull();
    expect(k4.predict(features(r))).toBeGreaterThan(0);
  });

  it('rejects missing, corrupt and malformed model files with ModelInvalidError', async () => {
    const missing = path.join(tmp, 'nope.json');
    await expect(loadLibvmafModel(missing)).rejects.toThrow(ModelInvalidError);
    await expect(loadLibvmafModel(missing)).rejects.toThrow(/ENOENT/);
    const write = (name: string, content: string): string => {
      const f = path.join(tmp, name);
      writeFileSync(f, content);
      return f;
    };
    await expect(loadLibvmafModel(write('trunc.json', '{"model_dict": {"model_type": "LIBSV'))).rejects.toThrow(/not valid JSON/);
    await expect(loadLibvmafModel(write('other.json', '{"hello": 1}'))).rejects.toThrow(/model_dict/);
    const good = {
      model_dict: {
        model_type: 'LIBSVMNUSVR',
        feature_names: ['VMAF_integer_feature_adm2_score', 'VMAF_integer_feature_motion2_score'],
        norm_type: 'linear_rescale',
        slopes: [0.01, 1, 0.1],
        intercepts: [-0.3, 0, 0],
        score_clip: [0, 100],
        model: 'svm_type nu_svr\nkernel_type rbf\ngamma 0.5\nnr_class 2\ntotal_sv 2\nrho -1\nSV\n2 1:0.5 2:0.1 \n-1 1:0.9 \n',
      },
    };
    const m = parseLibvmafModel(good, 'inline.json');
    // by hand: x' = (0.9, 0.2); k1 = exp(-0.5*(0.16+0.01)), k2 = exp(-0.5*0.04); y' = 2k1 - k2 + 1; y = (y' + 0.3)/0.01
    const yp = 2 * Math.exp(-0.5 * 0.17) - Math.exp(-0.5 * (0.0 + 0.04)) + 1;
    expect(predict(m, { adm2: 0.9, motion2: 2 } as unknown as VmafFeatures).unclipped).toBeCloseTo((yp + 0.3) / 0.01, 9);
    let nBad = 0;
    const bad = async (patch: Record<string, unknown>, re: RegExp): Promise<void> => {
      const f = write(`bad${nBad++}.json`, JSON.stringify({ model_dict: { ...good.model_dict, ...patch } }));
      await expect(loadLibvmafModel(f)).rejects.toThrow(re);
      await expect(loadLibvmafModel(f)).rejects.toBeInstanceOf(ModelInvalidError);
    };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ slopes: [1, 2] }, /slopes\/intercepts must have 3/],
      [{ feature_names: ['VMAF_feature_ansnr_score', 'VMAF_integer_feature_adm2_score'] }, /unsupported feature "VMAF_feature_ansnr_score"/],
      [{ model: good.model_dict.model.replace('rbf', 'linear') }, /kernel_type "linear"/],
      [{ model: good.model_dict.model.replace('total_sv 2', 'total_sv 3') }, /total_sv says 3/],
      [{ model: good.model_dict.model.replace('1:0.9', '7:0.9') }, /index 7 outside 1\.\.2/],
      [{ model: good.model_dict.model.replace('1:0.9', '1:abc') }, /bad entry "1:abc"/],
      [{ model: good.model_dict.model.replace('gamma 0.5\n', '') }, /"gamma" is missing/],
      [{ model_type: 'RANDOMFOREST' }, /model_type "RANDOMFOREST"/],
      [{ feature_opts_dicts: [{ adm_enhn_gain_limit: 0.5 }, {}] }, /adm_enhn_gain_limit of adm2 must be a number >= 1/],
      [{ score_clip: 'all' }, /score_clip/],
    ];
    for (const [patch, re] of cases) await bad(patch, re);
    try {
      parseLibvmafModel({ model_dict: { ...good.model_dict, slopes: [1] } }, '/x/y.json');
      expect.unreachable();
    } catch (e) {
      expect((e as ModelInvalidError).code).toBe('MODEL_INVALID');
      expect((e as Error).message).toContain('"/x/y.json"');
    }
  });
});

describe('scenecrf default fusion model (models/vmaf-fusion-v1.json)', () => {
  it('loads from the package models/ folder and rejects corrupt fusion files', async () => {
    expect(defaultFusionModelPath()).toBe(path.resolve(__dirname, '..', 'models', 'vmaf-fusion-v1.json'));
    const model = await loadFusionModel();
    expect(model.kind).toBe('scenecrf-fusion');
    expect(model.features).toEqual([...VMAF_FEATURE_KEYS]);
    expect(model.featureOptions.admEnhnGainLimit).toBe(100);
    expect(readFileSync(defaultFusionModelPath()).length).toBeLessThan(300 * 1024);
    expect((await loadVmafModel()).name).toBe(model.name);
    const json = JSON.parse(readFileSync(defaultFusionModelPath(), 'utf8')) as Record<string, unknown>;
    expect(() => parseFusionModel({ ...json, version: 2 }, 'v2.json')).toThrow(ModelInvalidError);
    expect(() => parseFusionModel({ ...json, weights: [1, 2] }, 'w.json')).toThrow(/weights/);
    const f = path.join(tmp, 'fusion-trunc.json');
    writeFileSync(f, readFileSync(defaultFusionModelPath(), 'utf8').slice(0, 5000));
    await expect(loadFusionModel(f)).rejects.toThrow(ModelInvalidError);
    await expect(loadVmafModel(path.join(tmp, 'missing.json'))).rejects.toThrow(ModelInvalidError);
  });

  it('has a recorded held-out (unseen sources) MAE below 0.5', async () => {
    const t = (await loadFusionModel()).file.training;
    expect(t.heldOutSources.length).toBeGreaterThanOrEqual(2);
    expect(t.heldOutMae).toBeLessThan(0.5);
    expect(t.rows).toBe(20208);
  });

  it('gives sensible scores at the edges', async () => {
    const m = await loadFusionModel();
    const perfect = { adm2: 1, vif_scale0: 1, vif_scale1: 1, vif_scale2: 1, vif_scale3: 1 };
    // motion2 = 0 with perfect vif/adm: libvmaf gives 97.43 (frame 0, static content)
    expect(Math.abs(predictFusion(m, { ...perfect, motion2: 0 }) - 97.43)).toBeLessThan(0.5);
    expect(predictFusion(m, { ...perfect, motion2: 8 })).toBeGreaterThan(99);
    const awful = { adm2: 0.3, motion2: 3, vif_scale0: 0.01, vif_scale1: 0.1, vif_scale2: 0.15, vif_scale3: 0.2 };
    expect(predictFusion(m, awful)).toBe(0);
    // far outside the training range: clamped inputs, clipped output, never NaN
    expect(predictFusion(m, { ...perfect, motion2: 1e6 })).toBeLessThanOrEqual(100);
    expect(() => predictFusion(m, { adm2: 1 } as unknown as VmafFeatures)).toThrow(RangeError);
  });

  it.skipIf(!hasReference)('tracks libvmaf vmaf on all frames.csv rows exactly as the trainer recorded', async () => {
    const m = await loadFusionModel();
    const all = rows();
    const input = all.map((r) => features(r));
    let sum = 0;
    let max = 0;
    for (let i = 0; i < all.length; i++) {
      const e = Math.abs(predictFusion(m, input[i]!) - all[i]!.vmaf!);
      sum += e;
      max = Math.max(max, e);
    }
    const mae = sum / all.length;
    // These rows include the training rows, so this is mostly the in-sample error: it must equal
    // what the trainer recorded (proves the file is evaluated exactly as fitted) and stay far below
    // the held-out error of unseen sources (0.25: well over the recorded in-sample 0.065).
    expect(mae).toBeCloseTo(m.file.training.trainMae!, 6);
    expect(mae).toBeLessThan(0.25);
    expect(max).toBeLessThan(5);
    // Prediction cost (tens of µs a frame) is a benchmark figure (bench:vmaf-speed includes it),
    // not a unit-test assertion.
  });
});
