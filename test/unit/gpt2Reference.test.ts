/**
 * Tests for the float64 GPT-2 reference forward pass (test/reference/gpt2Reference.ts).
 * Run: node --import tsx --test test/unit/gpt2Reference.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2ReferenceForward, type RefResult, type RefTensor } from '../reference/gpt2Reference';

// ---------------------------------------------------------------------------------------------
// helpers

function t(shape: number[], values: number[]): RefTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  assert.equal(values.length, size, `test bug: ${values.length} values for shape [${shape}]`);
  return { shape, data: Float64Array.from(values) };
}

function hook(r: RefResult, name: string): RefTensor {
  const h = r.hooks.get(name);
  assert.ok(h, `hook ${name} missing`);
  return h;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (e === -Infinity || e === Infinity) {
      assert.equal(a, e, `${label}[${i}]: expected ${e}, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= tol, `${label}[${i}]: expected ${e}, got ${a} (|diff| ${Math.abs(a - e)} > ${tol})`);
  }
}

/** mulberry32 seeded PRNG → uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function randomModel(
  cfg: { n_embd: number; n_head: number; n_layer: number; n_positions: number; vocab: number; n_inner?: number },
  seed: number,
): Record<string, RefTensor> {
  const rnd = mulberry32(seed);
  const d = cfg.n_embd;
  const I = cfg.n_inner ?? 4 * d;
  const uni = (shape: number[], scale: number, offset = 0): RefTensor => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = offset + scale * (2 * rnd() - 1);
    return { shape, data };
  };
  const out: Record<string, RefTensor> = {
    'wte.weight': uni([cfg.vocab, d], 1),
    'wpe.weight': uni([cfg.n_positions, d], 0.5),
    'ln_f.weight': uni([d], 0.2, 1),
    'ln_f.bias': uni([d], 0.1),
  };
  for (let L = 0; L < cfg.n_layer; L++) {
    const p = `h.${L}.`;
    out[p + 'ln_1.weight'] = uni([d], 0.2, 1);
    out[p + 'ln_1.bias'] = uni([d], 0.1);
    out[p + 'attn.c_attn.weight'] = uni([d, 3 * d], 0.6);
    out[p + 'attn.c_attn.bias'] = uni([3 * d], 0.1);
    out[p + 'attn.c_proj.weight'] = uni([d, d], 0.4);
    out[p + 'attn.c_proj.bias'] = uni([d], 0.1);
    out[p + 'ln_2.weight'] = uni([d], 0.2, 1);
    out[p + 'ln_2.bias'] = uni([d], 0.1);
    out[p + 'mlp.c_fc.weight'] = uni([d, I], 0.5);
    out[p + 'mlp.c_fc.bias'] = uni([I], 0.1);
    out[p + 'mlp.c_proj.weight'] = uni([I, d], 0.3);
    out[p + 'mlp.c_proj.bias'] = uni([d], 0.1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Case A: worked out by hand. d=2, H=1 (dh=2), 1 layer, V=3, inner=2, eps=0 (so a d=2 LayerNorm
// normalizes every row to ±[1,−1]), relu. ids [[0,1]].
//
//   x0 = wte[0]+wpe[0] = [1.5,0]      x1 = wte[1]+wpe[1] = [0,1.5]
//   ln_1 (w=1,b=0): n0 = [1,−1] (scale 0.75), n1 = [−1,1] (scale 0.75)
//   c_attn: Q=I, K=I, V=diag(1,2), b_V=[0,0.5]
//     q0=k0=[1,−1], v0=[1,−1.5];  q1=k1=[−1,1], v1=[−1,2.5]
//   scores ÷√2: [[√2, −∞], [−√2, √2]];  pattern row 1 = [p, 1−p], p = 1/(1+e^{2√2})
//   z0 = [1,−1.5];  z1 = p·v0 + (1−p)·v1 = [2p−1, 2.5−4p]
//   c_proj = I, b=[0.1,−0.1]: attn_out0 = [1.1,−1.6], attn_out1 = [2p−0.9, 2.4−4p]
//   resid_mid0 = [2.6,−1.6] → n=[1,−1], scale 2.1;  resid_mid1 = [2p−0.9, 3.9−4p] → n=[−1,1], scale 2.4−3p
//   ln_2 (w=[2,1], b=[0,1]): [2,0] and [−2,2]
//   c_fc W=[[1,1],[0,1]] (rows = inputs): pre0 = [2,2], pre1 = [−2,0]; relu: post0 = [2,2], post1 = [0,0]
//   mlp c_proj W=[[1,0],[0,−1]]: mlp_out0 = [2,−2], mlp_out1 = [0,0]
//   resid_post0 = [4.6,−3.6] → n=[1,−1], scale 4.1;  resid_post1 = resid_mid1 → n=[−1,1]
//   ln_f (w=1, b=[0.25,0]): [1.25,−1] and [−0.75,1]
//   logits = ·wteᵀ, wte rows [1,0],[0,1],[2,−1]: [1.25,−1,3.5] and [−0.75,1,−2.5]

function caseA(): { config: Record<string, unknown>; tensors: Record<string, RefTensor> } {
  const config = {
    model_type: 'gpt2',
    n_embd: 2,
    n_head: 1,
    n_layer: 1,
    n_positions: 2,
    n_inner: 2,
    layer_norm_epsilon: 0,
    activation_function: 'relu',
  };
  const tensors: Record<string, RefTensor> = {
    'wte.weight': t([3, 2], [1, 0, 0, 1, 2, -1]),
    'wpe.weight': t([2, 2], [0.5, 0, 0, 0.5]),
    'h.0.ln_1.weight': t([2], [1, 1]),
    'h.0.ln_1.bias': t([2], [0, 0]),
    // columns: Q0 Q1 K0 K1 V0 V1
    'h.0.attn.c_attn.weight': t([2, 6], [1, 0, 1, 0, 1, 0, /* row 1 */ 0, 1, 0, 1, 0, 2]),
    'h.0.attn.c_attn.bias': t([6], [0, 0, 0, 0, 0, 0.5]),
    'h.0.attn.c_proj.weight': t([2, 2], [1, 0, 0, 1]),
    'h.0.attn.c_proj.bias': t([2], [0.1, -0.1]),
    'h.0.ln_2.weight': t([2], [2, 1]),
    'h.0.ln_2.bias': t([2], [0, 1]),
    'h.0.mlp.c_fc.weight': t([2, 2], [1, 1, 0, 1]),
    'h.0.mlp.c_fc.bias': t([2], [0, 0]),
    'h.0.mlp.c_proj.weight': t([2, 2], [1, 0, 0, -1]),
    'h.0.mlp.c_proj.bias': t([2], [0, 0]),
    'ln_f.weight': t([2], [1, 1]),
    'ln_f.bias': t([2], [0.25, 0]),
  };
  return { config, tensors };
}

