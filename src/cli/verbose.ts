import { commandLine, onCommand } from '../util/command-log.js';
import type { CliOption } from './options.js';

/** `--verbose` of every command that runs ffmpeg or an encoder. */
export const VERBOSE_OPTION = {
  flag: 'verbose',
  kind: 'boolean',
  help: 'print every ffmpeg, ffprobe and encoder command line to stderr before\nit runs (shell-quoted, one per line)',
} as const satisfies CliOption;

/**
 * With --verbose, prints each command scenecrf starts, from now on, as one shell-quoted line
 * through `out` (the progress bar's log, which keeps the bar below the lines).
 */
export function showCommands(enabled: boolean, out: { log(line: string): void }): void {
  if (enabled) onCommand((pipeline) => out.log(commandLine(pipeline)));
}

/** Where command lines go when no progress bar is drawn. */
export const STDERR_LOG = { log: (line: string) => void process.stderr.write(`${line}\n`) };
