import { InvalidOptionsError } from '../errors.js';
import { DEFAULT_CACHE_MAX_BYTES, type CacheOption } from '../encode/segment-cache.js';
import type { CliOption } from './options.js';

/**
 * The cache options of encode, plan and optimize. On the command line the cache is on by default
 * (in the user's cache folder, as ab-av1 does), unlike in the library, where it is opt-in.
 */

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `10G`, `500M`, `1.5GB`, `2GiB`, `123456` (bytes) → bytes. */
export function parseSize(raw: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(raw);
  const bytes = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!(bytes >= 1)) throw new InvalidOptionsError(`--${flag}`, `expected a size such as 10G, 500M or a number of bytes, got ${JSON.stringify(raw)}`);
  return Math.floor(bytes);
}

export const CACHE_OPTIONS = [
  {
    flag: 'cache-dir',
    placeholder: '<dir>',
    kind: 'string',
    help: 'cache of finished chunks and probes (default: $SCENECRF_CACHE_DIR, else\n$XDG_CACHE_HOME/scenecrf, else ~/.cache/scenecrf; see docs/encode.md)',
  },
  { flag: 'cache-size', placeholder: '<size>', kind: 'string', parse: parseSize, default: '10G', help: 'size limit of the cache; least recently used entries go first' },
  { flag: 'no-cache', kind: 'boolean', help: 'neither take from nor add to the cache' },
] as const satisfies readonly CliOption[];

/** The API's `cache` option from the flags: on unless --no-cache. */
export function cliCache(values: { 'cache-dir'?: string; 'cache-size'?: number; 'no-cache'?: boolean }): CacheOption {
  if (values['no-cache']) {
    if (values['cache-dir'] !== undefined || values['cache-size'] !== undefined)
      throw new InvalidOptionsError('--no-cache', 'contradicts --cache-dir and --cache-size');
    return false;
  }
  return { ...(values['cache-dir'] !== undefined ? { dir: values['cache-dir'] } : {}), maxBytes: values['cache-size'] ?? DEFAULT_CACHE_MAX_BYTES };
}

/** Prints warnings (an unusable cache directory) to stderr. */
export function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`scenecrf: warning: ${w}\n`);
}
