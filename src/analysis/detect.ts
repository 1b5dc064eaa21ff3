import { z } from 'zod';
import { gridDistance, type FrameFeatures, type FrameSignature } from './features.js';

/**
 * Shot-boundary detection on per-frame signatures: pure and synchronous.
 *
 * Three detectors share one timeline and are reconciled at the end:
 * - hard cuts: a frame-to-frame block difference that stands out from its neighbourhood
 *   (adaptive ratio, so fast pans and zooms, whose every frame differs a lot, are not cut), then a
 *   transient test that rejects flashes: if the picture after the jump matches the picture before
 *   it within a short window, nothing changed shot;
 * - fades: runs of solid (near-uniform) black or white frames between two different shots;
 * - dissolves: a window whose middle frame is the average of its ends (a linear blend) while the
 *   ends differ a lot and no single frame step explains the change.
 */

export type BoundaryKind = 'cut' | 'fade' | 'dissolve' | 'wipe';

export interface ShotBoundary {
  /** First frame of the new shot. For gradual transitions, the middle of the transition. */
  frame: number;
  kind: BoundaryKind;
  /** Altered frames [first, last] of a gradual transition (equal to frame for a cut). */
  transitionStart: number;
  transitionEnd: number;
  /** Detector confidence, comparable within a kind; used to choose which boundary survives a merge. */
  strength: number;
}

/**
 * Frame-repeat cadence of a stretch of video: how many frames repeat their predecessor (a
 * duplicate from a low-rate source, a 2-of-3 MJPEG cadence, 3:2 pulldown, an `fps` conversion) and,
 * when the repeats follow a regular pattern, its period. Encoders and the optimiser care: a
 * repeated frame costs almost nothing to code, and a cadence can be removed before encoding.
 */
export const repeatCadenceSchema = z
  .object({
    /** Fraction (0–1) of the stretch's frames (after its first) that repeat their predecessor. */
    repeatedFraction: z.number().min(0).max(1),
    /**
     * The regular pattern, when at least 90% of the frames follow one: `repeats` of every
     * `period` frames are repeats (3:2 pulldown is 2 of 5, a doubled frame rate 1 of 2, a 2-of-3
     * cadence 2 of 3). Absent when repeats are irregular or rare.
     */
    pattern: z.object({ period: z.number().int().min(2), repeats: z.number().int().min(1) }).strict().optional(),
  })
  .strict();

export type RepeatCadence = z.infer<typeof repeatCadenceSchema>;

/** Longest cadence period looked for (3:2 pulldown repeats with period 5). */
const MAX_CADENCE_PERIOD = 6;

/**
 * The cadence of frames [start, end) from the per-frame repeat flags of `findRepeats` (flag t: frame
 * t repeats frame t − 1). Pure.
 */
export function describeCadence(repeats: Uint8Array, start: number, end: number): RepeatCadence {
  const from = Math.max(1, start + 1);
  const count = end - from;
  if (count <= 0) return { repeatedFraction: 0 };
  let repeated = 0;
  for (let t = from; t < end; t++) repeated += repeats[t]!;
  const repeatedFraction = repeated / count;
  if (repeated < 2 || repeatedFraction > 0.95 || count < 2 * MAX_CADENCE_PERIOD) return { repeatedFraction };
  // The shortest period whose shifted flags agree with the flags on 90% of the frames.
  for (let period = 2; period <= MAX_CADENCE_PERIOD; period++) {
    let agree = 0;
    for (let t = from + period; t < end; t++) agree += +(repeats[t] === repeats[t - period]);
    if (agree < 0.9 * (count - period)) continue;
    const repeats_ = Math.round(repeatedFraction * period);
    if (repeats_ < 1 || repeats_ >= period) continue;
    return { repeatedFraction, pattern: { period, repeats: repeats_ } };
  }
  return { repeatedFraction };
}

/** The per-frame repeat flags (see `findRepeats`) from the signatures' block differences. */
export function repeatFlags(signatures: readonly FrameSignature[], features: readonly FrameFeatures[], options: DetectorOptions = {}): Uint8Array {
  const o = detectorOptionsSchema.parse(options);
  const n = signatures.length;
  const diff = new Float64Array(n);
  for (let t = 1; t < n; t++) diff[t] = features[t]?.blockDiff ?? gridDistance(signatures[t - 1]!.grid, signatures[t]!.grid);
  return findRepeats(diff, o);
}

