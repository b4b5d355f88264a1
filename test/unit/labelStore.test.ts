import assert from 'node:assert/strict';
import fs, { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, mock, test } from 'node:test';
import { MechLensError } from '../../src/engine/errors';
import { importIntoLabelStore, labelSourceOf, readLabelStore, saeLabelKey, setLabel, workspaceLabelsFile } from '../../src/engine/labels/labelStore';
import { loadSae } from '../../src/engine/sae/loadSae';
import type { SaeConfig } from '../../src/engine/sae/sae';
import { writeSaeLensV6 } from '../fixtures/saeFixtures';
import { tempDir } from '../fixtures/tempCheckpoint';

const temp = tempDir('mechlens-label-store-');
after(() => temp.cleanup());
let counter = 0;

/** A fresh workspace folder and its labels file path (the file is not created). */
function workspace(): string {
  const dir = join(temp.dir, `ws${counter++}`);
  mkdirSync(dir);
  return workspaceLabelsFile(dir);
}

function writeRaw(path: string, content: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const SAE = 'gpt2-small/6-res-jb';

describe('workspace label store: reading and writing', () => {
  test('a missing file is an empty store, and removing a label from it creates nothing', () => {
    const path = workspace();
    assert.deepEqual(readLabelStore(path), { path, saes: new Map() });
    assert.equal(setLabel(path, SAE, 3, '   '), undefined);
    assert.equal(existsSync(path), false);
  });

  test('setLabel creates the folder and writes stable JSON: version first, SAE keys sorted, indices numeric, trailing newline', () => {
    const path = workspace();
    assert.deepEqual(setLabel(path, SAE, 10, '  dates  '), { text: 'dates', kind: 'user' });
    setLabel(path, SAE, 2, 'names');
    setLabel(path, SAE, 1, 'the word "the"\nand more');
    setLabel(path, 'a-model/blocks.0.hook_resid_post', 0, 'first');
    const expected = {
      version: 1,
      saes: {
        'a-model/blocks.0.hook_resid_post': { 0: { text: 'first', kind: 'user' } },
        [SAE]: { 1: { text: 'the word "the"\nand more', kind: 'user' }, 2: { text: 'names', kind: 'user' }, 10: { text: 'dates', kind: 'user' } },
      },
    };
    assert.equal(readFileSync(path, 'utf8'), JSON.stringify(expected, null, 2) + '\n');
    assert.ok(readFileSync(path, 'utf8').indexOf('"2"') < readFileSync(path, 'utf8').indexOf('"10"'));
    assert.deepEqual(
      readLabelStore(path).saes.get(SAE),
      new Map([
        [1, { text: 'the word "the"\nand more', kind: 'user' }],
        [2, { text: 'names', kind: 'user' }],
        [10, { text: 'dates', kind: 'user' }],
      ]),
    );
  });

  test('empty text removes the entry; removing the last label of an SAE removes its key', () => {
    const path = workspace();
    setLabel(path, SAE, 4, 'four');
    setLabel(path, SAE, 5, 'five');
    setLabel(path, 'other', 1, 'kept');
    assert.equal(setLabel(path, SAE, 4, ''), undefined);
    assert.deepEqual([...readLabelStore(path).saes.get(SAE)!.keys()], [5]);
    setLabel(path, SAE, 5, ' \t\n');
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, saes: { other: { 1: { text: 'kept', kind: 'user' } } } });
  });

  test('unknown top-level keys, unknown entry fields and other SAEs are kept; a user edit drops the import source', () => {
    const path = writeRaw(workspace(), {
      note: { by: 'a person' },
      version: 1,
      saes: {
        [SAE]: { 7: { text: 'from np', kind: 'imported', source: 'neuronpedia', reviewed: true } },
        'other/blocks.1.hook_resid_post': { 12: { text: 'theirs', kind: 'user', extra: [1, 2] } },
      },
      zzz: 1,
    });
    assert.deepEqual(setLabel(path, SAE, 7, 'mine'), { text: 'mine', kind: 'user' });
    const written = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual(Object.keys(written), ['version', 'saes', 'note', 'zzz']);
    assert.deepEqual(written.note, { by: 'a person' });
    assert.equal(written.zzz, 1);
    assert.deepEqual(written.saes[SAE], { 7: { text: 'mine', kind: 'user', reviewed: true } });
    assert.deepEqual(written.saes['other/blocks.1.hook_resid_post'], { 12: { text: 'theirs', kind: 'user', extra: [1, 2] } });
  });

  test('a byte-order mark and a file without "saes" read', () => {
    const path = writeRaw(workspace(), '\uFEFF{"version": 1}');
    assert.equal(readLabelStore(path).saes.size, 0);
    setLabel(path, SAE, 0, 'x');
    assert.equal(readLabelStore(path).saes.get(SAE)!.get(0)!.text, 'x');
  });

  test('bad arguments are errors and write nothing', () => {
    const path = workspace();
    for (const index of [-1, 1.5, NaN, 2 ** 53]) assert.throws(() => setLabel(path, SAE, index, 'x'), /feature index .* is not a non-negative integer/);
    assert.throws(() => setLabel(path, ' ', 0, 'x'), /SAE key " " is not usable/);
    assert.throws(() => setLabel(path, '__proto__', 0, 'x'), /SAE key "__proto__" is not usable/);
    assert.throws(() => importIntoLabelStore(path, SAE, { labels: new Map([[0, 'x']]) }, ' '), /needs a source name/);
    assert.throws(() => importIntoLabelStore(path, SAE, { labels: new Map([[-2, 'x']]) }, 'neuronpedia'), MechLensError);
    assert.equal(existsSync(path), false);
  });
});

