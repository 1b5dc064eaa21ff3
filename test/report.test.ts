/**
 * The HTML report, opened in a real headless browser (Debian's chromium, driven over the DevTools
 * pipe by ./report-browser.ts): one test per result kind, each from a real CLI run on
 * fixtures/demo.mp4 (480 frames, 7 scenes: cuts, a fade and a dissolve).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalyze } from '../src/cli/analyze.js';
import { runOptimize, runPlan } from '../src/cli/plan.js';
import { runQuality } from '../src/cli/quality.js';
import { runReport } from '../src/cli/report.js';
import { InvalidOptionsError } from '../src/errors.js';
import { planEncode } from '../src/optimize/plan-encode.js';
import { detectReportKind } from '../src/report/schema.js';
import { readReportInput, reportSource, sceneThumbnails, thumbnailDefaults } from '../src/report/thumbnails.js';
import { renderReport, type ReportOptions } from '../src/report/render.js';
import { SCHEMAS_DIR } from '../src/cli/json-schemas.js';
import { hasNativeFfmpeg } from './helpers.js';
import { OutputValidator } from './json-schema-check.js';
import { Browser, decodePng, distinctColours, findChromium } from './report-browser.js';

const ROOT = path.resolve(__dirname, '..');
const DEMO = path.join(ROOT, 'fixtures', 'demo.mp4');
const chromium = findChromium();
if (!chromium) console.warn('\n*** SKIPPING browser report tests: no chromium (apt-get install chromium, or set CHROMIUM_PATH) ***\n');

let tmp: string;
let browser: Browser | undefined;
const results: Record<'analyze' | 'plan' | 'optimize' | 'quality', unknown> = {} as never;
let thumbs: Awaited<ReturnType<typeof sceneThumbnails>>;

const readJson = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as unknown;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-report-'));
  if (!hasNativeFfmpeg) return;
  const j = (name: string) => path.join(tmp, `${name}.json`);
  expect(await runAnalyze([DEMO, '--json', j('analyze'), '--frames', '--quiet'])).toBe(0);
  expect(await runPlan([DEMO, '--encoder', 'vp9', '--target-vmaf', '93', '--json', j('plan'), '--quiet'])).toBe(0);
  const encoded = path.join(tmp, 'o.webm');
  expect(await runOptimize([DEMO, '-o', encoded, '--encoder', 'vp9', '--target-vmaf', '93', '--rounds', '1', '--validate-subsample', '2', '--json', j('optimize'), '--quiet'])).toBe(0);
  expect(await runQuality([DEMO, encoded, '--scenes', j('analyze'), '--json', j('quality'), '--quiet'])).toBe(0);
  for (const k of ['analyze', 'plan', 'optimize', 'quality'] as const) results[k] = await readJson(j(k));
  const src = reportSource(results.analyze);
  thumbs = await sceneThumbnails(src.path, src.scenes, { fps: src.fps });
  if (chromium) browser = await Browser.launch(chromium);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Seen {
  bands: number;
  rows: number;
  charts: Array<{ id: string; drawn: number; width: number }>;
  images: Array<{ w: number; complete: boolean }>;
}

/** Writes the report, opens it, and checks what every report must satisfy; returns what the page shows. */
async function openReport(name: string, result: unknown, scenes: number, options: ReportOptions = {}) {
  const html = renderReport(result, { date: '2026-12-08 00:00 UTC', ...options });
  const file = path.join(tmp, `${name}.html`);
  await writeFile(file, html);
  const page = await browser!.open(file);
  const seen = await page.evaluate<Seen>(`(async () => {
    const imgs = [...document.querySelectorAll('.film img')];
    await Promise.all(imgs.map((i) => i.decode().catch(() => {})));
    return {
      bands: document.querySelectorAll('#timeline .band').length,
      rows: document.querySelectorAll('#table tbody tr').length,
      charts: [...document.querySelectorAll('svg.chart')].map((s) => ({
        id: s.id,
        width: s.getBoundingClientRect().width,
        drawn: [...s.querySelectorAll('path.ln, path.env, rect.band, rect.bar, line.seg, rect[fill]')].filter((e) => {
          const b = e.getBBox();
          return b.width > 0 || b.height > 0;
        }).length,
      })),
      images: imgs.map((i) => ({ w: i.naturalWidth, complete: i.complete })),
    };
  })()`);
  const png = await page.screenshot();
  const self = pathToFileURL(file).href;
  expect(page.report.consoleErrors).toEqual([]);
  expect(page.report.requests.filter((u) => u !== self && !u.startsWith('data:'))).toEqual([]);
  expect(seen.bands).toBe(scenes);
  expect(seen.rows).toBe(scenes);
  expect(seen.charts.length).toBeGreaterThan(0);
  for (const c of seen.charts) {
    expect(c.width, c.id).toBeGreaterThan(300);
    expect(c.drawn, c.id).toBeGreaterThan(0);
  }
  const img = decodePng(png);
  expect(img.width).toBe(1280);
  expect(distinctColours(img)).toBeGreaterThan(100);
  return { page, seen, html, chart: (id: string) => seen.charts.find((c) => c.id === id) };
}

