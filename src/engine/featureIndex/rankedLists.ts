/**
 * For every feature of an SAE, a list of at most `capacity` examples ordered by a rank key (smaller
 * first; ties by document, then position), each with the feature's activations around it. Top
 * contexts rank by −activation, random samples by a hash priority.
 *
 * The list is exact above its floor: the best-ranked example known to exist that is not kept (it
 * was turned away or pushed out when the list was full). Examples ranked better than the floor are
 * exactly the corpus's best; when an edited file's examples are removed, the list shrinks and the
 * examples that would replace them are not known until a rebuild, so only the part above the
 * floor is shown as exact. All of this is independent of the order documents are scanned in.
 */
import { float16ToFloat32, toFloat16 } from '../model/floatConversion';

export interface RankedEntry {
  key: number;
  doc: number;
  pos: number;
  activation: number;
  window: Float32Array;
}

/** Where a kept example's window is read from: a chunk's dense activations [rows, features] and the example's row. */
export interface WindowSource {
  dense: Float32Array;
  rows: number;
  features: number;
  row: number;
  /** Window positions before the example's row. */
  before: number;
}

/** Writes the window of feature f around source.row into target[offset…] as float16 bits, 0 outside the chunk. */
export function fillWindow(source: WindowSource, f: number, target: Uint16Array, offset: number, length: number): void {
  const { dense, rows, features, row, before } = source;
  for (let i = 0; i < length; i++) {
    const r = row - before + i;
    target[offset + i] = r >= 0 && r < rows ? toFloat16(dense[r * features + f]) : 0;
  }
}

/** An example as stored: its window as float16 bits. */
export type StoredEntry = Omit<RankedEntry, 'window'> & { window: Uint16Array };

export class RankedLists {
  readonly length: Uint16Array;
  private readonly key: Float64Array;
  private readonly doc: Uint32Array;
  private readonly pos: Uint32Array;
  private readonly act: Float32Array;
  /** Windows as float16 bits (3 significant digits shade tokens well; half the memory of float32). */
  private readonly win: Uint16Array;
  private readonly hasFloor: Uint8Array;
  private readonly floorKey: Float64Array;
  private readonly floorDoc: Uint32Array;
  private readonly floorPos: Uint32Array;

  constructor(
    readonly features: number,
    readonly capacity: number,
    readonly windowLength: number,
  ) {
    this.length = new Uint16Array(features);
    this.key = new Float64Array(features * capacity);
    this.doc = new Uint32Array(features * capacity);
    this.pos = new Uint32Array(features * capacity);
    this.act = new Float32Array(features * capacity);
    this.win = new Uint16Array(features * capacity * windowLength);
    this.hasFloor = new Uint8Array(features);
    this.floorKey = new Float64Array(features);
    this.floorDoc = new Uint32Array(features);
    this.floorPos = new Uint32Array(features);
  }

