import { InvalidOptionsError } from '../errors.js';
import { parsePlan, type EncodePlan } from '../core/plan-file.js';
import { type EncoderName } from '../core/encoders.js';
import { ffmpegScript, type FfmpegScriptOptions } from './ffmpeg-script.js';
import { sceneOptions } from './options.js';
import { displayAspect } from '../util/ratio.js';

/**
 * Zone files: a plan turned into the per-scene settings files that other encoders and tools
 * accept. Every writer is pure and synchronous (plan → string) and validates the plan first, so a
 * bad plan never produces a half-right file.
 *
 * Plan option names are the encoder's own command-line long options without the dashes
 * (SvtAv1EncApp, aomenc, vpxenc: `tune: 0` → `--tune 0` / `--tune=0`). Booleans become 1 / 0,
 * because valueless flags cannot be expressed safely in every target (Av1an's zone parser would
 * read the next flag as their value).
 */

export const ZONE_FORMATS = ['av1an', 'x265', 'x265-zonefile', 'x264', 'ffmpeg', 'json'] as const;
export type ZoneFormat = (typeof ZONE_FORMATS)[number];

function wholeCrf(plan: EncodePlan, i: number, target: string): number {
  const crf = plan.scenes[i]!.crf;
  if (!Number.isInteger(crf)) throw new InvalidOptionsError('plan', `scenes.${i}.crf: ${target} takes a whole-number CRF, got ${crf}`);
  return crf;
}

// ---------------------------------------------------------------------------------------------
// Av1an

/** Av1an's names for scenecrf's encoders (`-e` / the zones file's third column). */
export const AV1AN_ENCODER: Record<EncoderName, string> = { 'svt-av1': 'svt-av1', aom: 'aom', vp9: 'vpx' };

export interface Av1anZonesOptions {
  /**
   * Emit Av1an's `reset` keyword: the zone then starts from empty encoder arguments (and Av1an's
   * default passes, no photon noise) instead of the `-v` arguments of the Av1an command line, so
   * each line carries the plan's complete settings. Needed when Av1an runs with another encoder
   * of the same format than the plan's (Av1an refuses an encoder change without `reset`).
   * Default false: zones override only the flags they name, the rest of `-v` stays.
   */
  reset?: boolean;
}

/** `--name value` (SvtAv1EncApp) or `--name=value` (aomenc, vpxenc: Av1an needs the `=` form). */
function av1anFlag(encoder: EncoderName, name: string, value: string | number): string {
  return encoder === 'svt-av1' ? `--${name} ${value}` : `--${name}=${value}`;
}

/**
 * Av1an zones file (`--zones file`): one line per scene, `start end encoder [reset] args`, with
 * `end` exclusive (the plan's own convention), the scene's CRF as the encoder's flag
 * (SvtAv1EncApp `--crf N`; aomenc / vpxenc `--end-usage=q --cq-level=N`), the plan's preset
 * (`--preset P` / `--cpu-used=P`) and its options. Av1an reads every non-empty line as a zone
 * (no comments), so the file holds zone lines only.
 */
export function writeAv1anZones(planInput: unknown, options: Av1anZonesOptions = {}): string {
  const plan = parsePlan(planInput);
  const enc = plan.encoder;
  return plan.scenes
    .map((s, i) => {
      const crf = wholeCrf(plan, i, `Av1an (${AV1AN_ENCODER[enc]})`);
      const args =
        enc === 'svt-av1'
          ? [av1anFlag(enc, 'preset', plan.preset), av1anFlag(enc, 'crf', crf)]
          : [av1anFlag(enc, 'cpu-used', plan.preset), av1anFlag(enc, 'end-usage', 'q'), av1anFlag(enc, 'cq-level', crf)];
      for (const [k, v] of sceneOptions(plan, i)) args.push(av1anFlag(enc, k, v));
      return [String(s.startFrame), String(s.endFrame), AV1AN_ENCODER[enc], ...(options.reset ? ['reset'] : []), ...args].join(' ');
    })
    .join('\n')
    .concat('\n');
}

// ---------------------------------------------------------------------------------------------
// x264 / x265

/** x264/x265 quantizer and CRF scale. */
const X26X_MAX = 51;

export interface X26xZonesOptions {
  /**
   * How a scene's CRF becomes a zone (x264 and x265 `--zones` accept only `q=` and `b=`):
   * - `'b'` (default): `b=2^((baseCrf − crf)/6)`, a bitrate factor. The encoder divides the
   *   zone's quantizer scale by it, i.e. shifts its QPs by `crf − baseCrf` while CRF rate control
   *   (frame types, AQ, mb-tree) keeps working. Run the encoder with `--crf <baseCrf>`.
   * - `'q'`: `q=<crf>`, a constant QP equal to the scene's CRF number (rounded) — no rate control
   *   inside the zone; a QP is not a CRF, the same number usually gives more bytes.
   */
  mode?: 'b' | 'q';
  /** Base CRF for `mode: 'b'` (the `--crf` of the encoder command). Default: the median of the scene CRFs. */
  baseCrf?: number;
}

function checkX26xCrf(plan: EncodePlan, target: string): void {
  plan.scenes.forEach((s, i) => {
    if (s.crf > X26X_MAX) throw new InvalidOptionsError('plan', `scenes.${i}.crf: ${s.crf} is out of range for ${target} (0..${X26X_MAX}); x264/x265 zones use the plan's CRF numbers as they are`);
  });
}

