import { runAnalyze } from './analyze.js';
import { runQuality } from './quality.js';
import { ScenecrfError } from '../errors.js';

const USAGE = `scenecrf — per-scene video pre-analysis for content-adaptive encoding

Usage:
  scenecrf analyze <input> [options]
  scenecrf quality <reference> <distorted> [options]
  scenecrf encode <input> --plan <plan.json> -o <output> [--jobs N] [options]
  scenecrf zones <plan.json> --format <av1an|x265|x265-zonefile|x264|ffmpeg|json> [-o out]
  scenecrf plan <input> --encoder <svt-av1|aom|vp9> (--target-vmaf V | --bitrate KBPS) [--probes N] [--json plan.json]
  scenecrf optimize <input> -o <output> --encoder <e> (--target-vmaf V | --bitrate KBPS) [options]

Commands:
  analyze     find the shots of a video and measure each scene's complexity
  quality     score a distorted video against its reference (VMAF, PSNR, SSIM, XPSNR)
  encode      encode a plan scene by scene (resumable), concatenated into one file
  zones       turn an encode plan into zone files (Av1an, x265, x264), an ffmpeg script or JSON
  plan        predict per-scene CRFs for a VMAF target or a bitrate budget (an encode plan)
  optimize    plan, encode and check the result's per-scene VMAF in one go

Run "scenecrf <command> --help" for the options of a command.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (command === 'analyze') return runAnalyze(rest);
  if (command === 'quality') return runQuality(rest);
  if (command === 'zones') return (await import('./zones.js')).runZones(rest);
  if (command === 'encode') return (await import('./encode.js')).runEncode(rest);
  if (command === 'plan') return (await import('./plan.js')).runPlan(rest);
  if (command === 'optimize') return (await import('./plan.js')).runOptimize(rest);
  process.stderr.write(`scenecrf: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ScenecrfError) {
      process.stderr.write(`scenecrf: ${err.message}\n`);
      process.exitCode = err.code === 'ABORTED' ? 130 : err.code === 'INVALID_OPTIONS' ? 2 : 1;
    } else {
      process.stderr.write(`scenecrf: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
