import { z } from 'zod';
import { describeIssues, InvalidOptionsError } from '../errors.js';
import type { SceneCurve } from '../core/curve.js';

/**
 * What the planner takes and how it checks it at its boundary: the scene, the VMAF target's one
 * rule, the SceneCurve contract. The planner's functions are public, so each checks what it is
 * given and a broken input fails loudly instead of planning nonsense.
 */

/** One scene to plan: its length (the weight of its quality and the multiplier of its bytes) and curve. */
export interface PlannerScene {
  frames: number;
  curve: SceneCurve;
}

/** Per-scene CRF bounds within the global crfMin..crfMax, e.g. a scene's probe trust region. */
export interface SceneCrfBounds {
  crfMin?: number;
  crfMax?: number;
}

/**
 * The rule for a VMAF target (`targetVmaf`), defined once so that planEncode's options and the
 * planner functions that take a target accept the same values.
 */
export const targetVmafSchema = z.number().min(1).max(100);
export const statSchema = z.enum(['mean', 'p5']);

/** `schema`'s output for `value`, or an InvalidOptionsError naming `what`. */
export function validated<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidOptionsError(what, describeIssues(r.error.issues, 'value'));
  return r.data;
}

/** The SceneCurve contract, checked at the boundary so a broken curve fails loudly instead of planning nonsense. */
function curveIssue(curve: SceneCurve | undefined): string | undefined {
  if (!curve || typeof curve !== 'object') return 'is not a SceneCurve';
  const { crfs, vmafMean, vmafP5, bytesPerFrame } = curve;
  if (![crfs, vmafMean, vmafP5, bytesPerFrame].every(Array.isArray)) return 'must have crfs, vmafMean, vmafP5 and bytesPerFrame arrays';
  const n = crfs.length;
  if (n === 0) return 'has no CRFs';
  for (const [name, a] of [['vmafMean', vmafMean], ['vmafP5', vmafP5], ['bytesPerFrame', bytesPerFrame]] as const)
    if (a.length !== n) return `${name} has ${a.length} values for ${n} CRFs`;
  if (!Number.isInteger(crfs[0])) return `CRF ${crfs[0]} is not an integer`;
  for (let i = 0; i < n; i++) {
    if (crfs[i] !== crfs[0] + i) return `CRFs are not consecutive integers at index ${i}`;
    for (const [name, a] of [['vmafMean', vmafMean], ['vmafP5', vmafP5]] as const) {
      if (!(a[i] >= 0 && a[i] <= 100)) return `${name} at CRF ${crfs[i]} is ${a[i]}, outside 0..100`;
      if (i > 0 && a[i] > a[i - 1]) return `${name} increases from CRF ${crfs[i - 1]} to ${crfs[i]}`;
    }
    if (!(bytesPerFrame[i] > 0 && Number.isFinite(bytesPerFrame[i]))) return `bytesPerFrame at CRF ${crfs[i]} is ${bytesPerFrame[i]}`;
    if (i > 0 && !(bytesPerFrame[i] < bytesPerFrame[i - 1])) return `bytesPerFrame does not decrease from CRF ${crfs[i - 1]} to ${crfs[i]}`;
  }
  return undefined;
}

export function checkCurve(curve: SceneCurve, what: string): void {
  const issue = curveIssue(curve);
  if (issue) throw new InvalidOptionsError('scene curve', `${what} ${issue}`);
}

/** Validates the scenes and returns the CRF range every curve covers, narrowed by the options. */
export function commonCrfRange(scenes: readonly PlannerScene[], crfMin: number | undefined, crfMax: number | undefined): { lo: number; hi: number } {
  if (!Array.isArray(scenes) || scenes.length === 0) throw new InvalidOptionsError('scenes', 'at least one scene is needed');
  let lo = crfMin ?? -Infinity;
  let hi = crfMax ?? Infinity;
  if (lo > hi) throw new InvalidOptionsError('CRF bounds', `crfMin ${crfMin} is above crfMax ${crfMax}`);
  scenes.forEach((s, i) => {
    if (!(Number.isInteger(s?.frames) && s.frames > 0)) throw new InvalidOptionsError('scenes', `scene ${i}: frames must be a positive integer, got ${s?.frames}`);
    checkCurve(s.curve, `scene ${i}:`);
    lo = Math.max(lo, s.curve.crfs[0]);
    hi = Math.min(hi, s.curve.crfs[s.curve.crfs.length - 1]);
  });
  if (lo > hi) throw new InvalidOptionsError('CRF bounds', `no CRF is both within crfMin..crfMax (${crfMin ?? '-'}..${crfMax ?? '-'}) and sampled by every scene's curve`);
  return { lo, hi };
}
