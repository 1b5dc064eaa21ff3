import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts', 'quality-worker': 'src/quality/feature-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: false,
  shims: true,
  // The VMAF WebAssembly kernels (src/quality/wasm/kernels.wasm, built by `npm run build:wasm`)
  // are loaded at run time from next to the bundle (new URL('./kernels.wasm', import.meta.url)).
  onSuccess: async () => copyFileSync('src/quality/wasm/kernels.wasm', 'dist/kernels.wasm'),
});
