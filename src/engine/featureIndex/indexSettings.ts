/**
 * The shape of a feature index. Stored with the index: an index written with other settings is
 * rebuilt rather than mixed.
 */
export interface IndexSettings {
  /** Tokens per model run (BOS included); long documents are cut into chunks of this length. */
  chunkLength: number;
  /** Top contexts shown per feature, and how many are kept (the rest is slack for edited files). */
  topShown: number;
  topKept: number;
  /** Random (uniform) samples of each feature's activations, for the quantile groups. */
  samplesShown: number;
  samplesKept: number;
  /** Context tokens stored around each example, before and after it (within its chunk). */
  windowBefore: number;
  windowAfter: number;
  /** Quantile groups on a feature page. */
  quantileGroups: number;
}

export const DEFAULT_SETTINGS: IndexSettings = {
  chunkLength: 128,
  topShown: 20,
  topKept: 28,
  samplesShown: 50,
  samplesKept: 60,
  windowBefore: 12,
  windowAfter: 6,
  quantileGroups: 10,
};

export function windowLength(settings: IndexSettings): number {
  return settings.windowBefore + 1 + settings.windowAfter;
}
