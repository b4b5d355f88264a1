import { closeSync, fstatSync, readSync } from 'node:fs';
import { fileError } from '../errors';
import { openRegularFile } from '../files';
import { float16ToFloat32, bfloat16ToFloat32 } from './floatConversion';

/**
 * A hardened reader of the safetensors format (huggingface/safetensors):
 * u64 little-endian header length N, N bytes of JSON header, then the tensor bytes.
 * Every field of the header is checked against the file before any data is read,
 * and tensors are read one at a time, so a corrupt file gives a clear error, never a crash.
 */

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL'
  | 'F8_E4M3' | 'F8_E5M2';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

/** The format's own limit on the header (huggingface/safetensors: 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in the file. */
  readonly fileOffset: number;
  readonly byteLength: number;
}

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Opens and validates a file; reads only its header. */
  static open(path: string): SafetensorsFile {
    const fd = openRegularFile(path);
    try {
      const { tensors, metadata } = readHeader(path, fd);
      return new SafetensorsFile(path, fd, tensors, metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get(name: string): TensorInfo | undefined {
    return this.tensors.get(name);
  }

  /** The raw bytes of one tensor, in a fresh, suitably aligned buffer. */
  readBytes(name: string): Uint8Array {
    const info = this.require(name);
    const bytes = new Uint8Array(info.byteLength);
    let done = 0;
    while (done < info.byteLength) {
      const n = readSync(this.fd, bytes, done, info.byteLength - done, info.fileOffset + done);
      if (n === 0) throw fileError(this.path, `tensor ${name}: file ended while reading its data`);
      done += n;
    }
    return bytes;
  }

  /** One floating-point tensor as float32. F32 is read without conversion; F16, BF16 and F64 are converted. */
  readFloat32(name: string): Float32Array {
    const info = this.require(name);
    const bytes = this.readBytes(name);
    switch (info.dtype) {
      case 'F32':
        return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      case 'F16':
        return float16ToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2));
      case 'BF16':
        return bfloat16ToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2));
      case 'F64':
        return Float32Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8));
      default:
        throw fileError(this.path, `tensor ${name} has dtype ${info.dtype}; a floating-point dtype (F32, F16, BF16, F64) is needed`);
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private require(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw fileError(this.path, `no tensor named ${name}`);
    return info;
  }
}

function readHeader(path: string, fd: number): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw fileError(path, `truncated: ${fileSize} bytes, shorter than the 8-byte header length`);
  const lengthBytes = Buffer.alloc(8);
  readSync(fd, lengthBytes, 0, 8, 0);
  const headerLength = lengthBytes.readBigUInt64LE(0);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw fileError(path, `header length ${headerLength} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  }
  const n = Number(headerLength);
  if (8 + n > fileSize) {
    throw fileError(path, `header length ${n} is larger than the file (${fileSize} bytes): truncated or not a safetensors file`);
  }
  const headerBytes = Buffer.alloc(n);
  readSync(fd, headerBytes, 0, n, 8);
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch (e) {
    throw fileError(path, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw fileError(path, 'header is not a JSON object');
  }
  const dataStart = 8 + n;
  const dataLength = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(path, entry);
      continue;
    }
    tensors.set(name, parseEntry(path, name, entry, dataStart, dataLength));
  }
  checkNoOverlap(path, [...tensors.values()]);
  return { tensors, metadata };
}

function parseMetadata(path: string, entry: unknown): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw fileError(path, '__metadata__ must be an object of strings');
  }
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== 'string') throw fileError(path, `__metadata__.${key} must be a string`);
  }
  return entry as Record<string, string>;
}

function parseEntry(path: string, name: string, entry: unknown, dataStart: number, dataLength: number): TensorInfo {
  const where = `tensor ${name}`;
  if (typeof entry !== 'object' || entry === null) throw fileError(path, `${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw fileError(path, `${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fileError(path, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw fileError(path, `${where}: data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fileError(path, `${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) {
    throw fileError(path, `${where}: data_offsets [${begin}, ${end}] lie outside the data section (${dataLength} bytes): truncated file?`);
  }
  const elementBytes = DTYPE_BYTES[dtype as SafetensorsDtype];
  const expected = (shape as number[]).reduce((a, b) => a * b, 1) * elementBytes;
  if (end - begin !== expected) {
    throw fileError(path, `${where}: data_offsets span ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], fileOffset: dataStart + begin, byteLength: end - begin };
}

function checkNoOverlap(path: string, tensors: TensorInfo[]): void {
  const sorted = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.fileOffset - b.fileOffset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (current.fileOffset < previous.fileOffset + previous.byteLength) {
      throw fileError(path, `tensors ${previous.name} and ${current.name} overlap in the data section`);
    }
  }
}
