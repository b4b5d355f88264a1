import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisCache, tokenIndexAt, type PromptAnalysis } from '../../src/extension/hovers/analysisCache';

const analysis = (prompt: string): PromptAnalysis => ({ predictions: { tokens: [{ id: 0, text: prompt, span: [0, prompt.length] }], predictions: [[]] }, features: [] });

test('each prompt is analysed once, least recently used prompts are dropped, failures are retried', async () => {
  const calls: string[] = [];
  let fail = true;
  const cache = new AnalysisCache(async (prompt) => {
    calls.push(prompt);
    if (prompt === 'flaky' && fail) throw new Error('engine down');
    return analysis(prompt);
  }, 2);
  await cache.get('a');
  await cache.get('a');
  assert.deepEqual(calls, ['a']);
  await cache.get('b');
  await cache.get('a'); // a is now the most recent
  await cache.get('c'); // drops b
  await cache.get('a');
  await cache.get('b');
  assert.deepEqual(calls, ['a', 'b', 'c', 'b']);
  await assert.rejects(cache.get('flaky'), /engine down/);
  fail = false;
  assert.equal((await cache.get('flaky')).predictions.tokens[0].text, 'flaky');
  cache.clear();
  assert.equal(cache.size, 0);
});

test('tokenIndexAt finds the token covering an offset and skips the BOS', () => {
  const tokens = [
    { id: 9, text: '<|endoftext|>', span: [0, 0] as [number, number] },
    { id: 1, text: 'Hi', span: [0, 2] as [number, number] },
    { id: 2, text: ' there', span: [2, 8] as [number, number] },
  ];
  assert.equal(tokenIndexAt(tokens, 0), 1);
  assert.equal(tokenIndexAt(tokens, 1), 1);
  assert.equal(tokenIndexAt(tokens, 2), 2);
  assert.equal(tokenIndexAt(tokens, 7), 2);
  assert.equal(tokenIndexAt(tokens, 8), undefined);
});
