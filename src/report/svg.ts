/**
 * Plain-SVG chart pieces for the report: scales, ticks, downsampling and number formatting. Pure
 * and deterministic (fixed decimals, no locale), so the same result renders to the same bytes.
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** A coordinate with at most one decimal ("12", "12.5"). */
export function c1(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A number for tables and labels: integers as they are, others with 3 significant-ish decimals. */
export function fmt(v: number | undefined, digits?: number): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (digits !== undefined) return v.toFixed(digits);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return v.toFixed(a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3);
}

/** "1:02.5" / "1:02:03" from seconds. */
export function fmtTime(s: number, precise = true): string {
  const neg = s < 0;
  s = Math.abs(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const secText = precise ? sec.toFixed(1).padStart(4, '0') : String(Math.floor(sec)).padStart(2, '0');
  return `${neg ? '−' : ''}${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : String(m)}:${secText}`;
}

export function fmtBytes(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(2)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${Math.round(b)} B`;
}

/** Nice tick values covering [lo, hi] (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** Domain [lo, hi] extended to nice round values. */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  if (!(hi > lo)) return [lo - 1, hi + 1];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/** Time tick step (seconds) for a duration, about 10 ticks. */
export function timeStep(duration: number): number {
  const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((s) => duration / s <= 10) ?? 7200;
}

export interface Bucketed {
  /** x of each point (frame index: the bucket's middle). */
  x: number[];
  mean: number[];
  /** Present when more than one value fell in a bucket: the envelope to draw. */
  min?: number[];
  max?: number[];
}

/**
 * Downsamples a series of (x, value) points (x ascending) into at most `buckets` equal-width x
 * buckets over [x0, x1): min, max and mean per bucket; a short series passes through unchanged.
 */
export function bucketSeries(xs: ArrayLike<number>, ys: ArrayLike<number>, x0: number, x1: number, buckets: number): Bucketed {
  const n = xs.length;
  if (n <= buckets) {
    const x: number[] = [];
    const mean: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(ys[i])) continue;
      x.push(xs[i]);
      mean.push(ys[i]);
    }
    return { x, mean };
  }
  const width = (x1 - x0) / buckets;
  const sum = new Float64Array(buckets);
  const cnt = new Uint32Array(buckets);
  const mn = new Float64Array(buckets).fill(Infinity);
  const mx = new Float64Array(buckets).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((xs[i] - x0) / width)));
    sum[b] += y;
    cnt[b]++;
    if (y < mn[b]) mn[b] = y;
    if (y > mx[b]) mx[b] = y;
  }
  const out: Bucketed = { x: [], mean: [], min: [], max: [] };
  for (let b = 0; b < buckets; b++) {
    if (cnt[b] === 0) continue;
    out.x.push(x0 + (b + 0.5) * width);
    out.mean.push(sum[b] / cnt[b]);
    out.min!.push(mn[b]);
    out.max!.push(mx[b]);
  }
  return out;
}

/** viridis (perceptually uniform, colour-blind safe), 9 stops. */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

function hex(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** viridis colour of t in [0, 1]. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hex(VIRIDIS[i]);
  const b = hex(VIRIDIS[i + 1]);
  return `#${a.map((v, k) => Math.round(v + (b[k] - v) * f).toString(16).padStart(2, '0')).join('')}`;
}

/** Whether text on a viridis colour should be dark. */
export function viridisDarkText(t: number): boolean {
  return t > 0.55;
}

/** Okabe–Ito colours (colour-blind safe). */
export const OKABE = {
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#6b7280',
} as const;

/** A polyline path ("M x y L x y ...") through points. */
export function linePath(xs: number[], ys: number[]): string {
  let d = '';
  for (let i = 0; i < xs.length; i++) d += `${i ? 'L' : 'M'}${c1(xs[i])} ${c1(ys[i])}`;
  return d;
}

/** A closed area between an upper and a lower line. */
export function bandPath(xs: number[], upper: number[], lower: number[]): string {
  if (xs.length === 0) return '';
  let d = linePath(xs, upper);
  for (let i = xs.length - 1; i >= 0; i--) d += `L${c1(xs[i])} ${c1(lower[i])}`;
  return `${d}Z`;
}
