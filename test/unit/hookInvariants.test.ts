import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HookedModel, type RunResult } from '../../src/engine/hookedModel';
import type { Tensor } from '../../src/engine/tensor';
import { tempCheckpoint } from '../fixtures/tempCheckpoint';

const PROMPT_A = [[3, 17, 101, 250, 42, 9, 77, 5]];
const PROMPT_B = [[3, 18, 99, 251, 40, 9, 70, 6]];

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = d;
  }
  return max;
}

/** Rows [from, to) along the position axis of a [1, pos, width] tensor. */
function positions(t: Tensor, from: number, to: number): Float32Array {
  const width = t.dims.slice(2).reduce((a, b) => a * b, 1);
  return t.data.slice(from * width, to * width);
}

describe('hook invariants on a random tiny GPT-2', () => {
  let model: HookedModel;
  let cleanup: () => void;
  let a: RunResult;
  let b: RunResult;

  before(async () => {
    const checkpoint = tempCheckpoint({ seed: 21 });
    cleanup = checkpoint.cleanup;
    model = await HookedModel.load(checkpoint.dir, { threads: 1 });
    a = await model.runWithCache({ ids: PROMPT_A });
    b = await model.runWithCache({ ids: PROMPT_B });
  });
  after(async () => {
    await model.dispose();
    cleanup();
  });

  test('resid_mid = resid_pre + attn_out and resid_post = resid_mid + mlp_out, at every layer', () => {
    for (let l = 0; l < model.config.nLayers; l++) {
      const get = (name: string) => a.cache.get(`blocks.${l}.${name}`)!.data;
      const pre = get('hook_resid_pre');
      const mid = get('hook_resid_mid');
      const post = get('hook_resid_post');
      const sumMid = pre.map((x, i) => x + get('hook_attn_out')[i]);
      const sumPost = mid.map((x, i) => x + get('hook_mlp_out')[i]);
      assert.ok(maxDiff(mid, sumMid) < 1e-5, `layer ${l} resid_mid`);
      assert.ok(maxDiff(post, sumPost) < 1e-5, `layer ${l} resid_post`);
      if (l + 1 < model.config.nLayers) assert.deepEqual(a.cache.get(`blocks.${l + 1}.hook_resid_pre`)!.data, post);
    }
  });

  test('attention patterns: rows sum to 1, zero above the diagonal; scores −∞ there', () => {
    const p = PROMPT_A[0].length;
    for (let l = 0; l < model.config.nLayers; l++) {
      const pattern = a.cache.get(`blocks.${l}.attn.hook_pattern`)!;
      const scores = a.cache.get(`blocks.${l}.attn.hook_attn_scores`)!;
      assert.deepEqual(pattern.dims, [1, model.config.nHeads, p, p]);
      for (let h = 0; h < model.config.nHeads; h++) {
        for (let q = 0; q < p; q++) {
          let sum = 0;
          for (let k = 0; k < p; k++) {
            const at = (h * p + q) * p + k;
            sum += pattern.data[at];
            if (k > q) {
              assert.equal(pattern.data[at], 0, `pattern L${l} H${h} q${q} k${k}`);
              assert.equal(scores.data[at], -Infinity);
            } else {
              assert.ok(Number.isFinite(scores.data[at]));
            }
          }
          assert.ok(Math.abs(sum - 1) < 1e-5, `pattern L${l} H${h} row ${q} sums to ${sum}`);
        }
      }
    }
  });

  test("writing each hook's own cached value back changes nothing (the graph is cut at that hook)", async () => {
    for (const hook of model.hookNames) {
      const patched = await model.runWithHooks({ ids: PROMPT_A }, [{ hook, op: 'replace', value: a.cache.get(hook)! }]);
      assert.ok(maxDiff(patched.logits.data, a.logits.data) < 1e-5, `${hook}: logits changed`);
    }
  });

  test('an edit that changes a hook changes the logits (the cut is live), and edits see TransformerLens dims', async () => {
    for (const hook of ['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_z', 'blocks.0.mlp.hook_post', 'blocks.1.ln2.hook_scale']) {
      let seen: number[] = [];
      const patched = await model.runWithHooks({ ids: PROMPT_A }, [
        {
          hook,
          op: 'edit',
          fn: (value) => {
            seen = value.dims;
            return { dims: value.dims, data: value.data.map((x) => x * 0.5) };
          },
        },
      ]);
      assert.deepEqual(seen, model.hookDims(hook, 1, PROMPT_A[0].length));
      assert.ok(maxDiff(patched.logits.data, a.logits.data) > 1e-3, `${hook}: halving it should change the logits`);
    }
  });

  test("replacing resid_pre of layer L with another prompt's value at every position reproduces that prompt's logits", async () => {
    for (let l = 0; l < model.config.nLayers; l++) {
      const hook = `blocks.${l}.hook_resid_pre`;
      const patched = await model.runWithHooks({ ids: PROMPT_A }, [{ hook, op: 'replace', value: b.cache.get(hook)! }]);
      assert.ok(maxDiff(patched.logits.data, b.logits.data) < 1e-5, `layer ${l}`);
    }
  });

  test('patching positions 0..t of resid_pre reproduces the other prompt at positions ≤ t only (causality)', async () => {
    const t = 4;
    const hook = 'blocks.1.hook_resid_pre';
    const patched = await model.runWithHooks({ ids: PROMPT_A }, [{ hook, op: 'replace', value: b.cache.get(hook)!, positions: [0, 1, 2, 3, 4] }]);
    assert.ok(maxDiff(positions(patched.logits, 0, t + 1), positions(b.logits, 0, t + 1)) < 1e-5);
    // Later positions attend to the patched ones but keep their own residual stream: neither prompt's logits.
    assert.ok(maxDiff(positions(patched.logits, t + 1, 8), positions(b.logits, t + 1, 8)) > 1e-3);
    assert.ok(maxDiff(positions(patched.logits, t + 1, 8), positions(a.logits, t + 1, 8)) > 1e-3);
  });

  test('patching one position leaves every earlier position exactly as it was', async () => {
    const hook = 'blocks.0.hook_attn_out';
    const patched = await model.runWithHooks({ ids: PROMPT_A }, [{ hook, op: 'replace', value: b.cache.get(hook)!, positions: [5] }]);
    assert.ok(maxDiff(positions(patched.logits, 0, 5), positions(a.logits, 0, 5)) < 1e-6);
    assert.ok(maxDiff(positions(patched.logits, 5, 6), positions(a.logits, 5, 6)) > 1e-3);
  });

  test('adding a vector at chosen positions equals replacing with the cached value plus that vector', async () => {
    const hook = 'blocks.1.hook_resid_mid';
    const d = model.config.dModel;
    const vector = { dims: [d], data: Float32Array.from({ length: d }, (_, i) => Math.sin(i)) };
    const added = await model.runWithHooks({ ids: PROMPT_A }, [{ hook, op: 'add', value: vector, positions: [2, 6] }]);
    const target = a.cache.get(hook)!;
    const manual = { dims: target.dims, data: target.data.slice() };
    for (const p of [2, 6]) for (let i = 0; i < d; i++) manual.data[p * d + i] += vector.data[i];
    const replaced = await model.runWithHooks({ ids: PROMPT_A }, [{ hook, op: 'replace', value: manual }]);
    assert.ok(maxDiff(added.logits.data, replaced.logits.data) < 1e-6);
    assert.ok(maxDiff(added.logits.data, a.logits.data) > 1e-3);
  });

  test('interventions on one hook apply in order; the cache holds the value the model used', async () => {
    const hook = 'blocks.0.hook_mlp_out';
    const zero = { dims: a.cache.get(hook)!.dims, data: new Float32Array(a.cache.get(hook)!.data.length) };
    const result = await model.runWithHooks({ ids: PROMPT_A }, [
      { hook, op: 'replace', value: zero },
      { hook, op: 'add', value: a.cache.get(hook)! },
    ], { cache: [hook, 'blocks.0.hook_resid_post'] });
    assert.ok(maxDiff(result.logits.data, a.logits.data) < 1e-6);
    assert.deepEqual(result.cache.get(hook)!.data, a.cache.get(hook)!.data);

    const zeroed = await model.runWithHooks({ ids: PROMPT_A }, [{ hook, op: 'replace', value: zero }], { cache: [hook, 'blocks.0.hook_resid_post'] });
    assert.ok(zeroed.cache.get(hook)!.data.every((x) => x === 0));
    assert.deepEqual(zeroed.cache.get('blocks.0.hook_resid_post')!.data, a.cache.get('blocks.0.hook_resid_mid')!.data);
  });

  test('a batch of 2 equals two single runs, and a batch-wide patch applies to each sequence', async () => {
    const batch = await model.runWithCache({ ids: [...PROMPT_A, ...PROMPT_B] }, ['blocks.1.attn.hook_pattern']);
    const half = a.logits.data.length;
    assert.ok(maxDiff(batch.logits.data.subarray(0, half), a.logits.data) < 1e-5);
    assert.ok(maxDiff(batch.logits.data.subarray(half), b.logits.data) < 1e-5);
    assert.deepEqual(batch.cache.get('blocks.1.attn.hook_pattern')!.dims, [2, model.config.nHeads, 8, 8]);

    const hook = 'blocks.0.hook_resid_post';
    const d = model.config.dModel;
    const swapped = { dims: [2, 8, d], data: new Float32Array([...b.cache.get(hook)!.data, ...a.cache.get(hook)!.data]) };
    const patched = await model.runWithHooks({ ids: [...PROMPT_A, ...PROMPT_B] }, [{ hook, op: 'replace', value: swapped }]);
    assert.ok(maxDiff(patched.logits.data.subarray(0, half), b.logits.data) < 1e-5);
    assert.ok(maxDiff(patched.logits.data.subarray(half), a.logits.data) < 1e-5);
  });

  test('a filtered cache returns exactly the hooks asked for; a predicate filter works like names_filter', async () => {
    const result = await model.runWithCache({ ids: PROMPT_A }, (name) => name.endsWith('hook_resid_pre'));
    assert.deepEqual([...result.cache.keys()], ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre']);
    assert.deepEqual(result.cache.get('blocks.1.hook_resid_pre')!.data, a.cache.get('blocks.1.hook_resid_pre')!.data);
    assert.ok(maxDiff(result.logits.data, a.logits.data) < 1e-5);
  });

  test('every TransformerLens hook the issue names exists with its shape', () => {
    const { nHeads: h, dHead: dh, dModel: d, dMlp } = model.config;
    const expected: Record<string, number[]> = {
      hook_embed: [1, 8, d],
      hook_pos_embed: [1, 8, d],
      'ln_final.hook_normalized': [1, 8, d],
    };
    for (let l = 0; l < model.config.nLayers; l++) {
      Object.assign(expected, {
        [`blocks.${l}.hook_resid_pre`]: [1, 8, d],
        [`blocks.${l}.hook_resid_mid`]: [1, 8, d],
        [`blocks.${l}.hook_resid_post`]: [1, 8, d],
        [`blocks.${l}.ln1.hook_normalized`]: [1, 8, d],
        [`blocks.${l}.ln2.hook_normalized`]: [1, 8, d],
        [`blocks.${l}.attn.hook_q`]: [1, 8, h, dh],
        [`blocks.${l}.attn.hook_k`]: [1, 8, h, dh],
        [`blocks.${l}.attn.hook_v`]: [1, 8, h, dh],
        [`blocks.${l}.attn.hook_z`]: [1, 8, h, dh],
        [`blocks.${l}.attn.hook_attn_scores`]: [1, h, 8, 8],
        [`blocks.${l}.attn.hook_pattern`]: [1, h, 8, 8],
        [`blocks.${l}.hook_attn_out`]: [1, 8, d],
        [`blocks.${l}.mlp.hook_pre`]: [1, 8, dMlp],
        [`blocks.${l}.mlp.hook_post`]: [1, 8, dMlp],
        [`blocks.${l}.hook_mlp_out`]: [1, 8, d],
      });
    }
    for (const [hook, dims] of Object.entries(expected)) assert.deepEqual(a.cache.get(hook)?.dims, dims, hook);
  });
});

describe('interventions on consecutive aliasing hooks', () => {
  test('editing resid_pre L+1 leaves the cached resid_post L as the model computed it', async () => {
    const { dir, cleanup } = tempCheckpoint({ seed: 22 });
    const model = await HookedModel.load(dir, { threads: 1 });
    try {
      const clean = await model.runWithCache({ ids: PROMPT_A }, ['blocks.0.hook_resid_post']);
      const result = await model.runWithHooks(
        { ids: PROMPT_A },
        [
          { hook: 'blocks.0.hook_resid_post', op: 'edit', fn: () => undefined },
          { hook: 'blocks.1.hook_resid_pre', op: 'add', value: { dims: [model.config.dModel], data: new Float32Array(model.config.dModel).fill(1) } },
        ],
        { cache: ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre'] },
      );
      assert.deepEqual(result.cache.get('blocks.0.hook_resid_post')!.data, clean.cache.get('blocks.0.hook_resid_post')!.data);
      const pre = result.cache.get('blocks.1.hook_resid_pre')!.data;
      assert.ok(pre.every((x, i) => Math.abs(x - clean.cache.get('blocks.0.hook_resid_post')!.data[i] - 1) < 1e-6));
    } finally {
      await model.dispose();
      cleanup();
    }
  });
});
