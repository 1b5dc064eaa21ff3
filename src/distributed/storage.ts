import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidOptionsError } from '../errors.js';

/**
 * Where workers read inputs and write results. Jobs name files by path; a storage turns a named
 * file into one this machine can read or write, and publishes a written file atomically (complete
 * or absent, never partial). `sharedFsStorage` is a shared filesystem mounted at the same path on
 * every machine (NFS, a bind mount); an object store would implement the same three operations
 * (download the input to a local cache, upload the result under its name).
 */
export interface JobStorage {
  /** A local path to read the named input from; refuses names outside the storage. */
  readable(name: string): Promise<string>;
  /**
   * Writes the named output: `write` gets a local temporary path to fill; when it resolves the file
   * is published under `name` in one step, when it throws the temporary is removed.
   */
  writeAtomically<T>(name: string, write: (temp: string) => Promise<T>): Promise<T>;
  /** The size of a stored file, undefined when there is none. */
  size(name: string): Promise<number | undefined>;
}

/** Temporaries of a worker go in this folder beside their target, out of the way of the coordinator's own sweep of `*.tmp` files. */
export const INCOMING_DIR = '.scenecrf-incoming';

/**
 * A shared filesystem under `root`: every name must resolve (symbolic links followed) inside it,
 * so a job cannot make a worker read or write anywhere else on its machine. Results are written
 * under `<dir>/.scenecrf-incoming/` and renamed into `<dir>` (same filesystem: atomic).
 */
export function sharedFsStorage(root: string): JobStorage {
  const base = path.resolve(root);
  let realBase: string | undefined;
  const inside = async (name: string, what: string): Promise<string> => {
    realBase ??= await realpath(base).catch(() => {
      throw new InvalidOptionsError('storage root', `${JSON.stringify(base)} does not exist`);
    });
    const resolved = path.resolve(name);
    // The deepest existing ancestor decides: a symlink inside the root may point out of it.
    let probe = resolved;
    let real: string | undefined;
    for (;;) {
      real = await realpath(probe).catch(() => undefined);
      if (real !== undefined || path.dirname(probe) === probe) break;
      probe = path.dirname(probe);
    }
    const full = real === undefined ? resolved : path.join(real, path.relative(probe, resolved));
    const rel = path.relative(realBase, full);
    if (rel.startsWith('..') || path.isAbsolute(rel))
      throw new InvalidOptionsError('job payload', `${what} ${JSON.stringify(name)} is outside this worker's storage root ${JSON.stringify(base)}`);
    return full;
  };
  return {
    readable: (name) => inside(name, 'input'),
    async writeAtomically(name, write) {
      const target = await inside(name, 'output');
      const incoming = path.join(path.dirname(target), INCOMING_DIR);
      await mkdir(incoming, { recursive: true });
      const temp = path.join(incoming, `${path.basename(target)}.${os.hostname()}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        const result = await write(temp);
        await rename(temp, target);
        return result;
      } finally {
        await rm(temp, { force: true });
      }
    },
    async size(name) {
      const s = await stat(await inside(name, 'file')).catch(() => undefined);
      return s?.isFile() ? s.size : undefined;
    },
  };
}
