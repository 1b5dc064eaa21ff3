/**
 * Shot-detection accuracy on the scene-cut corpus, against ffmpeg's scdet in the same run.
 *
 *   ../shared/corpus/build.sh /tmp/corpus
 *   npm run bench:detect -- /tmp/corpus [--json out.json] [--detector '{"cutRatio":2.5}'] [--analysis-width 320]
 *
 * Scores scenecrf's raw shot boundaries (the detector's output) and, for transparency, the scene
 * starts after the default 24-frame minimum scene length, which merges genuinely short shots.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { analyzeVideo } from '../src/index.js';
import { fmt, machineLine } from './lib.js';
import { scoreBoundaries, totalScore, type GroundTruth, type Score } from './score.js';

const run = promisify(execFile);

async function scdetCuts(file: string, fps: number, threshold: number): Promise<number[]> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', file, '-map', '0:v:0', '-vf', `scdet=threshold=${threshold}`, '-f', 'null', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...stderr.matchAll(/lavfi\.scd\.time:\s*([\d.]+)/g)].map((m) => Math.round(Number(m[1]) * fps));
}

async function main() {
  const args = process.argv.slice(2);
  const dir = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!dir) throw new Error('usage: npm run bench:detect -- <corpus-dir> [--json out.json]');
  const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
  // Detector thresholds to try, as JSON (see detectorOptionsSchema), e.g. --detector '{"cutRatio":2.5}'.
  const detector = args.includes('--detector') ? (JSON.parse(args[args.indexOf('--detector') + 1]!) as Record<string, unknown>) : {};
  const analysisWidth = args.includes('--analysis-width') ? Number(args[args.indexOf('--analysis-width') + 1]) : undefined;
  const videos = readdirSync(dir)
    .filter((f) => f.endsWith('.mp4') && readdirSync(dir).includes(f.replace(/\.mp4$/, '.json')))
    .sort();
  if (!videos.length) throw new Error(`no <id>.mp4 + <id>.json pairs in ${dir}`);
  console.log(`machine: ${machineLine()}`);
  const rows: { id: string; frames: number; ours: Score; scenes: Score; scdet: Score; oursSec: number; scdetSec: number }[] = [];
  for (const v of videos) {
    const file = path.join(dir, v);
    const gt = JSON.parse(readFileSync(file.replace(/\.mp4$/, '.json'), 'utf8')) as GroundTruth;
    let t = performance.now();
    const r = await analyzeVideo(file, { backend: 'native', detector, analysisWidth });
    const oursSec = (performance.now() - t) / 1000;
    t = performance.now();
    const sc = await scdetCuts(file, gt.fps, 10);
    const scdetSec = (performance.now() - t) / 1000;
    const ours = scoreBoundaries(r.shotBoundaries.map((b) => b.frame), gt);
    const scenes = scoreBoundaries(r.scenes.slice(1).map((s) => s.startFrame), gt);
    const scdet = scoreBoundaries(sc, gt);
    rows.push({ id: v, frames: gt.frame_count, ours, scenes, scdet, oursSec, scdetSec });
    console.log(
      `${v.padEnd(34)} scenecrf F1 ${fmt(ours.f1)} (${fmt(gt.frame_count / oursSec, 0)} fps)  scdet F1 ${fmt(scdet.f1)} (${fmt(gt.frame_count / scdetSec, 0)} fps)` +
        (ours.falseDetections.length ? `  FP ${JSON.stringify(ours.falseDetections)}` : '') +
        (ours.missed.length ? `  missed ${JSON.stringify(ours.missed)}` : ''),
    );
  }
  const frames = rows.reduce((s, r) => s + r.frames, 0);
  const line = (name: string, scores: Score[], sec: number) => {
    const t = totalScore(scores);
    return `| ${name} | ${fmt(t.precision)} | ${fmt(t.recall)} | **${fmt(t.f1)}** | ${t.truePositives} | ${t.falsePositives} | ${t.misses} | ${sec ? fmt(frames / sec, 0) : '—'} |`;
  };
  const oursSec = rows.reduce((s, r) => s + r.oursSec, 0);
  const scdetSec = rows.reduce((s, r) => s + r.scdetSec, 0);
  const table = [
    '| detector | precision | recall | F1 | TP | FP | missed | frames/s |',
    '|---|---|---|---|---|---|---|---|',
    line('scenecrf shot boundaries', rows.map((r) => r.ours), oursSec),
    line('scenecrf scenes (minSceneLength 24)', rows.map((r) => r.scenes), 0),
    line('ffmpeg scdet (threshold 10)', rows.map((r) => r.scdet), scdetSec),
  ].join('\n');
  console.log(`\n${videos.length} videos, ${frames} frames\n${table}`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ machine: machineLine(), rows }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
