/**
 * Vitest global setup: builds the package once per test run into a temporary folder laid out as
 * the published package (package.json, bin/, models/, dist/), never into the checkout's dist/ — a
 * CLI run or an `npm pack` from the checkout during the tests keeps working. Tests that need the
 * built package (the CLI, the consumer type check) read its path with `inject('packageDir')`.
 */
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    packageDir: string;
  }
}

const ROOT = path.resolve(__dirname, '..', '..');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'scenecrf-package-'));
  const pkg = path.join(tmp, 'scenecrf');
  for (const entry of ['package.json', 'bin', 'models', 'schemas', 'README.md']) await cp(path.join(ROOT, entry), path.join(pkg, entry), { recursive: true });
  // The bundles keep their dependencies external, as the published package does; they resolve
  // them from the checkout's node_modules.
  await symlink(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  await execa('npx', ['tsup', '--out-dir', path.join(pkg, 'dist')], { cwd: ROOT, stdin: 'ignore', timeout: 300_000 });
  project.provide('packageDir', pkg);
  return () => rm(tmp, { recursive: true, force: true });
}
