import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readCorpusFile } from '../../src/engine/featureIndex/corpusFiles';
import { FeatureIndex } from '../../src/engine/featureIndex/featureIndex';
import { BIN_COUNT } from '../../src/engine/featureIndex/histogramBins';
import { DEFAULT_SETTINGS, type IndexSettings } from '../../src/engine/featureIndex/indexSettings';
import type { RankedLists } from '../../src/engine/featureIndex/rankedLists';
import { HookedModel } from '../../src/engine/hookedModel';
import { loadSae } from '../../src/engine/sae/loadSae';
import { SaeRunner } from '../../src/engine/sae/saeRunner';
import { bruteForce, bruteSample, bruteTop, DEFAULT_MODEL, defaultSae, heldOutLines, writeCorpus, type Activation, type BruteFeature } from '../fixtures/featureIndexFixtures';
import { tempDir } from '../fixtures/tempCheckpoint';

/** Small chunks, so the long file spans several and the windows meet chunk edges. */
const SETTINGS: IndexSettings = { ...DEFAULT_SETTINGS, chunkLength: 24, topKept: 8, topShown: 6, samplesKept: 10, samplesShown: 8, windowBefore: 3, windowAfter: 2 };

let model: HookedModel;
let saes: SaeRunner[];

before(async () => {
  model = await HookedModel.load(DEFAULT_MODEL, { threads: 1 });
  saes = [0, 3].map((layer) => SaeRunner.create(loadSae(defaultSae(layer)), { threads: 1 }));
});

after(async () => {
  for (const sae of saes) await sae.dispose();
  await model.dispose();
});

async function scanAll(index: FeatureIndex, files: string[], budgetMs = 1e9): Promise<void> {
  await index.plan(files);
  for (let guard = 0; guard < 1000 && index.status().state === 'scanning'; guard++) await index.step(budgetMs);
  assert.equal(index.status().state, 'ready');
}

function corpusDocuments(files: string[]): { text: string }[] {
  const documents: { text: string }[] = [];
  for (const file of [...files].sort()) {
    try {
      documents.push(...readCorpusFile(file).documents);
    } catch {
      // failed files hold no documents
    }
  }
  return documents;
}

function assertSameExamples(lists: RankedLists, f: number, expected: Activation[], what: string): void {
  const actual = lists.entries(f).slice(0, lists.exactCount(f));
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    assert.deepEqual([actual[i].doc, actual[i].pos], [expected[i].doc, expected[i].pos], `${what} ${i}`);
    assert.ok(Math.abs(actual[i].activation - expected[i].activation) <= 1e-5 * Math.max(1, expected[i].activation), `${what} ${i} activation`);
    expected[i].window.forEach((value, j) => assert.ok(Math.abs(actual[i].window[j] - value) <= 1e-3 * Math.max(1, Math.abs(value)), `${what} ${i} window ${j}: ${actual[i].window[j]} vs ${value}`));
  }
}

/** The index equals the brute force: histograms and sums exactly / closely, the exact part of each list equal to the brute-force prefix. */
function assertMatchesBruteForce(index: FeatureIndex, brute: BruteFeature[][], expectFullLists: boolean): void {
  let active = 0;
  index.aggregates.forEach((aggregate, s) => {
    for (let f = 0; f < aggregate.dSae; f++) {
      const expected = brute[s][f];
      assert.deepEqual(Array.from(aggregate.histogram.subarray(f * BIN_COUNT, (f + 1) * BIN_COUNT)), expected.histogram, `sae ${s} feature ${f} histogram`);
      assert.ok(Math.abs(aggregate.sum[f] - expected.sum) <= 1e-6 * Math.max(1, expected.sum), `sae ${s} feature ${f} sum`);
      const count = expected.activations.length;
      if (count > 0) active++;
      const top = bruteTop(expected, SETTINGS.topKept);
      const sample = bruteSample(expected, f, SETTINGS.samplesKept);
      if (expectFullLists) {
        assert.equal(aggregate.top.exactCount(f), Math.min(count, SETTINGS.topKept), `sae ${s} feature ${f} top is all exact`);
        assert.equal(aggregate.samples.exactCount(f), Math.min(count, SETTINGS.samplesKept), `sae ${s} feature ${f} sample is all exact`);
      }
      assertSameExamples(aggregate.top, f, top, `sae ${s} feature ${f} top`);
      assertSameExamples(aggregate.samples, f, sample, `sae ${s} feature ${f} sample`);
    }
  });
  assert.ok(active > 100, `the corpus activates many features (${active})`);
}

