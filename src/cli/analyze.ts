import { analyzeOptionsSchema, analyzeVideo, type AnalysisResult, type AnalyzeOptions } from '../analysis/analyze.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertWritableTarget, defineCommand, optionGroup, parseCommand, renderHelp, resolveOptions, writeFailure } from './options.js';
import { formatTable, progressBar } from './progress.js';
import { REPORT_OPTION, writeRequestedReport } from './report.js';
import { cliSignal } from './signal.js';
import { showCommands, VERBOSE_OPTION } from './verbose.js';

export const ANALYZE = defineCommand({
  name: 'analyze',
  head: `Usage: scenecrf analyze <input> [options]

Finds the shots of <input> and prints each scene's complexity.`,
  tail: 'A file name that starts with "-" goes after "--": scenecrf analyze -- -clip.mp4',
  column: 29,
  groups: [
    optionGroup<AnalyzeOptions>()(
      [
        { flag: 'json', placeholder: '<file>', kind: 'string', help: 'write the full result as JSON ("-" for stdout)' },
        { flag: 'frames', kind: 'boolean', key: 'keepFrameFeatures', help: 'include per-frame features in the JSON' },
        { flag: 'min-scene-length', placeholder: '<n>', kind: 'int', key: 'minSceneLength', default: 24, help: 'merge scenes shorter than n frames' },
        { flag: 'max-scene-length', placeholder: '<n>', kind: 'int', key: 'maxSceneLength', help: 'split scenes longer than n frames at their quietest frame' },
        { flag: 'analysis-width', placeholder: '<px>', kind: 'int', key: 'analysisWidth', default: 256, help: 'analysis resolution width' },
        { flag: 'backend', placeholder: '<auto|native|wasm>', kind: 'string', key: 'backend', default: 'auto', help: 'ffmpeg backend' },
        { flag: 'ffmpeg', placeholder: '<path>', kind: 'string', key: 'ffmpegPath', help: 'ffmpeg executable to use' },
        { flag: 'quiet', kind: 'boolean', help: 'no progress bar or table' },
        VERBOSE_OPTION,
        REPORT_OPTION,
      ],
      analyzeOptionsSchema,
    ),
  ],
});

export async function runAnalyze(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, ANALYZE);
  if (!parsed) return 0;
  const { positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`scenecrf analyze: expected one input file, got ${positionals.length}\n\n${renderHelp(ANALYZE)}\n`);
    return 2;
  }
  const input = positionals[0]!;
  const { values, options } = resolveOptions(ANALYZE, parsed);
  const jsonToStdout = values.json === '-';
  if (values.json !== undefined && !jsonToStdout) await assertWritableTarget('--json', values.json);
  if (values.report !== undefined) await assertWritableTarget('--report', values.report);
  const bar = progressBar(process.stderr, !values.quiet);
  showCommands(values.verbose, bar);
  let result: AnalysisResult;
  try {
    result = await analyzeVideo(input, options as AnalyzeOptions, {
      signal: cliSignal,
      onProgress: (p) => bar.update({ label: p.stage, done: p.frame, total: p.totalFrames, unit: 'frames', rate: p.fps, etaSeconds: p.etaSeconds }),
    });
  } finally {
    bar.done();
  }
  if (values.json !== undefined && !jsonToStdout) {
    try {
      await writeFileAtomic(values.json, `${JSON.stringify(result, null, 2)}\n`);
    } catch (e) {
      process.stderr.write(`scenecrf: cannot write the JSON result to ${JSON.stringify(values.json)}: ${writeFailure(values.json, e)}\n`);
      return 1;
    }
  }
  if (jsonToStdout) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!values.quiet && !jsonToStdout) process.stdout.write(`${summarize(result)}\n`);
  return writeRequestedReport(values.report, result);
}

export function summarize(r: AnalysisResult): string {
  const v = r.video;
  const head = [
    `${v.path}: ${v.width}x${v.height}${v.rotation !== undefined ? ` (as displayed: rotated ${v.rotation}°)` : ''}${v.sampleAspectRatio ? ` (SAR ${v.sampleAspectRatio.num}:${v.sampleAspectRatio.den})` : ''} ${v.pixFmt} (${v.bitDepth}-bit) ${v.codec}, ${v.fps.toFixed(3)} fps${v.variableFrameRate ? ' (variable frame rate)' : ''}, ${v.frameCount} frames, ${v.durationSeconds.toFixed(2)} s`,
    `ffmpeg: ${r.backend.kind} (${r.backend.source}) ${r.backend.path} — ${r.backend.version}`,
    `analysed at ${r.analysis.width}x${r.analysis.height}, ${r.analysis.fps.toFixed(0)} frames/s, ${r.scenes.length} scenes from ${r.shotBoundaries.length} shot boundaries`,
  ];
  const rows = r.scenes.map((s) => [
    String(s.index),
    `${s.startFrame}-${s.endFrame - 1}`,
    `${s.startTime.toFixed(2)}-${s.endTime.toFixed(2)}`,
    String(s.frameCount),
    s.startKind,
    s.complexity.si.mean.toFixed(1),
    s.complexity.ti.mean.toFixed(1),
    s.complexity.motion.mean.toFixed(2),
    s.complexity.noise.toFixed(2),
    s.complexity.score.toFixed(3),
  ]);
  const table = formatTable(['scene', 'frames', 'seconds', 'length', 'began', 'SI', 'TI', 'motion', 'noise', 'complexity'], rows);
  const warn = r.warnings.length ? `\nwarnings:\n  ${r.warnings.slice(-5).join('\n  ')}` : '';
  return `${head.join('\n')}\n\n${table}${warn}`;
}