export const detectorOptionsSchema = z
  .object({
    /** Minimum frame-to-frame block difference (0–1) for a hard cut. */
    cutThreshold: z.number().min(0).max(1).default(0.015),
    /** How many times larger than the neighbourhood mean the difference must be. */
    cutRatio: z.number().min(1).default(3),
    /** Neighbourhood half-width, frames. */
    cutWindow: z.number().int().min(1).max(30).default(2),
    /** Window (seconds) inside which a return to the earlier picture marks a flash, not a cut. */
    flashSeconds: z.number().min(0).max(2).default(0.4),
    /** Frames closer than this are one boundary (the stronger survives). */
    minShotFrames: z.number().int().min(1).default(6),
    /** Block difference below which two frames around an event show the same shot. */
    sameShotDistance: z.number().min(0).max(1).default(0.03),
    /** Luma variance below which a frame is solid (fade hold). */
    solidVariance: z.number().min(0).default(6),
    /** Dissolve search half-widths, seconds. */
    dissolveHalfWidths: z.array(z.number().positive()).default([0.25, 0.5]),
    /** Minimum end-to-end block difference across a dissolve. */
    dissolveMinChange: z.number().min(0).max(1).default(0.04),
    /** Maximum blend residual relative to the end-to-end change. */
    dissolveMaxResidual: z.number().min(0).max(1).default(0.4),
    /** Maximum ratio of the middle frame's variance to the mean of the ends' variances. */
    dissolveMaxVarianceRatio: z.number().min(0).max(1).default(0.85),
    /**
     * A frame whose difference to the previous one is below this fraction of the local level of
     * differences (80th percentile over ±repeatWindow frames) repeats its predecessor (a
     * duplicated frame of a 2-of-3, 3:2 or frame-rate-up cadence). Repeats are left out of the
     * neighbourhood a cut is judged against, so the frame after a repeat is compared with the
     * differences between distinct frames, not with zeros.
     */
    repeatRatio: z.number().min(0).max(1).default(0.2),
    /** Half-width (frames) of the window that sets the local level for repeat detection. */
    repeatWindow: z.number().int().min(2).max(60).default(12),
    /**
     * Photometric normalisation of the cut test: each frame's block grid is brought to one mean
     * and contrast before frames are compared, so a global exposure or flicker change is not a
     * cut and a cut between two dark or flat shots is as visible as one in daylight.
     */
    normalizePhotometry: z.boolean().default(true),
    /**
     * Standard deviation of block means (8-bit) under which a frame is treated as having this
     * much contrast when normalised, so the noise of a near-uniform frame is not blown up.
     */
    minContrast: z.number().min(0).default(10),
    /**
     * Noise floor of the cut test: a cut must exceed the median frame step of the surrounding
     * second (distinct frames only) by this many robust deviations (1.4826 × MAD), on each side. Grain and
     * sensor noise raise every step alike; a cut stands out from that spread.
     */
    noiseDeviations: z.number().min(0).default(5),
    /** TI (8-bit units) that marks an edit inside otherwise perfectly static content (slides, screen capture). */
    staticChangeTi: z.number().min(0).default(1),
    /** Wipe search half-widths, seconds. */
    wipeHalfWidths: z.array(z.number().positive()).default([0.25, 0.4, 0.6]),
    /** Minimum end-to-end block difference across a wipe. */
    wipeMinChange: z.number().min(0).max(1).default(0.05),
    /**
     * Maximum step residual of a wipe: the mean, over the blocks that change, of each block's
     * distance to the nearer of its two end values, relative to its change. A block that a wipe
     * sweeps over jumps once from its old to its new value (residual near 0); a blend or moving
     * picture passes through values near neither (a dissolve ~0.25, a pan ~0.2–0.5).
     */
    wipeMaxStepResidual: z.number().min(0).max(1).default(0.15),
    enableWipes: z.boolean().default(true),
    enableFades: z.boolean().default(true),
    enableDissolves: z.boolean().default(true),
  })
  .strict();

export type DetectorOptions = z.input<typeof detectorOptionsSchema>;
type Resolved = z.output<typeof detectorOptionsSchema>;