describe('workspace label store: malformed files', () => {
  const entry = (value: unknown, key = '3') => ({ version: 1, saes: { [SAE]: { [key]: value } } });
  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{"version": 1,', /malformed JSON/],
    ['an array', '[]', /not a JSON object/],
    ['no version', { saes: {} }, /"version" is missing; expected 1/],
    ['a string version', { version: '1', saes: {} }, /"version" is "1"; expected 1/],
    ['a newer version', { version: 2, saes: {} }, /"version" is 2; this file was written by a newer MechLens/],
    ['saes an array', { version: 1, saes: [] }, /"saes" is not an object/],
    ['an empty SAE key', { version: 1, saes: { '': {} } }, /saes\[""\]: an SAE key must not be empty/],
    ['a __proto__ SAE key', '{"version": 1, "saes": {"__proto__": {}}}', /saes\["__proto__"\]: an SAE key must not be empty \(or __proto__\)/],
    ['an SAE that is not an object', { version: 1, saes: { [SAE]: 'x' } }, /saes\["gpt2-small\/6-res-jb"\] is not an object/],
    ['a word as index', entry({ text: 'a', kind: 'user' }, 'x'), /\["x"\]: the key is not a feature index/],
    ['a negative index', entry({ text: 'a', kind: 'user' }, '-1'), /\["-1"\]: the key is not a feature index/],
    ['a leading zero', entry({ text: 'a', kind: 'user' }, '01'), /\["01"\]: the key is not a feature index/],
    ['a fractional index', entry({ text: 'a', kind: 'user' }, '1.5'), /\["1.5"\]: the key is not a feature index/],
    ['an entry that is a string', entry('names'), /\["3"\] is not an object with "text" and "kind"/],
    ['no text', entry({ kind: 'user' }), /\["3"\]\.text is missing/],
    ['a numeric text', entry({ text: 5, kind: 'user' }), /\["3"\]\.text is not a non-empty string/],
    ['a blank text', entry({ text: '  ', kind: 'user' }), /\["3"\]\.text is not a non-empty string/],
    ['no kind', entry({ text: 'a' }), /\["3"\]\.kind is missing; expected "user" or "imported"/],
    ['an unknown kind', entry({ text: 'a', kind: 'auto' }), /\["3"\]\.kind is "auto"; expected "user" or "imported"/],
    ['a numeric source', entry({ text: 'a', kind: 'imported', source: 5 }), /\["3"\]\.source is not a non-empty string/],
    ['an empty source', entry({ text: 'a', kind: 'imported', source: '' }), /\["3"\]\.source is not a non-empty string/],
  ];
  for (const [name, content, pattern] of cases) {
    test(`${name}: reading names the file and the field; setLabel and imports refuse to write`, () => {
      const path = writeRaw(workspace(), content);
      const before = readFileSync(path, 'utf8');
      const isError = (message: RegExp) => (e: unknown) => e instanceof MechLensError && e.file === path && e.message.startsWith(`${path}: `) && message.test(e.message);
      assert.throws(() => readLabelStore(path), isError(pattern));
      assert.throws(() => setLabel(path, SAE, 3, 'new'), isError(/will not change this file until it is fixed/));
      assert.throws(() => setLabel(path, SAE, 3, ''), isError(pattern));
      assert.throws(() => importIntoLabelStore(path, SAE, { labels: new Map([[1, 'x']]) }, 'neuronpedia'), isError(pattern));
      assert.equal(readFileSync(path, 'utf8'), before);
    });
  }

  test('a folder where the file should be cannot be read', () => {
    const path = workspace();
    mkdirSync(path, { recursive: true });
    assert.throws(() => readLabelStore(path), /cannot read \(EISDIR\)/);
  });
});

