import { execFileSync } from 'node:child_process';
import net from 'node:net';
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

/** Median of a non-empty list (mean of the middle two for an even length). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** CPU seconds (user + system) of this process and its reaped children, from /proc/self/stat. */
export function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ": state is field 3; utime 14, stime 15, cutime 16, cstime 17 (1-based).
  // Clock ticks: sysconf(_SC_CLK_TCK) is 100 on every Linux Node supports.
  const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(fields[i]), 0);
  return ticks / 100;
}

/** Runs `f`, measuring wall seconds and CPU seconds (this process and the children it waited for). */
export async function timed<T>(f: () => Promise<T>): Promise<{ value: T; cpu: number; wall: number }> {
  const c = cpuSeconds();
  const w = performance.now();
  const value = await f();
  return { value, cpu: cpuSeconds() - c, wall: (performance.now() - w) / 1000 };
}

/** A TCP port free on the loopback interface now (for a redis-server the caller starts on it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}
