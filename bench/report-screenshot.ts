/**
 * The screenshot in docs/report.md: an optimize run on fixtures/demo.mp4 (VP9, VMAF target 93, one
 * re-encode round), its report with thumbnails and per-frame features, opened in headless chromium.
 *
 *   npx tsx bench/report-screenshot.ts [--out docs/report-demo.png] [--html /tmp/demo-report.html] [--width 1120] [--height 1480]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeVideo } from '../src/analysis/analyze.js';
import { resolveFfmpeg } from '../src/media/resolve.js';
import { optimizeEncode } from '../src/optimize/optimize.js';
import { renderReport } from '../src/report/render.js';
import { reportSource, sceneThumbnails } from '../src/report/thumbnails.js';
import { Browser } from '../test/report-browser.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/report-demo.png' }, html: { type: 'string' }, height: { type: 'string', default: '1480' }, width: { type: 'string', default: '1120' } } });
const DEMO = fileURLToPath(new URL('../fixtures/demo.mp4', import.meta.url));

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
      const page = await browser.open(file, { width: Number(values.width), height: Number(values.height) });
      if (page.report.consoleErrors.length) throw new Error(`console errors: ${page.report.consoleErrors.join('; ')}`);
      // Lazy images below the fold never load in a screenshot of the top: wait for the filmstrip's only.
      await page.evaluate(`Promise.all([...document.querySelectorAll('.film img')].map((i) => i.decode().catch(() => {})))`);
      const raw = path.join(dir, 'raw.png');
      writeFileSync(raw, await page.screenshot());
      // A 256-colour palette keeps the PNG small for the docs (about a quarter of the size), with no visible loss on a chart page.
      const ffmpeg = (await resolveFfmpeg({ backend: 'native' })).path;
      execFileSync(ffmpeg, ['-v', 'error', '-y', '-i', raw, '-vf', 'split[a][b];[a]palettegen=max_colors=256:stats_mode=full[p];[b][p]paletteuse=dither=bayer:bayer_scale=4', '-pix_fmt', 'pal8', values.out!]);
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
