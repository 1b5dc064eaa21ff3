/**
 * What an encode keeps of its source besides the encoded picture: every frame's timestamp (a
 * variable-frame-rate input used to come out shortened, its frames laid at the nominal rate), and
 * the audio, subtitles, chapters and metadata (dropped before; now stream-copied unless
 * `videoOnly`). Real ffmpeg, real encodes of tiny generated clips.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEncode } from '../src/cli/encode.js';
import { runOptimize } from '../src/cli/plan.js';
import { planFromScenes, type EncodePlan } from '../src/core/plan-file.js';
import { encodePlan } from '../src/encode/chunked.js';
import { optimizeEncode } from '../src/optimize/optimize.js';
import { hasNativeFfmpeg } from './helpers.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ffmpeg = (...args: string[]) => run(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args]);
const ffprobe = (...args: string[]) => run('ffprobe', ['-v', 'error', ...args]);

/** Presentation timestamps of the first video stream, in seconds, sorted. */
const videoPts = (file: string) =>
  ffprobe('-select_streams', 'V:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file)
    .trim()
    .split('\n')
    .map(Number)
    .sort((a, b) => a - b);
const duration = (file: string) => Number(ffprobe('-show_entries', 'format=duration', '-of', 'csv=p=0', file).trim());
/** Checksum of a stream's packets, copied as they are. */
const packetsMd5 = (file: string, map: string) => ffmpeg('-i', file, '-map', map, '-c', 'copy', '-f', 'md5', '-').trim();
const streams = (file: string) =>
  (JSON.parse(ffprobe('-show_entries', 'stream=index,codec_type,codec_name:stream_tags=language,title', '-of', 'json', file)) as {
    streams: Array<{ codec_type: string; codec_name: string; tags?: Record<string, string> }>;
  }).streams.map((s) => ({ type: s.codec_type, codec: s.codec_name, language: s.tags?.language }));
const chapters = (file: string) =>
  (JSON.parse(ffprobe('-show_chapters', '-of', 'json', file)) as { chapters: Array<{ start_time: string; end_time: string; tags?: { title?: string } }> }).chapters.map((c) => ({
    start: Number(c.start_time),
    end: Number(c.end_time),
    title: c.tags?.title,
  }));
/**
 * The subtitle cues (as SubRip, whatever format the file holds them in), each with its start and
 * end from the file's first video frame, to the hundredth of a second (MP4 rounds to its
 * timescale); empty cues (MP4 timed text fills gaps with them) left out.
 */
const subtitles = (file: string) => {
  const first = videoPts(file)[0]!;
  const sec = (t: string) => t.split(/[:,]/).map(Number).reduce((a, v, i) => (i < 3 ? a * 60 + v : a + v / 1000), 0);
  return ffmpeg('-copyts', '-i', file, '-map', '0:s:0', '-f', 'srt', '-')
    .split(/\n\s*\n/)
    .map((block) => block.trim().split('\n'))
    .filter((lines) => lines.length > 2 && lines.slice(2).join('').trim() !== '')
    .map(([, times, ...text]) => {
      const [a, b] = times!.split(' --> ');
      return { from: (sec(a!) - first).toFixed(2), to: (sec(b!) - first).toFixed(2), text: text.join('\n') };
    });
};
/** Timestamps relative to the first. */
const relative = (ts: number[]) => ts.map((t) => (t - ts[0]!).toFixed(3));

let tmp: string;
/** The clip: 38 of 72 testsrc2 frames at 24 fps, unevenly spaced (2.92 s). */
let vfr: string;
/** 72 frames at 24 fps with an Opus audio stream (French), a SubRip stream (English), two chapters and a title. */
let av: string;

function plan(input: string, frames: number, scenes: Array<[number, number]>, crf = 40): EncodePlan {
  return planFromScenes({ path: input, width: 160, height: 90, frameCount: frames, frameRate: { num: 24, den: 1 } }, scenes.map(([startFrame, endFrame]) => ({ startFrame, endFrame })), {
    encoder: 'svt-av1',
    preset: 12,
    crf: () => crf,
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-streams-'));
  if (!hasNativeFfmpeg) return;
  vfr = path.join(tmp, 'vfr.mkv');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24:d=3', '-vf', "select='not(mod(n\\,3))+between(n\\,30\\,50)',format=yuv420p", '-fps_mode', 'vfr', '-c:v', 'libx264', vfr);
  const srt = path.join(tmp, 'sub.srt');
  await writeFile(srt, '1\n00:00:00,500 --> 00:00:01,500\nHello\n\n2\n00:00:02,000 --> 00:00:02,800\nWorld\n');
  const meta = path.join(tmp, 'chapters.txt');
  await writeFile(meta, ';FFMETADATA1\ntitle=Clip\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Two\n');
  av = path.join(tmp, 'av.mkv');
  ffmpeg(
    '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24:d=3', '-f', 'lavfi', '-i', 'sine=f=440:d=3', '-i', srt, '-i', meta,
    '-map', '0', '-map', '1', '-map', '2', '-map_metadata', '3', '-map_chapters', '3',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-c:s', 'srt',
    '-metadata:s:a:0', 'language=fre', '-metadata:s:s:0', 'language=eng', av,
  );
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasNativeFfmpeg)('variable frame rate', () => {
  it('encodePlan keeps every frame and its timestamp, cut at the right frames', async () => {
    const source = videoPts(vfr);
    expect(source).toHaveLength(38);
    const output = path.join(tmp, 'vfr-out.mkv');
    // Scenes that start between the input's keyframes, so chunks are cut by seeking.
    const r = await encodePlan(plan(vfr, 38, [[0, 11], [11, 27], [27, 38]], 20), { output, threads: 1 });
    expect(videoPts(output)).toEqual(source);
    expect(duration(output)).toBeCloseTo(duration(vfr), 2);
    expect(r.durationSeconds).toBeCloseTo(duration(vfr), 2);
    // Frame i of the output is frame i of the input (a wrong frame scores far lower).
    const stats = path.join(tmp, 'vfr-psnr.log');
    ffmpeg('-i', output, '-i', vfr, '-lavfi', `[0:v]setpts=N[a];[1:v]setpts=N[b];[a][b]psnr=stats_file=${stats}`, '-f', 'null', '-');
    const psnr = (await readFile(stats, 'utf8')).trim().split('\n').map((l) => Number(/psnr_y:(\S+)/.exec(l)![1]));
    expect(psnr).toHaveLength(38);
    expect(Math.min(...psnr)).toBeGreaterThan(30);
    // Decoding from frame 0 and cutting by number gives the same bytes as the timestamp seeks.
    const decoded = path.join(tmp, 'vfr-decode.mkv');
    await encodePlan(plan(vfr, 38, [[0, 11], [11, 27], [27, 38]], 20), { output: decoded, threads: 1, trim: 'decode' });
    expect((await readFile(decoded)).equals(await readFile(output))).toBe(true);
  });

  it('.mp4 and .webm outputs keep the timestamps too', async () => {
    for (const ext of ['mp4', 'webm']) {
      const output = path.join(tmp, `vfr-out.${ext}`);
      await encodePlan(plan(vfr, 38, [[0, 20], [20, 38]]), { output, threads: 1 });
      expect(videoPts(output).map((t) => t.toFixed(3))).toEqual(videoPts(vfr).map((t) => t.toFixed(3)));
    }
  });

  it('without ffprobe, ffmpeg reads the timestamps', async () => {
    const bin = path.join(tmp, 'no-ffprobe');
    await mkdir(bin);
    await symlink(run('which', [FFMPEG]).trim(), path.join(bin, 'ffmpeg'));
    const output = path.join(tmp, 'vfr-no-ffprobe.mkv');
    const pathBefore = process.env.PATH;
    process.env.PATH = bin;
    try {
      await encodePlan(plan(vfr, 38, [[0, 20], [20, 38]]), { output, threads: 1, videoOnly: true, ffmpegPath: path.join(bin, 'ffmpeg') });
    } finally {
      process.env.PATH = pathBefore;
    }
    expect(videoPts(output)).toEqual(videoPts(vfr));
  });

  it('optimize keeps them, and its validation pairs the frames', async () => {
    const output = path.join(tmp, 'vfr-opt.mkv');
    const r = await optimizeEncode(vfr, { encoder: 'svt-av1', preset: 12, targetVmaf: 90, probes: 0, maxRounds: 0, output });
    expect(videoPts(output)).toEqual(videoPts(vfr));
    // Frames paired with the wrong source frames would score far below the target.
    expect(r.validation!.vmafMean).toBeGreaterThan(80);
  });
});

describe.skipIf(!hasNativeFfmpeg)('audio, subtitles and chapters', () => {
  const sourceStreams = () => streams(av).slice(1);

  it('are copied into .mkv by default: the same audio packets, subtitles, chapters, languages and title', async () => {
    const output = path.join(tmp, 'av-out.mkv');
    const r = await encodePlan(plan(av, 72, [[0, 30], [30, 72]]), { output, threads: 1 });
    expect(r.frames).toBe(72);
    expect(streams(output)).toEqual([{ type: 'video', codec: 'av1', language: undefined }, ...sourceStreams()]);
    expect(packetsMd5(output, '0:a')).toBe(packetsMd5(av, '0:a'));
    expect(packetsMd5(output, '0:s')).toBe(packetsMd5(av, '0:s'));
    expect(chapters(output)).toEqual(chapters(av));
    expect(chapters(output)).toHaveLength(2);
    expect(ffprobe('-show_entries', 'format_tags=title', '-of', 'csv=p=0', output).trim()).toBe('Clip');
    // The video keeps its timestamps, and the subtitles their places against it.
    expect(relative(videoPts(output))).toEqual(relative(videoPts(av)));
    expect(subtitles(output)).toEqual(subtitles(av));
    expect(subtitles(output).map((c) => c.from)).toEqual(['0.50', '2.00']);
    // A rerun from the same work directory writes the same bytes (resume stays byte-identical).
    const first = await readFile(output);
    await encodePlan(plan(av, 72, [[0, 30], [30, 72]]), { output, threads: 1 });
    expect((await readFile(output)).equals(first)).toBe(true);
    expect((await readdir(r.workDir)).sort()).toEqual(['manifest.json']);
  });

  it('into .mp4 the SubRip subtitles become MP4 timed text with the same text; into .webm, WebVTT', async () => {
    for (const [ext, subtitle] of [['mp4', 'mov_text'], ['webm', 'webvtt']] as const) {
      const output = path.join(tmp, `av-out.${ext}`);
      await encodePlan(plan(av, 72, [[0, 72]]), { output, threads: 1 });
      expect(streams(output).map((s) => s.codec)).toEqual(['av1', 'opus', subtitle, ...(ext === 'mp4' ? ['bin_data'] : [])]);
      expect(packetsMd5(output, '0:a')).toBe(packetsMd5(av, '0:a'));
      expect(subtitles(output)).toEqual(subtitles(av));
      expect(chapters(output).map((c) => c.title)).toEqual(['One', 'Two']);
    }
  });

  it('videoOnly / --video-only: the video alone', async () => {
    const output = path.join(tmp, 'av-video.mkv');
    await encodePlan(plan(av, 72, [[0, 72]]), { output, threads: 1, videoOnly: true });
    expect(streams(output).map((s) => s.type)).toEqual(['video']);
    expect(chapters(output)).toEqual([]);
    const dir = path.join(tmp, 'cli');
    await mkdir(dir);
    const planFile = path.join(dir, 'plan.json');
    await writeFile(planFile, JSON.stringify(plan(av, 72, [[0, 72]])));
    const cliOut = path.join(dir, 'out.webm');
    expect(await runEncode([av, '--plan', planFile, '-o', cliOut, '--threads', '1', '--video-only', '--quiet'])).toBe(0);
    expect(streams(cliOut).map((s) => s.type)).toEqual(['video']);
    expect(await runEncode([av, '--plan', planFile, '-o', path.join(dir, 'all.webm'), '--threads', '1', '--quiet'])).toBe(0);
    expect(streams(path.join(dir, 'all.webm')).map((s) => s.type)).toEqual(['video', 'audio', 'subtitle']);
  });

  it('a stream the container cannot hold is refused before anything runs, named, with the way out', async () => {
    const aac = path.join(tmp, 'aac.mp4');
    ffmpeg('-i', av, '-map', '0:v', '-map', '0:a', '-c:v', 'copy', '-c:a', 'aac', aac);
    const dir = path.join(tmp, 'refused');
    await mkdir(dir);
    const output = path.join(dir, 'out.webm');
    const refused = { code: 'UNSUPPORTED', message: expect.stringMatching(/\.webm cannot hold the audio stream #1 \(aac.*--video-only/) };
    await expect(encodePlan(plan(aac, 72, [[0, 72]]), { output })).rejects.toMatchObject(refused);
    await expect(runOptimize([aac, '--encoder', 'svt-av1', '--target-vmaf', '90', '-o', output, '--quiet'])).rejects.toMatchObject(refused);
    await expect(encodePlan(plan(av, 72, [[0, 72]]), { output: path.join(dir, 'out.ivf') })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/\.ivf holds one video stream .*audio stream #1 \(opus, language fre\) and 1 more/),
    });
    expect(await readdir(dir)).toEqual([]);
    // With the flag the same encode goes through.
    await encodePlan(plan(aac, 72, [[0, 72]]), { output, threads: 1, videoOnly: true });
    expect(streams(output).map((s) => s.type)).toEqual(['video']);
  });
});
