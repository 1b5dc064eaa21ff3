/**
 * Shot-detection accuracy against ground truth, with anchors in the same run: ffmpeg's scdet and,
 * with --pyscenedetect, PySceneDetect's AdaptiveDetector (defaults).
 *
 *   ../shared/corpus/build.sh /tmp/corpus
 *   npm run bench:detect -- /tmp/corpus [--json out.json] [--detector '{"cutRatio":2.5}'] [--analysis-width 320]
 *   npm run bench:detect -- /work/stress-corpus --subset heldout --pyscenedetect /work/anchors/pyscenedetect
 *
 * Scores scenecrf's raw shot boundaries (the detector's output) and, for transparency, the scene
 * starts after the default 24-frame minimum scene length, which merges genuinely short shots.
 *
 * --subset <name> scores <corpus-dir>/<name> (the stress corpus's tune/ and heldout/ folders of
 * symlinks) or, when there is no such folder, the videos whose ground truth has "split": <name>.
 *
 * --pyscenedetect <checkout> runs bench/pyscenedetect_anchor.py with --python (default
 * /usr/bin/python3, which sees Debian's python3-opencv) on every video; <checkout> is a source
 * checkout of PySceneDetect kept outside the project (the folder holding the `scenedetect` package).
 * Its cuts are the first frames of its scenes after the first, the ground truth's convention.
 *
 * "must-not-cut hit" is the number of must-not-cut events (flashes, pans, flicker bursts, repeat
 * cadence stretches, ...) with at least one detection inside them.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { analyzeVideo } from '../src/index.js';
import { fmt, machineLine } from './lib.js';
import { eventsWithBoundary, scoreBoundaries, totalScore, type GroundTruth, type Score } from './score.js';

const run = promisify(execFile);
const anchorScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pyscenedetect_anchor.py');

async function scdetCuts(file: string, fps: number, threshold: number): Promise<number[]> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', file, '-map', '0:v:0', '-vf', `scdet=threshold=${threshold}`, '-f', 'null', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...stderr.matchAll(/lavfi\.scd\.time:\s*([\d.]+)/g)].map((m) => Math.round(Number(m[1]) * fps));
}

interface PySceneDetectRun {
  version: string;
  opencv: string;
  python: string;
  cuts: number[];
  seconds: number;
}

async function pySceneDetectCuts(python: string, checkout: string, file: string): Promise<PySceneDetectRun> {
  const { stdout } = await run(python, [anchorScript, checkout, file], { maxBuffer: 64 * 1024 * 1024 });
  const line = stdout.trim().split('\n').pop();
  if (!line) throw new Error(`no output from ${anchorScript} on ${file}`);
  return JSON.parse(line) as PySceneDetectRun;
}

interface Detector {
  score: Score;
  events: { events: number; hit: number; hitKinds: string[] };
  sec: number;
}

function judge(detected: number[], gt: GroundTruth, sec: number): Detector {
  return { score: scoreBoundaries(detected, gt), events: eventsWithBoundary(detected, gt), sec };
}

async function main() {
  const args = process.argv.slice(2);
  const valueOf = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const root = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!root) throw new Error('usage: npm run bench:detect -- <corpus-dir> [--subset tune|heldout] [--pyscenedetect <checkout>] [--json out.json]');
  const jsonOut = valueOf('--json');
  // Detector thresholds to try, as JSON (see detectorOptionsSchema), e.g. --detector '{"cutRatio":2.5}'.
  const detector = args.includes('--detector') ? (JSON.parse(valueOf('--detector')!) as Record<string, unknown>) : {};
  const analysisWidth = args.includes('--analysis-width') ? Number(valueOf('--analysis-width')) : undefined;
  const subset = valueOf('--subset');
  const pysd = valueOf('--pyscenedetect') ? path.resolve(valueOf('--pyscenedetect')!) : undefined;
  const python = valueOf('--python') ?? '/usr/bin/python3';
  if (pysd && !existsSync(path.join(pysd, 'scenedetect', '__init__.py'))) throw new Error(`${pysd}/scenedetect/__init__.py not found: pass the PySceneDetect checkout`);

  const subDir = subset ? path.join(root, subset) : undefined;
  const dir = subDir && existsSync(subDir) && statSync(subDir).isDirectory() ? subDir : root;
  // readdirSync lists symlinks by name; analyzeVideo, ffmpeg and OpenCV all open them through the link.
  const names = readdirSync(dir);
  const videos = names
    .filter((f) => f.endsWith('.mp4') && names.includes(f.replace(/\.mp4$/, '.json')))
    .filter((f) => dir !== root || !subset || (JSON.parse(readFileSync(path.join(dir, f.replace(/\.mp4$/, '.json')), 'utf8')) as { split?: string }).split === subset)
    .sort();
  if (!videos.length) throw new Error(`no <id>.mp4 + <id>.json pairs in ${dir}${subset && dir === root ? ` with split "${subset}"` : ''}`);
  console.log(`machine: ${machineLine()}`);
  console.log(`corpus: ${dir}${subset && dir === root ? ` (split "${subset}")` : ''}`);

  type Row = { id: string; frames: number; ours: Detector; scenes: Detector; scdet: Detector; pysd?: Detector };
  const rows: Row[] = [];
  let pysdInfo: Omit<PySceneDetectRun, 'cuts' | 'seconds'> | undefined;
  for (const v of videos) {
    const file = path.join(dir, v);
    const gt = JSON.parse(readFileSync(file.replace(/\.mp4$/, '.json'), 'utf8')) as GroundTruth;
    let t = performance.now();
    const r = await analyzeVideo(file, { backend: 'native', detector, analysisWidth });
    const oursSec = (performance.now() - t) / 1000;
    t = performance.now();
    const sc = await scdetCuts(file, gt.fps, 10);
    const scdetSec = (performance.now() - t) / 1000;
    const row: Row = {
      id: v,
      frames: gt.frame_count,
      ours: judge(r.shotBoundaries.map((b) => b.frame), gt, oursSec),
      scenes: judge(r.scenes.slice(1).map((s) => s.startFrame), gt, 0),
      scdet: judge(sc, gt, scdetSec),
    };
    if (pysd) {
      const p = await pySceneDetectCuts(python, pysd, file);
      pysdInfo = { version: p.version, opencv: p.opencv, python: p.python };
      row.pysd = judge(p.cuts, gt, p.seconds);
    }
    rows.push(row);
    const ev = (d: Detector) => (d.events.events ? ` mnc ${d.events.hit}/${d.events.events}` : '');
    const ours = row.ours.score;
    console.log(
      `${v.padEnd(34)} scenecrf F1 ${fmt(ours.f1)}${ev(row.ours)} (${fmt(gt.frame_count / oursSec, 0)} fps)  scenes F1 ${fmt(row.scenes.score.f1)}${ev(row.scenes)}` +
        `  scdet F1 ${fmt(row.scdet.score.f1)}${ev(row.scdet)} (${fmt(gt.frame_count / scdetSec, 0)} fps)` +
        (row.pysd ? `  PySceneDetect F1 ${fmt(row.pysd.score.f1)}${ev(row.pysd)} (${fmt(gt.frame_count / row.pysd.sec, 0)} fps)` : '') +
        (ours.falseDetections.length ? `  FP ${JSON.stringify(ours.falseDetections)}` : '') +
        (ours.missed.length ? `  missed ${JSON.stringify(ours.missed)}` : ''),
    );
  }
  const frames = rows.reduce((s, r) => s + r.frames, 0);
  const events = rows.reduce((s, r) => s + r.ours.events.events, 0);
  const line = (name: string, ds: Detector[], withSpeed: boolean) => {
    const t = totalScore(ds.map((d) => d.score));
    const hit = ds.reduce((s, d) => s + d.events.hit, 0);
    const sec = ds.reduce((s, d) => s + d.sec, 0);
    const mnc = events ? `${hit}/${events} (${fmt((100 * hit) / events, 1)}%)` : '—';
    return `| ${name} | ${fmt(t.precision)} | ${fmt(t.recall)} | **${fmt(t.f1)}** | ${t.truePositives} | ${t.falsePositives} | ${t.misses} | ${mnc} | ${withSpeed && sec ? fmt(frames / sec, 0) : '—'} |`;
  };
  const table = [
    '| detector | precision | recall | F1 | TP | FP | missed | must-not-cut hit | frames/s |',
    '|---|---|---|---|---|---|---|---|---|',
    line('scenecrf shot boundaries', rows.map((r) => r.ours), true),
    line('scenecrf scenes (minSceneLength 24)', rows.map((r) => r.scenes), false),
    line('ffmpeg scdet (threshold 10)', rows.map((r) => r.scdet), true),
    ...(pysdInfo ? [line(`PySceneDetect ${pysdInfo.version} AdaptiveDetector (defaults)`, rows.map((r) => r.pysd!), true)] : []),
  ].join('\n');
  const detectors: [string, (r: Row) => Detector | undefined][] = [
    ['scenecrf boundaries', (r) => r.ours],
    ['scenecrf scenes', (r) => r.scenes],
    ['scdet', (r) => r.scdet],
    ['PySceneDetect', (r) => r.pysd],
  ];
  const perVideo = [
    '| video | detector | precision | recall | F1 | TP | FP | missed | must-not-cut hit |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.flatMap((r) =>
      detectors.flatMap(([name, get]) => {
        const d = get(r);
        if (!d) return [];
        const s = d.score;
        const mnc = d.events.events ? `${d.events.hit}/${d.events.events}` : '—';
        return [`| ${r.id.replace(/\.mp4$/, '')} | ${name} | ${fmt(s.precision)} | ${fmt(s.recall)} | ${fmt(s.f1)} | ${s.truePositives} | ${s.falsePositives} | ${s.misses} | ${mnc} |`];
      }),
    ),
  ].join('\n');
  console.log(`\nPer video:\n${perVideo}`);
  const targets = rows.reduce((s, r) => s + r.ours.score.truePositives + r.ours.score.misses, 0);
  console.log(`\n${videos.length} videos, ${frames} frames, ${targets} true boundaries, ${events} must-not-cut events`);
  if (pysdInfo) console.log(`PySceneDetect ${pysdInfo.version} from ${pysd} (Python ${pysdInfo.python}, OpenCV ${pysdInfo.opencv}); its frames/s is detect() alone`);
  console.log(table);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ machine: machineLine(), corpus: dir, subset, pyscenedetect: pysdInfo && { ...pysdInfo, checkout: pysd }, rows }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