export function detectShots(
  signatures: readonly FrameSignature[],
  features: readonly FrameFeatures[],
  fps: number,
  options: DetectorOptions = {},
): ShotBoundary[] {
  const o = detectorOptionsSchema.parse(options);
  const n = signatures.length;
  if (n < 2) return [];
  const diff = new Float64Array(n);
  for (let t = 1; t < n; t++) diff[t] = features[t]?.blockDiff ?? gridDistance(signatures[t - 1]!.grid, signatures[t]!.grid);

  const repeats = findRepeats(diff, o);
  const photometry = new Photometry(signatures, o);
  const cutDiff = new Float64Array(n);
  for (let t = 1; t < n; t++) cutDiff[t] = photometry.distance(t - 1, t, diff[t]!);
  const fades = o.enableFades ? detectFades(signatures, diff, fps, o) : [];
  const cuts = detectCuts(photometry, cutDiff, repeats, fps, o);
  cuts.push(...detectStaticChanges(features, fps, o).filter((c) => !cuts.some((k) => Math.abs(k.frame - c.frame) < o.minShotFrames)));
  const dissolves = o.enableDissolves ? detectDissolves(signatures, diff, fps, o) : [];

  const wipes = o.enableWipes ? detectWipes(signatures, diff, fps, o) : [];

  // Gradual transitions explain the hard jumps inside them (a fade's last dark frame to its
  // first lit one can look like a cut).
  const blends = [...fades, ...dissolves.filter((d) => !fades.some((f) => overlaps(f, d)))];
  const gradual = [...blends, ...wipes.filter((w) => !blends.some((b) => overlaps(b, w)))];
  const inside = (f: number) => gradual.some((g) => f >= g.transitionStart && f <= g.transitionEnd);
  const all = [...gradual, ...cuts.filter((c) => !inside(c.frame))];
  return suppressClose(all, o.minShotFrames);
}

function overlaps(a: ShotBoundary, b: ShotBoundary): boolean {
  return a.transitionStart <= b.transitionEnd + 1 && b.transitionStart <= a.transitionEnd + 1;
}

/** Keeps the strongest boundary of any group closer than `minGap` frames (gradual beats cut on ties of place). */
function suppressClose(bs: ShotBoundary[], minGap: number): ShotBoundary[] {
  const sorted = [...bs].sort((a, b) => b.strength - a.strength);
  const kept: ShotBoundary[] = [];
  for (const b of sorted) if (!kept.some((k) => Math.abs(k.frame - b.frame) < minGap)) kept.push(b);
  return kept.sort((a, b) => a.frame - b.frame);
}

/** Local difference level (0–1, about one 8-bit grey level) below which content is still, not cadenced. */
const REPEAT_MIN_LEVEL = 0.004;

/**
 * Marks frames that repeat their predecessor: a difference far below the local level. The level is
 * a high quantile so that a cadence where most frames repeat (2 of 3) still measures the
 * differences between distinct frames.
 */
export function findRepeats(diff: Float64Array, o: Pick<Resolved, 'repeatRatio' | 'repeatWindow'>): Uint8Array {
  const n = diff.length;
  const out = new Uint8Array(n);
  const q80 = (from: number, to: number) => {
    const buf: number[] = [];
    for (let k = Math.max(1, from); k <= Math.min(n - 1, to); k++) buf.push(diff[k]!);
    buf.sort((a, b) => a - b);
    return buf[Math.min(buf.length - 1, Math.floor(0.8 * buf.length))]!;
  };
  for (let t = 1; t < n; t++) {
    // The quieter side's level: a window reaching across a cut into a busier shot must not make
    // the still frames of this one look like repeats.
    const level = Math.min(q80(t - o.repeatWindow, t), q80(t, t + o.repeatWindow));
    // Still content (level near zero) has no cadence to speak of: nothing there is a repeat.
    if (level >= REPEAT_MIN_LEVEL && diff[t]! < o.repeatRatio * level) out[t] = 1;
  }
  return out;
}

