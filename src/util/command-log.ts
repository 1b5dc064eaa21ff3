/**
 * Every external command scenecrf runs (ffmpeg, ffprobe, a standalone encoder; ffmpeg.wasm runs
 * in this process but is announced the same way) is announced here just before it starts, so the
 * CLI's --verbose can print it. Process-wide on purpose: the commands are started deep inside the
 * stages, and threading a logger through every options object would touch every signature for a
 * diagnostic. Without a listener, announcing costs one check.
 */

/** One command as run: the program, its arguments, and the folder it runs in when not the current one. */
export interface AnnouncedCommand {
  file: string;
  args: readonly string[];
  cwd?: string;
}

/** Called with the commands about to run; more than one is a pipeline (the first's output into the next). */
export type CommandListener = (pipeline: readonly AnnouncedCommand[]) => void;

const listeners = new Set<CommandListener>();

/** Calls `listener` for every command started from now on; returns the function that stops it. */
export function onCommand(listener: CommandListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells the listeners a command (or a pipeline of commands) is about to run. */
export function announceCommand(...pipeline: AnnouncedCommand[]): void {
  for (const listener of listeners) listener(pipeline);
}

/** One argument as a POSIX shell reads it back: bare when safe, else in single quotes. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A pipeline as one line a POSIX shell can run: `cd '<dir>' && ffmpeg … | SvtAv1EncApp …`. */
export function commandLine(pipeline: readonly AnnouncedCommand[]): string {
  const line = pipeline.map((c) => [c.file, ...c.args].map(shellQuote).join(' ')).join(' | ');
  const cwd = pipeline[0]?.cwd;
  return cwd === undefined ? line : `cd ${shellQuote(cwd)} && ${line}`;
}
