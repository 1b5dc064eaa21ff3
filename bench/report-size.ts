/**
 * Report size and browser render time for a long film: a synthetic two-hour 24 fps analysis result
 * (172,800 frames with per-frame features, ~2000 scenes) → renderReport → headless chromium.
 *
 *   npx tsx bench/report-size.ts [--thumbnails fixtures/demo.mp4] [--runs 3] [--keep out.html]
 *
 * With --thumbnails, every scene gets a real thumbnail of the size sceneThumbnails takes for a
 * film with that many scenes (taken from the given video's scenes, cycled), to show the size
 * with thumbnails. Prints the figures with command, date and machine for bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_THUMBNAIL_BUDGET, sceneThumbnails, thumbnailDefaults } from '../src/report/thumbnails.js';
import { renderReport } from '../src/report/render.js';
import { analyzeVideo } from '../src/analysis/analyze.js';
import { Browser, findChromium } from '../test/report-browser.js';
import { machineLine } from './lib.js';
import { mulberry32 } from '../src/util/random.js';

const { values } = parseArgs({ options: { thumbnails: { type: 'string' }, runs: { type: 'string', default: '3' }, keep: { type: 'string' }, scenes: { type: 'string', default: '2000' } } });
const FPS = 24;
const FRAMES = 2 * 3600 * FPS;
const SCENES = Number(values.scenes);

function synthetic() {
  const r = mulberry32(19);
  // Scene lengths: log-normal-ish around the mean, at least 24 frames, summing to FRAMES.
  const weights = Array.from({ length: SCENES }, () => Math.exp(0.8 * (r() + r() + r() - 1.5)));
  const total = weights.reduce((a, b) => a + b, 0);
  const starts = [0];
  let acc = 0;
  for (let i = 0; i < SCENES - 1; i++) {
    acc += weights[i];
    starts.push(Math.max(starts[i] + 24, Math.round((acc / total) * FRAMES)));
  }
  const kinds = ['cut', 'cut', 'cut', 'cut', 'cut', 'cut', 'fade', 'dissolve', 'split'] as const;
  type F = { index: number; mean: number; variance: number; si: number; ti: number; motion: number; edgeDensity: number; noise: number; histDiff: number; blockDiff: number; mcResidual: number };
  const frames: F[] = [];
  const scenes = [];
  for (let i = 0; i < SCENES; i++) {
    const s = starts[i];
    const e = i + 1 < SCENES ? starts[i + 1] : FRAMES;
    const baseSi = 20 + 100 * r();
    const baseTi = 2 + 30 * r() * r();
    const fs: F[] = [];
    for (let f = s; f < e; f++) {
      const ff = { index: f, mean: 60 + 80 * r(), variance: 1500 + 2000 * r(), si: baseSi + 8 * (r() - 0.5), ti: f === s ? 80 : baseTi + 4 * (r() - 0.5), motion: baseTi / 3 + r(), edgeDensity: 0.1 + 0.1 * r(), noise: 0.5 * r(), histDiff: 0.02 * r(), blockDiff: 0.01 * r(), mcResidual: baseTi / 5 + r() };
      fs.push(ff);
      frames.push(ff);
    }
    const stats = (k: 'si' | 'ti' | 'motion' | 'mcResidual') => {
      const v = fs.map((f) => f[k]).sort((a, b) => a - b);
      const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
      return { mean: v.reduce((a, b) => a + b, 0) / v.length, p10: q(0.1), p50: q(0.5), p90: q(0.9), max: v[v.length - 1] };
    };
    const kind = i === 0 ? 'start' : kinds[Math.floor(r() * kinds.length)];
    scenes.push({
      index: i,
      startFrame: s,
      endFrame: e,
      frameCount: e - s,
      startTime: s / FPS,
      endTime: e / FPS,
      startKind: kind,
      ...(kind === 'fade' || kind === 'dissolve' ? { transition: { startFrame: Math.max(0, s - 10), endFrame: s + 10 } } : {}),
      complexity: { frameCount: e - s, lumaMean: 100, lumaVariance: 2500, si: stats('si'), ti: stats('ti'), motion: stats('motion'), mcResidual: stats('mcResidual'), edgeDensity: 0.15, noise: 0.3, score: Math.min(1, (baseSi / 120 + baseTi / 32) / 2) },
    });
  }
  return {
    video: { path: '/films/synthetic-2h.mkv', container: 'matroska,webm', codec: 'h264', width: 1920, height: 1080, pixFmt: 'yuv420p', bitDepth: 8, frameRate: { num: FPS, den: 1 }, fps: FPS, frameCount: FRAMES, frameCountExact: false, durationSeconds: FRAMES / FPS, variableFrameRate: false },
    backend: { source: 'path', kind: 'native', path: '/usr/bin/ffmpeg', version: 'ffmpeg version 5.1.9-0+deb12u1' },
    analysis: { width: 256, height: 144, bitDepth: 8, framesAnalyzed: FRAMES, elapsedSeconds: 900, fps: FRAMES / 900 },
    scenes,
    shotBoundaries: scenes.slice(1).map((s) => ({ frame: s.startFrame, kind: s.startKind === 'split' ? 'cut' : s.startKind, transitionStart: s.startFrame, transitionEnd: s.startFrame, strength: 1 })),
    warnings: [],
    frames,
  };
}

async function main() {
  const chromium = findChromium();
  if (!chromium) throw new Error('no chromium (apt-get install chromium)');
  const result = synthetic();
  const json = JSON.stringify(result);
  let thumbnails: Array<string | undefined> | undefined;
  let thumbNote = 'none';
  if (values.thumbnails) {
    const a = await analyzeVideo(values.thumbnails);
    const t = await sceneThumbnails(values.thumbnails, a.scenes, { fps: a.video.fps, ...thumbnailDefaults(SCENES) });
    const real = t.thumbnails.filter((x): x is string => !!x);
    // As sceneThumbnails would for this film: one per scene until the default budget is spent.
    let total = 0;
    thumbnails = result.scenes.map((_, i) => {
      const uri = real[i % real.length];
      if (total + uri.length > DEFAULT_THUMBNAIL_BUDGET) return undefined;
      total += uri.length;
      return uri;
    });
    const kept = thumbnails.filter(Boolean).length;
    const { width, quality } = thumbnailDefaults(SCENES);
    thumbNote = `${kept} of ${SCENES} scenes (the ${(DEFAULT_THUMBNAIL_BUDGET / 1e6).toFixed(1)} MB default budget), ${width} px JPEG q${quality} as sceneThumbnails takes them for ${SCENES} scenes: mean ${Math.round(real.reduce((s, x) => s + x.length, 0) / real.length)} B as data URI, cycled from ${path.basename(values.thumbnails)}`;
  }
  const t0 = performance.now();
  const html = renderReport(result, { thumbnails, date: 'synthetic' });
  const renderMs = performance.now() - t0;
  const html2 = renderReport(JSON.parse(json), { thumbnails, date: 'synthetic' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scenecrf-report-bench-'));
  const file = values.keep ?? path.join(dir, 'report.html');
  writeFileSync(file, html);
  const browser = await Browser.launch(chromium);
  const loads: number[] = [];
  const painted: number[] = [];
  const walls: number[] = [];
  const completes: number[] = [];
  const tasks: number[] = [];
  const layouts: number[] = [];
  let errors: string[] = [];
  let requests = 0;
  let counts = { bands: 0, rows: 0 };
  try {
    for (let run = 0; run < Number(values.runs); run++) {
      const w0 = performance.now();
      const page = await browser.open(file, { width: 1280, height: 900 }, 120_000);
      // Loaded, styled, laid out and painted: two animation frames after the load event.
      const inPage = await page.evaluate<{ load: number; painted: number; complete: number }>(`new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(() => {
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        const painted = fcp ? fcp.startTime : performance.now();
        const load = performance.getEntriesByType('navigation')[0].loadEventEnd;
        // The whole table laid out: scroll to its end and wait for that to paint.
        const wrap = document.querySelector('.table-wrap');
        wrap.scrollIntoView();
        wrap.scrollTop = wrap.scrollHeight;
        requestAnimationFrame(() => requestAnimationFrame(() => res({ load, painted, complete: performance.now() })));
      })))`);
      const m = await page.metrics();
      const wall = performance.now() - w0;
      loads.push(inPage.load);
      painted.push(inPage.painted);
      completes.push(inPage.complete);
      walls.push(wall);
      tasks.push(m.TaskDuration * 1000);
      layouts.push(m.LayoutDuration * 1000);
      counts = await page.evaluate(`({ bands: document.querySelectorAll('#timeline .band').length, rows: document.querySelectorAll('#table tbody tr').length })`);
      errors = page.report.consoleErrors;
      requests = page.report.requests.filter((u) => !u.startsWith('data:')).length - 1;
      await page.close();
    }
  } finally {
    await browser.close();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const mb = (n: number) => (n / 1e6).toFixed(2);
  const chromiumVersion = execFileSync(chromium, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`command: npx tsx bench/report-size.ts ${process.argv.slice(2).join(' ')}`.trim());
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`machine: ${machineLine()}`);
  console.log(`browser: ${chromiumVersion} (headless, 1280×900)`);
  console.log(`input: synthetic analysis, ${FRAMES} frames at ${FPS} fps (2 h), ${SCENES} scenes, per-frame features; JSON ${mb(json.length)} MB`);
  console.log(`thumbnails: ${thumbNote}`);
  console.log(`report: ${mb(Buffer.byteLength(html))} MB (limit 5 MB) — ${counts.bands} scene bands, ${counts.rows} table rows; deterministic: ${html === html2}`);
  console.log(`renderReport (node): ${renderMs.toFixed(0)} ms`);
  const list = (v: number[]) => v.map((x) => x.toFixed(0)).join(' / ');
  console.log(`browser, ${loads.length} runs, ms from navigation start:`);
  console.log(`  load event ${list(loads)}; first paint ${list(painted)} (median ${median(painted).toFixed(0)}, limit 3000)`);
  console.log(`  scrolled to the end of the scene table and painted ${list(completes)} (median ${median(completes).toFixed(0)})`);
  console.log(`  main-thread busy (CDP TaskDuration) ${list(tasks)}, of it layout ${list(layouts)}`);
  console.log(`  driver wall clock, new tab → table painted: ${list(walls)}`);
  console.log(`console errors: ${errors.length}; network requests besides the file: ${requests}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