function detectCuts(photometry: Photometry, diff: Float64Array, repeats: Uint8Array, fps: number, o: Resolved): ShotBoundary[] {
  const n = diff.length;
  const out: ShotBoundary[] = [];
  const flashK = Math.max(2, Math.round(o.flashSeconds * fps));
  for (let t = 1; t < n; t++) {
    const d = diff[t]!;
    if (d < o.cutThreshold) continue;
    // Neighbourhood: the cutWindow nearest distinct (non-repeat) frame steps on each side.
    // The median, so that another cut a few frames away (short shots) does not raise it.
    const near: number[] = [];
    let nearMax = 0;
    for (const dir of [-1, 1]) {
      let taken = 0;
      for (let k = t + dir; k >= 1 && k < n && taken < o.cutWindow && Math.abs(k - t) <= 3 * o.cutWindow; k += dir) {
        if (repeats[k]) continue;
        near.push(diff[k]!);
        taken++;
        if (taken === 1) nearMax = Math.max(nearMax, diff[k]!);
      }
      // Only repeats within reach (a still after the cut): the adjacent step is the neighbourhood.
      if (!taken && t + dir >= 1 && t + dir < n) near.push(diff[t + dir]!);
    }
    near.sort((a, b) => a - b);
    const m = near.length >> 1;
    const base = near.length === 0 ? 0 : near.length & 1 ? near[m]! : (near[m - 1]! + near[m]!) / 2;
    if (d < o.cutRatio * base) continue;
    if (d < noiseFloor(diff, repeats, t, Math.round(fps), o.noiseDeviations)) continue;
    // Local maximum only: a cut is one frame step.
    if (nearMax > d) continue;
    if (isTransient(photometry, t, flashK, d)) continue;
    out.push({ frame: t, kind: 'cut', transitionStart: t, transitionEnd: t, strength: d / Math.max(base, 1e-3) });
  }
  return out;
}

/**
 * Median + `deviations` robust deviations of the distinct frame steps within ±`reach` frames of
 * `t` (t itself left out): the level a step must exceed to be more than noise and ordinary motion.
 */
function noiseFloor(diff: Float64Array, repeats: Uint8Array, t: number, reach: number, deviations: number): number {
  // Each side on its own: a window straddling the cut would mix two shots' levels.
  let floor = 0;
  for (const [from, to] of [[t - reach, t - 1], [t + 1, t + reach]] as const) {
    const steps: number[] = [];
    for (let k = Math.max(1, from); k <= Math.min(diff.length - 1, to); k++) if (!repeats[k]) steps.push(diff[k]!);
    if (steps.length < 4) continue;
    steps.sort((a, b) => a - b);
    const median = steps[steps.length >> 1]!;
    const dev = steps.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
    floor = Math.max(floor, median + deviations * 1.4826 * dev[dev.length >> 1]!);
  }
  return floor;
}

/**
 * In perfectly still digital content (slides, screen recordings) nothing moves at all, so any
 * change, even a few words, is an edit: TI jumps from ~0 to a visible value and falls back.
 */
function detectStaticChanges(features: readonly FrameFeatures[], fps: number, o: Resolved): ShotBoundary[] {
  const out: ShotBoundary[] = [];
  // Still for half a second on both sides: rules out frame-repeat judder and slow motion.
  const w = Math.max(3, Math.round(0.5 * fps));
  const quiet = 0.25 * o.staticChangeTi;
  for (let t = w; t + w < features.length; t++) {
    if (features[t]!.ti < o.staticChangeTi) continue;
    let still = true;
    for (let k = t - w + 1; k <= t + w && still; k++) if (k !== t && features[k]!.ti > quiet) still = false;
    if (still) out.push({ frame: t, kind: 'cut', transitionStart: t, transitionEnd: t, strength: 1 });
  }
  return out;
}

/**
 * True when some frame shortly after `t` looks like some frame shortly before it: the jump at `t`
 * was a flash or a brief occlusion, not a change of shot.
 */
function isTransient(photometry: Photometry, t: number, k: number, jump: number): boolean {
  const n = photometry.length;
  for (let i = 1; i <= k && t - i >= 0; i++) {
    for (let j = 0; j <= k - i + 1 && t + j < n; j++) {
      if (i === 1 && j === 0) continue;
      if (photometry.distance(t - i, t + j) < 0.35 * jump) return true;
    }
  }
  return false;
}

/**
 * Whether the pictures just before `before` and just after `after` belong to one shot. Allows for
 * the drift that the shot's own motion would cause over the gap (so a flash during a pan is still
 * one shot), estimated from the median frame step on both sides.
 */
