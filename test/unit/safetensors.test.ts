/**
 * Tests for the safetensors reader (src/engine/model/safetensors.ts) and the weight files of a
 * checkpoint folder, single or sharded (src/engine/model/weightFiles.ts): every corrupt file
 * gives a one-line MechLensError naming the file and the field or tensor.
 * Run: node --import tsx --test test/unit/safetensors.test.ts
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_HEADER_BYTES, SafetensorsFile } from '../../src/engine/model/safetensors';
import { encodeSafetensors, writeSafetensors, type TensorToWrite } from '../../src/engine/model/safetensorsWriter';
import { SHARD_INDEX, SINGLE_FILE, WeightFiles } from '../../src/engine/model/weightFiles';
import { bytesOf, rawSafetensors, throwsUserError, truncateFile } from '../fixtures/corruptFiles';
import { tempDir } from '../fixtures/tempCheckpoint';

const temp = tempDir('mechlens-safetensors-');
after(() => temp.cleanup());
let counter = 0;

/** Writes `content` to a fresh file in the temporary folder and returns its path. */
function fileWith(content: Uint8Array, name = `t${counter++}.safetensors`): string {
  const path = join(temp.dir, name);
  writeFileSync(path, content);
  return path;
}

/** Opens, runs `fn`, and closes. */
function withFile<T>(path: string, fn: (file: SafetensorsFile) => T): T {
  const file = SafetensorsFile.open(path);
  try {
    return fn(file);
  } finally {
    file.close();
  }
}

/** Bit-exact comparison of float32 arrays (NaN and -0 included). */
function assertSameFloats(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  assert.deepEqual(Buffer.from(bytesOf(actual)), Buffer.from(bytesOf(expected)), `${label}: ${[...actual]} !== ${[...expected]}`);
}

const f32 = (...values: number[]): TensorToWrite => ({ dtype: 'F32', shape: [values.length], data: Float32Array.from(values) });

