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

/** Most tokens (padding included) one model run of a scan takes. */
const BATCH_TOKENS = 1024;

/** A chunk of a document: `length` tokens from `firstPos`, run after BOS. */
interface Chunk {
  doc: number;
  ids: Uint32Array;
  firstPos: number;
  length: number;
}

/**
 * Runs documents through the model and every SAE, chunk by chunk: each chunk is BOS and then up
 * to chunkLength − 1 of a document's tokens (BOS rows are not indexed, as SAELens and Neuronpedia
 * leave them out). Chunks of all the documents are batched together, longest first, the shorter
 * ones padded on the right: the models are causal, so padding after a chunk never changes its
 * activations, and many short documents (JSONL lines) share a run instead of taking one each.
 * The batches depend only on the documents given, so a later recomputation of the same documents
 * (to remove a file) gives the same numbers. `visit(s, chunk)` receives SAE s's activations of
 * each chunk.
 */
export async function scanDocuments(model: HookedModel, saes: readonly SaeRunner[], documents: ReadonlyArray<{ doc: number; ids: Uint32Array }>, chunkLength: number, visit: (sae: number, chunk: ChunkActivations) => void): Promise<void> {
  const step = chunkLength - 1;
  const chunks: Chunk[] = [];
  for (const { doc, ids } of documents) {
    for (let start = 0; start < ids.length; start += step) chunks.push({ doc, ids, firstPos: start, length: Math.min(step, ids.length - start) });
  }
  chunks.sort((x, y) => y.length - x.length); // stable: ties stay in document order
  const hooks = [...new Set(saes.map((sae) => sae.config.hookName))];
  for (let i = 0; i < chunks.length; ) {
    const p = chunks[i].length + 1;
    const end = Math.min(chunks.length, i + Math.max(1, Math.floor(BATCH_TOKENS / p)));
    const batch = chunks.slice(i, end);
    const rows = batch.map((chunk) => {
      const row = new Array<number>(p).fill(model.bosTokenId);
      for (let t = 0; t < chunk.length; t++) row[t + 1] = chunk.ids[chunk.firstPos + t];
      return row;
    });
    const { cache } = await model.hookValues({ ids: rows }, hooks);
    for (let s = 0; s < saes.length; s++) {
      const { config } = saes[s];
      const dense = (await saes[s].encode(saeInput(config, cache.get(config.hookName)!), { features: true })).features!;
      batch.forEach((chunk, c) => {
        const first = (c * p + 1) * config.dSae;
        visit(s, { doc: chunk.doc, firstPos: chunk.firstPos, rows: chunk.length, dense: dense.subarray(first, first + chunk.length * config.dSae) });
      });
    }
    i = end;
  }
}