function sameShotAcross(sigs: readonly FrameSignature[], diff: Float64Array, before: number, after: number, k: number, o: Resolved): boolean {
  const n = sigs.length;
  const steps: number[] = [];
  for (let i = 1; i <= 6; i++) {
    if (before - i + 1 >= 1) steps.push(diff[before - i + 1]!);
    if (after + i < n) steps.push(diff[after + i]!);
  }
  steps.sort((x, y) => x - y);
  const rate = steps.length ? steps[steps.length >> 1]! : 0;
  let best = Infinity;
  let gap = 0;
  for (let i = 0; i < k && before - i >= 0; i++) {
    for (let j = 0; j < k && after + j < n; j++) {
      const dist = gridDistance(sigs[before - i]!.grid, sigs[after + j]!.grid);
      if (dist < best) { best = dist; gap = after + j - (before - i); }
    }
  }
  // Drift is only extrapolated over a flash-sized gap: across a long fade anything could change.
  return best <= Math.max(o.sameShotDistance, Math.min(0.12, 1.2 * Math.min(gap, k) * rate));
}

function isSolid(s: FrameSignature, o: Resolved): boolean {
  return s.variance <= o.solidVariance && (s.mean < 40 || s.mean > 215);
}

function detectFades(sigs: readonly FrameSignature[], diff: Float64Array, fps: number, o: Resolved): ShotBoundary[] {
  const n = sigs.length;
  const out: ShotBoundary[] = [];
  const maxRamp = Math.round(3 * fps);
  let t = 0;
  while (t < n) {
    if (!isSolid(sigs[t]!, o)) { t++; continue; }
    let e = t;
    while (e + 1 < n && isSolid(sigs[e + 1]!, o) && Math.abs(sigs[e + 1]!.mean - sigs[t]!.mean) < 30) e++;
    const holdStart = t;
    const holdEnd = e;
    t = e + 1;
    // Solid frames at the very start or end of the video are a leader/trailer, not a boundary.
    if (holdStart === 0 || holdEnd === n - 1) continue;
    // Ramps: variance grows monotonically away from the hold.
    const grows = (from: FrameSignature, to: FrameSignature) => to.variance > from.variance * 1.01 + 0.1;
    let a = holdStart;
    while (a - 1 >= 0 && holdStart - a < maxRamp && grows(sigs[a]!, sigs[a - 1]!) && diff[a]! < 0.08) a--;
    let b = holdEnd;
    while (b + 1 < n && b - holdEnd < maxRamp && grows(sigs[b]!, sigs[b + 1]!) && diff[b + 1]! < 0.08) b++;
    // The same picture on both sides: a flash or a blink inside one shot, not a boundary.
    if (a > 0 && b + 1 < n && sameShotAcross(sigs, diff, a - 1, b + 1, Math.max(2, Math.round(o.flashSeconds * fps)), o)) continue;
    out.push({ frame: Math.round((holdStart + holdEnd + 1) / 2), kind: 'fade', transitionStart: a, transitionEnd: b, strength: 10 });
  }
  return out;
}

function detectDissolves(sigs: readonly FrameSignature[], diff: Float64Array, fps: number, o: Resolved): ShotBoundary[] {
  const n = sigs.length;
  const hits: { t: number; h: number; score: number }[] = [];
  for (const hs of o.dissolveHalfWidths) {
    const h = Math.max(2, Math.round(hs * fps));
    for (let t = h; t + h < n; t++) {
      const a = sigs[t - h]!.grid;
      const b = sigs[t + h]!.grid;
      const change = gridDistance(a, b);
      // Between dark or flat scenes the same dissolve moves fewer grey levels: judge the change
      // at normal contrast (the residual and variance tests below are ratios, unaffected).
      const contrastGain = o.normalizePhotometry ? Math.max(1, NORMAL_SIGMA / Math.max(gridMoments(a).sd, gridMoments(b).sd, o.minContrast)) : 1;
      if (change * contrastGain < o.dissolveMinChange) continue;
      // No single step may carry the change (that is a cut, handled elsewhere).
      let maxStep = 0;
      for (let k = t - h + 1; k <= t + h; k++) maxStep = Math.max(maxStep, diff[k]!);
      if (maxStep > 0.5 * change) continue;
      const resid = blendResidual(a, b, sigs[t]!.grid);
      if (resid > o.dissolveMaxResidual * change) continue;
      // A blend of two unrelated pictures has less contrast than either: the variance dips in the
      // middle. A pan or zoom keeps its variance, which is what separates the two.
      const endsVariance = (sigs[t - h]!.variance + sigs[t + h]!.variance) / 2;
      if (sigs[t]!.variance > o.dissolveMaxVarianceRatio * endsVariance) continue;
      // The shots on either side must be steadier than the transition (rejects pans/zooms).
      const before = t - 2 * h >= 0 ? gridDistance(sigs[t - 2 * h]!.grid, a) : 0;
      const after = t + 2 * h < n ? gridDistance(b, sigs[t + 2 * h]!.grid) : 0;
      if (Math.max(before, after) > 0.6 * change) continue;
      hits.push({ t, h, score: change * (1 - resid / change) });
    }
  }
  // Group overlapping hits into one transition each.
  return hitRuns(hits).map((group) => {
    const best = strongest(group);
    const lo = Math.min(...group.map((g) => g.t));
    const hi = Math.max(...group.map((g) => g.t));
    // The blend spans the hits' windows; report that span so cuts inside it are absorbed.
    const start = Math.max(0, Math.min(...group.map((g) => g.t - g.h)));
    const end = Math.min(n - 1, Math.max(...group.map((g) => g.t + g.h)));
    return { frame: Math.round((lo + hi) / 2), kind: 'dissolve', transitionStart: start, transitionEnd: end, strength: 5 + best.score };
  });
}