describe.skipIf(!hasNativeFfmpeg || !chromium)('HTML report in headless chromium', () => {
  it('analyze: timeline, thumbnails, per-frame SI/TI, and a table sortable from the keyboard', async () => {
    const a = results.analyze as { scenes: Array<{ complexity: { score: number } }>; frames: unknown[] };
    expect(detectReportKind(a)).toBe('analyze');
    expect(thumbs.note).toBeUndefined();
    expect(thumbs.thumbnails).toHaveLength(7);
    for (const t of thumbs.thumbnails) expect(t).toMatch(/^data:image\/jpeg;base64,/);
    const { page, seen, chart } = await openReport('analyze', a, 7, { thumbnails: thumbs.thumbnails });
    expect(seen.images).toHaveLength(7);
    for (const i of seen.images) expect(i.w).toBe(160);
    expect(chart('frame-si')?.drawn).toBeGreaterThan(0);
    expect(chart('frame-ti')?.drawn).toBeGreaterThanOrEqual(2);
    expect(chart('complexity')?.drawn).toBe(7);
    // One mark per boundary kind that starts a scene: 4 cuts, a fade and a dissolve.
    expect(await page.evaluate('document.querySelectorAll("#timeline .marks .mk").length')).toBe(6);

    // Sort by complexity score with the keyboard: focus the header button, press Enter (ascending), then Space (descending).
    const scoreCol = await page.evaluate<number>(`[...document.querySelectorAll('table.scenes thead th')].findIndex((th) => th.textContent.trim() === 'score')`);
    expect(scoreCol).toBeGreaterThan(0);
    const order = () => page.evaluate<number[]>(`[...document.querySelectorAll('#table tbody tr')].map((r) => +r.dataset.scene)`);
    expect(await order()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await page.evaluate(`document.querySelectorAll('table.scenes thead th')[${scoreCol}].querySelector('button').focus()`);
    await page.press('Enter');
    const byScore = a.scenes.map((s, i) => [s.complexity.score, i] as const).sort((x, y) => x[0] - y[0]).map(([, i]) => i);
    expect(await order()).toEqual(byScore);
    expect(await page.evaluate(`document.querySelectorAll('table.scenes thead th')[${scoreCol}].getAttribute('aria-sort')`)).toBe('ascending');
    await page.press(' ');
    expect(await order()).toEqual([...byScore].reverse());
    await page.close();
  });

  it('quality: per-frame VMAF with each scene p5, per-scene scores, SI/TI from the analysis', async () => {
    const q = results.quality as { scenes: unknown[]; frames: unknown[] };
    expect(detectReportKind(q)).toBe('quality');
    const { page, chart } = await openReport('quality', q, q.scenes.length, { analysis: results.analyze });
    expect(chart('frame-vmaf')?.drawn).toBeGreaterThanOrEqual(1 + 7);
    expect(await page.evaluate('document.querySelectorAll("#frame-vmaf line.seg").length')).toBe(7);
    expect(chart('scene-vmaf')?.drawn).toBe(7);
    expect(chart('frame-si')).toBeDefined();
    await page.close();
  });

  it('plan: the plan file (CRF bars) and planEncode result (predicted VMAF and bitrate, budget line)', async () => {
    const p = results.plan as { scenes: unknown[] };
    expect(detectReportKind(p)).toBe('plan');
    const { page, chart } = await openReport('plan', p, p.scenes.length);
    expect(chart('crf')?.drawn).toBe(p.scenes.length);
    await page.close();

    const budget = await planEncode(DEMO, { encoder: 'vp9', bitrateKbps: 300 }, { analysis: results.analyze as never });
    expect(detectReportKind(budget)).toBe('plan');
    const r = await openReport('plan-budget', budget, budget.scenes.length);
    expect(r.chart('scene-vmaf')?.drawn).toBe(budget.scenes.length);
    expect(r.chart('bitrate')?.drawn).toBe(budget.scenes.length);
    expect(r.chart('frame-si')).toBeDefined();
    expect(r.html).toContain('budget 300 kbit/s');
    await r.page.close();
  });

  it('optimize: hits and misses, CRF moves of the re-encode round, time per phase', async () => {
    const o = results.optimize as { validation: { scenes: Array<{ verdict: string }>; rounds: number }; plan: { scenes: Array<{ crf: number }> }; planned: { plan: { scenes: Array<{ crf: number }> } } };
    expect(detectReportKind(o)).toBe('optimize');
    const { page, chart } = await openReport('optimize', o, 7);
    for (const id of ['crf', 'scene-vmaf', 'bitrate']) expect(chart(id)?.drawn, id).toBeGreaterThanOrEqual(7);
    const verdicts = await page.evaluate<string[]>(`[...document.querySelectorAll('#table tbody tr')].map((r) => r.className)`);
    expect(verdicts).toEqual(o.validation.scenes.map((s) => `v-${s.verdict}`));
    const moved = o.plan.scenes.filter((s, i) => s.crf !== o.planned.plan.scenes[i].crf).length;
    expect(await page.evaluate('document.querySelectorAll("#rounds tbody tr").length')).toBe(moved);
    expect(await page.evaluate('document.querySelectorAll("#time svg rect").length')).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('the command line writes the page: scenecrf report <result.json> -o, and --report on a command', async () => {
    const scenes = (results.optimize as { planned: { scenes: unknown[] } }).planned.scenes.length;
    const viaReport = path.join(tmp, 'cli-report.html');
    expect(await runReport([path.join(tmp, 'optimize.json'), '-o', viaReport])).toBe(0);
    const viaFlag = path.join(tmp, 'cli-flag.html');
    expect(await runAnalyze([DEMO, '--report', viaFlag, '--quiet'])).toBe(0);
    for (const [file, expected] of [
      [viaReport, scenes],
      [viaFlag, 7],
    ] as const) {
      const page = await browser!.open(file);
      const counts = await page.evaluate<{ bands: number; rows: number; thumbs: number }>(
        `({ bands: document.querySelectorAll('#timeline .band').length, rows: document.querySelectorAll('#table tbody tr').length, thumbs: document.querySelectorAll('.film img').length })`,
      );
      expect(page.report.consoleErrors).toEqual([]);
      expect(page.report.requests.filter((u) => u !== pathToFileURL(file).href && !u.startsWith('data:'))).toEqual([]);
      expect(counts).toEqual({ bands: expected, rows: expected, thumbs: expected });
      await page.close();
    }
    // Not a result: a typed error before anything is written.
    const bad = path.join(tmp, 'not-a-result.json');
    await writeFile(bad, '{"hello": 1}');
    await expect(runReport([bad, '-o', path.join(tmp, 'bad.html')])).rejects.toThrow(InvalidOptionsError);
    await expect(readFile(path.join(tmp, 'bad.html'))).rejects.toThrow(/ENOENT/);
  });
});

/** A synthetic analysis result of `n` scenes of 30 frames (no ffmpeg needed). */
function syntheticAnalysis(n: number, withFrames = false) {
  const frames = n * 30;
  return {
    video: { path: 'synthetic.mkv', container: 'matroska,webm', codec: 'h264', width: 1920, height: 1080, pixFmt: 'yuv420p', bitDepth: 8, frameRate: { num: 24, den: 1 }, fps: 24, frameCount: frames, durationSeconds: frames / 24 },
    backend: { source: 'path', kind: 'native', path: '/usr/bin/ffmpeg', version: 'ffmpeg version 5' },
    analysis: { width: 256, height: 144, bitDepth: 8, framesAnalyzed: frames, elapsedSeconds: 1, fps: frames },
    scenes: Array.from({ length: n }, (_, i) => ({
      index: i,
      startFrame: i * 30,
      endFrame: i * 30 + 30,
      startKind: i === 0 ? 'start' : ['cut', 'fade', 'dissolve', 'split'][i % 4],
      // A score order unlike the index order: sorting has to move rows between chunks.
      complexity: { score: ((i * 7919) % n) / n, si: { mean: i }, ti: { mean: 1 }, motion: { mean: 1 } },
    })),
    shotBoundaries: [],
    warnings: [],
    ...(withFrames ? { frames: Array.from({ length: frames }, (_, f) => ({ index: f, si: 50 + 40 * Math.sin(f / 50), ti: 5 + (f % 30 === 0 ? 60 : 0), motion: 2 })) } : {}),
  };
}

describe.skipIf(!chromium)('HTML report of many scenes in headless chromium', () => {
  it('keeps every row across the table chunks, sorts across them, and downsamples long series', async () => {
    const b = browser ?? (await Browser.launch(chromium));
    try {
      const a = syntheticAnalysis(450, true);
      const html = renderReport(a, { maxPoints: 200 });
      const file = path.join(tmp, 'many.html');
      await writeFile(file, html);
      const page = await b.open(file);
      expect(page.report.consoleErrors).toEqual([]);
      expect(await page.evaluate('document.querySelectorAll("#table table").length')).toBe(3);
      expect(await page.evaluate('document.querySelectorAll("#timeline .band").length')).toBe(450);
      const order = () => page.evaluate<number[]>(`[...document.querySelectorAll('#table tbody tr')].map((r) => +r.dataset.scene)`);
      expect(await order()).toEqual(a.scenes.map((_, i) => i));
      // The score header of the last chunk's table sorts the whole table, and marks every chunk's header.
      await page.evaluate(`(() => { const ths = [...document.querySelectorAll('#table table')].at(-1).tHead.rows[0].cells; [...ths].find((th) => th.textContent.trim() === 'score').querySelector('button').focus(); })()`);
      await page.press('Enter');
      const byScore = a.scenes.map((s, i) => [s.complexity.score, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]).map(([, i]) => i);
      expect(await order()).toEqual(byScore);
      expect(await page.evaluate(`[...document.querySelectorAll('#table th[aria-sort]')].map((th) => th.textContent.trim() + ':' + th.getAttribute('aria-sort'))`)).toEqual(['score:ascending', 'score:ascending', 'score:ascending']);
      // 13,500 frames drawn as 200 buckets: envelope + mean, with the per-bucket note in the description.
      const si = await page.evaluate<{ points: number; desc: string }>(`({ points: document.querySelector('#frame-si path.ln').getAttribute('d').split('L').length, desc: document.querySelector('#frame-si desc').textContent })`);
      expect(si.points).toBe(200);
      expect(si.desc).toMatch(/mean per 67\.5-frame bucket with its min–max envelope/);
      await page.close();
    } finally {
      if (b !== browser) await b.close();
    }
  });
});

describe.skipIf(!hasNativeFfmpeg)('renderReport', () => {
  it('its inputs, the JSON of four real runs (with probes, proxy curves, VMAF features), validate against their published schemas', () => {
    const validator = new OutputValidator(SCHEMAS_DIR);
    const kinds = { analyze: 'analysis', plan: 'plan', optimize: 'optimize', quality: 'quality' } as const;
    for (const k of ['analyze', 'plan', 'optimize', 'quality'] as const) expect(validator.problems(kinds[k], results[k]), k).toEqual([]);
  });

  it('is deterministic: the same result gives the same bytes, a copy of it too', () => {
    for (const k of ['analyze', 'plan', 'optimize', 'quality'] as const) {
      const opts = { date: '2026-12-08', thumbnails: k === 'analyze' ? thumbs.thumbnails : undefined, analysis: k === 'quality' ? results.analyze : undefined };
      const a = renderReport(results[k], opts);
      const b = renderReport(JSON.parse(JSON.stringify(results[k])), opts);
      expect(b).toBe(a);
      expect(a.length).toBeGreaterThan(10_000);
      expect(a).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it('keeps thumbnails within a byte budget, the first scenes first, and says where they stop', async () => {
    const a = results.analyze as { scenes: Array<{ startFrame: number; endFrame: number }> };
    const full = thumbs.thumbnails.map((t) => t!.length);
    const budget = full[0] + full[1] + full[2] + 1;
    const t = await sceneThumbnails(DEMO, a.scenes, { fps: 24, maxTotalBytes: budget });
    expect(t.thumbnails.map((x) => x !== undefined)).toEqual([true, true, true, false, false, false, false]);
    expect(t.note).toMatch(/Thumbnails stop at scene 3 of 7/);
    expect(thumbnailDefaults(7).width).toBe(160);
    expect(thumbnailDefaults(2000)).toEqual({ width: 80, quality: 8 });
  });

  it('says the source is gone instead of failing, when it is', async () => {
    const t = await sceneThumbnails(path.join(tmp, 'gone.mp4'), [{ startFrame: 0, endFrame: 10 }]);
    expect(t.thumbnails).toEqual([undefined]);
    expect(t.note).toMatch(/not there any more/);
    const html = renderReport(results.analyze, { thumbnails: t.thumbnails, thumbnailNote: t.note });
    expect(html).toContain('not there any more');
    expect(html).not.toContain('<img');
  });
});

describe('renderReport on bad input', () => {
  const analysisLike = {
    video: { path: 'x.mp4', container: 'mov', codec: 'h264', width: 64, height: 36, pixFmt: 'yuv420p', bitDepth: 8, frameRate: { num: 24, den: 1 }, fps: 24, frameCount: 48, durationSeconds: 2 },
    backend: { source: 'path', kind: 'native', path: '/usr/bin/ffmpeg', version: 'ffmpeg version 5' },
    analysis: { width: 64, height: 36, bitDepth: 8, framesAnalyzed: 48, elapsedSeconds: 1, fps: 48 },
    scenes: [{ index: 0, startFrame: 0, endFrame: 48, startKind: 'start', complexity: { score: 0.5, si: { mean: 1 }, ti: { mean: 1 }, motion: { mean: 1 } } }],
    shotBoundaries: [],
    warnings: [],
  };

  it('renders a minimal valid result (no ffmpeg needed)', () => {
    const html = renderReport(analysisLike);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('class="band"');
  });

  it('refuses what is not a result, with a typed error naming the problem', async () => {
    const refuse = (v: unknown, message: RegExp) => {
      let err: unknown;
      try {
        renderReport(v);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).code).toBe('INVALID_OPTIONS');
      expect((err as Error).message).toMatch(message);
    };
    refuse(null, /expected a JSON object, got null/);
    refuse([1, 2], /got an array/);
    refuse({ hello: 1 }, /not a scenecrf analyze, quality, plan or optimize result \(top-level keys: hello\)/);
    refuse({ ...analysisLike, scenes: [{ ...analysisLike.scenes[0], complexity: undefined }] }, /analyze result.*scenes\.0\.complexity: Required/);
    refuse({ ...analysisLike, scenes: [] }, /scenes: Array must contain at least 1/);
    refuse({ format: 'scenecrf-plan', version: 1, input: { path: 'x' }, encoder: 'vp9', preset: 4, scenes: [] }, /plan.*input\.width: Required/);
    refuse({ reference: 'a', distorted: 'b', pooled: {}, metric: 'vmaf' }, /quality report/);
    expect(() => renderReport(analysisLike, { thumbnails: ['https://example.com/x.jpg'] })).toThrow(/not a base64 data:image/);
    expect(() => renderReport(analysisLike, { analysis: { video: 1 } })).toThrow(InvalidOptionsError);
    expect(() => renderReport(analysisLike, { maxPoints: 2 })).toThrow(/maxPoints/);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-report-bad-'));
    try {
      await writeFile(path.join(dir, 'bad.json'), '{"video": ');
      await expect(readReportInput(path.join(dir, 'bad.json'))).rejects.toThrow(/is not JSON/);
      await expect(readReportInput(path.join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('escapes text from the result', () => {
    const html = renderReport({ ...analysisLike, video: { ...analysisLike.video, path: '<script>alert(1)</script>.mp4' } });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.mp4');
  });
});
