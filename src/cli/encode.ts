import { encodePlan, type EncodeResult } from '../encode/chunked.js';
import { InvalidOptionsError } from '../errors.js';
import { readPlan } from '../core/plan-file.js';
import { intOption, parseCommand } from './options.js';
import { formatTable, progressBar } from './progress.js';
import { cliSignal } from './signal.js';

const HELP = `Usage: scenecrf encode <input> --plan <plan.json> -o <output> [options]

Encodes <input> scene by scene with the encoder, preset and per-scene CRFs of the plan, then
joins the chunks losslessly into <output> (.mkv, .webm, .mp4 or .ivf). Interrupted runs resume:
chunks finished in the work directory are not encoded again, and the result is byte-identical.

Options:
  --plan <file>          the encode plan (JSON, format "scenecrf-plan")
  -o, --output <file>    output file
  --jobs <n>             chunks encoded at once (default 1)
  --threads <n>          threads per chunk (default: cores / jobs; keep it fixed when resuming)
  --work-dir <dir>       chunks and manifest (default <output>.scenecrf-work)
  --keep-chunks          keep the chunk files after success
  --segment-cache <dir>  take a scene's chunk from there when it holds the same encode (the probes
                         of "scenecrf plan --segment-cache <dir>"); threads per chunk must match
  --ffmpeg <path>        ffmpeg executable to use
  --via <ffmpeg|tool>    encode with ffmpeg's encoder library (default) or pipe into the
                         standalone SvtAv1EncApp / aomenc / vpxenc
  --tool-path <path>     the standalone encoder program (default: on PATH)
  --quiet                no progress bar or summary
  -h, --help             this help`;

export async function runEncode(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      plan: { type: 'string' },
      output: { type: 'string', short: 'o' },
      jobs: { type: 'string' },
      threads: { type: 'string' },
      'work-dir': { type: 'string' },
      'keep-chunks': { type: 'boolean', default: false },
      'segment-cache': { type: 'string' },
      ffmpeg: { type: 'string' },
      via: { type: 'string' },
      'tool-path': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values.plan || !values.output) {
    process.stderr.write(`scenecrf encode: expected one input file, --plan and -o\n\n${HELP}\n`);
    return 2;
  }
  const jobs = intOption('jobs', values.jobs);
  const threads = intOption('threads', values.threads);
  if (jobs === 0) throw new InvalidOptionsError('--jobs', 'must be at least 1');
  if (threads === 0) throw new InvalidOptionsError('--threads', 'must be at least 1');
  const plan = await readPlan(values.plan);
  const bar = progressBar(process.stderr, !values.quiet);
  let result: EncodeResult;
  try {
    result = await encodePlan(plan, {
      input: positionals[0],
      output: values.output,
      workDir: values['work-dir'],
      jobs,
      threads,
      keepChunks: values['keep-chunks'],
      segmentCache: values['segment-cache'],
      ffmpegPath: values.ffmpeg,
      via: values.via as 'ffmpeg' | 'tool' | undefined,
      toolPath: values['tool-path'],
      signal: cliSignal,
      onProgress: (p) => bar.update(p.framesDone, p.totalFrames, p.fps, p.etaSeconds, p.phase === 'concat' ? 'concat' : plan.encoder),
    });
  } finally {
    bar.done();
  }
  if (!values.quiet) process.stdout.write(`${summarizeEncode(result)}\n`);
  return 0;
}

export function summarizeEncode(r: EncodeResult): string {
  const head = [
    `${r.output}: ${r.encoder}, ${r.frames} frames, ${(r.bytes / 1024).toFixed(1)} KiB, ${r.bitrateKbps.toFixed(1)} kbit/s`,
    `${r.encodedChunks} chunk(s) encoded, ${r.reusedChunks} reused; ${r.elapsedSeconds.toFixed(1)} s; manifest ${r.manifest}`,
  ];
  const rows = r.chunks.map((c) => [
    String(c.index),
    `${c.startFrame}-${c.endFrame - 1}`,
    String(c.crf),
    String(c.bytes),
    c.bitrateKbps.toFixed(1),
    c.encodeSeconds.toFixed(2),
    c.reused ? 'yes' : '',
  ]);
  return `${head.join('\n')}\n\n${formatTable(['scene', 'frames', 'crf', 'bytes', 'kbit/s', 'seconds', 'reused'], rows)}`;
}
