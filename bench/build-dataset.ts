/**
 * Builds a CRF-model training dataset from a folder of videos (e.g. `../shared/corpus/build.sh`):
 * analyse → scenes → encode every scene at a CRF grid per encoder → per-scene VMAF (mean, p5,
 * min), bytes and encode time → JSONL rows (src/training/dataset.ts).
 *
 *   npm run bench:dataset -- <video|dir>... --out dataset.jsonl [--work dir] [--encoder svt-av1 --encoder vp9]
 *        [--crfs 20,28,36,44,52,58,63] [--preset svt-av1=8,vp9=4,aom=6] [--excerpt 48] [--subsample 2] [--exclude name] [--proxy]
 *        [--proxy-width 640] [--proxy-crfs 36,52]
 *
 * `--proxy` also measures every scene's proxy curve (src/proxy, the default spec unless
 * `--proxy-width` / `--proxy-crfs` say otherwise) on the same frames, per encoder, and stores it
 * in the rows (`proxy`, with the spec), for models trained with `--proxy`.
 *
 * Cost control: with `--excerpt N` (default 48) each scene contributes its middle N frames (all
 * of it when shorter). The excerpts of a video are cut once into a lossless H.264 reference file,
 * whose scene boundaries are known, and that file is what gets encoded and scored; the scene's
 * features are computed on the same frames. `--excerpt 0` encodes whole videos.
 *
 * Resumable and cheap to rerun: every analysis, excerpt, encode (chunk manifests) and score is
 * cached under `--work`, keyed by video, encoder, preset and CRF; the JSONL is rewritten from the
 * cache at the end of each video (temporary name, then rename).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { analyzeVideo, measureQuality } from '../src/index.js';
import { probeVideo, resolveFfmpeg } from '../src/advanced.js';
import { summarizeScene } from '../src/analysis/complexity.js';
import type { FrameFeatures } from '../src/analysis/features.js';
import type { FfmpegBackend } from '../src/media/types.js';
import { encodePlan } from '../src/encode/chunked.js';
import { datasetRowSchema, sceneComplexitySchema, type DatasetRow } from '../src/training/dataset.js';
import { ENCODERS, type EncoderName } from '../src/core/encoders.js';
import { planFromScenes } from '../src/core/plan-file.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { DEFAULT_PROXY_SPEC, proxySpecSchema, type ProxyCurve, type ProxySpec } from '../src/core/proxy-spec.js';
import { measureProxyCurves } from '../src/proxy/measure.js';
import { log, machineLine } from './lib.js';

const run = promisify(execFile);

export const DEFAULT_PRESETS: Record<EncoderName, number> = { 'svt-av1': 8, aom: 6, vp9: 4 };
// Up to the top of the range: easy scenes are planned at CRF 55–63, and a model that has never seen
// those CRFs extrapolates there badly (bench/RESULTS.md, "models retrained up to CRF 63").
const DEFAULT_CRFS: Record<EncoderName, number[]> = {
  'svt-av1': [20, 28, 36, 44, 52, 58, 63],
  aom: [20, 30, 40, 50, 58, 63],
  vp9: [20, 28, 36, 44, 52, 58, 63],
};

interface Window {
  scene: number;
  /** In the source video (end exclusive). */
  startFrame: number;
  endFrame: number;
  /** In the excerpt file (end exclusive). */
  excerptStart: number;
  excerptEnd: number;
}

interface VideoPrep {
  video: string;
  source: string;
  reference: string;
  width: number;
  height: number;
  fps: number;
  frameRate: { num: number; den: number };
  frameCount: number;
  windows: Window[];
  complexity: DatasetRow['complexity'][];
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function listVideos(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const i of inputs) {
    const s = await stat(i);
    if (s.isDirectory()) {
      for (const f of (await readdir(i)).sort()) if (/\.(mp4|mkv|webm|mov|y4m|avi)$/i.test(f)) out.push(path.join(i, f));
    } else out.push(i);
  }
  return out;
}

