"""GPT-2 (HF GPT2LMHeadModel semantics) in plain PyTorch.

Parameters are stored in HF Conv1D layout ([in, out], y = x @ W + b) under the
HF hub key names (without the "transformer." prefix), so export is a copy.
"""
import math

import torch
import torch.nn as nn


def gelu_new(x):
    """HF "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return nn.functional.gelu(x, approximate="tanh")


def linear(x, w, b):
    """Conv1D: x @ w + b with w [in, out] (fused addmm)."""
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).view(*x.shape[:-1], w.shape[1])


class GPT2(nn.Module):
    def __init__(self, vocab_size, n_embd, n_head, n_layer, n_positions, eps=1e-5):
        super().__init__()
        self.cfg = dict(vocab_size=vocab_size, n_embd=n_embd, n_head=n_head,
                        n_layer=n_layer, n_positions=n_positions)
        d, self.n_head, self.n_layer, self.eps = n_embd, n_head, n_layer, eps
        p = {}
        # Token embeddings start 3x larger than GPT-2's 0.02: with tied weights and
        # d=256 the logit scale is ~sqrt(d)*|E|, and copying a token out of 4096
        # needs logits ~10; at 0.02 this takes most of the CPU budget to grow.
        p["wte.weight"] = torch.randn(vocab_size, d) * 0.06
        # Learned positional embeddings, initialised with a sinusoidal pattern (RMS 0.04)
        # so that relative offsets (previous-token heads) are easy to learn early.
        pos = torch.arange(n_positions, dtype=torch.float32)[:, None]
        freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float32) / d)
        wpe = torch.zeros(n_positions, d)
        wpe[:, 0::2], wpe[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
        p["wpe.weight"] = wpe * 0.04 * math.sqrt(2)
        proj_std = 0.02 / math.sqrt(2 * n_layer)
        for i in range(n_layer):
            h = f"h.{i}."
            for ln in ("ln_1", "ln_2"):
                p[h + ln + ".weight"] = torch.ones(d)
                p[h + ln + ".bias"] = torch.zeros(d)
            p[h + "attn.c_attn.weight"] = torch.randn(d, 3 * d) * 0.02
            p[h + "attn.c_attn.bias"] = torch.zeros(3 * d)
            p[h + "attn.c_proj.weight"] = torch.randn(d, d) * proj_std
            p[h + "attn.c_proj.bias"] = torch.zeros(d)
            p[h + "mlp.c_fc.weight"] = torch.randn(d, 4 * d) * 0.02
            p[h + "mlp.c_fc.bias"] = torch.zeros(4 * d)
            p[h + "mlp.c_proj.weight"] = torch.randn(4 * d, d) * proj_std
            p[h + "mlp.c_proj.bias"] = torch.zeros(d)
        p["ln_f.weight"] = torch.ones(d)
        p["ln_f.bias"] = torch.zeros(d)
        # ParameterDict keys may not contain "."; keep an explicit name map.
        self.names = list(p)
        self.params = nn.ParameterList([nn.Parameter(v) for v in p.values()])
        self.capture, self.captured = {}, {}   # {layer: [heads]} -> {(layer, head): pattern}
        self.capture_resid_pre = set()          # layers whose resid_pre goes to captured[("resid_pre", L)]
        mask = torch.tril(torch.ones(n_positions, n_positions, dtype=torch.bool))
        self.register_buffer("mask", mask, persistent=False)

    def state(self):
        """HF-named tensors (detached, float32)."""
        return {n: t.detach() for n, t in zip(self.names, self.params)}

    def load_state(self, tensors):
        for n, t in zip(self.names, self.params):
            t.data.copy_(torch.as_tensor(tensors[n]))

    def w(self, name):
        return self.params[self.names.index(name)]

    def num_params(self):
        return sum(t.numel() for t in self.params)

    def _ln(self, x, name):
        return nn.functional.layer_norm(x, x.shape[-1:], self.w(name + ".weight"), self.w(name + ".bias"), self.eps)

    def _attn(self, x, i):
        B, T, D = x.shape
        H = self.n_head
        dh = D // H
        qkv = linear(x, self.w(f"h.{i}.attn.c_attn.weight"), self.w(f"h.{i}.attn.c_attn.bias"))
        q, k, v = qkv.split(D, dim=-1)
        q, k, v = (t.view(B, T, H, dh).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        scores = scores.masked_fill(~self.mask[:T, :T], torch.finfo(scores.dtype).min)
        pattern = torch.softmax(scores, dim=-1)
        z = pattern @ v
        for h in self.capture.get(i, ()):
            self.captured[(i, h)] = pattern[:, h]
            # this head's contribution to the residual stream (without c_proj bias)
            w_o = self.w(f"h.{i}.attn.c_proj.weight")[h * dh:(h + 1) * dh]
            self.captured[(i, h, "out")] = z[:, h] @ w_o
        z = z.transpose(1, 2).reshape(B, T, D)
        return linear(z, self.w(f"h.{i}.attn.c_proj.weight"), self.w(f"h.{i}.attn.c_proj.bias"))

    def _mlp(self, x, i):
        h = gelu_new(linear(x, self.w(f"h.{i}.mlp.c_fc.weight"), self.w(f"h.{i}.mlp.c_fc.bias")))
        return linear(h, self.w(f"h.{i}.mlp.c_proj.weight"), self.w(f"h.{i}.mlp.c_proj.bias"))

    def forward(self, ids, resid_hook=None, stop_at=None, extra_embeddings=None):
        """ids [B,T] -> logits [B,T,V].

        extra_embeddings [K, d] (training only) are tokens V .. V+K-1, embedded and
        unembedded (tied) like the vocabulary; the logits are then [B,T,V+K].

        resid_hook(layer, resid_post) may return a replacement tensor
        (TransformerLens blocks.L.hook_resid_post). stop_at=L returns the
        resid_post of layer L list instead of logits (all layers <= L).
        """
        T = ids.shape[1]
        emb = self.w("wte.weight")
        if extra_embeddings is not None:
            emb = torch.cat([emb, extra_embeddings])
        x = emb[ids] + self.w("wpe.weight")[:T]
        resids = []
        for i in range(self.n_layer):
            if i in self.capture_resid_pre:
                self.captured[("resid_pre", i)] = x
            x = x + self._attn(self._ln(x, f"h.{i}.ln_1"), i)
            x = x + self._mlp(self._ln(x, f"h.{i}.ln_2"), i)
            if resid_hook is not None:
                y = resid_hook(i, x)
                if y is not None:
                    x = y
            if stop_at is not None:
                resids.append(x)
                if i == stop_at:
                    return resids
        if self.capture:   # 1/std of the final LayerNorm, for direct logit attribution
            self.captured["ln_f_scale"] = (x.var(-1, unbiased=False, keepdim=True) + self.eps).rsqrt()
        x = self._ln(x, "ln_f")
        return x @ emb.t()
