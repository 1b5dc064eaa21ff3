import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Options } from 'tsup';

/**
 * Packages the CommonJS build carries inside itself instead of `require`-ing them: execa is an ES
 * module only, and so are its own dependencies (unicorn-magic exports no "require" condition). A
 * plain `require()` of them works on Node ≥ 20.19, but hooks that compile ES modules to CommonJS on
 * the fly (tsx in a CommonJS project, test runners) then `require` unicorn-magic and fail with
 * ERR_PACKAGE_PATH_NOT_EXPORTED. Bundled, the CommonJS build loads no ES module at all.
 */
const BUNDLED_IN_CJS = ['execa'];

/** The licence texts of the bundled packages and of everything they depend on, shipped beside the bundle. */
function bundledLicences(): string {
  const seen = new Map<string, string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const dir = path.join('node_modules', name);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string; license?: string; dependencies?: Record<string, string> };
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    seen.set(name, `${name}@${pkg.version} (${pkg.license ?? 'see below'})\n\n${file ? readFileSync(path.join(dir, file), 'utf8').trim() : '(no licence file)'}\n`);
    for (const dep of Object.keys(pkg.dependencies ?? {})) if (existsSync(path.join('node_modules', dep, 'package.json'))) visit(dep);
  };
  BUNDLED_IN_CJS.forEach(visit);
  return `The CommonJS build (dist/*.cjs) contains these packages:\n\n${[...seen.keys()].sort().map((n) => seen.get(n)).join('\n---\n\n')}`;
}

export default defineConfig((cliOptions) => {
  const outDir = cliOptions.outDir ?? 'dist';
  // Two builds (ESM, CJS) write into one folder at once, so neither may clean it: it is emptied
  // here, once, before both start.
  rmSync(outDir, { recursive: true, force: true });
  const common: Options = {
    // The public entries (index, advanced, train: package.json "exports"), the CLI and the VMAF worker.
    entry: { index: 'src/index.ts', advanced: 'src/advanced.ts', train: 'src/train.ts', cli: 'src/cli/main.ts', 'quality-worker': 'src/quality/feature-worker.ts' },
    dts: { entry: { index: 'src/index.ts', advanced: 'src/advanced.ts', train: 'src/train.ts' } },
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    splitting: true,
    shims: true,
  };
  return [
    {
      ...common,
      format: ['esm'],
      // The VMAF WebAssembly kernels (src/quality/wasm/kernels.wasm, built by `npm run build:wasm`)
      // are loaded at run time from next to the bundle (new URL('./kernels.wasm', import.meta.url)).
      // `tsup --out-dir <dir>` (the tests' package build) gets its copy there.
      onSuccess: async () => copyFileSync('src/quality/wasm/kernels.wasm', path.join(outDir, 'kernels.wasm')),
    },
    {
      ...common,
      format: ['cjs'],
      noExternal: BUNDLED_IN_CJS,
      onSuccess: async () => writeFileSync(path.join(outDir, 'cjs-bundled-licenses.txt'), bundledLicences()),
    },
  ];
});
