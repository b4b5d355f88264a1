import { constants } from 'node:buffer';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { fileError } from '../../errors';
import { float16ToFloat32 } from '../../model/floatConversion';
import { openRegularFile } from '../../files';

/**
 * Strict readers of NumPy's .npy arrays (numpy.lib.format) and .npz archives (a ZIP of
 * `key.npy` entries, STORED by savez, DEFLATE by savez_compressed, ZIP64 records as Python's
 * zipfile writes them). Every length and offset is checked against the file before it is used.
 */

export type NpyDescr = '<f4' | '<f8' | '<f2';
const ITEM_BYTES: Record<NpyDescr, number> = { '<f4': 4, '<f8': 8, '<f2': 2 };

export interface NpyArray {
  descr: NpyDescr;
  shape: number[];
  /** The values as float32 (f8 and f2 are converted), C order. */
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses one .npy file's bytes; `where` names it in errors (e.g. "entry W_enc.npy"). */
export function parseNpy(bytes: Uint8Array, file: string, where: string): NpyArray {
  const fail = (message: string) => fileError(file, `${where}: ${message}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('not a .npy array (no \\x93NUMPY magic)');
  const major = bytes[6];
  if (major < 1 || major > 3) throw fail(`.npy format version ${major}.${bytes[7]} is not supported (1, 2 or 3)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw fail('truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > bytes.length) throw fail(`header length ${headerLength} runs past the end of the array (${bytes.length} bytes)`);
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset + 8 + lengthBytes, headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const header = parseHeaderDict(headerText, fail);
  const descr = header.descr;
  if (typeof descr !== 'string' || !(descr in ITEM_BYTES)) {
    throw fail(`dtype ${JSON.stringify(descr)} is not supported (supported: ${Object.keys(ITEM_BYTES).join(', ')})`);
  }
  if (header.fortran_order !== false) throw fail(`fortran_order ${header.fortran_order === true ? 'True' : JSON.stringify(header.fortran_order)} is not supported: save the array in C order`);
  const shape = header.shape;
  if (!Array.isArray(shape)) throw fail(`shape must be a tuple of integers, got ${JSON.stringify(shape)}`);
  const itemBytes = ITEM_BYTES[descr as NpyDescr];
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - dataStart !== count * itemBytes) {
    throw fail(`shape (${shape.join(', ')}) of ${descr} needs ${count * itemBytes} bytes of data, but the array holds ${bytes.length - dataStart}`);
  }
  const raw = new Uint8Array(bytes.subarray(dataStart)); // a fresh, aligned copy (Buffer.slice would be a view)
  const data =
    descr === '<f4' ? new Float32Array(raw.buffer, 0, count)
    : descr === '<f8' ? Float32Array.from(new Float64Array(raw.buffer, 0, count))
    : float16ToFloat32(new Uint16Array(raw.buffer, 0, count));
  return { descr: descr as NpyDescr, shape, data };
}

type HeaderValue = string | boolean | number[];

/** The header is a Python dict literal of strings, booleans and integer tuples: parse exactly that. */
function parseHeaderDict(text: string, fail: (m: string) => Error): Record<string, HeaderValue> {
  let i = 0;
  const skip = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const expect = (c: string) => {
    skip();
    if (text[i] !== c) throw fail(`malformed header ${JSON.stringify(text.trim())}: expected ${JSON.stringify(c)} at character ${i}`);
    i++;
  };
  const string = (): string => {
    skip();
    const quote = text[i];
    if (quote !== "'" && quote !== '"') throw fail(`malformed header ${JSON.stringify(text.trim())}: expected a string at character ${i}`);
    const end = text.indexOf(quote, i + 1);
    if (end < 0) throw fail(`malformed header ${JSON.stringify(text.trim())}: unterminated string`);
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const value = (): HeaderValue => {
    skip();
    if (text.startsWith('True', i)) return (i += 4), true;
    if (text.startsWith('False', i)) return (i += 5), false;
    if (text[i] !== '(') return string();
    i++;
    const dims: number[] = [];
    for (skip(); text[i] !== ')'; skip()) {
      const match = /^\d+/.exec(text.slice(i));
      if (!match) throw fail(`malformed header ${JSON.stringify(text.trim())}: shape entries must be integers`);
      dims.push(Number(match[0]));
      i += match[0].length;
      skip();
      if (text[i] === ',') i++;
      else if (text[i] !== ')') throw fail(`malformed header ${JSON.stringify(text.trim())}: expected , or ) in the shape`);
    }
    i++;
    return dims;
  };
  const dict: Record<string, HeaderValue> = {};
  expect('{');
  for (skip(); text[i] !== '}'; skip()) {
    const key = string();
    expect(':');
    dict[key] = value();
    skip();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw fail(`malformed header ${JSON.stringify(text.trim())}: expected , or } at character ${i}`);
  }
  i++;
  if (text.slice(i).trim() !== '') throw fail(`malformed header ${JSON.stringify(text.trim())}: text after the dict`);
  for (const key of ['descr', 'fortran_order', 'shape']) if (!(key in dict)) throw fail(`header has no ${key}`);
  return dict;
}

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

/** An .npz archive: its central directory is read on open, arrays one at a time on demand. */
export class NpzFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  static open(path: string): NpzFile {
    const fd = openRegularFile(path);
    try {
      return new NpzFile(path, fd, readCentralDirectory(path, fd));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Array names: entry names without ".npy". */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  read(name: string): NpyArray {
    const entry = this.entries.get(name);
    if (!entry) throw fileError(this.path, `no array named ${name} (it has ${this.names().join(', ') || 'none'})`);
    const where = `entry ${entry.name}`;
    const local = readAt(this.path, this.fd, entry.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw fileError(this.path, `${where}: no local file header at offset ${entry.localOffset} (corrupt archive)`);
    const dataStart = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (Math.max(entry.compressedSize, entry.size) > constants.MAX_LENGTH) throw fileError(this.path, `${where}: ${entry.size} bytes is more than this Node.js can hold in one buffer`);
    const compressed = readAt(this.path, this.fd, dataStart, entry.compressedSize);
    let bytes: Buffer;
    if (entry.method === 0) {
      bytes = compressed;
    } else {
      try {
        bytes = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size) });
      } catch (e) {
        throw fileError(this.path, `${where}: cannot inflate (${(e as Error).message})`);
      }
    }
    if (bytes.length !== entry.size) throw fileError(this.path, `${where}: holds ${bytes.length} bytes, but the directory says ${entry.size}`);
    if (crc32(bytes) !== entry.crc) throw fileError(this.path, `${where}: CRC-32 mismatch (corrupt archive)`);
    return parseNpy(bytes, this.path, where);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readAt(path: string, fd: number, position: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) throw fileError(path, `truncated: the file ends before byte ${position + length}`);
    done += n;
  }
  return out;
}

function readCentralDirectory(path: string, fd: number): Map<string, ZipEntry> {
  const size = fstatSync(fd).size;
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = readAt(path, fd, size - tailLength, tailLength);
  let at = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) === tailLength) {
      at = i;
      break;
    }
  }
  if (at < 0) throw fileError(path, 'not a ZIP archive (no end-of-central-directory record): not an .npz file, or truncated');
  const eocdOffset = size - tailLength + at;
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) throw fileError(path, 'multi-disk ZIP archives are not supported');
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
    if (eocdOffset < 20) throw fileError(path, 'ZIP64 archive without a ZIP64 locator (corrupt archive)');
    const locator = readAt(path, fd, eocdOffset - 20, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw fileError(path, 'ZIP64 archive without a ZIP64 locator (corrupt archive)');
    const recordOffset = Number(locator.readBigUInt64LE(8));
    if (recordOffset + 56 > eocdOffset) throw fileError(path, 'ZIP64 end record lies outside the file (corrupt archive)');
    const record = readAt(path, fd, recordOffset, 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD) throw fileError(path, 'no ZIP64 end-of-central-directory record where the locator points (corrupt archive)');
    count = Number(record.readBigUInt64LE(32));
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > eocdOffset) throw fileError(path, `central directory [${cdOffset}, ${cdOffset + cdSize}) lies outside the archive (truncated or corrupt)`);
  const cd = readAt(path, fd, cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw fileError(path, `central directory entry ${n} is malformed (corrupt archive)`);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const end = p + 46 + nameLength + extraLength + cd.readUInt16LE(p + 32);
    if (end > cd.length) throw fileError(path, `central directory entry ${n} runs past the directory (corrupt archive)`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    const entry: ZipEntry = {
      name,
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64Extra(path, entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    if (cd.readUInt16LE(p + 8) & 1) throw fileError(path, `entry ${name}: encrypted entries are not supported`);
    if (entry.method !== 0 && entry.method !== 8) throw fileError(path, `entry ${name}: compression method ${entry.method} is not supported (STORED or DEFLATE)`);
    if (entry.method === 0 && entry.compressedSize !== entry.size) throw fileError(path, `entry ${name}: STORED entry with different stored and real sizes (corrupt archive)`);
    if (entry.localOffset + 30 + entry.compressedSize > cdOffset) throw fileError(path, `entry ${name}: its data lies outside the archive (truncated or corrupt)`);
    if (name.endsWith('.npy')) entries.set(name.slice(0, -4), entry);
    p = end;
  }
  return entries;
}

/** Fields stored as 0xFFFFFFFF in the central directory are in the ZIP64 extra field (id 1), in this order. */
function applyZip64Extra(path: string, entry: ZipEntry, extra: Buffer): void {
  const wanted = (['size', 'compressedSize', 'localOffset'] as const).filter((f) => entry[f] === U32_MAX);
  if (wanted.length === 0) return;
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 1) {
      if (length < 8 * wanted.length || p + 4 + length > extra.length) break;
      wanted.forEach((f, i) => (entry[f] = Number(extra.readBigUInt64LE(p + 4 + 8 * i))));
      return;
    }
    p += 4 + length;
  }
  throw fileError(path, `entry ${entry.name}: sizes marked ZIP64 but no ZIP64 extra field (corrupt archive)`);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, as ZIP uses it). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
