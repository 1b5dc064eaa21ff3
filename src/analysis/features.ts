/**
 * Per-frame features on plain sample arrays: pure and synchronous so they can be tested on
 * hand-made images. All values are in 8-bit units whatever the input depth (10-bit samples are
 * scaled by 1/4), so thresholds and models work across bit depths.
 */

export interface FrameFeatures {
  index: number;
  /** Mean luma (0–255). */
  mean: number;
  /** Luma variance (8-bit units squared). */
  variance: number;
  /** Spatial information: standard deviation of the Sobel gradient magnitude (ITU-T P.910). */
  si: number;
  /** Temporal information: standard deviation of the difference to the previous frame (P.910); 0 for the first frame. */
  ti: number;
  /** Mean absolute difference of 2×2-smoothed luma to the previous frame (a VMAF-style motion measure, less noise-sensitive than TI). */
  motion: number;
  /** Fraction of pixels whose Sobel magnitude exceeds EDGE_THRESHOLD. */
  edgeDensity: number;
  /** Noise/grain sigma estimate (Immerkær 1996) over flat pixels only, so texture does not count as noise. */
  noise: number;
  /** Normalised L1 distance (0–1) between this frame's luma histogram and the previous one's. */
  histDiff: number;
  /** Mean absolute difference (0–1) of block means to the previous frame. */
  blockDiff: number;
  /**
   * Motion-compensated residual: mean absolute difference of 2×2-smoothed luma to the previous
   * frame after per-block motion search (8-bit units; 0 for the first frame). Unlike TI and
   * `motion`, a pan or zoom that an encoder predicts well scores low here — it is the temporal
   * cost an encoder actually pays.
   */
  mcResidual: number;
}

/** Compact per-frame description kept for shot detection (compared across arbitrary frame pairs). */
export interface FrameSignature {
  /** Block means (8-bit), `gridWidth × gridHeight`, row-major. */
  grid: Uint8Array;
  gridWidth: number;
  gridHeight: number;
  /** Histogram of 2×2-averaged luma with HIST_BINS bins, normalised to sum 1. */
  hist: Float32Array;
  mean: number;
  variance: number;
}

export const HIST_BINS = 64;
/** Pixels per side of a signature block at analysis resolution. */
export const BLOCK = 8;
/** Sobel magnitude (8-bit units) above which a pixel counts as an edge. */
export const EDGE_THRESHOLD = 100;
/** Sobel magnitude below which a pixel is flat enough for the noise estimate. */
export const FLAT_THRESHOLD = 40;
/** Row step of the spatial (Sobel/noise) pass: 2 = every other row. */
export const SPATIAL_ROW_STEP = 2;

export interface FrameState {
  width: number;
  height: number;
  luma: Uint8Array | Uint16Array;
  /** 2×2 box-averaged luma (sum of 4 samples, not divided). */
  smooth: Uint32Array;
  signature: FrameSignature;
  /** Motion vectors (x, y interleaved, smoothed-image pixels) of the motion search, per block. */
  mvs?: Int8Array;
}

export interface FrameResult {
  features: FrameFeatures;
  state: FrameState;
}

/**
 * Computes the features of one frame given the previous frame's state (undefined for the first
 * frame of a stream). `bitDepth` 10 means samples are 0–1023.
 */
