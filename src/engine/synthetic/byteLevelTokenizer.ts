/**
 * A small GPT-2-style byte-level BPE tokenizer.json, written from a word list: every byte
 * is a token, and each listed word (with and without its leading space) is built up by a
 * chain of merges. Real tokenizer machinery, tiny vocabulary: enough for random checkpoints.
 */

const WORDS = `the of and to in is was that for on as with by he at from his it an were are which this be or had not but
also have one their first new after who they has her she been two all its into time there other more when would
some about over them most used only so up may him can out any what we because before between during where through
then these our many such than while like if no under each both same well you my your could made very should just
Mary John store gave drink went park school ball book bag house garden river city`.split(/\s+/);

/** GPT-2's bytes_to_unicode: printable stand-ins for all 256 bytes. */
export function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) chars.push(String.fromCodePoint(printable(b) ? b : 256 + extra++));
  return chars;
}

export const END_OF_TEXT = '<|endoftext|>';

export interface ByteLevelTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** Number of ids the tokenizer uses, END_OF_TEXT last. */
  size: number;
  endOfTextId: number;
}

export function byteLevelTokenizer(): ByteLevelTokenizerFiles {
  const byteChars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  byteChars.forEach((c, i) => (vocab[c] = i));
  const merges = trainMerges(WORDS.flatMap((word) => [word, ` ${word}`]).map((word) => [...Buffer.from(word, 'utf8')].map((b) => byteChars[b])));
  for (const merge of merges) vocab[merge.replace(' ', '')] = Object.keys(vocab).length;
  const endOfTextId = Object.keys(vocab).length;
  vocab[END_OF_TEXT] = endOfTextId;
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: endOfTextId, content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  const tokenizerConfig = {
    add_prefix_space: false,
    bos_token: END_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: END_OF_TEXT,
    model_max_length: 1024,
    tokenizer_class: 'GPT2Tokenizer',
  };
  return { tokenizerJson, tokenizerConfig, size: endOfTextId + 1, endOfTextId };
}

/** Plain BPE training: repeatedly merge the most frequent adjacent pair (ties broken by order of first appearance). */
function trainMerges(words: string[][]): string[] {
  const merges: string[] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const word of words) for (let i = 0; i + 1 < word.length; i++) counts.set(`${word[i]} ${word[i + 1]}`, (counts.get(`${word[i]} ${word[i + 1]}`) ?? 0) + 1);
    let best: string | undefined;
    for (const [pair, count] of counts) if (best === undefined || count > counts.get(best)!) best = pair;
    if (best === undefined) return merges;
    merges.push(best);
    const [left, right] = best.split(' ');
    for (const word of words) {
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] === left && word[i + 1] === right) word.splice(i, 2, left + right);
      }
    }
  }
}
