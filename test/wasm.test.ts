import { accessSync, constants } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, CorruptInputError, NotAVideoError, ScenecrfError } from '../src/errors.js';
import {
  bitDepthOfPixFmt,
  parseCodecList,
  parseFfmpegInputInfo,
  parseFilterList,
  parseFinalProgress,
  rateToRational,
} from '../src/media/ffmpeg-info.js';
import { createWasmBackend } from '../src/media/wasm/backend.js';
import { runWasmFfmpeg } from '../src/media/wasm/core.js';
import { ffmpegDecodeArgs } from '../src/media/native/decode.js';
import { decodeFramesWasm } from '../src/media/wasm/decode.js';
import { probeWasm } from '../src/media/wasm/probe.js';
import type { Frame } from '../src/media/types.js';

function findNativeFfmpeg(): string | undefined {
  const candidates = ['/usr/bin/ffmpeg', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'ffmpeg'))];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

const nativeFfmpeg = findNativeFfmpeg();
const skipReason = nativeFfmpeg ? '' : 'SKIPPED: no native ffmpeg at /usr/bin/ffmpeg or on PATH; it is needed to make test clips';
if (!nativeFfmpeg) console.warn(`\n*** wasm.test.ts: ${skipReason} ***\n`);

async function collect(gen: AsyncGenerator<Frame>): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of gen) frames.push(f);
  return frames;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

describe('ffmpeg-info parsers (pure)', () => {
  const banner = [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a, from 'b.mp4':",
    '  Metadata:',
    '    major_brand     : isom',
    '  Duration: 00:01:02.50, start: 0.000000, bitrate: 231 kb/s',
    '  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s (default)',
    '  Stream #0:1[0x2](und): Video: h264 (High 10) (avc1 / 0x31637661), yuv420p10le(tv, bt709, progressive), 1920x1080 [SAR 1:1 DAR 16:9], 4000 kb/s, 23.98 fps, 23.98 tbr, 24k tbn (default)',
    'Stream mapping:',
    '  Stream #0:1 -> #0:0 (h264 (native) -> wrapped_avframe (native))',
    'Output #0, null, to \'pipe:\':',
    '  Stream #0:0: Video: wrapped_avframe, yuv420p, 64x64, q=2-31, 200 kb/s, 25 fps, 25 tbn',
    'frame=   10 fps=0.0 q=-0.0 size=N/A time=00:00:00.41 bitrate=N/A speed=1x    ',
    'frame= 1499 fps=0.0 q=-0.0 Lsize=N/A time=00:01:02.50 bitrate=N/A speed=9x    ',
  ].join('\n');

  it('parses the input banner and ignores output streams', () => {
    const info = parseFfmpegInputInfo(banner, 'x.mp4');
    expect(info).toMatchObject({ container: 'mov,mp4,m4a,3gp,3g2,mj2', durationSeconds: 62.5, hasAudio: true });
    expect(info.video).toMatchObject({
      index: 1,
      codec: 'h264',
      pixFmt: 'yuv420p10le',
      bitDepth: 10,
      width: 1920,
      height: 1080,
      sar: { num: 1, den: 1 },
      frameRate: { num: 24000, den: 1001 },
    });
    expect(info.video?.fps).toBeCloseTo(23.98);
    expect(parseFinalProgress(banner)).toEqual({ frame: 1499, timeSeconds: 62.5 });
  });

  it('takes the last progress line, with \\r-separated stats and log lines between them', () => {
    // What `ffmpeg -i x -c copy -f null -` prints: stats lines ended by \r, a warning on its own
    // line, and a log line that mentions "frame=" without being progress.
    const stats = [
      'Output #0, null, to \'pipe:\':',
      'frame=   12 fps=0.0 q=-1.0 size=N/A time=00:00:00.48 bitrate=N/A speed=0.9x    \r',
      '[null @ 0x55d] Application provided invalid, non monotonically increasing dts to muxer in stream 0: 7 >= 7\n',
      'frame=   96 fps=0.0 q=-1.0 Lsize=N/A time=00:00:03.84 bitrate=N/A speed= 120x    \r\n',
      '[vist#0:0 @ 0x55e] corrupt packet near frame=97\n',
      'video:25kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown\n',
    ].join('');
    expect(parseFinalProgress(stats)).toEqual({ frame: 96, timeSeconds: 3.84 });
    expect(parseFinalProgress('frame=    0 fps=0.0 q=0.0 size=N/A time=-577014:32:22.77 bitrate=N/A speed=N/A')).toEqual({ frame: 0, timeSeconds: null });
    expect(parseFinalProgress('x.mp4: No such file or directory\n')).toBeNull();
  });

  it('skips cover art and reports audio-only inputs', () => {
    const mp3 = [
      "Input #0, mp3, from 'song.mp3':",
      '  Duration: 00:03:00.00, start: 0.025057, bitrate: 192 kb/s',
      '  Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 192 kb/s',
      '  Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 600x600 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)',
      'At least one output file must be specified',
    ].join('\n');
    expect(parseFfmpegInputInfo(mp3, 'song.mp3')).toMatchObject({ container: 'mp3', video: null, hasAudio: true });
  });

  it('throws typed errors when there is no banner', () => {
    expect(() => parseFfmpegInputInfo('a.txt: Invalid data found when processing input', 'a.txt')).toThrow(CorruptInputError);
  });

  it('recovers rational frame rates and bit depths', () => {
    expect(rateToRational('24')).toEqual({ num: 24, den: 1 });
    expect(rateToRational('29.97')).toEqual({ num: 30000, den: 1001 });
    expect(rateToRational('59.94')).toEqual({ num: 60000, den: 1001 });
    expect(rateToRational('12.50')).toEqual({ num: 25, den: 2 });
    expect(rateToRational('90k')).toEqual({ num: 90000, den: 1 });
    expect(bitDepthOfPixFmt('yuv420p')).toBe(8);
    expect(bitDepthOfPixFmt('yuv420p10le')).toBe(10);
    expect(bitDepthOfPixFmt('gray12be')).toBe(12);
    expect(bitDepthOfPixFmt('p010le')).toBe(10);
    expect(bitDepthOfPixFmt('rgb48le')).toBe(16);
  });
});

