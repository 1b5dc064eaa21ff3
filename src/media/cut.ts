/**
 * Frame-exact cuts of a constant-frame-rate stream without decoding it from its start: shared by
 * the chunked encode (cuts of the source) and the proxy curves (cuts of their all-intra reference).
 */

const fmtTime = (t: number) => t.toFixed(6);

/**
 * Input options and trim filter that give frames [start, end) of a CFR stream at `frameRate`
 * whose first frame is at `t0` seconds. ffmpeg seeks on the input side to about a second before
 * frame `start` (`-noaccurate_seek` lands on the keyframe before that point), keeps the original
 * timestamps (`-copyts`), and the filter cuts at the half-frame midpoints
 * t0 + (start − 0.5)/fps and t0 + (end − 0.5)/fps, so timestamp rounding of up to half a frame
 * cannot move the cut. Put `inputArgs` before `-i` and `trim` first in the filter chain.
 */
export function seekCut(start: number, end: number, frameRate: { num: number; den: number }, t0 = 0): { inputArgs: string[]; trim: string } {
  const a = t0 + ((start - 0.5) * frameRate.den) / frameRate.num;
  const b = t0 + ((end - 0.5) * frameRate.den) / frameRate.num;
  return seekCutBetween(a, b, t0);
}

/**
 * The same cut between two instants given in seconds (`a` and `b` midway between the last frame
 * left out and the first kept, and likewise at the end), for streams whose frames are not evenly
 * spaced but whose timestamps are known.
 */
export function seekCutBetween(a: number, b: number, t0 = 0): { inputArgs: string[]; trim: string } {
  // -ss is relative to the file's start; land a second early.
  const ss = Math.max(0, a - t0 - 1);
  return { inputArgs: ['-noaccurate_seek', '-copyts', '-ss', fmtTime(ss)], trim: `trim=start=${fmtTime(a)}:end=${fmtTime(b)}` };
}
