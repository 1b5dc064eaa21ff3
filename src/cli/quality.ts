import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { analyzeVideo, type AnalysisResult } from '../analysis/analyze.js';
import { InvalidOptionsError } from '../errors.js';
import { measureQuality, measureQualityOptionsSchema, type MeasureQualityOptions, type QualityProgress, type QualityReport } from '../quality/measure.js';
import type { PooledScore, SceneSpan } from '../quality/pooling.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertWritableTarget, defineCommand, optionGroup, parseCommand, renderHelp, resolveOptions, writeFailure } from './options.js';
import { formatTable, progressBar, type ProgressState } from './progress.js';
import { REPORT_OPTION, writeRequestedReport } from './report.js';
import { cliSignal } from './signal.js';
import { showCommands, VERBOSE_OPTION } from './verbose.js';

export const QUALITY = defineCommand({
  name: 'quality',
  head: `Usage: scenecrf quality <reference> <distorted> [options]

Scores <distorted> against <reference> per frame and prints pooled scores per scene and for
the whole clip. A distorted video of another size is scaled to the reference (bicubic).`,
  column: 29,
  groups: [
    optionGroup<MeasureQualityOptions>()(
      [
        { flag: 'metric', placeholder: '<vmaf|psnr|ssim|xpsnr>', kind: 'string', key: 'metric', default: 'vmaf', gap: 3, help: 'what to measure' },
        {
          flag: 'vmaf-backend',
          placeholder: '<auto|builtin|libvmaf>',
          kind: 'string',
          key: 'vmafBackend',
          help: "\nauto: libvmaf when this ffmpeg has it, else scenecrf's builtin VMAF",
        },
        {
          flag: 'model',
          placeholder: '<name|file>',
          kind: 'string',
          key: 'model',
          help: 'VMAF model: a libvmaf model JSON or scenecrf fusion model file\n(builtin), or a libvmaf version name (libvmaf backend)',
        },
        {
          flag: 'scenes',
          placeholder: '<file>',
          kind: 'string',
          help: 'pool per scene: a JSON array of {startFrame, endFrame} (end\nexclusive), or any JSON with a "scenes" array (analyze --json, plans)',
        },
        { flag: 'analyze', kind: 'boolean', help: "find the scenes of the reference with scenecrf's shot detection" },
        { flag: 'subsample', placeholder: '<n>', kind: 'int', key: 'subsample', help: 'score every n-th frame only' },
        { flag: 'threads', placeholder: '<n>', kind: 'int', key: 'threads', help: 'threads (default: all cores)' },
        { flag: 'json', placeholder: '<file>', kind: 'string', help: 'write the full report as JSON ("-" for stdout)' },
        { flag: 'ffmpeg', placeholder: '<path>', kind: 'string', key: 'ffmpegPath', help: 'ffmpeg executable to use' },
        { flag: 'quiet', kind: 'boolean', help: 'no progress bar or table' },
        VERBOSE_OPTION,
        REPORT_OPTION,
      ],
      measureQualityOptionsSchema,
    ),
  ],
});

const scenesFileSchema = z.union([
  z.array(z.object({ startFrame: z.number().int(), endFrame: z.number().int() }).passthrough()),
  z.object({ scenes: z.array(z.object({ startFrame: z.number().int(), endFrame: z.number().int() }).passthrough()) }).passthrough(),
]);

async function readScenes(file: string): Promise<SceneSpan[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new InvalidOptionsError('--scenes', `cannot read ${JSON.stringify(file)}: ${(e as Error).message}`);
  }
  const parsed = scenesFileSchema.safeParse(json);
  if (!parsed.success) throw new InvalidOptionsError('--scenes', `${JSON.stringify(file)} has no scene list ({startFrame, endFrame} objects)`);
  const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.scenes;
  return list.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame }));
}

