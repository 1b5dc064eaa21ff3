// Access to ../shared/vmaf-reference (libvmaf 3.2.0 outputs) for the quality tests and benches.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The shared reference folder: `SCENECRF_SHARED` or `../shared` from the project root. */
export const sharedDir = path.resolve(process.env.SCENECRF_SHARED ?? path.join(repoRoot, '..', 'shared'));
export const referenceDir = path.join(sharedDir, 'vmaf-reference');
export const modelsDir = path.join(sharedDir, 'vmaf-models');
export const hasReference = existsSync(path.join(referenceDir, 'clips'));
if (!hasReference) console.warn(`\n*** SKIPPING libvmaf-reference tests: ${referenceDir} is missing ***\n`);

export interface ClipInfo {
  name: string;
  width: number;
  height: number;
  frames: number;
  ref: string;
  dist: string;
}

export function listClips(): ClipInfo[] {
  const summary = JSON.parse(readFileSync(path.join(referenceDir, 'clips', 'clips.summary.json'), 'utf8')) as Array<{
    name: string;
    width: number;
    height: number;
    frames: number;
  }>;
  const dir = path.join(referenceDir, 'clips');
  return summary.map((c) => {
    const ext = ['mkv', 'mp4', 'webm'].find((e) => existsSync(path.join(dir, `${c.name}.dist.${e}`)))!;
    return { ...c, ref: path.join(dir, `${c.name}.ref.mkv`), dist: path.join(dir, `${c.name}.dist.${ext}`) };
  });
}

/** libvmaf's per-frame metrics of a clip, keyed by metric name. */
export function clipLog(name: string): Array<Record<string, number>> {
  const log = JSON.parse(readFileSync(path.join(referenceDir, 'clips', `${name}.vmaf.json`), 'utf8')) as {
    frames: Array<{ frameNum: number; metrics: Record<string, number> }>;
  };
  return log.frames.map((f) => f.metrics);
}

/** Every luma plane of a file, 8-bit, decoded by ffmpeg (the clips are yuv420p). */
export function decodeLuma(file: string, width: number, height: number): Uint8Array[] {
  const raw = execFileSync(
    process.env.FFMPEG_PATH ?? 'ffmpeg',
    ['-nostdin', '-loglevel', 'error', '-i', file, '-map', '0:v:0', '-fps_mode', 'passthrough', '-vf', 'extractplanes=y', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
    { maxBuffer: 1 << 30 },
  );
  const n = width * height;
  const frames: Uint8Array[] = [];
  for (let off = 0; off + n <= raw.length; off += n) frames.push(new Uint8Array(raw.buffer, raw.byteOffset + off, n));
  return frames;
}

export interface FramesCsvRow {
  [column: string]: number;
}

/** frames.csv: libvmaf per-frame features and scores over 421 pairs (numbers only). */
export function readFramesCsv(): FramesCsvRow[] {
  const text = readFileSync(path.join(referenceDir, 'frames.csv'), 'utf8').trim().split('\n');
  const header = text[0]!.split(',');
  return text.slice(1).map((line) => {
    const cells = line.split(',');
    const row: FramesCsvRow = {};
    header.forEach((h, i) => (row[h] = Number(cells[i])));
    return row;
  });
}
