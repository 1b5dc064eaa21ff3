import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { ENCODERS } from '../core/encoders.js';
import type { SceneVerdict } from '../plan/assess.js';
import { DEFAULT_BUDGET_TOLERANCE } from '../plan/budget.js';
import { DEFAULT_MAX_ROUNDS, optimizeEncode, optimizeOptionsSchema, type OptimizeOptions, type OptimizeProgress, type OptimizeResult } from '../optimize/optimize.js';
import { optimizeOutput } from '../optimize/output.js';
import { planEncode, planEncodeOptionsSchema, type PlanEncodeOptions, type PlanEncodeResult, type PlanProgress } from '../optimize/plan-encode.js';
import { writeFileAtomic } from '../util/atomic.js';
import { formatZones, ZONE_FORMATS, type ZoneFormat } from '../zones/zones.js';
import { CACHE_OPTIONS, cliCache, printWarnings } from './cache.js';
import { encodeProgress, summarizeEncode } from './encode.js';
import { qualityProgress } from './quality.js';
import { assertWritableTarget, defineCommand, inFlagTerms, intOption, optionGroup, parseCommand, renderHelp, resolveOptions, writeFailure } from './options.js';
import { formatTable, progressBar, type ProgressState } from './progress.js';
import { REPORT_OPTION, writeRequestedReport } from './report.js';
import { cliSignal } from './signal.js';
import { showCommands, VERBOSE_OPTION } from './verbose.js';
import { COORDINATOR_OPTIONS, coordinatorFor } from './distributed.js';

/** What a probe encodes: "all" of the scene or at most n frames of it. */
function probeFrames(raw: string, flag: string): number | 'all' {
  return raw === 'all' ? 'all' : intOption(flag, raw)!;
}

/** How many probes per scene: a count, or "auto" (only the scenes the model is unsure of). */
function probeCount(raw: string, flag: string): number | 'auto' {
  return raw === 'auto' ? 'auto' : intOption(flag, raw)!;
}

/** The planning options plan and optimize share, checked by planEncode's schema. */
const PLAN_OPTIONS = optionGroup<PlanEncodeOptions>()(
  [
    { flag: 'encoder', placeholder: '<e>', kind: 'string', key: 'encoder', help: `${ENCODERS.join(', ').replace(/, (?=[^,]*$)/, ' or ')} (required)` },
    { flag: 'target-vmaf', placeholder: '<v>', kind: 'number', key: 'targetVmaf', help: 'per-scene VMAF target (this or --bitrate)' },
    { flag: 'bitrate', placeholder: '<kbps>', kind: 'number', key: 'bitrateKbps', help: 'average bitrate budget for the whole video, kbit/s' },
    { flag: 'stat', placeholder: '<mean|p5>', kind: 'string', key: 'stat', default: 'mean', help: 'per-scene statistic of the target / budget' },
    { flag: 'preset', placeholder: '<n>', kind: 'int', key: 'preset', help: 'encoder speed (default: the preset the model was trained at)' },
    { flag: 'crf-min', placeholder: '<n>', kind: 'int', key: 'crfMin', help: 'lowest CRF a scene may get' },
    { flag: 'crf-max', placeholder: '<n>', kind: 'int', key: 'crfMax', help: 'highest CRF a scene may get' },
    { flag: 'max-crf-jump', placeholder: '<n>', kind: 'int', key: 'maxCrfJump', help: 'largest CRF change between neighbouring scenes' },
    {
      flag: 'probes',
      placeholder: '<n|auto>',
      kind: 'string',
      parse: probeCount,
      key: 'probes',
      default: 0,
      help: 'trial encodes per scene to refine the prediction\n("auto": only scenes whose prediction interval is wider than\n--auto-probe-tolerance, at most 2 each)',
    },
    {
      flag: 'auto-probe-tolerance',
      placeholder: '<v>',
      kind: 'number',
      key: 'autoProbeTolerance',
      default: 1,
      help: '\n--probes auto probes the scenes whose interval is wider than ± v VMAF',
    },
    { flag: 'max-probes', placeholder: '<n>', kind: 'int', key: 'maxProbes', help: 'at most n probe encodes in all, least sure scenes first' },
    {
      flag: 'probe-frames',
      placeholder: '<n|all>',
      kind: 'string',
      parse: probeFrames,
      key: 'probeFrames',
      default: 'all',
      gap: 1,
      help: 'a probe encodes at most n frames from the middle of the scene',
    },
    {
      flag: 'probe-trust',
      placeholder: '<n>',
      kind: 'int',
      key: 'probeTrust',
      help: "after probing, a scene's CRF stays within n of its probed CRFs\n(--target-vmaf only; default 8 with a proxy model, 63 = off with a plain one)",
    },
    {
      flag: 'segment-cache',
      placeholder: '<dir>',
      kind: 'string',
      key: 'segmentCache',
      help: 'keep the probe encodes there (and take probes already there); "scenecrf\nencode --segment-cache <dir>" then reuses each whole-scene probe whose\nCRF the plan kept instead of encoding that scene again; instead of the cache',
    },
    ...CACHE_OPTIONS,
    {
      flag: 'proxy',
      kind: 'negatable',
      key: 'proxy',
      help: "measure each scene's proxy curve (small fast encodes) and predict with\nthe shipped proxy model (default: on with --probes, or optimize's\n--rounds, when one is shipped)",
    },
    { flag: 'model', placeholder: '<file>', kind: 'string', key: 'model', help: 'CRF model (default: the shipped models/crf-<encoder>[-proxy]-v1.json)' },
    { flag: 'bit-depth', placeholder: '<8|10>', kind: 'int', key: 'bitDepth', default: 8, help: 'output bit depth' },
    { flag: 'ffmpeg', placeholder: '<path>', kind: 'string', key: 'ffmpegPath', help: 'ffmpeg executable to use' },
    { flag: 'quiet', kind: 'boolean', help: 'no progress bar or summary' },
    VERBOSE_OPTION,
    REPORT_OPTION,
  ],
  planEncodeOptionsSchema,
);