  /** Offers an example; its window is read from `source` when it is kept. Returns whether the list changed. */
  offer(f: number, key: number, doc: number, pos: number, activation: number, source: WindowSource): boolean {
    const base = f * this.capacity;
    let n = this.length[f];
    if (n === this.capacity) {
      const last = base + n - 1;
      if (compare(key, doc, pos, this.key[last], this.doc[last], this.pos[last]) >= 0) {
        this.raiseFloor(f, key, doc, pos);
        return false;
      }
      this.raiseFloor(f, this.key[last], this.doc[last], this.pos[last]);
      n--;
    }
    // Insertion point by binary search, then shift the worse entries down one slot.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(this.key[base + mid], this.doc[base + mid], this.pos[base + mid], key, doc, pos) < 0) lo = mid + 1;
      else hi = mid;
    }
    const at = base + lo;
    this.key.copyWithin(at + 1, at, base + n);
    this.doc.copyWithin(at + 1, at, base + n);
    this.pos.copyWithin(at + 1, at, base + n);
    this.act.copyWithin(at + 1, at, base + n);
    const w = this.windowLength;
    this.win.copyWithin((at + 1) * w, at * w, (base + n) * w);
    this.key[at] = key;
    this.doc[at] = doc;
    this.pos[at] = pos;
    this.act[at] = activation;
    fillWindow(source, f, this.win, at * w, w);
    this.length[f] = n + 1;
    return true;
  }

  /** Removes the examples of the given documents; returns whether any were removed. */
  removeDocuments(f: number, docs: ReadonlySet<number>): boolean {
    const base = f * this.capacity;
    const n = this.length[f];
    const w = this.windowLength;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (docs.has(this.doc[base + i])) continue;
      if (kept !== i) {
        const from = base + i;
        const to = base + kept;
        this.key[to] = this.key[from];
        this.doc[to] = this.doc[from];
        this.pos[to] = this.pos[from];
        this.act[to] = this.act[from];
        this.win.copyWithin(to * w, from * w, (from + 1) * w);
      }
      kept++;
    }
    this.length[f] = kept;
    return kept !== n;
  }

  /** How many of the kept examples rank above the floor (the exact part of the list). */
  exactCount(f: number): number {
    if (!this.hasFloor[f]) return this.length[f];
    const base = f * this.capacity;
    let count = 0;
    while (count < this.length[f] && compare(this.key[base + count], this.doc[base + count], this.pos[base + count], this.floorKey[f], this.floorDoc[f], this.floorPos[f]) < 0) count++;
    return count;
  }

  entry(f: number, i: number): RankedEntry {
    return { ...this.fields(f, i), window: float16ToFloat32(this.windowBits(f, i)) };
  }

  /** Example i without its window (no conversion, no copy of the window). */
  fields(f: number, i: number): Omit<RankedEntry, 'window'> {
    const at = f * this.capacity + i;
    return { key: this.key[at], doc: this.doc[at], pos: this.pos[at], activation: this.act[at] };
  }

  /** Example i's window as stored (float16 bits), a view. */
  windowBits(f: number, i: number): Uint16Array {
    const at = f * this.capacity + i;
    return this.win.subarray(at * this.windowLength, (at + 1) * this.windowLength);
  }

  entries(f: number): RankedEntry[] {
    return Array.from({ length: this.length[f] }, (_, i) => this.entry(f, i));
  }

  floor(f: number): { key: number; doc: number; pos: number } | undefined {
    return this.hasFloor[f] ? { key: this.floorKey[f], doc: this.floorDoc[f], pos: this.floorPos[f] } : undefined;
  }

  /** Replaces one feature's list (when loading a stored index). Entries must be in rank order; windows are float16 bits. */
  set(f: number, entries: readonly StoredEntry[], floor: { key: number; doc: number; pos: number } | undefined): void {
    if (entries.length > this.capacity) throw new Error(`a stored list of ${entries.length} examples exceeds the capacity ${this.capacity}`);
    const base = f * this.capacity;
    entries.forEach((e, i) => {
      this.key[base + i] = e.key;
      this.doc[base + i] = e.doc;
      this.pos[base + i] = e.pos;
      this.act[base + i] = e.activation;
      this.win.set(e.window, (base + i) * this.windowLength);
    });
    this.length[f] = entries.length;
    this.hasFloor[f] = floor ? 1 : 0;
    if (floor) {
      this.floorKey[f] = floor.key;
      this.floorDoc[f] = floor.doc;
      this.floorPos[f] = floor.pos;
    }
  }

  private raiseFloor(f: number, key: number, doc: number, pos: number): void {
    if (this.hasFloor[f] && compare(key, doc, pos, this.floorKey[f], this.floorDoc[f], this.floorPos[f]) >= 0) return;
    this.hasFloor[f] = 1;
    this.floorKey[f] = key;
    this.floorDoc[f] = doc;
    this.floorPos[f] = pos;
  }
}

/** Negative when (key, doc, pos) a ranks before b. */
export function compare(aKey: number, aDoc: number, aPos: number, bKey: number, bDoc: number, bPos: number): number {
  return aKey - bKey || aDoc - bDoc || aPos - bPos;
}

/** A well-mixed 32-bit hash of (document, position, feature): the priority of an example in the random sample. */
export function samplePriority(doc: number, pos: number, feature: number): number {
  let h = Math.imul(doc ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((pos + 0x7f4a7c15) | 0, 0xc2b2ae35) ^ Math.imul((feature + 0x165667b1) | 0, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
