import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { fileError, MechLensError } from '../errors';
import { readJsonObject } from '../files';

/** One token of a prompt: its id, its vocabulary string, and the characters of the input it covers. */
export interface Token {
  id: number;
  /** The decoded text of this token alone (what a user reads). */
  text: string;
  /** [start, end) in UTF-16 code units of the input string; [0, 0] for a prepended BOS. */
  span: [number, number];
}

/**
 * A HuggingFace tokenizer.json, through @huggingface/tokenizers, plus what that library
 * does not give: each token's character span in the input (recovered from the token's bytes).
 */
export class TextTokenizer {
  private readonly byteDecoder: Map<string, number> | undefined;
  private readonly addedTokens: Map<string, string>;

  private constructor(
    private readonly tokenizer: Tokenizer,
    json: Record<string, unknown>,
  ) {
    this.byteDecoder = usesByteLevel(json) ? unicodeToBytes() : undefined;
    const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { content?: unknown }[]) : [];
    this.addedTokens = new Map(added.filter((t) => typeof t.content === 'string').map((t) => [t.content as string, t.content as string]));
  }

  static load(dir: string): TextTokenizer {
    const path = join(dir, 'tokenizer.json');
    if (!existsSync(path)) throw fileError(path, 'missing (a HuggingFace tokenizer.json is required)');
    const json = readJsonObject(path);
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? readJsonObject(configPath) : {};
    if (typeof json.model !== 'object' || json.model === null) throw fileError(path, 'malformed: no "model" object');
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
      tokenizer.encode('a');
    } catch (e) {
      throw fileError(path, `malformed (${(e as Error).message})`);
    }
    return new TextTokenizer(tokenizer, json);
  }

  /** Tokens of `text`, without special tokens added (BOS is the caller's choice). */
  encode(text: string): Token[] {
    const { ids, tokens } = this.tokenizer.encode(text, { add_special_tokens: false });
    const spans = this.spans(text, tokens);
    return ids.map((id, i) => ({ id, text: this.decode([id]), span: spans[i] }));
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The token string for an id, or undefined when the vocabulary has none (padded embedding rows). */
  tokenString(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  idOf(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** Walks the input's UTF-8 bytes alongside each token's bytes. */
  private spans(text: string, tokens: string[]): [number, number][] {
    const textBytes = Buffer.from(text, 'utf8');
    const charAt = byteToCharIndex(text, textBytes.length);
    const spans: [number, number][] = [];
    let position = 0;
    for (const token of tokens) {
      let bytes = this.tokenBytes(token);
      if (!startsWithAt(textBytes, bytes, position) && bytes[0] === 0x20 && startsWithAt(textBytes, bytes.subarray(1), position)) {
        bytes = bytes.subarray(1); // a prefix space the pre-tokenizer added (Metaspace, add_prefix_space)
      }
      if (!startsWithAt(textBytes, bytes, position)) {
        spans.push([charAt[position], charAt[position]]); // normalised text: no exact span exists
        continue;
      }
      const end = position + bytes.length;
      spans.push([charAt[position], charAt[end]]);
      position = end;
    }
    return spans;
  }

  private tokenBytes(token: string): Buffer {
    if (this.addedTokens.has(token)) return Buffer.from(token, 'utf8');
    if (this.byteDecoder) {
      const decoder = this.byteDecoder;
      return Buffer.from([...token].map((c) => decoder.get(c) ?? 0x3f));
    }
    const byteFallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    if (byteFallback) return Buffer.from([parseInt(byteFallback[1], 16)]);
    return Buffer.from(token.replaceAll('\u2581', ' ').replace(/^##/, ''), 'utf8');
  }
}

function usesByteLevel(json: Record<string, unknown>): boolean {
  const types = (component: unknown): string[] => {
    if (typeof component !== 'object' || component === null) return [];
    const c = component as { type?: unknown; pretokenizers?: unknown[]; decoders?: unknown[] };
    return [String(c.type), ...(c.pretokenizers ?? []).flatMap(types), ...(c.decoders ?? []).flatMap(types)];
  };
  return [...types(json.pre_tokenizer), ...types(json.decoder)].includes('ByteLevel');
}

/** GPT-2's bytes_to_unicode, inverted: the printable character that stands for each byte. */
function unicodeToBytes(): Map<string, number> {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map.set(String.fromCodePoint(printable(b) ? b : 256 + extra++), b);
  }
  return map;
}

/** For every byte offset of the UTF-8 encoding (and the end), the UTF-16 index of the character it falls in. */
function byteToCharIndex(text: string, byteLength: number): Int32Array {
  const index = new Int32Array(byteLength + 1);
  let byte = 0;
  let char = 0;
  for (const codePoint of text) {
    const size = Buffer.byteLength(codePoint, 'utf8');
    for (let k = 0; k < size; k++) index[byte + k] = char;
    byte += size;
    char += codePoint.length;
  }
  index[byteLength] = char;
  return index;
}

function startsWithAt(haystack: Buffer, needle: Buffer, at: number): boolean {
  return needle.length > 0 && at + needle.length <= haystack.length && haystack.compare(needle, 0, needle.length, at, at + needle.length) === 0;
}

export function assertNonEmptyPrompt(text: string): void {
  if (text.length === 0) throw new MechLensError('the prompt is empty');
}