export const PLAN = defineCommand({
  name: 'plan',
  head: `Usage: scenecrf plan <input> --encoder <e> (--target-vmaf <v> | --bitrate <kbps>) [options]

Analyses <input>, predicts every scene's VMAF and size at each CRF with the encoder's model, and
chooses per-scene CRFs: the highest CRF that reaches the target, or the equal-slope allocation
that fits the bitrate budget. Prints a per-scene table; writes the plan and zone files.`,
  column: 25,
  groups: [
    PLAN_OPTIONS,
    optionGroup()([
      { flag: 'json', placeholder: '<file>', kind: 'string', help: 'write the plan (format "scenecrf-plan") there, atomically' },
      { flag: 'zones', placeholder: '<file>', kind: 'string', help: 'also write a zone file there ...' },
      {
        flag: 'format',
        placeholder: '<f>',
        kind: 'string',
        default: 'av1an',
        schema: z.enum(ZONE_FORMATS).optional(),
        help: `... in this format: ${ZONE_FORMATS.join(', ')}`,
      },
    ]),
    COORDINATOR_OPTIONS,
  ],
});

export const OPTIMIZE = defineCommand({
  name: 'optimize',
  head: `Usage: scenecrf optimize <input> -o <output> --encoder <e> (--target-vmaf <v> | --bitrate <kbps>) [options]

Plan, encode and validate in one go: plans per-scene CRFs (as "scenecrf plan"), encodes them
scene by scene (as "scenecrf encode", resumable), measures every scene's VMAF and reports hits
and misses against the target. With --rounds, scenes that missed are re-encoded with corrected
CRFs (only those scenes are encoded again).`,
  column: 25,
  groups: [
    PLAN_OPTIONS,
    optionGroup<OptimizeOptions>()([
      { flag: 'output', short: 'o', placeholder: '<file>', kind: 'string', key: 'output', help: 'output video (.mkv, .webm, .mp4, .ivf)' },
      { flag: 'force', short: 'y', kind: 'boolean', key: 'overwrite', help: 'replace the output video if it exists (refused otherwise)' },
      { flag: 'jobs', placeholder: '<n>', kind: 'int', key: 'jobs', default: 1, schema: z.number().min(1).optional(), help: 'chunks encoded at once' },
      { flag: 'work-dir', placeholder: '<dir>', kind: 'string', key: 'encodeWorkDir', default: '<output>.scenecrf-work', help: 'chunks and manifest' },
      {
        flag: 'video-only',
        kind: 'boolean',
        key: 'videoOnly',
        help: "encode the video alone: without it the input's audio, subtitles, chapters\nand metadata are copied into the output",
      },
      { flag: 'tolerance', placeholder: '<v>', kind: 'number', key: 'tolerance', default: 1, help: 'a scene within this many VMAF points of the target is a hit' },
      {
        flag: 'rounds',
        placeholder: '<n>',
        kind: 'int',
        key: 'maxRounds',
        default: DEFAULT_MAX_ROUNDS,
        help: 're-encode rounds for missed scenes or a missed --bitrate budget',
      },
      {
        flag: 'budget-tolerance',
        placeholder: '<f>',
        kind: 'number',
        key: 'budgetTolerance',
        default: DEFAULT_BUDGET_TOLERANCE,
        gap: 1,
        help: 'a bitrate within ±this fraction of the --bitrate budget meets it',
      },
      {
        flag: 'fast',
        kind: 'boolean',
        help: 'prediction only: no probes, no proxy curves, no re-encode round (each\nscene encoded once; the same as --probes 0 --no-proxy --rounds 0)',
      },
      {
        flag: 'validate-subsample',
        placeholder: '<n>',
        kind: 'int',
        key: 'validateSubsample',
        help: 'the VMAF check scores every n-th frame (default 1: every frame;\nthe benchmarks use 2, which halves its cost)',
      },
      { flag: 'no-validate', kind: 'boolean', key: 'validate', toApi: (skip: boolean) => !skip, help: 'skip the VMAF check after the encode' },
      { flag: 'json', placeholder: '<file>', kind: 'string', help: 'write a JSON report (plan, predictions, validation) there' },
    ], optimizeOptionsSchema),
    COORDINATOR_OPTIONS,
  ],
});

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
    `±${s.uncertainty.vmafHalfWidth.toFixed(1)}`,
    ((s.predictedBytes * 8) / 1000 / ((s.endFrame - s.startFrame) / (r.plan.input.frameRate.num / r.plan.input.frameRate.den))).toFixed(0),
    s.probes.map((p) => `${p.crf}→${(r.stat === 'p5' ? p.vmafP5 : p.vmafMean).toFixed(1)}`).join(' '),
    [r.mode === 'target' && !s.reached && 'unreachable', s.uncertainty.novel && 'novel'].filter(Boolean).join(', '),
  ]);
  const interval = `± ${Math.round(r.scenes[0]!.uncertainty.coverage * 100)}%`;
  return `${head.join('\n')}\n\n${formatTable(['scene', 'frames', 'complexity', 'crf', 'vmaf', 'vmaf p5', interval, 'kbit/s', 'probes', ''], rows)}`;
}

