import type { EncodePlan } from '../core/plan-file.js';

/**
 * One scene's plan options as encoder flag values: the global plan options, then the scene's own
 * (scene wins). The plan was validated when parsed (src/core/plan-file.ts): names, reserved names
 * and values are safe here.
 */
export function sceneOptions(plan: EncodePlan, scene: number): Array<[string, string]> {
  const merged = { ...plan.options, ...(plan.scenes[scene]!.options ?? {}) };
  return Object.entries(merged).map(([name, value]) => [name, typeof value === 'boolean' ? (value ? '1' : '0') : String(value)]);
}
