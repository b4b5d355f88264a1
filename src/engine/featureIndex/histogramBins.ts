/**
 * Fixed log-spaced histogram bins for positive activations: BINS_PER_OCTAVE per factor of two
 * from 2^MIN_EXPONENT to 2^MAX_EXPONENT, one bin below (everything in (0, 2^MIN_EXPONENT)) and one
 * above. Fixed edges let histograms of different files be added and subtracted exactly.
 */
export const BINS_PER_OCTAVE = 4;
export const MIN_EXPONENT = -12;
export const MAX_EXPONENT = 14;
export const BIN_COUNT = (MAX_EXPONENT - MIN_EXPONENT) * BINS_PER_OCTAVE + 2;

const LOWEST = 2 ** MIN_EXPONENT;

/** The bin of a positive activation. */
export function binOf(activation: number): number {
  if (activation < LOWEST) return 0;
  const bin = 1 + Math.floor((Math.log2(activation) - MIN_EXPONENT) * BINS_PER_OCTAVE);
  return Math.min(bin, BIN_COUNT - 1);
}

/** The BIN_COUNT + 1 edges: bin i holds activations in [edges[i], edges[i + 1]); the first starts at 0, the last ends at Infinity. */
export function binEdges(): number[] {
  const edges = [0];
  for (let i = 0; i <= (MAX_EXPONENT - MIN_EXPONENT) * BINS_PER_OCTAVE; i++) edges.push(2 ** (MIN_EXPONENT + i / BINS_PER_OCTAVE));
  edges.push(Infinity);
  return edges;
}
