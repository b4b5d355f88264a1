import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IndexStatus } from '../../protocol/featureIndex';
import { MechLensError } from '../errors';
import type { HookedModel } from '../hookedModel';
import { modelIdentity } from '../patching/modelIdentity';
import type { SaeRunner } from '../sae/saeRunner';
import { fileStamp, readCorpusFile, sha256 } from './corpusFiles';
import { scanDocuments, tokenizeDocument } from './documentScan';
import { decodeFeature, encodeFeature } from './featureRecord';
import { DEFAULT_SETTINGS, type IndexSettings } from './indexSettings';
import { featureKey, IndexStore, type IndexMeta, type StoredDocument, type StoredFile } from './indexStore';
import { SaeAggregate } from './saeAggregate';

const INDEX_VERSION = 1;

type QueueItem = { path: string; remove: boolean };

/**
 * A feature index over a corpus of files for one model and its SAEs: per feature its activation
 * histogram, top examples and a random sample of examples with their contexts. plan() compares
 * the corpus with what is stored and queues new, changed and deleted files; step() works through
 * the queue for a time budget and commits. A killed scan restarts from its last commit; as
 * examples are ranked independently of scan order, it ends with the same index.
 */
export class FeatureIndex {
  private queue: QueueItem[] = [];
  private planned: string[] = [];
  private state: IndexStatus['state'];
  private readonly pendingFiles = new Map<string, StoredFile | undefined>();
  private readonly pendingDocuments = new Map<number, StoredDocument | undefined>();
  private meta: IndexMeta;
  private lastCommit = performance.now();
  /** Commits at most this often while scanning (each commit rewrites every changed feature); at the end of the queue always. */
  commitIntervalMs = 10_000;

  private constructor(
    readonly model: HookedModel,
    readonly saes: readonly SaeRunner[],
    readonly settings: IndexSettings,
    public store: IndexStore,
    private readonly fingerprint: string,
    readonly aggregates: SaeAggregate[],
  ) {
    this.meta = store.readMeta() ?? freshMeta(fingerprint);
    this.state = this.meta.documents > 0 ? 'ready' : 'empty';
  }

  /** Opens the index of this model and these SAEs under `storageDir` (a folder per fingerprint), loading what is stored. */
  static open(storageDir: string, model: HookedModel, saes: readonly SaeRunner[], settings: IndexSettings = DEFAULT_SETTINGS): FeatureIndex {
    if (saes.length === 0) throw new MechLensError('a feature index needs at least one SAE (load one with mechlens.sae.paths)');
    if (saes.length > 255) throw new MechLensError(`a feature index takes at most 255 SAEs, got ${saes.length}`);
    // Chunks never exceed the model's context (a small model gets shorter chunks).
    settings = { ...settings, chunkLength: Math.min(settings.chunkLength, model.config.nCtx) };
    if (!Number.isInteger(settings.chunkLength) || settings.chunkLength < 2) throw new MechLensError(`chunk length ${settings.chunkLength} must be at least 2 tokens`);
    const fingerprint = sha256(Buffer.from(JSON.stringify({ version: INDEX_VERSION, model: modelIdentity(model.dir), saes: saes.map((s) => saeIdentity(s)), settings })));
    const store = new IndexStore(join(storageDir, fingerprint.slice(0, 16)));
    const aggregates = saes.map((s) => new SaeAggregate(s.config.dSae, settings));
    const index = new FeatureIndex(model, saes, settings, store, fingerprint, aggregates);
    if (index.meta.fingerprint !== fingerprint) throw new MechLensError(`${store.path}: the stored index has another fingerprint; delete the folder to rebuild it`);
    aggregates.forEach((aggregate, slot) => {
      for (let f = 0; f < aggregate.dSae; f++) {
        const record = store.readFeature(slot, f);
        if (record) decodeFeature(aggregate, f, record);
      }
    });
    return index;
  }

