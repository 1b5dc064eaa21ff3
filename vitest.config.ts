import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the package once into a temporary folder (test/setup/package-build.ts).
    globalSetup: ['test/setup/package-build.ts'],
    // Each test file's own cache directory (SCENECRF_CACHE_DIR), never the user's.
    setupFiles: ['test/setup/cache-dir.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Tests spawn ffmpeg; two cores -> keep file-level parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
