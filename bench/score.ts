/**
 * Scores detected scene boundaries against the corpus ground truth (`../shared/corpus`): a
 * detection matches a hard cut within ±1 frame and a gradual transition [s, e] when it lies in
 * [s-1, e+1]; matching is one-to-one; a detection inside a must-not-cut event is a false positive
 * (it is unmatched, so it counts as one anyway).
 */
export interface GroundTruth {
  fps: number;
  frame_count: number;
  width: number;
  height: number;
  cuts: number[];
  transitions: [number, number, string][];
  non_cut_events: [number, number, string][];
}

export interface Score {
  truePositives: number;
  falsePositives: number;
  misses: number;
  precision: number;
  recall: number;
  f1: number;
  /** Unmatched detections, and which must-not-cut event (if any) each fell in. */
  falseDetections: { frame: number; event?: string }[];
  missed: { frame: number; kind: string }[];
}

interface Target {
  lo: number;
  hi: number;
  frame: number;
  kind: string;
}

export function scoreBoundaries(detected: readonly number[], gt: GroundTruth): Score {
  const targets: Target[] = [
    ...gt.cuts.map((c) => ({ lo: c - 1, hi: c + 1, frame: c, kind: 'cut' })),
    ...gt.transitions.map(([s, e, k]) => ({ lo: s - 1, hi: e + 1, frame: s, kind: k })),
  ].sort((a, b) => a.lo - b.lo);
  const dets = [...detected].sort((a, b) => a - b);
  // Greedy in time order is optimal for interval matching when each detection takes the target
  // whose window closes first.
  const used = new Set<number>();
  const matchedDet = new Set<number>();
  for (let di = 0; di < dets.length; di++) {
    const d = dets[di]!;
    let best = -1;
    for (let ti = 0; ti < targets.length; ti++) {
      if (used.has(ti)) continue;
      const t = targets[ti]!;
      if (d >= t.lo && d <= t.hi && (best < 0 || t.hi < targets[best]!.hi)) best = ti;
    }
    if (best >= 0) {
      used.add(best);
      matchedDet.add(di);
    }
  }
  const tp = used.size;
  const fp = dets.length - matchedDet.size;
  const fn = targets.length - tp;
  const precision = dets.length ? tp / dets.length : 1;
  const recall = targets.length ? tp / targets.length : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return {
    truePositives: tp,
    falsePositives: fp,
    misses: fn,
    precision,
    recall,
    f1,
    falseDetections: dets
      .filter((_, i) => !matchedDet.has(i))
      .map((frame) => ({ frame, event: gt.non_cut_events.find(([s, e]) => frame >= s - 1 && frame <= e + 1)?.[2] })),
    missed: targets.filter((_, i) => !used.has(i)).map((t) => ({ frame: t.frame, kind: t.kind })),
  };
}

/** Micro-averaged totals over several videos. */
export function totalScore(scores: readonly Score[]): Pick<Score, 'truePositives' | 'falsePositives' | 'misses' | 'precision' | 'recall' | 'f1'> {
  const tp = scores.reduce((s, x) => s + x.truePositives, 0);
  const fp = scores.reduce((s, x) => s + x.falsePositives, 0);
  const fn = scores.reduce((s, x) => s + x.misses, 0);
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  return { truePositives: tp, falsePositives: fp, misses: fn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/**
 * Must-not-cut events with at least one detection inside them (`[first, last]`, inclusive). The
 * ground truth keeps every event at least one frame away from a true boundary, so a detection
 * inside an event is a false boundary caused by the event.
 */
export function eventsWithBoundary(detected: readonly number[], gt: GroundTruth): { events: number; hit: number; hitKinds: string[] } {
  const hits = gt.non_cut_events.filter(([s, e]) => detected.some((d) => d >= s && d <= e));
  return { events: gt.non_cut_events.length, hit: hits.length, hitKinds: hits.map(([, , k]) => k) };
}