export function computeFrameFeatures(
  index: number,
  luma: Uint8Array | Uint16Array,
  width: number,
  height: number,
  bitDepth: 8 | 10,
  prev: FrameState | undefined,
): FrameResult {
  if (luma.length < width * height) throw new RangeError(`luma has ${luma.length} samples, expected ${width * height}`);
  const scale = bitDepth === 10 ? 0.25 : 1;
  const n = width * height;

  // Pass 1: moments, histogram, block sums, 2×2 smoothing.
  const histShift = bitDepth === 10 ? 4 : 2;
  const histCounts = new Uint32Array(HIST_BINS);
  const gw = Math.max(1, Math.floor(width / BLOCK));
  const gh = Math.max(1, Math.floor(height / BLOCK));
  const blockSums = new Float64Array(gw * gh);
  const sw = width >> 1;
  const sh = height >> 1;
  const smooth = new Uint32Array(sw * sh);
  const p = prev && prev.width === width && prev.height === height ? prev.luma : undefined;
  // Pass 1, one sweep over 2×2 cells: moments, the frame difference to the previous frame, the
  // 2×2 smoothing (sum of 4 samples), and the block sums and histogram taken from the smoothed
  // image (a quarter of the work; a histogram of 2×2 means is all the detector needs). Every
  // accumulator holds an integer, so the order of summation cannot change a result.
  const cellHistShift = histShift + 2;
  const cellBlock = new Uint16Array(sw);
  for (let sx = 0; sx < sw; sx++) cellBlock[sx] = Math.min(gw - 1, Math.floor((2 * sx) / BLOCK));
  const ps = p ? prev!.smooth : undefined;
  let sum = 0;
  let sumSq = 0;
  let dSum = 0;
  let dSumSq = 0;
  let mSum = 0;
  for (let sy = 0; sy < sh; sy++) {
    const r0 = 2 * sy * width;
    const r1 = r0 + width;
    const o = sy * sw;
    const blockRow = Math.min(gh - 1, Math.floor((2 * sy) / BLOCK)) * gw;
    let rowSum = 0;
    let rowSq = 0;
    let rowD = 0;
    let rowDq = 0;
    let rowM = 0;
    for (let sx = 0; sx < sw; sx++) {
      const i = r0 + 2 * sx;
      const j = r1 + 2 * sx;
      const v0 = luma[i], v1 = luma[i + 1], v2 = luma[j], v3 = luma[j + 1];
      const c = v0 + v1 + v2 + v3;
      rowSum += c;
      rowSq += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
      if (p && ps) {
        const d0 = v0 - p[i], d1 = v1 - p[i + 1], d2 = v2 - p[j], d3 = v3 - p[j + 1];
        rowD += d0 + d1 + d2 + d3;
        rowDq += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
        const dm = c - ps[o + sx];
        const m = dm >> 31;
        rowM += (dm ^ m) - m;
      }
      smooth[o + sx] = c;
      blockSums[blockRow + cellBlock[sx]] += c;
      histCounts[c >> cellHistShift]++;
    }
    dSum += rowD;
    dSumSq += rowDq;
    mSum += rowM;
    sum += rowSum;
    sumSq += rowSq;
  }
  // Samples outside the cells (an odd last column or row) count for the moments and difference.
  const addSample = (i: number) => {
    const v = luma[i];
    sum += v;
    sumSq += v * v;
    if (p) {
      const dv = v - p[i];
      dSum += dv;
      dSumSq += dv * dv;
    }
  };
  if (width & 1) for (let y = 0; y < 2 * sh; y++) addSample(y * width + width - 1);
  if (height & 1) for (let x = 0; x < width; x++) addSample((height - 1) * width + x);
  const mean = (sum / n) * scale;
  const variance = Math.max(0, (sumSq / n) * scale * scale - mean * mean);
  const hist = new Float32Array(HIST_BINS);
  const cells = Math.max(1, sw * sh);
  for (let i = 0; i < HIST_BINS; i++) hist[i] = histCounts[i] / cells;
  const grid = new Uint8Array(gw * gh);
  // Blocks are BLOCK×BLOCK pixels; the last row/column of blocks absorbs the remainder (of the
  // even-sized area the smoothed image covers).
  for (let by = 0; by < gh; by++) {
    const rows = by === gh - 1 ? 2 * sh - (gh - 1) * BLOCK : BLOCK;
    for (let bx = 0; bx < gw; bx++) {
      const cols = bx === gw - 1 ? 2 * sw - (gw - 1) * BLOCK : BLOCK;
      grid[by * gw + bx] = Math.min(255, Math.round((blockSums[by * gw + bx] / Math.max(1, rows * cols)) * scale));
    }
  }

  // Pass 2: Sobel (SI, edges) and the Immerkær Laplacian-difference operator on flat pixels.
  // These are statistics over pixels, so every other row is a fair sample: it halves the most
  // expensive pass; on the corpus it moved scene SI by <1% and edge density / noise by a few %.
  const edgeT = EDGE_THRESHOLD / scale;
  const flatT = FLAT_THRESHOLD / scale;
  const edgeT2 = edgeT * edgeT;
  const flatT2 = flatT * flatT;
  let magSum = 0;
  let magSumSq = 0;
  let edges = 0;
  let flatCount = 0;
  let lapSum = 0;
  let sampled = 0;
  for (let y = 1; y < height - 1; y += SPATIAL_ROW_STEP) {
    sampled += width - 2;
    const up = (y - 1) * width;
    const mid = y * width;
    const dn = (y + 1) * width;
    // Slide the 3×3 window along the row: each step loads one new column of three samples.
    let a = luma[up], b = luma[up + 1];
    let d = luma[mid], e = luma[mid + 1];
    let g = luma[dn], h = luma[dn + 1];
    for (let x = 1; x < width - 1; x++) {
      const c = luma[up + x + 1];
      const f = luma[mid + x + 1];
      const k = luma[dn + x + 1];
      const gx = c + 2 * f + k - (a + 2 * d + g);
      const gy = g + 2 * h + k - (a + 2 * b + c);
      const m2 = gx * gx + gy * gy;
      magSum += Math.sqrt(m2);
      magSumSq += m2;
      // Branch-free: which side of the thresholds a pixel falls is data-dependent and mispredicts.
      edges += +(m2 > edgeT2);
      const flat = +(m2 < flatT2);
      const lap = a + c + g + k - 2 * (b + d + f + h) + 4 * e;
      const sign = lap >> 31;
      lapSum += flat * ((lap ^ sign) - sign);
      flatCount += flat;
      a = b; b = c;
      d = e; e = f;
      g = h; h = k;
    }
  }
  const inner = Math.max(1, sampled);
  const magMean = magSum / inner;
  const si = Math.sqrt(Math.max(0, magSumSq / inner - magMean * magMean)) * scale;
  const edgeDensity = edges / inner;
  const noise = flatCount > 0 ? Math.sqrt(Math.PI / 2) * (lapSum / (6 * flatCount)) * scale : 0;

  // Pass 3: temporal measures against the previous frame.
  let ti = 0;
  let motion = 0;
  let histDiff = 0;
  let blockDiff = 0;
  let mcResidual = 0;
  let mvs: Int8Array | undefined;
  if (prev && p) {
    const dMean = dSum / n;
    ti = Math.sqrt(Math.max(0, dSumSq / n - dMean * dMean)) * scale;
    motion = smooth.length ? (mSum / (4 * smooth.length)) * scale : 0;
    histDiff = histogramDistance(hist, prev.signature.hist);
    blockDiff = gridDistance(grid, prev.signature.grid);
    const mc = motionCompensatedResidual(smooth, prev.smooth, sw, sh, prev.mvs);
    mcResidual = (mc.residual / 4) * scale;
    mvs = mc.mvs;
  }

  const signature: FrameSignature = { grid, gridWidth: gw, gridHeight: gh, hist, mean, variance };
  return {
    features: { index, mean, variance, si, ti, motion, edgeDensity, noise, histDiff, blockDiff, mcResidual },
    state: { width, height, luma, smooth, signature, mvs },
  };
}

