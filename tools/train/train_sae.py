"""Train one TopK SAE per layer on blocks.L.hook_resid_post (BOS excluded)."""
import json
import os
import time

import torch

import config as C
from data import Sampler
from sae import RawTopK, TopKSAE

SEQS_PER_BUFFER = 2048      # 2048 * 127 = 260k tokens per refill, shuffled


@torch.no_grad()
def activations(model, ids):
    """[n_layer, B*(T-1), d] resid_post, BOS position dropped."""
    res = model(ids, stop_at=model.n_layer - 1)
    return torch.stack([r[:, 1:].reshape(-1, r.shape[-1]) for r in res])


def train_saes(model, tok, stream, work, log=print):
    d = model.cfg["n_embd"]
    d_sae = C.SAE_EXPANSION * d
    n_layer = model.n_layer
    out_path = os.path.join(work, "saes.pt")
    if os.path.exists(out_path):
        log("SAEs loaded from work folder")
        saved = torch.load(out_path)
        return {L: RawTopK(w, C.SAE_K) for L, w in saved["weights"].items()}
    torch.manual_seed(C.SEED + 200)
    sampler = Sampler(tok, stream, C.SEED + 100)
    first = activations(model, sampler.batch(64))
    scale = (d / first.pow(2).sum(-1).mean(-1)).sqrt()              # [n_layer]
    saes = [TopKSAE(d, d_sae, C.SAE_K, C.SEED + 300 + L) for L in range(n_layer)]
    for L, s in enumerate(saes):
        s.b_dec.data = (first[L] * scale[L]).mean(0)
    opts = [torch.optim.Adam(s.parameters(), lr=C.SAE_LR, betas=(0.9, 0.999)) for s in saes]
    since_fired = torch.zeros(n_layer, d_sae)
    steps = C.SAE_TOKENS // C.SAE_BATCH
    step, t0, hist = 0, time.time(), []
    while step < steps:
        acts = torch.cat([activations(model, sampler.batch(64))
                          for _ in range(SEQS_PER_BUFFER // 64)], dim=1)
        acts = acts * scale[:, None, None]
        acts = acts[:, torch.randperm(acts.shape[1])]
        for b in range(acts.shape[1] // C.SAE_BATCH):
            if step >= steps:
                break
            lr = C.SAE_LR * min(1.0, 5 * (steps - step) / steps)   # linear decay, last 20%
            rec = {"step": step + 1}
            for L, (sae, opt) in enumerate(zip(saes, opts)):
                for g in opt.param_groups:
                    g["lr"] = lr
                x = acts[L, b * C.SAE_BATCH:(b + 1) * C.SAE_BATCH]
                x_hat, f, pre = sae(x)
                err = x - x_hat
                mse = err.pow(2).sum(-1).mean()
                fired = (f > 0).any(0)
                since_fired[L] += x.shape[0]
                since_fired[L][fired] = 0
                dead = since_fired[L] > C.SAE_DEAD_TOKENS
                loss = mse
                aux = torch.tensor(0.0)
                if dead.any():
                    k_aux = min(C.SAE_AUXK, int(dead.sum()))
                    v, i = pre.masked_fill(~dead, float("-inf")).topk(k_aux, dim=-1)
                    e_hat = torch.zeros_like(pre).scatter_(-1, i, v.relu()) @ sae.W_dec
                    aux = (err.detach() - e_hat).pow(2).sum(-1).mean() / \
                        (err.detach() - err.detach().mean(0)).pow(2).sum(-1).mean()
                    loss = loss + C.SAE_AUXK_COEF * aux
                opt.zero_grad(set_to_none=True)
                loss.backward()
                sae.project_decoder_grad()
                opt.step()
                sae.normalize_decoder()
                fve = 1 - err.pow(2).sum() / (x - x.mean(0)).pow(2).sum()
                rec[f"L{L}"] = {"fve": round(fve.item(), 4), "aux": round(aux.item(), 4),
                                "dead": int(dead.sum())}
            step += 1
            if step % 50 == 0 or step == steps:
                rec["time_s"] = round(time.time() - t0, 1)
                hist.append(rec)
                log(f"sae step {step}/{steps} " + " ".join(
                    f"L{L} fve {rec[f'L{L}']['fve']:.3f} dead {rec[f'L{L}']['dead']}"
                    for L in range(n_layer)) + f" t {rec['time_s']}s")
    weights = {L: s.to_saelens(scale[L].item()) for L, s in enumerate(saes)}
    torch.save({"weights": weights, "scale": scale}, out_path)
    with open(os.path.join(work, "train_sae.json"), "w") as f:
        json.dump({"steps": steps, "batch": C.SAE_BATCH, "tokens": steps * C.SAE_BATCH,
                   "wall_time_s": round(time.time() - t0, 1),
                   "input_scale": scale.tolist(), "history": hist}, f, indent=1)
    return {L: RawTopK(w, C.SAE_K) for L, w in weights.items()}
