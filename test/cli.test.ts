/**
 * The built CLI, run the way users run it: `node bin/scenecrf.cjs ...` as a child process with an
 * argument array (no shell), from the package the global setup built (test/setup/package-build.ts).
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeFileAtomic } from '../src/util/atomic.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(inject('packageDir'), 'bin', 'scenecrf.cjs');
const DEMO = path.join(ROOT, 'fixtures', 'demo.mp4');
const CUTS = path.join(ROOT, 'fixtures', 'cuts.mp4');
const SOURCES = ['option', 'env', 'ffmpeg-static', 'path', 'wasm'];

function hasNativeFfmpeg(): boolean {
  const candidates = process.env.FFMPEG_PATH
    ? [process.env.FFMPEG_PATH]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg'));
  return candidates.some((p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

const FFMPEG = hasNativeFfmpeg();
const SKIP_REASON = 'SKIPPED: no ffmpeg found (set FFMPEG_PATH or put ffmpeg on PATH) — CLI analysis tests did NOT run';
if (!FFMPEG) console.warn(`\n*** test/cli.test.ts ${SKIP_REASON} ***\n`);

let tmp: string;

/** Runs the CLI; never throws on a non-zero exit. Without a TTY the progress bar stays off. */
function cli(args: string[], opts: { cwd?: string } = {}) {
  return execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
    env: { NO_COLOR: '1' },
  });
}

const tempFilesIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-cli-'));
  // bin/scenecrf.cjs requires the CommonJS build.
  expect(statSync(path.join(inject('packageDir'), 'dist', 'cli.cjs')).isFile()).toBe(true);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('scenecrf CLI: usage', () => {
  it('--help exits 0 and prints usage', async () => {
    const r = await cli(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Usage:/);
    const a = await cli(['analyze', '--help']);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toMatch(/--json <file>/);
  });

  it('an unknown option exits 2 and names it', async () => {
    const r = await cli(['analyze', DEMO, '--no-such-option']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no-such-option/);
    expect(r.stdout).toBe('');
  });

  it('an unknown command exits 2', async () => {
    const r = await cli(['analyse', DEMO]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown command "analyse"; did you mean "analyze"\?/);
    const far = await cli(['transcode', DEMO]);
    expect(far.exitCode).toBe(2);
    expect(far.stderr).toMatch(/unknown command "transcode"\n/);
  });

  it('a missing input exits 1 with "not found" and no stack trace', async () => {
    const missing = path.join(tmp, 'missing.mp4');
    const r = await cli(['analyze', missing]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/not found/);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('--json into a directory that does not exist fails before analysing, with a clear error and no temp file', async () => {
    const target = path.join(tmp, 'no-such-dir', 'out.json');
    const r = await cli(['analyze', DEMO, '--json', target, '--quiet']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot write .*out\.json.*: directory .*no-such-dir.* does not exist/);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(statSync(path.join(tmp, 'no-such-dir'), { throwIfNoEntry: false })).toBeUndefined();
    expect(tempFilesIn(tmp)).toEqual([]);
  });

  it('--json onto an existing directory fails with a clear error', async () => {
    const target = path.join(tmp, 'a-directory');
    await mkdir(target, { recursive: true });
    const r = await cli(['analyze', DEMO, '--json', target, '--quiet']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot write .*a-directory.*: it is a directory/);
    expect(tempFilesIn(tmp)).toEqual([]);
  });

  it('writeFileAtomic removes its temp file when the final rename fails', async () => {
    const target = path.join(tmp, 'occupied');
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, '{}')).rejects.toThrow();
    expect(tempFilesIn(tmp)).toEqual([]);
  });

  it('writeFileAtomic writes into a named pipe or device instead of renaming a file over it', async () => {
    // `--json /dev/stdout` or `--json /dev/null` must not replace the device with a file (root may rename over it).
    const fifo = path.join(tmp, 'pipe');
    await execa('mkfifo', [fifo]);
    const reader = execa('cat', [fifo], { timeout: 10_000 });
    await writeFileAtomic(fifo, '{"through":"the pipe"}');
    expect((await reader).stdout).toBe('{"through":"the pipe"}');
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(tempFilesIn(tmp)).toEqual([]);
  });
});