describe('gpt2Reference: hand-computed case A (d=2, H=1, eps=0, relu)', () => {
  const { config, tensors } = caseA();
  const r = gpt2ReferenceForward(config, tensors, [[0, 1]]);
  const p = 1 / (1 + Math.exp(2 * Math.SQRT2));
  const tol = 1e-12;

  test('logits', () => {
    assert.deepEqual(r.logits.shape, [1, 2, 3]);
    assertClose(r.logits.data, [1.25, -1, 3.5, -0.75, 1, -2.5], tol, 'logits');
  });

  test('embeddings and ln1', () => {
    assertClose(hook(r, 'hook_embed').data, [1, 0, 0, 1], tol, 'hook_embed');
    assertClose(hook(r, 'hook_pos_embed').data, [0.5, 0, 0, 0.5], tol, 'hook_pos_embed');
    assertClose(hook(r, 'blocks.0.hook_resid_pre').data, [1.5, 0, 0, 1.5], tol, 'resid_pre');
    assert.deepEqual(hook(r, 'blocks.0.ln1.hook_scale').shape, [1, 2, 1]);
    assertClose(hook(r, 'blocks.0.ln1.hook_scale').data, [0.75, 0.75], tol, 'ln1 scale');
    assertClose(hook(r, 'blocks.0.ln1.hook_normalized').data, [1, -1, -1, 1], tol, 'ln1 normalized');
  });

  test('attention', () => {
    assert.deepEqual(hook(r, 'blocks.0.attn.hook_q').shape, [1, 2, 1, 2]);
    assertClose(hook(r, 'blocks.0.attn.hook_q').data, [1, -1, -1, 1], tol, 'q');
    assertClose(hook(r, 'blocks.0.attn.hook_k').data, [1, -1, -1, 1], tol, 'k');
    assertClose(hook(r, 'blocks.0.attn.hook_v').data, [1, -1.5, -1, 2.5], tol, 'v');
    assert.deepEqual(hook(r, 'blocks.0.attn.hook_attn_scores').shape, [1, 1, 2, 2]);
    assertClose(
      hook(r, 'blocks.0.attn.hook_attn_scores').data,
      [Math.SQRT2, -Infinity, -Math.SQRT2, Math.SQRT2],
      tol,
      'scores',
    );
    assertClose(hook(r, 'blocks.0.attn.hook_pattern').data, [1, 0, p, 1 - p], tol, 'pattern');
    assertClose(hook(r, 'blocks.0.attn.hook_z').data, [1, -1.5, 2 * p - 1, 2.5 - 4 * p], tol, 'z');
    assertClose(hook(r, 'blocks.0.hook_attn_out').data, [1.1, -1.6, 2 * p - 0.9, 2.4 - 4 * p], tol, 'attn_out');
    assertClose(hook(r, 'blocks.0.hook_resid_mid').data, [2.6, -1.6, 2 * p - 0.9, 3.9 - 4 * p], tol, 'resid_mid');
  });

  test('mlp and final norm', () => {
    assertClose(hook(r, 'blocks.0.ln2.hook_scale').data, [2.1, 2.4 - 3 * p], tol, 'ln2 scale');
    assertClose(hook(r, 'blocks.0.ln2.hook_normalized').data, [1, -1, -1, 1], tol, 'ln2 normalized');
    assertClose(hook(r, 'blocks.0.mlp.hook_pre').data, [2, 2, -2, 0], tol, 'mlp pre');
    assertClose(hook(r, 'blocks.0.mlp.hook_post').data, [2, 2, 0, 0], tol, 'mlp post');
    assertClose(hook(r, 'blocks.0.hook_mlp_out').data, [2, -2, 0, 0], tol, 'mlp_out');
    assertClose(hook(r, 'blocks.0.hook_resid_post').data, [4.6, -3.6, 2 * p - 0.9, 3.9 - 4 * p], tol, 'resid_post');
    assertClose(hook(r, 'ln_final.hook_scale').data, [4.1, 2.4 - 3 * p], tol, 'ln_final scale');
    assertClose(hook(r, 'ln_final.hook_normalized').data, [1, -1, -1, 1], tol, 'ln_final normalized');
  });

  test('explicit lm_head is used instead of wte when present', () => {
    const withHead = { ...tensors, 'lm_head.weight': t([3, 2], [0, 1, 1, 1, -1, 0]) };
    const r2 = gpt2ReferenceForward(config, withHead, [[0, 1]]);
    // ln_f outputs [1.25,−1] and [−0.75,1] against rows [0,1],[1,1],[−1,0]
    assertClose(r2.logits.data, [-1, 0.25, -1.25, 1, 0.25, 0.75], tol, 'logits with lm_head');
  });
});