/** Hits sorted by frame and split into runs whose neighbours are at most 2 frames apart: one transition each. */
function hitRuns<T extends { t: number }>(hits: T[]): T[][] {
  hits.sort((x, y) => x.t - y.t);
  const runs: T[][] = [];
  for (const hit of hits) {
    const run = runs[runs.length - 1];
    if (run && hit.t - run[run.length - 1]!.t <= 2) run.push(hit);
    else runs.push([hit]);
  }
  return runs;
}

/** The hit of a run with the highest score (the first of equals). */
function strongest<T extends { score: number }>(run: T[]): T {
  return run.reduce((p, q) => (q.score > p.score ? q : p));
}

/** Mean |m − (a+b)/2| over blocks, 0–1: zero when m is the even blend of a and b. */
function blendResidual(a: Uint8Array, b: Uint8Array, m: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += Math.abs(m[i]! - (a[i]! + b[i]!) / 2);
  return s / (255 * m.length);
}

/**
 * Wipes (a boundary sweeping across the frame: wipe, circle, clock, ...): over a window whose ends
 * differ a lot and whose surroundings are steady, every block that changes does so in one step
 * from its old value to its new one (low step residual), and the blocks switch at different
 * times (the sweep), so no single frame step carries the change. The transition reported covers
 * the frames between the first and last block switches.
 */
function detectWipes(sigs: readonly FrameSignature[], diff: Float64Array, fps: number, o: Resolved): ShotBoundary[] {
  const n = sigs.length;
  const hits: { t: number; start: number; end: number; score: number }[] = [];
  for (const hs of o.wipeHalfWidths) {
    const h = Math.max(2, Math.round(hs * fps));
    const pad = Math.max(2, h >> 1);
    for (let t = h; t + h < n; t++) {
      const s = t - h;
      const e = t + h;
      const a = sigs[s]!.grid;
      const b = sigs[e]!.grid;
      const change = gridDistance(a, b);
      if (change < o.wipeMinChange) continue;
      let maxStep = 0;
      let path = 0;
      for (let k = s + 1; k <= e; k++) {
        maxStep = Math.max(maxStep, diff[k]!);
        path += diff[k]!;
      }
      if (maxStep > 0.5 * change) continue;
      // Each block switches once: the frame steps add up to about the end-to-end change. Motion
      // wanders (its steps add up to much more than where it ends).
      if (change < WIPE_MIN_EFFICIENCY * path) continue;
      const before = s - pad >= 0 ? gridDistance(sigs[s - pad]!.grid, a) : 0;
      const after = e + pad < n ? gridDistance(b, sigs[e + pad]!.grid) : 0;
      if (Math.max(before, after) > 0.35 * change) continue;
      // The frame steps inside stand out from those around it (a pan or drift that goes on before
      // and after is not a transition).
      let around = 0;
      let aroundCount = 0;
      for (let k = Math.max(1, s - pad + 1); k <= s; k++, aroundCount++) around += diff[k]!;
      for (let k = e + 1; k <= Math.min(n - 1, e + pad); k++, aroundCount++) around += diff[k]!;
      if (aroundCount && path / (e - s) < WIPE_MIN_ELEVATION * (around / aroundCount)) continue;
      const sweep = sweepOf(sigs, s, e);
      if (!sweep || sweep.residual > o.wipeMaxStepResidual || sweep.last - sweep.first < 2) continue;
      hits.push({ t, start: sweep.first, end: sweep.last, score: change * (1 - sweep.residual) });
    }
  }
  return hitRuns(hits).map((group) => {
    const best = strongest(group);
    return { frame: Math.round((best.start + best.end) / 2), kind: 'wipe', transitionStart: best.start, transitionEnd: best.end, strength: 5 + best.score };
  });
}