/** Analysis (cached) and, with an excerpt length, the lossless excerpt reference file. */
async function prepareVideo(source: string, work: string, excerpt: number, ffmpeg: string): Promise<VideoPrep> {
  const video = path.basename(source);
  const dir = path.join(work, video);
  await mkdir(dir, { recursive: true });
  const prepFile = path.join(dir, `prep-excerpt${excerpt}.json`);
  const cached = (await exists(prepFile)) ? (JSON.parse(await readFile(prepFile, 'utf8')) as VideoPrep) : undefined;
  // A cache from before a complexity field was added is re-analysed; its windows (and so every
  // cached encode) stay valid as long as the scenes come out the same.
  if (cached && sceneComplexitySchema.safeParse(cached.complexity[0]).success) return cached;

  log(`${video}: analysing`);
  const analysis = await analyzeVideo(source, { keepFrameFeatures: true });
  const frames = analysis.frames as FrameFeatures[];
  const windows: Window[] = [];
  let at = 0;
  for (const s of analysis.scenes) {
    const len = s.endFrame - s.startFrame;
    const n = excerpt > 0 ? Math.min(len, excerpt) : len;
    const start = s.startFrame + Math.floor((len - n) / 2);
    windows.push({ scene: s.index, startFrame: start, endFrame: start + n, excerptStart: at, excerptEnd: at + n });
    at += n;
  }
  const complexity = windows.map((w) => summarizeScene(frames, w.startFrame, w.endFrame));
  const info = analysis.video;
  let reference = path.resolve(source);
  if (cached && JSON.stringify(cached.windows) !== JSON.stringify(windows)) throw new Error(`${video}: scenes changed since the cache in ${dir} was made; remove it`);
  if (cached) reference = cached.reference;
  else if (excerpt > 0) {
    reference = path.join(dir, `excerpt${excerpt}.mp4`);
    const select = windows.map((w) => `between(n\\,${w.startFrame}\\,${w.endFrame - 1})`).join('+');
    log(`${video}: cutting ${at} excerpt frames (lossless)`);
    const tmp = `${reference}.tmp.mp4`;
    await run(ffmpeg, [
      '-hide_banner', '-nostdin', '-v', 'error', '-i', source, '-map', '0:V:0',
      '-vf', `select='${select}',setpts=N/FRAME_RATE/TB`, '-fps_mode', 'passthrough',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '25', '-pix_fmt', 'yuv420p', '-y', tmp,
    ]);
    await rename(tmp, reference);
  }
  const prep: VideoPrep = {
    video,
    source: path.resolve(source),
    reference,
    width: info.width,
    height: info.height,
    fps: info.fps,
    frameRate: info.frameRate,
    frameCount: at,
    windows,
    complexity,
  };
  await writeFileAtomic(prepFile, JSON.stringify(prep));
  return prep;
}

interface EncodeScore {
  encoder: EncoderName;
  preset: number;
  crf: number;
  scenes: Array<{ bytes: number; encodeSeconds: number; vmafMean: number; vmafP5: number; vmafMin: number }>;
}

async function encodeAndScore(backend: FfmpegBackend, prep: VideoPrep, work: string, encoder: EncoderName, preset: number, crf: number, subsample: number): Promise<EncodeScore> {
  const dir = path.join(work, prep.video);
  const tag = `${encoder}-p${preset}-crf${crf}`;
  const scoreFile = path.join(dir, `${tag}.score.json`);
  if (await exists(scoreFile)) return JSON.parse(await readFile(scoreFile, 'utf8')) as EncodeScore;
  const probe = await probeVideo(prep.reference, backend);
  const plan = planFromScenes(
    { path: prep.reference, width: prep.width, height: prep.height, frameCount: probe.frameCount, frameRate: prep.frameRate },
    prep.windows.map((w) => ({ startFrame: w.excerptStart, endFrame: w.excerptEnd })),
    { encoder, preset, crf },
  );
  const output = path.join(dir, `${tag}.mkv`);
  const t0 = performance.now();
  const enc = await encodePlan(plan, { output, jobs: 1 });
  const t1 = performance.now();
  const q = await measureQuality(prep.reference, output, { scenes: plan.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame })), subsample });
  const t2 = performance.now();
  log(`${prep.video} ${tag}: encode ${((t1 - t0) / 1000).toFixed(1)} s, VMAF ${((t2 - t1) / 1000).toFixed(1)} s, mean VMAF ${q.pooled.mean.toFixed(2)}, ${(enc.bytes / 1024).toFixed(0)} KiB`);
  const result: EncodeScore = {
    encoder,
    preset,
    crf,
    scenes: enc.chunks.map((c, i) => {
      const s = q.scenes![i]!.score;
      return { bytes: c.bytes, encodeSeconds: c.encodeSeconds, vmafMean: s.mean, vmafP5: s.p5, vmafMin: s.min };
    }),
  };
  await writeFileAtomic(scoreFile, JSON.stringify(result));
  await rm(output, { force: true });
  return result;
}