async function writeOut(target: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(target, text);
  } catch (e) {
    throw new InvalidOptionsError('output', `cannot write ${JSON.stringify(target)}: ${writeFailure(target, e)}`);
  }
}

export async function runPlan(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, PLAN);
  if (!parsed) return 0;
  const { positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`scenecrf plan: expected one input file, got ${positionals.length}\n\n${renderHelp(PLAN)}\n`);
    return 2;
  }
  const { values, options } = resolveOptions(PLAN, parsed);
  const format = (values.format ?? 'av1an') as ZoneFormat;
  if (values.format !== undefined && values.zones === undefined) throw new InvalidOptionsError('--format', 'needs --zones <file>');
  for (const [opt, target] of [['--json', values.json], ['--zones', values.zones], ['--report', values.report]] as const) if (target !== undefined) await assertWritableTarget(opt, target);
  const bar = progressBar(process.stderr, !values.quiet);
  showCommands(values.verbose, bar);
  let r: PlanEncodeResult;
  const executor = await coordinatorFor(values);
  try {
    r = await inFlagTerms(PLAN, () =>
      planEncode(positionals[0]!, { ...(options as PlanEncodeOptions), cache: values['segment-cache'] !== undefined ? undefined : cliCache(values) }, {
        signal: cliSignal,
        executor,
        onProgress: (p) => {
          const state = planProgress(p);
          if (state) bar.update(state);
        },
      }),
    );
  } finally {
    bar.done();
    await executor?.close();
  }
  if (values.json !== undefined) await writeOut(values.json, `${JSON.stringify(r.plan, null, 2)}\n`);
  if (values.zones !== undefined) await writeOut(values.zones, formatZones(r.plan, format, {}));
  if (!values.quiet) process.stdout.write(`${summarizePlan(r)}\n`);
  return writeRequestedReport(values.report, r);
}

const VERDICT_TEXT: Record<SceneVerdict, (error: number) => string> = {
  hit: () => 'hit',
  below: () => 'MISS (low)',
  above: () => 'miss (high)',
  // At the CRF bound that would move it towards the target: no CRF in range fixes it.
  capped: (error) => (error > 0 ? 'capped (high at max CRF)' : 'CAPPED (low at min CRF)'),
};

/** Budget mode: the final bitrate against the budget. */
export function summarizeBudget(r: OptimizeResult): string {
  const b = r.budget;
  if (!b) return '';
  const pct = `${b.ratio >= 1 ? '+' : ''}${((b.ratio - 1) * 100).toFixed(1)}%`;
  const verdict = b.verdict === 'met' ? 'budget met' : b.verdict === 'over' ? 'BUDGET MISSED (over)' : 'within budget, but under it by more than the tolerance';
  return `budget: ${b.measuredKbps.toFixed(1)} kbit/s for ${b.budgetKbps} kbit/s (${pct}, tolerance ±${(b.tolerance * 100).toFixed(0)}%): ${verdict}; ${b.rounds} correction round(s)`;
}

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

