// Argument helpers shared by the CLI commands.
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidOptionsError } from '../errors.js';

export function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new InvalidOptionsError(`--${name}`, `expected a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function numberOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidOptionsError(`--${name}`, `expected a number, got ${JSON.stringify(v)}`);
  return n;
}

/** Why `target` cannot be written, from a file system error. */
export function writeFailure(target: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `directory ${JSON.stringify(path.dirname(target))} does not exist`;
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a parent path is not a directory';
  return (e as Error).message;
}

/** Checks an output target before long work runs, so a typo does not cost a long analysis. */
export async function assertWritableTarget(option: string, target: string): Promise<void> {
  const fail = (why: string) => new InvalidOptionsError(option, `cannot write ${JSON.stringify(target)}: ${why}`);
  if (target === '') throw new InvalidOptionsError(option, 'expected a file name or "-"');
  const dir = path.dirname(path.resolve(target));
  try {
    if (!(await stat(dir)).isDirectory()) throw fail(`${JSON.stringify(path.dirname(target))} is not a directory`);
    await access(dir, constants.W_OK);
  } catch (e) {
    throw e instanceof InvalidOptionsError ? e : fail(writeFailure(target, e));
  }
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw fail('it is a directory');
}


type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends OptionsConfig> = O & { help: { type: 'boolean'; short: 'h'; default: false } };
type ParsedCommand<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: WithHelp<O> }>>;

/**
 * Parses a command's arguments (positionals allowed, `-h/--help` added). A parse problem is an
 * INVALID_OPTIONS error; `undefined` means the help text was printed and the command is done.
 */
export function parseCommand<const O extends OptionsConfig>(argv: string[], options: O, help: string): ParsedCommand<O> | undefined {
  let parsed: ParsedCommand<O>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } } as WithHelp<O>,
    });
  } catch (e) {
    throw new InvalidOptionsError('arguments', (e as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${help}\n`);
    return undefined;
  }
  return parsed;
}
