/**
 * Anamorphic input keeps its shape (issue 21, item 5): a 704x576 clip with 16:11 pixels (shown
 * 16:9) must come out of every encode path, and out of the ffmpeg zone script, with the same sample
 * aspect ratio; chunks are IVF, which cannot store it, so the concat has to put it back. HDR10
 * colour tags must survive alongside.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePlan } from '../src/encode/chunked.js';
import { analyzeVideo } from '../src/analysis/analyze.js';
import { UnsupportedError } from '../src/errors.js';
import { probeVideo } from '../src/media/probe.js';
import { resolveFfmpeg } from '../src/media/resolve.js';
import { parsePlan, planFromScenes, type EncodePlan } from '../src/core/plan-file.js';
import { planEncode } from '../src/optimize/plan-encode.js';
import { ffmpegScript } from '../src/zones/ffmpeg-script.js';
import { zoneFormatNotes } from '../src/zones/zones.js';
import { hasNativeFfmpeg } from './helpers.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const SAR = { num: 16, den: 11 };

let tmp: string;
let sar: string;
let hdr: string;

function ffprobeStream(file: string): Record<string, string> {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=sample_aspect_ratio,display_aspect_ratio,color_primaries,color_transfer,color_space,pix_fmt', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  return (JSON.parse(out) as { streams: Array<Record<string, string>> }).streams[0]!;
}

function vp9Plan(input: string, extra: Partial<EncodePlan['input']> = {}, bitDepth: 8 | 10 = 8): EncodePlan {
  return planFromScenes({ path: input, width: 704, height: 576, frameCount: 12, frameRate: { num: 25, den: 1 }, ...extra }, [{ startFrame: 0, endFrame: 6 }, { startFrame: 6, endFrame: 12 }], {
    encoder: 'vp9',
    preset: 8,
    crf: 45,
    bitDepth,
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-aspect-'));
  sar = path.join(tmp, 'sar.mp4');
  hdr = path.join(tmp, 'hdr10.mkv');
  if (!hasNativeFfmpeg) return;
  const src = ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=704x576:r=25', '-frames:v', '12'];
  execFileSync(FFMPEG, [...src, '-vf', 'setsar=16/11,format=yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', sar]);
  // HDR10 tags on a 10-bit anamorphic clip (lossless FFV1, so no 10-bit x264 is needed).
  execFileSync(FFMPEG, [
    ...src, '-vf', 'setsar=16/11,format=yuv420p10le', '-c:v', 'ffv1',
    '-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc', '-color_range', 'tv', hdr,
  ]);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasNativeFfmpeg)('the sample aspect ratio of anamorphic input', () => {
  it('is reported by the probe and the analysis (absent for square pixels)', async () => {
    const native = await resolveFfmpeg({ backend: 'native' });
    expect((await probeVideo(sar, native)).sampleAspectRatio).toEqual(SAR);
    expect((await probeVideo(sar, { ...native, ffprobePath: undefined })).sampleAspectRatio).toEqual(SAR);
    expect((await probeVideo(sar, await resolveFfmpeg({ backend: 'wasm' }))).sampleAspectRatio).toEqual(SAR);
    expect((await analyzeVideo(sar, { backend: 'native' })).video.sampleAspectRatio).toEqual(SAR);
    expect((await probeVideo('fixtures/static.mp4', native)).sampleAspectRatio).toBeUndefined();
  });

  it('is recorded in the plan; old plans without it still parse, and 1:1 is written by leaving it out', async () => {
    const r = await planEncode(sar, { encoder: 'vp9', targetVmaf: 90 });
    expect(r.plan.input.sampleAspectRatio).toEqual(SAR);
    expect(vp9Plan(sar).input.sampleAspectRatio).toBeUndefined();
    expect(() => parsePlan({ ...vp9Plan(sar), input: { ...vp9Plan(sar).input, sampleAspectRatio: { num: 1, den: 1 } } })).toThrow(/square/);
  });

  it.each([
    ['ffmpeg', 'webm'],
    ['ffmpeg', 'mp4'],
    ['ffmpeg', 'mkv'],
    ['tool', 'mkv'],
  ] as const)('survives an encode through %s into .%s (16:11, shown 16:9)', async (via, ext) => {
    // A plan written without the field (as before it existed): encode reads the input's own ratio.
    const out = path.join(tmp, `out-${via}.${ext}`);
    await encodePlan(vp9Plan(sar), { output: out, via, jobs: 1, threads: 1 });
    expect(ffprobeStream(out)).toMatchObject({ sample_aspect_ratio: '16:11', display_aspect_ratio: '16:9' });
  });

  it('is refused for .ivf, which cannot store it', async () => {
    await expect(encodePlan(vp9Plan(sar), { output: path.join(tmp, 'out.ivf') })).rejects.toThrow(UnsupportedError);
    await expect(encodePlan(vp9Plan(sar), { output: path.join(tmp, 'out.ivf') })).rejects.toThrow(/16:11.*\.mkv, \.webm or \.mp4/);
  });

  // VP9 chunks keep only the matrix and range, and Y4M (the standalone tools) no colour at all: the
  // container gets the input's tags. With vpxenc the bitstream's matrix stays unspecified, and
  // ffprobe reports the bitstream's (docs/encode.md: plan option color-space), so it is not checked.
  it.each(['ffmpeg', 'tool', 'script'] as const)('and the HDR10 colour tags survive a 10-bit encode (%s)', async (via) => {
    const out = path.join(tmp, `hdr-${via}.mkv`);
    if (via === 'script') {
      const script = path.join(tmp, 'hdr.sh');
      await writeFile(script, ffmpegScript(vp9Plan(hdr, { sampleAspectRatio: SAR }, 10), { output: out }));
      execFileSync('sh', [script], { env: { ...process.env, FFMPEG } });
    } else await encodePlan(vp9Plan(hdr, {}, 10), { output: out, via, jobs: 1, threads: 1 });
    expect(ffprobeStream(out)).toMatchObject({
      sample_aspect_ratio: '16:11',
      display_aspect_ratio: '16:9',
      pix_fmt: 'yuv420p10le',
      color_primaries: 'bt2020',
      color_transfer: 'smpte2084',
      ...(via === 'tool' ? {} : { color_space: 'bt2020nc' }),
    });
  });

  it('is set by the ffmpeg zone script, and the other zone formats say they cannot carry it', async () => {
    const plan = vp9Plan(sar, { sampleAspectRatio: SAR });
    const out = path.join(tmp, 'script-out.webm');
    const script = path.join(tmp, 'encode.sh');
    const text = ffmpegScript(plan, { output: out });
    expect(text).toContain('setsar=16/11');
    await writeFile(script, text);
    execFileSync('sh', [script], { env: { ...process.env, FFMPEG } });
    expect(ffprobeStream(out)).toMatchObject({ sample_aspect_ratio: '16:11', display_aspect_ratio: '16:9' });
    expect(ffmpegScript(vp9Plan(sar), { output: out })).not.toContain('setsar');
    expect(zoneFormatNotes(plan, 'av1an')).toEqual([expect.stringMatching(/sample aspect ratio 16:11, shown 16:9.*-aspect 16:9/)]);
    expect(zoneFormatNotes(plan, 'x265')).toEqual([expect.stringMatching(/--sar 16:11 to the x265 command line/)]);
    expect(zoneFormatNotes(plan, 'ffmpeg')).toEqual([]);
    expect(zoneFormatNotes(vp9Plan(sar), 'av1an')).toEqual([]);
  });
});
