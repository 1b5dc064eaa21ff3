import path from 'node:path';
import { renderReport } from '../report/render.js';
import { readReportInput, reportSource, sceneThumbnails } from '../report/thumbnails.js';
import { writeFileAtomic } from '../util/atomic.js';
import { assertWritableTarget, defineCommand, optionGroup, parseCommand, renderHelp, resolveOptions, writeFailure, type CliOption } from './options.js';
import { cliSignal } from './signal.js';
import { showCommands, STDERR_LOG, VERBOSE_OPTION } from './verbose.js';
import { packageVersion } from './version.js';

/** `--report <file>` of analyze, quality, plan and optimize: the same page `scenecrf report` writes. */
export const REPORT_OPTION = {
  flag: 'report',
  placeholder: '<file>',
  kind: 'string',
  help: 'also write an HTML report of the result there (see "scenecrf report")',
} as const satisfies CliOption;

export const REPORT = defineCommand({
  name: 'report',
  head: `Usage: scenecrf report <result.json> -o <report.html> [options]

Turns the JSON of "scenecrf analyze", "quality", "plan" or "optimize" into one self-contained
HTML page (no network access when opened): the scene timeline with thumbnails, per-frame SI, TI
and VMAF, per-scene CRF, predicted and measured VMAF and bitrate, and a sortable scene table.
Thumbnails are taken from the source video when it is still where the result says.`,
  column: 25,
  groups: [
    optionGroup()([
      { flag: 'output', short: 'o', placeholder: '<file>', kind: 'string', help: 'the HTML file to write (atomically)' },
      { flag: 'analysis', placeholder: '<file>', kind: 'string', help: 'an "analyze --json --frames" result of the same video: adds SI/TI lines\nand scene complexity to quality, plan and optimize reports' },
      { flag: 'no-thumbnails', kind: 'boolean', help: 'do not read the source video for scene thumbnails' },
      { flag: 'title', placeholder: '<text>', kind: 'string', help: 'page title' },
      VERBOSE_OPTION,
    ]),
  ],
});


/**
 * Renders `result` (a result object or the JSON of one) with thumbnails from its source video and
 * writes it to `file` atomically. Used by `scenecrf report` and by every command's --report.
 */
export async function writeReport(file: string, result: unknown, opts: { analysis?: unknown; thumbnails?: boolean; title?: string } = {}): Promise<void> {
  const source = reportSource(result);
  const shots = opts.thumbnails === false ? { thumbnails: undefined, note: 'thumbnails not taken (--no-thumbnails)' } : await sceneThumbnails(path.resolve(source.path), source.scenes, { fps: source.fps, signal: cliSignal });
  const html = renderReport(result, {
    title: opts.title,
    analysis: opts.analysis,
    thumbnails: shots.thumbnails,
    thumbnailNote: shots.note,
    date: new Date().toISOString(),
    commandLine: ['scenecrf', ...process.argv.slice(2)].join(' '),
    versions: { scenecrf: packageVersion(), node: process.version },
  });
  await writeFileAtomic(file, html);
}

/** Writes the --report of a command, if asked; a failure to write is reported, the command's result stands. */
export async function writeRequestedReport(file: string | undefined, result: unknown, opts: { analysis?: unknown } = {}): Promise<number> {
  if (file === undefined) return 0;
  try {
    await writeReport(file, result, opts);
    return 0;
  } catch (e) {
    process.stderr.write(`scenecrf: cannot write the report to ${JSON.stringify(file)}: ${writeFailure(file, e)}\n`);
    return 1;
  }
}

export async function runReport(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, REPORT);
  if (!parsed) return 0;
  const { positionals } = parsed;
  const { values } = resolveOptions(REPORT, parsed);
  if (positionals.length !== 1 || values.output === undefined) {
    process.stderr.write(`scenecrf report: expected one result file and -o <report.html>\n\n${renderHelp(REPORT)}\n`);
    return 2;
  }
  await assertWritableTarget('--output', values.output);
  showCommands(values.verbose, STDERR_LOG);
  const input = await readReportInput(positionals[0]!);
  const analysis = values.analysis === undefined ? undefined : (await readReportInput(values.analysis)).json;
  try {
    await writeReport(values.output, input.json, { analysis, thumbnails: !values['no-thumbnails'], title: values.title });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
    process.stderr.write(`scenecrf: cannot write ${JSON.stringify(values.output)}: ${writeFailure(values.output, e)}\n`);
    return 1;
  }
  return 0;
}
