/**
 * The CLI's options, each written once. A command is a table of options (flag, value
 * placeholder, help text, how its value is parsed, the API option it feeds); from it come the
 * `node:util` parseArgs configuration, the `--help` text (and docs/cli.md, see ./docs.ts) and
 * the options object handed to the library function. Values are validated by that function's own
 * zod schema, run here before any work, with every issue reported under the flag that fed it
 * (`--crf-max`, not `crfMax`).
 */
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { closest } from './suggest.js';

/**
 * How a flag's value is read: `boolean` a switch (false when absent); `negatable` a switch with a
 * `--no-<flag>` twin (true, false, or undefined when neither is given); `string` the text as given
 * (or what `parse` makes of it); `int` a whole number ≥ 0; `number` any finite number.
 */
export type OptionKind = 'boolean' | 'negatable' | 'string' | 'int' | 'number';

export interface CliOption<K extends string = string> {
  /** The long flag without its dashes: `crf-max`. */
  readonly flag: string;
  /** One-letter alias: `o` for `-o`. */
  readonly short?: string;
  /** The value in the help text: `<n>`, `<auto|native|wasm>`. None for switches. */
  readonly placeholder?: string;
  /** Help text; lines after the first continue under it. An empty first line puts the text below the flag. */
  readonly help: string;
  readonly kind: OptionKind;
  /** Appended to the first help line as " (default X)". Where the API's schema has a default, they must agree (test/cli-docs.test.ts). */
  readonly default?: string | number;
  /** A `string` option's value: what the raw text means (throw an InvalidOptionsError naming the flag if nothing). */
  readonly parse?: (raw: string, flag: string) => unknown;
  /** The key of the API options object this option feeds (the key its schema checks). */
  readonly key?: K;
  /** The API value from the option's value, when they differ (`--no-validate` → `validate: false`). */
  readonly toApi?: (value: never) => unknown;
  /** A check of the value for an option no API schema covers (issues are reported under this flag). */
  readonly schema?: z.ZodTypeAny;
  /** Spaces between a flag longer than the help column and its text (default 2). */
  readonly gap?: number;
}

/** Options whose keys feed one API options object, validated by that API's schema. */
export interface OptionGroup<O extends readonly CliOption[] = readonly CliOption[]> {
  readonly options: O;
  /** The API's options schema; it sees the object built from this group's keyed options only. */
  readonly schema?: z.ZodTypeAny;
}

/**
 * A group of options feeding `Api`'s options (keys are checked against it):
 * `optionGroup<PlanEncodeOptions>()([...], planEncodeOptionsSchema)`.
 */
export function optionGroup<Api = Record<string, unknown>>() {
  return <const O extends readonly CliOption<Extract<keyof Api, string>>[]>(options: O, schema?: z.ZodTypeAny): OptionGroup<O> => ({ options, schema });
}

export interface CommandSpec<G extends readonly OptionGroup[] = readonly OptionGroup[]> {
  readonly name: string;
  /** The help text above "Options:" (usage line, description). */
  readonly head: string;
  /** Help text after the options, if any. */
  readonly tail?: string;
  /** The column (from the start of the line) where option help text starts: 29 is 2 spaces of indent and 27 for the flags. */
  readonly column: number;
  readonly groups: G;
}

export function defineCommand<const G extends readonly OptionGroup[]>(spec: CommandSpec<G>): CommandSpec<G> {
  return spec;
}

/** `-h, --help`, which every command has. */
export const HELP_OPTION: CliOption = { flag: 'help', short: 'h', kind: 'boolean', help: 'this help' };

/** Every option of a command, in help order (without `--help`). */
export function commandOptions(cmd: CommandSpec): CliOption[] {
  return cmd.groups.flatMap((g) => [...g.options]);
}

// ---- help text ----

/** `-o, --output <file>`, `--proxy, --no-proxy`. */
export function optionLabel(o: CliOption): string {
  const names = o.kind === 'negatable' ? `--${o.flag}, --no-${o.flag}` : `--${o.flag}`;
  return `${o.short ? `-${o.short}, ` : ''}${names}${o.placeholder ? ` ${o.placeholder}` : ''}`;
}

function optionHelpLines(o: CliOption, column: number): string[] {
  const [first = '', ...rest] = o.help.split('\n');
  const text = o.default === undefined ? first : `${first} (default ${o.default})`;
  const label = `  ${optionLabel(o)}`;
  const indent = ' '.repeat(column);
  const head = text === '' ? [label] : [`${label}${' '.repeat(Math.max(column - label.length, o.gap ?? 2))}${text}`];
  return [...head, ...rest.map((l) => `${indent}${l}`)];
}