/** The base CRF `mode: 'b'` uses by default: the (lower) median of the scene CRFs. */
export function medianCrf(plan: EncodePlan): number {
  const sorted = plan.scenes.map((s) => s.crf).sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

const fmtNumber = (x: number) => String(Number(x.toFixed(4)));

function x26xZones(planInput: unknown, target: string, options: X26xZonesOptions): string {
  const plan = parsePlan(planInput);
  checkX26xCrf(plan, target);
  const mode = options.mode ?? 'b';
  if (mode !== 'b' && mode !== 'q') throw new InvalidOptionsError(`${target} zones`, `mode must be "b" or "q", got ${JSON.stringify(mode)}`);
  const base = options.baseCrf ?? medianCrf(plan);
  if (!(base >= 0 && base <= X26X_MAX)) throw new InvalidOptionsError(`${target} zones`, `baseCrf must be within 0..${X26X_MAX}, got ${base}`);
  // Both encoders take `start,end,option` with END INCLUSIVE, zones separated by "/".
  return plan.scenes
    .map((s) => `${s.startFrame},${s.endFrame - 1},${mode === 'q' ? `q=${Math.round(s.crf)}` : `b=${fmtNumber(2 ** ((base - s.crf) / 6))}`}`)
    .join('/');
}

/**
 * x265 `--zones` value: `start,end,b=F` (or `q=N`) per scene joined by `/`, end inclusive.
 * Measured on Debian's x265 3.5: zones are matched in ENCODE order, so around a boundary a zone
 * can cover a few frames of the neighbouring scene (up to the B-frame run), and a one-frame zone
 * has no effect.
 */
export function x265Zones(plan: unknown, options: X26xZonesOptions = {}): string {
  return x26xZones(plan, 'x265', options);
}

/** x264 `--zones` value: same syntax as x265's (end inclusive, `q=` or `b=` only); x264 matches
 * zones by display frame number. */
export function x264Zones(plan: unknown, options: X26xZonesOptions = {}): string {
  return x26xZones(plan, 'x264', options);
}

/**
 * x265 `--zonefile` contents: one line per scene, `<start frame> --crf <crf>` (the frame where the
 * zone begins, then x265 options to reconfigure). No comments or blank lines: x265 3.5 counts a
 * blank line as a zone.
 * Caveat, measured on Debian's x265 3.5: the file is parsed (a bad option is rejected) but its
 * `--crf` does not change the encode — the output is byte-identical to one without it. Prefer
 * {@link x265Zones} with that x265.
 */
export function x265Zonefile(planInput: unknown): string {
  const plan = parsePlan(planInput);
  checkX26xCrf(plan, 'x265');
  return plan.scenes.map((s) => `${s.startFrame} --crf ${fmtNumber(s.crf)}\n`).join('');
}

// ---------------------------------------------------------------------------------------------

/** The plan itself, validated and pretty-printed (defaults filled in). */
export function planJson(planInput: unknown): string {
  return `${JSON.stringify(parsePlan(planInput), null, 2)}\n`;
}

/**
 * What a zone format cannot carry from the plan, as notes for the user (the CLI prints them). Zone
 * files set per-scene encoder settings only; the sample aspect ratio of an anamorphic input is a
 * property of the whole stream, so it must be given to the encoder or muxer by hand. The ffmpeg
 * script and the plan JSON carry it.
 */
export function zoneFormatNotes(planInput: unknown, format: ZoneFormat): string[] {
  const plan = parsePlan(planInput);
  const sar = plan.input.sampleAspectRatio;
  if (!sar || format === 'ffmpeg' || format === 'json') return [];
  const { width, height } = plan.input;
  const d = displayAspect(sar, width, height);
  const dar = `${d.num}:${d.den}`;
  const shape = `the input has non-square pixels (sample aspect ratio ${sar.num}:${sar.den}, shown ${dar}), which ${format} zones cannot carry`;
  return format === 'av1an'
    ? [`${shape}: set it on Av1an's output when muxing (ffmpeg -i out.mkv -map 0 -c copy -aspect ${dar} final.mkv), or the picture plays squeezed`]
    : [`${shape}: add --sar ${sar.num}:${sar.den} to the ${format === 'x264' ? 'x264' : 'x265'} command line`];
}

export interface FormatZonesOptions extends Av1anZonesOptions, X26xZonesOptions, Partial<FfmpegScriptOptions> {}

/** One entry point for every zone format (the CLI's `zones --format`). */
export function formatZones(plan: unknown, format: ZoneFormat, options: FormatZonesOptions = {}): string {
  switch (format) {
    case 'av1an':
      return writeAv1anZones(plan, options);
    case 'x265':
      return `${x265Zones(plan, options)}\n`;
    case 'x265-zonefile':
      return x265Zonefile(plan);
    case 'x264':
      return `${x264Zones(plan, options)}\n`;
    case 'ffmpeg':
      if (!options.output) throw new InvalidOptionsError('ffmpeg script', 'an output video file name is required');
      return ffmpegScript(plan, { ...options, output: options.output });
    case 'json':
      return planJson(plan);
    default:
      throw new InvalidOptionsError('zone format', `expected one of ${ZONE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
}