/** Block size (smoothed-image pixels) and the largest vector component of the motion search. */
export const MC_BLOCK = 8;
export const MC_RANGE = 12;

function blockSad(cur: Uint32Array, ref: Uint32Array, w: number, h: number, x0: number, y0: number, dx: number, dy: number, best: number): number {
  let sad = 0;
  const rx = x0 + dx;
  const ry = y0 + dy;
  if (rx >= 0 && ry >= 0 && rx + MC_BLOCK <= w && ry + MC_BLOCK <= h) {
    // Unrolled row of MC_BLOCK (8) samples with a branch-free absolute value: the differences'
    // signs are data-dependent, and a mispredicted branch per sample cost more than the arithmetic.
    let c = y0 * w + x0;
    let r = ry * w + rx;
    for (let y = 0; y < MC_BLOCK; y++, c += w, r += w) {
      let d = (cur[c]! - ref[r]!) | 0, m = d >> 31;
      let row = (d ^ m) - m;
      d = (cur[c + 1]! - ref[r + 1]!) | 0; m = d >> 31; row += (d ^ m) - m;
      d = (cur[c + 2]! - ref[r + 2]!) | 0; m = d >> 31; row += (d ^ m) - m;
      d = (cur[c + 3]! - ref[r + 3]!) | 0; m = d >> 31; row += (d ^ m) - m;
      d = (cur[c + 4]! - ref[r + 4]!) | 0; m = d >> 31; row += (d ^ m) - m;
      d = (cur[c + 5]! - ref[r + 5]!) | 0; m = d >> 31; row += (d ^ m) - m;
      d = (cur[c + 6]! - ref[r + 6]!) | 0; m = d >> 31; row += (d ^ m) - m;
      d = (cur[c + 7]! - ref[r + 7]!) | 0; m = d >> 31; row += (d ^ m) - m;
      sad += row;
      if (sad >= best) return sad; // cannot win: stop early
    }
    return sad;
  }
  // Reference block partly outside the frame: edge samples repeat outwards, as encoders pad their
  // references, so a pan's border blocks still find their match.
  for (let y = 0; y < MC_BLOCK; y++) {
    const c = (y0 + y) * w + x0;
    const r = Math.min(h - 1, Math.max(0, ry + y)) * w;
    for (let x = 0; x < MC_BLOCK; x++) {
      const d = cur[c + x]! - ref[r + Math.min(w - 1, Math.max(0, rx + x))]!;
      sad += d < 0 ? -d : d;
    }
    if (sad >= best) return sad;
  }
  return sad;
}

