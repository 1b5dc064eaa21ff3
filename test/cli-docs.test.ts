/**
 * The command-line reference (docs/cli.md) against the CLI itself: every option `--help` shows
 * for a command is in that command's section of the docs, and every option there is in
 * `--help`. Also: the option tables behind both (src/cli/options.ts) agree with the API schemas
 * they feed, and bad values are reported under their flags.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { cliReference, COMMANDS } from '../src/cli/docs.js';
import { commandOptions, parseArgsOptions, parseCommand, renderHelp, resolveOptions, type CommandSpec } from '../src/cli/options.js';
import { OPTIMIZE, PLAN } from '../src/cli/plan.js';
import { closest } from '../src/cli/suggest.js';
import { USAGE } from '../src/cli/usage.js';

const ROOT = path.resolve(__dirname, '..');
const DOCS = path.join(ROOT, 'docs', 'cli.md');
const REGENERATE = 'regenerate it with `npx tsx src/cli/docs.ts`';

/** `scenecrf <args>` from the sources, the way a user runs it (no shell). */
function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
}

/** The options a synopsis lists: the `--flag` names that start its option lines, indented by two spaces ("  -o, --output <file>", "  --proxy, --no-proxy"). */
function listedOptions(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^ {2}(?:-\w, )?(--[a-z0-9][a-z0-9-]*)(?:, (--[a-z0-9][a-z0-9-]*))?/.exec(line);
    if (m) for (const flag of m.slice(1)) if (flag) found.add(flag);
  }
  return [...found].sort();
}

