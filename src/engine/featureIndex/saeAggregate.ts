import { BIN_COUNT, binOf } from './histogramBins';
import { windowLength, type IndexSettings } from './indexSettings';
import { RankedLists, samplePriority, type WindowSource } from './rankedLists';

/** Rows of one chunk's SAE activations: [rows, dSae], row r being document token `firstPos + r`. */
export interface ChunkActivations {
  doc: number;
  firstPos: number;
  rows: number;
  dense: Float32Array;
}

/**
 * Everything the index keeps of one SAE's features, in memory while scanning: per feature a
 * histogram of its positive activations on fixed log bins, their sum, its top examples and a
 * uniform random sample of its examples (lowest hash priorities), each with a context window.
 */
export class SaeAggregate {
  readonly histogram: Uint32Array;
  readonly sum: Float64Array;
  readonly top: RankedLists;
  readonly samples: RankedLists;
  /** Features changed since the last commit. */
  readonly dirty: Uint8Array;

  constructor(
    readonly dSae: number,
    readonly settings: IndexSettings,
  ) {
    this.histogram = new Uint32Array(dSae * BIN_COUNT);
    this.sum = new Float64Array(dSae);
    this.top = new RankedLists(dSae, settings.topKept, windowLength(settings));
    this.samples = new RankedLists(dSae, settings.samplesKept, windowLength(settings));
    this.dirty = new Uint8Array(dSae);
  }

  count(f: number): number {
    let total = 0;
    for (let b = 0; b < BIN_COUNT; b++) total += this.histogram[f * BIN_COUNT + b];
    return total;
  }

  /**
   * Whether edited files took examples out of the feature's top list that only a rebuild can
   * bring back: fewer exact examples than would be shown, and fewer than the feature has.
   */
  isPartial(f: number, shown: number): boolean {
    const exact = this.top.exactCount(f);
    return exact < shown && exact < this.count(f);
  }

  /** Adds a chunk's activations (context windows stay within the chunk). */
  add(chunk: ChunkActivations): void {
    const { dense, rows, doc, firstPos } = chunk;
    const d = this.dSae;
    const source: WindowSource = { dense, rows, features: d, row: 0, before: this.settings.windowBefore };
    for (let r = 0; r < rows; r++) {
      const rowBase = r * d;
      source.row = r;
      for (let f = 0; f < d; f++) {
        const a = dense[rowBase + f];
        if (!(a > 0)) continue;
        this.histogram[f * BIN_COUNT + binOf(a)]++;
        this.sum[f] += a;
        this.dirty[f] = 1;
        const pos = firstPos + r;
        this.top.offer(f, -a, doc, pos, a, source);
        this.samples.offer(f, samplePriority(doc, pos, f), doc, pos, a, source);
      }
    }
  }

  /** Takes a removed document's chunk out of the histogram and sum (its examples go with removeDocuments). */
  subtract(chunk: ChunkActivations): void {
    const { dense, rows } = chunk;
    const d = this.dSae;
    for (let r = 0; r < rows; r++) {
      for (let f = 0; f < d; f++) {
        const a = dense[r * d + f];
        if (!(a > 0)) continue;
        const at = f * BIN_COUNT + binOf(a);
        // A removed document's activations were added when it was scanned; recomputing them gives the same bins.
        if (this.histogram[at] > 0) this.histogram[at]--;
        this.sum[f] -= a;
        this.dirty[f] = 1;
      }
    }
  }

  removeDocuments(docs: ReadonlySet<number>): void {
    for (let f = 0; f < this.dSae; f++) {
      const changedTop = this.top.removeDocuments(f, docs);
      const changedSamples = this.samples.removeDocuments(f, docs);
      if (changedTop || changedSamples) this.dirty[f] = 1;
    }
  }
}
