/**
 * The workspace labels file (`<workspace>/.mechlens/labels.json`, meant to be committed): the
 * labels users write and the labels they import, per SAE:
 *   {"version": 1, "saes": {"<saeKey>": {"<index>": {"text": "…", "kind": "user" | "imported", "source"?: "…"}}}}
 *
 * Reading checks every entry and names the bad key. Writing refuses a file it cannot read, so
 * nothing anyone wrote is dropped; unknown top-level keys, unknown fields of an entry and other
 * SAEs' entries are written back as they were. Writes are atomic (a temp file in the same folder,
 * then rename) and stable for clean diffs: SAE keys sorted, indices in numeric order, 2-space JSON
 * with a trailing newline.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileError, MechLensError } from '../errors';
import type { LoadedSae } from '../sae/sae';
import type { LabelExportFormat } from './importLabels';

export const LABEL_STORE_VERSION = 1;
/** The labels file, relative to a workspace folder. */
export const WORKSPACE_LABELS_FILE = join('.mechlens', 'labels.json');

export type StoredLabelKind = 'user' | 'imported';

export interface StoredLabel {
  text: string;
  kind: StoredLabelKind;
  /** For imported labels: "neuronpedia", "saedashboard" or the file they came from. */
  source?: string;
}

export interface LabelStore {
  path: string;
  /** Labels per SAE key (see saeLabelKey), then per feature index. Empty when the file does not exist. */
  saes: Map<string, Map<number, StoredLabel>>;
}

export interface LabelStoreImport {
  /** Features that had no label in the file. */
  added: number;
  /** Imported labels replaced by a different imported text. */
  replaced: number;
  /** Imported labels that were already there with the same text. */
  unchanged: number;
  /** Features with a user-written label, which an import never overwrites. */
  keptUser: number;
  /** Labels the export made from top tokens (SAEDashboard pos_str), not stored: MechLens makes its own provisional labels. */
  skippedProvisional: number;
}

/** The labels file of a workspace folder. */
export function workspaceLabelsFile(workspaceFolder: string): string {
  return join(workspaceFolder, WORKSPACE_LABELS_FILE);
}

/**
 * The key an SAE's labels are stored under: its Neuronpedia id (modelId/source, e.g.
 * gpt2-small/6-res-jb) when cfg.json has one, else `<model_name>/<hook_name>` from cfg.json's
 * metadata ("unknown-model" when it names no model), with `/head<i>` for an SAE of one attention
 * head. Two SAEs with neither an id nor a distinct hook (e.g. two widths on one hook) share a key.
 */
export function saeLabelKey(sae: Pick<LoadedSae, 'config'>): string {
  const { neuronpediaId, modelName, hookName, hookHeadIndex } = sae.config;
  if (neuronpediaId) return neuronpediaId;
  return `${modelName || 'unknown-model'}/${hookName}${hookHeadIndex === undefined ? '' : `/head${hookHeadIndex}`}`;
}

/** The store's source name for an export format. */
export function labelSourceOf(format: LabelExportFormat): string {
  return format === 'saedashboard' ? 'saedashboard' : 'neuronpedia';
}

/** Reads the labels file; a missing file is an empty store, anything malformed a MechLensError naming the key. */
export function readLabelStore(path: string): LabelStore {
  const document = readDocument(path);
  const saes = new Map<string, Map<number, StoredLabel>>();
  for (const [saeKey, entries] of Object.entries(document.saes)) {
    saes.set(saeKey, new Map(Object.entries(entries).map(([key, entry]) => [Number(key), storedLabel(entry)])));
  }
  return { path, saes };
}

/**
 * Sets a user label (trimmed); empty or whitespace text removes the feature's entry. Returns the
 * label now stored, or undefined when there is none. A malformed file is not written to.
 */
export function setLabel(path: string, saeKey: string, index: number, text: string): StoredLabel | undefined {
  checkSaeKey(saeKey);
  checkIndex(index);
  const document = readForWrite(path);
  const entries = document.saes[saeKey] ?? {};
  const key = String(index);
  const old = entries[key];
  const trimmed = text.trim();
  if (!trimmed) {
    if (!old) return undefined;
    delete entries[key];
  } else {
    if (old && old.kind === 'user' && old.text === trimmed && old.source === undefined) return storedLabel(old);
    // Unknown fields a person added to the entry are kept; the import source no longer applies.
    const entry: RawEntry = { ...old, text: trimmed, kind: 'user' };
    delete entry.source;
    entries[key] = entry;
  }
  putEntries(document, saeKey, entries);
  writeDocument(path, document);
  return trimmed ? storedLabel(entries[key]) : undefined;
}

/**
 * Stores imported labels under `source`. A user-written label is never overwritten; an imported
 * one is replaced by the new text. Features in `imported.provisional` are skipped (see
 * LabelStoreImport). The file is written only when something changed.
 */
export function importIntoLabelStore(
  path: string,
  saeKey: string,
  imported: { labels: ReadonlyMap<number, string>; provisional?: ReadonlySet<number> },
  source: string,
): LabelStoreImport {
  checkSaeKey(saeKey);
  source = source.trim();
  if (!source) throw new MechLensError('an import needs a source name (e.g. "neuronpedia")');
  const document = readForWrite(path);
  const entries = document.saes[saeKey] ?? {};
  const counts: LabelStoreImport = { added: 0, replaced: 0, unchanged: 0, keptUser: 0, skippedProvisional: 0 };
  for (const [index, rawText] of imported.labels) {
    checkIndex(index);
    const text = rawText.trim();
    if (!text) continue;
    if (imported.provisional?.has(index)) {
      counts.skippedProvisional++;
      continue;
    }
    const key = String(index);
    const old = entries[key];
    if (old?.kind === 'user') counts.keptUser++;
    else if (old && old.text === text && old.source === source) counts.unchanged++;
    else {
      counts[old ? 'replaced' : 'added']++;
      entries[key] = { ...old, text, kind: 'imported', source };
    }
  }
  if (counts.added + counts.replaced > 0) {
    putEntries(document, saeKey, entries);
    writeDocument(path, document);
  }
  return counts;
}

