/**
 * Chunked per-scene encoding with real encoders on a tiny fixture made here: one 16-frame
 * testsrc2 segment repeated three times (so every scene has the same content and a lower CRF
 * must cost more bytes), 256x144 at 24 fps, losslessly coded.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEncode } from '../src/cli/encode.js';
import { runOptimize } from '../src/cli/plan.js';
import { encodePlan, encodeSegment, prepareEncode, type EncodeResult } from '../src/encode/chunked.js';
import { assertEncoderSupported, ENCODER_ADAPTERS } from '../src/encode/encoders.js';
import { readManifest } from '../src/encode/manifest.js';
import { lookupSegment, storeSegment } from '../src/encode/segment-cache.js';
import type { FfmpegBackend } from '../src/media/types.js';
import { planFromScenes, type EncodePlan } from '../src/core/plan-file.js';
import { type EncoderName } from '../src/core/encoders.js';
import { asNoSpaceError, stderrSaysNoSpace } from '../src/errors.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { hasNativeFfmpeg } from './helpers.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = 'ffprobe';
const SCENES = [
  { startFrame: 0, endFrame: 16 },
  { startFrame: 16, endFrame: 32 },
  { startFrame: 32, endFrame: 48 },
];
const PRESET: Record<EncoderName, number> = { 'svt-av1': 12, aom: 8, vp9: 8 };

let tmp: string;
let input: string;

function makePlan(encoder: EncoderName, crfs: number[], extra: Partial<EncodePlan> = {}): EncodePlan {
  return {
    ...planFromScenes({ path: input, width: 256, height: 144, frameCount: 48, frameRate: { num: 24, den: 1 } }, SCENES, {
      encoder,
      preset: PRESET[encoder],
      crf: (i) => crfs[i]!,
    }),
    ...extra,
  };
}

function probe(file: string) {
  const out = execFileSync(
    FFPROBE,
    ['-v', 'error', '-select_streams', 'V:0', '-count_frames', '-show_entries', 'stream=codec_name,pix_fmt,nb_read_frames,avg_frame_rate:format=duration', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  const j = JSON.parse(out) as { streams: Array<Record<string, string>>; format: { duration: string } };
  const s = j.streams[0]!;
  return { codec_name: s.codec_name, pix_fmt: s.pix_fmt, avg_frame_rate: s.avg_frame_rate, frames: Number(j.streams[0]!.nb_read_frames), duration: Number(j.format.duration) };
}

/** Full decode: every frame must decode without an error line. */
function decodeErrors(file: string): string {
  return execFileSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Per-frame PSNR (Y) of `file` against the input, in frame order. */
function psnrPerFrame(file: string): number[] {
  const stats = path.join(tmp, `psnr-${path.basename(file)}.log`);
  execFileSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-i', input, '-lavfi', `[0:v]settb=1/24,setpts=N[a];[1:v]settb=1/24,setpts=N[b];[a][b]psnr=stats_file=${stats}`, '-f', 'null', '-'], { stdio: 'ignore' });
  return execFileSync('cat', [stats], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => Number(/psnr_y:(\S+)/.exec(l)![1]));
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-encode-'));
  input = path.join(tmp, 'in.mp4');
  if (!hasNativeFfmpeg) return;
  execFileSync(FFMPEG, [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=s=256x144:r=24,trim=end_frame=16,loop=loop=2:size=16:start=0',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', input,
  ]);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasNativeFfmpeg)('encodePlan with each encoder', () => {
  const cases: Array<{ encoder: EncoderName; ext: string; crfs: number[]; bitDepth?: 10 }> = [
    { encoder: 'svt-av1', ext: 'mkv', crfs: [20, 35, 50] },
    { encoder: 'aom', ext: 'mp4', crfs: [50, 20, 35] },
    { encoder: 'vp9', ext: 'webm', crfs: [35, 50, 20], bitDepth: 10 },
  ];
  for (const c of cases) {
    it(`${c.encoder} → .${c.ext}: decodes, has the input's frames and duration, sizes follow the CRFs`, async () => {
      const output = path.join(tmp, `${c.encoder}.${c.ext}`);
      const plan = makePlan(c.encoder, c.crfs, c.bitDepth ? { bitDepth: c.bitDepth } : {});
      const r = await encodePlan(plan, { output, jobs: 2, threads: 1 });
      expect(r.frames).toBe(48);
      expect(r.encodedChunks).toBe(3);
      const info = probe(output);
      expect(info.frames).toBe(48);
      expect(info.codec_name).toBe(ENCODER_ADAPTERS[c.encoder].codec);
      expect(info.pix_fmt).toBe(c.bitDepth === 10 ? 'yuv420p10le' : 'yuv420p');
      expect(Math.abs(info.duration - 2)).toBeLessThan(0.01);
      expect(decodeErrors(output)).toBe('');
      // Same content in every scene: bytes strictly decrease as the CRF rises.
      const byCrf = [...r.chunks].sort((a, b) => a.crf - b.crf);
      expect(byCrf[0]!.bytes).toBeGreaterThan(byCrf[1]!.bytes);
      expect(byCrf[1]!.bytes).toBeGreaterThan(byCrf[2]!.bytes);
      for (const ch of r.chunks) {
        expect(ch.bitrateKbps).toBeCloseTo((ch.bytes * 8) / 1000 / ((ch.endFrame - ch.startFrame) / 24), 6);
        expect(ch.encodeSeconds).toBeGreaterThan(0);
        expect(ch.encoderVersion).toMatch(/v\d/);
      }
      // Chunk files are removed on success; the manifest records the results.
      const m = await readManifest(r.manifest);
      expect(m?.completed?.frames).toBe(48);
      expect(m?.chunks.map((x) => x.bytes)).toEqual(r.chunks.map((x) => x.bytes));
      expect((await readdir(r.workDir)).sort()).toEqual(['manifest.json']);
    });
  }

  it('cuts frame-exactly: every output frame matches the input frame at its position', async () => {
    // Scenes that start mid-segment (not on the input's keyframes) and are cut by input seeking.
    const output = path.join(tmp, 'exact.mkv');
    const plan = parsePlanLike(
      [
        { startFrame: 0, endFrame: 7 },
        { startFrame: 7, endFrame: 23 },
        { startFrame: 23, endFrame: 24 },
        { startFrame: 24, endFrame: 48 },
      ],
      10,
    );
    const r = await encodePlan(plan, { output, threads: 1 });
    const m = await readManifest(r.manifest);
    expect(m?.chunks.slice(1).map((c) => c.trim)).toEqual(['seek', 'seek', 'seek']);
    const psnr = psnrPerFrame(output);
    expect(psnr).toHaveLength(48);
    // A frame off by one against testsrc2's moving pattern scores far lower than a CRF-10 encode.
    expect(Math.min(...psnr)).toBeGreaterThan(35);
    // Decoding from frame 0 and cutting by frame number gives the very same bytes.
    const decoded = path.join(tmp, 'exact-decode.mkv');
    await encodePlan(plan, { output: decoded, threads: 1, trim: 'decode' });
    expect((await readFile(decoded)).equals(await readFile(output))).toBe(true);
  });
});

describe.skipIf(!hasNativeFfmpeg)('NTSC frame rate', () => {
  it('30000/1001 input → .mp4 keeps 30 frames lasting 1.001 s', async () => {
    const ntsc = path.join(tmp, 'ntsc.mkv');
    execFileSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=192x108:r=30000/1001,trim=end_frame=30', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', ntsc]);
    const plan = planFromScenes({ path: ntsc, width: 192, height: 108, frameCount: 30, frameRate: { num: 30000, den: 1001 } }, [
      { startFrame: 0, endFrame: 11 },
      { startFrame: 11, endFrame: 30 },
    ], { encoder: 'vp9', preset: 8, crf: 40 });
    const r = await encodePlan(plan, { output: path.join(tmp, 'ntsc.mp4'), threads: 1 });
    const m = await readManifest(r.manifest);
    expect(m?.chunks[1]?.trim).toBe('seek');
    const info = probe(r.output);
    expect(info.frames).toBe(30);
    expect(info.avg_frame_rate).toBe('30000/1001');
    expect(Math.abs(info.duration - 1.001)).toBeLessThan(0.0005);
  });
});