describe('SafetensorsFile: valid files', () => {
  test('F32 round trip is bit exact, with metadata and shapes', () => {
    const a = Float32Array.of(1, -2.5, 3.14159, 1e-40, -0, Infinity, NaN, 3.4028234663852886e38);
    const b = Float32Array.from({ length: 6 }, (_, i) => i * 0.1 - 0.3);
    const path = fileWith(encodeSafetensors({ a: { dtype: 'F32', shape: [8], data: a }, 'layer.b': { dtype: 'F32', shape: [2, 3], data: b } }, { format: 'pt', note: 'x' }));
    withFile(path, (file) => {
      assert.deepEqual([...file.tensors.keys()].sort(), ['a', 'layer.b']);
      assert.deepEqual(file.metadata, { format: 'pt', note: 'x' });
      assert.deepEqual(file.get('layer.b')?.shape, [2, 3]);
      assert.equal(file.get('layer.b')?.dtype, 'F32');
      assert.equal(file.get('a')?.byteLength, 32);
      assertSameFloats(file.readFloat32('a'), a, 'a');
      assertSameFloats(file.readFloat32('layer.b'), b, 'layer.b');
      assert.deepEqual(Buffer.from(file.readBytes('a')), Buffer.from(bytesOf(a)));
    });
  });

  test('F16 known bit patterns read as their values', () => {
    const bits = Uint16Array.of(0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000, 0xfc00);
    const path = fileWith(encodeSafetensors({ h: { dtype: 'F16', shape: [7], data: bits } }));
    withFile(path, (file) => {
      assert.equal(file.get('h')?.byteLength, 14);
      assertSameFloats(file.readFloat32('h'), Float32Array.of(1, -2, 0.5, 65504, 2 ** -24, 0, -Infinity), 'h');
    });
  });

  test('BF16 known bit patterns read as their values', () => {
    const bits = Uint16Array.of(0x3f80, 0xc000, 0x3f00, 0x4049, 0x7f7f, 0x0001, 0xbe20);
    const path = fileWith(encodeSafetensors({ b: { dtype: 'BF16', shape: [7], data: bits } }));
    const expected = Float32Array.of(1, -2, 0.5, 3.140625, (2 - 2 ** -7) * 2 ** 127, 2 ** -133, -0.15625);
    withFile(path, (file) => assertSameFloats(file.readFloat32('b'), expected, 'b'));
  });

  test('F64 is read as float32 (rounded)', () => {
    const values = Float64Array.of(1.5, 0.1, -1e-3, 123456789.123, 1e300);
    const path = fileWith(encodeSafetensors({ d: { dtype: 'F64', shape: [5], data: values } }));
    withFile(path, (file) => assertSameFloats(file.readFloat32('d'), Float32Array.from(values), 'd'));
    assert.equal(Float32Array.from(values)[4], Infinity, 'test premise: 1e300 overflows float32');
  });

  test('zero-size tensors and scalars', () => {
    const path = fileWith(
      encodeSafetensors({
        empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
        emptyHalf: { dtype: 'F16', shape: [3, 0], data: new Uint16Array(0) },
        scalar: { dtype: 'F32', shape: [], data: Float32Array.of(42) },
        z: f32(5, 6),
      }),
    );
    withFile(path, (file) => {
      assert.equal(file.readFloat32('empty').length, 0);
      assert.equal(file.readFloat32('emptyHalf').length, 0);
      assert.deepEqual(file.get('empty')?.shape, [0, 4]);
      assert.deepEqual([...file.readFloat32('scalar')], [42]);
      assert.deepEqual(file.get('scalar')?.shape, []);
      assert.deepEqual([...file.readFloat32('z')], [5, 6]);
    });
  });

  test('the writer pads the header to a multiple of 8 bytes, and the reader accepts padding', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = encodeSafetensors({ [name]: f32(7) });
      const headerLength = Number(bytes.readBigUInt64LE(0));
      assert.equal((8 + headerLength) % 8, 0, `${name}: data starts at ${8 + headerLength}`);
      withFile(fileWith(bytes), (file) => assert.deepEqual([...file.readFloat32(name)], [7]));
    }
    // Hand-written: 13 spaces of padding, tensors listed out of data order, and a gap-free data section.
    const data = Buffer.concat([bytesOf(Float32Array.of(1, 2)), bytesOf(Float32Array.of(3))]);
    const header = `${JSON.stringify({ second: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, first: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } })}${' '.repeat(13)}`;
    withFile(fileWith(rawSafetensors(header, data)), (file) => {
      assert.deepEqual([...file.readFloat32('first')], [1, 2]);
      assert.deepEqual([...file.readFloat32('second')], [3]);
    });
  });

  test('integer tensors can be read as bytes but not as float32', () => {
    const path = fileWith(encodeSafetensors({ ids: { dtype: 'I32', shape: [2], data: Int32Array.of(1, -1) } }));
    withFile(path, (file) => {
      assert.deepEqual([...new Int32Array(file.readBytes('ids').buffer)], [1, -1]);
      throwsUserError(() => file.readFloat32('ids'), [path, 'tensor ids', 'I32']);
    });
  });
});

