/**
 * A deliberately plain implementation of the per-frame features, written from their definitions
 * in `src/analysis/features.ts` with one loop per quantity, full block SADs (no early exit) and
 * no shortcuts. The optimised code must give exactly the same numbers: every sum it reorders is a
 * sum of integers, and the floating-point sums (Sobel magnitudes) keep their order.
 */
import { BLOCK, EDGE_THRESHOLD, FLAT_THRESHOLD, HIST_BINS, MC_BLOCK, MC_RANGE, SPATIAL_ROW_STEP, type FrameFeatures } from '../src/analysis/features.js';

export interface ReferenceFrame {
  luma: ArrayLike<number>;
  smooth: number[];
  hist: number[];
  grid: number[];
  mvs?: number[];
}

const at = (a: ArrayLike<number>, i: number) => a[i]!;

function fullSad(cur: number[], ref: number[], w: number, h: number, x0: number, y0: number, dx: number, dy: number): number {
  let sad = 0;
  for (let y = 0; y < MC_BLOCK; y++) {
    for (let x = 0; x < MC_BLOCK; x++) {
      // Edge-padded reference: coordinates clamp into the frame.
      const rx = Math.min(w - 1, Math.max(0, x0 + dx + x));
      const ry = Math.min(h - 1, Math.max(0, y0 + dy + y));
      sad += Math.abs(cur[(y0 + y) * w + x0 + x]! - ref[ry * w + rx]!);
    }
  }
  return sad;
}

/** Predictive block search: best of zero / left / up / previous-frame vectors, then a diamond walk; ties keep the earlier. */
export function referenceMotion(cur: number[], ref: number[], w: number, h: number, prevMvs?: number[]): { residual: number; mvs: number[] } {
  const bw = Math.floor(w / MC_BLOCK);
  const bh = Math.floor(h / MC_BLOCK);
  const mvs = new Array<number>(2 * bw * bh).fill(0);
  if (bw === 0 || bh === 0) return { residual: 0, mvs };
  const ok = (dx: number, dy: number) => Math.abs(dx) <= MC_RANGE && Math.abs(dy) <= MC_RANGE;
  let total = 0;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const b = 2 * (by * bw + bx);
      const sad = (dx: number, dy: number) => fullSad(cur, ref, w, h, bx * MC_BLOCK, by * MC_BLOCK, dx, dy);
      let best = { dx: 0, dy: 0, sad: sad(0, 0) };
      const candidates: Array<[number, number]> = [];
      if (bx > 0) candidates.push([mvs[b - 2]!, mvs[b - 1]!]);
      if (by > 0) candidates.push([mvs[b - 2 * bw]!, mvs[b - 2 * bw + 1]!]);
      if (prevMvs && prevMvs.length === mvs.length) candidates.push([prevMvs[b]!, prevMvs[b + 1]!]);
      for (const [dx, dy] of candidates) {
        if (!ok(dx, dy)) continue;
        const s = sad(dx, dy);
        if (s < best.sad) best = { dx, dy, sad: s };
      }
      for (let step = 0; step < 2 * MC_RANGE && best.sad > 0; step++) {
        const centre = best;
        for (const [ox, oy] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
          const dx = centre.dx + ox;
          const dy = centre.dy + oy;
          if (!ok(dx, dy)) continue;
          const s = sad(dx, dy);
          if (s < best.sad) best = { dx, dy, sad: s };
        }
        if (best === centre) break;
      }
      mvs[b] = best.dx;
      mvs[b + 1] = best.dy;
      total += best.sad;
    }
  }
  return { residual: total / (bw * bh * MC_BLOCK * MC_BLOCK), mvs };
}

