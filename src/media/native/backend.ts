import type { FfmpegBackend, MediaBackend } from '../types.js';
import { decodeFramesNative } from './decode.js';
import { probeNative } from './probe.js';

/** The media backend of a native ffmpeg (and its ffprobe, when it has one). */
export function nativeMedia(backend: FfmpegBackend): MediaBackend {
  return {
    probe: (path, signal) => probeNative(path, backend, signal),
    // ffmpeg negotiates an open geometry itself and reports it in its banner.
    settleGeometry: async (_path, options) => ({ options }),
    decodeFrames: (path, opts, diagnostics) => decodeFramesNative(path, backend.path, opts, diagnostics),
  };
}