// ——— the document: validated, with unknown keys kept for writing back ———

/** An entry as it is in the file: the known fields checked, any others kept. */
type RawEntry = Record<string, unknown> & StoredLabel;

interface Document {
  /** Every top-level key, in file order (including version and saes). */
  top: Record<string, unknown>;
  saes: Record<string, Record<string, RawEntry>>;
}

function readDocument(path: string): Document {
  if (!existsSync(path)) return { top: { version: LABEL_STORE_VERSION, saes: {} }, saes: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    throw fileError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let top: unknown;
  try {
    top = JSON.parse(text);
  } catch (e) {
    throw fileError(path, `malformed JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(top)) throw fileError(path, 'malformed: not a JSON object');
  if (top.version !== LABEL_STORE_VERSION) {
    const newer = typeof top.version === 'number' && top.version > LABEL_STORE_VERSION;
    throw fileError(path, `"version" is ${JSON.stringify(top.version) ?? 'missing'}; ${newer ? 'this file was written by a newer MechLens' : `expected ${LABEL_STORE_VERSION}`}`);
  }
  const saes = top.saes ?? {};
  if (!isRecord(saes)) throw fileError(path, '"saes" is not an object');
  for (const [saeKey, entries] of Object.entries(saes)) {
    const where = `saes[${JSON.stringify(saeKey)}]`;
    if (!saeKey.trim() || saeKey === '__proto__') throw fileError(path, `${where}: an SAE key must not be empty (or __proto__)`);
    if (!isRecord(entries)) throw fileError(path, `${where} is not an object`);
    for (const [key, entry] of Object.entries(entries)) checkEntry(path, `${where}[${JSON.stringify(key)}]`, key, entry);
  }
  return { top, saes: saes as Document['saes'] };
}

function checkEntry(path: string, where: string, key: string, entry: unknown): asserts entry is RawEntry {
  if (!/^(0|[1-9]\d*)$/.test(key) || !Number.isSafeInteger(Number(key))) throw fileError(path, `${where}: the key is not a feature index (a non-negative integer without leading zeros)`);
  if (!isRecord(entry)) throw fileError(path, `${where} is not an object with "text" and "kind"`);
  if (typeof entry.text !== 'string' || !entry.text.trim()) throw fileError(path, `${where}.text is ${entry.text === undefined ? 'missing' : 'not a non-empty string'}`);
  if (entry.kind !== 'user' && entry.kind !== 'imported') throw fileError(path, `${where}.kind is ${JSON.stringify(entry.kind) ?? 'missing'}; expected "user" or "imported"`);
  if (entry.source !== undefined && (typeof entry.source !== 'string' || !entry.source.trim())) throw fileError(path, `${where}.source is not a non-empty string`);
}

/** Reads the document to change it; a file that does not read is never written over. */
function readForWrite(path: string): Document {
  try {
    return readDocument(path);
  } catch (e) {
    if (e instanceof MechLensError) throw new MechLensError(`${e.message} (MechLens will not change this file until it is fixed)`, path);
    throw e;
  }
}

function putEntries(document: Document, saeKey: string, entries: Record<string, RawEntry>): void {
  if (Object.keys(entries).length > 0) document.saes[saeKey] = entries;
  else delete document.saes[saeKey];
}

function storedLabel(entry: RawEntry): StoredLabel {
  return entry.source === undefined ? { text: entry.text, kind: entry.kind } : { text: entry.text, kind: entry.kind, source: entry.source };
}

/** The file's text: version first, then saes (SAE keys sorted, indices numeric), then other keys as they were. */
function formatDocument(document: Document): string {
  const saes: Record<string, Record<string, RawEntry>> = {};
  for (const saeKey of Object.keys(document.saes).sort()) {
    const entries = document.saes[saeKey];
    saes[saeKey] = {};
    for (const key of Object.keys(entries).sort((a, b) => Number(a) - Number(b))) saes[saeKey][key] = entries[key];
  }
  const others = { ...document.top };
  delete others.version;
  delete others.saes;
  return JSON.stringify({ version: LABEL_STORE_VERSION, saes, ...others }, null, 2) + '\n';
}

/** Writes a temp file in the same folder, flushes it, and renames it over the file: readers see the old file or the new one. */
function writeDocument(path: string, document: Document): void {
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(folder, { recursive: true });
    const fd = openSync(temp, 'wx');
    try {
      writeFileSync(fd, formatDocument(document));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // the temp file is only litter; the error below is what matters
    }
    throw fileError(path, `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)}); the file was not changed`);
  }
}

function checkSaeKey(saeKey: string): void {
  // __proto__ would set the prototype of the object written, not a key.
  if (!saeKey.trim() || saeKey === '__proto__') throw new MechLensError(`the SAE key ${JSON.stringify(saeKey)} is not usable: it must not be empty (or __proto__)`);
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new MechLensError(`feature index ${index} is not a non-negative integer`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
