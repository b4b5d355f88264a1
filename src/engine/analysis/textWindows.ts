import { MechLensError } from '../errors';
import type { HookedModel } from '../hookedModel';

/** One model input cut from a text: BOS then up to contextSize − 1 of the text's tokens. */
export interface TextWindow {
  source: string;
  ids: number[];
}

/**
 * Cuts texts into windows for evaluation: each text's tokens in consecutive runs of
 * contextSize − 1, each with BOS prepended.
 */
export function textWindows(model: HookedModel, texts: { source: string; text: string }[], contextSize: number): TextWindow[] {
  if (!Number.isInteger(contextSize) || contextSize < 2 || contextSize > model.config.nCtx) {
    throw new MechLensError(`the context size must be between 2 and the model's ${model.config.nCtx}, got ${contextSize}`);
  }
  const windows: TextWindow[] = [];
  for (const { source, text } of texts) {
    if (text.trim().length === 0) continue;
    const ids = model.tokenizer.encode(text).map((token) => token.id);
    for (let start = 0; start < ids.length; start += contextSize - 1) {
      windows.push({ source, ids: [model.bosTokenId, ...ids.slice(start, start + contextSize - 1)] });
    }
  }
  return windows;
}

/** Groups windows into batches of equal length, at most `batchSize` each. */
export function equalLengthBatches(windows: TextWindow[], batchSize: number): TextWindow[][] {
  const byLength = new Map<number, TextWindow[]>();
  for (const window of windows) byLength.set(window.ids.length, [...(byLength.get(window.ids.length) ?? []), window]);
  const batches: TextWindow[][] = [];
  for (const group of byLength.values()) for (let i = 0; i < group.length; i += batchSize) batches.push(group.slice(i, i + batchSize));
  return batches;
}
