import { BIN_COUNT } from './histogramBins';
import type { RankedLists, StoredEntry } from './rankedLists';
import type { SaeAggregate } from './saeAggregate';

/**
 * One feature as stored: little-endian binary, written whole at each commit.
 *   f64 sum · u16 nonzero bins · (u16 bin, u32 count)* · top list · sample list
 * A list: u16 length · u8 has floor · (f64 key, u32 doc, u32 pos) floor · length × (f64 key, u32 doc, u32 pos, f32 activation, f16 × window)
 * Windows are stored as float16 (3 significant digits, enough to shade tokens).
 */
const RECORD_VERSION = 1;

export function encodeFeature(aggregate: SaeAggregate, f: number): Buffer {
  const bins: number[] = [];
  for (let b = 0; b < BIN_COUNT; b++) if (aggregate.histogram[f * BIN_COUNT + b] > 0) bins.push(b);
  const w = aggregate.top.windowLength;
  const listBytes = (lists: RankedLists) => 2 + 1 + 16 + lists.length[f] * (20 + 2 * w);
  const buffer = Buffer.alloc(1 + 8 + 2 + bins.length * 6 + listBytes(aggregate.top) + listBytes(aggregate.samples));
  let at = buffer.writeUInt8(RECORD_VERSION, 0);
  at = buffer.writeDoubleLE(aggregate.sum[f], at);
  at = buffer.writeUInt16LE(bins.length, at);
  for (const b of bins) {
    at = buffer.writeUInt16LE(b, at);
    at = buffer.writeUInt32LE(aggregate.histogram[f * BIN_COUNT + b], at);
  }
  for (const lists of [aggregate.top, aggregate.samples]) {
    at = buffer.writeUInt16LE(lists.length[f], at);
    const floor = lists.floor(f);
    at = buffer.writeUInt8(floor ? 1 : 0, at);
    at = buffer.writeDoubleLE(floor?.key ?? 0, at);
    at = buffer.writeUInt32LE(floor?.doc ?? 0, at);
    at = buffer.writeUInt32LE(floor?.pos ?? 0, at);
    for (let i = 0; i < lists.length[f]; i++) {
      const e = lists.fields(f, i);
      at = buffer.writeDoubleLE(e.key, at);
      at = buffer.writeUInt32LE(e.doc, at);
      at = buffer.writeUInt32LE(e.pos, at);
      at = buffer.writeFloatLE(e.activation, at);
      for (const half of lists.windowBits(f, i)) at = buffer.writeUInt16LE(half, at);
    }
  }
  return buffer;
}

/** Loads a stored feature into the aggregate (replacing what it held for that feature). */
export function decodeFeature(aggregate: SaeAggregate, f: number, buffer: Uint8Array): void {
  const data = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (data.readUInt8(0) !== RECORD_VERSION) throw new Error(`feature record version ${data.readUInt8(0)} is not ${RECORD_VERSION}`);
  let at = 1;
  aggregate.sum[f] = data.readDoubleLE(at);
  at += 8;
  aggregate.histogram.fill(0, f * BIN_COUNT, (f + 1) * BIN_COUNT);
  const bins = data.readUInt16LE(at);
  at += 2;
  for (let i = 0; i < bins; i++) {
    aggregate.histogram[f * BIN_COUNT + data.readUInt16LE(at)] = data.readUInt32LE(at + 2);
    at += 6;
  }
  const w = aggregate.top.windowLength;
  for (const lists of [aggregate.top, aggregate.samples]) {
    const length = data.readUInt16LE(at);
    const hasFloor = data.readUInt8(at + 2) === 1;
    const floor = hasFloor ? { key: data.readDoubleLE(at + 3), doc: data.readUInt32LE(at + 11), pos: data.readUInt32LE(at + 15) } : undefined;
    at += 19;
    const entries: StoredEntry[] = [];
    for (let i = 0; i < length; i++) {
      const halves = new Uint16Array(w);
      for (let j = 0; j < w; j++) halves[j] = data.readUInt16LE(at + 20 + 2 * j);
      entries.push({ key: data.readDoubleLE(at), doc: data.readUInt32LE(at + 8), pos: data.readUInt32LE(at + 12), activation: data.readFloatLE(at + 16), window: halves });
      at += 20 + 2 * w;
    }
    lists.set(f, entries, floor);
  }
}
