import { access, constants, stat } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { encodePlan, type EncodePlanOptions, type EncodeProgress, type EncodeResult } from '../encode/chunked.js';
import { readPlan } from '../core/plan-file.js';
import { CACHE_OPTIONS, cliCache, printWarnings } from './cache.js';
import { defineCommand, inFlagTerms, optionGroup, parseCommand, renderHelp, resolveOptions } from './options.js';
import { formatTable, progressBar, type ProgressState } from './progress.js';
import { cliSignal } from './signal.js';
import { showCommands, VERBOSE_OPTION } from './verbose.js';
import { COORDINATOR_OPTIONS, coordinatorFor } from './distributed.js';

/** encodePlan checks jobs and threads by hand (naming its own keys); here they are checked under their flags. */
const atLeastOne = z.number().min(1).optional();

export const ENCODE = defineCommand({
  name: 'encode',
  head: `Usage: scenecrf encode <input> --plan <plan.json> -o <output> [options]

Encodes <input> scene by scene with the encoder, preset and per-scene CRFs of the plan, then
joins the chunks losslessly into <output> (.mkv, .webm, .mp4 or .ivf), with the input's audio,
subtitles and chapters copied over and every frame at its input timestamp. Interrupted runs resume:
chunks finished in the work directory are not encoded again, and the result is byte-identical.`,
  column: 25,
  groups: [
    optionGroup<EncodePlanOptions>()([
      { flag: 'plan', placeholder: '<file>', kind: 'string', help: 'the encode plan (JSON, format "scenecrf-plan")' },
      { flag: 'output', short: 'o', placeholder: '<file>', kind: 'string', key: 'output', help: 'output file' },
      { flag: 'force', short: 'y', kind: 'boolean', key: 'overwrite', help: 'replace the output file if it exists (refused otherwise)' },
      { flag: 'jobs', placeholder: '<n>', kind: 'int', key: 'jobs', default: 1, schema: atLeastOne, help: 'chunks encoded at once' },
      {
        flag: 'threads',
        placeholder: '<n>',
        kind: 'int',
        key: 'threads',
        schema: atLeastOne,
        help: 'threads per chunk (default: cores / jobs; keep it fixed when resuming)',
      },
      { flag: 'work-dir', placeholder: '<dir>', kind: 'string', key: 'workDir', default: '<output>.scenecrf-work', help: 'chunks and manifest' },
      { flag: 'keep-chunks', kind: 'boolean', key: 'keepChunks', help: 'keep the chunk files after success' },
      {
        flag: 'video-only',
        kind: 'boolean',
        key: 'videoOnly',
        help: "encode the video alone: without it the input's audio, subtitles, chapters\nand metadata are copied into the output",
      },
      {
        flag: 'segment-cache',
        placeholder: '<dir>',
        kind: 'string',
        key: 'segmentCache',
        help: 'take a scene\'s chunk from there when it holds the same encode (the probes\nof "scenecrf plan --segment-cache <dir>"); threads per chunk must match;\ninstead of the cache',
      },
      ...CACHE_OPTIONS,
      { flag: 'ffmpeg', placeholder: '<path>', kind: 'string', key: 'ffmpegPath', help: 'ffmpeg executable to use' },
      {
        flag: 'via',
        placeholder: '<ffmpeg|tool>',
        kind: 'string',
        key: 'via',
        schema: z.enum(['ffmpeg', 'tool']).optional(),
        help: "encode with ffmpeg's encoder library (default) or pipe into the\nstandalone SvtAv1EncApp / aomenc / vpxenc",
      },
      { flag: 'tool-path', placeholder: '<path>', kind: 'string', key: 'toolPath', help: 'the standalone encoder program (default: on PATH)' },
      { flag: 'quiet', kind: 'boolean', help: 'no progress bar or summary' },
      VERBOSE_OPTION,
    ]),
    COORDINATOR_OPTIONS,
  ],
});

/** --tool-path is for --via tool, and must name a program this user can run. */
async function assertToolPath(toolPath: string, via: string | undefined): Promise<void> {
  if (via !== 'tool') throw new InvalidOptionsError('--tool-path', 'is the standalone encoder of --via tool; add --via tool (or drop --tool-path)');
  const file = await stat(toolPath).catch(() => undefined);
  if (!file) throw new InvalidOptionsError('--tool-path', `${JSON.stringify(toolPath)} does not exist`);
  if (!file.isFile()) throw new InvalidOptionsError('--tool-path', `${JSON.stringify(toolPath)} is not a file`);
  await access(toolPath, constants.X_OK).catch(() => {
    throw new InvalidOptionsError('--tool-path', `${JSON.stringify(toolPath)} is not executable`);
  });
}

export async function runEncode(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, ENCODE);
  if (!parsed) return 0;
  const { raw, positionals } = parsed;
  if (positionals.length !== 1 || !raw.plan || !raw.output) {
    process.stderr.write(`scenecrf encode: expected one input file, --plan and -o\n\n${renderHelp(ENCODE)}\n`);
    return 2;
  }
  const { values, options } = resolveOptions(ENCODE, parsed);
  if (values['tool-path'] !== undefined) await assertToolPath(values['tool-path'], values.via);
  const plan = await readPlan(values.plan!);
  const bar = progressBar(process.stderr, !values.quiet);
  showCommands(values.verbose, bar);
  let result: EncodeResult;
  const executor = await coordinatorFor(values);
  try {
    result = await inFlagTerms(ENCODE, () =>
      encodePlan(plan, {
        ...(options as Omit<EncodePlanOptions, 'input'>),
        cache: values['segment-cache'] !== undefined ? undefined : cliCache(values),
        input: positionals[0],
        executor,
        signal: cliSignal,
        onProgress: (p) => bar.update(encodeProgress(p.phase === 'concat' ? 'concat' : plan.encoder, p)),
      }),
    );
  } finally {
    bar.done();
    await executor?.close();
  }
  printWarnings(result.warnings);
  if (!values.quiet) process.stdout.write(`${summarizeEncode(result)}\n`);
  return 0;
}

/** An encode's progress line. */
export function encodeProgress(label: string, p: EncodeProgress): ProgressState {
  return { label, done: p.framesDone, total: p.totalFrames, unit: 'frames', rate: p.fps, etaSeconds: p.etaSeconds };
}

export function summarizeEncode(r: EncodeResult): string {
  const head = [
    `${r.output}: ${r.encoder}, ${r.frames} frames, ${(r.bytes / 1024).toFixed(1)} KiB, ${r.bitrateKbps.toFixed(1)} kbit/s`,
    `${r.encodedChunks} chunk(s) encoded, ${r.reusedChunks} reused${r.cachedChunks ? ` (${r.cachedChunks} from the cache)` : ''}; ${r.elapsedSeconds.toFixed(1)} s; manifest ${r.manifest}`,
  ];
  const rows = r.chunks.map((c) => [
    String(c.index),
    `${c.startFrame}-${c.endFrame - 1}`,
    String(c.crf),
    String(c.bytes),
    c.bitrateKbps.toFixed(1),
    c.encodeSeconds.toFixed(2),
    c.cached ? 'cache' : c.reused ? 'yes' : '',
  ]);
  return `${head.join('\n')}\n\n${formatTable(['scene', 'frames', 'crf', 'bytes', 'kbit/s', 'seconds', 'reused'], rows)}`;
}
