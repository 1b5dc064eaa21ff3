import type { FrameFeatures } from './features.js';
import type { BoundaryKind, ShotBoundary } from './detect.js';

/** How a scene began. `split` marks a cut made only to honour the maximum scene length. */
export type SceneStart = 'start' | BoundaryKind | 'split';

export interface SceneRange {
  /** First frame (inclusive). */
  startFrame: number;
  /** One past the last frame (exclusive). */
  endFrame: number;
  startKind: SceneStart;
  /** For scenes that began with a fade, dissolve or wipe: the altered frames [first, last]. */
  transition?: { startFrame: number; endFrame: number };
}

export interface SceneLengthOptions {
  /** Scenes shorter than this merge into a neighbour (the weaker boundary goes). */
  minSceneLength: number;
  /** Scenes longer than this are split at their quietest frame; undefined = no limit. */
  maxSceneLength?: number;
}

/**
 * Turns shot boundaries into scene ranges covering [0, frameCount) and applies the length limits.
 * Pure; `features` supplies the motion measure used to place splits.
 */
export function buildScenes(
  boundaries: readonly ShotBoundary[],
  features: readonly Pick<FrameFeatures, 'motion'>[],
  frameCount: number,
  opts: SceneLengthOptions,
): SceneRange[] {
  if (frameCount <= 0) return [];
  const min = Math.max(1, opts.minSceneLength);
  let kept = boundaries.filter((b) => b.frame > 0 && b.frame < frameCount).sort((a, b) => a.frame - b.frame);

  // Repeatedly drop one boundary of the shortest too-short scene: the weaker of its two ends.
  for (;;) {
    const edges = [0, ...kept.map((b) => b.frame), frameCount];
    let shortest = -1;
    for (let i = 0; i + 1 < edges.length; i++) {
      const len = edges[i + 1]! - edges[i]!;
      if (len < min && (shortest < 0 || len < edges[shortest + 1]! - edges[shortest]!)) shortest = i;
    }
    if (shortest < 0 || kept.length === 0) break;
    const left = shortest - 1; // index into kept of the boundary opening the scene
    const right = shortest; // index into kept of the boundary closing it
    let drop: number;
    if (left < 0) drop = right;
    else if (right >= kept.length) drop = left;
    else drop = kept[left]!.strength <= kept[right]!.strength ? left : right;
    kept = kept.filter((_, i) => i !== drop);
  }

  const scenes: SceneRange[] = [];
  const edges = [0, ...kept.map((b) => b.frame), frameCount];
  for (let i = 0; i + 1 < edges.length; i++) {
    const b = i > 0 ? kept[i - 1]! : undefined;
    const scene: SceneRange = { startFrame: edges[i]!, endFrame: edges[i + 1]!, startKind: b ? b.kind : 'start' };
    if (b && b.kind !== 'cut') scene.transition = { startFrame: b.transitionStart, endFrame: b.transitionEnd };
    scenes.push(...splitLong(scene, features, min, opts.maxSceneLength));
  }
  return scenes;
}

/**
 * Splits a scene longer than `max` into the fewest parts that fit, each split placed at the
 * frame with the least motion near its evenly spaced position, so the new keyframe lands on a
 * calm moment (cheap to code and invisible).
 */
function splitLong(scene: SceneRange, features: readonly Pick<FrameFeatures, 'motion'>[], min: number, max: number | undefined): SceneRange[] {
  const len = scene.endFrame - scene.startFrame;
  if (max === undefined || len <= max) return [scene];
  const parts = Math.ceil(len / max);
  const cuts: number[] = [];
  let prev = scene.startFrame;
  for (let p = 1; p < parts; p++) {
    // Re-aim at an even share of what is left, so early splits cannot push the tail past max.
    const partsLeft = parts - p + 1;
    const share = (scene.endFrame - prev) / partsLeft;
    const target = Math.round(prev + share);
    const slack = Math.floor(share / 4);
    const lo = Math.max(prev + min, target - slack, scene.endFrame - (partsLeft - 1) * max);
    const hi = Math.min(prev + max, target + slack, scene.endFrame - min);
    let best = Math.min(Math.max(target, lo), hi);
    for (let f = lo; f <= hi; f++) if ((features[f]?.motion ?? Infinity) < (features[best]?.motion ?? Infinity)) best = f;
    cuts.push(best);
    prev = best;
  }
  const edges = [scene.startFrame, ...cuts, scene.endFrame];
  return edges.slice(0, -1).map((s, i) =>
    i === 0 ? { ...scene, endFrame: edges[1]! } : { startFrame: s, endFrame: edges[i + 1]!, startKind: 'split' as const },
  );
}