/** The command's `--help` text (without the final newline). */
export function renderHelp(cmd: CommandSpec): string {
  const lines = [...commandOptions(cmd), HELP_OPTION].flatMap((o) => optionHelpLines(o, cmd.column));
  return `${cmd.head}\n\nOptions:\n${lines.join('\n')}${cmd.tail ? `\n\n${cmd.tail}` : ''}`;
}

// ---- parsing ----

type ArgsOptions = NonNullable<ParseArgsConfig['options']>;

/** The parseArgs configuration of a command's options (with `--help`). */
export function parseArgsOptions(cmd: CommandSpec): ArgsOptions {
  const config: ArgsOptions = {};
  for (const o of [...commandOptions(cmd), HELP_OPTION]) {
    const short = o.short ? { short: o.short } : {};
    if (o.kind === 'boolean') config[o.flag] = { type: 'boolean', default: false, ...short };
    else if (o.kind === 'negatable') {
      config[o.flag] = { type: 'boolean', ...short };
      config[`no-${o.flag}`] = { type: 'boolean' };
    } else config[o.flag] = { type: 'string', ...short };
  }
  return config;
}

type RawValues = Record<string, string | boolean | undefined>;

export interface ParsedCommand {
  /** The flags as given (strings and switches), by flag name. */
  raw: RawValues;
  positionals: string[];
}

/**
 * Parses a command's arguments (positionals allowed). A parse problem is an INVALID_OPTIONS
 * error; `undefined` means the help text was printed and the command is done.
 */
export function parseCommand(argv: string[], cmd: CommandSpec): ParsedCommand | undefined {
  let parsed: { values: RawValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: parseArgsOptions(cmd) }) as typeof parsed;
  } catch (e) {
    throw new InvalidOptionsError('arguments', withSuggestion((e as Error).message, cmd));
  }
  if (parsed.values.help) {
    process.stdout.write(`${renderHelp(cmd)}\n`);
    return undefined;
  }
  return { raw: parsed.values, positionals: parsed.positionals };
}

/** parseArgs's "Unknown option '--x'" with the command's closest flag, when one is close. */
function withSuggestion(message: string, cmd: CommandSpec): string {
  const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
  if (unknown === undefined) return message;
  const flags = [...commandOptions(cmd), HELP_OPTION].flatMap((o) => (o.kind === 'negatable' ? [o.flag, `no-${o.flag}`] : [o.flag]));
  const near = closest(unknown, flags);
  return near === undefined ? message : `unknown option --${unknown}; did you mean --${near}?`;
}

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

function readValue(o: CliOption, raw: RawValues): unknown {
  const v = raw[o.flag];
  switch (o.kind) {
    case 'boolean':
      return v === true;
    case 'negatable': {
      const no = raw[`no-${o.flag}`] === true;
      if (v === true && no) throw new InvalidOptionsError(`--${o.flag}`, `give --${o.flag} or --no-${o.flag}, not both`);
      return v === true ? true : no ? false : undefined;
    }
    case 'int':
      return intOption(o.flag, v as string | undefined);
    case 'number':
      return numberOption(o.flag, v as string | undefined);
    case 'string':
      return v === undefined || !o.parse ? v : o.parse(v as string, o.flag);
  }
}

// ---- values and their validation ----

type ValueOf<O> = O extends { kind: 'boolean' }
  ? boolean
  : O extends { kind: 'negatable' }
    ? boolean | undefined
    : O extends { kind: 'int' | 'number' }
      ? number | undefined
      : O extends { parse: (raw: string, flag: string) => infer T }
        ? T | undefined
        : string | undefined;

type OptionsOf<G extends readonly OptionGroup[]> = G[number]['options'][number];

/** A command's option values by flag name (`values['crf-max']`), typed from its table. */
export type CommandValues<G extends readonly OptionGroup[]> = { [O in OptionsOf<G> as O['flag']]: ValueOf<O> };

interface Issue {
  path: ReadonlyArray<string | number>;
  message: string;
}

type ZodIssueLike = z.ZodIssue & Record<string, unknown>;

/** "a or b", "one of a, b, c". */
function choices(values: readonly unknown[]): string {
  const shown = values.map(String);
  return shown.length === 2 ? `${shown[0]} or ${shown[1]}` : `one of ${shown.join(', ')}`;
}

