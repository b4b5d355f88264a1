/**
 * The architecture-neutral description of a loaded model: what every graph builder and
 * analysis needs, parsed from config.json by the architecture's own file (gpt2.ts, …).
 * Names follow TransformerLens's HookedTransformerConfig where one exists.
 */

export type Activation = 'gelu_tanh' | 'gelu_erf' | 'relu' | 'silu' | 'quick_gelu';

export interface ModelConfig {
  /** The HF model_type, e.g. "gpt2". */
  modelType: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  dHead: number;
  /** MLP hidden width. */
  dMlp: number;
  dVocab: number;
  /** Longest sequence the model accepts (n_positions / max_position_embeddings). */
  nCtx: number;
  activation: Activation;
  normEps: number;
  /** Attention scores of layer L are multiplied by attnScales[L]. */
  attnScales: number[];
  tiedEmbeddings: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
}
