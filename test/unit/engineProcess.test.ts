import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { row, topK } from '../../src/engine/analysis/topK';
import { HookedModel } from '../../src/engine/hookedModel';
import { EngineService } from '../../src/engineProcess/engineService';
import { EngineClient, EngineRequestError } from '../../src/extension/engineClient';
import { isRequestMessage, isResponseMessage } from '../../src/protocol/engineProtocol';
import { writeSaeLensV6 } from '../fixtures/saeFixtures';
import { tempCheckpoint, tempDir } from '../fixtures/tempCheckpoint';
import { ENGINE_ENTRY as ENTRY, ENGINE_EXEC_ARGV as EXEC_ARGV } from '../fixtures/suiteEngine';

describe('protocol validators', () => {
  test('requests', () => {
    assert.ok(isRequestMessage({ kind: 'request', id: 1, method: 'engine/ping', params: {} }));
    for (const bad of [null, 'x', { kind: 'request', id: 1, method: 'nope', params: {} }, { kind: 'request', id: 1.5, method: 'engine/ping', params: {} }, { kind: 'request', id: 1, method: 'engine/ping' }, { kind: 'response', id: 1, method: 'engine/ping', params: {} }]) {
      assert.ok(!isRequestMessage(bad), JSON.stringify(bad));
    }
  });
  test('responses', () => {
    assert.ok(isResponseMessage({ kind: 'response', id: 1, ok: true, result: null }));
    assert.ok(isResponseMessage({ kind: 'response', id: 1, ok: false, error: { message: 'x', userError: true } }));
    for (const bad of [{ kind: 'response', id: 1, ok: true }, { kind: 'response', id: 1, ok: false, error: { message: 'x' } }, { kind: 'response', ok: true, result: 1 }]) {
      assert.ok(!isResponseMessage(bad), JSON.stringify(bad));
    }
  });
});

