/**
 * The package as a consumer sees it: the built package (test/setup/package-build.ts) installed into
 * a fresh TypeScript project. The README's examples must type-check against the main entry alone,
 * the docs' examples against the entry they import, and the main entry stays a curated face.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const PUBLIC_ENTRIES = ['scenecrf', 'scenecrf/advanced', 'scenecrf/train'];
/** The main entry's budget of runtime exports: the pipeline verbs, model loading, errors. */
const MAIN_ENTRY_MAX_VALUES = 40;

interface Example {
  file: string;
  line: number;
  code: string;
}

/** ```ts blocks of a markdown file. */
function examples(file: string): Example[] {
  const out: Example[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    while (i + 1 < lines.length && !/^```\s*$/.test(lines[++i]!));
    out.push({ file: path.relative(ROOT, file), line: start + 1, code: lines.slice(start, i).join('\n') });
  }
  return out;
}

/** Packages an example imports (Node's built-in modules aside). */
const importedModules = (code: string) => [...code.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!).filter((m) => !m.startsWith('node:'));

const readme = examples(path.join(ROOT, 'README.md'));
const docs = readdirSync(path.join(ROOT, 'docs'))
  .filter((n) => n.endsWith('.md'))
  .sort()
  .flatMap((n) => examples(path.join(ROOT, 'docs', n)));

let consumer: string;

beforeAll(async () => {
  consumer = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-consumer-'));
  await mkdir(path.join(consumer, 'node_modules', '@types'), { recursive: true });
  await symlink(inject('packageDir'), path.join(consumer, 'node_modules', 'scenecrf'), 'dir');
  await symlink(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(consumer, 'node_modules', '@types', 'node'), 'dir');
  await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
});

afterAll(async () => {
  if (consumer) await rm(consumer, { recursive: true, force: true });
});

describe('the package as a consumer installs it', () => {
  it('the README has examples, and they import the main entry only', () => {
    expect(readme.length).toBeGreaterThan(0);
    for (const ex of readme) expect({ at: `${ex.file}:${ex.line}`, modules: importedModules(ex.code) }).toEqual({ at: `${ex.file}:${ex.line}`, modules: importedModules(ex.code).map(() => 'scenecrf') });
  });

  it('every TypeScript example of the README and docs/ type-checks against the built package', async () => {
    const all = [...readme, ...docs];
    for (const ex of all) for (const m of importedModules(ex.code)) expect(PUBLIC_ENTRIES, `${ex.file}:${ex.line} imports ${m}`).toContain(m);
    const dir = path.join(consumer, 'examples');
    await mkdir(dir, { recursive: true });
    const names = await Promise.all(
      all.map(async (ex, i) => {
        const name = `${String(i).padStart(2, '0')}-${ex.file.replace(/[^a-z0-9]+/gi, '-')}-${ex.line}.ts`;
        // `export {}` keeps every example a module of its own (top-level await, no shared names).
        await writeFile(path.join(dir, name), `${ex.code}\nexport {};\n`);
        return name;
      }),
    );
    await writeFile(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], skipLibCheck: false },
        files: names.map((n) => `examples/${n}`),
      }),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await execa(process.execPath, [tsc, '-p', consumer], { cwd: consumer, reject: false });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  }, 120_000);

  it('npm pack ships the entries with their types, the bin and the models, and not the unused ESM CLI', async () => {
    // The package folder the global setup built, packed as npm would publish it (no build scripts run).
    const r = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: inject('packageDir') });
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const entry of ['index', 'advanced', 'train']) for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(files).toContain(`dist/${entry}.${ext}`);
    for (const f of ['bin/scenecrf.cjs', 'dist/cli.cjs', 'dist/quality-worker.cjs', 'dist/kernels.wasm', 'dist/cjs-bundled-licenses.txt', 'models/crf-svt-av1-v1.json', 'package.json', 'README.md']) expect(files).toContain(f);
    for (const kind of ['analysis', 'quality', 'plan', 'optimize']) expect(files).toContain(`schemas/${kind}.schema.json`);
    // bin/scenecrf.cjs loads dist/cli.cjs only.
    expect(files.filter((f) => /^dist\/cli\.js/.test(f))).toEqual([]);
  });

  /** Runs a script in the consumer project (so `scenecrf/...` resolves through the package's exports map). */
  async function inConsumer(kind: 'esm' | 'cjs', body: string): Promise<Record<string, unknown>> {
    const file = path.join(consumer, kind === 'esm' ? 'probe.mjs' : 'probe.cjs');
    await writeFile(file, body);
    const r = await execa(process.execPath, [file], { cwd: consumer });
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  it(`the main entry exports at most ${MAIN_ENTRY_MAX_VALUES} values, the same from import and require`, async () => {
    const esm = await inConsumer('esm', `import * as m from 'scenecrf';\nconsole.log(JSON.stringify({ names: Object.keys(m).sort() }));`);
    const cjs = await inConsumer('cjs', `const m = require('scenecrf');\nconsole.log(JSON.stringify({ names: Object.keys(m).filter((k) => k !== '__esModule').sort() }));`);
    const values = esm.names as string[];
    expect(values.length).toBeLessThanOrEqual(MAIN_ENTRY_MAX_VALUES);
    expect(cjs.names).toEqual(values);
    for (const verb of ['analyzeVideo', 'measureQuality', 'planEncode', 'encodePlan', 'optimizeEncode', 'formatZones', 'loadCrfModel']) expect(values).toContain(verb);
  });

  it('the JSON Schemas resolve as scenecrf/schemas/<kind>.schema.json from require and import', async () => {
    const cjs = await inConsumer('cjs', `console.log(JSON.stringify({ id: require('scenecrf/schemas/plan.schema.json').$id }));`);
    const esm = await inConsumer('esm', `const s = await import('scenecrf/schemas/analysis.schema.json', { with: { type: 'json' } });\nconsole.log(JSON.stringify({ id: s.default.$id }));`);
    expect(cjs.id).toBe('urn:scenecrf:plan:1');
    expect(esm.id).toBe('urn:scenecrf:analysis:1');
  });

  it('the subpath entries load from import and require, export disjoint names, and throw the main entry\'s error classes', async () => {
    // A building block of scenecrf/advanced refuses a negative CRF jump; its error must be the class
    // the main entry exports, or `instanceof` breaks for users (each bundle with its own copy).
    const check = (load: (entry: string) => string) => `
      ${load('scenecrf')}; ${load('scenecrf/advanced')}; ${load('scenecrf/train')};
      let sameClass = false;
      try { advanced.limitCrfJumps([10, 20], -1); } catch (e) { sameClass = e instanceof main.InvalidOptionsError; }
      const names = [main, advanced, train].map((m) => Object.keys(m).filter((k) => k !== '__esModule'));
      const twice = names.flat().filter((n, i, all) => all.indexOf(n) !== i);
      console.log(JSON.stringify({ counts: names.map((n) => n.length), sameClass, twice }));`;
    const alias = (entry: string) => ({ scenecrf: 'main', 'scenecrf/advanced': 'advanced', 'scenecrf/train': 'train' })[entry];
    const esm = await inConsumer('esm', check((e) => `const ${alias(e)} = await import('${e}')`));
    const cjs = await inConsumer('cjs', `(async () => {${check((e) => `const ${alias(e)} = require('${e}')`)}})();`);
    for (const r of [esm, cjs]) {
      expect((r.counts as number[]).every((n) => n > 0)).toBe(true);
      expect(r.sameClass).toBe(true);
      // One way to reach each name: an entry re-exporting another's names would make two homes.
      expect(r.twice).toEqual([]);
    }
  });
});

/**
 * The README promises notebooks and scripts through tsx and ts-node. Each runs a script that imports
 * scenecrf and analyses a clip (so execa and its ES-module-only dependencies load and spawn ffmpeg),
 * in a CommonJS project (`npm init -y`) and in an ES module one, with the package installed from the
 * tarball `npm pack` makes. tsx in a CommonJS project compiles ES modules it meets to CommonJS, which
 * used to fail inside execa's dependencies (ERR_PACKAGE_PATH_NOT_EXPORTED from unicorn-magic).
 */
describe('TypeScript runners in CommonJS and ES module projects', () => {
  let runners: string;
  const rootVersion = (name: string) => (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  /** ts-node's last release; it needs the TypeScript JavaScript API (5.x, not the native 7). */
  const TS_NODE = 'ts-node@10.9.2';
  const clip = path.join(ROOT, 'fixtures', 'cuts.mp4');
  const script = `import { analyzeVideo, ENCODERS } from 'scenecrf';
import { detectShots } from 'scenecrf/advanced';

async function main(): Promise<void> {
  const result = await analyzeVideo(${JSON.stringify(clip)}, { backend: 'native' });
  console.log(JSON.stringify({ scenes: result.scenes.length, encoders: ENCODERS.length, advanced: typeof detectShots }));
}
main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
`;

  beforeAll(async () => {
    runners = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-runners-'));
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', runners], { cwd: inject('packageDir') });
    const tarball = path.join(runners, packed.stdout.trim().split('\n').pop()!);
    // One install shared by both projects (they sit below it and resolve packages upwards).
    await writeFile(path.join(runners, 'package.json'), JSON.stringify({ name: 'runners', private: true }));
    await execa(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball, `tsx@${rootVersion('tsx')}`, TS_NODE, `typescript@${rootVersion('typescript')}`, `@types/node@${rootVersion('@types/node')}`],
      { cwd: runners, timeout: 240_000 },
    );
    for (const kind of ['cjs', 'esm'] as const) {
      const dir = path.join(runners, kind);
      await mkdir(dir);
      await execa('npm', ['init', '-y'], { cwd: dir });
      if (kind === 'esm') await execa('npm', ['pkg', 'set', 'type=module'], { cwd: dir });
      // ts-node needs a tsconfig; "nodenext" follows package.json "type" (CommonJS or ES module
      // output) and reads the package's "exports" (scenecrf/advanced), where "commonjs" would not.
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, types: ['node'] } }));
      await writeFile(path.join(dir, 'script.ts'), script);
    }
  }, 300_000);

  afterAll(async () => {
    if (runners) await rm(runners, { recursive: true, force: true });
  });

  const bin = (name: string) => path.join(runners, 'node_modules', '.bin', name);
  const cases = [
    { kind: 'cjs', runner: 'tsx', command: () => [bin('tsx'), 'script.ts'] },
    { kind: 'esm', runner: 'tsx', command: () => [bin('tsx'), 'script.ts'] },
    { kind: 'cjs', runner: 'ts-node', command: () => [bin('ts-node'), 'script.ts'] },
    { kind: 'esm', runner: 'ts-node', command: () => [process.execPath, '--loader', 'ts-node/esm', 'script.ts'] },
  ] as const;

  it.each(cases)('$runner runs a script in a $kind project', async ({ kind, command }) => {
    const [file, ...args] = command();
    expect(JSON.parse(readFileSync(path.join(runners, kind, 'package.json'), 'utf8')).type ?? 'commonjs').toBe(kind === 'esm' ? 'module' : 'commonjs');
    const r = await execa(file!, args, { cwd: path.join(runners, kind), reject: false, timeout: 120_000 });
    // (Node warns that --loader is experimental: a warning, not an error.)
    expect(r.stderr).not.toMatch(/error|ERR_/i);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ scenes: 4, encoders: 3, advanced: 'function' });
  });

  it('the CommonJS build requires no ES-module-only package, and ships the licences of what it bundles', () => {
    const dist = path.join(inject('packageDir'), 'dist');
    const cjs = readdirSync(dist).filter((f) => f.endsWith('.cjs'));
    const required = new Set(cjs.flatMap((f) => [...readFileSync(path.join(dist, f), 'utf8').matchAll(/require\(["']([^"'./][^"']*)["']\)/g)].map((m) => m[1]!)));
    const packages = [...required].filter((m) => !builtinModules.includes(m.replace(/^node:/, '')));
    const dependencies = Object.keys((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    expect(packages.length).toBeGreaterThan(0);
    for (const name of packages) expect(dependencies, `dist/*.cjs requires ${name}`).toContain(name);
    expect(packages).not.toContain('execa');
    expect(readFileSync(path.join(dist, 'cjs-bundled-licenses.txt'), 'utf8')).toMatch(/^execa@\d/m);
  });
});