// ---------------------------------------------------------------------------------------------
// Case B: d=2, H=2 (dh=1, so scores are products of scalars), default eps, gelu_new, 3 tokens.
// Expected values from a scalar re-derivation that uses the d=2 LayerNorm closed form
//   mean = (a+b)/2, h = (a−b)/2, var = h², normalized = [h, −h]/sqrt(h²+eps).

describe('gpt2Reference: scalar re-derivation case B (d=2, H=2, dh=1, gelu_new)', () => {
  const config = { model_type: 'gpt2', n_embd: 2, n_head: 2, n_layer: 1, n_positions: 4, n_inner: 2 };
  const W = {
    wte: [
      [0.3, -0.7],
      [1.1, 0.4],
      [-0.5, 0.9],
    ],
    wpe: [
      [0.1, 0.2],
      [-0.3, 0.05],
      [0.25, -0.15],
      [0, 0],
    ],
    ln1w: [1.2, 0.8],
    ln1b: [0.1, -0.2],
    // c_attn [2,6], columns Q_h0 Q_h1 K_h0 K_h1 V_h0 V_h1
    attn: [
      [0.5, -0.3, 0.8, 0.2, -0.6, 0.4],
      [0.7, 0.9, -0.4, 0.6, 0.3, -0.8],
    ],
    attnb: [0.05, -0.1, 0.2, 0.0, 0.15, -0.05],
    proj: [
      [0.9, -0.2],
      [0.3, 0.7],
    ],
    projb: [0.02, -0.03],
    ln2w: [0.9, 1.3],
    ln2b: [-0.1, 0.05],
    fc: [
      [1.5, -0.8],
      [0.4, 1.2],
    ],
    fcb: [0.1, -0.2],
    mproj: [
      [0.6, -0.5],
      [-0.3, 0.8],
    ],
    mprojb: [0.01, 0.02],
    lnfw: [1.1, 0.95],
    lnfb: [0.03, -0.04],
  };
  const flat = (m: number[][]): number[] => m.flat();
  const tensors: Record<string, RefTensor> = {
    'wte.weight': t([3, 2], flat(W.wte)),
    'wpe.weight': t([4, 2], flat(W.wpe)),
    'h.0.ln_1.weight': t([2], W.ln1w),
    'h.0.ln_1.bias': t([2], W.ln1b),
    'h.0.attn.c_attn.weight': t([2, 6], flat(W.attn)),
    'h.0.attn.c_attn.bias': t([6], W.attnb),
    'h.0.attn.c_proj.weight': t([2, 2], flat(W.proj)),
    'h.0.attn.c_proj.bias': t([2], W.projb),
    'h.0.ln_2.weight': t([2], W.ln2w),
    'h.0.ln_2.bias': t([2], W.ln2b),
    'h.0.mlp.c_fc.weight': t([2, 2], flat(W.fc)),
    'h.0.mlp.c_fc.bias': t([2], W.fcb),
    'h.0.mlp.c_proj.weight': t([2, 2], flat(W.mproj)),
    'h.0.mlp.c_proj.bias': t([2], W.mprojb),
    'ln_f.weight': t([2], W.lnfw),
    'ln_f.bias': t([2], W.lnfb),
    // buffers present in some checkpoints must be ignored
    'h.0.attn.bias': t([1], [123]),
  };
  const ids = [2, 0, 1];
  const eps = 1e-5;

  const ln2d = (x: number[], w: number[], b: number[]) => {
    const h = (x[0] - x[1]) / 2;
    const s = Math.sqrt(h * h + eps);
    const n = [h / s, -h / s];
    return { s, n, out: [n[0] * w[0] + b[0], n[1] * w[1] + b[1]] };
  };
  // y_c = x0·M[0][c] + x1·M[1][c] + b[c]
  const lin = (x: number[], M: number[][], b: number[]) => b.map((bc, c) => x[0] * M[0][c] + x[1] * M[1][c] + bc);
  const geluNew = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

  const xs = ids.map((tok, p) => [W.wte[tok][0] + W.wpe[p][0], W.wte[tok][1] + W.wpe[p][1]]);
  const ln1 = xs.map((x) => ln2d(x, W.ln1w, W.ln1b));
  const qkv = ln1.map((l) => lin(l.out, W.attn, W.attnb));
  // head h: q = qkv[h], k = qkv[2+h], v = qkv[4+h]; dh = 1 so the √dh scale is 1
  const scores: number[][][] = [0, 1].map((h) => ids.map((_, i) => ids.map((_, j) => (j <= i ? qkv[i][h] * qkv[j][2 + h] : -Infinity))));
  const pattern = scores.map((sh) =>
    sh.map((row) => {
      const m = Math.max(...row);
      const e = row.map((s) => Math.exp(s - m));
      const sum = e.reduce((a, c) => a + c, 0);
      return e.map((v) => v / sum);
    }),
  );
  const z = ids.map((_, i) => [0, 1].map((h) => ids.reduce((acc, __, j) => acc + pattern[h][i][j] * qkv[j][4 + h], 0)));
  const attnOut = z.map((zi) => lin(zi, W.proj, W.projb));
  const mid = xs.map((x, i) => [x[0] + attnOut[i][0], x[1] + attnOut[i][1]]);
  const ln2 = mid.map((x) => ln2d(x, W.ln2w, W.ln2b));
  const pre = ln2.map((l) => lin(l.out, W.fc, W.fcb));
  const post = pre.map((v) => v.map(geluNew));
  const mlpOut = post.map((v) => lin(v, W.mproj, W.mprojb));
  const postResid = mid.map((x, i) => [x[0] + mlpOut[i][0], x[1] + mlpOut[i][1]]);
  const lnf = postResid.map((x) => ln2d(x, W.lnfw, W.lnfb));
  const logits = lnf.map((l) => W.wte.map((row) => l.out[0] * row[0] + l.out[1] * row[1]));

  const r = gpt2ReferenceForward(config, tensors, [ids]);
  const tol = 1e-12;

  test('hooks match the scalar derivation', () => {
    assertClose(hook(r, 'blocks.0.ln1.hook_scale').data, ln1.map((l) => l.s), tol, 'ln1 scale');
    assertClose(hook(r, 'blocks.0.ln1.hook_normalized').data, ln1.flatMap((l) => l.n), tol, 'ln1 normalized');
    assert.deepEqual(hook(r, 'blocks.0.attn.hook_q').shape, [1, 3, 2, 1]);
    assertClose(hook(r, 'blocks.0.attn.hook_q').data, qkv.flatMap((v) => [v[0], v[1]]), tol, 'q');
    assertClose(hook(r, 'blocks.0.attn.hook_k').data, qkv.flatMap((v) => [v[2], v[3]]), tol, 'k');
    assertClose(hook(r, 'blocks.0.attn.hook_v').data, qkv.flatMap((v) => [v[4], v[5]]), tol, 'v');
    assert.deepEqual(hook(r, 'blocks.0.attn.hook_attn_scores').shape, [1, 2, 3, 3]);
    assertClose(hook(r, 'blocks.0.attn.hook_attn_scores').data, scores.flat(2), tol, 'scores');
    assertClose(hook(r, 'blocks.0.attn.hook_pattern').data, pattern.flat(2), tol, 'pattern');
    assertClose(hook(r, 'blocks.0.attn.hook_z').data, z.flat(), tol, 'z');
    assertClose(hook(r, 'blocks.0.hook_attn_out').data, attnOut.flat(), tol, 'attn_out');
    assertClose(hook(r, 'blocks.0.hook_resid_mid').data, mid.flat(), tol, 'resid_mid');
    assertClose(hook(r, 'blocks.0.ln2.hook_scale').data, ln2.map((l) => l.s), tol, 'ln2 scale');
    assertClose(hook(r, 'blocks.0.mlp.hook_pre').data, pre.flat(), tol, 'mlp pre');
    assertClose(hook(r, 'blocks.0.mlp.hook_post').data, post.flat(), tol, 'mlp post');
    assertClose(hook(r, 'blocks.0.hook_mlp_out').data, mlpOut.flat(), tol, 'mlp_out');
    assertClose(hook(r, 'blocks.0.hook_resid_post').data, postResid.flat(), tol, 'resid_post');
    assertClose(hook(r, 'ln_final.hook_normalized').data, lnf.flatMap((l) => l.n), tol, 'ln_final normalized');
  });

  test('logits match the scalar derivation', () => {
    assert.deepEqual(r.logits.shape, [1, 3, 3]);
    assertClose(r.logits.data, logits.flat(), tol, 'logits');
  });
});

