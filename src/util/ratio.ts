/** Whole-number ratios (aspect ratios), reduced to lowest terms. */

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** `num:den` in lowest terms (both positive integers). */
export function reduceRatio(num: number, den: number): { num: number; den: number } {
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/** The display aspect ratio of `width`x`height` samples of aspect ratio `sar`, reduced. */
export function displayAspect(sar: { num: number; den: number }, width: number, height: number): { num: number; den: number } {
  return reduceRatio(sar.num * width, sar.den * height);
}
