import { execa } from 'execa';
import { AbortError } from '../errors.js';
import { announceCommand } from '../util/command-log.js';

export interface RunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Runs a native tool with an argument array (never through a shell, so file names with spaces,
 * quotes or a leading dash are passed verbatim) and returns its output whatever the exit code:
 * callers decide what a failure means for their input.
 */
export async function runTool(
  file: string,
  args: readonly string[],
  opts: { signal?: AbortSignal; timeoutMs?: number; maxBuffer?: number } = {},
): Promise<RunResult> {
  announceCommand({ file, args });
  const child = execa(file, args, {
    reject: false,
    stdin: 'ignore',
    cancelSignal: opts.signal,
    timeout: opts.timeoutMs,
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
    stripFinalNewline: false,
  });
  const r = await child;
  if (r.isCanceled) throw new AbortError(opts.signal?.reason);
  if (r.timedOut) {
    return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: `${String(r.stderr ?? '')}\n(timed out after ${opts.timeoutMs} ms)` };
  }
  if (r.failed && r.exitCode === undefined && r.signal === undefined) {
    // Spawn failure (ENOENT, EACCES): surface as a thrown error for the resolver to report.
    throw r;
  }
  return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