  /**
   * Queues the corpus files that are new or changed since they were indexed (by size and
   * modification time; an unchanged hash is then not rescanned) and the indexed files that are
   * no longer in the corpus. `rebuild` deletes the stored index first (LMDB files never shrink, so
   * a rebuild starts a new file rather than emptying the old one).
   */
  async plan(files: readonly string[], options: { rebuild?: boolean } = {}): Promise<IndexStatus> {
    if (options.rebuild) await this.clear();
    this.planned = [...new Set(files.map((f) => resolve(f)))].sort();
    const wanted = new Set(this.planned);
    this.queue = [];
    for (const path of this.planned) {
      const stored = this.storedFile(path);
      let stamp: { size: number; mtimeMs: number } | undefined;
      try {
        stamp = fileStamp(path);
      } catch {
        stamp = undefined;
      }
      if (!stored || !stamp || stored.size !== stamp.size || stored.mtimeMs !== stamp.mtimeMs) this.queue.push({ path, remove: false });
    }
    for (const path of this.store.filePaths()) if (!wanted.has(path)) this.queue.push({ path, remove: true });
    this.state = this.queue.length > 0 ? 'scanning' : this.meta.documents > 0 ? 'ready' : 'empty';
    return this.status();
  }

  /** Works through the queue for about `budgetMs` (at least one file); commits every commitIntervalMs and at the end. */
  async step(budgetMs: number, signal?: AbortSignal): Promise<IndexStatus> {
    const start = performance.now();
    while (this.queue.length > 0 && !signal?.aborted) {
      const item = this.queue.shift()!;
      if (item.remove) await this.removeFile(item.path);
      else await this.scanFile(item.path);
      if (performance.now() - start >= budgetMs) break;
    }
    if (this.queue.length === 0 || signal?.aborted || performance.now() - this.lastCommit >= this.commitIntervalMs) this.commit();
    if (this.queue.length === 0) {
      this.state = this.meta.documents > 0 ? 'ready' : 'empty';
      await this.compactIfLoose();
    }
    return this.status();
  }

  /** Stops the scan; what was scanned is committed and stays. */
  cancel(): IndexStatus {
    if (this.queue.length > 0) this.state = 'cancelled';
    this.queue = [];
    this.commit();
    return this.status();
  }

  status(): IndexStatus {
    const failures: IndexStatus['failures'] = [];
    let done = 0;
    const queued = new Set(this.queue.map((q) => q.path));
    for (const path of this.planned) {
      const stored = this.storedFile(path);
      if (!stored || queued.has(path)) continue;
      done++;
      if (stored.failure) failures.push({ file: path, message: stored.failure });
    }
    let partialFeatures = 0;
    for (const aggregate of this.aggregates) {
      for (let f = 0; f < aggregate.dSae; f++) if (aggregate.isPartial(f, this.settings.topShown)) partialFeatures++;
    }
    return { state: this.state, filesTotal: this.planned.length, filesDone: done, failures, tokens: this.meta.tokens, documents: this.meta.documents, partialFeatures, storagePath: this.store.path };
  }

  get tokens(): number {
    return this.meta.tokens;
  }

  document(id: number): StoredDocument | undefined {
    return this.pendingDocuments.has(id) ? this.pendingDocuments.get(id) : this.store.readDocument(id);
  }

  async close(): Promise<void> {
    if (this.pendingFiles.size > 0 || this.pendingDocuments.size > 0) this.commit();
    await this.store.close();
  }

  /** At the end of a scan: a store file much larger than the pages it uses (1.5 × + 4 MB) is compacted. */
  private async compactIfLoose(): Promise<void> {
    const { fileBytes, usedBytes } = this.store.sizes();
    if (fileBytes > 1.5 * usedBytes + 4 * 2 ** 20) this.store = await this.store.compacted();
  }

  private storedFile(path: string): StoredFile | undefined {
    return this.pendingFiles.has(path) ? this.pendingFiles.get(path) : this.store.readFile(path);
  }

