import path from 'node:path';
import { InvalidOptionsError } from '../errors.js';
import { readPlan } from '../core/plan-file.js';
import { writeFileAtomic } from '../util/atomic.js';
import { formatZones, ZONE_FORMATS, type ZoneFormat } from '../zones/zones.js';
import { assertWritableTarget, numberOption, parseCommand, writeFailure } from './options.js';

const HELP = `Usage: scenecrf zones <plan.json> --format <format> [options]

Turns an encode plan into a file another tool accepts. The plan is validated first; nothing is
written for a bad plan.

Formats:
  av1an           Av1an zones file (--zones): "start end encoder [reset] args", end exclusive
  x265            x265 --zones value: "start,end,b=F/..." (end inclusive)
  x265-zonefile   x265 --zonefile contents: "<start frame> --crf N" per scene
  x264            x264 --zones value (same syntax as x265's)
  ffmpeg          POSIX shell script: one ffmpeg encode per scene, then concat
  json            the validated plan itself

Options:
  --format <f>           one of the formats above (required)
  -o, --output <file>    write there (atomically) instead of stdout
  --reset                av1an: emit "reset" (zones ignore Av1an's -v arguments)
  --mode <b|q>           x264/x265 --zones: bitrate factor around --base-crf (default b) or
                         constant QP = the scene's CRF
  --base-crf <n>         x264/x265 b mode: the --crf you run the encoder with
                         (default: median scene CRF)
  --video-output <file>  ffmpeg: the video the script writes (default <input>.scenecrf.mkv)
  --work-dir <dir>       ffmpeg: per-scene files (default <video-output>.scenes)
  -h, --help             this help`;

export async function runZones(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      reset: { type: 'boolean', default: false },
      mode: { type: 'string' },
      'base-crf': { type: 'string' },
      'video-output': { type: 'string' },
      'work-dir': { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`scenecrf zones: expected one plan file, got ${positionals.length}\n\n${HELP}\n`);
    return 2;
  }
  const format = values.format as ZoneFormat | undefined;
  if (!format || !(ZONE_FORMATS as readonly string[]).includes(format))
    throw new InvalidOptionsError('--format', `expected one of ${ZONE_FORMATS.join(', ')}, got ${format === undefined ? 'nothing' : JSON.stringify(format)}`);
  if (values.mode !== undefined && values.mode !== 'b' && values.mode !== 'q') throw new InvalidOptionsError('--mode', `expected b or q, got ${JSON.stringify(values.mode)}`);
  const baseCrf = numberOption('base-crf', values['base-crf']);
  const toFile = values.output !== undefined && values.output !== '-';
  if (toFile) await assertWritableTarget('--output', values.output!);
  const plan = await readPlan(positionals[0]!);
  const videoOutput = values['video-output'] ?? defaultVideoOutput(plan.input.path);
  const text = formatZones(plan, format, {
    reset: values.reset,
    mode: values.mode as 'b' | 'q' | undefined,
    baseCrf,
    output: videoOutput,
    workDir: values['work-dir'],
  });
  if (!toFile) {
    process.stdout.write(text);
    return 0;
  }
  try {
    await writeFileAtomic(values.output!, text);
  } catch (e) {
    process.stderr.write(`scenecrf: cannot write ${JSON.stringify(values.output)}: ${writeFailure(values.output!, e)}\n`);
    return 1;
  }
  return 0;
}

function defaultVideoOutput(input: string): string {
  const ext = path.extname(input);
  return `${ext ? input.slice(0, -ext.length) : input}.scenecrf.mkv`;
}
