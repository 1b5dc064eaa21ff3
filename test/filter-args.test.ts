/**
 * Filter graphs that grow with the scenes (src/media/filter-args.ts): the proxy reference selects
 * one window per scene. ffmpeg's expression parser refuses a flat sum of more than 100 terms, and
 * on a film with thousands of shots the graph is longer than Linux accepts as one argument (E2BIG
 * at 128 KiB). Checked with the real ffmpeg: a 5600-window select, written to a file and read back
 * by this ffmpeg's spelling of "filter graph from a file", picks exactly the windows' frames.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegMajorVersion, filterScriptArgs, frameWindowsSelect, INLINE_FILTER_LIMIT, videoFilterArgs } from '../src/media/filter-args.js';
import { hasNativeFfmpeg } from './helpers.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-filter-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('filter graph from a file', () => {
  it('reads the major version from ffmpeg -version lines, null for git builds', () => {
    expect(ffmpegMajorVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers')).toBe(5);
    expect(ffmpegMajorVersion('ffmpeg version n7.1 Copyright (c) 2000-2024 the FFmpeg developers')).toBe(7);
    expect(ffmpegMajorVersion('ffmpeg version 6.1.1-static https://johnvansickle.com/ffmpeg/')).toBe(6);
    expect(ffmpegMajorVersion('ffmpeg version 10.0-full_build-www.gyan.dev')).toBe(10);
    expect(ffmpegMajorVersion('ffmpeg version N-113224-g1e4f3d2 Copyright (c) 2000-2026')).toBeNull();
    expect(filterScriptArgs(5, 'f.txt')).toEqual(['-filter_script:v', 'f.txt']);
    expect(filterScriptArgs(8, 'f.txt')).toEqual(['-filter_script:v', 'f.txt']);
    expect(filterScriptArgs(9, 'f.txt')).toEqual(['-/filter:v', 'f.txt']);
    expect(filterScriptArgs(null, 'f.txt')).toEqual(['-/filter:v', 'f.txt']);
  });

  it.skipIf(!hasNativeFfmpeg)('a select with 5600 windows: too long for one argument, read from a file, exactly the windows’ frames', async () => {
    const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';
    const version = execFileSync(ffmpeg, ['-hide_banner', '-version'], { encoding: 'utf8' }).split('\n')[0]!;
    // Windows of 1–3 frames with gaps: 5600 scenes, frame numbers of five digits.
    const windows: Array<{ startFrame: number; endFrame: number }> = [];
    for (let i = 0, at = 10_000; i < 5600; i++, at += 5 + (i % 7)) windows.push({ startFrame: at, endFrame: at + 1 + (i % 3) });
    const graph = `select='${frameWindowsSelect(windows)}',showinfo`;
    expect(graph.length).toBeGreaterThan(128 * 1024); // what Linux refuses as one argument
    const args = await videoFilterArgs(graph, version, tmp);
    expect(args[0]).not.toBe('-vf');
    expect(graph.length).toBeGreaterThan(INLINE_FILTER_LIMIT);
    const last = windows[windows.length - 1]!.endFrame;
    const r = spawnSync(ffmpeg, ['-hide_banner', '-nostats', '-f', 'lavfi', '-i', `testsrc2=s=32x18:r=24,trim=end_frame=${last + 5}`, ...args, '-f', 'null', '-'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    // testsrc2 at 24 fps has time base 1/24: a frame's pts is its number.
    const picked = [...r.stderr.matchAll(/\bn:\s*\d+\s+pts:\s*(\d+)/g)].map((m) => Number(m[1]));
    const expected = windows.flatMap((w) => Array.from({ length: w.endFrame - w.startFrame }, (_, k) => w.startFrame + k));
    expect(picked).toEqual(expected);
  });

  it('frameWindowsSelect: one window is one term; no windows select nothing', () => {
    const w = (a: number, b: number) => ({ startFrame: a, endFrame: b });
    expect(frameWindowsSelect([w(3, 5)])).toBe('between(n\\,3\\,4)');
    expect(frameWindowsSelect([])).toBe('0');
  });

  it('short graphs stay on the command line', async () => {
    expect(await videoFilterArgs('scale=64:36', 'ffmpeg version 5.1.9', tmp)).toEqual(['-vf', 'scale=64:36']);
  });
});
