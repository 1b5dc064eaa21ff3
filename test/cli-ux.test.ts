/**
 * The built CLI's behaviour around the work: --verbose command lines, option errors in the CLI's
 * own words, and Ctrl-C while the builtin VMAF's worker threads are busy. Real processes, real
 * clips, the package the global setup built (test/setup/package-build.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hasNativeFfmpeg } from './helpers.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = () => path.join(inject('packageDir'), 'bin', 'scenecrf.cjs');
const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';

function cli(args: string[], opts: { timeout?: number } = {}) {
  return execa(process.execPath, [BIN(), ...args], { cwd: ROOT, reject: false, stdin: 'ignore', timeout: opts.timeout ?? 120_000, env: { NO_COLOR: '1' } });
}

/** A command line as POSIX sh splits it: the words `sh` passes to the program. */
function shellWords(line: string): string[] {
  const out = execFileSync('sh', ['-c', `set -- ${line}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const onPath = (program: string) => (process.env.PATH ?? '').split(path.delimiter).some((d) => existsSync(path.join(d, program)));

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-cli-ux-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('every process start is announced (static check of src/)', () => {
  it('each module that calls execa also announces its commands', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const callers = files(path.join(ROOT, 'src')).filter((f) => /\bexeca\(/.test(readFileSync(f, 'utf8')));
    expect(callers.length).toBeGreaterThan(3);
    for (const f of callers) expect(readFileSync(f, 'utf8'), path.relative(ROOT, f)).toMatch(/announceCommand\(/);
  });
});

describe.skipIf(!hasNativeFfmpeg)('scenecrf --verbose', () => {
  // A name a shell would mangle unquoted: a space, a quote, a dollar.
  let clip: string;
  let plan: string;
  beforeAll(async () => {
    const made = path.join(tmp, 'made.mp4');
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24:d=1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', made]);
    clip = path.join(tmp, "it's a $clip.mp4");
    await copyFile(made, clip);
    plan = path.join(tmp, 'plan.json');
    const r = await cli(['plan', clip, '--encoder', 'vp9', '--target-vmaf', '90', '--json', plan, '--quiet']);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it('prints every ffmpeg command line, shell-quoted, one per line on stderr; none without it', async () => {
    const quiet = await cli(['analyze', clip, '--quiet']);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stderr).toBe('');
    const r = await cli(['analyze', clip, '--quiet', '--verbose']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    // Only command lines: each runs an ffmpeg (ffprobe) program.
    for (const line of lines) expect(path.basename(shellWords(line)[0]!), line).toMatch(/^ff(mpeg|probe)$/);
    // The decode, as a shell reads it back: the hostile file name arrives intact.
    const decode = lines.map(shellWords).find((w) => w.includes('rawvideo'));
    expect(decode).toBeDefined();
    expect(decode).toContain(`file:${clip}`);
  });

  it('prints the encoder commands of an encode, through ffmpeg and piped into the standalone encoder', async () => {
    const out = path.join(tmp, 'out.webm');
    const r = await cli(['encode', clip, '--plan', plan, '-o', out, '--quiet', '--verbose']);
    expect(r.exitCode, r.stderr).toBe(0);
    const encodes = r.stderr.split('\n').filter((l) => /libvpx-vp9/.test(l));
    expect(encodes.length).toBeGreaterThan(0);
    for (const line of encodes) expect(shellWords(line)).toContain(`file:${clip}`);
    const silent = await cli(['encode', clip, '--plan', plan, '-o', path.join(tmp, 'silent.webm'), '--quiet']);
    expect(silent.exitCode, silent.stderr).toBe(0);
    expect(silent.stderr).toBe('');
    if (!onPath('vpxenc')) return console.warn('vpxenc not on PATH: the --via tool half of this test did not run');
    const viaTool = await cli(['encode', clip, '--plan', plan, '-o', path.join(tmp, 'tool.webm'), '--via', 'tool', '--quiet', '--verbose']);
    expect(viaTool.exitCode, viaTool.stderr).toBe(0);
    const pipelines = viaTool.stderr.split('\n').filter((l) => / \| \S*vpxenc /.test(l));
    expect(pipelines.length).toBeGreaterThan(0);
    const [ffmpegPart, encoderPart] = pipelines[0]!.split(' | ');
    expect(shellWords(ffmpegPart!)).toContain(`file:${clip}`);
    expect(path.basename(shellWords(encoderPart!)[0]!)).toBe('vpxenc');
  });
});

describe('CLI errors name the CLI option, not library internals', () => {
  const plan = path.join(ROOT, 'fixtures', 'no-such-plan.json');
  it('encode --via with a bad value', async () => {
    for (const bad of ['bogus', '', 'TOOL']) {
      const r = await cli(['encode', 'in.mp4', '--plan', plan, '-o', path.join(tmp, 'x.mkv'), '--via', bad]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/^scenecrf: Invalid --via: expected ffmpeg or tool, got "[^"]*"$/);
      expect(r.stderr).not.toMatch(/Invalid via\b/);
    }
  });

  it('encode --tool-path without --via tool, or naming no program', async () => {
    const without = await cli(['encode', 'in.mp4', '--plan', plan, '-o', path.join(tmp, 'x.mkv'), '--tool-path', '/bin/sh']);
    expect(without.exitCode).toBe(2);
    expect(without.stderr).toMatch(/Invalid --tool-path: .*--via tool/);
    const missing = await cli(['encode', 'in.mp4', '--plan', plan, '-o', path.join(tmp, 'x.mkv'), '--via', 'tool', '--tool-path', path.join(tmp, 'no-such-encoder')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/Invalid --tool-path: ".*no-such-encoder" does not exist/);
  });
});

describe.skipIf(!hasNativeFfmpeg)('Ctrl-C in quality', () => {
  it('cancels the builtin VMAF promptly with its worker threads busy: exit 130, no output file', async () => {
    const ref = path.join(tmp, 'ctrlc-ref.mp4');
    const dis = path.join(tmp, 'ctrlc-dis.mkv');
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=25:d=8', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', ref]);
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', ref, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', dis]);
    const json = path.join(tmp, 'ctrlc.json');
    const child = execa(process.execPath, [BIN(), 'quality', ref, dis, '--threads', '2', '--json', json, '--verbose'], { cwd: tmp, reject: false, stdin: 'ignore', timeout: 120_000 });
    // Both decoders have started once their command lines are printed; by 2 s later the builtin
    // VMAF is busy and the decoders' pipes are full (the case that took 5 s).
    let decoders = 0;
    const started = new Promise<void>((resolve) =>
      child.stderr!.on('data', (d: Buffer) => {
        decoders += (String(d).match(/rawvideo/g) ?? []).length;
        if (decoders >= 2) resolve();
      }),
    );
    await started;
    await new Promise((r) => setTimeout(r, 2000));
    const t0 = performance.now();
    child.kill('SIGINT');
    const r = await child;
    const seconds = (performance.now() - t0) / 1000;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/aborted/i);
    expect(seconds).toBeLessThan(2);
    expect(readdirSync(tmp).filter((n) => n.startsWith('ctrlc.json'))).toEqual([]);
  });
});
