import { InvalidOptionsError } from '../errors.js';
import type { EncodePlan } from '../core/plan-file.js';
import type { EncoderName } from '../core/encoders.js';

/** Plan options → encoder flags: shared by the zone writers and the ffmpeg script. */
type OptionValue = string | number | boolean;

/** The options each encoder's CRF / speed flags already use; a plan may not set them as options. */
const RESERVED: Record<EncoderName, readonly string[]> = {
  'svt-av1': ['crf', 'preset', 'rc', 'qp'],
  aom: ['end-usage', 'cq-level', 'cpu-used'],
  vp9: ['end-usage', 'cq-level', 'cpu-used'],
};

const OPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Validated, merged options for one scene (global plan options, then the scene's own). */
export function sceneOptions(plan: EncodePlan, scene: number): Array<[string, string]> {
  const merged = new Map<string, OptionValue>();
  for (const [k, v] of Object.entries(plan.options)) merged.set(k, v);
  for (const [k, v] of Object.entries(plan.scenes[scene]!.options ?? {})) merged.set(k, v);
  const out: Array<[string, string]> = [];
  for (const [name, value] of merged) {
    const where = plan.scenes[scene]!.options && name in plan.scenes[scene]!.options! ? `scenes.${scene}.options.${name}` : `options.${name}`;
    if (!OPTION_NAME.test(name)) throw new InvalidOptionsError('plan', `${where}: option names are the encoder's long option names without dashes (letters, digits, "-", "_")`);
    if (RESERVED[plan.encoder].includes(name))
      throw new InvalidOptionsError('plan', `${where}: "${name}" is set by scenecrf from the scene's crf and the plan's preset; remove it from the options`);
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    if (text === '' || /[\s'"\\]/.test(text)) throw new InvalidOptionsError('plan', `${where}: value ${JSON.stringify(text)} must be non-empty, without spaces, quotes or backslashes`);
    out.push([name, text]);
  }
  return out;
}

