import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MechLensError } from '../../src/engine/errors';
import { FeatureLabels, type FeatureLabelSources } from '../../src/engine/labels/featureLabels';
import { importIntoLabelStore, saeLabelKey, setLabel } from '../../src/engine/labels/labelStore';
import { decoderOf, unembeddingOf } from '../../src/engine/labels/logitEffects';
import { provisionalLabeler } from '../../src/engine/labels/provisionalLabels';
import { loadCheckpoint } from '../../src/engine/model/checkpoint';
import { PROVISIONAL_LABELS_FILE, readLabels } from '../../src/engine/sae/labels';
import { loadSae } from '../../src/engine/sae/loadSae';
import { tempDir } from '../fixtures/tempCheckpoint';

const temp = tempDir('mechlens-feature-labels-');
after(() => temp.cleanup());
let counter = 0;
const KEY = 'model/blocks.0.hook_resid_post';

interface Setup {
  sources: FeatureLabelSources;
  calls: number[];
}

/** An SAE folder with labels.json (0–2) and provisional_labels.json (0–3), and a workspace file with a user label (0) and an imported one (1). */
function setup(options: { shipped?: boolean; provisional?: boolean } = {}): Setup {
  const dir = join(temp.dir, `case${counter++}`);
  const saePath = join(dir, 'sae');
  mkdirSync(saePath, { recursive: true });
  writeFileSync(join(saePath, 'labels.json'), JSON.stringify({ 0: 'sae zero', 1: 'sae one', 2: 'sae two', 5: '  ' }));
  if (options.shipped ?? true) writeFileSync(join(saePath, PROVISIONAL_LABELS_FILE), JSON.stringify({ 0: 'prov 0', 1: 'prov 1', 2: 'prov 2', 3: 'prov 3' }));
  const workspaceFile = join(dir, '.mechlens', 'labels.json');
  setLabel(workspaceFile, KEY, 0, 'user zero');
  importIntoLabelStore(workspaceFile, KEY, { labels: new Map([[1, 'np one']]) }, 'neuronpedia');
  importIntoLabelStore(workspaceFile, 'another/sae', { labels: new Map([[4, 'not this SAE']]) }, 'neuronpedia');
  const calls: number[] = [];
  const provisional = (index: number) => {
    calls.push(index);
    return index === 6 ? undefined : `computed ${index}`;
  };
  return { sources: { saePath, saeKey: KEY, workspaceFile, provisional: (options.provisional ?? true) ? provisional : undefined }, calls };
}

describe('feature labels: precedence', () => {
  test('user > imported > the SAE folder labels.json > shipped provisional > computed provisional', () => {
    const { sources, calls } = setup();
    const labels = new FeatureLabels(sources);
    assert.deepEqual(labels.problems, []);
    assert.deepEqual(labels.get(0), { text: 'user zero', kind: 'user' });
    assert.deepEqual(labels.get(1), { text: 'np one', kind: 'imported', source: 'neuronpedia' });
    assert.deepEqual(labels.get(2), { text: 'sae two', kind: 'sae-file' });
    assert.deepEqual(labels.get(3), { text: 'prov 3', kind: 'provisional' });
    assert.deepEqual(calls, [], 'nothing computed while a file has a label');
    assert.deepEqual(labels.get(4), { text: 'computed 4', kind: 'provisional' }, "another SAE's workspace labels are not this one's");
    assert.deepEqual(labels.get(5), { text: 'computed 5', kind: 'provisional' }, 'a blank labels.json entry is no label');
    assert.equal(labels.get(6), undefined);
    labels.get(4);
    labels.get(6);
    assert.deepEqual(calls, [4, 5, 6], 'each computed once');
  });

  test('without provisional_labels.json every provisional label is computed; without a function there is none', () => {
    const computed = setup({ shipped: false });
    const labels = new FeatureLabels(computed.sources);
    assert.deepEqual(labels.get(3), { text: 'computed 3', kind: 'provisional' });
    assert.deepEqual(computed.calls, [3]);
    const none = new FeatureLabels(setup({ shipped: false, provisional: false }).sources);
    assert.equal(none.get(3), undefined);
    assert.deepEqual(none.get(2), { text: 'sae two', kind: 'sae-file' });
  });

  test('a provisional text learnt from elsewhere is used instead of computing; files still win, and the first text stays', () => {
    const { sources, calls } = setup({ shipped: false });
    const labels = new FeatureLabels(sources);
    labels.learnProvisional(8, 'learnt 8');
    labels.learnProvisional(8, 'learnt again');
    labels.learnProvisional(2, 'learnt 2');
    assert.deepEqual(labels.get(8), { text: 'learnt 8', kind: 'provisional' });
    assert.deepEqual(labels.get(2), { text: 'sae two', kind: 'sae-file' });
    assert.deepEqual(labels.all(10)[8], { text: 'learnt 8', kind: 'provisional' });
    assert.deepEqual(calls, [], 'nothing computed');
  });

  test('without a workspace file there are no user or imported labels', () => {
    const { sources } = setup();
    const labels = new FeatureLabels({ ...sources, workspaceFile: undefined });
    assert.deepEqual(labels.get(0), { text: 'sae zero', kind: 'sae-file' });
    assert.deepEqual(labels.get(1), { text: 'sae one', kind: 'sae-file' });
  });

  test('an SAE given as a file finds the labels next to it', () => {
    const { sources } = setup();
    const labels = new FeatureLabels({ ...sources, saePath: join(sources.saePath, 'params.npz'), workspaceFile: undefined });
    assert.deepEqual(labels.get(2), { text: 'sae two', kind: 'sae-file' });
  });

  test('stored() answers from the files only and never computes', () => {
    const { sources, calls } = setup();
    const labels = new FeatureLabels(sources);
    assert.deepEqual(labels.stored(1), { text: 'np one', kind: 'imported', source: 'neuronpedia' });
    assert.deepEqual(labels.stored(3), { text: 'prov 3', kind: 'provisional' });
    assert.equal(labels.stored(4), undefined);
    labels.get(4);
    assert.equal(labels.stored(4), undefined);
    assert.deepEqual(calls, [4]);
  });

  test('returned labels are copies: changing one does not change the next answer', () => {
    const labels = new FeatureLabels(setup().sources);
    labels.get(0)!.text = 'changed';
    assert.equal(labels.get(0)!.text, 'user zero');
  });

  test('bad indices are errors', () => {
    const labels = new FeatureLabels(setup().sources);
    for (const index of [-1, 0.5, NaN]) assert.throws(() => labels.get(index), MechLensError);
    for (const dSae of [-1, 1.5]) assert.throws(() => labels.all(dSae), MechLensError);
  });
});

