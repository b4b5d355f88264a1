"""Independent numpy re-implementation of HF GPT-2 from the exported files only
(config.json + model.safetensors), compared with reference_logits.json.

  /usr/bin/python3 tools/train/check_export.py media/default
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import load_file  # noqa: E402


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(cfg, W, ids):
    T, d, H = len(ids), cfg["n_embd"], cfg["n_head"]
    dh, eps = d // H, cfg["layer_norm_epsilon"]
    x = W["wte.weight"][ids] + W["wpe.weight"][:T]
    resid = []
    for L in range(cfg["n_layer"]):
        p = f"h.{L}."
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]
        q, k, v = (qkv[:, i * d:(i + 1) * d].reshape(T, H, dh).transpose(1, 0, 2) for i in range(3))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        z = (s / s.sum(-1, keepdims=True)) @ v
        x = x + z.transpose(1, 0, 2).reshape(T, d) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        m = gelu_new(h @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        x = x + m @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
        resid.append(x)
    x = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], eps)
    return x @ W["wte.weight"].T, resid


def check(out):
    cfg = json.load(open(os.path.join(out, "model", "config.json")))
    W = {k: v.astype(np.float64) for k, v in load_file(os.path.join(out, "model", "model.safetensors")).items()}
    ref = json.load(open(os.path.join(out, "reference_logits.json")))
    worst = 0.0
    for p in ref["prompts"]:
        logits, resid = forward(cfg, W, np.array(p["ids"]))
        worst = max(worst, np.abs(logits[-1] - np.array(p["final_logits"])).max())
        if "all_logits" in p:
            worst = max(worst, np.abs(logits - np.array(p["all_logits"])).max())
            sae_worst = 0
            for L in range(cfg["n_layer"]):
                hook = f"blocks.{L}.hook_resid_post"
                w = load_file(os.path.join(out, "saes", hook, "sae_weights.safetensors"))
                k = json.load(open(os.path.join(out, "saes", hook, "cfg.json")))["k"]
                pre = (resid[L] - w["b_dec"]) @ w["W_enc"] + w["b_enc"]
                for t, want in enumerate(p["sae_top_latents"][hook]):
                    top = np.argsort(-pre[t])[:k]
                    f = np.zeros_like(pre[t])
                    f[top] = np.maximum(pre[t][top], 0)
                    sae_worst = max(sae_worst, np.abs(f[want["ids"]] - np.array(want["values"])).max())
    return {"max_abs_logit_err_vs_reference": float(worst), "max_abs_sae_latent_err": float(sae_worst)}


if __name__ == "__main__":
    print(check(sys.argv[1] if len(sys.argv) > 1 else "media/default"))
