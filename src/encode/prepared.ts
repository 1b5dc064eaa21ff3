import type { EncodePlan } from '../core/plan-file.js';
import type { ColourTags, VideoTimestamps } from '../media/native/stream-facts.js';
import type { CarriedStreams } from './carry.js';
import type { FfmpegBackend } from '../media/types.js';
import type { EncoderTool } from './cli-tools.js';
import type { EncoderAdapter } from './encoders.js';

/** Everything checked before any file is created or any encode starts. */
export interface PreparedEncode {
  plan: EncodePlan;
  input: string;
  output: string;
  muxer: string;
  workDir: string;
  backend: FfmpegBackend;
  adapter: EncoderAdapter;
  inputStat: { bytes: number; mtimeMs: number };
  /** Timestamp of the first frame (seconds) for seek-mode cutting, or undefined for decode mode. */
  firstFrameSeconds: number | undefined;
  jobs: number;
  threads: number;
  keyint: number;
  /** The input's sample aspect ratio when its pixels are not square (from the input itself, not the
   * plan, so that plans written without it still encode the displayed shape). IVF chunks cannot
   * store it, so the concat step writes it into the output container (stream-tags.ts). */
  sampleAspectRatio?: { num: number; den: number };
  /** The input's colour tags (empty without ffprobe), written into the output container likewise:
   * VP9 chunks keep only matrix and range. */
  colour: ColourTags;
  /** The input's frame timestamps (presentation order), when ffprobe could read one per frame. */
  timestamps?: VideoTimestamps;
  /**
   * The timestamps are not those of a constant rate at the plan's frame rate (variable frame
   * rate, dropped frames): the chunks are cut at them, and the join gives every output frame its
   * source timestamp (ivf-join.ts) instead of the regenerated ones.
   */
  unevenTimestamps: boolean;
  /** Presentation time of the input's first frame (seconds): the output's video starts there when
   * the source's other streams or its own timestamps are carried over, so they stay in sync. */
  videoStartSeconds: number;
  /** What the final mux carries over from the input besides the video (carry.ts); undefined: the
   * video alone. */
  carry?: CarriedStreams;
  /** The standalone encoder program, when `via: 'tool'`. */
  tool?: { tool: EncoderTool; path: string; version: string };
}
