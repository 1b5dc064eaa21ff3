import { InvalidOptionsError } from '../errors.js';
import { ENCODERS, type EncoderName } from '../core/encoders.js';
import type { SceneVerdict } from '../plan/assess.js';
import { optimizeEncode, type OptimizeResult } from '../optimize/optimize.js';
import { planEncode, type PlanEncodeOptions, type PlanEncodeResult } from '../optimize/plan-encode.js';
import { writeFileAtomic } from '../util/atomic.js';
import { formatZones, ZONE_FORMATS, type ZoneFormat } from '../zones/zones.js';
import { summarizeEncode } from './encode.js';
import { assertWritableTarget, intOption, numberOption, parseCommand, writeFailure } from './options.js';
import { formatTable, progressBar } from './progress.js';
import { cliSignal } from './signal.js';

const PLAN_OPTIONS_HELP = `  --encoder <e>          svt-av1, aom or vp9 (required)
  --target-vmaf <v>      per-scene VMAF target (this or --bitrate)
  --bitrate <kbps>       average bitrate budget for the whole video, kbit/s
  --stat <mean|p5>       per-scene statistic of the target / budget (default mean)
  --preset <n>           encoder speed (default: the preset the model was trained at)
  --crf-min <n>          lowest CRF a scene may get
  --crf-max <n>          highest CRF a scene may get
  --max-crf-jump <n>     largest CRF change between neighbouring scenes
  --probes <n>           trial encodes per scene to refine the prediction (default 0)
  --probe-frames <n|all> a probe encodes at most n frames from the middle of the scene (default all)
  --probe-trust <n>      after probing, a scene's CRF stays within n of its probed CRFs
                         (--target-vmaf only; default 8 with a proxy model, 63 = off with a plain one)
  --segment-cache <dir>  keep the probe encodes there (and take probes already there); "scenecrf
                         encode --segment-cache <dir>" then reuses each whole-scene probe whose
                         CRF the plan kept instead of encoding that scene again
  --proxy, --no-proxy    measure each scene's proxy curve (small fast encodes) and predict with
                         the shipped proxy model (default: on with --probes, or optimize's
                         --rounds, when one is shipped)
  --model <file>         CRF model (default: the shipped models/crf-<encoder>[-proxy]-v1.json)
  --bit-depth <8|10>     output bit depth (default 8)
  --ffmpeg <path>        ffmpeg executable to use
  --quiet                no progress bar or summary`;

const PLAN_HELP = `Usage: scenecrf plan <input> --encoder <e> (--target-vmaf <v> | --bitrate <kbps>) [options]

Analyses <input>, predicts every scene's VMAF and size at each CRF with the encoder's model, and
chooses per-scene CRFs: the highest CRF that reaches the target, or the equal-slope allocation
that fits the bitrate budget. Prints a per-scene table; writes the plan and zone files.

Options:
${PLAN_OPTIONS_HELP}
  --json <file>          write the plan (format "scenecrf-plan") there, atomically
  --zones <file>         also write a zone file there ...
  --format <f>           ... in this format: ${ZONE_FORMATS.join(', ')} (default av1an)
  -h, --help             this help`;

const OPTIMIZE_HELP = `Usage: scenecrf optimize <input> -o <output> --encoder <e> (--target-vmaf <v> | --bitrate <kbps>) [options]

Plan, encode and validate in one go: plans per-scene CRFs (as "scenecrf plan"), encodes them
scene by scene (as "scenecrf encode", resumable), measures every scene's VMAF and reports hits
and misses against the target. With --rounds, scenes that missed are re-encoded with corrected
CRFs (only those scenes are encoded again).

Options:
${PLAN_OPTIONS_HELP}
  -o, --output <file>    output video (.mkv, .webm, .mp4, .ivf)
  --jobs <n>             chunks encoded at once (default 1)
  --work-dir <dir>       chunks and manifest (default <output>.scenecrf-work)
  --tolerance <v>        a scene within this many VMAF points of the target is a hit (default 1)
  --rounds <n>           re-encode rounds for missed scenes (default 0)
  --validate-subsample <n>  the VMAF check scores every n-th frame (default 1: every frame;
                         the benchmarks use 2, which halves its cost)
  --no-validate          skip the VMAF check after the encode
  --json <file>          write a JSON report (plan, predictions, validation) there
  -h, --help             this help`;

