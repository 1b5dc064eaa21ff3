import { computeAdm } from './adm.js';
import { admWasm } from './adm-wasm.js';
import type { Plane } from './plane.js';
import { computeVif } from './vif.js';
import { typescriptMotionKernels, type MotionKernels } from './motion.js';
import { loadVmafKernels, motionBlurWasm, motionSadWasm, vifWasm } from './wasm/index.js';

/** The per-frame inputs of a VMAF model that compare reference and distorted (motion2 is
 * computed separately: it needs neighbouring reference frames). */
export interface PairFeatures {
  adm2: number;
  adm_scale0: number;
  adm_scale1: number;
  adm_scale2: number;
  adm_scale3: number;
  vif_scale0: number;
  vif_scale1: number;
  vif_scale2: number;
  vif_scale3: number;
}

/** The features every VMAF model of the v0.6.1 family reads, keyed by scenecrf's names. */
export interface VmafFeatures extends PairFeatures {
  motion2: number;
}

export interface GainLimits {
  /** VIF channel-gain limit (100 = libvmaf default; 1 for the NEG models). */
  vif?: number;
  /** ADM enhancement-gain limit (100 = libvmaf default; 1 for the NEG models). */
  adm?: number;
}

/**
 * VIF and ADM of one frame pair (pure, synchronous). Both run in the WebAssembly SIMD kernels when
 * the runtime has WebAssembly SIMD (ADM bit-identical, VIF within ~1e-6; 3–10× faster), else in
 * TypeScript.
 */
export function computePairFeatures(ref: Plane, dis: Plane, gain: GainLimits = {}): PairFeatures {
  const kernels = loadVmafKernels();
  const vifOptions = { enhancementGainLimit: gain.vif };
  const vif = kernels ? vifWasm(kernels, ref, dis, vifOptions) : computeVif(ref, dis, vifOptions);
  const admOptions = { enhancementGainLimit: gain.adm };
  const adm = kernels ? admWasm(kernels, ref, dis, admOptions) : computeAdm(ref, dis, admOptions);
  return {
    adm2: adm.adm2,
    adm_scale0: adm.scales[0],
    adm_scale1: adm.scales[1],
    adm_scale2: adm.scales[2],
    adm_scale3: adm.scales[3],
    vif_scale0: vif.scales[0],
    vif_scale1: vif.scales[1],
    vif_scale2: vif.scales[2],
    vif_scale3: vif.scales[3],
  };
}

/** Motion blur/SAD on the WASM kernels when available (same numbers to ~1e-6), else TypeScript. */
export function bestMotionKernels(): MotionKernels {
  const k = loadVmafKernels();
  if (!k) return typescriptMotionKernels;
  return { blur: (p, out) => motionBlurWasm(k, p, out), sad: (a, b) => motionSadWasm(k, a, b) };
}
