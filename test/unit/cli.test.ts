/**
 * Tests for the mechlens CLI (src/cli/main.ts), in-process through main(argv, print, printError),
 * and once or twice through the real binary (bin/mechlens.js).
 * Run: node --import tsx --test test/unit/cli.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HookedModel } from '../../src/engine/hookedModel';
import { SafetensorsFile } from '../../src/engine/model/safetensors';
import { END_OF_TEXT } from '../../src/engine/synthetic/byteLevelTokenizer';
import { norm } from '../../src/engine/tensor';
import { editJson } from '../fixtures/corruptFiles';
import { assertUserFailure, assertUsageFailure as usageFailure, cli, type Outcome } from '../fixtures/cliOutcome';
import { tempCheckpoint, tempDir } from '../fixtures/tempCheckpoint';

const assertUsageFailure = (outcome: Outcome, fragment: string) => usageFailure(outcome, fragment, 'mechlens run --model DIR');

const repoRoot = resolve(__dirname, '..', '..');


interface Report {
  model: { dir: string; modelType: string; nLayers: number; dModel: number; dVocab: number; nCtx: number };
  tokens: { id: number; text: string; span: [number, number] }[];
  predictions: { position: number; top: { id: number; logit: number; logProb: number; text: string }[] }[];
  cache?: { hook: string; dims: number[]; norm: number }[];
}

function parseReport(outcome: Outcome): Report {
  assert.equal(outcome.code, 0, `exit code; stderr: ${outcome.err.join('|')}`);
  assert.deepEqual(outcome.err, []);
  assert.equal(outcome.out.length, 1, 'one JSON document');
  return JSON.parse(outcome.out[0]) as Report;
}

const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((cleanup) => cleanup()));
const prompt = 'Hello world, the cat sat.';

describe('mechlens run', () => {
  let dir: string;
  let model: HookedModel;
  before(async () => {
    const checkpoint = tempCheckpoint();
    cleanups.push(checkpoint.cleanup);
    dir = checkpoint.dir;
    model = await HookedModel.load(dir, { threads: 1 });
  });
  after(async () => {
    await model.dispose();
  });

  test('--json: tokens with ids, texts and spans; BOS first with span [0, 0]', async () => {
    const report = parseReport(await cli('run', '--model', dir, prompt, '--json'));
    const expected = model.toTokens(prompt).tokens[0];
    assert.deepEqual(report.tokens, expected.map(({ id, text, span }) => ({ id, text, span })));
    assert.equal(report.tokens[0].id, model.config.bosTokenId);
    assert.equal(report.tokens[0].text, END_OF_TEXT);
    assert.deepEqual(report.tokens[0].span, [0, 0]);
    const rest = report.tokens.slice(1);
    assert.ok(rest.length > 3);
    for (const token of rest) assert.equal(prompt.slice(token.span[0], token.span[1]), token.text, JSON.stringify(token));
    assert.equal(rest[0].span[0], 0);
    assert.equal(rest[rest.length - 1].span[1], prompt.length);
    assert.equal(rest.map((t) => t.text).join(''), prompt);
    assert.equal(report.model.dir, dir);
    assert.equal(report.model.modelType, 'gpt2');
    assert.equal(report.model.nCtx, 32);
  });

  test('--json: top 10 predictions at every position, sorted, equal to the engine logits', async () => {
    const report = parseReport(await cli('run', '--model', dir, prompt, '--json'));
    const logits = await model.run(prompt);
    const vocab = model.config.dVocab;
    assert.deepEqual(logits.dims, [1, report.tokens.length, vocab]);
    assert.equal(report.predictions.length, report.tokens.length);
    report.predictions.forEach((prediction, position) => {
      assert.equal(prediction.position, position);
      assert.equal(prediction.top.length, 10, `position ${position}`);
      const row = logits.data.subarray(position * vocab, (position + 1) * vocab);
      // The true top 10 of the engine's row, best first (ties: lower id first).
      const best = [...row.keys()].sort((a, b) => row[b] - row[a] || a - b).slice(0, 10);
      assert.deepEqual(prediction.top.map((p) => p.id), best, `position ${position}`);
      let logSumExp = 0;
      const max = row[best[0]];
      for (const v of row) logSumExp += Math.exp(v - max);
      logSumExp = max + Math.log(logSumExp);
      for (let i = 0; i < prediction.top.length; i++) {
        const p = prediction.top[i];
        assert.ok(Math.abs(p.logit - row[p.id]) <= 1e-6, `position ${position} id ${p.id}: ${p.logit} vs ${row[p.id]}`);
        assert.ok(Math.abs(p.logProb - (row[p.id] - logSumExp)) <= 1e-5, `logProb at ${position}`);
        assert.equal(p.text, model.tokenizer.decode([p.id]));
        if (i > 0) assert.ok(p.logit <= prediction.top[i - 1].logit, `position ${position}: sorted by descending logit`);
      }
      assert.equal(new Set(prediction.top.map((p) => p.id)).size, 10, 'distinct ids');
    });
  });

  test('--top-k 3 gives three predictions per position', async () => {
    const report = parseReport(await cli('run', '--model', dir, '--top-k', '3', '--json', prompt));
    const full = parseReport(await cli('run', '--model', dir, prompt, '--json'));
    assert.equal(report.predictions.length, report.tokens.length);
    report.predictions.forEach((prediction, i) => {
      assert.equal(prediction.top.length, 3);
      assert.deepEqual(prediction.top, full.predictions[i].top.slice(0, 3));
    });
  });

  test('--cache lists every hook with its dims and a finite norm', async () => {
    const report = parseReport(await cli('run', '--model', dir, prompt, '--json', '--cache'));
    const n = report.tokens.length;
    assert.ok(report.cache);
    assert.deepEqual(report.cache.map((c) => c.hook), [...model.hookNames]);
    const { cache } = await model.runWithCache(prompt);
    for (const entry of report.cache) {
      assert.deepEqual(entry.dims, model.hookDims(entry.hook, 1, n), entry.hook);
      const data = cache.get(entry.hook)!.data;
      // hook_attn_scores holds −∞ where the causal mask applies; other hooks are all finite.
      if (data.every(Number.isFinite)) {
        const expected = norm(data);
        assert.ok(Math.abs(entry.norm - expected) <= 1e-6 * Math.max(1, expected), `${entry.hook}: ${entry.norm} vs ${expected}`);
      }
    }
    const notFinite = report.cache.filter((c) => !(typeof c.norm === 'number' && Number.isFinite(c.norm) && c.norm > 0));
    assert.deepEqual(notFinite, [], `hooks without a finite positive norm in --json output (JSON null is Infinity or NaN)`);
    const plain = parseReport(await cli('run', '--model', dir, prompt, '--json'));
    assert.equal(plain.cache, undefined);
  });

  test('--no-bos drops the BOS token', async () => {
    const withBos = parseReport(await cli('run', '--model', dir, prompt, '--json'));
    const report = parseReport(await cli('run', '--model', dir, '--no-bos', prompt, '--json'));
    assert.equal(report.tokens.length, withBos.tokens.length - 1);
    assert.deepEqual(report.tokens, withBos.tokens.slice(1));
    assert.notEqual(report.tokens[0].id, model.config.bosTokenId);
    assert.deepEqual(report.tokens[0].span, [0, report.tokens[0].text.length]);
    assert.equal(report.predictions.length, report.tokens.length);
  });

  test('human output has the tokens and a table of predictions', async () => {
    const outcome = await cli('run', '--model', dir, prompt);
    assert.equal(outcome.code, 0, outcome.err.join('|'));
    assert.deepEqual(outcome.err, []);
    const text = outcome.out.join('\n');
    const tokens = model.toTokens(prompt).tokens[0];
    const tokenLine = outcome.out.find((line) => line.startsWith('tokens ('));
    assert.ok(tokenLine, text);
    assert.ok(tokenLine.startsWith(`tokens (${tokens.length}):`), tokenLine);
    for (const [i, token] of tokens.entries()) assert.ok(tokenLine.includes(`[${i}] ${JSON.stringify(token.text)}`), `token ${i} in ${tokenLine}`);
    const lines = text.split('\n');
    const header = lines.findIndex((line) => /^\s*rank\s+token\s+id\s+logit\s+prob\s*$/.test(line));
    assert.ok(header >= 0, text);
    assert.match(lines[header + 1], /^\s*-+\s+-+\s+-+\s+-+\s+-+$/);
    const rows = lines.slice(header + 2, header + 12);
    assert.equal(rows.length, 10);
    const logits = await model.run(prompt);
    const vocab = model.config.dVocab;
    const last = logits.data.subarray((tokens.length - 1) * vocab);
    const best = [...last.keys()].sort((a, b) => last[b] - last[a] || a - b);
    rows.forEach((row, i) => {
      const cells = row.trim().split(/\s{2,}/);
      assert.equal(cells[0], String(i + 1), row);
      assert.equal(Number(cells[2]), best[i], row);
      assert.ok(Math.abs(Number(cells[3]) - last[best[i]]) <= 5e-4, row);
      assert.match(cells[4], /^\d+\.\d\d%$/, row);
    });
    assert.ok(text.includes(dir), 'names the model folder');
  });

  test('human output with --cache lists the hooks', async () => {
    const outcome = await cli('run', '--model', dir, '--cache', prompt);
    assert.equal(outcome.code, 0);
    const text = outcome.out.join('\n');
    assert.ok(text.includes(`hooks (${model.hookNames.length}):`), text);
    for (const hook of model.hookNames) assert.ok(text.includes(hook), hook);
  });

  test('a missing folder: exit 1 and one line naming the folder', async () => {
    const missing = join(dir, 'no-such-model');
    assertUserFailure(await cli('run', '--model', missing, 'hi'), [missing, 'not found']);
  });

  test('an unsupported model_type: exit 1, saying which are supported', async () => {
    const llama = tempCheckpoint();
    cleanups.push(llama.cleanup);
    editJson(join(llama.dir, 'config.json'), (json) => (json.model_type = 'llama'));
    assertUserFailure(await cli('run', '--model', llama.dir, 'hi'), [join(llama.dir, 'config.json'), '"llama"', 'supported: gpt2']);
  });

  test('a corrupt weight file: exit 1 naming the file', async () => {
    const broken = tempCheckpoint();
    cleanups.push(broken.cleanup);
    editJson(join(broken.dir, 'config.json'), (json) => (json.n_positions = 64));
    assertUserFailure(await cli('run', '--model', broken.dir, 'hi'), [join(broken.dir, 'model.safetensors'), 'wpe.weight', '[32, 16]', '[64, 16]']);
  });

  test('a prompt longer than n_positions: exit 1', async () => {
    assertUserFailure(await cli('run', '--model', dir, 'the' + ' the'.repeat(40)), ['n_positions', join(dir, 'config.json')]);
  });

  test('an empty prompt: exit 1', async () => {
    assertUserFailure(await cli('run', '--model', dir, ''), ['prompt is empty']);
  });

  test('a bad --top-k: exit 1 for 0, exit 2 for a non-number', async () => {
    assertUserFailure(await cli('run', '--model', dir, '--top-k', '0', 'hi'), ['--top-k']);
    assertUsageFailure(await cli('run', '--model', dir, '--top-k', 'many', 'hi'), '--top-k must be an integer');
  });

  test('usage errors: exit 2 with the usage', async () => {
    assertUsageFailure(await cli('run', '--model', dir), 'exactly one prompt');
    assertUsageFailure(await cli('run', '--model', dir, 'one', 'two'), 'exactly one prompt');
    assertUsageFailure(await cli('run', 'hi'), '--model');
    assertUsageFailure(await cli('run', '--model', dir, '--bogus', 'hi'), '--bogus');
    assertUsageFailure(await cli('frobnicate'), 'unknown command "frobnicate"');
    assertUsageFailure(await cli('generate', '--preset', 'huge', '--out', join(dir, 'x')), 'unknown preset "huge"');
  });

  test('help prints the usage and exits 0', async () => {
    for (const argv of [[], ['help'], ['--help']]) {
      const outcome = await cli(...argv);
      assert.equal(outcome.code, 0);
      assert.ok(outcome.out.join('\n').includes('usage:'));
      assert.deepEqual(outcome.err, []);
    }
  });
});

describe('mechlens generate', () => {
  test('writes a loadable checkpoint', async () => {
    const out = tempDir();
    cleanups.push(out.cleanup);
    const dir = join(out.dir, 'tiny');
    const outcome = await cli('generate', '--preset', 'tiny', '--out', dir);
    assert.equal(outcome.code, 0, outcome.err.join('|'));
    assert.equal(outcome.out.length, 1);
    assert.ok(outcome.out[0].includes(dir));
    for (const file of ['config.json', 'tokenizer.json', 'model.safetensors']) assert.ok(existsSync(join(dir, file)), file);
    const model = await HookedModel.load(dir, { threads: 1 });
    try {
      assert.equal(model.config.dModel, 16);
      assert.equal(model.config.nLayers, 2);
      const logits = await model.run('the cat');
      assert.ok(logits.data.every(Number.isFinite));
    } finally {
      await model.dispose();
    }
    const report = parseReport(await cli('run', '--model', dir, 'the cat', '--json', '--top-k', '2'));
    assert.equal(report.predictions[0].top.length, 2);
  });

  test('--dtype F16 writes half-precision weights that load', async () => {
    const out = tempDir();
    cleanups.push(out.cleanup);
    const outcome = await cli('generate', '--preset', 'tiny', '--out', out.dir, '--dtype', 'F16');
    assert.equal(outcome.code, 0, outcome.err.join('|'));
    const file = SafetensorsFile.open(join(out.dir, 'model.safetensors'));
    try {
      assert.deepEqual(new Set([...file.tensors.values()].map((t) => t.dtype)), new Set(['F16']));
    } finally {
      file.close();
    }
    const model = await HookedModel.load(out.dir, { threads: 1 });
    try {
      assert.ok((await model.run('the cat')).data.every(Number.isFinite));
    } finally {
      await model.dispose();
    }
  });

  test('--shards 2 writes an index that loads', async () => {
    const out = tempDir();
    cleanups.push(out.cleanup);
    assert.equal((await cli('generate', '--out', out.dir, '--shards', '2')).code, 0);
    assert.ok(existsSync(join(out.dir, 'model.safetensors.index.json')));
    assert.ok(!existsSync(join(out.dir, 'model.safetensors')));
    assert.equal(parseReport(await cli('run', '--model', out.dir, 'the', '--json')).tokens.length, 2);
  });

  test('bad flags: exit 2', async () => {
    assertUsageFailure(await cli('generate', '--preset', 'tiny'), '--out');
    assertUsageFailure(await cli('generate', '--out', '/tmp/never', '--dtype', 'F8'), '--dtype must be F32, F16 or BF16');
  });
});

describe('bin/mechlens.js', () => {
  const spawn = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'mechlens.js'), ...args], { cwd: repoRoot, timeout: 60000, encoding: 'utf8' });

  test('a missing folder: exit status 1, one line on stderr naming it, no stack trace', () => {
    const temp = tempDir();
    cleanups.push(temp.cleanup);
    const missing = join(temp.dir, 'nowhere', 'model');
    const result = spawn('run', '--model', missing, 'hi');
    assert.equal(result.error, undefined, `spawn failed or timed out: ${result.error}`);
    assert.equal(result.signal, null, 'not killed');
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0].startsWith('mechlens: '), lines[0]);
    assert.ok(lines[0].includes(missing), lines[0]);
    assert.ok(!/\bat .*:\d+:\d+/.test(result.stderr), `no stack trace: ${result.stderr}`);
  });

  test('run --json succeeds', () => {
    const checkpoint = tempCheckpoint();
    cleanups.push(checkpoint.cleanup);
    const result = spawn('run', '--model', checkpoint.dir, 'the cat', '--json', '--threads', '1');
    assert.equal(result.error, undefined, `spawn failed or timed out: ${result.error}`);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    assert.equal(report.tokens.length, report.predictions.length);
    assert.equal(report.predictions[0].top.length, 10);
  });
});

describe('generate at any size', () => {
  test('dimension flags override the preset, and the checkpoint loads with that shape', async () => {
    const { tempDir } = await import('../fixtures/tempCheckpoint');
    const { HookedModel } = await import('../../src/engine/hookedModel');
    const { dir, cleanup } = tempDir();
    try {
      const out = `${dir}/custom`;
      const written = await cli('generate', '--out', out, '--layers', '3', '--d-model', '24', '--heads', '3', '--positions', '20', '--d-mlp', '40', '--vocab', '700');
      assert.equal(written.code, 0, written.err.join('\n'));
      const model = await HookedModel.load(out, { threads: 1 });
      try {
        assert.deepEqual([model.config.nLayers, model.config.dModel, model.config.nHeads, model.config.nCtx, model.config.dMlp, model.config.dVocab], [3, 24, 3, 20, 40, 700]);
        assert.equal((await model.run({ ids: [[1, 2, 3]] })).dims.join(), '1,3,700');
      } finally {
        await model.dispose();
      }
      assertUsageFailure(await cli('generate', '--out', `${dir}/bad`, '--d-model', '25', '--heads', '3'), 'must be divisible by --heads 3');
      assertUsageFailure(await cli('generate', '--out', `${dir}/bad`, '--layers', '0'), '--layers must be a positive integer');
    } finally {
      cleanup();
    }
  });
});