describe.skipIf(!FFMPEG)(FFMPEG ? 'scenecrf CLI: analyze' : `scenecrf CLI: analyze — ${SKIP_REASON}`, () => {
  let jsonScenes: number | undefined;

  it('analyze --json <file> --quiet writes the full result and prints nothing', async () => {
    const out = path.join(tmp, 'out.json');
    const r = await cli(['analyze', 'fixtures/demo.mp4', '--json', out, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    const result = JSON.parse(await readFile(out, 'utf8'));
    expect(result.video.frameCount).toBe(480);
    expect(SOURCES).toContain(result.backend.source);
    const scenes = result.scenes as { startFrame: number; endFrame: number }[];
    expect(scenes.length).toBeGreaterThan(1);
    expect(scenes[0]!.startFrame).toBe(0);
    for (let i = 1; i < scenes.length; i++) expect(scenes[i]!.startFrame).toBe(scenes[i - 1]!.endFrame);
    expect(scenes.at(-1)!.endFrame).toBe(480);
    expect(tempFilesIn(tmp)).toEqual([]);
    jsonScenes = scenes.length;
  });

  it('analyze <file> exits 0 and prints one table row per scene', async () => {
    const r = await cli(['analyze', 'fixtures/demo.mp4']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => /^scene\s/.test(l));
    expect(header, r.stdout).toBeGreaterThan(0);
    expect(lines[header]).toMatch(/\bframes\b.*\bcomplexity\b/);
    expect(lines[header + 1]).toMatch(/^-+(\s+-+)+$/);
    const rows = [];
    for (let i = header + 2; i < lines.length && lines[i]!.trim() !== '' && !/^warnings:/.test(lines[i]!); i++) rows.push(lines[i]!);
    const announced = Number(/(\d+) scenes from/.exec(r.stdout)?.[1]);
    expect(rows.length).toBe(announced);
    rows.forEach((row, i) => expect(row).toMatch(new RegExp(`^${i}\\s+\\d+-\\d+\\s`)));
    expect(rows[0]).toMatch(/^0\s+0-/);
    expect(rows.at(-1)).toMatch(/-479\s/);
    if (jsonScenes !== undefined) expect(rows.length).toBe(jsonScenes);
  });

  it('a file name starting with "-" works after "--" (and is refused as an option without it)', async () => {
    await copyFile(CUTS, path.join(tmp, '-dash.mp4'));
    const abs = await cli(['analyze', '--quiet', '--', path.join(tmp, '-dash.mp4')]);
    expect(abs.exitCode).toBe(0);
    const rel = await cli(['analyze', '--json', '-', '--', '-dash.mp4'], { cwd: tmp });
    expect(rel.stderr).toBe('');
    expect(rel.exitCode).toBe(0);
    const result = JSON.parse(rel.stdout);
    expect(result.video.path).toBe('-dash.mp4');
    expect(result.video.frameCount).toBe(192);
    const refused = await cli(['analyze', '-dash.mp4'], { cwd: tmp });
    expect(refused.exitCode).toBe(2);
  });
});

describe.skipIf(!FFMPEG)('scenecrf quality (built CLI: bundled worker and wasm kernels)', () => {
  const clips = path.resolve(ROOT, '..', 'shared', 'vmaf-reference', 'clips');
  const ref = path.join(clips, 'vtest_360_x264_crf41.ref.mkv');
  const dist = path.join(clips, 'vtest_360_x264_crf41.dist.mp4');
  const haveClips = (() => {
    try {
      return statSync(ref).isFile();
    } catch {
      console.warn(`\n*** SKIPPING CLI quality tests: ${clips} is missing ***\n`);
      return false;
    }
  })();

  it.skipIf(!haveClips)('scores per scene on worker threads and writes the JSON report atomically', async () => {
    await writeFile(path.join(tmp, 'scenes.json'), JSON.stringify([{ startFrame: 0, endFrame: 24 }, { startFrame: 24, endFrame: 48 }]));
    const out = path.join(tmp, 'q.json');
    const r = await cli(['quality', ref, dist, '--vmaf-backend', 'builtin', '--threads', '2', '--scenes', path.join(tmp, 'scenes.json'), '--json', out]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/backend builtin/);
    expect(r.stdout).toMatch(/^1\s+24-47\s/m);
    expect(r.stdout).toMatch(/^all\s+0-47\s/m);
    const report = JSON.parse(await readFile(out, 'utf8'));
    expect(report.frames).toHaveLength(48);
    expect(report.scenes).toHaveLength(2);
    // libvmaf 3.2.0 says 65.945 for this clip.
    expect(Math.abs(report.pooled.mean - 65.945)).toBeLessThan(0.2);
    expect(tempFilesIn(tmp)).toEqual([]);
  });

  it('bad usage and bad input exit with 2 and 1 and say why', async () => {
    const usage = await cli(['quality', 'only-one.mkv']);
    expect(usage.exitCode).toBe(2);
    const missing = await cli(['quality', path.join(tmp, 'nope.mkv'), path.join(tmp, 'nope2.mkv'), '--quiet']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/not found/i);
    const badMetric = await cli(['quality', DEMO, DEMO, '--metric', 'vmfa']);
    expect(badMetric.exitCode).toBe(2);
    expect(badMetric.stderr).toMatch(/metric/);
  });
});
