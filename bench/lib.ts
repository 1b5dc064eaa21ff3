import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

/** One line that says what machine a bench ran on, for bench/RESULTS.md. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  let ffmpeg = 'unknown';
  try {
    ffmpeg = execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0] ?? ffmpeg;
  } catch {
    /* reported as unknown */
  }
  let os = process.platform;
  try {
    os = (readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="([^"]+)"/)?.[1] ?? os) as typeof os;
  } catch {
    /* not Linux */
  }
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${os}, Node ${process.version}, ${ffmpeg}`;
}

export function fmt(n: number, digits = 3): string {
  return n.toFixed(digits);
}

/** A timestamped progress line on stderr (stdout carries the results). */
export function log(msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/**
 * Walks command-line arguments: `handle` gets each one and a `next()` that takes the following
 * argument as its value (an error naming the flag when there is none).
 */
export function eachArg(argv: readonly string[], handle: (arg: string, next: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    handle(arg, () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    });
  }
}

/** A flag's value as a finite number, or an error naming the flag. */
export function numberArg(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} needs a number, got ${JSON.stringify(v)}`);
  return n;
}
