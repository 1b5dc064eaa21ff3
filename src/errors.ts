/**
 * Typed errors. Every failure a user can cause (bad path, bad stream, bad option) surfaces as a
 * `ScenecrfError` subclass with a stable `code`, so pipelines can branch on `err.code` instead of
 * parsing messages.
 */
export type ScenecrfErrorCode =
  | 'INPUT_NOT_FOUND'
  | 'INPUT_EMPTY'
  | 'INPUT_NOT_VIDEO'
  | 'INPUT_UNREADABLE'
  | 'INPUT_CORRUPT'
  | 'FFMPEG_NOT_FOUND'
  | 'FFMPEG_FAILED'
  | 'UNSUPPORTED'
  | 'INVALID_OPTIONS'
  | 'MODEL_INVALID'
  | 'FRAME_COUNT_MISMATCH'
  | 'NO_SPACE'
  | 'ABORTED';

/**
 * "path: message; ..." for schema validation issues (zod's), the way every error message here
 * lists them. `root` stands for an issue about the whole value; `max` caps how many are listed.
 */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<string | number>; message: string }>, root = '', max = Infinity): string {
  return issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join('.') : root}: ${i.message}`)
    .join('; ');
}

export class ScenecrfError extends Error {
  readonly code: ScenecrfErrorCode;
  constructor(code: ScenecrfErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The input path does not exist or is not a regular file (`reason` says which, e.g. "it is a directory"). */
export class InputNotFoundError extends ScenecrfError {
  constructor(readonly path: string, reason?: string) {
    super('INPUT_NOT_FOUND', `Input file not found: ${JSON.stringify(path)}${reason ? ` (${reason})` : ''}`);
  }
}

/**
 * The input exists but this process may not read it (permission denied): a matter of file modes or
 * ownership, not of the file's content, so it is not reported as corrupt.
 */
export class UnreadableInputError extends ScenecrfError {
  constructor(readonly path: string, reason = 'permission denied') {
    super('INPUT_UNREADABLE', `Input file cannot be read: ${JSON.stringify(path)} (${reason})`);
  }
}

/** The input exists but has zero bytes. */
export class EmptyInputError extends ScenecrfError {
  constructor(readonly path: string) {
    super('INPUT_EMPTY', `Input file is empty (0 bytes): ${JSON.stringify(path)}`);
  }
}

/** The input is readable media but holds no video stream (e.g. audio only, text, image list). */
export class NotAVideoError extends ScenecrfError {
  constructor(readonly path: string, detail: string) {
    super('INPUT_NOT_VIDEO', `Input has no decodable video stream: ${JSON.stringify(path)} (${detail})`);
  }
}

/** The stream is truncated or corrupt: demuxing/decoding failed or produced no frames. */
export class CorruptInputError extends ScenecrfError {
  constructor(readonly path: string, detail: string, options?: { cause?: unknown }) {
    super('INPUT_CORRUPT', `Input stream is unreadable or corrupt: ${JSON.stringify(path)} (${detail})`, options);
  }
}

export class FfmpegNotFoundError extends ScenecrfError {
  constructor(detail: string) {
    super('FFMPEG_NOT_FOUND', `No usable ffmpeg found: ${detail}`);
  }
}

/** ffmpeg exited non-zero for a reason not attributable to the input. */
export class FfmpegError extends ScenecrfError {
  constructor(readonly args: readonly string[], readonly exitCode: number | undefined, readonly stderrTail: string) {
    super('FFMPEG_FAILED', `ffmpeg failed (exit ${exitCode ?? 'signal'}): ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

export class UnsupportedError extends ScenecrfError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
  }
}

export class InvalidOptionsError extends ScenecrfError {
  /** `what` names the option (an API key, or a CLI flag); `issues` says what is wrong with it. The CLI re-words an API key as its flag. */
  constructor(
    readonly what: string,
    readonly issues: string,
  ) {
    super('INVALID_OPTIONS', `Invalid ${what}: ${issues}`);
  }
}

/** A model file (libvmaf JSON, scenecrf fusion or predictor model) is unreadable or malformed. */
export class ModelInvalidError extends ScenecrfError {
  constructor(readonly path: string, detail: string, options?: { cause?: unknown }) {
    super('MODEL_INVALID', `Model file is invalid: ${JSON.stringify(path)} (${detail})`, options);
  }
}

/** Reference and distorted videos decode to different numbers of frames. */
export class FrameCountMismatchError extends ScenecrfError {
  constructor(readonly referenceFrames: number, readonly distortedFrames: number) {
    super(
      'FRAME_COUNT_MISMATCH',
      `Reference and distorted have different frame counts (${referenceFrames} vs ${distortedFrames}); scenecrf does not truncate silently`,
    );
  }
}

/**
 * The disk (or quota) filled up while writing `path`. ffmpeg's muxer reports this only on stderr and
 * may still exit 0, leaving a short file that would otherwise be blamed on the encode.
 */
export class NoSpaceError extends ScenecrfError {
  constructor(readonly path: string, detail?: string, options?: { cause?: unknown }) {
    super('NO_SPACE', `No space left on device writing ${JSON.stringify(path)}${detail ? `: ${detail}` : ''}`, options);
  }
}

/** A tool's stderr saying a write failed for lack of space (ENOSPC or EDQUOT, as strerror words them). */
export function stderrSaysNoSpace(stderr: string): boolean {
  return /No space left on device|Disk quota exceeded/i.test(stderr);
}

/**
 * `e` as a NoSpaceError when it is a file system error for lack of space (ENOSPC, EDQUOT), naming
 * the file the error carries (writeFileAtomic puts its target there, not the temporary) or else
 * `path`; any other error is returned unchanged.
 */
export function asNoSpaceError(e: unknown, path: string, detail?: string): unknown {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code !== 'ENOSPC' && err?.code !== 'EDQUOT') return e;
  return new NoSpaceError(typeof err.path === 'string' ? err.path : path, detail, { cause: e });
}

export class AbortError extends ScenecrfError {
  constructor(reason?: unknown) {
    super('ABORTED', `Operation aborted${reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''}`);
  }
}

/** Throws AbortError if the signal has fired; call at loop boundaries of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}
