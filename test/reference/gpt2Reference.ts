/**
 * Independent float64 reference forward pass for HF GPT-2 (GPT2LMHeadModel, eval mode),
 * recording TransformerLens hook values. Used only by tests, to check the ONNX engine.
 *
 * Written deliberately plainly: every tensor is a C-order Float64Array, every op is a loop.
 * It shares no code with src/engine/ so that the two can disagree when one of them is wrong.
 *
 * Conventions (see /work/shared/reference/formats.md §1 gpt2, §2 hooks):
 *   - GPT-2 Conv1D weight is [in, out] and y = x·W + b.
 *   - c_attn columns are Q | K | V blocks of d, each head-major (H, dh).
 *   - hook_*.hook_normalized is (x − μ)/scale, before the LayerNorm weight and bias.
 */

export interface RefTensor {
  shape: number[];
  data: Float64Array; // C order
}

export interface RefResult {
  logits: RefTensor;
  hooks: Map<string, RefTensor>;
}

// ---------------------------------------------------------------------------------------------
// Config

interface Gpt2RefConfig {
  nEmbd: number;
  nHead: number;
  nLayer: number;
  nPositions: number;
  nInner: number;
  eps: number;
  activation: (x: number) => number;
  scaleAttnWeights: boolean;
  scaleAttnByInverseLayerIdx: boolean;
}

function fail(message: string): never {
  throw new Error(`gpt2Reference: ${message}`);
}

