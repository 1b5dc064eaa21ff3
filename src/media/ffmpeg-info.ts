/**
 * Pure parsers for ffmpeg's human-readable output: the input banner printed by
 * `ffmpeg -hide_banner -i X`, the final progress line, the `-encoders` / `-filters` tables, and
 * the level tags of a `-loglevel level+…` log.
 *
 * No I/O here: these are shared by the native layer (which may have no ffprobe) and the wasm
 * backend (which has no ffprobe at all). Formats checked against Debian's ffmpeg 5.1 and the
 * ffmpeg 5.1.4 inside @ffmpeg/core 0.12.
 */
import { z } from 'zod';
import { CorruptInputError, describeIssues, InputNotFoundError, NotAVideoError, type ScenecrfError, UnreadableInputError } from '../errors.js';
import { reduceRatio } from '../util/ratio.js';

const rationalSchema = z.object({ num: z.number().int().positive(), den: z.number().int().positive() });

const videoStreamSchema = z.object({
  /** Stream index inside the input (`Stream #0:N`). */
  index: z.number().int().nonnegative(),
  codec: z.string().min(1),
  /** e.g. "yuv420p", "yuv420p10le"; "unknown" when ffmpeg did not print one. */
  pixFmt: z.string().min(1),
  bitDepth: z.number().int().min(1).max(32),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Sample aspect ratio when printed (`[SAR 1:1 DAR 16:9]`). */
  sar: rationalSchema.nullable(),
  /** Average frame rate as printed (`24 fps`, `23.98 fps`), i.e. avg_frame_rate. */
  fps: z.number().positive().nullable(),
  /** `tbr`: ffmpeg's guess of the real base frame rate (r_frame_rate). */
  tbr: z.number().positive().nullable(),
  /** Rational recovered from the printed fps (or tbr): 23.98 -> 24000/1001. */
  frameRate: rationalSchema.nullable(),
  /** Display rotation in degrees from the stream's display matrix (`displaymatrix: rotation of
   * 90.00 degrees` under "Side data:"; the mp4 `rotate` tag becomes one), 0 when none. */
  rotation: z.number().default(0),
});

const parsedInputInfoSchema = z.object({
  /** Demuxer name list as ffmpeg prints it, e.g. "mov,mp4,m4a,3gp,3g2,mj2" (same as ffprobe format_name). */
  container: z.string().min(1),
  durationSeconds: z.number().nonnegative().nullable(),
  /** First video stream that is not an attached picture (cover art), or null. */
  video: videoStreamSchema.nullable(),
  hasAudio: z.boolean(),
});

export type ParsedVideoStream = z.infer<typeof videoStreamSchema>;
export type ParsedInputInfo = z.infer<typeof parsedInputInfoSchema>;

/** Splits on ", " outside of (...) and [...], so "yuv420p(tv, bt709)" stays one token. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === ',' && depth === 0 && s[i + 1] === ' ') {
      out.push(s.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter((t) => t.length > 0);
}

/** Parses ffmpeg's print_fps() style numbers: "24", "23.98", "90k". */
function parseRateNumber(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(k?)$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]) * (m[2] ? 1000 : 1);
  return Number.isFinite(v) && v > 0 ? v : null;
}

/**
 * Recovers a rational from a rate printed with limited precision. ffmpeg prints integers as-is and
 * everything else with two decimals, so "23.98" must become 24000/1001 (NTSC family first), and
 * "12.50" 25/2.
 */
export function rateToRational(text: string): { num: number; den: number } | null {
  const v = parseRateNumber(text);
  if (v === null) return null;
  const dot = text.indexOf('.');
  if (dot < 0) return Number.isSafeInteger(v) ? { num: v, den: 1 } : null;
  const decimals = text.length - dot - 1;
  const tol = 0.5 * 10 ** -decimals + 1e-9;
  const ntsc = Math.round(v * 1.001);
  if (ntsc > 0 && Math.abs((ntsc * 1000) / 1001 - v) <= tol) return { num: ntsc * 1000, den: 1001 };
  for (let den = 1; den <= 1000; den++) {
    const num = Math.round(v * den);
    if (num > 0 && Math.abs(num / den - v) <= tol) return { num, den };
  }
  return null;
}

/**
 * A declared sample aspect ratio as scenecrf keeps it: reduced, and undefined for square pixels or
 * an unknown / invalid one (ffmpeg writes "0:1" or "N/A" when the stream declares none).
 */