/** A planning phase's progress line (none for the instant prediction). */
export function planProgress(p: PlanProgress): ProgressState | undefined {
  if (p.stage === 'analyze' && p.analysis) {
    const a = p.analysis;
    return { label: 'analyze', done: a.frame, total: a.totalFrames, unit: 'frames', rate: a.fps, etaSeconds: a.etaSeconds };
  }
  if (p.stage === 'probe' || p.stage === 'proxy') return { label: p.stage === 'probe' ? 'probes' : 'proxy curves', done: p.done, total: p.total };
  return undefined;
}

/**
 * The steps of an optimize run, known from its options before it starts: analyse, predict (proxy
 * curves and probes, when asked for), encode, validate, re-encode rounds. The rounds step is
 * skipped when the first validation needs no correction.
 */
export function optimizeSteps(o: OptimizeOptions): { validate?: number; rounds?: number; count: number } {
  const validate = o.validate !== false;
  const rounds = validate && (o.maxRounds ?? DEFAULT_MAX_ROUNDS) > 0;
  return { validate: validate ? 4 : undefined, rounds: rounds ? 5 : undefined, count: 3 + Number(validate) + Number(rounds) };
}

/** An optimize phase's line: "step 2 of 5: probes", "step 5 of 5: round 1: encode". */
export function optimizeProgress(p: OptimizeProgress, steps: ReturnType<typeof optimizeSteps>): ProgressState | undefined {
  const round = p.round > 0 ? `round ${p.round}: ` : '';
  const step = (index: number | undefined) => {
    const at = p.round > 0 ? (steps.rounds ?? index ?? 0) : (index ?? 0);
    return { index: at, count: Math.max(steps.count, at) };
  };
  if (p.plan) {
    const state = planProgress(p.plan);
    return state && { ...state, step: step(p.plan.stage === 'analyze' ? 1 : 2) };
  }
  if (p.encode) return { ...encodeProgress(`${round}${p.encode.phase === 'concat' ? 'concat' : 'encode'}`, p.encode), step: step(3) };
  if (p.validate) return { ...qualityProgress(`${round}vmaf`, p.validate), step: step(steps.validate) };
  return undefined;
}

/** --fast: the prediction-only run. It contradicts asking for probes, proxy curves or rounds. */
function fastOptions(o: OptimizeOptions): OptimizeOptions {
  const asked = [
    o.probes !== undefined && o.probes !== 0 && '--probes',
    o.proxy === true && '--proxy',
    o.maxRounds !== undefined && o.maxRounds > 0 && '--rounds',
  ].filter(Boolean);
  if (asked.length) throw new InvalidOptionsError('--fast', `is prediction only; it contradicts ${asked.join(' and ')}`);
  return { ...o, probes: 0, proxy: false, maxRounds: 0 };
}

export async function runOptimize(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, OPTIMIZE);
  if (!parsed) return 0;
  const { raw, positionals } = parsed;
  if (positionals.length !== 1 || !raw.output) {
    process.stderr.write(`scenecrf optimize: expected one input file and -o\n\n${renderHelp(OPTIMIZE)}\n`);
    return 2;
  }
  const { values, options: given } = resolveOptions(OPTIMIZE, parsed);
  const withCache = { ...(given as OptimizeOptions), cache: values['segment-cache'] !== undefined ? undefined : cliCache(values) };
  const options = values.fast ? fastOptions(withCache) : withCache;
  for (const [opt, target] of [['--json', values.json], ['--report', values.report]] as const) if (target !== undefined) await assertWritableTarget(opt, target);
  const bar = progressBar(process.stderr, !values.quiet);
  showCommands(values.verbose, bar);
  const steps = optimizeSteps(options as OptimizeOptions);
  let r: OptimizeResult;
  const executor = await coordinatorFor(values);
  try {
    r = await inFlagTerms(OPTIMIZE, () =>
      optimizeEncode(positionals[0]!, options as OptimizeOptions, {
        signal: cliSignal,
        executor,
        onProgress: (p) => {
          const state = optimizeProgress(p, steps);
          if (state) bar.update(state);
        },
      }),
    );
  } finally {
    bar.done();
    await executor?.close();
  }
  if (values.json !== undefined) {
    await writeOut(values.json, `${JSON.stringify(optimizeOutput(r), null, 2)}\n`);
  }
  printWarnings(r.encode.warnings);
  if (!values.quiet) process.stdout.write(`${summarizePlan(r.planned)}\n\n${summarizeEncode(r.encode)}\n\n${[summarizeBudget(r), summarizeValidation(r)].filter(Boolean).join('\n')}\n`);
  return writeRequestedReport(values.report, r);
}