const TOOLS = ['SvtAv1EncApp', 'aomenc', 'vpxenc'].filter((t) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (TOOLS.length < 3) console.warn(`\n*** test/encode.test.ts: standalone encoder tests SKIPPED (missing: SvtAv1EncApp/aomenc/vpxenc; Debian: svt-av1 aom-tools vpx-tools) ***\n`);

describe.skipIf(!hasNativeFfmpeg || TOOLS.length < 3)('standalone encoders (via: tool)', () => {
  it('SvtAv1EncApp, aomenc and vpxenc fed Y4M by ffmpeg: right frames and bit depth, sizes follow the CRFs', async () => {
    for (const [encoder, bitDepth] of [['svt-av1', 10], ['aom', 8], ['vp9', 10]] as const) {
      const plan = makePlan(encoder, [20, 35, 50], { bitDepth });
      const r = await encodePlan(plan, { output: path.join(tmp, `tool-${encoder}.mkv`), jobs: 2, threads: 1, via: 'tool' });
      const info = probe(r.output);
      expect(info.frames, encoder).toBe(48);
      expect(info.pix_fmt, encoder).toBe(bitDepth === 10 ? 'yuv420p10le' : 'yuv420p');
      const bytes = r.chunks.map((c) => c.bytes);
      expect(bytes[0]!, encoder).toBeGreaterThan(bytes[1]!);
      expect(bytes[1]!, encoder).toBeGreaterThan(bytes[2]!);
      expect(r.chunks[0]!.encoderVersion, encoder).toMatch(/v\d/);
    }
  });
});

function parsePlanLike(scenes: Array<{ startFrame: number; endFrame: number }>, crf: number): EncodePlan {
  return planFromScenes({ path: input, width: 256, height: 144, frameCount: 48, frameRate: { num: 24, den: 1 } }, scenes, { encoder: 'svt-av1', preset: 12, crf });
}

describe.skipIf(!hasNativeFfmpeg)('resume', () => {
  it('an aborted run resumes, re-encodes only the rest, and matches an uninterrupted run byte for byte', async () => {
    const plan = makePlan('aom', [30, 40, 50]);
    const dir = path.join(tmp, 'resume');
    await mkdir(dir);
    const output = path.join(dir, 'out.mkv');
    const controller = new AbortController();
    const first = encodePlan(plan, {
      output,
      jobs: 1,
      threads: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.finishedChunk) controller.abort(new Error('test stop'));
      },
    });
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    const work = `${output}.scenecrf-work`;
    const m1 = await readManifest(path.join(work, 'manifest.json'));
    expect(m1?.chunks.map((c) => c.status)).toEqual(['done', 'pending', 'pending']);
    expect((await readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['out.mkv.scenecrf-work']);

    const finished: number[] = [];
    const second = await encodePlan(plan, { output, jobs: 2, threads: 2, onProgress: (p) => p.finishedChunk && finished.push(p.finishedChunk.index) });
    expect(second.reusedChunks).toBe(1);
    expect(second.encodedChunks).toBe(2);
    expect(finished.sort()).toEqual([1, 2]);
    expect(second.chunks.map((c) => c.reused)).toEqual([true, false, false]);

    const reference = path.join(dir, 'reference.mkv');
    const whole: EncodeResult = await encodePlan(plan, { output: reference, workDir: path.join(dir, 'other-work'), jobs: 1, threads: 2 });
    expect(whole.encodedChunks).toBe(3);
    const [a, b] = await Promise.all([readFile(output), readFile(reference)]);
    expect(a.length).toBeGreaterThan(0);
    expect(a.equals(b)).toBe(true);
  });
});