function inRange(dx: number, dy: number): boolean {
  return dx >= -MC_RANGE && dx <= MC_RANGE && dy >= -MC_RANGE && dy <= MC_RANGE;
}

/** Diamond offsets, x then y, in search order. */
const DIAMOND_X = [1, -1, 0, 0];
const DIAMOND_Y = [0, 0, 1, -1];

/**
 * Mean absolute residual per pixel of `cur` predicted block by block from `ref` (both w×h), and
 * the vectors found. Predictive search as encoders' fast modes do it: start from the best of the
 * zero vector, the left and upper neighbours' vectors and this block's vector in the previous
 * frame, then walk a small diamond until no neighbour is better. Integer-pel, edge-padded
 * reference — a cheap proxy of the inter cost, not an encoder's exact figure.
 */
export function motionCompensatedResidual(
  cur: Uint32Array,
  ref: Uint32Array,
  w: number,
  h: number,
  prevMvs?: Int8Array,
): { residual: number; mvs: Int8Array } {
  const bw = Math.floor(w / MC_BLOCK);
  const bh = Math.floor(h / MC_BLOCK);
  const mvs = new Int8Array(2 * bw * bh);
  if (bw === 0 || bh === 0) return { residual: 0, mvs };
  let total = 0;
  const usePrev = prevMvs && prevMvs.length === mvs.length ? prevMvs : undefined;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const x0 = bx * MC_BLOCK;
      const y0 = by * MC_BLOCK;
      const b = 2 * (by * bw + bx);
      let bestX = 0;
      let bestY = 0;
      let best = blockSad(cur, ref, w, h, x0, y0, 0, 0, Infinity);
      // Candidates: the left and upper neighbours' vectors and this block's previous one; one equal
      // to the best so far needs no second look.
      for (let i = 0; i < 3; i++) {
        let dx: number;
        let dy: number;
        if (i === 0) {
          if (bx === 0) continue;
          dx = mvs[b - 2]!;
          dy = mvs[b - 1]!;
        } else if (i === 1) {
          if (by === 0) continue;
          dx = mvs[b - 2 * bw]!;
          dy = mvs[b - 2 * bw + 1]!;
        } else {
          if (!usePrev) continue;
          dx = usePrev[b]!;
          dy = usePrev[b + 1]!;
        }
        if ((dx === bestX && dy === bestY) || !inRange(dx, dy)) continue;
        const sad = blockSad(cur, ref, w, h, x0, y0, dx, dy, best);
        if (sad < best) {
          best = sad;
          bestX = dx;
          bestY = dy;
        }
      }
      // Diamond walk. After a move, the point moved from is one of the new diamond's points and
      // is known to be worse, so it is skipped.
      let fromX = 0x7fff;
      let fromY = 0x7fff;
      for (let step = 0; step < 2 * MC_RANGE && best > 0; step++) {
        const cx = bestX;
        const cy = bestY;
        for (let j = 0; j < 4; j++) {
          const dx = cx + DIAMOND_X[j]!;
          const dy = cy + DIAMOND_Y[j]!;
          if ((dx === fromX && dy === fromY) || !inRange(dx, dy)) continue;
          const sad = blockSad(cur, ref, w, h, x0, y0, dx, dy, best);
          if (sad < best) {
            best = sad;
            bestX = dx;
            bestY = dy;
          }
        }
        if (bestX === cx && bestY === cy) break;
        fromX = cx;
        fromY = cy;
      }
      mvs[b] = bestX;
      mvs[b + 1] = bestY;
      total += best;
    }
  }
  return { residual: total / (bw * bh * MC_BLOCK * MC_BLOCK), mvs };
}

/** Half the L1 distance between two normalised histograms: 0 identical, 1 disjoint. */
export function histogramDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / 2;
}

/** Mean absolute difference of two block grids, in 0–1. */
export function gridDistance(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d < 0 ? -d : d;
  }
  return s / (255 * a.length);
}
