/**
 * Tests for the 16-bit float conversions (src/engine/model/floatConversion.ts).
 * Run: node --import tsx --test test/unit/floatConversion.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from '../../src/engine/model/floatConversion';

const half = (bits: number): number => float16ToFloat32(Uint16Array.of(bits))[0];
const toHalf = (value: number): number => float32ToFloat16(Float32Array.of(value))[0];
const bf16 = (bits: number): number => bfloat16ToFloat32(Uint16Array.of(bits))[0];
const toBf16 = (value: number): number => float32ToBfloat16(Float32Array.of(value))[0];
/** The float32 whose bit pattern is `bits`. */
const f32 = (bits: number): number => new Float32Array(Uint32Array.of(bits >>> 0).buffer)[0];
/** float32 arrays holding exact bit patterns (a NaN read into a JS number may lose its payload). */
const f32Bits = (...bits: number[]): Float32Array => new Float32Array(Uint32Array.from(bits, (b) => b >>> 0).buffer);
const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** Independent decoding of an IEEE half from its fields, for comparison. */
function halfFromFields(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction / 16777216;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

describe('float16ToFloat32', () => {
  test('decodes known bit patterns exactly', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3800, 0.5],
      [0x3c01, 1 + 2 ** -10],
      [0x7bff, 65504],
      [0xfbff, -65504],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x0400, 2 ** -14],
      [0x3555, 0.333251953125],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [bits, expected] of cases) assert.equal(half(bits), expected, hex(bits));
    assert.ok(Object.is(half(0x8000), -0), '0x8000 is -0');
  });

  test('exponent 31 with a non-zero fraction is NaN', () => {
    for (const bits of [0x7e00, 0x7c01, 0x7fff, 0xfe00, 0xfc01]) assert.ok(Number.isNaN(half(bits)), hex(bits));
  });

  test('every one of the 65536 halves decodes to its IEEE value', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const decoded = float16ToFloat32(all);
    assert.equal(decoded.length, 65536);
    for (let h = 0; h < 65536; h++) {
      const expected = halfFromFields(h);
      if (Number.isNaN(expected)) assert.ok(Number.isNaN(decoded[h]), hex(h));
      else assert.ok(Object.is(decoded[h], expected), `${hex(h)}: ${decoded[h]} !== ${expected}`);
    }
  });

  test('an empty array gives an empty array', () => {
    assert.equal(float16ToFloat32(new Uint16Array(0)).length, 0);
  });
});

