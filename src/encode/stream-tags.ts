/**
 * What the joined output must say about its picture that the chunks cannot carry. Chunks are IVF
 * files: IVF has no field for the sample aspect ratio, and VP9 bitstreams carry the matrix and
 * range but no primaries or transfer function. So without help an anamorphic input (704x576 at
 * 16:11, a 16:9 picture) plays squeezed to 11:9, and a VP9 encode of HDR10 loses bt2020/PQ. The
 * concat step therefore writes both into the output container (Matroska/WebM display size and
 * Colour elements, MP4 `pasp` and `colr`): ffmpeg applies `-aspect` and the colour options to a
 * stream copy.
 */
import type { ColourTags } from '../media/native/stream-facts.js';
import { displayAspect } from '../util/ratio.js';

/**
 * ffmpeg output options that give a stream copy of a `width`x`height` video the sample aspect ratio
 * `sar` and the input's colour tags; none for square pixels and untagged input, so such outputs are
 * byte for byte what they were. `-aspect` takes the display aspect ratio (ffmpeg derives the sample
 * one from it and the coded size) and reads it as a fraction with terms up to 255, so a display
 * ratio that reduces to larger terms (none of the broadcast ones: 4:3, 16:9, 2.39:1 as 239:100)
 * comes out as its nearest such fraction.
 */
export function streamTagArgs(
  sar: { num: number; den: number } | undefined,
  colour: ColourTags,
  width: number,
  height: number,
): string[] {
  const args: string[] = [];
  if (sar && sar.num !== sar.den) {
    const dar = displayAspect(sar, width, height);
    args.push('-aspect', `${dar.num}:${dar.den}`);
  }
  if (colour.range) args.push('-color_range', colour.range);
  if (colour.primaries) args.push('-color_primaries', colour.primaries);
  if (colour.transfer) args.push('-color_trc', colour.transfer);
  if (colour.space) args.push('-colorspace', colour.space);
  return args;
}