/** How many times the mean frame step around a wipe the mean step inside it must be. */
const WIPE_MIN_ELEVATION = 2;

/** Minimum ratio of a wipe's end-to-end change to the sum of its frame steps. */
const WIPE_MIN_EFFICIENCY = 0.7;

/** Grey levels a block must change by across the window to take part in the sweep test. */
const SWEEP_MIN_BLOCK_CHANGE = 12;

/**
 * Per-block change timing over frames s..e: the mean step residual of the blocks that change, and
 * the 10th and 90th percentiles of the frames at which they switch from nearer their old value to
 * nearer their new one. Undefined when too few blocks change (under a fifth of the frame).
 */
function sweepOf(sigs: readonly FrameSignature[], s: number, e: number): { residual: number; first: number; last: number } | undefined {
  const a = sigs[s]!.grid;
  const b = sigs[e]!.grid;
  const times: number[] = [];
  let residual = 0;
  for (let i = 0; i < a.length; i++) {
    const span = Math.abs(a[i]! - b[i]!);
    if (span < SWEEP_MIN_BLOCK_CHANGE) continue;
    let r = 0;
    let switched = -1;
    for (let k = s; k <= e; k++) {
      const v = sigs[k]!.grid[i]!;
      const da = Math.abs(v - a[i]!);
      const db = Math.abs(v - b[i]!);
      r += Math.min(da, db);
      if (switched < 0 && db < da) switched = k;
    }
    residual += r / ((e - s + 1) * span);
    times.push(switched);
  }
  if (times.length < 0.2 * a.length) return undefined;
  times.sort((x, y) => x - y);
  return {
    residual: residual / times.length,
    first: times[Math.floor(0.1 * (times.length - 1))]!,
    last: times[Math.floor(0.9 * (times.length - 1))]!,
  };
}

/** Contrast every block grid is brought to by photometric normalisation (8-bit standard deviation). */
const NORMAL_SIGMA = 48;

/**
 * The distance the cut test uses between any two frames: the smaller of the raw block difference
 * and the difference after photometric normalisation, where each frame's block grid is brought to
 * one mean and NORMAL_SIGMA contrast (a frame flatter than `minContrast` is scaled as if it had
 * that contrast, so the noise of a near-uniform frame is not blown up). What is left after
 * normalisation is the picture's layout, not its exposure: a global flicker or exposure change
 * moves the raw difference only. Keeps two numbers per frame, not a second grid.
 */
class Photometry {
  readonly length: number;
  private readonly mean: Float64Array;
  private readonly gain: Float64Array;
  constructor(
    private readonly sigs: readonly FrameSignature[],
    private readonly o: Pick<Resolved, 'normalizePhotometry' | 'minContrast'>,
  ) {
    this.length = sigs.length;
    this.mean = new Float64Array(sigs.length);
    this.gain = new Float64Array(sigs.length);
    sigs.forEach((s, i) => {
      const { mean, sd } = gridMoments(s.grid);
      this.mean[i] = mean;
      this.gain[i] = NORMAL_SIGMA / Math.max(sd, o.minContrast, 1e-6);
    });
  }

  /** Cut-test distance of frames i and j (0–1); `raw` is their block difference when already known. */
  distance(i: number, j: number, raw?: number): number {
    const a = this.sigs[i]!.grid;
    const b = this.sigs[j]!.grid;
    const r = raw ?? gridDistance(a, b);
    if (!this.o.normalizePhotometry) return r;
    const ma = this.mean[i]!;
    const mb = this.mean[j]!;
    const ga = this.gain[i]!;
    const gb = this.gain[j]!;
    let s = 0;
    for (let k = 0; k < a.length; k++) s += Math.abs((a[k]! - ma) * ga - (b[k]! - mb) * gb);
    return Math.min(r, s / (255 * a.length));
  }
}

/** Mean and standard deviation of a grid's block means (8-bit). */
function gridMoments(grid: Uint8Array): { mean: number; sd: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < grid.length; i++) {
    sum += grid[i]!;
    sq += grid[i]! * grid[i]!;
  }
  const mean = sum / grid.length;
  return { mean, sd: Math.sqrt(Math.max(0, sq / grid.length - mean * mean)) };
}