describe('float32ToFloat16', () => {
  test('encodes exactly representable values to their bit patterns', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [-65504, 0xfbff],
      [2 ** -24, 0x0001],
      [-(2 ** -24), 0x8001],
      [2 ** -14, 0x0400],
      [1023 * 2 ** -24, 0x03ff],
      [0, 0x0000],
      [-0, 0x8000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) assert.equal(hex(toHalf(value)), hex(bits), String(value));
  });

  test('NaN stays NaN (quiet NaN 0x7e00)', () => {
    assert.equal(hex(toHalf(NaN)), hex(0x7e00));
    // Float32 NaNs whose payload lies only in the low bits must not become Infinity.
    const nans = f32Bits(0x7f800001, 0xff800001, 0x7f801fff, 0x7fc00000);
    assert.ok(nans.every(Number.isNaN));
    float32ToFloat16(nans).forEach((bits, i) => {
      assert.equal(bits & 0x7c00, 0x7c00, hex(bits));
      assert.notEqual(bits & 0x3ff, 0, `NaN ${i}: ${hex(bits)} is Infinity, not NaN`);
    });
  });

  test('rounds half to even among normal numbers', () => {
    const ulp = 2 ** -10; // spacing of halves in [1, 2)
    assert.equal(hex(toHalf(1 + ulp / 2)), hex(0x3c00), '1 + ulp/2: tie, rounds down to even 0x3c00');
    assert.equal(hex(toHalf(1 + (3 * ulp) / 2)), hex(0x3c02), '1 + 3ulp/2: tie, rounds up to even 0x3c02');
    assert.equal(hex(toHalf(1 + ulp / 2 + 2 ** -20)), hex(0x3c01), 'just above the tie rounds up');
    assert.equal(hex(toHalf(1 + ulp / 2 - 2 ** -20)), hex(0x3c00), 'just below the tie rounds down');
    assert.equal(hex(toHalf(-(1 + (3 * ulp) / 2))), hex(0xbc02), 'negative ties round to even too');
    // Rounding up that carries into the exponent: 2 - ulp/4 is nearer 2 than 2 - ulp/2.
    assert.equal(hex(toHalf(2 - 2 ** -12)), hex(0x4000));
  });

  test('rounds half to even among subnormals, and at the subnormal/normal boundary', () => {
    const tiny = 2 ** -24;
    assert.equal(hex(toHalf(tiny / 2)), hex(0x0000), '2^-25 is a tie between 0 and 2^-24: rounds to 0');
    assert.equal(hex(toHalf((tiny / 2) * 1.0000001)), hex(0x0001), 'just above 2^-25 rounds up');
    assert.equal(hex(toHalf(tiny / 4)), hex(0x0000), 'below half the smallest subnormal: 0');
    assert.equal(hex(toHalf(1.5 * tiny)), hex(0x0002), '1.5·2^-24: tie, rounds to even 2');
    assert.equal(hex(toHalf(2.5 * tiny)), hex(0x0002), '2.5·2^-24: tie, rounds to even 2');
    assert.equal(hex(toHalf(1023.5 * tiny)), hex(0x0400), 'largest subnormal + half: carries into the smallest normal');
    assert.equal(hex(toHalf(-(tiny / 2))), hex(0x8000), '-2^-25 rounds to -0');
    assert.equal(hex(toHalf(1e-30)), hex(0x0000));
  });

  test('overflows to Infinity past the largest half', () => {
    assert.equal(hex(toHalf(65519)), hex(0x7bff), '65519 is below the tie: 65504');
    assert.equal(hex(toHalf(65520)), hex(0x7c00), '65520 is the tie with 2^16: rounds to even, which is Infinity');
    assert.equal(hex(toHalf(65536)), hex(0x7c00));
    assert.equal(hex(toHalf(1e6)), hex(0x7c00));
    assert.equal(hex(toHalf(-1e6)), hex(0xfc00));
    assert.equal(hex(toHalf(3.4e38)), hex(0x7c00));
  });

  test('every half survives float32 and back (NaNs stay NaNs; their sign and payload are not kept)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) {
        assert.equal(back[h] & 0x7c00, 0x7c00, hex(h));
        assert.notEqual(back[h] & 0x3ff, 0, `${hex(h)} became Infinity`);
      } else if (back[h] !== h) {
        assert.fail(`${hex(h)} came back as ${hex(back[h])}`);
      }
    }
  });

  test('agrees with a brute-force nearest-half search on many float32 values', () => {
    // The finite non-negative halves in increasing order; index = bit pattern.
    const finite = Array.from({ length: 0x7c00 }, (_, h) => halfFromFields(h));
    const nearest = (x: number): number => {
      const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
      const a = Math.abs(x);
      if (a >= 65520) return sign | 0x7c00; // at or past the tie with 2^16
      let lo = 0;
      let hi = finite.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (finite[mid] <= a) lo = mid;
        else hi = mid;
      }
      if (finite[hi] <= a) lo = hi;
      if (finite[lo] === a || lo === finite.length - 1) return sign | lo;
      const up = lo + 1;
      const below = a - finite[lo];
      const above = finite[up] - a;
      if (below < above) return sign | lo;
      if (above < below) return sign | up;
      return sign | (lo % 2 === 0 ? lo : up);
    };
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state;
    };
    const values: number[] = [];
    for (let i = 0; i < 20000; i++) {
      // float32 bit patterns with exponents around the half range (2^-30 .. 2^17), both signs.
      const exponent = 97 + (random() % 48);
      const bits = ((random() & 1) << 31) | (exponent << 23) | (random() & 0x7fffff);
      values.push(f32(bits));
    }
    // Exact ties between neighbouring halves.
    for (let h = 0; h < 0x7bff; h += 97) values.push((finite[h] + finite[h + 1]) / 2);
    const encoded = float32ToFloat16(Float32Array.from(values));
    for (let i = 0; i < values.length; i++) {
      const x = Math.fround(values[i]);
      assert.equal(hex(encoded[i]), hex(nearest(x)), `float32 ${x}`);
    }
  });
});