/** The text of docs/cli.md under "## scenecrf <command>", up to the next heading. */
function docsSection(docs: string, command: string): string {
  const start = docs.search(new RegExp(`^## scenecrf ${command}\\s*$`, 'm'));
  if (start < 0) return '';
  const next = docs.slice(start + 1).search(/^## /m);
  return next < 0 ? docs.slice(start) : docs.slice(start, start + 1 + next);
}

const docs = readFileSync(DOCS, 'utf8');

describe('docs/cli.md lists exactly the options of each command', () => {
  for (const cmd of COMMANDS) {
    it(`scenecrf ${cmd.name}: every --help option is in the docs and back`, () => {
      const r = cli([cmd.name, '--help']);
      expect(r.status, r.stderr).toBe(0);
      const inHelp = listedOptions(r.stdout);
      const inDocs = listedOptions(docsSection(docs, cmd.name));
      expect(inHelp.length).toBeGreaterThan(3);
      expect(inHelp).toContain('--help');
      const missing = inHelp.filter((o) => !inDocs.includes(o));
      const stale = inDocs.filter((o) => !inHelp.includes(o));
      expect(missing, `in "scenecrf ${cmd.name} --help" but not in its section of docs/cli.md; ${REGENERATE}`).toEqual([]);
      expect(stale, `in docs/cli.md's section on ${cmd.name} but not in its --help; ${REGENERATE}`).toEqual([]);
      // The CLI prints the table's help, and parses exactly the options it shows.
      expect(r.stdout).toBe(`${renderHelp(cmd)}\n`);
      expect(Object.keys(parseArgsOptions(cmd)).map((f) => `--${f}`).sort()).toEqual(inHelp);
    });
  }

  it('docs/cli.md is the generated reference, word for word', () => {
    expect(docs === cliReference(), `docs/cli.md differs from the option tables; ${REGENERATE}`).toBe(true);
  });

  it('the top-level usage names only options its commands have', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${USAGE}\n`);
    for (const line of USAGE.split('\n')) {
      const m = /^\s+scenecrf (\w+) (.*)$/.exec(line);
      if (!m) continue;
      const cmd = COMMANDS.find((c) => c.name === m[1]);
      expect(cmd, line).toBeDefined();
      const known = listedOptions(renderHelp(cmd!));
      for (const flag of m[2]!.match(/--[a-z0-9-]+/g) ?? []) expect(known, line).toContain(flag);
    }
  });
});

/** The default of `key` in an API options schema (an object, possibly refined), if it has one. */
function schemaDefault(schema: z.ZodTypeAny, key: string): { value: unknown } | undefined {
  let s: z.ZodTypeAny = schema;
  while (s instanceof z.ZodEffects) s = s.innerType();
  if (!(s instanceof z.ZodObject)) return undefined;
  const field = (s.shape as Record<string, z.ZodTypeAny>)[key];
  return field instanceof z.ZodDefault ? { value: field._def.defaultValue() } : undefined;
}

/** The values an enum or a union of literals allows (inside optional/default), else undefined. */
function allowedValues(schema: z.ZodTypeAny | undefined): string[] | undefined {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s._def.innerType;
  if (s instanceof z.ZodEnum) return (s.options as string[]).map(String);
  if (s instanceof z.ZodUnion && (s.options as z.ZodTypeAny[]).every((o) => o instanceof z.ZodLiteral)) return (s.options as z.ZodLiteral<unknown>[]).map((o) => String(o.value));
  return undefined;
}

function schemaField(schema: z.ZodTypeAny, key: string): z.ZodTypeAny | undefined {
  let s: z.ZodTypeAny = schema;
  while (s instanceof z.ZodEffects) s = s.innerType();
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodTypeAny>)[key] : undefined;
}

function schemaKeys(schema: z.ZodTypeAny): string[] {
  let s: z.ZodTypeAny = schema;
  while (s instanceof z.ZodEffects) s = s.innerType();
  return Object.keys((s as z.AnyZodObject).shape);
}

describe('option tables and API schemas', () => {
  it('every keyed option feeds a key of its group schema, and a default shown in --help is the schema default', () => {
    let compared = 0;
    for (const cmd of COMMANDS)
      for (const g of cmd.groups) {
        if (!g.schema) continue;
        for (const o of g.options) {
          if (o.key) expect(schemaKeys(g.schema), `${cmd.name} --${o.flag}`).toContain(o.key);
          const d = o.key ? schemaDefault(g.schema, o.key) : undefined;
          if (o.default === undefined || !d) continue;
          expect(String(d.value), `${cmd.name} --${o.flag}: help says (default ${o.default})`).toBe(String(o.default));
          compared++;
        }
      }
    expect(compared).toBeGreaterThanOrEqual(8);
  });

  it('a placeholder listing choices (<auto|native|wasm>) lists exactly what the schema allows', () => {
    let compared = 0;
    for (const cmd of COMMANDS)
      for (const g of cmd.groups)
        for (const o of g.options) {
          const allowed = allowedValues(o.schema ?? (g.schema && o.key ? schemaField(g.schema, o.key) : undefined));
          const listed = /^<([^<>]+\|[^<>]+)>$/.exec(o.placeholder ?? '')?.[1]?.split('|');
          if (!allowed || !listed) continue;
          expect(listed.sort(), `${cmd.name} --${o.flag} ${o.placeholder}`).toEqual(allowed.sort());
          compared++;
        }
    expect(compared).toBeGreaterThanOrEqual(6);
  });

  it('a flag appears once per command', () => {
    for (const cmd of COMMANDS) {
      const flags = commandOptions(cmd).flatMap((o) => (o.kind === 'negatable' ? [o.flag, `no-${o.flag}`] : [o.flag]));
      expect(new Set(flags).size, cmd.name).toBe(flags.length);
    }
  });
});

describe('bad values are reported under their flags', () => {
  const resolve = (cmd: CommandSpec, args: string[]) => () => resolveOptions(cmd, parseCommand(['in.mp4', ...args], cmd)!);
  const plan = (...args: string[]) => resolve(PLAN, ['--encoder', 'vp9', ...args]);

  it("the API schema's issues name the flag, and API keys in its messages become flags", () => {
    expect(plan('--target-vmaf', '93', '--crf-max', '99')).toThrow('Invalid --crf-max: must be at most 63; --crf-max 99 is out of range for vp9 (0..63)');
    expect(plan()).toThrow('Invalid --target-vmaf: give exactly one of --target-vmaf and --bitrate');
    expect(plan('--bitrate', '300', '--probe-trust', '5')).toThrow('Invalid --probe-trust: --probe-trust applies to --target-vmaf plans only, not to --bitrate plans');
    expect(plan('--target-vmaf', '93', '--probe-frames', '4')).toThrow('Invalid --probe-frames: must be at least 8');
    expect(resolve(OPTIMIZE, ['-o', 'x.webm', '--encoder', 'vp9', '--target-vmaf', '93', '--preset', '99'])).toThrow('Invalid --preset: must be at most 13');
  });

  it('enum and literal issues read as before the tables', () => {
    expect(resolve(PLAN, ['--target-vmaf', '93'])).toThrow('Invalid --encoder: expected one of svt-av1, aom, vp9, got nothing');
    expect(resolve(PLAN, ['--encoder', 'x264', '--target-vmaf', '93'])).toThrow('Invalid --encoder: expected one of svt-av1, aom, vp9, got "x264"');
    expect(plan('--target-vmaf', '93', '--stat', 'p10')).toThrow('Invalid --stat: expected mean or p5, got "p10"');
    expect(plan('--target-vmaf', '93', '--bit-depth', '12')).toThrow('Invalid --bit-depth: expected 8 or 10, got 12');
    expect(plan('--target-vmaf', '93', '--zones', 'z.txt', '--format', 'mp3')).toThrow('Invalid --format: expected one of av1an, x265, x265-zonefile, x264, ffmpeg, json, got "mp3"');
    expect(plan('--target-vmaf', '93', '--proxy', '--no-proxy')).toThrow('Invalid --proxy: give --proxy or --no-proxy, not both');
    expect(plan('--target-vmaf', 'high')).toThrow('Invalid --target-vmaf: expected a number, got "high"');
    expect(resolve(OPTIMIZE, ['-o', 'x.webm', '--encoder', 'vp9', '--target-vmaf', '93', '--jobs', '0'])).toThrow('Invalid --jobs: must be at least 1');
  });

  it('several bad flags are listed together', () => {
    expect(plan('--target-vmaf', '93', '--probes', '9', '--preset', '20')).toThrow('Invalid arguments: --preset: must be at most 13; --probes: must be at most 8');
  });

  it('the API options object carries every keyed option, as the API expects it', () => {
    const { options, values } = resolve(OPTIMIZE, ['-o', 'x.webm', '--encoder', 'vp9', '--bitrate', '300', '--no-proxy', '--no-validate', '--probe-frames', 'all', '--rounds', '2'])();
    expect(options).toMatchObject({ encoder: 'vp9', bitrateKbps: 300, proxy: false, validate: false, probeFrames: 'all', maxRounds: 2, output: 'x.webm' });
    expect('targetVmaf' in options && (options as { targetVmaf?: number }).targetVmaf === undefined).toBe(true);
    expect(values['no-validate']).toBe(true);
    expect(values.json).toBeUndefined();
  });
});

describe('misspelt commands and options', () => {
  it('suggests the closest name only when it is a likely typo', () => {
    const commands = COMMANDS.map((c) => c.name);
    expect(closest('analyse', commands)).toBe('analyze');
    expect(closest('optimise', commands)).toBe('optimize');
    expect(closest('qualty', commands)).toBe('quality');
    expect(closest('zone', commands)).toBe('zones');
    expect(closest('transcode', commands)).toBeUndefined();
    expect(closest('x', commands)).toBeUndefined();
  });

  it('an unknown option names the flag the user probably meant, from that command\'s table', () => {
    expect(() => parseCommand(['in.mp4', '--target-vmf', '93'], PLAN)).toThrow(/unknown option --target-vmf; did you mean --target-vmaf\?/);
    expect(() => parseCommand(['in.mp4', '--no-proxi'], PLAN)).toThrow(/did you mean --no-proxy\?/);
    expect(() => parseCommand(['in.mp4', '--validate-subsampel', '2'], OPTIMIZE)).toThrow(/did you mean --validate-subsample\?/);
    // Nothing close: parseArgs's own message, which names the option.
    expect(() => parseCommand(['in.mp4', '--colour-space', 'x'], PLAN)).toThrow(/Unknown option '--colour-space'/);
  });
});