export function referenceFrameFeatures(
  index: number,
  luma: ArrayLike<number>,
  width: number,
  height: number,
  bitDepth: 8 | 10,
  prev: ReferenceFrame | undefined,
): { features: FrameFeatures; frame: ReferenceFrame } {
  const scale = bitDepth === 10 ? 0.25 : 1;
  const n = width * height;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    sum += at(luma, i);
    sumSq += at(luma, i) ** 2;
  }
  const mean = (sum / n) * scale;
  const variance = Math.max(0, (sumSq / n) * scale * scale - mean * mean);

  // 2×2 sums, and the histogram and block grid taken from them.
  const sw = width >> 1;
  const sh = height >> 1;
  const smooth: number[] = [];
  for (let sy = 0; sy < sh; sy++) {
    for (let sx = 0; sx < sw; sx++) {
      const i = 2 * sy * width + 2 * sx;
      smooth.push(at(luma, i) + at(luma, i + 1) + at(luma, i + width) + at(luma, i + width + 1));
    }
  }
  const counts = new Array<number>(HIST_BINS).fill(0);
  for (const c of smooth) counts[Math.floor(c / (4 * (bitDepth === 10 ? 16 : 4)))]!++;
  const hist = counts.map((c) => Math.fround(c / Math.max(1, smooth.length)));
  const gw = Math.max(1, Math.floor(width / BLOCK));
  const gh = Math.max(1, Math.floor(height / BLOCK));
  const blockSums = new Array<number>(gw * gh).fill(0);
  for (let sy = 0; sy < sh; sy++) {
    for (let sx = 0; sx < sw; sx++) {
      const bx = Math.min(gw - 1, Math.floor((2 * sx) / BLOCK));
      const by = Math.min(gh - 1, Math.floor((2 * sy) / BLOCK));
      blockSums[by * gw + bx] += smooth[sy * sw + sx]!;
    }
  }
  const grid = blockSums.map((s, i) => {
    const by = Math.floor(i / gw);
    const bx = i % gw;
    const rows = by === gh - 1 ? 2 * sh - (gh - 1) * BLOCK : BLOCK;
    const cols = bx === gw - 1 ? 2 * sw - (gw - 1) * BLOCK : BLOCK;
    return Math.min(255, Math.round((s / Math.max(1, rows * cols)) * scale));
  });

  // Sobel magnitude and the Immerkær operator on flat pixels, on every SPATIAL_ROW_STEP-th row.
  const edgeT = EDGE_THRESHOLD / scale;
  const flatT = FLAT_THRESHOLD / scale;
  const px = (x: number, y: number) => at(luma, y * width + x);
  let magSum = 0;
  let magSumSq = 0;
  let edges = 0;
  let flat = 0;
  let lapSum = 0;
  let sampled = 0;
  for (let y = 1; y < height - 1; y += SPATIAL_ROW_STEP) {
    for (let x = 1; x < width - 1; x++) {
      sampled++;
      const gx = px(x + 1, y - 1) + 2 * px(x + 1, y) + px(x + 1, y + 1) - px(x - 1, y - 1) - 2 * px(x - 1, y) - px(x - 1, y + 1);
      const gy = px(x - 1, y + 1) + 2 * px(x, y + 1) + px(x + 1, y + 1) - px(x - 1, y - 1) - 2 * px(x, y - 1) - px(x + 1, y - 1);
      const mag = Math.sqrt(gx * gx + gy * gy);
      magSum += mag;
      magSumSq += gx * gx + gy * gy;
      if (mag > edgeT) edges++;
      else if (mag < flatT) {
        flat++;
        const corners = px(x - 1, y - 1) + px(x + 1, y - 1) + px(x - 1, y + 1) + px(x + 1, y + 1);
        const sides = px(x, y - 1) + px(x - 1, y) + px(x + 1, y) + px(x, y + 1);
        lapSum += Math.abs(corners - 2 * sides + 4 * px(x, y));
      }
    }
  }
  const inner = Math.max(1, sampled);
  const magMean = magSum / inner;
  const si = Math.sqrt(Math.max(0, magSumSq / inner - magMean * magMean)) * scale;
  const noise = flat > 0 ? Math.sqrt(Math.PI / 2) * (lapSum / (6 * flat)) * scale : 0;

  let ti = 0;
  let motion = 0;
  let histDiff = 0;
  let blockDiff = 0;
  let mcResidual = 0;
  let mvs: number[] | undefined;
  if (prev) {
    let dSum = 0;
    let dSumSq = 0;
    for (let i = 0; i < n; i++) {
      const d = at(luma, i) - at(prev.luma, i);
      dSum += d;
      dSumSq += d * d;
    }
    const dMean = dSum / n;
    ti = Math.sqrt(Math.max(0, dSumSq / n - dMean * dMean)) * scale;
    const mSum = smooth.reduce((s, c, i) => s + Math.abs(c - prev.smooth[i]!), 0);
    motion = smooth.length ? (mSum / (4 * smooth.length)) * scale : 0;
    histDiff = hist.reduce((s, h, i) => s + Math.abs(h - prev.hist[i]!), 0) / 2;
    blockDiff = grid.reduce((s, g, i) => s + Math.abs(g - prev.grid[i]!), 0) / (255 * grid.length);
    const mc = referenceMotion(smooth, prev.smooth, sw, sh, prev.mvs);
    mcResidual = (mc.residual / 4) * scale;
    mvs = mc.mvs;
  }
  return {
    features: { index, mean, variance, si, ti, motion, edgeDensity: edges / inner, noise, histDiff, blockDiff, mcResidual },
    frame: { luma, smooth, hist, grid, mvs },
  };
}