describe.skipIf(!hasNativeFfmpeg)('segment cache: a probe encode becomes the chunk', () => {
  it('a cached segment is taken instead of encoded, by encodeSegment and by encodePlan, with the same final bytes', async () => {
    const dir = path.join(tmp, 'segcache');
    const cache = path.join(dir, 'segments');
    await mkdir(dir);
    const plan = makePlan('vp9', [40, 30, 50]);
    const prepared = await prepareEncode(plan, { output: path.join(dir, 'probe.mkv'), workDir: path.join(dir, 'probe-work'), threads: 2 });
    // A probe of scene 1 at the plan's CRF, and one at a CRF the plan does not use.
    const probe = await encodeSegment(prepared, { ...SCENES[1]!, crf: 30 }, path.join(dir, 'p1.ivf'), undefined, { segmentCache: cache });
    const other = await encodeSegment(prepared, { ...SCENES[2]!, crf: 45 }, path.join(dir, 'p2.ivf'), undefined, { segmentCache: cache });
    expect([probe.cached, other.cached]).toEqual([false, false]);
    // The same probe again comes from the cache, byte for byte.
    const again = await encodeSegment(prepared, { ...SCENES[1]!, crf: 30 }, path.join(dir, 'p1-again.ivf'), undefined, { segmentCache: cache });
    expect(again).toMatchObject({ cached: true, bytes: probe.bytes });
    expect((await readFile(again.file)).equals(await readFile(probe.file))).toBe(true);

    const output = path.join(dir, 'out.mkv');
    const r = await encodePlan(plan, { output, jobs: 1, threads: 2, segmentCache: cache });
    expect(r.chunks.map((c) => c.reused)).toEqual([false, true, false]);
    expect(r.encodedChunks).toBe(2);
    expect(r.chunks[1]!.bytes).toBe(probe.bytes);
    // The two probes are still there, and the two chunks encoded now were added.
    expect((await readdir(cache)).filter((n) => n.endsWith('.json'))).toHaveLength(4);

    const reference = path.join(dir, 'reference.mkv');
    const plain = await encodePlan(plan, { output: reference, workDir: path.join(dir, 'ref-work'), jobs: 1, threads: 2 });
    expect(plain.encodedChunks).toBe(3);
    expect((await readFile(output)).equals(await readFile(reference))).toBe(true);

    // Other threads per chunk: another key, nothing taken.
    const t1 = await encodePlan(plan, { output: path.join(dir, 't1.mkv'), jobs: 1, threads: 1, segmentCache: cache });
    expect(t1.reusedChunks).toBe(0);
  });

  it('an entry counts only when complete: its record, a file of the recorded size', async () => {
    const dir = path.join(tmp, 'segcache-unit');
    await mkdir(dir);
    const src = path.join(dir, 'x.ivf');
    await writeFile(src, Buffer.alloc(100, 7));
    await storeSegment(path.join(dir, 'c'), 'k1', src, { bytes: 100, encodeSeconds: 1.5 });
    expect(await lookupSegment(path.join(dir, 'c'), 'k1')).toMatchObject({ bytes: 100, encodeSeconds: 1.5 });
    expect(await lookupSegment(path.join(dir, 'c'), 'k2')).toBeUndefined();
    expect(await lookupSegment(path.join(dir, 'missing'), 'k1')).toBeUndefined();
    // A truncated file, a corrupt record, a record without its file.
    await writeFile(path.join(dir, 'c', 'k1.ivf'), Buffer.alloc(99));
    expect(await lookupSegment(path.join(dir, 'c'), 'k1')).toBeUndefined();
    await storeSegment(path.join(dir, 'c'), 'k3', src, { bytes: 100, encodeSeconds: 1 });
    await writeFile(path.join(dir, 'c', 'k3.json'), '{"bytes": "many"');
    expect(await lookupSegment(path.join(dir, 'c'), 'k3')).toBeUndefined();
    await writeFile(path.join(dir, 'c', 'k4.json'), JSON.stringify({ bytes: 100, encodeSeconds: 1 }));
    expect(await lookupSegment(path.join(dir, 'c'), 'k4')).toBeUndefined();
  });
});