describe('SafetensorsFile: corrupt files', () => {
  const valid = () => encodeSafetensors({ 'h.0.weight': f32(1, 2, 3, 4), 'h.1.weight': f32(5, 6) }, { format: 'pt' });

  test('a missing file', () => {
    const path = join(temp.dir, 'missing.safetensors');
    throwsUserError(() => SafetensorsFile.open(path), [path, 'cannot open', 'ENOENT']);
  });

  test('a file shorter than the 8-byte header length', () => {
    for (const size of [0, 1, 7]) {
      const path = fileWith(Buffer.alloc(size, 0x20));
      throwsUserError(() => SafetensorsFile.open(path), [path, 'truncated', `${size} bytes`, '8-byte']);
    }
  });

  test('a header length larger than the file', () => {
    const path = fileWith(rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), 1000n));
    const size = readFileSync(path).length;
    throwsUserError(() => SafetensorsFile.open(path), [path, 'header length 1000', 'larger than the file', `${size} bytes`]);
    // A valid file cut inside its header.
    const cut = fileWith(valid().subarray(0, 30));
    throwsUserError(() => SafetensorsFile.open(cut), [cut, 'header length', 'larger than the file (30 bytes)']);
  });

  test('a header length above the 100 MB limit', () => {
    for (const length of [BigInt(MAX_HEADER_BYTES) + 1n, 2n ** 40n, 2n ** 64n - 1n]) {
      const path = fileWith(rawSafetensors('{}', new Uint8Array(0), length));
      throwsUserError(() => SafetensorsFile.open(path), [path, `header length ${length}`, 'exceeds', String(MAX_HEADER_BYTES)]);
    }
  });

  test('a header that is not JSON', () => {
    for (const header of ['{"a": ', 'not json at all', '\u0000\u0001\u0002\u0003']) {
      const path = fileWith(rawSafetensors(header));
      throwsUserError(() => SafetensorsFile.open(path), [path, 'header is not valid JSON']);
    }
  });

  test('a header that is JSON but not an object', () => {
    for (const header of ['[1, 2]', '[]', 'null', '42', '"text"']) {
      const path = fileWith(rawSafetensors(header));
      throwsUserError(() => SafetensorsFile.open(path), [path, 'header is not a JSON object']);
    }
  });

  test('a header entry that is not an object', () => {
    const path = fileWith(rawSafetensors({ 'h.0.weight': 'F32' }));
    throwsUserError(() => SafetensorsFile.open(path), [path, 'tensor h.0.weight', 'not an object']);
  });

  test('an unknown dtype', () => {
    for (const dtype of ['F7', 'float32', 7, null]) {
      const path = fileWith(rawSafetensors({ 'h.0.weight': { dtype, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
      throwsUserError(() => SafetensorsFile.open(path), [path, 'tensor h.0.weight', 'unknown dtype', JSON.stringify(dtype), 'F32, F16']);
    }
    const missing = fileWith(rawSafetensors({ 'h.0.weight': { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
    throwsUserError(() => SafetensorsFile.open(missing), [missing, 'tensor h.0.weight', 'unknown dtype']);
  });

  test('a shape that is not a list of non-negative integers', () => {
    for (const shape of [[2.5], ['2'], [-1], [1, null], 4, null, [Number.MAX_SAFE_INTEGER * 2]]) {
      const path = fileWith(rawSafetensors({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, new Uint8Array(4)));
      throwsUserError(() => SafetensorsFile.open(path), [path, 'tensor w', 'shape must be an array of non-negative integers', `got ${JSON.stringify(shape)}`]);
    }
  });

  test('data_offsets that are not two non-negative integers, or end before they begin', () => {
    for (const offsets of [[0], [0, 4, 8], [-4, 0], [0, 4.5], ['0', '4'], null]) {
      const path = fileWith(rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, new Uint8Array(8)));
      throwsUserError(() => SafetensorsFile.open(path), [path, 'tensor w', 'data_offsets must be two non-negative integers']);
    }
    const backwards = fileWith(rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, new Uint8Array(8)));
    throwsUserError(() => SafetensorsFile.open(backwards), [backwards, 'tensor w', 'data_offsets [8, 4]', 'end before they begin']);
  });

  test('data_offsets outside the data section: a truncated file', () => {
    const path = fileWith(valid());
    truncateFile(path, 3);
    // Keys are written sorted, so h.1.weight holds the last bytes of the data section.
    throwsUserError(() => SafetensorsFile.open(path), [path, 'tensor h.1.weight', 'data_offsets [16, 24]', 'outside the data section (21 bytes)', 'truncated']);
    const wholeTensorGone = fileWith(valid());
    truncateFile(wholeTensorGone, 8);
    throwsUserError(() => SafetensorsFile.open(wholeTensorGone), [wholeTensorGone, 'tensor h.1.weight', 'outside the data section (16 bytes)']);
  });

  test('data_offsets far past the end of the file', () => {
    const path = fileWith(rawSafetensors({ w: { dtype: 'U8', shape: [4], data_offsets: [2 ** 40, 2 ** 40 + 4] } }, new Uint8Array(4)));
    throwsUserError(() => SafetensorsFile.open(path), [path, 'tensor w', 'outside the data section (4 bytes)']);
  });

  test('overlapping tensors', () => {
    const data = new Uint8Array(12);
    const path = fileWith(rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, data));
    throwsUserError(() => SafetensorsFile.open(path), [path, 'tensors a and b overlap']);
    const same = fileWith(rawSafetensors({ b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, data));
    throwsUserError(() => SafetensorsFile.open(same), [same, 'overlap', /tensors (a and b|b and a) overlap/]);
    const inside = fileWith(rawSafetensors({ big: { dtype: 'U8', shape: [12], data_offsets: [0, 12] }, small: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } }, data));
    throwsUserError(() => SafetensorsFile.open(inside), [inside, 'big', 'small', 'overlap']);
  });

  test('adjacent tensors and zero-size tensors at the same offset do not overlap', () => {
    const data = bytesOf(Float32Array.of(1, 2, 3));
    const path = fileWith(
      rawSafetensors(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
          e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
        },
        data,
      ),
    );
    withFile(path, (file) => {
      assert.deepEqual([...file.readFloat32('a')], [1, 2]);
      assert.deepEqual([...file.readFloat32('b')], [3]);
      assert.equal(file.readFloat32('e').length, 0);
    });
  });

  test('data_offsets that span a different size than shape × dtype', () => {
    const path = fileWith(rawSafetensors({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12)));
    throwsUserError(() => SafetensorsFile.open(path), [path, 'tensor w', 'span 8 bytes', 'shape [3] of F32 needs 12']);
    const half = fileWith(rawSafetensors({ w: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 16] } }, new Uint8Array(16)));
    throwsUserError(() => SafetensorsFile.open(half), [half, 'tensor w', 'span 16 bytes', 'shape [2, 2] of F16 needs 8']);
  });

  test('__metadata__ that is not an object of strings', () => {
    const path = fileWith(rawSafetensors({ __metadata__: { format: 'pt', total: 1 }, w: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)));
    throwsUserError(() => SafetensorsFile.open(path), [path, '__metadata__.total must be a string']);
    for (const metadata of ['pt', ['pt'], null]) {
      const bad = fileWith(rawSafetensors({ __metadata__: metadata }));
      throwsUserError(() => SafetensorsFile.open(bad), [bad, '__metadata__ must be an object of strings']);
    }
  });

  test('reading a tensor name that does not exist', () => {
    const path = fileWith(valid());
    withFile(path, (file) => {
      throwsUserError(() => file.readFloat32('h.2.weight'), [path, 'no tensor named h.2.weight']);
      throwsUserError(() => file.readBytes('__metadata__'), [path, 'no tensor named __metadata__']);
    });
  });

  test('a file that shrinks after it was opened fails on read, not with garbage', () => {
    const path = fileWith(valid());
    withFile(path, (file) => {
      writeFileSync(path, readFileSync(path).subarray(0, 8 + Number(readFileSync(path).readBigUInt64LE(0)) + 4));
      throwsUserError(() => file.readFloat32('h.1.weight'), [path, 'tensor h.1.weight', 'file ended']);
    });
  });
});

describe('WeightFiles', () => {
  /** A checkpoint folder inside its own parent, so that files beside it lie outside it. */
  function folder(): string {
    const dir = join(temp.dir, `ckpt${counter++}`, 'model');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  const tensorsA = { 'h.0.w': f32(1, 2), 'h.0.b': f32(3) };
  const tensorsB = { 'h.1.w': f32(4, 5, 6), 'ln_f.b': { dtype: 'F16', shape: [1], data: Uint16Array.of(0xc000) } as TensorToWrite };
  const weightMap = { 'h.0.w': 'model-00001-of-00002.safetensors', 'h.0.b': 'model-00001-of-00002.safetensors', 'h.1.w': 'model-00002-of-00002.safetensors', 'ln_f.b': 'model-00002-of-00002.safetensors' };

  function sharded(map: Record<string, unknown> = weightMap): string {
    const dir = folder();
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), tensorsA);
    writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), tensorsB);
    writeFileSync(join(dir, SHARD_INDEX), JSON.stringify({ metadata: { total_size: 28 }, weight_map: map }));
    return dir;
  }

  function withWeights<T>(dir: string, fn: (files: WeightFiles) => T): T {
    const files = WeightFiles.open(dir);
    try {
      return fn(files);
    } finally {
      files.close();
    }
  }

  test('a single model.safetensors', () => {
    const dir = folder();
    writeSafetensors(join(dir, SINGLE_FILE), tensorsA);
    withWeights(dir, (files) => {
      assert.deepEqual(files.names().sort(), ['h.0.b', 'h.0.w']);
      assert.deepEqual([...files.readFloat32('h.0.w')], [1, 2]);
      assert.equal(files.pathOf('h.0.w'), join(dir, SINGLE_FILE));
    });
  });

  test('sharded weights: every tensor of every shard is read from its shard', () => {
    const dir = sharded();
    withWeights(dir, (files) => {
      assert.deepEqual(files.names().sort(), ['h.0.b', 'h.0.w', 'h.1.w', 'ln_f.b']);
      assert.deepEqual([...files.readFloat32('h.0.w')], [1, 2]);
      assert.deepEqual([...files.readFloat32('h.0.b')], [3]);
      assert.deepEqual([...files.readFloat32('h.1.w')], [4, 5, 6]);
      assert.deepEqual([...files.readFloat32('ln_f.b')], [-2]);
      assert.deepEqual(files.info('h.1.w')?.shape, [3]);
      assert.equal(files.pathOf('h.1.w'), join(dir, 'model-00002-of-00002.safetensors'));
      assert.equal(files.pathOf('h.0.b'), join(dir, 'model-00001-of-00002.safetensors'));
    });
  });

  test('a missing shard file: the error names the shard', () => {
    const dir = sharded({ ...weightMap, 'h.1.w': 'model-00003-of-00003.safetensors' });
    throwsUserError(() => WeightFiles.open(dir), [join(dir, 'model-00003-of-00003.safetensors'), 'cannot open']);
  });

  test('a weight_map entry whose tensor is not in the named shard', () => {
    const dir = sharded({ ...weightMap, 'h.1.w': 'model-00001-of-00002.safetensors' });
    throwsUserError(() => WeightFiles.open(dir), [join(dir, SHARD_INDEX), 'weight_map.h.1.w', 'tensor not found in model-00001-of-00002.safetensors']);
  });

  test('a shard path that escapes the folder is refused, even when the file exists', () => {
    for (const escape of ['../x.safetensors', '/etc/passwd', '..', 'sub/../../x.safetensors']) {
      const dir = sharded({ ...weightMap, 'h.1.w': escape });
      writeSafetensors(join(dir, '..', 'x.safetensors'), { 'h.1.w': f32(9, 9, 9) });
      throwsUserError(() => WeightFiles.open(dir), [join(dir, SHARD_INDEX), 'weight_map.h.1.w', JSON.stringify(escape), 'not a file inside the checkpoint folder']);
    }
    const notString = sharded({ ...weightMap, 'h.1.w': 7 });
    throwsUserError(() => WeightFiles.open(notString), [join(notString, SHARD_INDEX), 'weight_map.h.1.w', 'not a file inside']);
  });

  test('a corrupt shard: the error names the shard file', () => {
    const dir = sharded();
    truncateFile(join(dir, 'model-00002-of-00002.safetensors'), 2);
    throwsUserError(() => WeightFiles.open(dir), [join(dir, 'model-00002-of-00002.safetensors'), 'tensor ', 'outside the data section']);
  });

  test('a malformed index', () => {
    const dir = sharded();
    const index = join(dir, SHARD_INDEX);
    writeFileSync(index, '{"weight_map": {');
    throwsUserError(() => WeightFiles.open(dir), [index, 'not valid JSON']);
    for (const content of ['{}', '{"weight_map": []}', '{"weight_map": "model.safetensors"}', 'null', '[]']) {
      writeFileSync(index, content);
      throwsUserError(() => WeightFiles.open(dir), [index, 'weight_map must be an object']);
    }
  });

  test('a folder with neither model.safetensors nor an index', () => {
    const dir = folder();
    writeFileSync(join(dir, 'pytorch_model.bin'), 'not supported');
    throwsUserError(() => WeightFiles.open(dir), [dir, SINGLE_FILE, SHARD_INDEX, 'pytorch_model.bin']);
  });

  test('reading a tensor the checkpoint does not have', () => {
    const dir = sharded();
    withWeights(dir, (files) => {
      throwsUserError(() => files.readFloat32('h.9.w'), ['h.9.w']);
      assert.equal(files.info('h.9.w'), undefined);
    });
  });
});