/** The scenes' proxy curves for one encoder, cached like the encodes. */
async function proxyCurves(prep: VideoPrep, work: string, encoder: EncoderName, spec: ProxySpec): Promise<ProxyCurve[]> {
  const file = path.join(work, prep.video, `${encoder}-proxy-w${spec.width}-f${spec.frames}-s${spec.subsample}-crf${spec.crfs.join('_')}.json`);
  if (await exists(file)) return JSON.parse(await readFile(file, 'utf8')) as ProxyCurve[];
  const t0 = performance.now();
  const curves = await measureProxyCurves(prep.reference, prep.windows.map((w) => ({ startFrame: w.excerptStart, endFrame: w.excerptEnd })), { encoder, spec, workDir: work });
  log(`${prep.video} ${encoder} proxy curves: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await writeFileAtomic(file, JSON.stringify(curves));
  return curves;
}

function rowsOf(prep: VideoPrep, score: EncodeScore, proxy?: { spec: ProxySpec; curves: ProxyCurve[] }): DatasetRow[] {
  return prep.windows.map((w, i) =>
    datasetRowSchema.parse({
      video: prep.video,
      width: prep.width,
      height: prep.height,
      fps: prep.fps,
      encoder: score.encoder,
      preset: score.preset,
      crf: score.crf,
      scene: w.scene,
      startFrame: w.startFrame,
      endFrame: w.endFrame,
      frames: w.endFrame - w.startFrame,
      complexity: prep.complexity[i],
      ...score.scenes[i]!,
      ...(proxy ? { proxy: { spec: proxy.spec, ...proxy.curves[i]! } } : {}),
    }),
  );
}

function parsePresets(text: string | undefined): Record<EncoderName, number> {
  const out = { ...DEFAULT_PRESETS };
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (!ENCODERS.includes(k as EncoderName) || !Number.isInteger(Number(v))) throw new Error(`--preset: expected encoder=number, got ${part}`);
    out[k as EncoderName] = Number(v);
  }
  return out;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      work: { type: 'string' },
      encoder: { type: 'string', multiple: true },
      crfs: { type: 'string' },
      preset: { type: 'string' },
      excerpt: { type: 'string', default: '48' },
      subsample: { type: 'string', default: '2' },
      exclude: { type: 'string', multiple: true },
      proxy: { type: 'boolean', default: false },
      'proxy-width': { type: 'string' },
      'proxy-crfs': { type: 'string' },
    },
  });
  if (!values.out || positionals.length === 0) {
    throw new Error('usage: npm run bench:dataset -- <video|dir>... --out dataset.jsonl [--work dir] [--encoder E]... [--crfs a,b,c] [--preset svt-av1=8,vp9=4] [--excerpt 48] [--subsample 2] [--exclude video]... [--proxy [--proxy-width 640] [--proxy-crfs 36,52]]');
  }
  const encoders = (values.encoder ?? ['svt-av1', 'vp9']) as EncoderName[];
  for (const e of encoders) if (!ENCODERS.includes(e)) throw new Error(`unknown encoder ${e}`);
  const presets = parsePresets(values.preset);
  const excerpt = Number(values.excerpt);
  const subsample = Number(values.subsample);
  const work = path.resolve(values.work ?? `${values.out}.work`);
  const proxySpec = proxySpecSchema.parse({
    ...DEFAULT_PROXY_SPEC,
    ...(values['proxy-width'] !== undefined ? { width: Number(values['proxy-width']) } : {}),
    ...(values['proxy-crfs'] !== undefined ? { crfs: values['proxy-crfs'].split(',').map(Number) } : {}),
  });
  await mkdir(work, { recursive: true });
  const backend = await resolveFfmpeg({ backend: 'native' });
  const videos = (await listVideos(positionals)).filter((v) => !(values.exclude ?? []).includes(path.basename(v)));
  log(`${videos.length} videos, encoders ${encoders.join(', ')}, excerpt ${excerpt}, subsample ${subsample}; ${machineLine()}`);
  const rows: DatasetRow[] = [];
  for (const v of videos) {
    const prep = await prepareVideo(v, work, excerpt, backend.path);
    for (const encoder of encoders) {
      const crfs = values.crfs ? values.crfs.split(',').map(Number) : DEFAULT_CRFS[encoder];
      const proxy = values.proxy ? { spec: proxySpec, curves: await proxyCurves(prep, work, encoder, proxySpec) } : undefined;
      for (const crf of crfs) rows.push(...rowsOf(prep, await encodeAndScore(backend, prep, work, encoder, presets[encoder], crf, subsample), proxy));
    }
    await writeFileAtomic(values.out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    log(`${prep.video}: done, ${rows.length} rows so far → ${values.out}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