describe.skipIf(!hasNativeFfmpeg)('resume after SIGKILL', () => {
  it('a killed CLI run leaves finished chunks that a new run reuses, with the same final bytes', async () => {
    const dir = path.join(tmp, 'killed');
    await mkdir(dir);
    const plan = makePlan('aom', [32, 42, 52]);
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(plan));
    const output = path.join(dir, 'out.webm');
    const manifest = path.join(`${output}.scenecrf-work`, 'manifest.json');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve(__dirname, '../src/cli/main.ts'), 'encode', input, '--plan', planFile, '-o', output, '--jobs', '1', '--threads', '1', '--quiet'],
      { cwd: path.resolve(__dirname, '..'), stdio: 'ignore', detached: true },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill the whole process group (node and its ffmpeg) as soon as one chunk is recorded done.
    let killed = false;
    for (let i = 0; i < 1200 && !killed; i++) {
      const m = await readManifest(manifest);
      if (m && m.chunks.some((c) => c.status === 'done')) {
        process.kill(-child.pid!, 'SIGKILL');
        killed = true;
      } else await new Promise((r) => setTimeout(r, 25));
    }
    await exited;
    expect(killed).toBe(true);
    const before = await readManifest(manifest);
    const doneBefore = before!.chunks.filter((c) => c.status === 'done').length;
    expect(doneBefore).toBeGreaterThanOrEqual(1);
    expect(doneBefore).toBeLessThan(3);
    expect((await readdir(dir)).includes('out.webm')).toBe(false);

    // The dead process's lock is taken over; finished chunks are reused.
    const resumed = await encodePlan(plan, { output, jobs: 1, threads: 1 });
    expect(resumed.reusedChunks).toBe(doneBefore);
    expect(resumed.encodedChunks).toBe(3 - doneBefore);
    const reference = await encodePlan(plan, { output: path.join(dir, 'ref.webm'), jobs: 2, threads: 1 });
    expect((await readFile(output)).equals(await readFile(reference.output))).toBe(true);
  });

  it('SIGINT to the CLI stops ffmpeg, removes partial files and the lock, and exits 130', async () => {
    const dir = path.join(tmp, 'sigint');
    await mkdir(dir);
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(makePlan('aom', [32, 42, 52])));
    const output = path.join(dir, 'out.mkv');
    const work = `${output}.scenecrf-work`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve(__dirname, '../src/cli/main.ts'), 'encode', input, '--plan', planFile, '-o', output, '--jobs', '1', '--threads', '1', '--quiet'],
      { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 1200; i++) {
      const m = await readManifest(path.join(work, 'manifest.json'));
      if (m && m.chunks.some((c) => c.status === 'done')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const left = await readdir(work);
    expect(left.filter((n) => n.endsWith('.tmp') || n === 'lock')).toEqual([]);
    expect(left).toContain('manifest.json');
  });

  it('a rerun removes the temporaries killed runs left beside the output, and nobody else\'s files', async () => {
    const dir = path.join(tmp, 'stale');
    await mkdir(dir);
    // A pid that is certainly dead: a child that has exited.
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    const stale = [`.out.mkv.${dead.pid}.tmp`, `.out.mkv.${dead.pid}.0badc0de.tmp`, `.plan.json.${dead.pid}.12345678.tmp`];
    // pid 1 is always alive; the others are not names scenecrf makes for these targets.
    const kept = ['.out.mkv.1.tmp', `out.mkv.${dead.pid}.tmp`, '.out.mkv.tmp', `.other.mkv.${dead.pid}.tmp`, `.out.mkv.${dead.pid}.tmp.bak`];
    for (const n of [...stale, ...kept]) await writeFile(path.join(dir, n), 'partial');
    const output = path.join(dir, 'out.mkv');
    await encodePlan(makePlan('svt-av1', [45, 45, 45]), { output, jobs: 1, threads: 1 });
    // Every other temp-then-rename writer cleans up after its own target the same way.
    await writeFileAtomic(path.join(dir, 'plan.json'), '{}');
    expect((await readdir(dir)).sort()).toEqual([...kept, 'out.mkv', 'out.mkv.scenecrf-work', 'plan.json'].sort());
  });

  it('refuses a work directory locked by a live process', async () => {
    const dir = path.join(tmp, 'locked');
    const work = path.join(dir, 'work');
    await mkdir(work, { recursive: true });
    await writeFile(path.join(work, 'lock'), String(process.ppid));
    await expect(encodePlan(makePlan('svt-av1', [30, 30, 30]), { output: path.join(dir, 'o.mkv'), workDir: work })).rejects.toThrow(/in use by another encode/);
  });
});

