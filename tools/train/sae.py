"""TopK SAE (Gao et al. 2024) with AuxK, unit-norm decoder rows.

Trained on activations scaled by a constant c (so that E||c x||^2 = d_in);
to_saelens() folds c back so the saved SAE works on raw activations:
W_enc, W_dec unchanged, b_enc / c, b_dec / c (latents are then f / c).
"""
import torch
import torch.nn as nn


class TopKSAE(nn.Module):
    def __init__(self, d_in, d_sae, k, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        w = torch.randn(d_sae, d_in, generator=g)
        w = w / w.norm(dim=1, keepdim=True)
        self.W_dec = nn.Parameter(w)
        self.W_enc = nn.Parameter(w.t().clone())
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        self.k = k

    def pre(self, x):
        return (x - self.b_dec) @ self.W_enc + self.b_enc

    def encode(self, x):
        pre = self.pre(x)
        v, i = pre.topk(self.k, dim=-1)
        return torch.zeros_like(pre).scatter_(-1, i, v.relu()), pre

    def decode(self, f):
        return f @ self.W_dec + self.b_dec

    def forward(self, x):
        f, pre = self.encode(x)
        return self.decode(f), f, pre

    @torch.no_grad()
    def normalize_decoder(self):
        self.W_dec.data /= self.W_dec.data.norm(dim=1, keepdim=True)

    @torch.no_grad()
    def project_decoder_grad(self):
        """Remove the gradient component parallel to each (unit) decoder row."""
        if self.W_dec.grad is not None:
            w = self.W_dec.data
            self.W_dec.grad -= (self.W_dec.grad * w).sum(1, keepdim=True) * w

    @torch.no_grad()
    def to_saelens(self, scale):
        return {"W_enc": self.W_enc.data.clone(), "W_dec": self.W_dec.data.clone(),
                "b_enc": self.b_enc.data / scale, "b_dec": self.b_dec.data / scale}


class RawTopK:
    """A saved (raw-space) SAELens topk SAE: encode/decode on raw activations."""

    def __init__(self, w, k):
        self.W_enc, self.W_dec = w["W_enc"].float(), w["W_dec"].float()
        self.b_enc, self.b_dec = w["b_enc"].float(), w["b_dec"].float()
        self.k = k

    def encode(self, x):
        pre = (x - self.b_dec) @ self.W_enc + self.b_enc
        v, i = pre.topk(self.k, dim=-1)
        return torch.zeros_like(pre).scatter_(-1, i, v.relu())

    def decode(self, f):
        return f @ self.W_dec + self.b_dec