describe('bfloat16', () => {
  test('decodes known bit patterns exactly', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc000, -2],
      [0x3f00, 0.5],
      [0x3f81, 1 + 2 ** -7],
      [0x4049, 3.140625],
      [0x7f7f, (2 - 2 ** -7) * 2 ** 127],
      [0x0001, 2 ** -133],
      [0x0080, 2 ** -126],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x0000, 0],
    ];
    for (const [bits, expected] of cases) assert.equal(bf16(bits), expected, hex(bits));
    assert.ok(Object.is(bf16(0x8000), -0));
    for (const bits of [0x7fc0, 0x7f81, 0xffc0]) assert.ok(Number.isNaN(bf16(bits)), hex(bits));
  });

  test('encodes exactly representable values to their bit patterns', () => {
    const cases: [number, number][] = [
      [1, 0x3f80],
      [-2, 0xc000],
      [0.5, 0x3f00],
      [3.140625, 0x4049],
      [2 ** -133, 0x0001],
      [Infinity, 0x7f80],
      [-Infinity, 0xff80],
      [-0, 0x8000],
    ];
    for (const [value, bits] of cases) assert.equal(hex(toBf16(value)), hex(bits), String(value));
  });

  test('rounds half to even', () => {
    assert.equal(hex(toBf16(f32(0x3f808000))), hex(0x3f80), '1 + 2^-8: tie, down to even');
    assert.equal(hex(toBf16(f32(0x3f818000))), hex(0x3f82), '1 + 3·2^-8: tie, up to even');
    assert.equal(hex(toBf16(f32(0x3f808001))), hex(0x3f81), 'just above the tie rounds up');
    assert.equal(hex(toBf16(f32(0x3f807fff))), hex(0x3f80), 'just below the tie rounds down');
    assert.equal(hex(toBf16(f32(0xbf818000))), hex(0xbf82), 'negative tie rounds to even');
    assert.equal(hex(toBf16(f32(0x3fffffff))), hex(0x4000), 'carry into the exponent');
  });

  test('overflows to Infinity past the largest bfloat16', () => {
    assert.equal(hex(toBf16(f32(0x7f7f7fff))), hex(0x7f7f), 'below the tie: the largest finite bfloat16');
    assert.equal(hex(toBf16(f32(0x7f7f8000))), hex(0x7f80), 'the tie with 2^128 rounds to even: Infinity');
    assert.equal(hex(toBf16(f32(0x7f7fffff))), hex(0x7f80), 'the largest float32 rounds to Infinity');
    assert.equal(hex(toBf16(f32(0xff7fffff))), hex(0xff80));
  });

  test('NaN stays NaN, even with a payload only in the low bits', () => {
    const nans = [0x7fc00000, 0x7f800001, 0xff800001, 0x7f80ffff, 0x7fffffff];
    const input = f32Bits(...nans);
    assert.equal(new Uint32Array(input.buffer)[1], 0x7f800001, 'test premise: the payload is kept in the array');
    float32ToBfloat16(input).forEach((out, i) => {
      assert.equal(out & 0x7f80, 0x7f80, hex(out));
      assert.notEqual(out & 0x7f, 0, `NaN ${nans[i].toString(16)} became Infinity (${hex(out)})`);
    });
  });

  test('every bfloat16 survives float32 and back', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToBfloat16(bfloat16ToFloat32(all));
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (isNaN) assert.ok(Number.isNaN(bf16(back[h])), hex(h));
      else if (back[h] !== h) assert.fail(`${hex(h)} came back as ${hex(back[h])}`);
    }
  });

  test('converts a subarray view (non-zero byteOffset) correctly', () => {
    const values = Float32Array.of(7, 1, -2, 0.5);
    const view = values.subarray(1);
    assert.deepEqual([...float32ToBfloat16(view)], [0x3f80, 0xc000, 0x3f00]);
    assert.deepEqual([...float32ToFloat16(view)], [0x3c00, 0xc000, 0x3800]);
  });
});