describe('feature labels: lists, reloads and broken files', () => {
  test('all() lists files and already-computed labels, and computes nothing', () => {
    const { sources, calls } = setup();
    const labels = new FeatureLabels(sources);
    labels.get(4);
    assert.deepEqual(labels.all(7), [
      { text: 'user zero', kind: 'user' },
      { text: 'np one', kind: 'imported', source: 'neuronpedia' },
      { text: 'sae two', kind: 'sae-file' },
      { text: 'prov 3', kind: 'provisional' },
      { text: 'computed 4', kind: 'provisional' },
      undefined,
      undefined,
    ]);
    assert.deepEqual(calls, [4]);
    assert.deepEqual(labels.all(0), []);
  });

  test('reload() picks up writes; computed labels are kept', () => {
    const { sources, calls } = setup();
    const labels = new FeatureLabels(sources);
    labels.get(4);
    setLabel(sources.workspaceFile!, KEY, 2, 'user two');
    setLabel(sources.workspaceFile!, KEY, 0, '');
    assert.deepEqual(labels.get(2), { text: 'sae two', kind: 'sae-file' }, 'unchanged until reload');
    labels.reload();
    assert.deepEqual(labels.get(2), { text: 'user two', kind: 'user' });
    assert.deepEqual(labels.get(0), { text: 'sae zero', kind: 'sae-file' });
    labels.get(4);
    assert.deepEqual(calls, [4]);
  });

  test('a malformed workspace file or labels.json hides only its own labels and is reported', () => {
    const { sources } = setup();
    writeFileSync(sources.workspaceFile!, '{"version": 1, "saes": {"model/blocks.0.hook_resid_post": {"0": {"text": "x", "kind": "bot"}}}}');
    const labels = new FeatureLabels(sources);
    assert.equal(labels.problems.length, 1);
    assert.equal(labels.problems[0].file, sources.workspaceFile);
    assert.match(labels.problems[0].message, /\.kind is "bot"/);
    assert.deepEqual(labels.get(0), { text: 'sae zero', kind: 'sae-file' });

    writeFileSync(join(sources.saePath, 'labels.json'), '{"0": 5}');
    labels.reload();
    assert.deepEqual(
      labels.problems.map((p) => p.file),
      [sources.workspaceFile, join(sources.saePath, 'labels.json')],
    );
    assert.deepEqual(labels.get(0), { text: 'prov 0', kind: 'provisional' });

    writeFileSync(join(sources.saePath, PROVISIONAL_LABELS_FILE), 'not json');
    writeFileSync(sources.workspaceFile!, '{"version": 1, "saes": {}}');
    writeFileSync(join(sources.saePath, 'labels.json'), '{}');
    labels.reload();
    assert.deepEqual(
      labels.problems.map((p) => p.file),
      [join(sources.saePath, PROVISIONAL_LABELS_FILE)],
    );
    assert.deepEqual(labels.get(0), { text: 'computed 0', kind: 'provisional' });
  });

  test('readLabels: keys that Number() would accept but are not indices are errors', () => {
    const { sources } = setup();
    for (const key of ['', ' 1', '1e3', '-0']) {
      writeFileSync(join(sources.saePath, 'labels.json'), JSON.stringify({ [key]: 'x' }));
      assert.throws(() => readLabels(sources.saePath), /is not a feature index/, JSON.stringify(key));
    }
  });
});

describe('shipped provisional labels of the default SAEs', () => {
  const root = join(__dirname, '..', '..', 'media', 'default');
  const checkpoint = loadCheckpoint(join(root, 'model'));
  const decode = (token: number) => checkpoint.tokenizer.decode([token]);
  for (const layer of [0, 1, 2, 3]) {
    test(`blocks.${layer}.hook_resid_post: one label per feature, equal to the JS computation on a sample`, () => {
      const saePath = join(root, 'saes', `blocks.${layer}.hook_resid_post`);
      const sae = loadSae(saePath);
      const shipped = readLabels(saePath, PROVISIONAL_LABELS_FILE);
      assert.deepEqual([...shipped.keys()], Array.from({ length: sae.config.dSae }, (_, i) => i));
      const compute = provisionalLabeler(decoderOf(sae), unembeddingOf(checkpoint), decode);
      const labels = new FeatureLabels({ saePath, saeKey: saeLabelKey(sae), provisional: () => assert.fail('a shipped label must not be computed') });
      for (let f = layer; f < sae.config.dSae; f += 61) {
        assert.deepEqual(labels.get(f), { text: compute(f), kind: 'provisional' }, `feature ${f}`);
      }
    });
  }
});
