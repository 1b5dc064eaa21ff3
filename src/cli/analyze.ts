import { analyzeVideo, type AnalysisResult, type AnalyzeOptions } from '../analysis/analyze.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertWritableTarget, intOption, parseCommand, writeFailure } from './options.js';
import { formatTable, progressBar } from './progress.js';
import { cliSignal } from './signal.js';

const HELP = `Usage: scenecrf analyze <input> [options]

Finds the shots of <input> and prints each scene's complexity.

Options:
  --json <file>              write the full result as JSON ("-" for stdout)
  --frames                   include per-frame features in the JSON
  --min-scene-length <n>     merge scenes shorter than n frames (default 24)
  --max-scene-length <n>     split scenes longer than n frames at their quietest frame
  --analysis-width <px>      analysis resolution width (default 256)
  --backend <auto|native|wasm>  ffmpeg backend (default auto)
  --ffmpeg <path>            ffmpeg executable to use
  --quiet                    no progress bar or table
  -h, --help                 this help

A file name that starts with "-" goes after "--": scenecrf analyze -- -clip.mp4`;

export async function runAnalyze(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      json: { type: 'string' },
      frames: { type: 'boolean', default: false },
      'min-scene-length': { type: 'string' },
      'max-scene-length': { type: 'string' },
      'analysis-width': { type: 'string' },
      backend: { type: 'string' },
      ffmpeg: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`scenecrf analyze: expected one input file, got ${positionals.length}\n\n${HELP}\n`);
    return 2;
  }
  const input = positionals[0]!;
  const options: AnalyzeOptions = {
    ffmpegPath: values.ffmpeg,
    backend: values.backend as AnalyzeOptions['backend'],
    analysisWidth: intOption('analysis-width', values['analysis-width']),
    minSceneLength: intOption('min-scene-length', values['min-scene-length']),
    maxSceneLength: intOption('max-scene-length', values['max-scene-length']),
    keepFrameFeatures: values.frames,
  };
  const jsonToStdout = values.json === '-';
  if (values.json !== undefined && !jsonToStdout) await assertWritableTarget('--json', values.json);
  const bar = progressBar(process.stderr, !values.quiet);
  let result: AnalysisResult;
  try {
    result = await analyzeVideo(input, options, {
      signal: cliSignal,
      onProgress: (p) => bar.update(p.frame, p.totalFrames, p.fps, p.etaSeconds, p.stage),
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
  return 0;
}

export function summarize(r: AnalysisResult): string {
  const v = r.video;
  const head = [
    `${v.path}: ${v.width}x${v.height} ${v.pixFmt} (${v.bitDepth}-bit) ${v.codec}, ${v.fps.toFixed(3)} fps${v.variableFrameRate ? ' (variable frame rate)' : ''}, ${v.frameCount} frames, ${v.durationSeconds.toFixed(2)} s`,
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