// ---------------------------------------------------------------------------------------------
// Activations: with c_fc weight 0, hook_pre = c_fc bias exactly, so hook_post = act(bias).

describe('gpt2Reference: activation functions', () => {
  const xs = [-6, -3.5, -1.3, -0.2, 0, 0.7, 2.1, 4.5];
  const run = (activation: string): Float64Array => {
    const base = randomModel({ n_embd: 2, n_head: 1, n_layer: 1, n_positions: 2, vocab: 3, n_inner: xs.length }, 7);
    base['h.0.mlp.c_fc.weight'] = t([2, xs.length], new Array(2 * xs.length).fill(0));
    base['h.0.mlp.c_fc.bias'] = t([xs.length], xs);
    const config = { n_embd: 2, n_head: 1, n_layer: 1, n_positions: 2, n_inner: xs.length, activation_function: activation };
    const r = gpt2ReferenceForward(config, base, [[1]]);
    assertClose(hook(r, 'blocks.0.mlp.hook_pre').data, xs, 0, `${activation} pre`);
    return hook(r, 'blocks.0.mlp.hook_post').data;
  };

  test('gelu (exact erf) matches Python math.erf values', () => {
    // 0.5·x·(1 + math.erf(x/√2)) from CPython
    const expected = [
      -5.919525869479969e-9, -0.0008142017766243903, -0.12584062996129347, -0.0841480581121794, 0,
      0.5306254434438489, 2.0624847168180853, 4.4999847104709385,
    ];
    assertClose(run('gelu'), expected, 1e-14, 'gelu');
  });

  test('tanh GELU variants, quick_gelu, relu, silu', () => {
    const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    assertClose(run('gelu_new'), xs.map(tanhGelu), 1e-15, 'gelu_new');
    assertClose(run('gelu_pytorch_tanh'), xs.map(tanhGelu), 1e-15, 'gelu_pytorch_tanh');
    const fast = xs.map((x) => 0.5 * x * (1 + Math.tanh(0.7978845608 * x * (1 + 0.044715 * x * x))));
    assertClose(run('gelu_fast'), fast, 1e-15, 'gelu_fast');
    assertClose(run('quick_gelu'), xs.map((x) => x * sig(1.702 * x)), 1e-15, 'quick_gelu');
    assertClose(run('relu'), xs.map((x) => Math.max(0, x)), 0, 'relu');
    assertClose(run('silu'), xs.map((x) => x * sig(x)), 1e-15, 'silu');
    assertClose(run('swish'), xs.map((x) => x * sig(x)), 1e-15, 'swish');
    // the tanh approximation is not the exact GELU: make sure "gelu" is not silently mapped to it
    assert.ok(Math.abs(run('gelu')[6] - tanhGelu(2.1)) > 1e-5);
  });

  test('unknown activation throws', () => {
    assert.throws(() => run('gelu_10'), /activation_function.*gelu_10/);
  });
});

