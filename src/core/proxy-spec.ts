import { z } from 'zod';

/**
 * Proxy curves: each scene encoded cheaply — at a small size, with the target encoder's fastest
 * setting, at a few CRFs — and scored with the builtin VMAF. The pre-analysis features say how
 * busy a scene is; a proxy curve says how this encoder family's quality falls with CRF on it, which
 * is what a single probe's correction needs (bench/RESULTS.md, "proxy curves"). This file holds the
 * pure part: what a proxy measurement is and how it is described in model and dataset files.
 */

/** How proxy curves are measured. A model trained on proxy features stores its spec, and is only fed curves measured the same way. */
export const proxySpecSchema = z
  .object({
    /** Width of the proxy frames (height follows the aspect ratio, even). */
    width: z.number().int().min(16).max(1920),
    /** Frames encoded per scene: its middle `frames` (all of it when shorter). */
    frames: z.number().int().min(8),
    /** The proxy's VMAF scores every n-th frame. */
    subsample: z.number().int().min(1),
    /** CRFs encoded, strictly increasing. */
    crfs: z
      .array(z.number().int().min(0).max(63))
      .min(1)
      .refine((c) => c.every((v, i) => i === 0 || v > c[i - 1]!), 'crfs must be strictly increasing'),
  })
  .strict();

export type ProxySpec = z.output<typeof proxySpecSchema>;

/**
 * Two CRFs give a level and a slope; 36 and 52 bracket where VMAF 90–96 lies for most scenes.
 * 640 px wide: on the training folds it predicted better than 320 px in the planning simulation,
 * and as well as full 720p (1280 px) at less than half its cost (bench/RESULTS.md, "proxy width").
 */
export const DEFAULT_PROXY_SPEC: ProxySpec = { width: 640, frames: 48, subsample: 2, crfs: [36, 52] };

const proxyCurveFields = { crfs: z.array(z.number().int()), vmafMean: z.array(z.number().finite()) };
const sameLength = (c: { crfs: number[]; vmafMean: number[] }): boolean => c.crfs.length === c.vmafMean.length;

/** One scene's proxy measurement: builtin VMAF (mean over the scored frames) at each spec CRF. */
export const proxyCurveSchema = z.object(proxyCurveFields).strict().refine(sameLength, 'crfs and vmafMean must have the same length');

/** A proxy curve with the spec it was measured to, as dataset rows store it. */
export const specifiedProxyCurveSchema = z
  .object({ spec: proxySpecSchema, ...proxyCurveFields })
  .strict()
  .refine(sameLength, 'crfs and vmafMean must have the same length');

export type ProxyCurve = z.output<typeof proxyCurveSchema>;

/** The frames a probe or proxy encodes: all of the scene, or `limit` frames from its middle. */
export function middleFrames(startFrame: number, endFrame: number, limit: number | 'all'): { startFrame: number; endFrame: number } {
  const n = endFrame - startFrame;
  if (limit === 'all' || n <= limit) return { startFrame, endFrame };
  const start = startFrame + Math.floor((n - limit) / 2);
  return { startFrame: start, endFrame: start + limit };
}
