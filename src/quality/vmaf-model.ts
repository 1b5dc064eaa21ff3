import type { GainLimits, VmafFeatures } from './frame-features.js';

/** A VMAF fusion model as the builtin VMAF uses it. */
export interface ResolvedVmafModel {
  name: string;
  predict(features: VmafFeatures): number;
  gainLimits: GainLimits;
}

// Placeholder until the fusion module lands.
export async function resolveVmafModel(model?: string): Promise<ResolvedVmafModel> {
  return { name: model ?? 'pending', predict: () => Number.NaN, gainLimits: {} };
}
