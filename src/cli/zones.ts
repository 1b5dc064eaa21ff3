import path from 'node:path';
import { z } from 'zod';
import { readPlan } from '../core/plan-file.js';
import { writeFileAtomic } from '../util/atomic.js';
import { formatZones, zoneFormatNotes, ZONE_FORMATS, type FormatZonesOptions, type ZoneFormat } from '../zones/zones.js';
import { assertWritableTarget, defineCommand, optionGroup, parseCommand, renderHelp, resolveOptions, writeFailure } from './options.js';

/** What formatZones is called with: the format, and its options. */
type ZonesCall = FormatZonesOptions & { format: ZoneFormat };

export const ZONES = defineCommand({
  name: 'zones',
  head: `Usage: scenecrf zones <plan.json> --format <format> [options]

Turns an encode plan into a file another tool accepts. The plan is validated first; nothing is
written for a bad plan.

Formats:
  av1an           Av1an zones file (--zones): "start end encoder [reset] args", end exclusive
  x265            x265 --zones value: "start,end,b=F/..." (end inclusive)
  x265-zonefile   x265 --zonefile contents: "<start frame> --crf N" per scene
  x264            x264 --zones value (same syntax as x265's)
  ffmpeg          POSIX shell script: one ffmpeg encode per scene, then concat
  json            the validated plan itself`,
  column: 25,
  groups: [
    optionGroup<ZonesCall>()([
      { flag: 'format', placeholder: '<f>', kind: 'string', key: 'format', schema: z.enum(ZONE_FORMATS), help: 'one of the formats above (required)' },
      { flag: 'output', short: 'o', placeholder: '<file>', kind: 'string', help: 'write there (atomically) instead of stdout' },
      { flag: 'reset', kind: 'boolean', key: 'reset', help: 'av1an: emit "reset" (zones ignore Av1an\'s -v arguments)' },
      {
        flag: 'mode',
        placeholder: '<b|q>',
        kind: 'string',
        key: 'mode',
        schema: z.enum(['b', 'q']).optional(),
        help: 'x264/x265 --zones: bitrate factor around --base-crf (default b) or\nconstant QP = the scene\'s CRF',
      },
      {
        flag: 'base-crf',
        placeholder: '<n>',
        kind: 'number',
        key: 'baseCrf',
        help: 'x264/x265 b mode: the --crf you run the encoder with\n(default: median scene CRF)',
      },
      { flag: 'video-output', placeholder: '<file>', kind: 'string', key: 'output', default: '<input>.scenecrf.mkv', help: 'ffmpeg: the video the script writes' },
      { flag: 'work-dir', placeholder: '<dir>', kind: 'string', key: 'workDir', default: '<video-output>.scenes', help: 'ffmpeg: per-scene files' },
    ]),
  ],
});

export async function runZones(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, ZONES);
  if (!parsed) return 0;
  const { positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`scenecrf zones: expected one plan file, got ${positionals.length}\n\n${renderHelp(ZONES)}\n`);
    return 2;
  }
  const { values, options } = resolveOptions(ZONES, parsed);
  const { format, ...zoneOptions } = options as ZonesCall;
  const toFile = values.output !== undefined && values.output !== '-';
  if (toFile) await assertWritableTarget('--output', values.output!);
  const plan = await readPlan(positionals[0]!);
  const text = formatZones(plan, format, { ...zoneOptions, output: zoneOptions.output ?? defaultVideoOutput(plan.input.path) });
  for (const note of zoneFormatNotes(plan, format)) process.stderr.write(`scenecrf zones: note: ${note}\n`);
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
