/**
 * The screenshot in docs/report.md: an optimize run on fixtures/demo.mp4 (VP9, VMAF target 93, one
 * re-encode round), its report with thumbnails and per-frame features, opened in headless chromium.
 *
 *   npx tsx bench/report-screenshot.ts [--out docs/report-demo.png] [--html /tmp/demo-report.html] [--height 1500]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeVideo } from '../src/analysis/analyze.js';
import { optimizeEncode } from '../src/optimize/optimize.js';
import { renderReport, reportSource, sceneThumbnails } from '../src/report/index.js';
import { Browser } from '../test/report-browser.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/report-demo.png' }, html: { type: 'string' }, height: { type: 'string', default: '1500' } } });
const DEMO = path.resolve(__dirname, '..', 'fixtures', 'demo.mp4');

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scenecrf-report-shot-'));
  try {
    const analysis = await analyzeVideo(DEMO, { keepFrameFeatures: true });
    const result = await optimizeEncode(DEMO, { encoder: 'vp9', targetVmaf: 93, maxRounds: 1, output: path.join(dir, 'demo.webm') }, { analysis });
    const src = reportSource(result);
    const thumbs = await sceneThumbnails(src.path, src.scenes, { fps: src.fps });
    const html = renderReport(result, {
      thumbnails: thumbs.thumbnails,
      thumbnailNote: thumbs.note,
      commandLine: 'scenecrf optimize fixtures/demo.mp4 -o demo.webm --encoder vp9 --target-vmaf 93 --rounds 1 --report report.html',
      date: new Date().toISOString().slice(0, 10),
    });
    const file = values.html ?? path.join(dir, 'report.html');
    writeFileSync(file, html);
    const browser = await Browser.launch();
    try {
      const page = await browser.open(file, { width: 1280, height: Number(values.height) });
      if (page.report.consoleErrors.length) throw new Error(`console errors: ${page.report.consoleErrors.join('; ')}`);
      await page.evaluate(`Promise.all([...document.images].map((i) => i.decode().catch(() => {})))`);
      writeFileSync(values.out!, await page.screenshot());
    } finally {
      await browser.close();
    }
    console.log(`${values.out}: ${statSync(values.out!).size} bytes (report ${html.length} bytes)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