describe('feature index', () => {
  const storage = tempDir();
  const corpus = tempDir();
  let files: string[];
  before(() => {
    files = writeCorpus(corpus.dir);
  });
  after(() => {
    storage.cleanup();
    corpus.cleanup();
  });

  test('a scan stores exactly what a brute-force pass over the corpus finds, and reopening reads it back', async () => {
    const index = FeatureIndex.open(storage.dir, model, saes, SETTINGS);
    await scanAll(index, files, 5);
    const status = index.status();
    assert.equal(status.filesTotal, 5);
    assert.equal(status.filesDone, 5);
    assert.equal(status.documents, 4, 'a.txt, b.md and two JSONL lines; the empty file and the empty JSONL text hold none');
    assert.deepEqual(status.failures.map((f) => f.file), [join(corpus.dir, 'blob.bin')]);
    assert.match(status.failures[0].message, /blob\.bin: a binary file/);
    const brute = await bruteForce(model, saes, corpusDocuments(files), SETTINGS);
    assert.equal(status.tokens, corpusDocuments(files).reduce((n, d) => n + model.tokenizer.encode(d.text).length, 0));
    assertMatchesBruteForce(index, brute, true);
    await index.close();

    const reopened = FeatureIndex.open(storage.dir, model, saes, SETTINGS);
    assert.equal(reopened.tokens, status.tokens);
    assertMatchesBruteForce(reopened, brute, true);
    const again = await reopened.plan(files);
    assert.equal(again.state, 'ready', 'nothing changed, nothing to scan');
    assert.equal(again.filesDone, 5);
    await reopened.close();
  });

  test('edits, deletions and new files rescan only those files and leave the index equal to a brute force of the new corpus', async () => {
    const index = FeatureIndex.open(storage.dir, model, saes, SETTINGS);
    const lines = readFileSync(files[0], 'utf8').split('\n');
    appendFileSync(files[1], '\nA new paragraph about the garden and the king.');
    rmSync(files[0]);
    const added = join(corpus.dir, 'sub', 'new.txt');
    writeFileSync(added, lines.slice(2, 5).join('\n'));
    const now = [...files.slice(1), added];
    const planned = await index.plan(now);
    assert.equal(planned.filesTotal, 5);
    assert.equal(planned.filesDone, 3, 'only the edited and the new file are queued (the deleted one is removed)');
    await scanAll(index, now);
    const brute = await bruteForce(model, saes, corpusDocuments(now), SETTINGS);
    // Document ids differ after edits (new documents get new ids): compare through the documents' texts.
    const byText = new Map<string, number>();
    corpusDocuments(now).forEach((d, i) => byText.set(d.text, i));
    const idMap = new Map<number, number>();
    for (const file of now) {
      const stored = index['storedFile'](file) as { documents: number[] } | undefined;
      const texts = (() => {
        try {
          return readCorpusFile(file).documents.map((d) => d.text);
        } catch {
          return [];
        }
      })();
      stored?.documents.forEach((id, i) => idMap.set(id, byText.get(texts[i])!));
    }
    index.aggregates.forEach((aggregate, s) => {
      for (let f = 0; f < aggregate.dSae; f++) {
        const expected = brute[s][f];
        assert.deepEqual(Array.from(aggregate.histogram.subarray(f * BIN_COUNT, (f + 1) * BIN_COUNT)), expected.histogram, `sae ${s} feature ${f} histogram after edits`);
        const exact = aggregate.top.entries(f).slice(0, aggregate.top.exactCount(f));
        const top = bruteTop(expected, exact.length);
        exact.forEach((e, i) => assert.deepEqual([idMap.get(e.doc), e.pos], [top[i].doc, top[i].pos], `sae ${s} feature ${f} top ${i} after edits`));
      }
    });
    // Partial: fewer exact top examples than a page shows while the corpus has more (the brute force's count).
    const partial = index.aggregates.reduce((n, aggregate, s) => n + Array.from({ length: aggregate.dSae }, (_, f) => aggregate.top.exactCount(f) < Math.min(SETTINGS.topShown, brute[s][f].activations.length)).filter(Boolean).length, 0);
    assert.equal(index.status().partialFeatures, partial, 'the status counts the features whose pages say partial');
    await index.close();
  });

  test('a rebuild starts a new store and restores every list to exact', async () => {
    const index = FeatureIndex.open(storage.dir, model, saes, SETTINGS);
    const now = [...files.slice(1), join(corpus.dir, 'sub', 'new.txt')];
    const before = index.store;
    const planned = await index.plan(now, { rebuild: true });
    assert.notEqual(index.store, before, 'a new LMDB environment');
    assert.deepEqual([planned.state, planned.filesDone, planned.documents, planned.tokens], ['scanning', 0, 0, 0]);
    await scanAll(index, now);
    assertMatchesBruteForce(index, await bruteForce(model, saes, corpusDocuments(now), SETTINGS), true);
    assert.equal(index.status().partialFeatures, 0);
    await index.close();
  });
});