// ---------------------------------------------------------------------------------------------
// Invariants on a random model: d=8, H=2, 2 layers, V=11, n_positions 16, batch 2 × 5 tokens.

describe('gpt2Reference: invariants on a random model', () => {
  const dims = { n_embd: 8, n_head: 2, n_layer: 2, n_positions: 16, vocab: 11 };
  const config = { model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 2, n_positions: 16, n_inner: null, activation_function: 'gelu_new' };
  const tensors = randomModel(dims, 12345);
  const ids = [
    [3, 7, 0, 10, 5],
    [1, 1, 9, 4, 2],
  ];
  const r = gpt2ReferenceForward(config, tensors, ids);
  const B = 2;
  const P = 5;
  const d = 8;
  const H = 2;
  const dh = 4;
  const I = 32;
  const V = 11;

  test('all hooks present with TransformerLens shapes', () => {
    const expected: [string, number[]][] = [
      ['hook_embed', [B, P, d]],
      ['hook_pos_embed', [B, P, d]],
      ['ln_final.hook_scale', [B, P, 1]],
      ['ln_final.hook_normalized', [B, P, d]],
    ];
    for (let L = 0; L < 2; L++) {
      const b = `blocks.${L}.`;
      expected.push(
        [b + 'hook_resid_pre', [B, P, d]],
        [b + 'ln1.hook_scale', [B, P, 1]],
        [b + 'ln1.hook_normalized', [B, P, d]],
        [b + 'attn.hook_q', [B, P, H, dh]],
        [b + 'attn.hook_k', [B, P, H, dh]],
        [b + 'attn.hook_v', [B, P, H, dh]],
        [b + 'attn.hook_attn_scores', [B, H, P, P]],
        [b + 'attn.hook_pattern', [B, H, P, P]],
        [b + 'attn.hook_z', [B, P, H, dh]],
        [b + 'hook_attn_out', [B, P, d]],
        [b + 'hook_resid_mid', [B, P, d]],
        [b + 'ln2.hook_scale', [B, P, 1]],
        [b + 'ln2.hook_normalized', [B, P, d]],
        [b + 'mlp.hook_pre', [B, P, I]],
        [b + 'mlp.hook_post', [B, P, I]],
        [b + 'hook_mlp_out', [B, P, d]],
        [b + 'hook_resid_post', [B, P, d]],
      );
    }
    assert.equal(r.hooks.size, expected.length);
    for (const [name, shape] of expected) {
      const h = hook(r, name);
      assert.deepEqual(h.shape, shape, name);
      assert.equal(h.data.length, shape.reduce((a, b) => a * b, 1), `${name} data length`);
    }
    assert.deepEqual(r.logits.shape, [B, P, V]);
    assert.ok(r.logits.data.every(Number.isFinite));
  });

  test('embeddings are wte/wpe rows and sum to resid_pre 0', () => {
    const wte = tensors['wte.weight'].data;
    const wpe = tensors['wpe.weight'].data;
    const embed = hook(r, 'hook_embed').data;
    const pos = hook(r, 'hook_pos_embed').data;
    const resid0 = hook(r, 'blocks.0.hook_resid_pre').data;
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < P; p++) {
        for (let i = 0; i < d; i++) {
          const o = (b * P + p) * d + i;
          assert.equal(embed[o], wte[ids[b][p] * d + i]);
          assert.equal(pos[o], wpe[p * d + i]);
          assert.equal(resid0[o], embed[o] + pos[o]);
        }
      }
    }
  });

  test('residual stream bookkeeping', () => {
    for (let L = 0; L < 2; L++) {
      const b = `blocks.${L}.`;
      const pre = hook(r, b + 'hook_resid_pre').data;
      const attnOut = hook(r, b + 'hook_attn_out').data;
      const mid = hook(r, b + 'hook_resid_mid').data;
      const mlpOut = hook(r, b + 'hook_mlp_out').data;
      const post = hook(r, b + 'hook_resid_post').data;
      assertClose(mid, pre.map((x, i) => x + attnOut[i]), 1e-14, `${b}resid_mid`);
      assertClose(post, mid.map((x, i) => x + mlpOut[i]), 1e-14, `${b}resid_post`);
      if (L + 1 < 2) assertClose(hook(r, `blocks.${L + 1}.hook_resid_pre`).data, post, 0, `resid_pre ${L + 1}`);
    }
  });

  test('attention pattern rows sum to 1, are causal; scores above the diagonal are -Infinity', () => {
    for (let L = 0; L < 2; L++) {
      const scores = hook(r, `blocks.${L}.attn.hook_attn_scores`).data;
      const pattern = hook(r, `blocks.${L}.attn.hook_pattern`).data;
      for (let row = 0; row < B * H * P; row++) {
        const qi = row % P;
        let sum = 0;
        for (let kj = 0; kj < P; kj++) {
          const o = row * P + kj;
          sum += pattern[o];
          if (kj > qi) {
            assert.equal(pattern[o], 0, `L${L} pattern above diagonal`);
            assert.equal(scores[o], -Infinity, `L${L} score above diagonal`);
          } else {
            assert.ok(Number.isFinite(scores[o]), `L${L} finite score on/below diagonal`);
            assert.ok(pattern[o] > 0, `L${L} positive pattern on/below diagonal`);
          }
        }
        assert.ok(Math.abs(sum - 1) < 1e-14, `L${L} row ${row} sums to ${sum}`);
      }
    }
  });

  test('LayerNorm hooks: normalized rows have mean 0, variance 1 − eps/scale², scale² = var(x)+eps', () => {
    const eps = 1e-5;
    const pairs: [string, string][] = [
      ['blocks.0.ln1', 'blocks.0.hook_resid_pre'],
      ['blocks.0.ln2', 'blocks.0.hook_resid_mid'],
      ['blocks.1.ln1', 'blocks.1.hook_resid_pre'],
      ['blocks.1.ln2', 'blocks.1.hook_resid_mid'],
      ['ln_final', 'blocks.1.hook_resid_post'],
    ];
    for (const [ln, input] of pairs) {
      const n = hook(r, `${ln}.hook_normalized`).data;
      const s = hook(r, `${ln}.hook_scale`).data;
      const x = hook(r, input).data;
      for (let row = 0; row < B * P; row++) {
        let mean = 0;
        let xmean = 0;
        for (let i = 0; i < d; i++) {
          mean += n[row * d + i];
          xmean += x[row * d + i];
        }
        mean /= d;
        xmean /= d;
        let variance = 0;
        let xvar = 0;
        for (let i = 0; i < d; i++) {
          variance += (n[row * d + i] - mean) ** 2;
          xvar += (x[row * d + i] - xmean) ** 2;
        }
        variance /= d;
        xvar /= d;
        assert.ok(Math.abs(mean) < 1e-14, `${ln} row ${row} mean ${mean}`);
        assert.ok(Math.abs(variance - 1) < 1e-3, `${ln} row ${row} variance ${variance}`);
        assert.ok(Math.abs(variance - (1 - eps / s[row] ** 2)) < 1e-13, `${ln} row ${row} exact variance`);
        assert.ok(Math.abs(s[row] - Math.sqrt(xvar + eps)) < 1e-13, `${ln} row ${row} scale`);
        for (let i = 0; i < d; i++) {
          assert.ok(Math.abs(n[row * d + i] - (x[row * d + i] - xmean) / s[row]) < 1e-13, `${ln} normalized`);
        }
      }
    }
  });

  test('layer-local consistency: q/k/v, scores, z, attn_out, mlp, logits recomputed from hooks', () => {
    const rows = B * P;
    for (let L = 0; L < 2; L++) {
      const b = `blocks.${L}.`;
      const w = (k: string) => tensors[`h.${L}.${k}`].data;
      const ln1n = hook(r, b + 'ln1.hook_normalized').data;
      const q = hook(r, b + 'attn.hook_q').data;
      const k = hook(r, b + 'attn.hook_k').data;
      const v = hook(r, b + 'attn.hook_v').data;
      const scores = hook(r, b + 'attn.hook_attn_scores').data;
      const pattern = hook(r, b + 'attn.hook_pattern').data;
      const z = hook(r, b + 'attn.hook_z').data;
      // q[r,h,j] = Σ_i (n·w+b)[r,i] · c_attn[i, s·d + h·dh + j] + bias
      for (let row = 0; row < rows; row++) {
        for (let s = 0; s < 3; s++) {
          const dst = [q, k, v][s];
          for (let h = 0; h < H; h++) {
            for (let j = 0; j < dh; j++) {
              const col = s * d + h * dh + j;
              let acc = w('attn.c_attn.bias')[col];
              for (let i = 0; i < d; i++) {
                const lnOut = ln1n[row * d + i] * w('ln_1.weight')[i] + w('ln_1.bias')[i];
                acc += lnOut * w('attn.c_attn.weight')[i * 3 * d + col];
              }
              assert.ok(Math.abs(dst[(row * H + h) * dh + j] - acc) < 1e-13, `${b} qkv s=${s} h=${h}`);
            }
          }
        }
      }
      // scores[b,h,i,j] = q[b,i,h]·k[b,j,h]/√dh;  z[b,i,h] = Σ_j pattern[b,h,i,j] v[b,j,h]
      for (let bb = 0; bb < B; bb++) {
        for (let h = 0; h < H; h++) {
          for (let i = 0; i < P; i++) {
            for (let j = 0; j <= i; j++) {
              let dot = 0;
              for (let e = 0; e < dh; e++) dot += q[((bb * P + i) * H + h) * dh + e] * k[((bb * P + j) * H + h) * dh + e];
              const sc = scores[((bb * H + h) * P + i) * P + j];
              assert.ok(Math.abs(sc - dot / Math.sqrt(dh)) < 1e-13, `${b} score`);
            }
            for (let e = 0; e < dh; e++) {
              let acc = 0;
              for (let j = 0; j <= i; j++) {
                acc += pattern[((bb * H + h) * P + i) * P + j] * v[((bb * P + j) * H + h) * dh + e];
              }
              assert.ok(Math.abs(z[((bb * P + i) * H + h) * dh + e] - acc) < 1e-13, `${b} z`);
            }
          }
        }
      }
      // attn_out = z(flattened heads)·c_proj + b;  mlp_pre = ln2·c_fc + b;  mlp_out = post·c_proj + b
      const check = (x: Float64Array, inDim: number, W: Float64Array, bias: Float64Array, y: Float64Array, label: string) => {
        const outDim = bias.length;
        for (let row = 0; row < rows; row++) {
          for (let o = 0; o < outDim; o++) {
            let acc = bias[o];
            for (let i = 0; i < inDim; i++) acc += x[row * inDim + i] * W[i * outDim + o];
            assert.ok(Math.abs(y[row * outDim + o] - acc) < 1e-13, `${b}${label}`);
          }
        }
      };
      check(z, d, w('attn.c_proj.weight'), w('attn.c_proj.bias'), hook(r, b + 'hook_attn_out').data, 'attn_out');
      const ln2n = hook(r, b + 'ln2.hook_normalized').data;
      const ln2out = ln2n.map((x, idx) => x * w('ln_2.weight')[idx % d] + w('ln_2.bias')[idx % d]);
      const mlpPre = hook(r, b + 'mlp.hook_pre').data;
      check(ln2out, d, w('mlp.c_fc.weight'), w('mlp.c_fc.bias'), mlpPre, 'mlp_pre');
      const mlpPost = hook(r, b + 'mlp.hook_post').data;
      const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
      assertClose(mlpPost, mlpPre.map(gelu), 1e-15, `${b}mlp_post`);
      check(mlpPost, I, w('mlp.c_proj.weight'), w('mlp.c_proj.bias'), hook(r, b + 'hook_mlp_out').data, 'mlp_out');
    }
    // logits = (ln_final normalized · w + b) · wteᵀ
    const lnfn = hook(r, 'ln_final.hook_normalized').data;
    const lnfOut = lnfn.map((x, idx) => x * tensors['ln_f.weight'].data[idx % d] + tensors['ln_f.bias'].data[idx % d]);
    const wte = tensors['wte.weight'].data;
    for (let row = 0; row < rows; row++) {
      for (let tok = 0; tok < V; tok++) {
        let acc = 0;
        for (let i = 0; i < d; i++) acc += lnfOut[row * d + i] * wte[tok * d + i];
        assert.ok(Math.abs(r.logits.data[row * V + tok] - acc) < 1e-13, 'logits');
      }
    }
  });

  test('causality: changing the last token leaves earlier positions unchanged', () => {
    const changed = gpt2ReferenceForward(config, tensors, [[3, 7, 0, 10, 6]]);
    const orig = gpt2ReferenceForward(config, tensors, [[3, 7, 0, 10, 5]]);
    const earlier = 4 * V;
    assertClose(changed.logits.data.subarray(0, earlier), orig.logits.data.subarray(0, earlier), 0, 'earlier logits');
    const last = (x: Float64Array) => Array.from(x.subarray(earlier));
    assert.notDeepEqual(last(changed.logits.data), last(orig.logits.data));
    assertClose(
      changed.hooks.get('blocks.1.hook_resid_post')!.data.subarray(0, 4 * d),
      orig.hooks.get('blocks.1.hook_resid_post')!.data.subarray(0, 4 * d),
      0,
      'earlier resid_post',
    );
  });

  test('batch independence: each batch row equals running it alone', () => {
    for (let b = 0; b < B; b++) {
      const alone = gpt2ReferenceForward(config, tensors, [ids[b]]);
      assertClose(alone.logits.data, r.logits.data.subarray(b * P * V, (b + 1) * P * V), 0, `row ${b} logits`);
      const n = H * P * P;
      assertClose(
        alone.hooks.get('blocks.1.attn.hook_pattern')!.data,
        hook(r, 'blocks.1.attn.hook_pattern').data.subarray(b * n, (b + 1) * n),
        0,
        `row ${b} pattern`,
      );
    }
  });

  test('explicit lm_head equal to wte gives the same logits as tied; a different one does not', () => {
    const wte = tensors['wte.weight'];
    const explicit = gpt2ReferenceForward(config, { ...tensors, 'lm_head.weight': { shape: [V, d], data: wte.data.slice() } }, ids);
    assertClose(explicit.logits.data, r.logits.data, 0, 'explicit lm_head');
    const other = wte.data.map((x) => x * 2);
    const doubled = gpt2ReferenceForward(config, { ...tensors, 'lm_head.weight': { shape: [V, d], data: other } }, ids);
    assertClose(doubled.logits.data, r.logits.data.map((x) => 2 * x), 1e-13, 'doubled lm_head');
  });

  test('scale_attn_by_inverse_layer_idx halves layer-1 scores and leaves layer 0 alone', () => {
    const scaled = gpt2ReferenceForward({ ...config, scale_attn_by_inverse_layer_idx: true }, tensors, ids);
    assertClose(
      scaled.hooks.get('blocks.0.attn.hook_attn_scores')!.data,
      hook(r, 'blocks.0.attn.hook_attn_scores').data,
      0,
      'layer 0 scores',
    );
    const s1 = scaled.hooks.get('blocks.1.attn.hook_attn_scores')!.data;
    const o1 = hook(r, 'blocks.1.attn.hook_attn_scores').data;
    assertClose(s1, o1.map((x) => x / 2), 1e-15, 'layer 1 scores');
    assert.notDeepEqual(Array.from(scaled.logits.data), Array.from(r.logits.data));
  });

  test('scale_attn_weights=false removes the 1/√dh factor', () => {
    const unscaled = gpt2ReferenceForward({ ...config, scale_attn_weights: false }, tensors, ids);
    const s0 = unscaled.hooks.get('blocks.0.attn.hook_attn_scores')!.data;
    const o0 = hook(r, 'blocks.0.attn.hook_attn_scores').data;
    assertClose(s0, o0.map((x) => x * Math.sqrt(dh)), 1e-13, 'layer 0 unscaled scores');
  });

  test('n_inner: explicit value is honoured', () => {
    const small = randomModel({ ...dims, n_inner: 5 }, 99);
    const r5 = gpt2ReferenceForward({ ...config, n_inner: 5 }, small, ids);
    assert.deepEqual(r5.hooks.get('blocks.0.mlp.hook_pre')!.shape, [B, P, 5]);
    assert.throws(() => gpt2ReferenceForward(config, small, ids), /h\.0\.mlp\.c_fc\.weight.*\[8,5\].*\[8,32\]/);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad inputs

describe('gpt2Reference: input validation', () => {
  const dims = { n_embd: 4, n_head: 2, n_layer: 2, n_positions: 6, vocab: 7 };
  const config = { model_type: 'gpt2', n_embd: 4, n_head: 2, n_layer: 2, n_positions: 6 };
  const good = randomModel(dims, 5);

  test('the valid model runs', () => {
    const r = gpt2ReferenceForward(config, good, [[0, 6, 3]]);
    assert.deepEqual(r.logits.shape, [1, 3, 7]);
  });

  test('missing tensor names the key', () => {
    for (const key of ['h.1.attn.c_proj.bias', 'wpe.weight', 'wte.weight', 'ln_f.weight', 'h.0.mlp.c_fc.weight']) {
      const broken = { ...good };
      delete broken[key];
      assert.throws(
        () => gpt2ReferenceForward(config, broken, [[0]]),
        (e: unknown) => e instanceof Error && e.message.includes('missing') && e.message.includes(`"${key}"`),
        key,
      );
    }
  });

  test('wrong shape names the key, expected and actual shapes', () => {
    const broken = { ...good, 'h.1.attn.c_attn.weight': { shape: [12, 4], data: new Float64Array(48) } };
    assert.throws(() => gpt2ReferenceForward(config, broken, [[0]]), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /"h\.1\.attn\.c_attn\.weight"/);
      assert.match(e.message, /\[12,4\]/);
      assert.match(e.message, /\[4,12\]/);
      return true;
    });
    const badWpe = { ...good, 'wpe.weight': { shape: [5, 4], data: new Float64Array(20) } };
    assert.throws(() => gpt2ReferenceForward(config, badWpe, [[0]]), /"wpe\.weight".*\[5,4\].*\[6,4\]/);
    const badWte = { ...good, 'wte.weight': { shape: [7, 3], data: new Float64Array(21) } };
    assert.throws(() => gpt2ReferenceForward(config, badWte, [[0]]), /"wte\.weight".*\[7,3\]/);
    const badHead = { ...good, 'lm_head.weight': { shape: [6, 4], data: new Float64Array(24) } };
    assert.throws(() => gpt2ReferenceForward(config, badHead, [[0]]), /"lm_head\.weight".*\[6,4\].*\[7,4\]/);
    const shortData = { ...good, 'ln_f.bias': { shape: [4], data: new Float64Array(3) } };
    assert.throws(() => gpt2ReferenceForward(config, shortData, [[0]]), /"ln_f\.bias"/);
  });

  test('unequal sequence lengths', () => {
    assert.throws(() => gpt2ReferenceForward(config, good, [[0, 1, 2], [0, 1]]), /unequal sequence lengths/);
  });

  test('sequence longer than n_positions', () => {
    assert.throws(() => gpt2ReferenceForward(config, good, [[0, 1, 2, 3, 4, 5, 6]]), /exceeds n_positions 6/);
    assert.doesNotThrow(() => gpt2ReferenceForward(config, good, [[0, 1, 2, 3, 4, 5]]));
  });

  test('token id out of range', () => {
    assert.throws(() => gpt2ReferenceForward(config, good, [[0, 7]]), /ids\[0\]\[1\] = 7 is out of range \[0, 7\)/);
    assert.throws(() => gpt2ReferenceForward(config, good, [[0], [-1]]), /ids\[1\]\[0\] = -1/);
    assert.throws(() => gpt2ReferenceForward(config, good, [[1.5]]), /out of range/);
  });

  test('empty batch or empty sequence', () => {
    assert.throws(() => gpt2ReferenceForward(config, good, []), /non-empty/);
    assert.throws(() => gpt2ReferenceForward(config, good, [[]]), /non-empty/);
  });

  test('bad config', () => {
    assert.throws(() => gpt2ReferenceForward({ ...config, n_head: 3 }, good, [[0]]), /not divisible/);
    assert.throws(() => gpt2ReferenceForward({ ...config, model_type: 'llama' }, good, [[0]]), /model_type/);
  });
});