  private async scanFile(path: string): Promise<void> {
    const stored = this.storedFile(path);
    let stamp: { size: number; mtimeMs: number };
    try {
      stamp = fileStamp(path);
    } catch {
      await this.removeFile(path);
      return;
    }
    let corpus;
    try {
      corpus = readCorpusFile(path);
    } catch (e) {
      if (!(e instanceof MechLensError)) throw e;
      await this.removeFile(path);
      this.pendingFiles.set(path, { ...stamp, sha256: '', documents: [], tokens: 0, failure: e.message });
      return;
    }
    if (stored && !stored.failure && stored.sha256 === corpus.sha256) {
      this.pendingFiles.set(path, { ...stored, ...stamp });
      return;
    }
    await this.removeFile(path);
    const entry: StoredFile = { ...stamp, sha256: corpus.sha256, documents: [], tokens: 0, skippedLines: corpus.skippedLines.length || undefined };
    const scanned: Array<{ doc: number; ids: Uint32Array; stored: StoredDocument }> = [];
    for (const document of corpus.documents) {
      const tokens = tokenizeDocument(this.model, document.text);
      if (tokens.ids.length > 0) scanned.push({ doc: this.meta.nextDocument++, ids: tokens.ids, stored: { file: path, line: document.line, ...tokens } });
    }
    await scanDocuments(this.model, this.saes, scanned, this.settings.chunkLength, (slot, chunk) => this.aggregates[slot].add(chunk));
    for (const { doc, ids, stored } of scanned) {
      this.pendingDocuments.set(doc, stored);
      entry.documents.push(doc);
      entry.tokens += ids.length;
    }
    this.meta.tokens += entry.tokens;
    this.meta.documents += scanned.length;
    this.pendingFiles.set(path, entry);
  }

  /** Takes an indexed file out: its documents are recomputed from their stored tokens to subtract their counts. */
  private async removeFile(path: string): Promise<void> {
    const stored = this.storedFile(path);
    if (!stored) return;
    const removed: Array<{ doc: number; ids: Uint32Array }> = [];
    for (const id of stored.documents) {
      const document = this.document(id);
      if (document) removed.push({ doc: id, ids: document.ids });
    }
    // The same documents in the same order as when the file was scanned: the same batches, the same numbers.
    await scanDocuments(this.model, this.saes, removed, this.settings.chunkLength, (slot, chunk) => this.aggregates[slot].subtract(chunk));
    for (const { doc, ids } of removed) {
      this.pendingDocuments.set(doc, undefined);
      this.meta.tokens -= ids.length;
      this.meta.documents--;
    }
    for (const aggregate of this.aggregates) aggregate.removeDocuments(new Set(removed.map((d) => d.doc)));
    this.pendingFiles.set(path, undefined);
  }

  private commit(): void {
    const features = new Map<number, Buffer>();
    this.aggregates.forEach((aggregate, slot) => {
      for (let f = 0; f < aggregate.dSae; f++) {
        if (!aggregate.dirty[f]) continue;
        features.set(featureKey(slot, f), encodeFeature(aggregate, f));
        aggregate.dirty[f] = 0;
      }
    });
    this.store.commit({ meta: this.meta, files: this.pendingFiles, documents: this.pendingDocuments, features });
    this.pendingFiles.clear();
    this.pendingDocuments.clear();
    this.lastCommit = performance.now();
  }

  private async clear(): Promise<void> {
    const path = this.store.path;
    await this.store.close();
    rmSync(path, { recursive: true, force: true });
    this.store = new IndexStore(path);
    this.meta = freshMeta(this.fingerprint);
    this.aggregates.forEach((aggregate, slot) => (this.aggregates[slot] = new SaeAggregate(aggregate.dSae, this.settings)));
    this.pendingFiles.clear();
    this.pendingDocuments.clear();
  }
}

function freshMeta(fingerprint: string): IndexMeta {
  return { version: INDEX_VERSION, fingerprint, nextDocument: 0, tokens: 0, documents: 0 };
}

/** An SAE as far as the index is concerned: its hook, its weights and config files (name, size, modification time); label files do not count. */
function saeIdentity(runner: SaeRunner): unknown {
  const { path, hookName, hookHeadIndex, dSae } = runner.config;
  const stampOf = (file: string) => {
    const stat = statSync(file);
    return { file, size: stat.size, mtimeMs: Math.round(stat.mtimeMs) };
  };
  const files = statSync(path).isDirectory() ? readdirSync(path).filter((name) => name.endsWith('.safetensors') || name.endsWith('.json') && !name.includes('label')).sort().map((name) => stampOf(join(path, name))) : [stampOf(path)];
  return { path: resolve(path), hookName, hookHeadIndex, dSae, files };
}
