import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FeaturePage, IndexStatus } from '../../src/protocol/featureIndex';
import { assertUsageFailure, assertUserFailure, cli } from '../fixtures/cliOutcome';
import { DEFAULT_MODEL, writeCorpus } from '../fixtures/featureIndexFixtures';
import { tempDir } from '../fixtures/tempCheckpoint';

/** `mechlens index` and `mechlens feature` on the embedded default, in-process. */
describe('the index commands', () => {
  const corpus = tempDir();
  const storage = tempDir();
  before(() => writeCorpus(corpus.dir));
  after(() => [corpus, storage].forEach((t) => t.cleanup()));

  test('index scans a folder once; a second run finds nothing to do; feature prints a page from it', async () => {
    const first = await cli('index', '--storage', storage.dir, '--json', corpus.dir);
    assert.equal(first.code, 0, first.err.join('|'));
    const status = JSON.parse(first.out[0]) as IndexStatus;
    assert.deepEqual([status.state, status.filesTotal, status.filesDone, status.documents], ['ready', 4, 4, 4], 'a.txt, b.md, sub/c.jsonl (2 documents), empty.txt; blob.bin is not a corpus file kind');
    const again = await cli('index', '--storage', storage.dir, corpus.dir);
    assert.equal(again.code, 0);
    assert.match(again.out[0], new RegExp(`^4 of 4 files indexed: 4 documents, ${status.tokens} tokens`));

    const page = await cli('feature', '--storage', storage.dir, '--hook', 'blocks.1.hook_resid_post', '--json', '12');
    assert.equal(page.code, 0, page.err.join('|'));
    const parsed = JSON.parse(page.out[0]) as FeaturePage;
    assert.equal(parsed.feature.index, 12);
    assert.equal(parsed.hookName, 'blocks.1.hook_resid_post');
    assert.equal(parsed.tokens, status.tokens);
    assert.equal(parsed.histogram.counts.reduce((a, b) => a + b, 0), parsed.count);
    const text = await cli('feature', '--storage', storage.dir, '12');
    assert.match(text.out[0], /^feature 12 at blocks\.0\.hook_resid_post/);
    assert.ok(text.out.some((line) => line.startsWith('promotes: ')));
  });

  test('bad input names what is wrong', async () => {
    assertUsageFailure(await cli('index', corpus.dir), 'needs --storage DIR', 'mechlens index');
    assertUsageFailure(await cli('index', '--storage', storage.dir), 'at least one file or folder', 'mechlens index');
    assertUserFailure(await cli('index', '--storage', storage.dir, join(corpus.dir, 'nope')), ['nope: no such file or folder']);
    assertUserFailure(await cli('index', '--storage', storage.dir, '--model', DEFAULT_MODEL, corpus.dir), ['give at least one --sae PATH']);
    assertUserFailure(await cli('feature', '--storage', storage.dir, '--hook', 'blocks.9.hook_resid_post', '1'), ['no SAE at blocks.9.hook_resid_post', 'blocks.0.hook_resid_post']);
    assertUserFailure(await cli('feature', '--storage', storage.dir, '4096'), ['feature 4096 is not one of the SAE\'s 2048 features']);
  });
});
