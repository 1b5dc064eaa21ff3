import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertEncoderSupported, type OptionValue } from '../encode/encoders.js';
import { describeIssues, FfmpegError, InvalidOptionsError, throwIfAborted } from '../errors.js';
import { parseFinalProgress } from '../media/ffmpeg-info.js';
import { seekCut } from '../media/cut.js';
import { frameWindowsSelect, videoFilterArgs } from '../media/filter-args.js';
import { analysisSize } from '../media/frame-format.js';
import { probeVideo } from '../media/probe.js';
import { runTool } from '../media/process.js';
import { resolveFfmpeg } from '../media/resolve.js';
import type { EncoderName } from '../core/encoders.js';
import { measureQuality } from '../quality/measure.js';
import { DEFAULT_PROXY_SPEC, middleFrames, proxySpecSchema, type ProxyCurve, type ProxySpec } from '../core/proxy-spec.js';

/**
 * The cheap encode a proxy curve is made of, per encoder: its fastest speed. VP9 uses libvpx's
 * realtime mode, whose speed 8 is several times faster than `good` at its fastest.
 */
export const PROXY_ENCODES: Record<EncoderName, { preset: number; options: Record<string, OptionValue> }> = {
  'svt-av1': { preset: 12, options: {} },
  aom: { preset: 8, options: { usage: 'realtime' } },
  vp9: { preset: 8, options: { deadline: 'realtime' } },
};

export interface ProxyProgress {
  /** Steps done so far, of `total`: one per scene encoded, then one per CRF scored. */
  done: number;
  total: number;
}

export interface MeasureProxyOptions {
  encoder: EncoderName;
  spec?: ProxySpec;
  ffmpegPath?: string;
  /** A folder for the small reference and the proxy encodes (in a subfolder removed afterwards); default the system's temporary folder. */
  workDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: ProxyProgress) => void;
}

/** Runs ffmpeg quietly (errors and the final frame count only); returns the frames it wrote. */
async function ffmpeg(file: string, args: string[], signal?: AbortSignal): Promise<number | undefined> {
  const r = await runTool(file, ['-hide_banner', '-nostdin', '-v', 'error', '-stats', '-y', ...args], { signal });
  if (r.exitCode !== 0) throw new FfmpegError(args, r.exitCode, r.stderr);
  return parseFinalProgress(r.stderr)?.frame;
}

/**
 * ffmpeg input and filter-graph arguments giving frames [startFrame, endFrame) of the proxy
 * reference (all intra frames at timestamps n/fps, as measureProxyCurves writes it) with
 * timestamps from 0; `outputs` ends the graph (e.g. `,split=2[p0][p1]`).
 *
 * 'seek' seeks to the scene: cutting by frame number ('decode') decodes the reference from its
 * start for every scene, O(scenes²) over a long video. The seek cut is at half-frame midpoints,
 * immune to the container's millisecond rounding up to 250 fps; above that it falls back to
 * 'decode', which is exact for any file. The caller checks the frame count and redoes a wrong
 * seek cut with 'decode'.
 */
export function referenceCutArgs(
  reference: string,
  range: { startFrame: number; endFrame: number },
  frameRate: { num: number; den: number },
  mode: 'seek' | 'decode',
  outputs: string,
): string[] {
  if (mode === 'seek' && frameRate.num / frameRate.den <= 250) {
    const cut = seekCut(range.startFrame, range.endFrame, frameRate);
    return [...cut.inputArgs, '-i', `file:${reference}`, '-filter_complex', `[0:v]${cut.trim},setpts=PTS-STARTPTS${outputs}`];
  }
  return ['-i', `file:${reference}`, '-filter_complex', `[0:v]trim=start_frame=${range.startFrame}:end_frame=${range.endFrame},setpts=PTS-STARTPTS${outputs}`];
}

