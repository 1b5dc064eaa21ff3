/**
 * Bad input must fail fast with a typed error that names the file, never hang and never leave an
 * ffmpeg process behind. Every input is built here with the real ffmpeg (argument arrays, no shell).
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/util/random.js';
import {
  AbortError,
  analyzeVideo,
  CorruptInputError,
  EmptyInputError,
  FfmpegNotFoundError,
  InputNotFoundError,
  InvalidOptionsError,
  NotAVideoError,
  planEncode,
  ScenecrfError,
  UnreadableInputError,
  type AnalysisResult,
  type AnalyzeOptions,
} from '../src/index.js';
import { probeVideo, resolveFfmpeg } from '../src/advanced.js';
import { inputErrorFromStderr, parseFfmpegInputInfo } from '../src/media/ffmpeg-info.js';

const FIXTURES = path.resolve(__dirname, '../fixtures');
const CUTS = path.join(FIXTURES, 'cuts.mp4');
const DEMO = path.join(FIXTURES, 'demo.mp4');

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The ffmpeg the library itself will pick in 'native' mode (FFMPEG_PATH, else PATH). */
function findFfmpeg(): string | undefined {
  if (process.env.FFMPEG_PATH) return isExecutableFile(process.env.FFMPEG_PATH) ? process.env.FFMPEG_PATH : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

const FFMPEG = findFfmpeg();
const SKIP_REASON = 'SKIPPED: no ffmpeg found (set FFMPEG_PATH or put ffmpeg on PATH) — bad-input tests did NOT run';
if (!FFMPEG) console.warn(`\n*** test/bad-input.test.ts ${SKIP_REASON} ***\n`);

function randomBytes(n: number, seed: number): Uint8Array {
  const next = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/** ffmpeg/ffprobe processes whose parent is this test process (Linux /proc; empty elsewhere). */
function childFfmpegProcesses(): string[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (Number(ppid) === process.pid && /^ff(mpeg|probe)$/.test(comm) && state !== 'Z') found.push(`${pid} ${comm}`);
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}

async function ffmpeg(args: string[]): Promise<void> {
  await execa(FFMPEG!, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { stdin: 'ignore', timeout: 60_000 });
}

async function keepFraction(src: string, dest: string, fraction: number): Promise<void> {
  const bytes = await readFile(src);
  await writeFile(dest, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

const analyze = (p: string, opts: AnalyzeOptions = {}) => analyzeVideo(p, { backend: 'native', ...opts });

/** Runs the analysis, which must reject; checks class, code and that the message names the file. */
async function expectRejection<T extends ScenecrfError>(
  p: string,
  cls: abstract new (...args: never[]) => T,
  code: ScenecrfError['code'],
  opts: AnalyzeOptions = {},
): Promise<T> {
  const err: unknown = await analyze(p, opts).then(
    (r) => new Error(`expected ${cls.name}, but the analysis succeeded with ${r.video.frameCount} frames`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  expect((err as ScenecrfError).code).toBe(code);
  expect((err as Error).message).toContain(JSON.stringify(p));
  return err as T;
}

describe.skipIf(!FFMPEG)(FFMPEG ? 'bad input (native ffmpeg)' : `bad input — ${SKIP_REASON}`, () => {
  let dir: string;
  const f = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-bad-input-'));
    await mkdir(f('a directory.mp4'));
    await writeFile(f('empty.mp4'), new Uint8Array(0));
    for (const ext of ['mp4', 'txt', 'bin']) await writeFile(f(`text.${ext}`), 'This is a plain text file, not a video.\n'.repeat(40));
    for (const ext of ['dat', 'mp4']) await writeFile(f(`random.${ext}`), randomBytes(256 * 1024, 7));
    await writeFile(f('not-ffmpeg'), '#!/bin/sh\necho "I am not ffmpeg"\n', { mode: 0o644 });
    await writeFile(f('fake-ffmpeg'), '#!/bin/sh\necho "I am not ffmpeg" >&2\nexit 3\n', { mode: 0o755 });
    await writeFile(f('chatty-ffmpeg'), '#!/bin/sh\necho "I am not ffmpeg"\n', { mode: 0o755 });

    // Damage in the middle of the stream: 4 KiB of seeded noise at 50% of the file.
    const cuts = await readFile(CUTS);
    const damaged = Buffer.from(cuts);
    damaged.set(randomBytes(4096, 42), Math.floor(cuts.length / 2));
    await writeFile(f('damaged.mp4'), damaged);
    await keepFraction(CUTS, f('truncated.mp4'), 0.4);

    await Promise.all([
      ffmpeg(['-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'aac', f('audio.m4a')]),
      ffmpeg(['-f', 'lavfi', '-i', 'sine=d=1', f('audio.wav')]),
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x90', '-frames:v', '1', f('still.png')]),
      ffmpeg(['-i', CUTS, '-map', '0:v', '-c', 'copy', f('cuts.mkv')]),
      // Valid Matroska files that must NOT be mistaken for truncated ones: audio outlasting the
      // video (the file's duration is the audio's), and video starting at 2 s.
      ffmpeg(['-i', CUTS, '-f', 'lavfi', '-i', 'sine=d=10', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', f('long-audio.mkv')]),
      ffmpeg(['-i', CUTS, '-map', '0:v', '-c', 'copy', '-output_ts_offset', '2', f('offset.mkv')]),
      // testsrc2 rounds its size to even; the scaler makes the odd 4:2:0 frames SVT-AV1 refuses.
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=24:d=1', '-vf', 'scale=321:241,format=yuv420p', '-c:v', 'ffv1', f('odd-size.mkv')]),
    ]);
    // Audio with cover art: ffprobe lists the picture as a (one-frame) video stream.
    await ffmpeg(['-i', f('audio.m4a'), '-i', f('still.png'), '-map', '0', '-map', '1', '-c', 'copy', '-disposition:v', 'attached_pic', f('cover-art.m4a')]);
    await keepFraction(f('cuts.mkv'), f('truncated.mkv'), 0.4);
    await keepFraction(f('long-audio.mkv'), f('truncated-long-audio.mkv'), 0.4);
  }, 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('paths', () => {
    it('an odd-sized input is refused for SVT-AV1 when planning, before any encode, and planned for vp9', async () => {
      const work = f('odd-size.out.mkv.scenecrf-work');
      await expect(planEncode(f('odd-size.mkv'), { encoder: 'svt-av1', targetVmaf: 93 })).rejects.toThrow(/SVT-AV1 needs an even width and height, the input is 321x241/);
      await expect(planEncode(f('odd-size.mkv'), { encoder: 'svt-av1', targetVmaf: 93 })).rejects.toThrow(InvalidOptionsError);
      expect(existsSync(work)).toBe(false);
      const vp9 = await planEncode(f('odd-size.mkv'), { encoder: 'vp9', targetVmaf: 93 });
      expect(vp9.plan.input).toMatchObject({ width: 321, height: 241 });
    });

    it('missing file -> InputNotFoundError', async () => {
      const err = await expectRejection(f('does-not-exist.mp4'), InputNotFoundError, 'INPUT_NOT_FOUND');
      expect(err.path).toBe(f('does-not-exist.mp4'));
      expect(err.message).toMatch(/not found/);
    });

    it('directory -> InputNotFoundError saying it is a directory', async () => {
      const err = await expectRejection(f('a directory.mp4'), InputNotFoundError, 'INPUT_NOT_FOUND');
      expect(err.message).toMatch(/directory/);
    });

    it('0-byte file -> EmptyInputError', async () => {
      const err = await expectRejection(f('empty.mp4'), EmptyInputError, 'INPUT_EMPTY');
      expect(err.message).toMatch(/0 bytes/);
    });

    it('ffmpeg\'s "Permission denied" -> UnreadableInputError, not a corrupt file', () => {
      const input = '/videos/in.mp4';
      for (const stderr of [`[error] file:${input}: Permission denied\n`, `${input}: Permission denied\n`]) {
        expect(inputErrorFromStderr(stderr, input), stderr).toMatchObject({ code: 'INPUT_UNREADABLE', message: `Input file cannot be read: "${input}" (permission denied)` });
        expect(() => parseFfmpegInputInfo(stderr, input), stderr).toThrow(UnreadableInputError);
      }
      // Only a failure to open the input: a log with the input's banner is about something else.
      expect(inputErrorFromStderr(`Input #0, mov,mp4, from '${input}':\n[error] /out/x.mkv: Permission denied\n`, input)).toBeNull();
    });

    // Root reads any file whatever its mode, so the real case runs as the unprivileged "nobody".
    // Run as nobody, which needs root, setpriv, and a checkout nobody can read (a clone under a
    // private folder, e.g. one made by mktemp -d, is not): checked by loading tsx as nobody.
    const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const asNobody =
      process.getuid?.() === 0 &&
      isExecutableFile('/usr/bin/setpriv') &&
      spawnSync('/usr/bin/setpriv', [...NOBODY, process.execPath, '--import', 'tsx', '-e', ''], { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' }).status === 0;
    if (!asNobody && process.getuid?.() === 0)
      console.warn('\n*** SKIPPING the permission-denied CLI run: user nobody cannot load this checkout (a private parent folder?) ***\n');
    it.skipIf(!asNobody)('an input its user may not read (mode 000, not root) -> "permission denied", exit 1', async () => {
      const open = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-denied-'));
      try {
        await chmod(open, 0o755);
        const input = path.join(open, 'private.mp4');
        await copyFile(CUTS, input);
        await chmod(input, 0o000);
        const r = await execa('/usr/bin/setpriv', [...NOBODY, process.execPath, '--import', 'tsx', path.resolve(__dirname, '../src/cli/main.ts'), 'analyze', input], {
          cwd: path.resolve(__dirname, '..'),
          reject: false,
          env: { HOME: open },
        });
        expect(r.stderr).toBe(`scenecrf: Input file cannot be read: ${JSON.stringify(input)} (permission denied)`);
        expect(r.exitCode).toBe(1);
      } finally {
        await rm(open, { recursive: true, force: true });
      }
    });
  });

  describe('not a video', () => {
    // ffmpeg cannot open a text file as media at all ("Invalid data found when processing input");
    // it cannot tell it apart from an .mp4 whose index was never written. "Not a video" is for
    // readable media without video (audio, images), so this is an unreadable (corrupt) input.
    it('text file named .mp4 -> CorruptInputError', async () => {
      const err = await expectRejection(f('text.mp4'), CorruptInputError, 'INPUT_CORRUPT');
      expect(err.message).toMatch(/Invalid data/);
    });

    // With these extensions ffmpeg does open text: the "tty" demuxer plays .txt as a terminal
    // animation (several frames), "bin" shows any bytes as a text-mode picture.
    it('text file named .txt or .bin -> NotAVideoError (ffmpeg renders it as text-mode art)', async () => {
      for (const name of ['text.txt', 'text.bin']) {
        const err = await expectRejection(f(name), NotAVideoError, 'INPUT_NOT_VIDEO');
        expect(err.message).toMatch(/text-mode art/);
      }
    });

    it('audio-only m4a (aac) -> NotAVideoError', async () => {
      const err = await expectRejection(f('audio.m4a'), NotAVideoError, 'INPUT_NOT_VIDEO');
      expect(err.message).toMatch(/audio/);
    });

    it('audio-only wav -> NotAVideoError', async () => {
      await expectRejection(f('audio.wav'), NotAVideoError, 'INPUT_NOT_VIDEO');
    });

    it('audio with cover art -> NotAVideoError (the picture is not the video)', async () => {
      const err = await expectRejection(f('cover-art.m4a'), NotAVideoError, 'INPUT_NOT_VIDEO');
      expect(err.message).toMatch(/cover art/);
    });

    it('PNG still image -> NotAVideoError', async () => {
      const err = await expectRejection(f('still.png'), NotAVideoError, 'INPUT_NOT_VIDEO');
      expect(err.message).toMatch(/still image/);
    });
  });

  describe('truncated and damaged streams', () => {
    it('mp4 cut to 40% of its bytes -> CorruptInputError (decoded < declared frame count)', async () => {
      const err = await expectRejection(f('truncated.mp4'), CorruptInputError, 'INPUT_CORRUPT');
      expect(err.message).toMatch(/truncated/);
      expect(err.message).toMatch(/only \d+ of 192 frames/);
    });

    it('mkv cut to 40% -> CorruptInputError (no frame count in Matroska: compared with the stated duration)', async () => {
      const err = await expectRejection(f('truncated.mkv'), CorruptInputError, 'INPUT_CORRUPT');
      expect(err.message).toMatch(/truncated/);
      expect(err.message).toMatch(/decodable of 8\.00 s stated by the container/);
    });

    it('mkv whose audio outlasts the video cut to 40% -> CorruptInputError (uses the video track duration)', async () => {
      const err = await expectRejection(f('truncated-long-audio.mkv'), CorruptInputError, 'INPUT_CORRUPT');
      // 8.00 s is the video track's duration, not the longer audio's.
      expect(err.message).toMatch(/decodable of 8\.00 s stated by the container/);
    });

    it('valid mkv files are not mistaken for truncated ones (audio longer than video; video starting at 2 s)', async () => {
      for (const name of ['cuts.mkv', 'long-audio.mkv', 'offset.mkv']) {
        const r = await analyze(f(name));
        expect(r.video.frameCount, name).toBe(192);
        expect(r.warnings, name).toEqual([]);
        expect(r.shotBoundaries.filter((b) => b.kind === 'cut').map((b) => b.frame), name).toEqual([48, 96, 144]);
      }
    });

    // 4 KiB of noise in the middle: the h264 decoder rejects a few packets ("Invalid data found
    // when processing input"), so fewer frames come out than the header declares.
    it('mp4 with noise in the middle -> CorruptInputError naming the damage, promptly', async () => {
      const t0 = performance.now();
      const err = await expectRejection(f('damaged.mp4'), CorruptInputError, 'INPUT_CORRUPT');
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(err.message).toMatch(/damaged: only 1[0-9]{2} of 192 frames decodable; decoder said: .*Invalid data/);
    });

    it('random bytes -> CorruptInputError, whatever the extension says', async () => {
      for (const name of ['random.dat', 'random.mp4']) {
        const err = await expectRejection(f(name), CorruptInputError, 'INPUT_CORRUPT');
        expect(err.message).toMatch(/Invalid data/);
      }
    });
  });

  describe('file names are passed verbatim (no shell, never read as an option or protocol)', () => {
    const names = [
      'with space.mp4',
      "single'quote.mp4",
      'double"quote.mp4',
      '-leading-dash.mp4',
      'ünïcödé 映像 🎬.mp4',
      'shell $(touch pwned) `x` ; & | > .mp4',
    ];
    const expectCuts = (r: AnalysisResult) => {
      expect(r.video.frameCount).toBe(192);
      expect(r.shotBoundaries.filter((b) => b.kind === 'cut').map((b) => b.frame)).toEqual([48, 96, 144]);
    };

    it.each(names)('%s', async (name) => {
      await copyFile(CUTS, f(name));
      expectCuts(await analyze(f(name)));
      expect(readdirSync(dir)).not.toContain('pwned');
    });

    it('relative names starting with "-" or looking like a protocol ("pipe:0.mp4")', async () => {
      await copyFile(CUTS, f('-i.mp4'));
      await copyFile(CUTS, f('pipe:0.mp4'));
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        expectCuts(await analyze('-i.mp4'));
        expectCuts(await analyze('pipe:0.mp4'));
      } finally {
        process.chdir(cwd);
      }
    });
  });

  describe('options', () => {
    // A missing input and a missing ffmpeg would both fail differently: getting INVALID_OPTIONS
    // shows the options are checked before ffmpeg is looked for or run.
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['analysisWidth: 10', { analysisWidth: 10 }, /analysisWidth/],
      ['minSceneLength: 0', { minSceneLength: 0 }, /minSceneLength/],
      ['unknown option key', { bogusOption: true }, /bogusOption/],
      ['maxSceneLength < 2 x minSceneLength', { minSceneLength: 24, maxSceneLength: 30 }, /maxSceneLength must be at least twice minSceneLength/],
    ];
    it.each(cases)('%s -> InvalidOptionsError before ffmpeg runs', async (_label, opts, message) => {
      const before = childFfmpegProcesses();
      const err: unknown = await analyzeVideo(f('does-not-exist.mp4'), {
        backend: 'native',
        ffmpegPath: f('no-such-ffmpeg'),
        ...(opts as AnalyzeOptions),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as ScenecrfError).code).toBe('INVALID_OPTIONS');
      expect((err as Error).message).toMatch(message);
      expect(childFfmpegProcesses()).toEqual(before);
    });

    it('ffmpegPath pointing to a non-executable file -> FfmpegNotFoundError', async () => {
      const err: unknown = await analyze(CUTS, { ffmpegPath: f('not-ffmpeg') }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FfmpegNotFoundError);
      expect((err as ScenecrfError).code).toBe('FFMPEG_NOT_FOUND');
      expect((err as Error).message).toContain(JSON.stringify(f('not-ffmpeg')));
      expect((err as Error).message).toMatch(/not an executable/);
    });

    it('ffmpegPath pointing to a program that runs but is not ffmpeg -> FfmpegNotFoundError naming it, not a corrupt input', async () => {
      for (const [p, why] of [
        ['/bin/true', 'is not an ffmpeg: `-version` printed nothing'],
        [f('chatty-ffmpeg'), 'is not an ffmpeg: `-version` printed "I am not ffmpeg", not "ffmpeg version …"'],
      ] as const) {
        const err: unknown = await analyze(CUTS, { ffmpegPath: p }).catch((e: unknown) => e);
        expect(err, p).toBeInstanceOf(FfmpegNotFoundError);
        expect((err as Error).message).toBe(`No usable ffmpeg found: ffmpegPath option ${p} ${why}`);
      }
    });

    it('ffmpegPath pointing to a directory or to a program that is not ffmpeg -> FfmpegNotFoundError', async () => {
      for (const p of [dir, f('fake-ffmpeg')]) {
        const err: unknown = await analyze(CUTS, { ffmpegPath: p }).catch((e: unknown) => e);
        expect(err, p).toBeInstanceOf(FfmpegNotFoundError);
        expect((err as ScenecrfError).code).toBe('FFMPEG_NOT_FOUND');
        expect((err as Error).message).toContain(p);
      }
    });
  });

  describe('probeVideo gives the same typed errors', () => {
    const cases: [string, abstract new (...args: never[]) => ScenecrfError, string][] = [
      ['does-not-exist.mp4', InputNotFoundError, 'INPUT_NOT_FOUND'],
      ['a directory.mp4', InputNotFoundError, 'INPUT_NOT_FOUND'],
      ['empty.mp4', EmptyInputError, 'INPUT_EMPTY'],
      ['text.mp4', CorruptInputError, 'INPUT_CORRUPT'],
      ['text.txt', NotAVideoError, 'INPUT_NOT_VIDEO'],
      ['audio.m4a', NotAVideoError, 'INPUT_NOT_VIDEO'],
      ['cover-art.m4a', NotAVideoError, 'INPUT_NOT_VIDEO'],
      ['still.png', NotAVideoError, 'INPUT_NOT_VIDEO'],
      ['random.dat', CorruptInputError, 'INPUT_CORRUPT'],
    ];
    it.each(cases)('%s', async (name, cls, code) => {
      const backend = await resolveFfmpeg({ backend: 'native' });
      const err: unknown = await probeVideo(f(name), backend).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(cls);
      expect((err as ScenecrfError).code).toBe(code);
      expect((err as Error).message).toContain(JSON.stringify(f(name)));
    });

    it('states the video track length of Matroska files (what truncation is measured against)', async () => {
      const backend = await resolveFfmpeg({ backend: 'native' });
      for (const name of ['cuts.mkv', 'truncated.mkv', 'long-audio.mkv', 'offset.mkv']) {
        const info = await probeVideo(f(name), backend);
        expect(info.declaredFrameCount, name).toBeUndefined();
        expect(info.declaredDurationSeconds, name).toBeCloseTo(8, 2);
      }
    });
  });

  describe('abort', () => {
    it('signal aborted before the call -> AbortError', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop before starting'));
      const err: unknown = await analyzeVideo(CUTS, { backend: 'native' }, { signal: controller.signal }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AbortError);
      expect((err as ScenecrfError).code).toBe('ABORTED');
      expect((err as Error).message).toMatch(/stop before starting/);
    });

    it('abort from onProgress mid-analysis -> AbortError promptly, no ffmpeg left running', async () => {
      const controller = new AbortController();
      let abortedAt: number | undefined;
      let frameAtAbort = 0;
      let runningAtAbort: string[] = [];
      const err: unknown = await analyzeVideo(
        DEMO,
        { backend: 'native' },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (abortedAt === undefined && p.stage === 'analyze' && p.frame > 0) {
              frameAtAbort = p.frame;
              runningAtAbort = childFfmpegProcesses();
              abortedAt = performance.now();
              controller.abort(new Error('user cancelled'));
            }
          },
        },
      ).catch((e: unknown) => e);
      const settledAt = performance.now();
      expect(err).toBeInstanceOf(AbortError);
      expect((err as ScenecrfError).code).toBe('ABORTED');
      expect((err as Error).message).toMatch(/user cancelled/);
      expect(abortedAt).toBeDefined();
      expect(frameAtAbort).toBeLessThan(480);
      expect(settledAt - abortedAt!).toBeLessThan(5_000);
      // The decoder was running when we aborted (so the check below is not vacuous; the probe may
      // still be running beside it) and every child is gone now.
      if (existsSync('/proc/self/stat')) expect(runningAtAbort.filter((p) => p.endsWith(' ffmpeg'))).toHaveLength(1);
      expect(childFfmpegProcesses()).toEqual([]);
    });
  });
});