export function nonSquareAspect(sar: { num: number; den: number } | string | null | undefined): { num: number; den: number } | undefined {
  let r = sar;
  if (typeof r === 'string') {
    const m = /^(\d+)[:/](\d+)$/.exec(r.trim());
    r = m ? { num: Number(m[1]), den: Number(m[2]) } : undefined;
  }
  if (!r || !Number.isSafeInteger(r.num) || !Number.isSafeInteger(r.den) || r.num <= 0 || r.den <= 0 || r.num === r.den) return undefined;
  return reduceRatio(r.num, r.den);
}

/** Bits per component of an ffmpeg pixel format name (yuv420p -> 8, yuv420p10le -> 10, p010le -> 10). */
export function bitDepthOfPixFmt(pixFmt: string): number {
  const p = pixFmt.toLowerCase();
  // Semi-planar / packed high bit depth formats: p010le, p016le, p210le, y210le, nv20le.
  let m = /^(?:p[0-4]|y2)(10|12|16)(?:le|be)?$/.exec(p);
  if (m) return Number(m[1]);
  if (/^nv20/.test(p)) return 10;
  // 30/36-bit packed: xv30le, xv36le, x2rgb10le.
  m = /^xv(30|36)/.exec(p);
  if (m) return Number(m[1]) / 3;
  // Planar and gray: yuv420p10le, gbrp12le, yuva444p16le, gray10le, ya16le.
  m = /(?:^gray|^ya|p|^x2rgb|^x2bgr)(9|10|12|14|16)(?:le|be)$/.exec(p);
  if (m) return Number(m[1]);
  if (/^(?:rgb|bgr)48|^(?:rgba|bgra)64/.test(p)) return 16;
  if (/f32(?:le|be)$/.test(p)) return 32;
  return 8;
}

interface Section {
  header: string;
  lines: string[];
}

/** Lines belonging to "Input #0" only: stops at the next Input/Output section or stream mapping. */
function inputSection(stderr: string): Section | null {
  const lines = stderr.split(/\r\n|\r|\n/);
  const start = lines.findIndex((l) => /^Input #0, /.test(l));
  if (start < 0) return null;
  const body: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i];
    if (/^(?:Input #\d|Output #\d|Stream mapping:|Press \[q\])/.test(l)) break;
    // Log lines with a context prefix ("[mov,mp4,... @ 0x..]") or errors end the banner too.
    if (l.length > 0 && !/^\s/.test(l)) break;
    body.push(l);
  }
  return { header: lines[start], lines: body };
}

function parseVideoBody(index: number, body: string): ParsedVideoStream | null {
  const tokens = splitTopLevel(body);
  const codec = /^([A-Za-z0-9_]+)/.exec(tokens[0] ?? '')?.[1];
  if (!codec) return null;
  let pixFmt = 'unknown';
  let width = 0;
  let height = 0;
  let sar: { num: number; den: number } | null = null;
  let fpsText: string | null = null;
  let tbrText: string | null = null;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    const size = /^(\d+)x(\d+)(?:\s|$)/.exec(t);
    if (size) {
      width = Number(size[1]);
      height = Number(size[2]);
      const s = /\bSAR (\d+):(\d+)/.exec(t);
      if (s && Number(s[1]) > 0 && Number(s[2]) > 0) sar = { num: Number(s[1]), den: Number(s[2]) };
      continue;
    }
    const fps = /^(\d+(?:\.\d+)?k?) fps\b/.exec(t);
    if (fps) {
      fpsText = fps[1];
      continue;
    }
    const tbr = /^(\d+(?:\.\d+)?k?) tbr\b/.exec(t);
    if (tbr) {
      tbrText = tbr[1];
      continue;
    }
    // The pixel format comes right after the codec: "yuv420p(progressive)", "yuv420p10le(tv, bt709)".
    if (i === 1 && width === 0) {
      const pf = /^([a-z0-9_]+)(?:\(.*\))?$/.exec(t);
      if (pf && pf[1] !== 'none') pixFmt = pf[1];
    }
  }
  if (width === 0 || height === 0) return null;
  const fps = fpsText === null ? null : parseRateNumber(fpsText);
  const tbr = tbrText === null ? null : parseRateNumber(tbrText);
  const frameRate = (fpsText !== null ? rateToRational(fpsText) : null) ?? (tbrText !== null ? rateToRational(tbrText) : null);
  return {
    index,
    codec,
    pixFmt,
    bitDepth: pixFmt === 'unknown' ? 8 : bitDepthOfPixFmt(pixFmt),
    width,
    height,
    sar,
    fps,
    tbr,
    frameRate,
    rotation: 0,
  };
}

