"""Byte-level BPE exactly like GPT-2: trainer, encoder, tokenizer.json writer.

Vocabulary ids: 0..255 are the byte symbols in GPT-2's bytes_to_unicode order,
then one id per merge in merge order, then <|endoftext|> (last id).
The Python encoder only accepts ASCII text (the corpus is ASCII); on ASCII the
regex below is exactly GPT-2's pre-tokenizer pattern
  's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
"""
import heapq
import json
import re
from collections import Counter, defaultdict

from config import EOT

PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) \
        + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))   # insertion order = GPT-2 id order


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pretokenize(text):
    if not text.isascii():
        raise ValueError("the Python encoder only handles ASCII text")
    return ["".join(B2U[b] for b in w.encode()) for w in PAT.findall(text)]


def train_bpe(word_counts, n_merges):
    """Greedy BPE on {pretoken: count}; returns the merge list [(a, b), ...].
    Ties are broken by the lexicographically smallest pair (deterministic)."""
    words = [list(w) for w in word_counts]
    freqs = list(word_counts.values())
    counts, where = Counter(), defaultdict(set)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            counts[p] += freqs[i]
            where[p].add(i)
    heap = [(-c, p) for p, c in counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        cur = counts.get(pair, 0)
        if cur <= 0:
            continue
        if -negc != cur:
            heapq.heappush(heap, (-cur, pair))
            continue
        merges.append(pair)
        a, b = pair
        new = a + b
        touched = set()
        for i in list(where[pair]):
            w = words[i]
            for p in zip(w, w[1:]):
                counts[p] -= freqs[i]
                touched.add(p)
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    out.append(new)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for p in zip(out, out[1:]):
                counts[p] += freqs[i]
                where[p].add(i)
                touched.add(p)
        del counts[pair]
        for p in touched:
            if counts.get(p, 0) > 0:
                heapq.heappush(heap, (-counts[p], p))
    return merges


def bpe_word(word, ranks):
    """GPT-2 bpe(): repeatedly merge the lowest-ranked adjacent pair."""
    w = list(word)
    while len(w) > 1:
        best = min(zip(w, w[1:]), key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        a, b = best
        out, j = [], 0
        while j < len(w):
            if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                out.append(a + b)
                j += 2
            else:
                out.append(w[j])
                j += 1
        w = out
    return w


def forced_merges(words, merges):
    """Extra merges (appended last) that make each of `words` a single token."""
    ranks = {p: i for i, p in enumerate(merges)}
    extra = []
    for word in words:
        pieces = bpe_word(word, ranks)
        while len(pieces) > 1:
            p = (pieces[0], pieces[1])
            if p not in ranks:
                ranks[p] = len(merges) + len(extra)
                extra.append(p)
            pieces = [pieces[0] + pieces[1]] + pieces[2:]
    return extra


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {p: i for i, p in enumerate(self.merges)}
        self.vocab = {u: i for i, u in enumerate(B2U.values())}
        for a, b in self.merges:
            self.vocab[a + b] = len(self.vocab)
        self.eot_id = len(self.vocab)
        self.vocab[EOT] = self.eot_id
        self.inv = {i: t for t, i in self.vocab.items()}
        self.cache = {}

    def __len__(self):
        return len(self.vocab)

    def encode(self, text):
        ids = []
        for k, part in enumerate(text.split(EOT)):
            if k:
                ids.append(self.eot_id)
            for w in pretokenize(part):
                if w not in self.cache:
                    self.cache[w] = [self.vocab[t] for t in bpe_word(w, self.ranks)]
                ids += self.cache[w]
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.inv[int(i)]
            out += t.encode() if t == EOT else bytes(U2B[c] for c in t)
        return out.decode("utf-8", errors="replace")

    def to_json(self):
        bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": self.eot_id, "content": EOT, "single_word": False,
                              "lstrip": False, "rstrip": False, "normalized": True,
                              "special": True}],
            "normalizer": None,
            "pre_tokenizer": bl,
            "post_processor": {**bl, "add_prefix_space": True, "trim_offsets": False},
            "decoder": {**bl, "add_prefix_space": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": "", "end_of_word_suffix": "",
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def save(self, folder, model_max_length):
        with open(f"{folder}/tokenizer.json", "w") as f:
            json.dump(self.to_json(), f, ensure_ascii=False)
        cfg = {"tokenizer_class": "GPT2Tokenizer", "add_bos_token": False,
               "add_prefix_space": False, "bos_token": EOT, "eos_token": EOT,
               "unk_token": EOT, "model_max_length": model_max_length,
               "clean_up_tokenization_spaces": False,
               "added_tokens_decoder": {str(self.eot_id): {
                   "content": EOT, "lstrip": False, "normalized": True, "rstrip": False,
                   "single_word": False, "special": True}}}
        with open(f"{folder}/tokenizer_config.json", "w") as f:
            json.dump(cfg, f, indent=2)

    @classmethod
    def load(cls, folder):
        with open(f"{folder}/tokenizer.json") as f:
            j = json.load(f)
        return cls([tuple(m.split(" ")) for m in j["model"]["merges"]])


def build(texts, vocab_size, force_words):
    """Train merges on `texts`, reserving room for forced single-token words."""
    counts = Counter()
    for t in texts:
        counts.update(pretokenize(t))
    budget = vocab_size - 256 - 1
    merges = train_bpe(counts, budget)
    m = len(merges)
    while m + len(forced_merges(force_words, merges[:m])) > budget:
        m -= 1
    tok = Tokenizer(merges[:m] + forced_merges(force_words, merges[:m]))
    for w in force_words:
        assert len(tok.encode(bytes(U2B[c] for c in w).decode())) == 1, w
    return tok