describe('many short documents', () => {
  const storage = tempDir();
  const corpus = tempDir();
  after(() => [storage, corpus].forEach((t) => t.cleanup()));

  test('JSONL lines share model runs (padded on the right), match a brute force of one run per chunk, and an edit or deletion subtracts them exactly', async () => {
    const lines = heldOutLines().slice(40, 100);
    // Short lines of varied lengths, and a few longer than a chunk, so chunks of different documents and lengths share batches.
    const texts = [...lines.slice(0, 50), ...[0, 1, 2].map((i) => lines.slice(50 + i * 3, 53 + i * 3).join(' '))];
    const file = join(corpus.dir, 'lines.jsonl');
    writeFileSync(file, texts.map((text) => JSON.stringify({ text })).join('\n'));
    const index = FeatureIndex.open(storage.dir, model, saes, SETTINGS);
    let runs = 0;
    const hookValues = model.hookValues.bind(model);
    model.hookValues = (...args: Parameters<HookedModel['hookValues']>) => {
      runs++;
      return hookValues(...args);
    };
    try {
      await scanAll(index, [file]);
    } finally {
      model.hookValues = hookValues;
    }
    assert.equal(index.status().documents, texts.length);
    const chunks = texts.reduce((n, text) => n + Math.ceil(model.tokenizer.encode(text).length / (SETTINGS.chunkLength - 1)), 0);
    assert.ok(chunks > texts.length, `some documents span several chunks (${chunks} chunks)`);
    assert.ok(runs <= Math.ceil(chunks / Math.floor(1024 / SETTINGS.chunkLength)) + 1, `${texts.length} documents (${chunks} chunks) in ${runs} model runs`);
    assertMatchesBruteForce(index, await bruteForce(model, saes, corpusDocuments([file]), SETTINGS), true);

    // An edit: the file is removed (recomputed in the same batches and subtracted) and scanned again.
    writeFileSync(file, texts.slice(7).map((text) => JSON.stringify({ text })).join('\n'));
    await scanAll(index, [file]);
    const edited = await bruteForce(model, saes, corpusDocuments([file]), SETTINGS);
    index.aggregates.forEach((aggregate, s) => {
      for (let f = 0; f < aggregate.dSae; f++) {
        assert.deepEqual(Array.from(aggregate.histogram.subarray(f * BIN_COUNT, (f + 1) * BIN_COUNT)), edited[s][f].histogram, `sae ${s} feature ${f} histogram after the edit`);
        assert.ok(Math.abs(aggregate.sum[f] - edited[s][f].sum) <= 1e-6 * Math.max(1, edited[s][f].sum), `sae ${s} feature ${f} sum after the edit`);
      }
    });

    rmSync(file);
    await index.plan([]);
    await index.step(1e9);
    assert.deepEqual([index.status().state, index.status().documents, index.tokens], ['empty', 0, 0]);
    index.aggregates.forEach((aggregate, s) => {
      assert.ok(aggregate.histogram.every((count) => count === 0), `sae ${s}: every count subtracted back to 0`);
      for (let f = 0; f < aggregate.dSae; f++) assert.ok(Math.abs(aggregate.sum[f]) < 1e-3, `sae ${s} feature ${f} sum back to 0 (${aggregate.sum[f]})`);
    });
    await index.close();
  });
});

/** Everything stored: meta, files (by path), documents and feature records, as comparable values. */
function storedIndex(index: FeatureIndex, files: string[]): unknown {
  const meta = index.store.readMeta()!;
  const documents = Array.from({ length: meta.nextDocument }, (_, id) => index.store.readDocument(id));
  const features = [...index.store.featureRecords()].map(([key, record]) => [key, record.toString('base64')]);
  return { meta, files: files.map((f) => index.store.readFile(f)), documents, features };
}

describe('a killed scan', () => {
  const corpus = tempDir();
  const killed = tempDir();
  const whole = tempDir();
  after(() => [corpus, killed, whole].forEach((t) => t.cleanup()));

  test('restarted after a kill -9 midway, it finishes with the same index as a scan that was never interrupted', async () => {
    const lines = heldOutLines();
    const files = Array.from({ length: 12 }, (_, i) => {
      const path = join(corpus.dir, `doc${String(i).padStart(2, '0')}.txt`);
      writeFileSync(path, lines.slice(i * 3, i * 3 + 3).join('\n'));
      return path;
    });
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'fixtures', 'indexScanChild.ts'), killed.dir, JSON.stringify(SETTINGS), ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    let output = '';
    const exit = new Promise<string | null>((resolveExit) => child.on('exit', (_code, signal) => resolveExit(signal)));
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
      const statuses = output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { filesDone: number });
      seen = statuses.at(-1)?.filesDone ?? 0;
      if (seen >= 4) child.kill('SIGKILL');
    });
    assert.equal(await exit, 'SIGKILL', 'the scan was killed, not finished');
    assert.ok(seen >= 4 && seen < 12, `killed midway (after ${seen} of 12 files)`);

    const restarted = FeatureIndex.open(killed.dir, model, saes, SETTINGS);
    const planned = await restarted.plan(files);
    assert.ok(planned.filesDone >= 4 && planned.filesDone < 12, `the restart keeps what was committed (${planned.filesDone} files) and queues the rest`);
    await scanAll(restarted, files, 1);
    const uninterrupted = FeatureIndex.open(whole.dir, model, saes, SETTINGS);
    await scanAll(uninterrupted, files);
    assert.deepEqual(storedIndex(restarted, files), storedIndex(uninterrupted, files));
    await restarted.close();
    await uninterrupted.close();
  });
});