/**
 * A display rotation as scenecrf reports it: whole degrees in (-180, 180], undefined for none.
 * ffmpeg turns the frames upright while decoding (autorotate), so a quarter turn swaps the
 * displayed width and height (`displayedSize`).
 */
export function displayRotation(degrees: number | undefined): number | undefined {
  if (degrees === undefined || !Number.isFinite(degrees)) return undefined;
  let r = Math.round(degrees) % 360;
  if (r <= -180) r += 360;
  if (r > 180) r -= 360;
  return r === 0 ? undefined : r;
}

/** The size of the picture as players show it (and as ffmpeg decodes it): coded size, swapped by a quarter turn. */
export function displayedSize(width: number, height: number, rotation: number | undefined): { width: number; height: number } {
  return rotation !== undefined && Math.abs(rotation) % 180 === 90 ? { width: height, height: width } : { width, height };
}

/** ffmpeg's log without the "[info] " style tags that `-loglevel level+…` adds. */
export function withoutLevelTags(stderr: string): string {
  return stderr.replace(/\[(?:quiet|panic|fatal|error|warning|info|verbose|debug|trace)\] ?/g, '');
}

/** The decoder's complaints: stderr lines at error level or worse, without their level tag. */
export function problemLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .filter((l) => /\[(?:error|fatal|panic)\]/.test(l))
    .map((l) => l.replace(/\[(?:error|fatal|panic)\] ?/, '').trim());
}

/** The most informative error line of an ffmpeg log (last line that looks like an error). */
export function ffmpegErrorDetail(stderr: string): string {
  const lines = stderr
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && l !== 'Aborted()' && !/^frame=|^size=|^video:|^Conversion failed!$/.test(l));
  const err = [...lines]
    .reverse()
    .find((l) =>
      /invalid|error|not found|no such|could not|failed|unable|matches no streams|does not contain|unsupported|truncat|corrupt/i.test(l),
    );
  return (err ?? lines[lines.length - 1] ?? 'no output')
    .replace(/^\[[^\]]+\]\s*/, '')
    // "file:<input>: Invalid data found ..." -> the reason only; callers name the file themselves.
    .replace(/^file:.*: (?=[^:]+$)/, '')
    .slice(0, 300);
}

/**
 * Parses the banner of `ffmpeg -hide_banner -i <path> [...]`.
 *
 * Throws InputNotFoundError / CorruptInputError when ffmpeg could not open the input at all (no
 * "Input #0" banner). A readable input without video returns `video: null`; deciding whether that
 * is an error (NotAVideoError) is the caller's job.
 */
