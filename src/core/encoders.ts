/**
 * The encoders scenecrf plans for, by scenecrf's names (adapters in src/encode map them to ffmpeg
 * encoders and standalone CLIs), and the CRF range each accepts. Every stage speaks these names.
 */

/** Encoders a plan can name (scenecrf's names; adapters map them to ffmpeg encoders / CLIs). */
export const ENCODERS = ['svt-av1', 'aom', 'vp9'] as const;
export type EncoderName = (typeof ENCODERS)[number];

/** CRF (quantizer) range each encoder accepts. */
export const CRF_RANGE: Record<EncoderName, { min: number; max: number }> = {
  'svt-av1': { min: 1, max: 63 },
  aom: { min: 0, max: 63 },
  vp9: { min: 0, max: 63 },
};
