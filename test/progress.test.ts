/**
 * The CLI's progress line: rendered into a fake terminal (a Writable that says it is a TTY of a
 * given width), every line drawn must fit the width and never contain a newline, whatever the
 * phase; and the VMAF phase must know its total up front ("83/250 frames", never "83/0").
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optimizeProgress, optimizeSteps } from '../src/cli/plan.js';
import { progressBar, renderProgressLine, type ProgressState, type ProgressStream } from '../src/cli/progress.js';
import { qualityProgress } from '../src/cli/quality.js';
import type { OptimizeProgress } from '../src/optimize/optimize.js';
import { measureQuality, type QualityProgress } from '../src/quality/measure.js';
import { hasNativeFfmpeg } from './helpers.js';

/** A terminal `columns` wide, recording what is written to it. */
function fakeTerminal(columns: number, isTTY = true): ProgressStream & { text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      written += String(chunk);
      callback();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: () => string };
  stream.isTTY = isTTY;
  stream.columns = columns;
  stream.text = () => written;
  return stream;
}

/** The lines as the terminal shows them: each redraw starts at column 1 (ESC [ 1 G); escapes take no room. */
function drawnLines(output: string): string[] {
  return output
    .split('\x1b[1G')
    .map((s) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, ''))
    .filter((s) => s !== '');
}

const PHASES: OptimizeProgress[] = [
  { stage: 'plan', round: 0, plan: { stage: 'analyze', done: 40, total: 250, analysis: { stage: 'analyze', frame: 40, totalFrames: 250, fps: 212.4, elapsedSeconds: 0.2, etaSeconds: 1.0 } } as never },
  { stage: 'plan', round: 0, plan: { stage: 'proxy', done: 3, total: 21 } },
  { stage: 'plan', round: 0, plan: { stage: 'probe', done: 5, total: 14 } },
  { stage: 'encode', round: 0, encode: { framesDone: 120, totalFrames: 250, fps: 38.2, etaSeconds: 3.4, phase: 'encode' } as never },
  { stage: 'validate', round: 0, validate: { frame: 83, totalFrames: 250, fps: 11.3 } },
  { stage: 'encode', round: 1, encode: { framesDone: 12345, totalFrames: 123456, fps: 1.5, etaSeconds: 7400, phase: 'encode' } as never },
  { stage: 'validate', round: 1, validate: { frame: 9999, totalFrames: 123456, fps: 0.5 } },
];

describe('progress line', () => {
  it('fits every width from 1 to 200 columns and has no newline', () => {
    const steps = optimizeSteps({ encoder: 'svt-av1', targetVmaf: 93, output: 'o.mkv' });
    const states: ProgressState[] = [
      ...PHASES.map((p) => optimizeProgress(p, steps)!),
      { label: 'analyze', done: 0, total: 0, unit: 'frames' },
      { label: 'a-long-phase-name-that-would-not-fit-anywhere-narrow', done: 7, total: 9 },
    ];
    for (let width = 1; width <= 200; width++) {
      for (const state of states) {
        const line = renderProgressLine(state, width);
        expect(line.length, `${width} columns: ${JSON.stringify(line)}`).toBeLessThan(Math.max(width, 1));
        expect(line).not.toMatch(/[\r\n]/);
      }
    }
  });

  it('keeps the phase, the step, the count and a bar at 60 columns; drops parts at 40', () => {
    const steps = optimizeSteps({ encoder: 'svt-av1', targetVmaf: 93, output: 'o.mkv' });
    const vmaf = optimizeProgress(PHASES[4]!, steps)!;
    expect(renderProgressLine(vmaf, 60)).toMatch(/^step 4 of 5: vmaf \[#+\.+\]\s+33% +83\/250/);
    const narrow = renderProgressLine(vmaf, 40);
    expect(narrow).toMatch(/^4\/5 vmaf \[#*\.+\]\s+33% +83\/250/);
    expect(narrow).not.toMatch(/fps/);
    // Wide: everything, the rate and ETA included.
    expect(renderProgressLine(vmaf, 120)).toMatch(/^step 4 of 5: vmaf \[#+\.+\]\s+33% +83\/250 frames +11 fps ETA 15s +$/);
  });

  for (const columns of [60, 40]) {
    it(`draws every phase of an optimize run in a ${columns}-column terminal without wrapping`, async () => {
      const term = fakeTerminal(columns);
      const bar = progressBar(term, true);
      const steps = optimizeSteps({ encoder: 'svt-av1', targetVmaf: 93, output: 'o.mkv' });
      for (const phase of PHASES) {
        bar.update(optimizeProgress(phase, steps)!);
        await new Promise((r) => setTimeout(r, 5));
      }
      bar.done();
      const out = term.text();
      expect(out).not.toMatch(/\n/);
      const lines = drawnLines(out);
      expect(lines.length).toBeGreaterThanOrEqual(PHASES.length);
      for (const line of lines) expect(line.length, JSON.stringify(line)).toBeLessThan(columns);
      // The VMAF phase with its total; the re-encode round as the last step.
      const vmafLine = lines.find((l) => /vmaf/.test(l) && !/round/.test(l));
      expect(vmafLine).toMatch(/ 83\/250/);
      expect(lines.some((l) => /^(step 5 of 5: |5\/5 )round 1: encode/.test(l))).toBe(true);
      // The line is cleared and the cursor shown again at the end.
      expect(out.endsWith('\x1b[2K')).toBe(true);
      expect(out).toContain('\x1b[?25h');
    });
  }

  it('writes nothing when the stream is not a TTY (CI logs, pipes) or progress is off', () => {
    for (const [term, enabled] of [[fakeTerminal(80, false), true], [fakeTerminal(80, true), false]] as const) {
      const bar = progressBar(term, enabled);
      bar.update({ label: 'vmaf', done: 1, total: 2, unit: 'frames' });
      bar.done();
      expect(term.text()).toBe('');
    }
  });

  it('counts steps from the options: no validation, no rounds', () => {
    expect(optimizeSteps({ encoder: 'vp9', targetVmaf: 90, output: 'o.mkv' }).count).toBe(5);
    expect(optimizeSteps({ encoder: 'vp9', targetVmaf: 90, output: 'o.mkv', maxRounds: 0 }).count).toBe(4);
    expect(optimizeSteps({ encoder: 'vp9', bitrateKbps: 500, output: 'o.mkv', maxRounds: 0 }).count).toBe(4);
    expect(optimizeSteps({ encoder: 'vp9', targetVmaf: 90, output: 'o.mkv', validate: false }).count).toBe(3);
  });
});

describe.skipIf(!hasNativeFfmpeg)('progress of the VMAF phase', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-progress-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('knows its frame total up front for Matroska files, which state no frame count', async () => {
    const ref = path.join(tmp, 'ref.mkv');
    const dis = path.join(tmp, 'dis.mkv');
    const make = (out: string, crf: string) =>
      execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24:d=1', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', crf, out]);
    make(ref, '10');
    make(dis, '40');
    const seen: QualityProgress[] = [];
    await measureQuality(ref, dis, { threads: 2, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(0);
    for (const p of seen) expect(p.totalFrames).toBe(24);
    const line = renderProgressLine(qualityProgress('vmaf', seen[0]!), 60);
    expect(line).toMatch(/ \d+\/24 frames/);
  });
});
