import type { ModelConfig } from '../model/modelConfig';
import { GraphBuilder, int, type GraphDefinition } from './graphDefinition';
import { activation, attention, dims, layerNorm, linear, RUNTIME_INPUTS } from './ops';

/**
 * GPT-2 as one graph with every TransformerLens hook:
 * x = wte[t] + wpe[p]; x += attn(ln_1 x); x += mlp(ln_2 x); logits = ln_f(x)·wteᵀ.
 */
export function buildGpt2Graph(config: ModelConfig): GraphDefinition {
  const { dModel: d, nHeads, dHead, dMlp, dVocab } = config;
  const g = new GraphBuilder();
  const ids = g.runtimeInput(RUNTIME_INPUTS.tokenIds, 'int64');
  const positions = g.runtimeInput(RUNTIME_INPUTS.positionIds, 'int64');
  g.runtimeInput(RUNTIME_INPUTS.attentionMask, 'bool');
  g.runtimeInput(RUNTIME_INPUTS.batchPos, 'int64');

  const embed = g.hook('hook_embed', g.op('Gather', [g.weight('wte.weight'), ids], { axis: int(0) }), dims.model(d));
  const posEmbed = g.hook('hook_pos_embed', g.op('Gather', [g.weight('wpe.weight'), positions], { axis: int(0) }), dims.model(d));
  let resid = g.op('Add', [embed, posEmbed]);

  for (let layer = 0; layer < config.nLayers; layer++) {
    const block = `blocks.${layer}`;
    const h = `h.${layer}`;
    resid = g.hook(`${block}.hook_resid_pre`, resid, dims.model(d));

    const ln1 = layerNorm(g, resid, `${h}.ln_1.weight`, `${h}.ln_1.bias`, config.normEps, `${block}.ln1`, d);
    const qkv = linear(g, ln1, `${h}.attn.c_attn.weight`, `${h}.attn.c_attn.bias`, 'in_out');
    const [qRaw, kRaw, vRaw] = g.opMulti('Split', [qkv], 3, { axis: int(1), num_outputs: int(3) });
    const q = g.hook(`${block}.attn.hook_q`, qRaw, dims.heads(nHeads, dHead));
    const k = g.hook(`${block}.attn.hook_k`, kRaw, dims.heads(nHeads, dHead));
    const v = g.hook(`${block}.attn.hook_v`, vRaw, dims.heads(nHeads, dHead));
    const zRaw = attention(g, q, k, v, nHeads, dHead, config.attnScales[layer], `${block}.attn`);
    const z = g.hook(`${block}.attn.hook_z`, zRaw, dims.heads(nHeads, dHead));
    const attnOut = g.hook(`${block}.hook_attn_out`, linear(g, z, `${h}.attn.c_proj.weight`, `${h}.attn.c_proj.bias`, 'in_out'), dims.model(d));
    resid = g.hook(`${block}.hook_resid_mid`, g.op('Add', [resid, attnOut]), dims.model(d));

    const ln2 = layerNorm(g, resid, `${h}.ln_2.weight`, `${h}.ln_2.bias`, config.normEps, `${block}.ln2`, d);
    const pre = g.hook(`${block}.mlp.hook_pre`, linear(g, ln2, `${h}.mlp.c_fc.weight`, `${h}.mlp.c_fc.bias`, 'in_out'), dims.model(dMlp));
    const post = g.hook(`${block}.mlp.hook_post`, activation(g, pre, config.activation), dims.model(dMlp));
    const mlpOut = g.hook(`${block}.hook_mlp_out`, linear(g, post, `${h}.mlp.c_proj.weight`, `${h}.mlp.c_proj.bias`, 'in_out'), dims.model(d));
    resid = g.hook(`${block}.hook_resid_post`, g.op('Add', [resid, mlpOut]), dims.model(d));
  }

  const final = layerNorm(g, resid, 'ln_f.weight', 'ln_f.bias', config.normEps, 'ln_final', d);
  const unembed = config.tiedEmbeddings ? 'wte.weight' : 'lm_head.weight';
  const logits = linear(g, final, unembed, undefined, 'out_in');
  return g.finish(logits, dims.model(dVocab));
}
