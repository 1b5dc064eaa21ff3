/**
 * The command line caches finished chunks and probes in the user's cache folder by default. Tests
 * must never write there, nor share entries between test files (a test counting encoded chunks
 * would see another file's): every test file gets its own empty cache directory, through the
 * variable the CLI reads first, and it is removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'scenecrf-test-cache-'));
process.env.SCENECRF_CACHE_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