/** A zod issue in the CLI's words ("must be at least 1", 'expected mean or p5, got "p10"'). */
function issueText(issue: ZodIssueLike): string {
  switch (issue.code) {
    case 'invalid_enum_value':
      return `expected ${choices(issue.options)}, got ${JSON.stringify(issue.received)}`;
    case 'invalid_type':
      if (issue.received !== 'undefined') break;
      // An enum's expected type is "'a' | 'b'".
      return issue.expected.includes(' | ') ? `expected ${choices(issue.expected.split(' | ').map((s) => s.replace(/^'|'$/g, '')))}, got nothing` : 'required';
    case 'invalid_union': {
      const branches = issue.unionErrors.flatMap((e) => e.issues);
      if (branches.length > 0 && branches.every((b) => b.code === 'invalid_literal'))
        return `expected ${choices(branches.map((b) => (b as z.ZodInvalidLiteralIssue).expected))}, got ${JSON.stringify((branches[0] as ZodIssueLike).received)}`;
      break;
    }
    case 'too_small':
      if (issue.type === 'number') return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
      if (issue.type === 'string' && issue.minimum === 1) return 'must not be empty';
      break;
    case 'too_big':
      if (issue.type === 'number') return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
      break;
  }
  return issue.message;
}

/**
 * Checks a command's option values: each option's own `schema`, then each group's API schema on
 * the options object built from it. Every issue names the flag that fed it, and camelCase API keys
 * in messages ("give exactly one of targetVmaf and bitrateKbps") become flags.
 */
function validate(cmd: CommandSpec, values: Record<string, unknown>, groupOptions: Record<string, unknown>[]): void {
  const all = commandOptions(cmd);
  const flagOfKey = new Map(all.filter((o) => o.key).map((o) => [o.key!, `--${o.flag}`]));
  const renamed = (text: string) => text.replace(/\b[a-z]+[A-Z]\w*\b/g, (word) => flagOfKey.get(word) ?? word);
  const found: Array<{ flag: string; text: string }> = [];
  const collect = (issues: readonly Issue[], flagFor: (path: Issue['path']) => string) => {
    for (const issue of issues) found.push({ flag: flagFor(issue.path), text: renamed(issueText(issue as ZodIssueLike)) });
  };
  cmd.groups.forEach((g, i) => {
    for (const o of g.options) {
      const r = o.schema?.safeParse(values[o.flag]);
      if (r && !r.success) collect(r.error.issues, () => `--${o.flag}`);
    }
    const r = g.schema?.safeParse(groupOptions[i]);
    if (r && !r.success) collect(r.error.issues, (p) => (p.length === 0 ? 'options' : (flagOfKey.get(String(p[0])) ?? p.join('.'))));
  });
  if (found.length === 0) return;
  if (found.every((f) => f.flag === found[0]!.flag)) throw new InvalidOptionsError(found[0]!.flag, found.map((f) => f.text).join('; '));
  throw new InvalidOptionsError('arguments', found.map((f) => `${f.flag}: ${f.text}`).join('; '));
}

export interface ResolvedOptions<G extends readonly OptionGroup[]> {
  values: CommandValues<G>;
  /** The API options object from the keyed options of every group (keys with undefined values included); cast it to the API's options type. */
  options: object;
}

/**
 * Reads and validates the parsed flags of a command: the typed values by flag, and the API
 * options object the keyed options make. Bad values are INVALID_OPTIONS errors naming the flag.
 */
export function resolveOptions<G extends readonly OptionGroup[]>(cmd: CommandSpec<G>, parsed: ParsedCommand): ResolvedOptions<G> {
  const values: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  const groupOptions = cmd.groups.map((g) => {
    const part: Record<string, unknown> = {};
    for (const o of g.options) {
      const v = readValue(o, parsed.raw);
      values[o.flag] = v;
      if (o.key) part[o.key] = o.toApi ? o.toApi(v as never) : v;
    }
    Object.assign(options, part);
    return part;
  });
  validate(cmd, values, groupOptions);
  return { values: values as CommandValues<G>, options };
}

/**
 * Runs a command's library call; an InvalidOptionsError it throws about one of the API keys the
 * command's flags feed (`via`, `workDir`) is re-thrown under the flag (`--via`, `--work-dir`), so
 * CLI errors never name the library's internals.
 */
export async function inFlagTerms<T>(cmd: CommandSpec, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const flag = e instanceof InvalidOptionsError ? commandOptions(cmd).find((o) => o.key === e.what)?.flag : undefined;
    throw flag === undefined ? e : new InvalidOptionsError(`--${flag}`, (e as InvalidOptionsError).issues);
  }
}

// ---- output targets ----

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
