/**
 * Filter graphs that grow with the number of scenes: a `select` expression for many frame
 * windows, and how to hand ffmpeg a graph too long for one command-line argument.
 * Linux refuses any single argument over 128 KiB (E2BIG) and Windows a whole command line over
 * 32 767 characters; a graph with one term per scene (the proxy reference's `select`) passes
 * both on a film with a few thousand shots. Long graphs go through a file instead, and the option
 * that reads one depends on the ffmpeg version: `-filter_script:v` from the oldest builds up to
 * 8.x (deprecated in 7.1, removed in 9.0), `-/filter:v` (read an option's value from a file)
 * from 7.0.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Graphs up to this many characters stay on the command line (well under Windows' limit for the whole line). */
export const INLINE_FILTER_LIMIT = 8_000;

/**
 * The major version in `ffmpeg -version`'s first line ("ffmpeg version 5.1.9-0+deb12u1 …",
 * "ffmpeg version n7.1 …", "ffmpeg version 6.1.1-static …"), or null for a git build
 * ("ffmpeg version N-113000-g…") or anything else.
 */
export function ffmpegMajorVersion(versionLine: string): number | null {
  const m = /\bversion\s+n?(\d+)\.\d+/.exec(versionLine);
  return m ? Number(m[1]) : null;
}

/**
 * The option that reads a video filter graph from `file` in this ffmpeg: `-filter_script:v`
 * through 8.x, `-/filter:v` from 9.0 and for git builds (null version), which are recent.
 */
export function filterScriptArgs(majorVersion: number | null, file: string): string[] {
  return majorVersion !== null && majorVersion < 9 ? ['-filter_script:v', file] : ['-/filter:v', file];
}

/**
 * A `select` filter expression true exactly on the frames of `windows` ([startFrame, endFrame),
 * sorted and disjoint), with its commas escaped for a filter graph. ffmpeg's expression parser
 * refuses a chain of more than 100 terms joined by `+` (each one nests a level, and it stops at
 * 100), so a flat sum breaks on a video with 101 scenes; a balanced `if(lt(n, …), left, right)`
 * tree nests only log₂(scenes) levels, and evaluates that many terms per frame instead of one per
 * scene (on 5600 windows over 55 000 frames: 4 s instead of 32 s).
 */
export function frameWindowsSelect(windows: ReadonlyArray<{ startFrame: number; endFrame: number }>): string {
  const build = (lo: number, hi: number): string => {
    if (hi - lo <= 4) return windows.slice(lo, hi).map((w) => `between(n\\,${w.startFrame}\\,${w.endFrame - 1})`).join('+');
    const mid = (lo + hi) >> 1;
    return `if(lt(n\\,${windows[mid]!.startFrame})\\,${build(lo, mid)}\\,${build(mid, hi)})`;
  };
  return windows.length ? build(0, windows.length) : '0';
}

/**
 * Output options applying the video filter `graph`: `-vf graph` when it is short, else the graph
 * is written to `<dir>/<name>` and read from there (`filterScriptArgs`). `dir` must exist and is
 * the caller's to remove.
 */
export async function videoFilterArgs(graph: string, ffmpegVersionLine: string, dir: string, name = 'filter.txt'): Promise<string[]> {
  if (graph.length <= INLINE_FILTER_LIMIT) return ['-vf', graph];
  const file = path.join(dir, name);
  await writeFile(file, graph);
  return filterScriptArgs(ffmpegMajorVersion(ffmpegVersionLine), file);
}
