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

/**
 * Plan option names scenecrf sets itself from the plan (CRF, speed, bit depth, threads, rate
 * control, geometry), per encoder. A plan's `options` may not name them: every consumer of a plan
 * (the chunked encode through ffmpeg, Av1an zones through aomenc/vpxenc/SvtAv1EncApp, the ffmpeg
 * script) would otherwise let an option contradict the plan's own CRF column. The lists cover the
 * names of both the ffmpeg encoder options and the standalone encoders' flags.
 */
export const RESERVED_PLAN_OPTIONS: Record<EncoderName, readonly string[]> = {
  'svt-av1': ['crf', 'preset', 'lp', 'input-depth', 'qp', 'rc', 'tbr', 'mbr', 'keyint', 'width', 'height', 'fps', 'fps-num', 'fps-denom', 'threads'],
  aom: ['crf', 'b', 'cpu-used', 'threads', 'pix_fmt', 'c', 'codec', 'qmin', 'qmax', 'minrate', 'maxrate', 'end-usage', 'cq-level'],
  vp9: ['crf', 'b', 'cpu-used', 'threads', 'pix_fmt', 'c', 'codec', 'qmin', 'qmax', 'minrate', 'maxrate', 'end-usage', 'cq-level'],
};