function readPositiveInt(cfg: Record<string, unknown>, key: string, fallback: number): number {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    fail(`config.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function readBool(cfg: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(`config.${key} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function parseConfig(hfConfig: Record<string, unknown>): Gpt2RefConfig {
  if (hfConfig === null || typeof hfConfig !== 'object') fail('hfConfig must be an object');
  const modelType = hfConfig['model_type'];
  if (modelType !== undefined && modelType !== 'gpt2') {
    fail(`config.model_type must be "gpt2", got ${JSON.stringify(modelType)}`);
  }
  // Fallbacks are the HF GPT2Config defaults.
  const nEmbd = readPositiveInt(hfConfig, 'n_embd', 768);
  const nHead = readPositiveInt(hfConfig, 'n_head', 12);
  const nLayer = readPositiveInt(hfConfig, 'n_layer', 12);
  const nPositions = readPositiveInt(hfConfig, 'n_positions', 1024);
  const nInner = readPositiveInt(hfConfig, 'n_inner', 4 * nEmbd); // null → 4·n_embd
  if (nEmbd % nHead !== 0) fail(`config.n_embd (${nEmbd}) is not divisible by config.n_head (${nHead})`);

  const epsRaw = hfConfig['layer_norm_epsilon'];
  let eps = 1e-5;
  if (epsRaw !== undefined && epsRaw !== null) {
    if (typeof epsRaw !== 'number' || !Number.isFinite(epsRaw) || epsRaw < 0) {
      fail(`config.layer_norm_epsilon must be a non-negative number, got ${JSON.stringify(epsRaw)}`);
    }
    eps = epsRaw;
  }

  const actRaw = hfConfig['activation_function'];
  const actName = actRaw === undefined || actRaw === null ? 'gelu_new' : actRaw;
  if (typeof actName !== 'string') fail(`config.activation_function must be a string, got ${JSON.stringify(actRaw)}`);

  return {
    nEmbd,
    nHead,
    nLayer,
    nPositions,
    nInner,
    eps,
    activation: activationByName(actName),
    scaleAttnWeights: readBool(hfConfig, 'scale_attn_weights', true),
    scaleAttnByInverseLayerIdx: readBool(hfConfig, 'scale_attn_by_inverse_layer_idx', false),
  };
}

// ---------------------------------------------------------------------------------------------
// Activations

/**
 * erf(x) to double precision.
 *  |x| < 3: erf(x) = 2/√π · e^{−x²} · Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·5···(2n+1))   (A&S 7.1.6; all terms
 *           share the sign of x, so there is no cancellation).
 *  |x| ≥ 3: erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + 2/(x + …)))))   (A&S 7.1.14),
 *           evaluated backwards from a fixed depth; erf = 1 − erfc.
 */
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a < 3) {
    const twoA2 = 2 * a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 500; n++) {
      term *= twoA2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return sign * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
  }
  if (a > 27) return sign; // erfc(27) < 1e-300
  let f = a;
  for (let k = 120; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
  return sign * (1 - erfc);
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function activationByName(name: string): (x: number) => number {
  switch (name) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    case 'gelu':
      return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_fast':
      return (x) => 0.5 * x * (1 + Math.tanh(0.7978845608 * x * (1 + 0.044715 * x * x)));
    case 'quick_gelu':
      return (x) => x * sigmoid(1.702 * x);
    case 'relu':
      return (x) => (x > 0 ? x : 0);
    case 'silu':
    case 'swish':
      return (x) => x * sigmoid(x);
    default:
      return fail(`unsupported activation_function ${JSON.stringify(name)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tensor access and small numeric helpers

function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function getTensor(tensors: Record<string, RefTensor>, key: string, expected: number[]): Float64Array {
  const t = Object.prototype.hasOwnProperty.call(tensors, key) ? tensors[key] : undefined;
  if (t === undefined || t === null) fail(`missing tensor "${key}" (expected shape ${shapeStr(expected)})`);
  if (!Array.isArray(t.shape)) fail(`tensor "${key}" has no shape array`);
  const sameShape = t.shape.length === expected.length && t.shape.every((n, i) => n === expected[i]);
  if (!sameShape) {
    fail(`tensor "${key}" has shape ${shapeStr(t.shape)}, expected ${shapeStr(expected)}`);
  }
  if (!(t.data instanceof Float64Array)) fail(`tensor "${key}" data must be a Float64Array`);
  const size = expected.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) {
    fail(`tensor "${key}" with shape ${shapeStr(t.shape)} has ${t.data.length} values, expected ${size}`);
  }
  return t.data;
}

/** Conv1D: x [rows, inDim] · w [inDim, outDim] + b [outDim] → [rows, outDim]. */
function conv1d(
  x: Float64Array,
  rows: number,
  inDim: number,
  w: Float64Array,
  outDim: number,
  b: Float64Array,
): Float64Array {
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const o = r * outDim;
    for (let i = 0; i < inDim; i++) {
      const xi = x[r * inDim + i];
      const wRow = i * outDim;
      for (let j = 0; j < outDim; j++) out[o + j] += xi * w[wRow + j];
    }
    for (let j = 0; j < outDim; j++) out[o + j] += b[j];
  }
  return out;
}

interface LayerNormResult {
  out: Float64Array; // [rows, d]  normalized·w + b
  normalized: Float64Array; // [rows, d]  (x − μ)/scale
  scale: Float64Array; // [rows]     sqrt(var + eps), biased variance
}

/** LayerNorm over the last axis of x [rows, d]. */
function layerNorm(
  x: Float64Array,
  rows: number,
  d: number,
  w: Float64Array,
  b: Float64Array,
  eps: number,
): LayerNormResult {
  const out = new Float64Array(rows * d);
  const normalized = new Float64Array(rows * d);
  const scale = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[base + i];
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) {
      const c = x[base + i] - mean;
      variance += c * c;
    }
    variance /= d;
    const s = Math.sqrt(variance + eps);
    scale[r] = s;
    for (let i = 0; i < d; i++) {
      const n = (x[base + i] - mean) / s;
      normalized[base + i] = n;
      out[base + i] = n * w[i] + b[i];
    }
  }
  return { out, normalized, scale };
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Input validation

function validateIds(ids: number[][], vocab: number, nPositions: number): { batch: number; seq: number } {
  if (!Array.isArray(ids) || ids.length === 0) fail('ids must be a non-empty array of sequences');
  const seq = Array.isArray(ids[0]) ? ids[0].length : -1;
  if (seq <= 0) fail('ids[0] must be a non-empty array of token ids');
  for (let b = 0; b < ids.length; b++) {
    const row = ids[b];
    if (!Array.isArray(row)) fail(`ids[${b}] is not an array`);
    if (row.length !== seq) fail(`unequal sequence lengths: ids[0] has ${seq} tokens, ids[${b}] has ${row.length}`);
    for (let p = 0; p < seq; p++) {
      const t = row[p];
      if (!Number.isInteger(t) || t < 0 || t >= vocab) {
        fail(`token id ids[${b}][${p}] = ${t} is out of range [0, ${vocab})`);
      }
    }
  }
  if (seq > nPositions) fail(`sequence length ${seq} exceeds n_positions ${nPositions}`);
  return { batch: ids.length, seq };
}

// ---------------------------------------------------------------------------------------------
// Forward

/**
 * hfConfig: the parsed config.json of a HF GPT-2 checkpoint (model_type "gpt2").
 * tensors: HF key names as in the hub safetensors (no "transformer." prefix); lm_head.weight optional (tied to wte if absent).
 * ids: batch of equal-length token id sequences (positions start at 0).
 */
export function gpt2ReferenceForward(
  hfConfig: Record<string, unknown>,
  tensors: Record<string, RefTensor>,
  ids: number[][],
): RefResult {
  const cfg = parseConfig(hfConfig);
  const d = cfg.nEmbd;
  const H = cfg.nHead;
  const dh = d / H;
  const I = cfg.nInner;

  // Vocabulary size comes from wte's shape.
  const wteT = Object.prototype.hasOwnProperty.call(tensors, 'wte.weight') ? tensors['wte.weight'] : undefined;
  if (wteT === undefined || wteT === null) fail('missing tensor "wte.weight" (expected shape [V,' + d + '])');
  if (!Array.isArray(wteT.shape) || wteT.shape.length !== 2 || wteT.shape[1] !== d || !(wteT.shape[0] > 0)) {
    const actual = Array.isArray(wteT.shape) ? shapeStr(wteT.shape) : String(wteT.shape);
    fail(`tensor "wte.weight" has shape ${actual}, expected [V,${d}]`);
  }
  const V = wteT.shape[0];
  const wte = getTensor(tensors, 'wte.weight', [V, d]); // [V, d]
  const wpe = getTensor(tensors, 'wpe.weight', [cfg.nPositions, d]); // [n_positions, d]
  const hasLmHead = Object.prototype.hasOwnProperty.call(tensors, 'lm_head.weight') && tensors['lm_head.weight'] != null;
  const unembed = hasLmHead ? getTensor(tensors, 'lm_head.weight', [V, d]) : wte; // [V, d]

  // Validate every layer's weights before computing anything.
  const layers = [];
  for (let L = 0; L < cfg.nLayer; L++) {
    const p = `h.${L}.`;
    layers.push({
      ln1W: getTensor(tensors, p + 'ln_1.weight', [d]),
      ln1B: getTensor(tensors, p + 'ln_1.bias', [d]),
      attnW: getTensor(tensors, p + 'attn.c_attn.weight', [d, 3 * d]),
      attnB: getTensor(tensors, p + 'attn.c_attn.bias', [3 * d]),
      projW: getTensor(tensors, p + 'attn.c_proj.weight', [d, d]),
      projB: getTensor(tensors, p + 'attn.c_proj.bias', [d]),
      ln2W: getTensor(tensors, p + 'ln_2.weight', [d]),
      ln2B: getTensor(tensors, p + 'ln_2.bias', [d]),
      fcW: getTensor(tensors, p + 'mlp.c_fc.weight', [d, I]),
      fcB: getTensor(tensors, p + 'mlp.c_fc.bias', [I]),
      mlpProjW: getTensor(tensors, p + 'mlp.c_proj.weight', [I, d]),
      mlpProjB: getTensor(tensors, p + 'mlp.c_proj.bias', [d]),
    });
  }
  const lnfW = getTensor(tensors, 'ln_f.weight', [d]);
  const lnfB = getTensor(tensors, 'ln_f.bias', [d]);

  const { batch: B, seq: P } = validateIds(ids, V, cfg.nPositions);
  const N = B * P; // rows of the flattened [B·P, ·] activations; row = b·P + p

  const hooks = new Map<string, RefTensor>();
  const put = (name: string, shape: number[], data: Float64Array): void => {
    hooks.set(name, { shape, data });
  };

  // Embeddings: embed [B,P,d] = wte[ids], posEmbed [B,P,d] = wpe[p].
  const embed = new Float64Array(N * d);
  const posEmbed = new Float64Array(N * d);
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      const row = (b * P + p) * d;
      const tok = ids[b][p];
      for (let i = 0; i < d; i++) {
        embed[row + i] = wte[tok * d + i];
        posEmbed[row + i] = wpe[p * d + i];
      }
    }
  }
  put('hook_embed', [B, P, d], embed);
  put('hook_pos_embed', [B, P, d], posEmbed);

  let resid = add(embed, posEmbed); // [B,P,d]

  for (let L = 0; L < cfg.nLayer; L++) {
    const w = layers[L];
    const pre = `blocks.${L}.`;
    put(pre + 'hook_resid_pre', [B, P, d], resid);

    // --- attention ---
    const ln1 = layerNorm(resid, N, d, w.ln1W, w.ln1B, cfg.eps);
    put(pre + 'ln1.hook_scale', [B, P, 1], ln1.scale);
    put(pre + 'ln1.hook_normalized', [B, P, d], ln1.normalized);

    const qkv = conv1d(ln1.out, N, d, w.attnW, 3 * d, w.attnB); // [B,P,3d] = [B,P,(Q|K|V),H,dh]
    const q = new Float64Array(N * d); // [B,P,H,dh]
    const k = new Float64Array(N * d); // [B,P,H,dh]
    const v = new Float64Array(N * d); // [B,P,H,dh]
    for (let r = 0; r < N; r++) {
      for (let i = 0; i < d; i++) {
        q[r * d + i] = qkv[r * 3 * d + i];
        k[r * d + i] = qkv[r * 3 * d + d + i];
        v[r * d + i] = qkv[r * 3 * d + 2 * d + i];
      }
    }
    put(pre + 'attn.hook_q', [B, P, H, dh], q);
    put(pre + 'attn.hook_k', [B, P, H, dh], k);
    put(pre + 'attn.hook_v', [B, P, H, dh], v);

    const scores = new Float64Array(B * H * P * P); // [B,H,q,k]
    const pattern = new Float64Array(B * H * P * P); // [B,H,q,k]
    const z = new Float64Array(N * d); // [B,P,H,dh]
    const sqrtDh = Math.sqrt(dh);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let qi = 0; qi < P; qi++) {
          const sRow = ((b * H + h) * P + qi) * P;
          const qOff = ((b * P + qi) * H + h) * dh;
          // scores[b,h,qi,kj] = q·k, scaled; masked (kj > qi) = −∞
          let max = -Infinity;
          for (let kj = 0; kj < P; kj++) {
            if (kj > qi) {
              scores[sRow + kj] = -Infinity;
              continue;
            }
            const kOff = ((b * P + kj) * H + h) * dh;
            let s = 0;
            for (let j = 0; j < dh; j++) s += q[qOff + j] * k[kOff + j];
            if (cfg.scaleAttnWeights) s = s / sqrtDh;
            if (cfg.scaleAttnByInverseLayerIdx) s = s / (L + 1);
            scores[sRow + kj] = s;
            if (s > max) max = s;
          }
          // softmax over the visible keys
          let sum = 0;
          for (let kj = 0; kj <= qi; kj++) {
            const e = Math.exp(scores[sRow + kj] - max);
            pattern[sRow + kj] = e;
            sum += e;
          }
          for (let kj = 0; kj <= qi; kj++) pattern[sRow + kj] /= sum;
          // z[b,qi,h,:] = Σ_kj pattern[b,h,qi,kj] · v[b,kj,h,:]
          for (let kj = 0; kj <= qi; kj++) {
            const pw = pattern[sRow + kj];
            const vOff = ((b * P + kj) * H + h) * dh;
            for (let j = 0; j < dh; j++) z[qOff + j] += pw * v[vOff + j];
          }
        }
      }
    }
    put(pre + 'attn.hook_attn_scores', [B, H, P, P], scores);
    put(pre + 'attn.hook_pattern', [B, H, P, P], pattern);
    put(pre + 'attn.hook_z', [B, P, H, dh], z);

    // z viewed as [B·P, H·dh] = concat of heads; out = z·c_proj + b
    const attnOut = conv1d(z, N, d, w.projW, d, w.projB); // [B,P,d]
    put(pre + 'hook_attn_out', [B, P, d], attnOut);
    const residMid = add(resid, attnOut);
    put(pre + 'hook_resid_mid', [B, P, d], residMid);

    // --- MLP ---
    const ln2 = layerNorm(residMid, N, d, w.ln2W, w.ln2B, cfg.eps);
    put(pre + 'ln2.hook_scale', [B, P, 1], ln2.scale);
    put(pre + 'ln2.hook_normalized', [B, P, d], ln2.normalized);
    const mlpPre = conv1d(ln2.out, N, d, w.fcW, I, w.fcB); // [B,P,I]
    const mlpPost = new Float64Array(N * I); // [B,P,I]
    for (let i = 0; i < mlpPre.length; i++) mlpPost[i] = cfg.activation(mlpPre[i]);
    put(pre + 'mlp.hook_pre', [B, P, I], mlpPre);
    put(pre + 'mlp.hook_post', [B, P, I], mlpPost);
    const mlpOut = conv1d(mlpPost, N, I, w.mlpProjW, d, w.mlpProjB); // [B,P,d]
    put(pre + 'hook_mlp_out', [B, P, d], mlpOut);
    resid = add(residMid, mlpOut);
    put(pre + 'hook_resid_post', [B, P, d], resid);
  }

  // Final LayerNorm and unembedding: logits[r, t] = Σ_i lnf[r, i] · unembed[t, i].
  const lnf = layerNorm(resid, N, d, lnfW, lnfB, cfg.eps);
  put('ln_final.hook_scale', [B, P, 1], lnf.scale);
  put('ln_final.hook_normalized', [B, P, d], lnf.normalized);
  const logits = new Float64Array(N * V); // [B,P,V]
  for (let r = 0; r < N; r++) {
    for (let t = 0; t < V; t++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += lnf.out[r * d + i] * unembed[t * d + i];
      logits[r * V + t] = s;
    }
  }

  return { logits: { shape: [B, P, V], data: logits }, hooks };
}
