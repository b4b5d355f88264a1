import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { runsFolder } from '../../src/engine/patching/runStore';
import { readSubspaceRun } from '../../src/engine/subspace/runStore';
import { EngineRequestError } from '../../src/extension/engineClient';
import { subspaceRunView } from '../../src/extension/subspace/subspaceView';
import { isRequestMessage } from '../../src/protocol/engineProtocol';
import { subspaceParamsProblem, type SubspaceRunParams } from '../../src/protocol/subspaceRun';
import { suiteEngine } from '../fixtures/suiteEngine';

// The synthetic tokenizer knows two names: the pairs vary the place and which name repeats.
const PLACES = ['store', 'park', 'school', 'house', 'garden', 'river'];
const PAIRS = PLACES.map((place, i) => {
  const [a, b] = i % 2 === 0 ? ['Mary', 'John'] : ['John', 'Mary'];
  return { name: `case-${i}`, clean: `When ${a} and ${b} went to the ${place}, ${b} gave a drink to`, corrupted: `When ${a} and ${b} went to the ${place}, ${a} gave a drink to`, answer: ` ${a}`, wrong: ` ${b}` };
});

describe('subspace/run parameters', () => {
  const params: SubspaceRunParams = { workspace: '/w', pairs: PAIRS.slice(0, 1), hook: 'blocks.0.mlp.hook_post', positions: [-4], source: { kind: 'diff-means' }, intervention: 'patch' };
  test('a valid request passes; each bad field is named', () => {
    assert.equal(subspaceParamsProblem(params), undefined);
    assert.equal(subspaceParamsProblem({ ...params, hook: 'blocks.1.attn.hook_z', head: 1, source: { kind: 'sae-features', saeId: 's', features: [0, 3] }, intervention: 'set', setValues: [0, 1], readers: [{ layer: 1, head: 0 }], readerWeights: 'qkv', randomSubspaces: 0 }), undefined);
    assert.ok(isRequestMessage({ kind: 'request', id: 1, method: 'subspace/run', params }));
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ pairs: [] }, /pairs must be a non-empty list/],
      [{ pairs: [{ ...PAIRS[0], wrong: '' }] }, /pairs\[0\]\.wrong must be a non-empty string/],
      [{ hook: 'blocks.0.attn.hook_pattern' }, /hook must be blocks\.L\./],
      [{ positions: [1.5] }, /positions must be a non-empty list of integers/],
      [{ source: { kind: 'pca', k: 0 } }, /source\.k must be a positive integer/],
      [{ source: { kind: 'sae-features', saeId: 's', features: [] } }, /source\.features/],
      [{ source: { kind: 'magic' } }, /source\.kind must be one of/],
      [{ intervention: 'steer' }, /intervention must be one of/],
      [{ readers: [{ layer: -1, head: 0 }] }, /readers must be a list/],
      [{ readerWeights: 'o' }, /readerWeights must be one of/],
      [{ randomSubspaces: 5000 }, /randomSubspaces/],
    ];
    for (const [change, message] of bad) assert.match(subspaceParamsProblem({ ...params, ...change }) ?? '', message, JSON.stringify(change));
    assert.match(subspaceParamsProblem(null)!, /must be an object/);
  });
});

describe('subspace interventions in the engine process', () => {
  const engine = suiteEngine(11, 'mechlens-subspace-ipc-');

  test('a run over several pairs reports progress, is saved with its report, and reopens as the panel sees it', async () => {
    const progress: { done: number; total: number; file?: string }[] = [];
    const params: SubspaceRunParams = { workspace: engine.workspace, pairs: PAIRS.slice(0, 4), hook: 'blocks.0.hook_resid_post', positions: [-6], source: { kind: 'diff-means' }, intervention: 'ablate', randomSubspaces: 5 };
    const result = await engine.client.request('subspace/run', params, { onProgress: (p) => progress.push(p) });
    assert.equal(result.status, 'complete');
    assert.ok(result.badge === 'consistent' || result.badge === 'possible illusion');
    assert.equal(dirname(result.file), runsFolder(engine.workspace));
    assert.ok(result.file.endsWith('.subspace.jsonl'));
    assert.deepEqual(progress[0], { done: 0, total: 12, file: result.file });
    assert.deepEqual(progress.at(-1), { done: 12, total: 12, file: result.file }, 'collect, evaluate and held-out: one step per pair each');
    assert.ok(progress.every((p, i) => i === 0 || p.done >= progress[i - 1].done));
    const saved = readSubspaceRun(result.file);
    assert.equal(saved.status, 'complete');
    assert.equal(saved.header.setup.hook, 'blocks.0.hook_resid_post');
    const view = subspaceRunView(saved);
    assert.ok(view.report, 'the report reads back');
    assert.equal(view.intervention, 'ablate');
    assert.equal(view.report.badge.label, result.badge);
    assert.deepEqual(view.report.pairs.map((p) => p.name), ['case-0', 'case-1', 'case-2', 'case-3']);
    assert.deepEqual(view.report.pairs[0].positionTokens, [' John']);
    assert.deepEqual(view.report.pairs[1].positionTokens, [' Mary']);
    assert.deepEqual(view.report.checks.map((c) => c.name), ['full-component', 'rowspace-nullspace', 'dormancy', 'downstream-range', 'specificity', 'random-baseline', 'held-out']);
    assert.deepEqual(view.report.skipped.map((s) => s.name), ['mean-difference'], 'the difference of means is the source itself');
    assert.ok(view.report.variants.some((v) => v.name === 'ablate'));
  });

  test('a cancel midway stops the run; the file says cancelled and has no report', async () => {
    const controller = new AbortController();
    const params: SubspaceRunParams = { workspace: engine.workspace, pairs: PAIRS, hook: 'blocks.1.mlp.hook_post', source: { kind: 'pca', k: 2 }, intervention: 'patch', randomSubspaces: 400 };
    const result = await engine.client.request('subspace/run', params, {
      signal: controller.signal,
      onProgress: ({ done }) => {
        if (done > 0) controller.abort();
      },
    });
    assert.equal(result.status, 'cancelled');
    const saved = readSubspaceRun(result.file);
    assert.equal(saved.status, 'cancelled');
    assert.equal(saved.report, undefined);
    assert.equal(subspaceRunView(saved).report, undefined);
    assert.equal((await engine.client.request('engine/ping', {})).pid, engine.client.pid, 'the engine is still there');
  });

  test("bad input comes back as the engine's user error, and leaves no run file", async () => {
    const before = readdirSync(runsFolder(engine.workspace)).length;
    const error = await engine.client.request('subspace/run', { workspace: engine.workspace, pairs: [{ clean: 'Mary went', corrupted: 'Mary and John went', answer: ' Mary', wrong: ' John' }], hook: 'blocks.0.mlp.hook_post', source: { kind: 'diff-means' }, intervention: 'patch' }).catch((e: unknown) => e);
    assert.ok(error instanceof EngineRequestError && error.userError, String(error));
    assert.match(error.message, /same number of tokens/);
    const missing = await engine.client.request('subspace/run', { workspace: engine.workspace, pairs: PAIRS.slice(0, 1), hook: 'blocks.0.mlp.hook_post', source: { kind: 'sae-features', saeId: 'nope', features: [1] }, intervention: 'patch' }).catch((e: unknown) => e);
    assert.ok(missing instanceof EngineRequestError && missing.userError);
    assert.match(missing.message, /no SAE "nope" is loaded/);
    assert.equal(readdirSync(runsFolder(engine.workspace)).length, before);
    assert.ok(existsSync(runsFolder(engine.workspace)));
  });
});