export async function runQuality(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, QUALITY);
  if (!parsed) return 0;
  const { positionals } = parsed;
  if (positionals.length !== 2) {
    process.stderr.write(`scenecrf quality: expected a reference and a distorted file, got ${positionals.length} file(s)\n\n${renderHelp(QUALITY)}\n`);
    return 2;
  }
  const { values, options: given } = resolveOptions(QUALITY, parsed);
  const [reference, distorted] = positionals as [string, string];
  if (values.scenes && values.analyze) throw new InvalidOptionsError('arguments', '--scenes and --analyze are alternatives');
  const jsonToStdout = values.json === '-';
  if (values.json !== undefined && !jsonToStdout) await assertWritableTarget('--json', values.json);
  if (values.report !== undefined) await assertWritableTarget('--report', values.report);
  const bar = progressBar(process.stderr, !values.quiet);
  showCommands(values.verbose, bar);
  let scenes = values.scenes ? await readScenes(values.scenes) : undefined;
  let analysis: AnalysisResult | undefined;
  if (values.analyze) {
    try {
      analysis = await analyzeVideo(reference, { ffmpegPath: values.ffmpeg }, {
        signal: cliSignal,
        onProgress: (p) => bar.update({ label: 'scenes', done: p.frame, total: p.totalFrames, unit: 'frames', rate: p.fps, etaSeconds: p.etaSeconds }),
      });
      scenes = analysis.scenes.map((s) => ({ startFrame: s.startFrame, endFrame: s.endFrame }));
    } finally {
      bar.done();
    }
  }
  const options: MeasureQualityOptions = { ...(given as MeasureQualityOptions), scenes };
  let report: QualityReport;
  try {
    report = await measureQuality(reference, distorted, {
      ...options,
      signal: cliSignal,
      onProgress: (p) => bar.update(qualityProgress(options.metric ?? 'vmaf', p)),
    });
  } finally {
    bar.done();
  }
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (values.json !== undefined && !jsonToStdout) {
    try {
      await writeFileAtomic(values.json, text);
    } catch (e) {
      process.stderr.write(`scenecrf: cannot write the JSON report to ${JSON.stringify(values.json)}: ${writeFailure(values.json, e)}\n`);
      return 1;
    }
  }
  if (jsonToStdout) process.stdout.write(text);
  else if (!values.quiet) process.stdout.write(`${summarizeQuality(report)}\n`);
  return writeRequestedReport(values.report, report, { analysis });
}

/** A quality measurement's progress line; the ETA from the average rate so far. */
export function qualityProgress(label: string, p: QualityProgress): ProgressState {
  const total = p.totalFrames ?? 0;
  const etaSeconds = total > 0 && p.fps > 0 ? Math.max(0, total - p.frame) / p.fps : undefined;
  return { label, done: p.frame, total, unit: 'frames', rate: p.fps, etaSeconds };
}

const digits = (metric: QualityReport['metric']) => (metric === 'ssim' ? 4 : metric === 'vmaf' ? 2 : 2);

function poolCells(p: PooledScore, d: number): string[] {
  return [p.mean, p.harmonicMean, p.min, p.p1, p.p5].map((v) => v.toFixed(d));
}

export function summarizeQuality(r: QualityReport): string {
  const d = digits(r.metric);
  const head = [
    `${r.metric.toUpperCase()} of ${r.distorted} against ${r.reference}`,
    `${r.width}x${r.height}, ${r.frameCount} frames${r.subsample > 1 ? `, every ${r.subsample}th scored` : ''}; backend ${r.backend}${r.model ? `, model ${r.model}` : ''}${r.backendNote ? ` (${r.backendNote})` : ''}`,
    `ffmpeg: ${r.ffmpeg.source} ${r.ffmpeg.path}; ${r.elapsedSeconds.toFixed(1)} s`,
  ];
  const header = ['scene', 'frames', 'mean', 'hmean', 'min', 'p1', 'p5'];
  const rows = (r.scenes ?? []).map((s, i) => [String(i), `${s.startFrame}-${s.endFrame - 1}`, ...poolCells(s.score, d)]);
  rows.push(['all', `0-${r.frameCount - 1}`, ...poolCells(r.pooled, d)]);
  return `${head.join('\n')}\n\n${formatTable(header, rows)}`;
}