/**
 * Writes frames `windows` of `input` (sorted, disjoint, end exclusive), scaled to `size`, into
 * the lossless all-intra `reference` at timestamps n/fps, decoding the input once. Returns the
 * frames written (undefined when ffmpeg did not say).
 */
export async function writeProxyReference(
  backend: { path: string; version: string },
  input: string,
  windows: ReadonlyArray<{ startFrame: number; endFrame: number }>,
  o: { frameRate: { num: number; den: number }; size: { width: number; height: number } },
  reference: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const total = windows.reduce((n, w) => n + w.endFrame - w.startFrame, 0);
  // The select grows with the scenes: on a film with hundreds of shots it goes through a file.
  const graph = `select='${frameWindowsSelect(windows)}',settb=${o.frameRate.den}/${o.frameRate.num},setpts=N,scale=${o.size.width}:${o.size.height}:flags=bicubic`;
  const filter = await videoFilterArgs(graph, backend.version, path.dirname(reference), `${path.basename(reference)}.filter.txt`);
  return ffmpeg(
    backend.path,
    ['-i', `file:${input}`, '-map', '0:V:0', ...filter, '-fps_mode', 'passthrough', '-frames:v', String(total), '-pix_fmt', 'yuv420p', '-c:v', 'ffv1', `file:${reference}`],
    signal,
  );
}

/**
 * Measures every scene's proxy curve (see `spec.ts`): the middle `spec.frames` of each scene
 * are cut once, scaled to `spec.width`, into a small lossless reference; each scene is then
 * encoded on its own at every `spec.crfs`, and scored with the builtin VMAF against that
 * reference (mean over every `spec.subsample`-th frame of the joined scenes, pooled per scene).
 * Scenes are frame ranges of `input`, end exclusive.
 */
