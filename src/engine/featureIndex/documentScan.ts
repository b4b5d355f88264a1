import type { HookedModel } from '../hookedModel';
import { saeInput } from '../sae/saeOnModel';
import type { SaeRunner } from '../sae/saeRunner';
import type { ChunkActivations } from './saeAggregate';

/** A document's tokens (without BOS) and each token's UTF-16 span in the document text. */
export interface TokenizedDocument {
  ids: Uint32Array;
  starts: Uint32Array;
  ends: Uint32Array;
}

export function tokenizeDocument(model: HookedModel, text: string): TokenizedDocument {
  const tokens = model.tokenizer.encode(text);
  return {
    ids: Uint32Array.from(tokens, (t) => t.id),
    starts: Uint32Array.from(tokens, (t) => t.span[0]),
    ends: Uint32Array.from(tokens, (t) => t.span[1]),
  };
}

/** Most tokens one model run of a scan takes (chunks of one document are batched up to this). */
const BATCH_TOKENS = 1024;

/**
 * Runs a document through the model and every SAE, chunk by chunk: each chunk is BOS and then
 * up to chunkLength − 1 of the document's tokens (BOS rows are not indexed, as SAELens and
 * Neuronpedia leave them out). Chunks of equal length are batched, always in the same way for the
 * same document, so a later recomputation of a removed document gives the same numbers.
 * `visit(s, chunk)` receives SAE s's activations of each chunk.
 */
export async function scanDocument(model: HookedModel, saes: readonly SaeRunner[], doc: number, ids: Uint32Array, chunkLength: number, visit: (sae: number, chunk: ChunkActivations) => void): Promise<void> {
  const step = chunkLength - 1;
  const starts: number[] = [];
  for (let start = 0; start < ids.length; start += step) starts.push(start);
  const hooks = [...new Set(saes.map((sae) => sae.config.hookName))];
  const perBatch = Math.max(1, Math.floor(BATCH_TOKENS / chunkLength));
  let i = 0;
  while (i < starts.length) {
    const length = Math.min(step, ids.length - starts[i]);
    let j = i;
    while (j < starts.length && j - i < perBatch && Math.min(step, ids.length - starts[j]) === length) j++;
    const batch = starts.slice(i, j).map((start) => [model.bosTokenId, ...ids.subarray(start, start + length)]);
    const { cache } = await model.hookValues({ ids: batch }, hooks);
    const p = length + 1;
    for (let s = 0; s < saes.length; s++) {
      const { config } = saes[s];
      const dense = (await saes[s].encode(saeInput(config, cache.get(config.hookName)!), { features: true })).features!;
      for (let c = 0; c < batch.length; c++) {
        visit(s, { doc, firstPos: starts[i + c], rows: length, dense: dense.subarray((c * p + 1) * config.dSae, (c + 1) * p * config.dSae) });
      }
    }
    i = j;
  }
}