describe.skipIf(!nativeFfmpeg)(`wasm backend ${skipReason}`, () => {
  const ffmpeg = nativeFfmpeg ?? 'ffmpeg';
  let dir = '';
  let clip = '';
  let clip10 = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scenecrf-wasm-'));
    clip = join(dir, 'clip.mp4');
    clip10 = join(dir, 'clip10.mp4');
    const src = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=24:d=2'];
    await execa(ffmpeg, [...src, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', clip]);
    try {
      await execa(ffmpeg, [...src, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high10', '-pix_fmt', 'yuv420p10le', clip10]);
    } catch {
      // libx264 without 10-bit support: lossless FFV1 in Matroska also carries yuv420p10le.
      clip10 = join(dir, 'clip10.mkv');
      await execa(ffmpeg, [...src, '-c:v', 'ffv1', '-pix_fmt', 'yuv420p10le', clip10]);
    }
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('describes itself as the wasm backend', async () => {
    const backend = await createWasmBackend();
    expect(backend.kind).toBe('wasm');
    expect(backend.source).toBe('wasm');
    expect(backend.path).toMatch(/@ffmpeg[\\/]core[\\/].*ffmpeg-core\.js$/);
    expect(backend.version).toMatch(/^ffmpeg version \S+/);
    const enc = backend.capabilities.encoders;
    expect(enc.has('libx264') || enc.has('libvpx-vp9')).toBe(true);
    expect(enc.has('=')).toBe(false);
    expect(backend.capabilities.filters.has('scale')).toBe(true);
    expect(backend.capabilities.filters.has('libvmaf')).toBe(false);
  });

  it('parses native -encoders / -filters the same way', async () => {
    const encoders = parseCodecList((await execa(ffmpeg, ['-hide_banner', '-encoders'])).stdout);
    const filters = parseFilterList((await execa(ffmpeg, ['-hide_banner', '-filters'])).stdout);
    expect(encoders.has('libx264')).toBe(true);
    expect(encoders.has('rawvideo')).toBe(true);
    expect(encoders.has('=')).toBe(false);
    expect(encoders.size).toBeGreaterThan(50);
    expect(filters.has('scale')).toBe(true);
    expect(filters.has('nullsink')).toBe(true);
    expect(filters.has('buffer')).toBe(true);
    expect(filters.has('=')).toBe(false);
    expect(filters.size).toBeGreaterThan(100);
  });

  it('probes size, rate and an exact frame count', async () => {
    const info = await probeWasm(clip);
    expect(info).toMatchObject({
      path: clip,
      codec: 'h264',
      width: 320,
      height: 180,
      pixFmt: 'yuv420p',
      bitDepth: 8,
      frameRate: { num: 24, den: 1 },
      fps: 24,
      frameCount: 48,
      frameCountExact: true,
      variableFrameRate: false,
    });
    expect(info.container).toContain('mp4');
    expect(info.durationSeconds).toBeCloseTo(2, 1);
  });

  it('decodes frames that match native ffmpeg', async () => {
    const w = 160;
    const h = 90;
    const frames = await collect(decodeFramesWasm(clip, { width: w, height: h, bitDepth: 8, chroma: false }));
    // The native backend's own decode arguments: same filter chain, so the same samples (the luma
    // keeps its range; `format=gray` while scaling would stretch it, issue 21 item 4).
    const { stdout } = await execa(ffmpeg, ffmpegDecodeArgs(clip, { width: w, height: h, bitDepth: 8, chroma: false }, '-'), {
      encoding: 'buffer',
    });
    const native = stdout;
    expect(native.length).toBe(48 * w * h);
    expect(frames).toHaveLength(48);
    frames.forEach((f, i) => {
      expect(f.index).toBe(i);
      expect(f.width).toBe(w);
      expect(f.height).toBe(h);
      expect(f.bitDepth).toBe(8);
      expect(f.luma).toBeInstanceOf(Uint8Array);
      expect(f.luma.length).toBe(w * h);
      expect(f.u).toBeUndefined();
      const ref = native.subarray(i * w * h, (i + 1) * w * h);
      let absDiff = 0;
      for (let p = 0; p < ref.length; p++) absDiff += Math.abs(f.luma[p]! - ref[p]!);
      expect(absDiff / ref.length).toBeLessThan(0.5);
      expect(Math.abs(mean(f.luma) - mean(ref))).toBeLessThan(0.5);
    });
  });

  it('decodes chroma planes on request', async () => {
    const frames = await collect(decodeFramesWasm(clip, { width: 64, height: 36, bitDepth: 8, chroma: true }));
    expect(frames).toHaveLength(48);
    expect(frames[0].luma.length).toBe(64 * 36);
    expect(frames[0].u?.length).toBe(32 * 18);
    expect(frames[0].v?.length).toBe(32 * 18);
    // testsrc2 is colourful: chroma must not be flat grey.
    expect(Math.abs(mean(frames[10].u!) - 128) + Math.abs(mean(frames[10].v!) - 128)).toBeGreaterThan(1);
  });

  it('keeps 10-bit precision', async () => {
    const frames = await collect(decodeFramesWasm(clip10, { width: 160, height: 90, bitDepth: 10, chroma: true }));
    expect(frames).toHaveLength(48);
    const f = frames[20];
    expect(f.bitDepth).toBe(10);
    expect(f.luma).toBeInstanceOf(Uint16Array);
    expect(f.u).toBeInstanceOf(Uint16Array);
    expect(f.luma.length).toBe(160 * 90);
    let max = 0;
    for (const v of f.luma) max = Math.max(max, v);
    expect(max).toBeGreaterThan(255);
    expect(max).toBeLessThanOrEqual(1023);
    const info = await probeWasm(clip10, { countFrames: false });
    expect(info).toMatchObject({ pixFmt: 'yuv420p10le', bitDepth: 10, frameCount: 48, frameCountExact: false });
  });

  it('rejects a text file with a typed error', async () => {
    const txt = join(dir, 'notes.txt');
    await writeFile(txt, 'this is not a video\nat all\n');
    const err = await probeWasm(txt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenecrfError);
    expect(err instanceof NotAVideoError || err instanceof CorruptInputError).toBe(true);
  });

  it('rejects audio-only input with NotAVideoError', async () => {
    const m4a = join(dir, 'tone.m4a');
    await execa(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=d=0.5', m4a]);
    await expect(probeWasm(m4a)).rejects.toBeInstanceOf(NotAVideoError);
    await expect(collect(decodeFramesWasm(m4a, { width: 64, height: 36, bitDepth: 8, chroma: false }))).rejects.toBeInstanceOf(NotAVideoError);
  });

  it('handles paths with spaces, quotes and a leading dash', async () => {
    const odd = join(dir, `-odd name "with" 'quotes' $x;.mp4`);
    await copyFile(clip, odd);
    const info = await probeWasm(odd, { countFrames: false });
    expect(info).toMatchObject({ path: odd, width: 320, height: 180 });
    const frames = await collect(decodeFramesWasm(odd, { width: 32, height: 18, bitDepth: 8, chroma: false }));
    expect(frames).toHaveLength(48);
  });

  it('returns outputs and non-zero exit codes from runWasmFfmpeg', async () => {
    const ok = await runWasmFfmpeg(['-hide_banner', '-i', '{input}', '-frames:v', '2', '-vf', 'scale=16:8,format=gray', '-f', 'rawvideo', '/out.raw'], {
      inputPath: clip,
      outputName: '/out.raw',
    });
    expect(ok.exitCode).toBe(0);
    expect(ok.output?.length).toBe(2 * 16 * 8);
    const bad = await runWasmFfmpeg(['-hide_banner', '-i', '{input}'], { inputPath: clip });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('Input #0');
  });

  it('honours AbortSignal before and during a run', async () => {
    await expect(probeWasm(clip, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const ac = new AbortController();
    const frames: Frame[] = [];
    const run = (async () => {
      for await (const f of decodeFramesWasm(clip, { width: 32, height: 18, bitDepth: 8, chroma: false, signal: ac.signal })) {
        frames.push(f);
        if (frames.length === 3) ac.abort();
      }
    })();
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(frames.length).toBeLessThan(48);
    const started = Date.now();
    await expect(
      runWasmFfmpeg(['-hide_banner', '-i', '{input}', '-vf', 'scale=1280:720', '-f', 'null', '-'], { inputPath: clip, timeoutMs: 50 }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