export function parseFfmpegInputInfo(stderr: string, path: string): ParsedInputInfo {
  const section = inputSection(stderr);
  if (!section) {
    if (/No such file or directory/i.test(stderr)) throw new InputNotFoundError(path);
    if (deniedOpening(stderr)) throw new UnreadableInputError(path);
    throw new CorruptInputError(path, ffmpegErrorDetail(stderr));
  }
  const container = /^Input #0, (.+?), from '/.exec(section.header)?.[1] ?? 'unknown';

  let durationSeconds: number | null = null;
  let video: ParsedVideoStream | null = null;
  let hasAudio = false;
  for (const line of section.lines) {
    const d = /^\s*Duration: (?:N\/A|(\d+):(\d{2}):(\d{2}(?:\.\d+)?))/.exec(line);
    if (d) {
      if (d[1] !== undefined) durationSeconds = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
      continue;
    }
    const s = /^\s*Stream #0:(\d+)(?:\[[^\]]*\])?(?:\([^)]*\))?: (Video|Audio|Subtitle|Data|Attachment): (.*)$/.exec(line);
    if (!s) continue;
    if (s[2] === 'Audio') hasAudio = true;
    if (s[2] === 'Video' && video === null && !/\(attached pic\)|\(still image\)/.test(s[3])) {
      video = parseVideoBody(Number(s[1]), s[3]);
      // Its side data follows, up to the next stream line.
      const at = section.lines.indexOf(line);
      for (const l of section.lines.slice(at + 1)) {
        if (/^\s*Stream #/.test(l)) break;
        const rot = /displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees/.exec(l);
        if (rot && video) video.rotation = Number(rot[1]);
      }
    }
  }

  const result = parsedInputInfoSchema.safeParse({ container, durationSeconds, video, hasAudio });
  if (!result.success) {
    const issues = describeIssues(result.error.issues);
    throw new CorruptInputError(path, `unexpected ffmpeg stream description (${issues})`);
  }
  return result.data;
}

/**
 * Final `frame=  48 ... time=00:00:02.00 ...` progress line, or null when ffmpeg printed none
 * (e.g. it failed before encoding anything or ran with -nostats).
 */
export function parseFinalProgress(stderr: string): { frame: number; timeSeconds: number | null } | null {
  const lines = stderr.split(/\r\n|\r|\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\s*frame=\s*(\d+)\b/.exec(lines[i]);
    if (!m) continue;
    const t = /\btime=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(lines[i]);
    const timeSeconds = t && !t[1] ? Number(t[2]) * 3600 + Number(t[3]) * 60 + Number(t[4]) : null;
    return { frame: Number(m[1]), timeSeconds };
  }
  return null;
}

/**
 * Why a container that ffmpeg opens with a "video" stream is still not a video, or null: still
 * images (`png_pipe`, `jpeg_pipe`, `image2`, ...) decode to a single picture, and the text-mode art
 * demuxers (`tty` for .txt/.ans, `bin`, `xbin`, `idf`, `adf`) render any text, or any bytes at all,
 * as pictures.
 */
export function nonVideoFormat(container: string): string | null {
  if (/^(?:image2|image2pipe|.+_pipe)$/.test(container)) return `still image (${container})`;
  if (/^(?:tty|bin|xbin|idf|adf)$/.test(container)) return `text rendered as text-mode art by ffmpeg's "${container}" demuxer`;
  return null;
}

/**
 * ffmpeg could not open its input for lack of permission ("<input>: Permission denied", before any
 * "Input #0" banner): the file's mode or owner, not its content, is the problem.
 */
function deniedOpening(stderr: string): boolean {
  return /: Permission denied\s*$/im.test(stderr) && !/^Input #0, /m.test(stderr);
}

/**
 * Maps a failed ffmpeg run to a typed input error, or null when the log does not point at the
 * input (then the caller should raise FfmpegError).
 */
export function inputErrorFromStderr(stderr: string, path: string): ScenecrfError | null {
  const detail = ffmpegErrorDetail(stderr);
  if (/No such file or directory/i.test(stderr) && !/^Input #0, /m.test(stderr)) return new InputNotFoundError(path);
  if (deniedOpening(stderr)) return new UnreadableInputError(path);
  if (/Stream map '[^']*' matches no streams|does not contain any stream|no video stream/i.test(stderr)) {
    return new NotAVideoError(path, detail);
  }
  if (
    /Invalid data found when processing input|moov atom not found|could not find codec parameters|EBML header parsing failed|Failed to read frame size|Invalid NAL unit size|error reading header|partial file|Truncating packet|Error while decoding stream|Decoding error/i.test(
      stderr,
    )
  ) {
    return new CorruptInputError(path, detail);
  }
  return null;
}

/** Encoder names from `ffmpeg -hide_banner -encoders` (rows like " V....D libx264   libx264 H.264 ..."). */
export function parseCodecList(stdout: string): Set<string> {
  const names = new Set<string>();
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    // Six capability flags (type V/A/S/D/T, then F S X B D or '.'), then the name. The legend rows
    // (" V..... = Video") have "=" where the name would be, so the name pattern excludes them.
    const m = /^\s*([VASDT][.A-Z]{5})\s+([A-Za-z0-9][A-Za-z0-9_.\-]*)\s/.exec(line);
    if (m) names.add(m[2]);
  }
  return names;
}

/** Filter names from `ffmpeg -hide_banner -filters` (rows like " ..C scale   V->V   Scale ..."). */
export function parseFilterList(stdout: string): Set<string> {
  const names = new Set<string>();
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    // Three flag columns (T/S/C or '.'), the name, then the I/O signature such as "V->V", "|->N", "AA->A".
    const m = /^\s*([.A-Z]{2,4})\s+([A-Za-z0-9_]+)\s+([AVN|]+->[AVN|]+)\s/.exec(line);
    if (m) names.add(m[2]);
  }
  return names;
}
