/**
 * The CRF model's inputs: which scene and video facts it reads and how they are transformed, so that
 * prediction (src/model/predict.ts) and training (src/training) compute the very same vector.
 */
import type { SceneComplexity } from '../analysis/complexity.js';
import { InvalidOptionsError } from '../errors.js';
import type { ProxyCurve, ProxySpec } from '../core/proxy-spec.js';
import { vmafToT } from '../core/curve.js';

/**
 * The model's inputs, in order. Detail and motion statistics enter through log1p: their effect on
 * coded size and on quality loss saturates (doubling already-high detail costs far less than going
 * from flat to textured), and the log keeps heavy-tailed values (whip pans, grain) from dominating
 * a linear fit. All are on the 256-px-wide analysis frames, so they are comparable across videos.
 *
 * - log1p(si.mean): spatial detail — the main driver of intra cost and of blur/ringing loss.
 * - log1p(si.p90): the most detailed frames — what pulls the scene's 5th-percentile VMAF down.
 * - log1p(motion.mean): typical motion (smoothed-luma change) — inter-prediction cost.
 * - log1p(motion.p90): motion bursts — worst frames for inter prediction, again for p5.
 * - log1p(mcResidual.mean): what is left of the frame change after per-block motion search —
 *   the inter cost an encoder actually pays (a pan has high motion but a low residual).
 * - log1p(ti.mean): raw frame difference (unsmoothed, so it also sees flicker/noise changes
 *   that motion smooths away).
 * - edgeDensity: sharp edges show coding artefacts first (VMAF's detail-loss term is edge driven).
 * - log1p(noise): grain/noise is expensive to code and VMAF partly forgives losing it.
 * - lumaMean/255: dark scenes get fewer bits from the encoders' rate distortion and VMAF is
 *   lenient in the dark.
 * - log2(width*height): the native resolution — features are measured at 256 px width, so the
 *   same analysis-frame detail spreads over more pixels (less detail per pixel) at higher
 *   resolution, and VMAF is computed at native resolution.
 *
 * Frame rate is not an input: the per-frame motion statistics already measure the change between
 * coded frames, and with few training videos a video-constant input like fps would mostly learn
 * video identity.
 */
export const modelFeatureNames = [
  'log1p(si.mean)',
  'log1p(si.p90)',
  'log1p(motion.mean)',
  'log1p(motion.p90)',
  'log1p(mcResidual.mean)',
  'log1p(ti.mean)',
  'edgeDensity',
  'log1p(noise)',
  'lumaMean/255',
  'log2(width*height)',
] as const;

export type ModelFeatureName = (typeof modelFeatureNames)[number];

/** What the model needs to know about the video besides the scene's complexity. */
export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
}

const lp = (v: number): number => Math.log1p(Math.max(0, v));

/** The feature names of a model: `modelFeatureNames`, then one per proxy CRF when it uses proxy curves. */
export function modelFeatureList(proxy?: ProxySpec): string[] {
  return [...modelFeatureNames, ...(proxy?.crfs ?? []).map((c) => `proxyT@${c}`)];
}

/**
 * The raw (unstandardised) feature vector of a scene, in `modelFeatureList(proxy)` order. With a
 * proxy spec, `proxyCurve` must hold the scene's proxy VMAF at every spec CRF; each enters as
 * t = ln(100 − min(VMAF, 99.5)), the model's own quality domain.
 */
export function modelFeatures(c: SceneComplexity, video: VideoInfo, proxy?: ProxySpec, proxyCurve?: ProxyCurve): number[] {
  const base = [
    lp(c.si.mean),
    lp(c.si.p90),
    lp(c.motion.mean),
    lp(c.motion.p90),
    lp(c.mcResidual.mean),
    lp(c.ti.mean),
    c.edgeDensity,
    lp(c.noise),
    c.lumaMean / 255,
    Math.log2(video.width * video.height),
  ];
  if (!proxy) return base;
  if (!proxyCurve) throw new InvalidOptionsError('scene', 'this CRF model uses proxy curves (measureProxyCurves), and none was given');
  return base.concat(
    proxy.crfs.map((crf) => {
      const i = proxyCurve.crfs.indexOf(crf);
      if (i < 0) throw new InvalidOptionsError('proxy curve', `the model needs the proxy VMAF at CRF ${crf}; the curve has CRFs ${proxyCurve.crfs.join(', ')}`);
      return vmafToT(proxyCurve.vmafMean[i]!);
    }),
  );
}
