import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Temporary names. Every file scenecrf writes through a temporary name (JSON and HTML outputs,
 * manifests, chunks, probes, segment-cache entries, the final video) is written to
 * `.<name>.<pid>.<random>.tmp` beside its target and renamed over it. The pid in the name is what
 * lets a later run tell the leftovers of a killed process (SIGKILL, power loss: no cleanup ran)
 * from the temporaries of a run still writing, and remove only the former.
 */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes the temporaries `tempPathFor(target)` names (and `.<name>.<pid>.tmp`, the name the
 * final video's temporary had before) that were left by processes no longer running. Only
 * regular files with exactly those names go, never those of a live process (including this one)
 * and never any other file, so someone else's `.out.mkv.tmp` or `out.mkv.123.tmp` is safe.
 * Best effort: an unreadable directory or a file that cannot be removed is left as it is.
 * Returns the names removed.
 */
export async function removeStaleTemps(target: string): Promise<string[]> {
  const dir = path.dirname(target);
  const re = new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.([1-9][0-9]{0,6})(?:\\.[0-9a-f]{8})?\\.tmp$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = re.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    const file = path.join(dir, name);
    try {
      if (!(await lstat(file)).isFile()) continue;
      await rm(file, { force: true });
      removed.push(name);
    } catch {
      // Best effort: cleaning up must never fail the write that triggered it.
    }
  }
  return removed;
}

/**
 * Makes a failed write through `tmp` name `target` in its `path` (a full disk is reported by that
 * path, see NoSpaceError): the temporary's name means nothing to the user, and a failed write()
 * names no file at all. Returns `e`.
 */
export function errorForTarget(e: unknown, tmp: string, target: string): unknown {
  const err = e as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (err && typeof err === 'object' && (err.path === undefined || err.path === tmp || err.dest === tmp)) err.path = target;
  return e;
}

/**
 * Writes a file so that readers see either the old content or the complete new one, never a
 * half-written file: write to a temporary name in the same directory, then rename over. After
 * success, temporaries of the same target left by killed processes are removed.
 *
 * A target that exists and is not a regular file (/dev/null, /dev/stdout, a named pipe) is written
 * in place: a rename would replace the device or pipe itself with a file (as root, /dev/null too).
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    await writeFile(target, data);
    return;
  }
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw errorForTarget(e, tmp, target);
  }
  await removeStaleTemps(target);
}
