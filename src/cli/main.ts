import { runAnalyze } from './analyze.js';
import { runQuality } from './quality.js';
import { asNoSpaceError, ScenecrfError } from '../errors.js';
import { closest } from './suggest.js';
import { USAGE } from './usage.js';

const COMMAND_NAMES = ['analyze', 'quality', 'encode', 'zones', 'plan', 'optimize', 'report', 'worker'];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${(await import('./version.js')).packageVersion()}\n`);
    return 0;
  }
  if (command === 'analyze') return runAnalyze(rest);
  if (command === 'quality') return runQuality(rest);
  if (command === 'zones') return (await import('./zones.js')).runZones(rest);
  if (command === 'encode') return (await import('./encode.js')).runEncode(rest);
  if (command === 'plan') return (await import('./plan.js')).runPlan(rest);
  if (command === 'optimize') return (await import('./plan.js')).runOptimize(rest);
  if (command === 'report') return (await import('./report.js')).runReport(rest);
  if (command === 'worker') return (await import('./worker.js')).runWorker(rest);
  const near = closest(command, COMMAND_NAMES);
  process.stderr.write(`scenecrf: unknown command ${JSON.stringify(command)}${near ? `; did you mean "${near}"?` : ''}\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (thrown: unknown) => {
    // A full disk under any file the command writes itself (JSON, zones, report) is named as such.
    const err = asNoSpaceError(thrown, '(unknown file)');
    if (err instanceof ScenecrfError) {
      process.stderr.write(`scenecrf: ${err.message}\n`);
      process.exitCode = err.code === 'ABORTED' ? 130 : err.code === 'INVALID_OPTIONS' ? 2 : 1;
    } else {
      process.stderr.write(`scenecrf: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
