import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { EngineService } from '../../src/engineProcess/engineService';
import type { FeaturePage } from '../../src/protocol/featureIndex';
import { DEFAULT_MODEL, defaultSae, writeCorpus } from '../fixtures/featureIndexFixtures';
import { tempDir } from '../fixtures/tempCheckpoint';

/** The feature browser's engine requests, end to end through the engine service on the embedded default. */
describe('feature browser requests', () => {
  const service = new EngineService();
  const storage = tempDir();
  const workspace = tempDir();
  let saeId: string;
  let files: string[];
  const labelsFile = () => join(workspace.dir, '.mechlens', 'labels.json');

  before(async () => {
    files = writeCorpus(workspace.dir);
    await service.handle('model/load', { dir: DEFAULT_MODEL, threads: 1 });
    saeId = (await service.handle('sae/load', { path: defaultSae(1) })).id;
    await service.handle('labels/setFile', { path: labelsFile() });
  });
  after(async () => {
    await service.unload();
    storage.cleanup();
    workspace.cleanup();
  });

  test('before any scan: the list has every feature with shipped provisional labels and no counts; a page has logit effects and neighbours', async () => {
    assert.equal((await service.handle('index/status', {})).state, 'empty');
    await assert.rejects(service.handle('index/step', { budgetMs: 10 }), /no feature index is open/);
    const list = await service.handle('index/list', { saeId });
    assert.equal(list.rows.length, 2048);
    assert.ok(list.rows.every((r) => r.count === 0));
    assert.ok(list.rows.filter((r) => r.label?.kind === 'provisional').length > 1900, 'the default ships provisional labels');
    const page = await service.handle('index/feature', { saeId, index: 5 });
    assert.equal(page.top.length, 0);
    assert.equal(page.logitEffects.promoted.length, 10);
    assert.equal(page.neighbours.length, 10);
    assert.ok(page.neighbours.every((n) => n.index !== 5 && n.cosine <= 1 + 1e-9));
    const analysis = await service.handle('prompt/analyse', { prompt: 'When Mary and John went to the store', topKPredictions: 1, topKFeatures: 3 });
    const shown = analysis.features[0].tokens.flatMap((t) => t.features.map((f) => f.label));
    assert.ok(shown.length > 0 && shown.every((label) => /^↑ .* \(provisional\)$/.test(label ?? '')), `hover labels say they are provisional: ${shown[0]}`);
  });

  test('a scan in steps; then lists, pages and contexts that point at the tokens in the files', async () => {
    let status = await service.handle('index/plan', { storageDir: storage.dir, files });
    assert.equal(status.state, 'scanning');
    for (let i = 0; i < 100 && status.state === 'scanning'; i++) status = await service.handle('index/step', { budgetMs: 20 });
    assert.equal(status.state, 'ready');
    assert.equal(status.filesDone, files.length);
    assert.equal(status.failures.length, 1, 'the binary file');

    const list = await service.handle('index/list', { saeId });
    const busiest = [...list.rows].sort((a, b) => b.count - a.count)[0];
    assert.ok(busiest.count > 0 && Math.abs(busiest.density - busiest.count / list.tokens) < 1e-12);
    const page: FeaturePage = await service.handle('index/feature', { saeId, index: busiest.index });
    assert.equal(page.count, busiest.count);
    assert.equal(page.histogram.counts.reduce((a, b) => a + b, 0), page.count, 'the histogram holds every activation');
    assert.equal(page.histogram.edges.length, page.histogram.counts.length + 1);
    assert.ok(page.top.length > 0 && !page.partial);
    assert.equal(page.top[0].activation, page.maxActivation);
    page.top.forEach((context, i) => {
      if (i > 0) assert.ok(context.activation <= page.top[i - 1].activation, 'top contexts in order');
      assert.ok(Math.abs(context.tokens[context.focus].activation - context.activation) <= 1e-3 * context.activation, 'the focus token carries the example activation');
      const { file, offset, line } = context.source;
      const text = readFileSync(file, 'utf8');
      const token = context.tokens[context.focus].text;
      if (offset !== undefined) assert.ok(text.slice(offset, offset + token.length) === token || token.includes('\uFFFD'), `the offset points at the token ${JSON.stringify(token)}`);
      else assert.ok(Number.isInteger(line) && file.endsWith('.jsonl'));
    });
    const shares = page.groups.reduce((sum, g) => sum + g.share, 0);
    assert.ok(Math.abs(shares - 1) < 1e-9, `group shares sum to 1 (${shares})`);
    for (const group of page.groups) for (const c of group.contexts) assert.ok(c.activation > group.from && c.activation <= group.to + 1e-9 * group.to, 'a group holds examples from its band');
    assert.ok(page.groups.some((g) => g.contexts.length > 0));
  });

  test('text search lists the features that fire on a typed text, strongest first', async () => {
    const result = await service.handle('index/searchText', { saeId, text: 'When Mary and John went to the store, John gave a drink to' });
    assert.ok(result.features.length > 0 && result.tokens.length > 5);
    result.features.forEach((f, i) => i > 0 && assert.ok(f.maxActivation <= result.features[i - 1].maxActivation));
    await assert.rejects(service.handle('index/searchText', { saeId, text: '  ' }), /type some text/);
  });

  test('labels: a user label is saved to the workspace file and wins; an import fills others without overwriting it', async () => {
    const set = await service.handle('labels/set', { saeId, index: 7, text: '  names after "and"  ' });
    assert.deepEqual(set.label, { text: 'names after "and"', kind: 'user' });
    const stored = JSON.parse(readFileSync(labelsFile(), 'utf8'));
    assert.equal(Object.values(stored.saes as Record<string, Record<string, { text: string }>>)[0]['7'].text, 'names after "and"');
    assert.equal((await service.handle('index/feature', { saeId, index: 7 })).label?.kind, 'user');

    const exportFile = join(workspace.dir, 'export.jsonl.gz');
    writeFileSync(exportFile, gzipSync([JSON.stringify({ index: '7', description: 'imported seven' }), JSON.stringify({ index: '8', description: 'imported eight' }), '{broken', JSON.stringify({ index: '99999', description: 'out of range' })].join('\n')));
    const summary = await service.handle('labels/import', { saeId, files: [exportFile] });
    assert.equal(summary.skipped, 2);
    assert.equal(summary.reasons.length, 2);
    assert.equal((await service.handle('index/feature', { saeId, index: 7 })).label?.text, 'names after "and"', 'the user label stays');
    assert.deepEqual((await service.handle('index/feature', { saeId, index: 8 })).label, { text: 'imported eight', kind: 'imported', source: 'neuronpedia' });
    const cleared = await service.handle('labels/set', { saeId, index: 7, text: '' });
    assert.equal(cleared.label?.kind, 'provisional', 'removing the user label falls back to the shipped provisional one');
  });

  test('bad requests name what is wrong', async () => {
    await assert.rejects(service.handle('index/list', { saeId: 'nope' }), /no SAE "nope" is loaded/);
    await assert.rejects(service.handle('index/feature', { saeId, index: 2048 }), /feature 2048 is not one of the SAE's 2048 features/);
    await assert.rejects(service.handle('labels/set', { saeId, index: -1, text: 'x' }), /feature -1/);
    await assert.rejects(service.handle('index/plan', { storageDir: '', files: [] }), /storageDir/);
  });
});
