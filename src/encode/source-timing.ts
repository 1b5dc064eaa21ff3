/**
 * The input's frame timestamps, read before an encode: chunks are encoded at regenerated
 * constant-rate timestamps, so an input whose frames are not evenly spaced needs its own back in
 * the output (ivf-join.ts) and its chunks cut at them (encode-chunk.ts).
 */
import { UnsupportedError } from '../errors.js';
import { videoTimestamps, videoTimestampsByFfmpeg, type VideoTimestamps } from '../media/native/stream-facts.js';
import type { FfmpegBackend } from '../media/types.js';

/**
 * The input's frame timestamps, whether they are those of a constant `fps` (within a quarter
 * frame, or one tick of a coarse time base), and its first frame's time. A variable
 * frame rate whose timestamps cannot be read (by ffprobe, or ffmpeg without it; or packets that
 * do not match the frames) is refused: encoding it at the nominal rate would shorten or stretch it silently.
 */
export async function sourceTiming(
  backend: FfmpegBackend,
  input: string,
  frames: number,
  fps: number,
  variableFrameRate: boolean,
  signal: AbortSignal | undefined,
): Promise<{ timestamps?: VideoTimestamps; unevenTimestamps: boolean; videoStartSeconds: number }> {
  const ts = backend.ffprobePath ? await videoTimestamps(backend.ffprobePath, input, signal) : await videoTimestampsByFfmpeg(backend.path, input, signal);
  if (!ts || ts.pts.length !== frames) {
    if (variableFrameRate)
      throw new UnsupportedError(
        `${JSON.stringify(input)} has a variable frame rate and its frame timestamps cannot be read (${ts ? `${ts.pts.length} timestamps for ${frames} frames` : `${backend.ffprobePath ? 'ffprobe' : 'ffmpeg'} failed to list them`}); convert it to a constant rate first: ffmpeg -i in -fps_mode cfr -r ${+fps.toFixed(3)} -c:v libx264 -crf 12 cfr.mkv`,
      );
    return { unevenTimestamps: false, videoStartSeconds: 0 };
  }
  const tick = ts.timeBase.num / ts.timeBase.den;
  const t0 = ts.pts[0]! * tick;
  const tolerance = Math.max(0.25 / fps, tick);
  const even = ts.pts.every((pts, i) => Math.abs(pts * tick - t0 - i / fps) <= tolerance);
  return { timestamps: ts, unevenTimestamps: !even, videoStartSeconds: t0 };
}
