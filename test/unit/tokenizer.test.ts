/**
 * Tests for TextTokenizer (src/engine/model/tokenizer.ts) on a random checkpoint's byte-level
 * BPE tokenizer.json: ids, decoding, and each token's character span in the input.
 * Run: node --import tsx --test test/unit/tokenizer.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TextTokenizer, type Token } from '../../src/engine/model/tokenizer';
import { bytesToUnicode, END_OF_TEXT } from '../../src/engine/synthetic/byteLevelTokenizer';
import { tempCheckpoint } from '../fixtures/tempCheckpoint';

let tokenizer: TextTokenizer;
const checkpoint = tempCheckpoint();
before(() => {
  tokenizer = TextTokenizer.load(checkpoint.dir);
});
after(() => checkpoint.cleanup());

const byteOfChar = new Map(bytesToUnicode().map((c, b) => [c, b]));

/** The UTF-8 bytes a byte-level token string stands for. */
function tokenBytes(id: number): Buffer {
  const token = tokenizer.tokenString(id);
  assert.ok(token !== undefined, `id ${id} has no token string`);
  if (token === END_OF_TEXT) return Buffer.from(token, 'utf8');
  return Buffer.from([...token].map((c) => byteOfChar.get(c)!));
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** What must hold of the spans of any text: in bounds, ordered, gap-free, covering the text, never splitting a surrogate pair. */
function assertSpansCover(text: string, tokens: Token[]): void {
  assert.ok(tokens.length > 0);
  const label = (i: number) => `${JSON.stringify(text)} token ${i} ${JSON.stringify(tokens[i])}`;
  assert.equal(tokens[0].span[0], 0, label(0));
  assert.equal(tokens[tokens.length - 1].span[1], text.length, label(tokens.length - 1));
  for (let i = 0; i < tokens.length; i++) {
    const [start, end] = tokens[i].span;
    assert.ok(Number.isInteger(start) && Number.isInteger(end), label(i));
    assert.ok(start >= 0 && end <= text.length && end >= start, label(i));
    for (const edge of [start, end]) assert.ok(edge === 0 || edge === text.length || !isHighSurrogate(text.charCodeAt(edge - 1)), `${label(i)} splits a surrogate pair`);
    if (i > 0) {
      const [prevStart, prevEnd] = tokens[i - 1].span;
      assert.ok(start >= prevStart, `${label(i)} starts before the previous token`);
      assert.ok(end >= prevEnd, `${label(i)} ends before the previous token`);
      assert.ok(start <= prevEnd, `${label(i)} leaves a gap after the previous token`);
    }
  }
  // Every character lies in some token's span.
  const covered = new Uint8Array(text.length);
  for (const { span } of tokens) covered.fill(1, span[0], span[1]);
  assert.equal(covered.indexOf(0), -1, `${JSON.stringify(text)}: character ${covered.indexOf(0)} is in no span`);
}

describe('TextTokenizer', () => {
  test('spans of an ASCII text slice the text back to each token', () => {
    const text = 'Hello world, the cat sat on the mat.\nMary gave John a book!  Twice?';
    const tokens = tokenizer.encode(text);
    assert.ok(tokens.length > 10);
    assert.ok(tokens.some((t) => t.text.length > 1), 'test premise: some tokens are merges of several bytes');
    for (const token of tokens) assert.equal(text.slice(token.span[0], token.span[1]), token.text, JSON.stringify(token));
    for (let i = 1; i < tokens.length; i++) assert.equal(tokens[i].span[0], tokens[i - 1].span[1], `token ${i} starts where token ${i - 1} ends`);
    assertSpansCover(text, tokens);
    assert.equal(tokens.map((t) => t.text).join(''), text);
  });

  test('token ids and texts agree with the vocabulary', () => {
    const tokens = tokenizer.encode(' the of and');
    assert.deepEqual(tokens.map((t) => t.text), [' the', ' of', ' and']);
    for (const token of tokens) {
      assert.equal(tokenizer.idOf(tokenizer.tokenString(token.id)!), token.id);
      assert.equal(tokenizer.decode([token.id]), token.text);
    }
    assert.deepEqual(tokens.map((t) => t.span), [[0, 4], [4, 7], [7, 11]]);
  });

  test('spans of text with multi-byte characters stay within the text and cover it', () => {
    for (const text of ['café', 'café 日本 🙂 x', '🙂', '日本語のテキスト', 'naïve résumé — “quoted” 🙂🙂', 'a\u0301 e\u0300', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} family', ' é ']) {
      const tokens = tokenizer.encode(text);
      assertSpansCover(text, tokens);
      // The tokens' bytes are the text's bytes, in order.
      assert.deepEqual(Buffer.concat(tokens.map((t) => tokenBytes(t.id))), Buffer.from(text, 'utf8'), JSON.stringify(text));
      // A token that holds whole characters slices back to its own text.
      for (const token of tokens) {
        if (!token.text.includes('\ufffd')) assert.equal(text.slice(token.span[0], token.span[1]), token.text, `${JSON.stringify(text)}: ${JSON.stringify(token)}`);
      }
    }
  });

  test('decode(encode(text)) gives the text back', () => {
    for (const text of ['Hello world', 'café 日本 🙂 x', '  leading and trailing  ', 'tabs\tand\nnewlines\r\n', `one${END_OF_TEXT}two`, '\u0000\u0001 control', 'é', '🙂🙂🙂']) {
      const ids = tokenizer.encode(text).map((t) => t.id);
      assert.equal(tokenizer.decode(ids), text, JSON.stringify(text));
    }
  });

  test('every id maps to a token string and back', () => {
    const size = tokenizer.idOf(END_OF_TEXT)! + 1;
    assert.ok(size > 256, 'test premise: at least the 256 byte tokens');
    const seen = new Set<string>();
    for (let id = 0; id < size; id++) {
      const token = tokenizer.tokenString(id);
      assert.ok(token !== undefined, `id ${id}`);
      assert.equal(tokenizer.idOf(token), id, `token ${JSON.stringify(token)}`);
      seen.add(token);
    }
    assert.equal(seen.size, size, 'token strings are distinct');
    assert.equal(tokenizer.tokenString(size + 100), undefined);
    assert.equal(tokenizer.idOf('no such token ✗'), undefined);
    assert.equal(tokenizer.tokenString(tokenizer.idOf('Ġthe')!), 'Ġthe');
  });

  test('<|endoftext|> inside text is one special token', () => {
    const eot = tokenizer.idOf(END_OF_TEXT);
    assert.equal(typeof eot, 'number');
    const text = `the end${END_OF_TEXT}The start`;
    const tokens = tokenizer.encode(text);
    const special = tokens.filter((t) => t.id === eot);
    assert.equal(special.length, 1, JSON.stringify(tokens));
    const at = text.indexOf(END_OF_TEXT);
    assert.deepEqual(special[0].span, [at, at + END_OF_TEXT.length]);
    assert.equal(special[0].text, END_OF_TEXT);
    assert.ok(!tokens.some((t) => t.id !== eot && t.text.includes('<|')), 'no piece of <|endoftext|> outside the special token');
    assertSpansCover(text, tokens);
    const alone = tokenizer.encode(END_OF_TEXT);
    assert.deepEqual(alone.map((t) => t.id), [eot]);
    assert.deepEqual(alone[0].span, [0, END_OF_TEXT.length]);
  });

  test('encode adds no special tokens', () => {
    const eot = tokenizer.idOf(END_OF_TEXT);
    const tokens = tokenizer.encode('the');
    assert.equal(tokens.length, 1);
    assert.notEqual(tokens[0].id, eot);
    assert.deepEqual(tokens[0].span, [0, 3]);
  });

  test('whitespace-only text', () => {
    for (const text of [' ', '   ', '\n\n', ' \t ']) {
      const tokens = tokenizer.encode(text);
      assertSpansCover(text, tokens);
      assert.equal(tokenizer.decode(tokens.map((t) => t.id)), text);
    }
  });
});
