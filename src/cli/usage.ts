/** `scenecrf --help`: the commands (each command's options are in its table, see ./options.ts). */
export const USAGE = `scenecrf — per-scene video pre-analysis for content-adaptive encoding

Usage:
  scenecrf analyze <input> [options]
  scenecrf quality <reference> <distorted> [options]
  scenecrf encode <input> --plan <plan.json> -o <output> [--jobs N] [options]
  scenecrf zones <plan.json> --format <av1an|x265|x265-zonefile|x264|ffmpeg|json> [-o out]
  scenecrf plan <input> --encoder <svt-av1|aom|vp9> (--target-vmaf V | --bitrate KBPS) [--probes N] [--json plan.json]
  scenecrf optimize <input> -o <output> --encoder <e> (--target-vmaf V | --bitrate KBPS) [options]
  scenecrf report <result.json> -o <report.html> [options]
  scenecrf worker --redis <url> [--concurrency N] [--queue name] [--root dir]

Commands:
  analyze     find the shots of a video and measure each scene's complexity
  quality     score a distorted video against its reference (VMAF, PSNR, SSIM, XPSNR)
  encode      encode a plan scene by scene (resumable), concatenated into one file
  zones       turn an encode plan into zone files (Av1an, x265, x264), an ffmpeg script or JSON
  plan        predict per-scene CRFs for a VMAF target or a bitrate budget (an encode plan)
  optimize    plan, encode and check the result's per-scene VMAF in one go
  report      one self-contained HTML page of an analyze, quality, plan or optimize result
  worker      take per-scene jobs of encode/optimize --redis from a Redis queue (docs/deployment.md)

Run "scenecrf <command> --help" for the options of a command.`;