export async function measureProxyCurves(
  input: string,
  scenes: ReadonlyArray<{ startFrame: number; endFrame: number }>,
  options: MeasureProxyOptions,
): Promise<ProxyCurve[]> {
  const parsedSpec = proxySpecSchema.safeParse(options.spec ?? DEFAULT_PROXY_SPEC);
  if (!parsedSpec.success) throw new InvalidOptionsError('proxy spec', describeIssues(parsedSpec.error.issues, 'spec'));
  const spec = parsedSpec.data;
  const { signal, onProgress } = options;
  scenes.forEach((s, i) => {
    if (!(Number.isInteger(s.startFrame) && Number.isInteger(s.endFrame) && s.startFrame >= 0 && s.endFrame > s.startFrame))
      throw new InvalidOptionsError('scenes', `scene ${i} needs integer frames 0 <= startFrame < endFrame, got ${s.startFrame}..${s.endFrame}`);
    if (i > 0 && s.startFrame < scenes[i - 1]!.endFrame) throw new InvalidOptionsError('scenes', `scene ${i} starts at ${s.startFrame}, inside scene ${i - 1}`);
  });
  if (scenes.length === 0) return [];
  throwIfAborted(signal);
  const backend = await resolveFfmpeg({ ffmpegPath: options.ffmpegPath, backend: 'native' });
  const adapter = assertEncoderSupported(backend, options.encoder);
  const info = await probeVideo(input, backend, signal);
  const last = scenes[scenes.length - 1]!.endFrame;
  if (info.frameCountExact && last > info.frameCount) throw new InvalidOptionsError('scenes', `they end at frame ${last}, but ${input} has ${info.frameCount} frames`);
  const size = analysisSize(info.width, info.height, spec.width);

  const windows = scenes.map((s) => middleFrames(s.startFrame, s.endFrame, spec.frames));
  const base = options.workDir ? path.resolve(options.workDir) : os.tmpdir();
  await mkdir(base, { recursive: true });
  const workDir = await mkdtemp(path.join(base, 'scenecrf-proxy-'));
  try {
    // One decode of the source, up to the last window: the windows' frames, scaled, into a lossless
    // reference at timestamps n/fps (referenceCutArgs seeks on them).
    const total = windows.reduce((n, w) => n + w.endFrame - w.startFrame, 0);
    const reference = path.join(workDir, 'reference.mkv');
    const written = await writeProxyReference(backend, input, windows, { frameRate: info.frameRate, size }, reference, signal);
    if (written !== undefined && written < total) throw new InvalidOptionsError('scenes', `they end at frame ${last}, but ${input} has fewer frames (${written} of the ${total} proxy frames were found)`);
    const setting = PROXY_ENCODES[options.encoder];
    // Each scene is encoded on its own (its own encoder instances, so it starts with a keyframe
    // and nothing leaks across a cut), at every CRF in one ffmpeg process. The per-CRF chunks are
    // then laid end to end and scored in one builtin-VMAF pass per CRF, pooled per scene: a VMAF
    // run has a fixed start-up cost far above that of 48 small frames.
    const steps = windows.length + spec.crfs.length;
    const chunks: string[][] = spec.crfs.map(() => []);
    const ranges: Array<{ startFrame: number; endFrame: number }> = [];
    let at = 0;
    for (const [i, w] of windows.entries()) {
      throwIfAborted(signal);
      const range = { startFrame: at, endFrame: at + (w.endFrame - w.startFrame) };
      ranges.push(range);
      at = range.endFrame;
      const outputs = spec.crfs.map((crf) => path.join(workDir, `scene${i}-crf${crf}.ivf`));
      const split = spec.crfs.length > 1 ? `,split=${spec.crfs.length}${spec.crfs.map((_, k) => `[p${k}]`).join('')}` : '[p0]';
      const encode = (cut: string[]) =>
        ffmpeg(
          backend.path,
          [
            ...cut,
            ...spec.crfs.flatMap((crf, k) => [
              '-map', `[p${k}]`,
              ...adapter.args({ crf, preset: setting.preset, bitDepth: 8, threads: 1, keyint: 9999, options: setting.options }),
              '-f', 'ivf', `file:${outputs[k]}`,
            ]),
          ],
          signal,
        );
      const frames = range.endFrame - range.startFrame;
      const seeked = await encode(referenceCutArgs(reference, range, info.frameRate, 'seek', split));
      if (seeked !== frames) await encode(referenceCutArgs(reference, range, info.frameRate, 'decode', split));
      outputs.forEach((o, k) => chunks[k]!.push(o));
      onProgress?.({ done: i + 1, total: steps });
    }
    const vmafMean = windows.map(() => new Array<number>(spec.crfs.length));
    for (const [k, crf] of spec.crfs.entries()) {
      throwIfAborted(signal);
      const list = path.join(workDir, `crf${crf}.txt`);
      await writeFile(list, chunks[k]!.map((f) => `file '${f.replace(/'/g, "'\\''")}'\n`).join(''));
      const joined = path.join(workDir, `crf${crf}.ivf`);
      const frames = await ffmpeg(backend.path, ['-f', 'concat', '-safe', '0', '-i', `file:${list}`, '-map', '0:V:0', '-c', 'copy', '-f', 'ivf', `file:${joined}`], signal);
      if (frames !== undefined && frames !== total) throw new FfmpegError([], 0, `the CRF ${crf} proxy encodes hold ${frames} frames, expected ${total}`);
      // One thread: on frames this small a worker pool costs more to start than it saves.
      const q = await measureQuality(reference, joined, { vmafBackend: 'builtin', scenes: ranges, subsample: spec.subsample, threads: 1, ffmpegPath: backend.path, signal });
      q.scenes!.forEach((sc, i) => (vmafMean[i]![k] = sc.score.mean));
      onProgress?.({ done: windows.length + k + 1, total: steps });
    }
    const curves: ProxyCurve[] = vmafMean.map((v) => ({ crfs: [...spec.crfs], vmafMean: v }));
    return curves;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
