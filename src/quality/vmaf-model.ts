import { loadVmafModel } from './fusion.js';
import type { GainLimits, VmafFeatures } from './frame-features.js';

/** A VMAF fusion model as the builtin VMAF uses it. */
export interface ResolvedVmafModel {
  name: string;
  predict(features: VmafFeatures): number;
  /** Enhancement-gain limits the model's features must be computed with (NEG models: 1). */
  gainLimits: GainLimits;
}

/**
 * The model the builtin VMAF scores with: scenecrf's shipped fusion model by default, or a
 * libvmaf model JSON / scenecrf fusion file the caller names (format detected from the file).
 */
export async function resolveVmafModel(file?: string): Promise<ResolvedVmafModel> {
  const model = await loadVmafModel(file);
  return {
    name: file ?? model.name,
    predict: (f) => model.predict(f),
    gainLimits: { vif: model.featureOptions.vifEnhnGainLimit, adm: model.featureOptions.admEnhnGainLimit },
  };
}
