import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MechLensError } from '../../src/engine/errors';
import { DecoderNeighbours, nearestByDecoderCosine, type DecoderNeighbour } from '../../src/engine/labels/decoderNeighbours';
import type { Decoder } from '../../src/engine/labels/logitEffects';

function decoderOfRows(rows: number[][], path = '/x/sae'): Decoder {
  return { W_dec: Float32Array.from(rows.flat()), dSae: rows.length, dOut: rows[0].length, path };
}

/** Every other feature's cosine in float64, sorted most similar first (ties: smaller index), cut to k. */
function bruteForce(decoder: Decoder, index: number, k: number): DecoderNeighbour[] {
  const { W_dec, dSae, dOut } = decoder;
  const row = (f: number) => Array.from(W_dec.subarray(f * dOut, (f + 1) * dOut), Number);
  const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const q = row(index);
  const all: DecoderNeighbour[] = [];
  for (let f = 0; f < dSae; f++) {
    if (f === index) continue;
    const r = row(f);
    const denominator = norm(q) * norm(r);
    all.push({ index: f, cosine: denominator === 0 ? 0 : q.reduce((a, x, j) => a + x * r[j], 0) / denominator });
  }
  return all.sort((a, b) => b.cosine - a.cosine || a.index - b.index).slice(0, k);
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randomDecoder(dSae: number, dOut: number, seed: number): Decoder {
  const random = seeded(seed);
  return { W_dec: Float32Array.from({ length: dSae * dOut }, random), dSae, dOut };
}

function assertSameNeighbours(actual: DecoderNeighbour[], expected: DecoderNeighbour[]): void {
  assert.deepEqual(
    actual.map((n) => n.index),
    expected.map((n) => n.index),
  );
  actual.forEach((n, i) => assert.ok(Math.abs(n.cosine - expected[i].cosine) <= 1e-12, `cosine ${n.cosine} vs ${expected[i].cosine}`));
}

describe('decoder neighbours', () => {
  test('hand-made directions: parallel, 45°, orthogonal, zero and opposite rows, in that order', () => {
    const decoder = decoderOfRows([
      [1, 0, 0],
      [2, 0, 0], // cosine 1
      [-3, 0, 0], // −1
      [0, 5, 0], // 0
      [0, 0, 0], // zero norm: 0
      [1, 1, 0], // 1/√2
    ]);
    const nearest = new DecoderNeighbours(decoder).nearest(0, 5);
    assert.deepEqual(
      nearest.map((n) => n.index),
      [1, 5, 3, 4, 2],
    );
    assert.deepEqual(
      nearest.map((n) => n.cosine),
      [1, Math.fround(1) / Math.SQRT2, 0, 0, -1],
    );
    assert.deepEqual(new DecoderNeighbours(decoder).nearest(1, 2), [
      { index: 0, cosine: 1 },
      { index: 5, cosine: 1 / Math.SQRT2 },
    ]);
  });

  test('a zero row has cosine 0 with every feature (never NaN); ties go to the smaller index', () => {
    const decoder = decoderOfRows([
      [1, 2],
      [0, 0],
      [3, -1],
      [-2, 0.5],
    ]);
    assert.deepEqual(new DecoderNeighbours(decoder).nearest(1, 3), [
      { index: 0, cosine: 0 },
      { index: 2, cosine: 0 },
      { index: 3, cosine: 0 },
    ]);
    const nanFree = new DecoderNeighbours(decoderOfRows([[0, 0], [0, 0], [NaN, 1]])).nearest(0, 2);
    assert.deepEqual(nanFree, [
      { index: 1, cosine: 0 },
      { index: 2, cosine: 0 },
    ]);
  });

  test('a random decoder equals the float64 brute force for many features and k', () => {
    const decoder = randomDecoder(300, 37, 11);
    const neighbours = new DecoderNeighbours(decoder);
    for (const index of [0, 1, 17, 150, 299]) {
      for (const k of [1, 5, 40, 299]) assertSameNeighbours(neighbours.nearest(index, k), bruteForce(decoder, index, k));
    }
  });

  test('k is capped at the other features; k 0 and a one-feature SAE give none', () => {
    const decoder = randomDecoder(6, 4, 2);
    assertSameNeighbours(new DecoderNeighbours(decoder).nearest(2, 100), bruteForce(decoder, 2, 5));
    assert.deepEqual(new DecoderNeighbours(decoder).nearest(2, 0), []);
    assert.deepEqual(new DecoderNeighbours(randomDecoder(1, 4, 2)).nearest(0, 3), []);
  });

  test('bad features, k and shapes are errors naming the SAE', () => {
    const neighbours = new DecoderNeighbours(randomDecoder(6, 4, 2));
    for (const index of [-1, 6, 1.5]) assert.throws(() => neighbours.nearest(index, 2), /out of range \(d_sae 6\)/);
    for (const k of [-1, 2.5, NaN]) assert.throws(() => neighbours.nearest(0, k), /non-negative integer/);
    assert.throws(
      () => new DecoderNeighbours({ W_dec: new Float32Array(10), dSae: 3, dOut: 4, path: '/x/sae' }),
      (e: unknown) => e instanceof MechLensError && e.file === '/x/sae' && /W_dec has 10 values, not d_sae 3 × d_out 4/.test(e.message),
    );
    assert.throws(() => new DecoderNeighbours({ W_dec: new Float32Array(0), dSae: 0, dOut: 0 }), MechLensError);
  });

  test('nearestByDecoderCosine caches per W_dec and notices a different shape over the same array', () => {
    const decoder = randomDecoder(60, 10, 5);
    assertSameNeighbours(nearestByDecoderCosine(decoder, 3, 7), bruteForce(decoder, 3, 7));
    assertSameNeighbours(nearestByDecoderCosine({ ...decoder }, 4, 7), bruteForce(decoder, 4, 7));
    const reshaped: Decoder = { W_dec: decoder.W_dec, dSae: 30, dOut: 20 };
    assertSameNeighbours(nearestByDecoderCosine(reshaped, 3, 7), bruteForce(reshaped, 3, 7));
  });

  test('a GPT-2-small-sized decoder (24576 × 768) answers a query in well under a second', () => {
    const decoder = randomDecoder(24576, 768, 9);
    const neighbours = new DecoderNeighbours(decoder);
    const times: number[] = [];
    for (const index of [0, 12000, 24575]) {
      const started = performance.now();
      assert.equal(neighbours.nearest(index, 10).length, 10);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    // ~20–40 ms on an idle core; the bound leaves room for a busy shared machine.
    assert.ok(times[1] < 500, `median query ${times[1].toFixed(0)} ms`);
  });
});