describe('a full disk', () => {
  it('is recognised in ffmpeg\'s stderr and in file system errors', () => {
    expect(stderrSaysNoSpace('[error] Error writing trailer of /x/.o.mkv.1.tmp: No space left on device')).toBe(true);
    expect(stderrSaysNoSpace('av_interleaved_write_frame(): Disk quota exceeded')).toBe(true);
    expect(stderrSaysNoSpace('[error] Invalid data found when processing input')).toBe(false);
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(asNoSpaceError(enospc, '/x/plan.json')).toMatchObject({ code: 'NO_SPACE', message: 'No space left on device writing "/x/plan.json"' });
    const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    expect(asNoSpaceError(eacces, '/x/plan.json')).toBe(eacces);
  });

  // A real full disk: a 16 KiB tmpfs (needs root; skipped where mount is not allowed).
  it.skipIf(!hasNativeFfmpeg)('is named, with the place, when the output or the work directory fills up', async (ctx) => {
    const dir = path.join(tmp, 'full');
    const small = path.join(dir, 'small');
    await mkdir(small, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      ctx.skip();
    }
    try {
      const plan = makePlan('svt-av1', [20, 20, 20]); // ~40 KB a chunk: too big for 16 KiB
      // Output on the full disk: the chunks are encoded, joining them fails (ffmpeg exits 0 there).
      const output = path.join(small, 'out.mkv');
      const work = path.join(dir, 'work');
      await expect(encodePlan(plan, { output, workDir: work, threads: 1 })).rejects.toMatchObject({
        code: 'NO_SPACE',
        message: expect.stringMatching(/^No space left on device writing ".*small\/out\.mkv": joining the chunks; the finished chunks stay in/),
      });
      expect(await readdir(small)).toEqual([]);
      expect((await readManifest(path.join(work, 'manifest.json')))?.chunks.every((c) => c.status === 'done')).toBe(true);
      // Work directory on the full disk: the chunk encode is what fails.
      await expect(encodePlan(plan, { output: path.join(dir, 'out.mkv'), workDir: path.join(small, 'work'), threads: 1 })).rejects.toMatchObject({
        code: 'NO_SPACE',
        message: expect.stringMatching(/small\/work/),
      });
      // scenecrf's own writes name their target, not the temporary, and leave no temporary.
      const json = path.join(small, 'plan.json');
      const e = await writeFileAtomic(json, 'x'.repeat(64 * 1024)).catch((err: unknown) => err);
      expect(asNoSpaceError(e, 'elsewhere')).toMatchObject({ code: 'NO_SPACE', path: json });
      expect((await readdir(small)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});

describe('validation before encoding', () => {
  const listing = async (dir: string) => (await readdir(dir)).sort();

  it.skipIf(!hasNativeFfmpeg)('rejects bad plans, inputs and outputs without creating files', async () => {
    const dir = path.join(tmp, 'bad');
    await mkdir(dir);
    await writeFile(path.join(dir, 'marker'), '');
    const output = path.join(dir, 'out.mkv');
    const good = makePlan('svt-av1', [30, 30, 30]);
    const bad: Array<[string, unknown, RegExp, Partial<Parameters<typeof encodePlan>[1]>?]> = [
      ['overlap', { ...good, scenes: [{ startFrame: 0, endFrame: 20, crf: 30 }, { startFrame: 16, endFrame: 48, crf: 30 }] }, /overlaps/],
      ['gap', { ...good, scenes: [{ startFrame: 0, endFrame: 10, crf: 30 }, { startFrame: 16, endFrame: 48, crf: 30 }] }, /in no scene/],
      ['crf', { ...good, scenes: [{ startFrame: 0, endFrame: 48, crf: 70 }] }, /out of range/],
      ['encoder', { ...good, encoder: 'x264' }, /encoder/],
      ['reserved option', { ...good, options: { crf: 20 } }, /set by scenecrf/],
      ['bad option value', { ...good, scenes: [{ startFrame: 0, endFrame: 48, crf: 30, options: { tune: 'a:b' } }] }, /cannot contain/],
      ['frame count', { ...good, input: { ...good.input, frameCount: 50 }, scenes: [{ startFrame: 0, endFrame: 50, crf: 30 }] }, /plan is for 50 frames/],
      ['size', { ...good, input: { ...good.input, width: 320 } }, /320x144/],
      ['no output dir', good, /does not exist/, { output: path.join(dir, 'missing', 'out.mkv') }],
      ['output under a file', good, /not a directory/, { output: path.join(dir, 'marker', 'out.mkv') }],
      ['extension', good, /unsupported extension/, { output: path.join(dir, 'out.avi') }],
    ];
    for (const [name, plan, message, extra] of bad) {
      await expect(encodePlan(plan, { output, ...extra }), name).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(message) });
    }
    await expect(encodePlan(good, { output, input: path.join(dir, 'nope.mp4') })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    expect(await listing(dir)).toEqual(['marker']);
  });

  it('names the missing encoder and what to install', () => {
    const backend: FfmpegBackend = {
      source: 'path',
      kind: 'native',
      path: '/opt/ffmpeg',
      version: 'ffmpeg version test',
      capabilities: { encoders: new Set(['libx264', 'libvpx-vp9']), filters: new Set() },
    };
    expect(() => assertEncoderSupported(backend, 'svt-av1')).toThrow(/no libsvtav1 encoder.*--enable-libsvtav1/);
    expect(() => assertEncoderSupported(backend, 'aom')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(assertEncoderSupported(backend, 'vp9').ffmpegEncoder).toBe('libvpx-vp9');
    expect(() => assertEncoderSupported({ ...backend, kind: 'wasm' }, 'vp9')).toThrow(/native ffmpeg/);
  });

  it('maps plan options per encoder', () => {
    const base = { crf: 30, preset: 6, bitDepth: 10 as const, threads: 3, keyint: 240 };
    const svt = ENCODER_ADAPTERS['svt-av1'].args({ ...base, options: { tune: 0, 'film-grain': 8 } });
    expect(svt).toEqual(['-c:v', 'libsvtav1', '-preset', '6', '-crf', '30', '-g', '240', '-pix_fmt', 'yuv420p10le', '-svtav1-params', 'lp=3:tune=0:film-grain=8']);
    const aom = ENCODER_ADAPTERS.aom.args({ ...base, options: { 'aq-mode': 1, 'row-mt': false } });
    expect(aom.join(' ')).toBe('-c:v libaom-av1 -crf 30 -b:v 0 -cpu-used 6 -pix_fmt yuv420p10le -threads 3 -usage good -row-mt 0 -g 240 -aq-mode 1');
    const vp9 = ENCODER_ADAPTERS.vp9.args({ ...base, bitDepth: 8, options: {} });
    expect(vp9.join(' ')).toBe('-c:v libvpx-vp9 -crf 30 -b:v 0 -cpu-used 6 -pix_fmt yuv420p -threads 3 -deadline good -row-mt 1 -g 240');
  });

  it.skipIf(!hasNativeFfmpeg)('prepareEncode checks everything and writes nothing', async () => {
    const dir = path.join(tmp, 'prep');
    await mkdir(dir);
    const p = await prepareEncode(makePlan('vp9', [30, 30, 30]), { output: path.join(dir, 'x.ivf'), jobs: 2, threads: 1 });
    expect(p.muxer).toBe('ivf');
    expect(p.firstFrameSeconds).toBe(0);
    expect(await listing(dir)).toEqual([]);
  });
});

describe.skipIf(!hasNativeFfmpeg)('scenecrf encode (CLI)', () => {
  it('encodes from a plan file and exits 0; a bad plan exits with INVALID_OPTIONS', async () => {
    const dir = path.join(tmp, 'cli');
    await mkdir(dir);
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(makePlan('svt-av1', [25, 40, 55])));
    const output = path.join(dir, 'out.ivf');
    expect(await runEncode([input, '--plan', planFile, '-o', output, '--jobs', '2', '--threads', '1', '--quiet'])).toBe(0);
    expect(probe(output).frames).toBe(48);
    expect(await runEncode(['--help'])).toBe(0);
    await writeFile(planFile, JSON.stringify({ ...makePlan('svt-av1', [25, 40, 55]), preset: 99 }));
    await expect(runEncode([input, '--plan', planFile, '-o', output, '--quiet'])).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('refuses to replace an existing output without --force (-y), before anything runs; resuming is not replacing', async () => {
    const dir = path.join(tmp, 'force');
    await mkdir(dir);
    const plan = makePlan('svt-av1', [40, 50, 60]);
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(plan));
    const output = path.join(dir, 'out.mkv');
    await writeFile(output, 'precious');
    const args = [input, '--plan', planFile, '-o', output, '--threads', '1', '--quiet'];
    const refused = { code: 'INVALID_OPTIONS', message: `Invalid output: ${JSON.stringify(output)} already exists; use --force (-y) (overwrite: true in the library) to replace it` };
    // The CLI names its flag.
    const refusedCli = { ...refused, message: refused.message.replace('Invalid output', 'Invalid --output') };
    await expect(runEncode(args)).rejects.toMatchObject(refusedCli);
    await expect(runOptimize([input, '--encoder', 'vp9', '--target-vmaf', '90', '-o', output, '--quiet'])).rejects.toMatchObject(refusedCli);
    await expect(encodePlan(plan, { output, overwrite: false })).rejects.toMatchObject(refused);
    expect(await readFile(output, 'utf8')).toBe('precious');
    expect((await readdir(dir)).sort()).toEqual(['out.mkv', 'plan.json']);
    expect(await runEncode([...args, '--force'])).toBe(0);
    expect(probe(output).frames).toBe(48);
    // An interrupted run has not written its output yet: rerunning it needs no --force.
    const resumed = path.join(dir, 'resumed.mkv');
    const stop = new AbortController();
    await expect(
      encodePlan(plan, { output: resumed, threads: 1, signal: stop.signal, onProgress: (p) => p.finishedChunk && stop.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await runEncode([input, '--plan', planFile, '-o', resumed, '--threads', '1', '--quiet'])).toBe(0);
    expect((await readManifest(path.join(`${resumed}.scenecrf-work`, 'manifest.json')))?.completed?.frames).toBe(48);
    expect(await runEncode([input, '--plan', planFile, '-o', resumed, '-y', '--threads', '1', '--quiet'])).toBe(0);
  });
});
