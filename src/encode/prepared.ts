import type { EncodePlan } from '../core/plan-file.js';
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
  /** The standalone encoder program, when `via: 'tool'`. */
  tool?: { tool: EncoderTool; path: string; version: string };
}
