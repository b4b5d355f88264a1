import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { IndexStore, type IndexMeta } from '../../src/engine/featureIndex/indexStore';
import { tempDir } from '../fixtures/tempCheckpoint';

const meta: IndexMeta = { version: 1, fingerprint: 'f', nextDocument: 3, tokens: 42, documents: 3 };

async function storeWithData(path: string): Promise<void> {
  const store = new IndexStore(path);
  store.commit({ meta, files: new Map([['/a.txt', { size: 1, mtimeMs: 2, sha256: 'x', documents: [0], tokens: 42 }]]), documents: new Map(), features: new Map([[7, Buffer.alloc(5000, 3)]]) });
  await store.close();
}

test('compaction keeps every record and shrinks a file grown by rewrites', async () => {
  const temp = tempDir();
  try {
    const store = new IndexStore(join(temp.dir, 'index'));
    for (let i = 0; i < 40; i++) store.commit({ meta: { ...meta, tokens: i }, files: new Map(), documents: new Map(), features: new Map(Array.from({ length: 200 }, (_, f) => [f, Buffer.alloc(3000, (i + f) % 251)])) });
    const grown = store.sizes();
    const compacted = await store.compacted();
    const after = compacted.sizes();
    assert.ok(after.fileBytes < grown.fileBytes, `${after.fileBytes} < ${grown.fileBytes}`);
    assert.equal(compacted.readMeta()?.tokens, 39);
    assert.deepEqual(compacted.readFeature(0, 5), Buffer.alloc(3000, (39 + 5) % 251));
    assert.equal([...compacted.featureRecords()].length, 200);
    await compacted.close();
  } finally {
    temp.cleanup();
  }
});

test('a compaction cut short by a crash is undone or finished on the next open', async () => {
  const temp = tempDir();
  try {
    const path = join(temp.dir, 'index');
    await storeWithData(path);
    // Crash after the first rename: only the old folder exists (and a partial copy).
    renameSync(path, `${path}.old`);
    mkdirSync(`${path}.compact`);
    const restored = new IndexStore(path);
    assert.deepEqual(restored.readMeta(), meta, 'the old store is back');
    assert.equal(existsSync(`${path}.old`) || existsSync(`${path}.compact`), false);
    await restored.close();
    // Crash after the second rename: the new folder is in place, the old one left over.
    mkdirSync(`${path}.old`);
    const finished = new IndexStore(path);
    assert.equal(finished.readFile('/a.txt')?.tokens, 42);
    assert.equal(existsSync(`${path}.old`), false);
    await finished.close();
  } finally {
    temp.cleanup();
  }
});