describe('workspace label store: atomic writes', () => {
  test('when the rename fails, the old file is intact, no temp file is left, and the error names the file', () => {
    const path = workspace();
    setLabel(path, SAE, 1, 'old');
    const before = readFileSync(path, 'utf8');
    const rename = mock.method(fs, 'renameSync', () => {
      throw Object.assign(new Error('cross-device link'), { code: 'EXDEV' });
    });
    try {
      assert.throws(
        () => setLabel(path, SAE, 1, 'new'),
        (e: unknown) => e instanceof MechLensError && e.file === path && /cannot write \(EXDEV\); the file was not changed/.test(e.message),
      );
      assert.equal(rename.mock.callCount(), 1);
    } finally {
      rename.mock.restore();
    }
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.deepEqual(readdirSync(join(path, '..')), ['labels.json']);
    assert.equal(setLabel(path, SAE, 1, 'new')!.text, 'new');
  });
});

describe('workspace label store: imports', () => {
  test('imports add and replace imported labels, never overwrite user labels, skip provisional ones, and count each', () => {
    const path = workspace();
    setLabel(path, SAE, 1, 'user label');
    const first = importIntoLabelStore(
      path,
      SAE,
      {
        labels: new Map([
          [0, 'zero'],
          [1, 'np one'],
          [2, 'two'],
          [3, '↑ "a"'],
          [4, '   '],
        ]),
        provisional: new Set([3]),
      },
      'neuronpedia',
    );
    assert.deepEqual(first, { added: 2, replaced: 0, unchanged: 0, keptUser: 1, skippedProvisional: 1 });
    const second = importIntoLabelStore(
      path,
      SAE,
      {
        labels: new Map([
          [0, 'zero'],
          [2, 'two, better'],
          [5, ' five '],
        ]),
      },
      'batch-1.json',
    );
    assert.deepEqual(second, { added: 1, replaced: 2, unchanged: 0, keptUser: 0, skippedProvisional: 0 });
    assert.deepEqual(
      readLabelStore(path).saes.get(SAE),
      new Map([
        [0, { text: 'zero', kind: 'imported', source: 'batch-1.json' }],
        [1, { text: 'user label', kind: 'user' }],
        [2, { text: 'two, better', kind: 'imported', source: 'batch-1.json' }],
        [5, { text: 'five', kind: 'imported', source: 'batch-1.json' }],
      ]),
    );
  });

  test('an import that changes nothing does not write (and does not create a file)', () => {
    const path = workspace();
    assert.deepEqual(importIntoLabelStore(path, SAE, { labels: new Map() }, 'neuronpedia'), { added: 0, replaced: 0, unchanged: 0, keptUser: 0, skippedProvisional: 0 });
    assert.equal(existsSync(path), false);
    importIntoLabelStore(path, SAE, { labels: new Map([[9, 'nine']]) }, 'neuronpedia');
    writeFileSync(path, readFileSync(path, 'utf8').replace('\n}\n', '\n, "x": 1}\n')); // hand-formatted: a rewrite would reformat it
    const before = readFileSync(path, 'utf8');
    assert.deepEqual(importIntoLabelStore(path, SAE, { labels: new Map([[9, 'nine']]) }, 'neuronpedia'), { added: 0, replaced: 0, unchanged: 1, keptUser: 0, skippedProvisional: 0 });
    assert.equal(readFileSync(path, 'utf8'), before);
  });

  test('sources of the export formats', () => {
    assert.equal(labelSourceOf('neuronpedia-jsonl'), 'neuronpedia');
    assert.equal(labelSourceOf('neuronpedia-json'), 'neuronpedia');
    assert.equal(labelSourceOf('saedashboard'), 'saedashboard');
  });
});

describe('saeLabelKey', () => {
  const config = (fields: Partial<SaeConfig>) => ({ config: { hookName: 'blocks.6.hook_resid_pre', ...fields } as SaeConfig });

  test('the Neuronpedia id of a loaded SAELens SAE', () => {
    const written = writeSaeLensV6(join(temp.dir, 'sae'), { architecture: 'standard', hookName: 'blocks.1.hook_resid_pre', dIn: 8, dSae: 4 });
    assert.equal(saeLabelKey(loadSae(written.path)), 'gpt2-tiny/blocks.1.hook_resid_pre');
  });

  test('without an id: model name and hook, "unknown-model", and the head of a per-head SAE', () => {
    assert.equal(saeLabelKey(config({ neuronpediaId: 'gpt2-small/6-res-jb', modelName: 'gpt2' })), 'gpt2-small/6-res-jb');
    assert.equal(saeLabelKey(config({ modelName: 'gpt2' })), 'gpt2/blocks.6.hook_resid_pre');
    assert.equal(saeLabelKey(config({ neuronpediaId: '' })), 'unknown-model/blocks.6.hook_resid_pre');
    assert.equal(saeLabelKey(config({ modelName: 'gpt2', hookName: 'blocks.2.attn.hook_z', hookHeadIndex: 3 })), 'gpt2/blocks.2.attn.hook_z/head3');
  });

  test('the default SAEs (no Neuronpedia id) key on the default model name', () => {
    assert.equal(saeLabelKey(loadSae(join(__dirname, '..', '..', 'media', 'default', 'saes', 'blocks.2.hook_resid_post'))), 'mechlens-default/blocks.2.hook_resid_post');
  });
});
