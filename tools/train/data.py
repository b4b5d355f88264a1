"""Token streams and the training-sequence sampler.

Every sequence is [BOS] + 127 tokens, BOS = <|endoftext|>. A sequence is one
of: a window of natural text (documents joined by <|endoftext|>), IOI
sentences joined by newlines, or repeated random-token spans (induction).
"""
import random
import re

import numpy as np
import torch

import tasks
from config import CTX, MIX, WORD_NAME_FRAC


def natural_stream(tok, docs):
    ids = []
    for d in docs:
        ids += tok.encode(d)
        ids.append(tok.eot_id)
    return np.array(ids, dtype=np.int32)


class Sampler:
    """Deterministic given the seed; state() / set_state() for resuming."""

    def __init__(self, tok, stream, seed, ioi_example=tasks.ioi_train_example, word_names=True):
        self.tok, self.stream, self.ioi_example = tok, stream, ioi_example
        self.rng = random.Random(seed)
        # training phase 2 changes these (train_model.py)
        self.mix, self.copy_frac, self.word_name_frac = MIX, 0.0, WORD_NAME_FRAC
        # Virtual names (train_model.virtual_name_embeddings): ids len(tok) .. len(tok) + n - 1
        # stand for embeddings drawn afresh at every step; 0 = off.
        self.virtual_name_frac, self.n_virtual_names = 0.0, 0
        self.vocab_ids = [i for i in range(len(tok)) if i != tok.eot_id]
        # Stand-in "names" for half of the IOI sentences: any space-prefixed word
        # token except the held-out names, so the IOI circuit cannot rely on a
        # fixed list of name tokens.
        held = {tok.encode(" " + n)[0] for n in tasks.HELDOUT_NAMES}
        self.word_ids = [i for t, i in tok.vocab.items()
                         if re.fullmatch(r"\u0120[A-Za-z]+", t) and i not in held] if word_names else []

    def state(self):
        return self.rng.getstate()

    def set_state(self, s):
        self.rng.setstate(s)

    def sequence(self, kind=None):
        """[BOS] + 127 tokens, and attention targets {"induction"|"ioi": [(q, k)]}
        in sequence coordinates (BOS = 0), queries < CTX - 1."""
        n = CTX - 1
        r = self.rng
        kind = kind or r.choices(list(self.mix), weights=list(self.mix.values()))[0]
        aux = {"induction": [], "ioi": [], "dup": [], "sinhib": [], "dup_any": []}
        if kind == "natural":
            start = r.randrange(len(self.stream) - n)
            body = self.stream[start:start + n].tolist()
        elif kind == "ioi":
            body, nl = [], self.tok.encode("\n")
            while len(body) < n:
                ex = self.ioi_example(r)
                toks = self.tok.encode(ex["prompt"] + ex["answer"] + ".")
                base = len(body) + (len(nl) if body else 0) + 1      # +1: BOS
                io = self.tok.encode(ex["answer"])[0]
                s_id = self.tok.encode(ex["wrong"])[0]
                if self.word_ids and self.word_name_frac and r.random() < self.word_name_frac:
                    a, b = r.sample(self.word_ids, 2)
                    while a in toks or b in toks:
                        a, b = r.sample(self.word_ids, 2)
                    toks = [a if t == io else b if t == s_id else t for t in toks]
                    io, s_id = a, b
                elif self.virtual_name_frac and r.random() < self.virtual_name_frac:
                    a, b = (len(self.tok) + j for j in r.sample(range(self.n_virtual_names), 2))
                    toks = [a if t == io else b if t == s_id else t for t in toks]
                    io, s_id = a, b
                assert toks[-2] == io
                end = base + len(toks) - 3                            # " to" before the answer
                s1 = toks.index(s_id)
                s2 = toks.index(s_id, s1 + 1)
                aux["ioi"].append((end, base + toks.index(io)))      # name mover: END -> IO
                aux["dup"].append((base + s2, base + s1))            # duplicate token: S2 -> S1
                aux["sinhib"].append((end, base + s2))               # S-inhibition: END -> S2
                body += (nl if body else []) + toks
            body = body[:n]
        elif kind == "names":
            body = self.tok.encode(tasks.generic_names_text(r, 24, self.copy_frac))[:n]
            while len(body) < n:
                body += self.tok.encode("\n" + tasks.generic_names_text(r, 8, self.copy_frac))
            body = body[:n]
        else:
            pairs = []
            body = tasks.induction_tokens(r, self.vocab_ids, n, pairs)
            aux["induction"] = [(q + 1, k + 1) for q, k in pairs]
            # duplicate-token targets: each token of a second copy -> its first occurrence
            aux["dup_any"] = [(q + 1, k) for q, k in pairs]
        aux = {k: [(q, kk) for q, kk in v if q < CTX - 1] for k, v in aux.items()}
        return [self.tok.eot_id] + body, aux

    def batch(self, size, kind=None, with_aux=False):
        seqs = [self.sequence(kind) for _ in range(size)]
        ids = torch.tensor([s for s, _ in seqs], dtype=torch.long)
        if not with_aux:
            return ids
        aux = {k: [(b, q, kk) for b, (_, a) in enumerate(seqs) for q, kk in a[k]]
               for k in seqs[0][1]}
        return ids, aux
