import { readJsonInput } from './json-input.js';
import { z } from 'zod';
import { describeIssues, InvalidOptionsError } from '../errors.js';
import { CRF_RANGE, ENCODERS, RESERVED_PLAN_OPTIONS, type EncoderName } from './encoders.js';

/**
 * The encode plan: what to encode, with which encoder, and each scene's CRF. It is the hand-off
 * between planning (predicted or hand-written CRFs) and the outputs (chunked encodes, zone files),
 * so it is versioned and validated as a whole before any encoding starts.
 */

const optionValue = z.union([z.string(), z.number(), z.boolean()]);

export const planSceneSchema = z
  .object({
    startFrame: z.number().int().min(0),
    /** Exclusive. */
    endFrame: z.number().int().min(1),
    crf: z.number(),
    /** Extra encoder options for this scene only (encoder-specific names, without dashes). */
    options: z.record(optionValue).optional(),
  })
  .strict();

export const planSchema = z
  .object({
    format: z.literal('scenecrf-plan'),
    version: z.literal(1),
    input: z
      .object({
        path: z.string().min(1),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        frameCount: z.number().int().positive(),
        /** Frame rate as a rational (timestamps of the output follow it). */
        frameRate: z.object({ num: z.number().int().positive(), den: z.number().int().positive() }),
        bitDepth: z.number().int().min(8).max(16).optional(),
        /**
         * The input's sample (pixel) aspect ratio when it is not square (anamorphic video), so that
         * consumers that only see the plan (the ffmpeg script) keep the displayed shape. Absent:
         * square pixels, or a plan written before the field existed (`encode` reads the input's own).
         */
        sampleAspectRatio: z
          .object({ num: z.number().int().positive(), den: z.number().int().positive() })
          .refine((r) => r.num !== r.den, { message: 'a square sample aspect ratio (1:1) is written by leaving the field out' })
          .optional(),
      })
      .strict(),
    encoder: z.enum(ENCODERS),
    /** Encoder speed: SVT-AV1 preset 0–13, libaom cpu-used 0–8, libvpx-vp9 cpu-used 0–8. */
    preset: z.number().int().min(0).max(13),
    /** Output bit depth (8 or 10). */
    bitDepth: z.union([z.literal(8), z.literal(10)]).default(8),
    /** Encoder options for every scene (encoder-specific names, without dashes). */
    options: z.record(optionValue).default({}),
    scenes: z.array(planSceneSchema).min(1),
  })
  .strict()
  .superRefine((plan, ctx) => {
    const issue = (message: string, path: Array<string | number>) => ctx.addIssue({ code: z.ZodIssueCode.custom, message, path });
    const range = CRF_RANGE[plan.encoder];
    // SVT-AV1 encodes 4:2:0 only at even sizes and refuses odd ones when the encode starts
    // ("Source Height must be even"); a plan for it is refused here, before any encode or work dir.
    if (plan.encoder === 'svt-av1' && (plan.input.width % 2 || plan.input.height % 2))
      issue(
        `SVT-AV1 needs an even width and height, the input is ${plan.input.width}x${plan.input.height}; crop or pad it first (e.g. ffmpeg -vf "crop=trunc(iw/2)*2:trunc(ih/2)*2"), or plan for aom or vp9`,
        ['input'],
      );
    const presetMax = plan.encoder === 'svt-av1' ? 13 : 8;
    if (plan.preset > presetMax) issue(`preset ${plan.preset} is out of range for ${plan.encoder} (0..${presetMax})`, ['preset']);
    let expected = 0;
    plan.scenes.forEach((s, i) => {
      if (s.endFrame <= s.startFrame) issue(`scene ${i}: endFrame ${s.endFrame} must be greater than startFrame ${s.startFrame}`, ['scenes', i]);
      if (s.startFrame < expected) issue(`scene ${i} overlaps the previous scene (starts at ${s.startFrame}, previous ends at ${expected})`, ['scenes', i, 'startFrame']);
      if (s.startFrame > expected) issue(`frames ${expected}..${s.startFrame - 1} are in no scene (scene ${i} starts at ${s.startFrame})`, ['scenes', i, 'startFrame']);
      if (!(s.crf >= range.min && s.crf <= range.max)) issue(`scene ${i}: CRF ${s.crf} is out of range for ${plan.encoder} (${range.min}..${range.max})`, ['scenes', i, 'crf']);
      expected = Math.max(expected, s.endFrame);
    });
    checkPlanOptions(plan.encoder, plan.options, ['options'], issue);
    plan.scenes.forEach((s, i) => s.options && checkPlanOptions(plan.encoder, s.options, ['scenes', i, 'options'], issue));
    if (expected !== plan.input.frameCount)
      issue(
        expected < plan.input.frameCount
          ? `frames ${expected}..${plan.input.frameCount - 1} are in no scene (the input has ${plan.input.frameCount} frames)`
          : `scenes end at frame ${expected}, past the input's ${plan.input.frameCount} frames`,
        ['scenes'],
      );
  });

const OPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * The one check of plan options, for every consumer (encode, zone files, the ffmpeg script): names
 * are the encoder's long option names without dashes; names scenecrf sets itself are refused; values
 * are single shell- and parameter-list-safe words (SVT-AV1's go into one `key=value:key=value` list,
 * so ':' and '=' there would smuggle in other parameters, such as another crf).
 */
function checkPlanOptions(
  encoder: EncoderName,
  options: Record<string, string | number | boolean>,
  at: Array<string | number>,
  issue: (message: string, path: Array<string | number>) => void,
): void {
  for (const [name, value] of Object.entries(options)) {
    const path = [...at, name];
    if (!OPTION_NAME.test(name)) {
      issue(`option names are the encoder's long option names without dashes (letters, digits, "-", "_"), got ${JSON.stringify(name)}`, path);
      continue;
    }
    if (RESERVED_PLAN_OPTIONS[encoder].includes(name)) {
      issue(`"${name}" is set by scenecrf from the scene's crf and the plan's preset, bit depth and threads; remove it from the options`, path);
      continue;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) issue(`${name} is not a finite number`, path);
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    if (text === '' || /[\s'"\\]/.test(text)) issue(`value ${JSON.stringify(text)} must be non-empty, without spaces, quotes or backslashes`, path);
    else if (encoder === 'svt-av1' && /[:=]/.test(text)) issue(`value ${JSON.stringify(text)}: SVT-AV1 parameter values cannot contain ':' or '='`, path);
  }
}

/** Throws InvalidOptionsError unless `options` pass the plan's option check (for options that come
 * without a plan, e.g. one segment's extra options). */
export function assertPlanOptions(encoder: EncoderName, options: Record<string, string | number | boolean>, what: string): void {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  checkPlanOptions(encoder, options, ['options'], (message, path) => problems.push({ message, path }));
  if (problems.length) throw new InvalidOptionsError(what, describeIssues(problems));
}

export type EncodePlan = z.output<typeof planSchema>;
export type EncodePlanInput = z.input<typeof planSchema>;
export type PlanScene = z.output<typeof planSceneSchema>;

/** Validates a plan object; every problem is listed in one InvalidOptionsError. */
export function parsePlan(json: unknown, what = 'plan'): EncodePlan {
  const r = planSchema.safeParse(json);
  if (!r.success) throw new InvalidOptionsError(what, describeIssues(r.error.issues, 'plan'));
  return r.data;
}

/** Reads and validates a plan file. */
export async function readPlan(file: string): Promise<EncodePlan> {
  return parsePlan(await readJsonInput(file, 'plan'), `plan ${JSON.stringify(file)}`);
}

/** A plan with one CRF for every scene of an analysis (the starting point users edit or the
 * predictor fills). */
export function planFromScenes(
  input: EncodePlan['input'],
  scenes: ReadonlyArray<{ startFrame: number; endFrame: number }>,
  settings: { encoder: EncoderName; preset: number; crf: number | ((scene: number) => number); bitDepth?: 8 | 10; options?: EncodePlan['options'] },
): EncodePlan {
  return parsePlan({
    format: 'scenecrf-plan',
    version: 1,
    input,
    encoder: settings.encoder,
    preset: settings.preset,
    bitDepth: settings.bitDepth ?? 8,
    options: settings.options ?? {},
    scenes: scenes.map((s, i) => ({ startFrame: s.startFrame, endFrame: s.endFrame, crf: typeof settings.crf === 'function' ? settings.crf(i) : settings.crf })),
  });
}
