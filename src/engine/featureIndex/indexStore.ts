import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { TokenizedDocument } from './documentScan';

/** What the index knows of a corpus file: its stamp and content hash, its documents, or why it failed. */
export interface StoredFile {
  size: number;
  mtimeMs: number;
  sha256: string;
  documents: number[];
  tokens: number;
  failure?: string;
  skippedLines?: number;
}

export interface StoredDocument extends TokenizedDocument {
  file: string;
  line?: number;
}

export interface IndexMeta {
  version: number;
  /** What the index was built from and with; another fingerprint means another index. */
  fingerprint: string;
  nextDocument: number;
  tokens: number;
  documents: number;
}

const META_KEY = 'meta';

/**
 * The feature index on disk: an LMDB environment (one memory-mapped file, ACID transactions).
 * A commit writes the scanned files, their documents and every changed feature in one
 * transaction, so a crash or kill leaves the index as of the last commit and a restart rescans
 * only the files after it. Features are keyed by (SAE slot << 24 | feature index).
 */
export class IndexStore {
  private readonly root: RootDatabase;
  private readonly meta: Database<Buffer, string>;
  private readonly files: Database<Buffer, string>;
  private readonly documents: Database<Buffer, number>;
  private readonly features: Database<Buffer, number>;

  constructor(readonly path: string) {
    recoverSwap(path);
    mkdirSync(path, { recursive: true });
    this.root = open({ path, compression: true });
    this.meta = this.root.openDB({ name: 'meta', encoding: 'binary' });
    this.files = this.root.openDB({ name: 'files', encoding: 'binary' });
    this.documents = this.root.openDB({ name: 'documents', encoding: 'binary', keyEncoding: 'uint32' });
    this.features = this.root.openDB({ name: 'features', encoding: 'binary', keyEncoding: 'uint32' });
  }

  readMeta(): IndexMeta | undefined {
    const raw = this.meta.get(META_KEY);
    return raw ? (JSON.parse(raw.toString('utf8')) as IndexMeta) : undefined;
  }

  readFile(path: string): StoredFile | undefined {
    const raw = this.files.get(path);
    return raw ? (JSON.parse(raw.toString('utf8')) as StoredFile) : undefined;
  }

  filePaths(): string[] {
    return [...this.files.getKeys()].map(String);
  }

  readDocument(id: number): StoredDocument | undefined {
    const raw = this.documents.get(id);
    return raw ? decodeDocument(raw) : undefined;
  }

  readFeature(slot: number, index: number): Buffer | undefined {
    return this.features.get(featureKey(slot, index));
  }

  /** Writes everything of one commit atomically. */
  commit(change: { meta: IndexMeta; files: Map<string, StoredFile | undefined>; documents: Map<number, StoredDocument | undefined>; features: Map<number, Buffer> }): void {
    this.root.transactionSync(() => {
      for (const [path, file] of change.files) {
        if (file) this.files.putSync(path, Buffer.from(JSON.stringify(file)));
        else this.files.removeSync(path);
      }
      for (const [id, document] of change.documents) {
        if (document) this.documents.putSync(id, encodeDocument(document));
        else this.documents.removeSync(id);
      }
      for (const [key, record] of change.features) this.features.putSync(key, record);
      this.meta.putSync(META_KEY, Buffer.from(JSON.stringify(change.meta)));
    });
  }

  /** Every stored feature record, for tests and dumps: key → bytes. */
  *featureRecords(): Generator<[number, Buffer]> {
    for (const { key, value } of this.features.getRange()) yield [key, value];
  }

  /** Bytes of the data file, and of the pages its databases use (LMDB keeps freed pages in the file for reuse). */
  sizes(): { fileBytes: number; usedBytes: number } {
    type Stats = { pageSize: number; lastPageNumber: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
    const pages = (stats: Stats) => stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
    const root = this.root.getStats() as Stats;
    const used = [this.meta, this.files, this.documents, this.features].reduce((sum, db) => sum + pages(db.getStats() as Stats), pages(root));
    return { fileBytes: (root.lastPageNumber + 1) * root.pageSize, usedBytes: used * root.pageSize };
  }

  /**
   * A compacted copy replaces this store (each commit rewrites every changed feature, and LMDB's
   * file keeps the freed pages). The swap renames folders; a crash midway is recovered on the next
   * open (recoverSwap). Returns the new store; this one is closed.
   */
  async compacted(): Promise<IndexStore> {
    const copy = `${this.path}.compact`;
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy);
    await this.root.backup(copy, true);
    await this.close();
    const old = `${this.path}.old`;
    renameSync(this.path, old);
    renameSync(copy, this.path);
    rmSync(old, { recursive: true, force: true });
    return new IndexStore(this.path);
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}

/** Finishes or undoes a compaction swap a crash interrupted: the old folder comes back unless the compacted one is in place. */
function recoverSwap(path: string): void {
  const old = `${path}.old`;
  if (existsSync(old)) {
    if (existsSync(path)) rmSync(old, { recursive: true, force: true });
    else renameSync(old, path);
  }
  rmSync(`${path}.compact`, { recursive: true, force: true });
}

export function featureKey(slot: number, index: number): number {
  return slot * 2 ** 24 + index;
}

function encodeDocument(document: StoredDocument): Buffer {
  const header = Buffer.from(JSON.stringify({ file: document.file, line: document.line }));
  const n = document.ids.length;
  const buffer = Buffer.alloc(8 + header.length + 12 * n);
  buffer.writeUInt32LE(header.length, 0);
  buffer.writeUInt32LE(n, 4);
  header.copy(buffer, 8);
  const body = 8 + header.length;
  for (let i = 0; i < n; i++) {
    buffer.writeUInt32LE(document.ids[i], body + 4 * i);
    buffer.writeUInt32LE(document.starts[i], body + 4 * (n + i));
    buffer.writeUInt32LE(document.ends[i], body + 4 * (2 * n + i));
  }
  return buffer;
}

function decodeDocument(buffer: Buffer): StoredDocument {
  const headerLength = buffer.readUInt32LE(0);
  const n = buffer.readUInt32LE(4);
  const { file, line } = JSON.parse(buffer.toString('utf8', 8, 8 + headerLength)) as { file: string; line?: number };
  const body = 8 + headerLength;
  const read = (part: number) => Uint32Array.from({ length: n }, (_, i) => buffer.readUInt32LE(body + 4 * (part * n + i)));
  return { file, line, ids: read(0), starts: read(1), ends: read(2) };
}