describe('the engine process', () => {
  let checkpoint: { dir: string; cleanup: () => void };
  let expected: { ids: number[]; top: number[] };
  before(async () => {
    checkpoint = tempCheckpoint({ seed: 41 });
    writeSaeLensV6(join(checkpoint.dir, 'sae'), { architecture: 'standard', dIn: 16, dSae: 32, hookName: 'blocks.1.hook_resid_pre', seed: 2 });
    const model = await HookedModel.load(checkpoint.dir, { threads: 1 });
    const result = await model.runWithHooks('Mary went to the park', []);
    const last = result.input.ids[0].length - 1;
    expected = { ids: result.input.ids[0], top: topK(row(result.logits.data, model.config.dVocab, last), 3).map((p) => p.id) };
    await model.dispose();
  });
  after(() => checkpoint.cleanup());

  test('the service rejects bad parameters and requests out of order as user errors', async () => {
    const service = new EngineService();
    await assert.rejects(service.handle('model/predict', { prompt: 'x', topK: 1 }), /no model is loaded/);
    await assert.rejects(service.handle('model/load', { dir: '' }), /dir must be a non-empty string/);
    await service.handle('model/load', { dir: checkpoint.dir, threads: 1 });
    await assert.rejects(service.handle('model/predict', { prompt: 'x', topK: 0 }), /topK must be a positive integer/);
    await assert.rejects(service.handle('sae/topFeatures', { saeId: 'nope', prompt: 'x', topK: 1 }), /no SAE "nope" is loaded/);
    await service.unload();
  });

  test('answers requests over IPC: the same predictions as the engine in-process; user errors stay user errors', async () => {
    const client = new EngineClient({ entry: ENTRY, execArgv: EXEC_ARGV });
    try {
      const { pid } = await client.request('engine/ping', {});
      assert.equal(pid, client.pid);
      assert.notEqual(pid, process.pid, 'the engine runs in its own process');
      const summary = await client.request('model/load', { dir: checkpoint.dir, threads: 1 });
      assert.equal(summary.nLayers, 2);
      assert.ok(summary.hookNames.includes('blocks.1.hook_resid_pre'));
      const predictions = await client.request('model/predict', { prompt: 'Mary went to the park', topK: 3 });
      assert.deepEqual(predictions.tokens.map((t) => t.id), expected.ids);
      assert.deepEqual(predictions.predictions.at(-1)!.map((p) => p.id), expected.top);

      const sae = await client.request('sae/load', { path: join(checkpoint.dir, 'sae') });
      const features = await client.request('sae/topFeatures', { saeId: sae.id, prompt: 'Mary went', topK: 4 });
      assert.equal(features.length, 3);
      assert.ok(features.some((t) => t.features.length > 0));

      // A hover's one-request analysis: the same tokens, predictions and features as the separate requests.
      const analysis = await client.request('prompt/analyse', { prompt: 'Mary went', topKPredictions: 3, topKFeatures: 4 });
      const separate = await client.request('model/predict', { prompt: 'Mary went', topK: 3 });
      assert.deepEqual(analysis.tokens, separate.tokens);
      assert.deepEqual(analysis.predictions.map((r) => r.map((p) => p.id)), separate.predictions.map((r) => r.map((p) => p.id)));
      assert.deepEqual(analysis.features.map((f) => f.saeId), [sae.id]);
      assert.deepEqual(analysis.features[0].tokens.map((t) => t.features.map((f) => f.index)), features.map((t) => t.features.map((f) => f.index)));
      await assert.rejects(client.request('prompt/analyse', { prompt: 'Mary', topKPredictions: 0, topKFeatures: 4 }), /topKPredictions must be a positive integer/);

      const missing = join(checkpoint.dir, 'nope');
      await assert.rejects(client.request('model/load', { dir: missing }), (e: unknown) => e instanceof EngineRequestError && e.userError && e.message.includes(missing));
    } finally {
      client.dispose();
    }
  });

  test('a crashed engine is reported once and restarted by the next request, with its model, SAEs, labels file and index plan back', async () => {
    const crashes: string[] = [];
    const client = new EngineClient({ entry: ENTRY, execArgv: EXEC_ARGV, onCrash: (message) => crashes.push(message) });
    const workspace = tempDir();
    try {
      await client.request('model/load', { dir: checkpoint.dir, threads: 1 });
      const sae = await client.request('sae/load', { path: join(checkpoint.dir, 'sae') });
      const corpusFile = join(workspace.dir, 'notes.txt');
      writeFileSync(corpusFile, 'Mary went to the park with John.');
      await client.request('labels/setFile', { path: join(workspace.dir, '.mechlens', 'labels.json') });
      const planned = await client.request('index/plan', { storageDir: join(workspace.dir, 'index'), files: [corpusFile], rebuild: true });
      assert.equal(planned.state, 'scanning');
      const first = client.pid!;
      process.kill(first, 'SIGKILL');
      while (crashes.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(crashes.length, 1);
      assert.match(crashes[0], /signal SIGKILL/);
      const predictions = await client.request('model/predict', { prompt: 'Mary went to the park', topK: 3 });
      assert.notEqual(client.pid, first, 'a new process answered');
      assert.deepEqual(predictions.predictions.at(-1)!.map((p) => p.id), expected.top);
      await client.request('sae/topFeatures', { saeId: sae.id, prompt: 'Mary', topK: 2 });
      assert.equal(crashes.length, 1, 'told once');
      const status = await client.request('index/status', {});
      assert.deepEqual([status.state, status.filesTotal], ['scanning', 1], 'the plan is back: the scan can go on');
      assert.equal((await client.request('index/step', { budgetMs: 100 })).state, 'ready');
      const set = await client.request('labels/set', { saeId: sae.id, index: 0, text: 'set after the restart' });
      assert.deepEqual(set.label, { text: 'set after the restart', kind: 'user' }, 'the labels file is known again');
    } finally {
      client.dispose();
      workspace.cleanup();
    }
  });

  test('a request that outlives its time limit fails instead of hanging, and the engine comes back', async () => {
    const client = new EngineClient({ entry: ENTRY, execArgv: EXEC_ARGV });
    try {
      await client.request('model/load', { dir: checkpoint.dir, threads: 1 });
      const first = client.pid;
      await assert.rejects(client.request('model/predict', { prompt: 'Mary went to the park', topK: 3 }, 1), /took longer than 1 ms/);
      const predictions = await client.request('model/predict', { prompt: 'Mary went to the park', topK: 3 });
      assert.notEqual(client.pid, first);
      assert.deepEqual(predictions.predictions.at(-1)!.map((p) => p.id), expected.top);
    } finally {
      client.dispose();
    }
  });

  test('a malformed request gets an error response, not a crash', async () => {
    const child = fork(ENTRY, [], { execArgv: EXEC_ARGV, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      child.send({ kind: 'request', id: 7, method: 'model/explode', params: {} });
      const [response] = await once(child, 'message');
      assert.deepEqual(response, { kind: 'response', id: 7, ok: false, error: { message: 'malformed request', userError: false } });
      child.send({ kind: 'request', id: 8, method: 'engine/ping', params: {} });
      const [pong] = await once(child, 'message');
      assert.equal((pong as { result: { pid: number } }).result.pid, child.pid);
    } finally {
      child.kill();
    }
  });
});
