import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'tsup';

export default defineConfig((cliOptions) => ({
  // The public entries (index, advanced, train: package.json "exports"), the CLI and the VMAF worker.
  entry: { index: 'src/index.ts', advanced: 'src/advanced.ts', train: 'src/train.ts', cli: 'src/cli/main.ts', 'quality-worker': 'src/quality/feature-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', advanced: 'src/advanced.ts', train: 'src/train.ts' } },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
  shims: true,
  // The VMAF WebAssembly kernels (src/quality/wasm/kernels.wasm, built by `npm run build:wasm`)
  // are loaded at run time from next to the bundle (new URL('./kernels.wasm', import.meta.url)).
  // `tsup --out-dir <dir>` (the tests' package build) gets its copy there.
  onSuccess: async () => copyFileSync('src/quality/wasm/kernels.wasm', path.join(cliOptions.outDir ?? 'dist', 'kernels.wasm')),
}));