const PLAN_ARGS = {
  encoder: { type: 'string' },
  'target-vmaf': { type: 'string' },
  bitrate: { type: 'string' },
  stat: { type: 'string' },
  preset: { type: 'string' },
  'crf-min': { type: 'string' },
  'crf-max': { type: 'string' },
  'max-crf-jump': { type: 'string' },
  probes: { type: 'string' },
  'probe-frames': { type: 'string' },
  'segment-cache': { type: 'string' },
  'probe-trust': { type: 'string' },
  model: { type: 'string' },
  proxy: { type: 'boolean' },
  'no-proxy': { type: 'boolean' },
  'bit-depth': { type: 'string' },
  ffmpeg: { type: 'string' },
  json: { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const;

function planOptions(values: Record<string, string | boolean | undefined>): PlanEncodeOptions {
  const encoder = values.encoder as string | undefined;
  if (!encoder || !(ENCODERS as readonly string[]).includes(encoder))
    throw new InvalidOptionsError('--encoder', `expected one of ${ENCODERS.join(', ')}, got ${encoder === undefined ? 'nothing' : JSON.stringify(encoder)}`);
  const stat = values.stat as string | undefined;
  if (stat !== undefined && stat !== 'mean' && stat !== 'p5') throw new InvalidOptionsError('--stat', `expected mean or p5, got ${JSON.stringify(stat)}`);
  const bitDepth = intOption('bit-depth', values['bit-depth'] as string | undefined);
  if (bitDepth !== undefined && bitDepth !== 8 && bitDepth !== 10) throw new InvalidOptionsError('--bit-depth', `expected 8 or 10, got ${bitDepth}`);
  if (values.proxy && values['no-proxy']) throw new InvalidOptionsError('--proxy', 'give --proxy or --no-proxy, not both');
  return {
    encoder: encoder as EncoderName,
    targetVmaf: numberOption('target-vmaf', values['target-vmaf'] as string | undefined),
    bitrateKbps: numberOption('bitrate', values.bitrate as string | undefined),
    stat: stat as 'mean' | 'p5' | undefined,
    preset: intOption('preset', values.preset as string | undefined),
    crfMin: intOption('crf-min', values['crf-min'] as string | undefined),
    crfMax: intOption('crf-max', values['crf-max'] as string | undefined),
    maxCrfJump: intOption('max-crf-jump', values['max-crf-jump'] as string | undefined),
    probes: intOption('probes', values.probes as string | undefined),
    probeFrames: values['probe-frames'] === 'all' ? 'all' : intOption('probe-frames', values['probe-frames'] as string | undefined),
    segmentCache: values['segment-cache'] as string | undefined,
    probeTrust: intOption('probe-trust', values['probe-trust'] as string | undefined),
    model: values.model as string | undefined,
    proxy: values.proxy ? true : values['no-proxy'] ? false : undefined,
    bitDepth: bitDepth as 8 | 10 | undefined,
    ffmpegPath: values.ffmpeg as string | undefined,
  };
}

/** The per-scene table both commands print. */
export function summarizePlan(r: PlanEncodeResult): string {
  const goal = r.mode === 'target' ? `target VMAF ${r.target} (${r.stat})` : `budget ${r.bitrateKbps} kbit/s (maximising ${r.stat} VMAF)`;
  const head = [
    `${r.plan.input.path}: ${r.plan.scenes.length} scenes, ${r.plan.encoder} preset ${r.plan.preset}, ${goal}`,
    `predicted: ${r.predicted.bitrateKbps.toFixed(1)} kbit/s, VMAF mean ${r.predicted.vmafMean.toFixed(2)}, lowest scene p5 ${r.predicted.vmafP5Min.toFixed(2)}` +
      (r.predicted.budgetMet === false ? ' (budget cannot be met within the CRF bounds)' : ''),
    `model: ${r.model.path} (trained on ${r.model.trainedOn.length} videos at preset ${r.model.preset}${r.model.proxy ? '; with proxy curves' : ''})`,
    ...r.warnings.map((w) => `warning: ${w}`),
  ];
  const rows = r.scenes.map((s) => [
    String(s.index),
    `${s.startFrame}-${s.endFrame - 1}`,
    s.complexity.toFixed(2),
    String(s.crf),
    s.predictedVmafMean.toFixed(2),
    s.predictedVmafP5.toFixed(2),
    ((s.predictedBytes * 8) / 1000 / ((s.endFrame - s.startFrame) / (r.plan.input.frameRate.num / r.plan.input.frameRate.den))).toFixed(0),
    s.probes.map((p) => `${p.crf}→${(r.stat === 'p5' ? p.vmafP5 : p.vmafMean).toFixed(1)}`).join(' '),
    r.mode === 'target' && !s.reached ? 'unreachable' : '',
  ]);
  return `${head.join('\n')}\n\n${formatTable(['scene', 'frames', 'complexity', 'crf', 'vmaf', 'vmaf p5', 'kbit/s', 'probes', ''], rows)}`;
}

async function writeOut(target: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(target, text);
  } catch (e) {
    throw new InvalidOptionsError('output', `cannot write ${JSON.stringify(target)}: ${writeFailure(target, e)}`);
  }
}

export async function runPlan(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { ...PLAN_ARGS, zones: { type: 'string' }, format: { type: 'string' } }, PLAN_HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`scenecrf plan: expected one input file, got ${positionals.length}\n\n${PLAN_HELP}\n`);
    return 2;
  }
  const options = planOptions(values);
  const format = (values.format ?? 'av1an') as ZoneFormat;
  if (!(ZONE_FORMATS as readonly string[]).includes(format)) throw new InvalidOptionsError('--format', `expected one of ${ZONE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  if (values.format !== undefined && values.zones === undefined) throw new InvalidOptionsError('--format', 'needs --zones <file>');
  for (const [opt, target] of [['--json', values.json], ['--zones', values.zones]] as const) if (target !== undefined) await assertWritableTarget(opt, target);
  const bar = progressBar(process.stderr, !values.quiet);
  let r: PlanEncodeResult;
  try {
    r = await planEncode(positionals[0]!, options, {
      signal: cliSignal,
      onProgress: (p) =>
        p.stage === 'probe' || p.stage === 'proxy'
          ? bar.update(p.done, p.total, 0, undefined, p.stage === 'probe' ? 'probes' : 'proxy')
          : p.analysis && bar.update(p.analysis.frame, p.analysis.totalFrames, p.analysis.fps, p.analysis.etaSeconds, 'analyze'),
    });
  } finally {
    bar.done();
  }
  if (values.json !== undefined) await writeOut(values.json, `${JSON.stringify(r.plan, null, 2)}\n`);
  if (values.zones !== undefined) await writeOut(values.zones, formatZones(r.plan, format, {}));
  if (!values.quiet) process.stdout.write(`${summarizePlan(r)}\n`);
  return 0;
}

const VERDICT_TEXT: Record<SceneVerdict, (error: number) => string> = {
  hit: () => 'hit',
  below: () => 'MISS (low)',
  above: () => 'miss (high)',
  // At the CRF bound that would move it towards the target: no CRF in range fixes it.
  capped: (error) => (error > 0 ? 'capped (high at max CRF)' : 'CAPPED (low at min CRF)'),
};

function summarizeValidation(r: OptimizeResult): string {
  const v = r.validation;
  if (!v) return '';
  const head =
    v.hitRate === undefined
      ? `measured: VMAF mean ${v.vmafMean.toFixed(2)}, lowest scene p5 ${v.vmafP5Min.toFixed(2)}`
      : `measured: ${(v.hitRate * 100).toFixed(0)}% of scenes within ±${v.tolerance} of the target` +
        (v.capped ? ` (${v.capped} capped: ${v.reachableHitRate === undefined ? 'no scene could reach it' : `${(v.reachableHitRate * 100).toFixed(0)}% of the others`})` : '') +
        `; VMAF mean ${v.vmafMean.toFixed(2)}; ${v.rounds} re-encode round(s)`;
  const rows = v.scenes.map((s) => [
    String(s.index),
    String(s.crf),
    s.predictedVmaf.toFixed(2),
    s.measuredVmafMean.toFixed(2),
    s.measuredVmafP5.toFixed(2),
    s.error === undefined ? '' : s.error.toFixed(2),
    s.verdict === undefined ? '' : VERDICT_TEXT[s.verdict](s.error!),
  ]);
  return `${head}\n\n${formatTable(['scene', 'crf', 'predicted', 'vmaf', 'vmaf p5', 'error', ''], rows)}`;
}

export async function runOptimize(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      ...PLAN_ARGS,
      output: { type: 'string', short: 'o' },
      jobs: { type: 'string' },
      'work-dir': { type: 'string' },
      tolerance: { type: 'string' },
      rounds: { type: 'string' },
      'validate-subsample': { type: 'string' },
      'no-validate': { type: 'boolean', default: false },
    },
    OPTIMIZE_HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values.output) {
    process.stderr.write(`scenecrf optimize: expected one input file and -o\n\n${OPTIMIZE_HELP}\n`);
    return 2;
  }
  const options = planOptions(values);
  const jobs = intOption('jobs', values.jobs);
  if (jobs === 0) throw new InvalidOptionsError('--jobs', 'must be at least 1');
  if (values.json !== undefined) await assertWritableTarget('--json', values.json);
  const bar = progressBar(process.stderr, !values.quiet);
  let r: OptimizeResult;
  try {
    r = await optimizeEncode(
      positionals[0]!,
      {
        ...options,
        output: values.output,
        jobs,
        encodeWorkDir: values['work-dir'],
        tolerance: numberOption('tolerance', values.tolerance),
        maxRounds: intOption('rounds', values.rounds),
        validateSubsample: intOption('validate-subsample', values['validate-subsample']),
        validate: !values['no-validate'],
      },
      {
        signal: cliSignal,
        onProgress: (p) => {
          if (p.encode) bar.update(p.encode.framesDone, p.encode.totalFrames, p.encode.fps, p.encode.etaSeconds, `encode${p.round ? ` (round ${p.round})` : ''}`);
          else if (p.validate) bar.update(p.validate.frame, p.validate.totalFrames ?? 0, p.validate.fps, undefined, 'vmaf');
          else if (p.plan?.analysis) bar.update(p.plan.analysis.frame, p.plan.analysis.totalFrames, p.plan.analysis.fps, p.plan.analysis.etaSeconds, 'analyze');
          else if (p.plan?.stage === 'probe' || p.plan?.stage === 'proxy') bar.update(p.plan.done, p.plan.total, 0, undefined, p.plan.stage === 'probe' ? 'probes' : 'proxy');
        },
      },
    );
  } finally {
    bar.done();
  }
  if (values.json !== undefined) {
    const { analysis: _a, ...planned } = r.planned;
    const report = { planned: { ...planned, scenes: planned.scenes.map(({ curve: _c, ...s }) => s) }, plan: r.plan, encode: r.encode, validation: r.validation };
    await writeOut(values.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (!values.quiet) process.stdout.write(`${summarizePlan(r.planned)}\n\n${summarizeEncode(r.encode)}\n\n${summarizeValidation(r)}\n`);
  return 0;
}
