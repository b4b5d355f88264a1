"""Model metrics: held-out natural-text loss, IOI logit difference, induction."""
import random

import numpy as np
import torch
import torch.nn.functional as F

import tasks
from config import CTX, SEED


@torch.no_grad()
def natural_loss(model, stream, eot_id, max_windows=2000, batch=32):
    """Mean next-token CE (nats) over non-overlapping [BOS]+127 windows."""
    n = CTX - 1
    wins = [stream[i:i + n] for i in range(0, len(stream) - n, n)][:max_windows]
    tot, cnt = 0.0, 0
    for i in range(0, len(wins), batch):
        ids = torch.tensor(np.stack([np.concatenate([[eot_id], w]) for w in wins[i:i + batch]]),
                           dtype=torch.long)
        logits = model(ids)[:, :-1]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                               reduction="sum")
        tot += loss.item()
        cnt += ids[:, 1:].numel()
    return {"loss": tot / cnt, "perplexity": float(np.exp(tot / cnt)), "tokens": cnt,
            "windows": len(wins)}


@torch.no_grad()
def final_logits(model, tok, prompts):
    """Final-position logits for [BOS]+prompt, batched with right padding."""
    seqs = [[tok.eot_id] + tok.encode(p) for p in prompts]
    out = []
    for i in range(0, len(seqs), 64):
        chunk = seqs[i:i + 64]
        L = max(map(len, chunk))
        ids = torch.tensor([s + [tok.eot_id] * (L - len(s)) for s in chunk])
        logits = model(ids)
        out.append(logits[torch.arange(len(chunk)), torch.tensor([len(s) - 1 for s in chunk])])
    return torch.cat(out)


def ioi_metrics(model, tok, examples):
    logits = final_logits(model, tok, [e["prompt"] for e in examples])
    io = torch.tensor([tok.encode(e["answer"])[0] for e in examples])
    s = torch.tensor([tok.encode(e["wrong"])[0] for e in examples])
    ar = torch.arange(len(examples))
    ld = logits[ar, io] - logits[ar, s]
    probs = logits.softmax(-1)
    return {"n": len(examples), "logit_diff_mean": ld.mean().item(),
            "logit_diff_median": ld.median().item(),
            "frac_logit_diff_positive": (ld > 0).float().mean().item(),
            "top1_is_answer": (logits.argmax(-1) == io).float().mean().item(),
            "prob_answer_mean": probs[ar, io].mean().item(),
            "prob_wrong_mean": probs[ar, s].mean().item()}


def induction_set(tok, n, seed):
    rng = random.Random(seed)
    vocab = [i for i in range(len(tok)) if i != tok.eot_id]
    out = []
    for _ in range(n):
        L = rng.randint(10, 30)
        span = [rng.choice(vocab) for _ in range(L)]
        out.append({"tokens": [tok.eot_id] + span + span, "span_len": L})
    return out


@torch.no_grad()
def induction_metrics(model, seqs):
    """Top-1 accuracy / loss on the second copy, excluding its first token."""
    correct, total, loss = 0, 0, 0.0
    for s in seqs:
        ids = torch.tensor([s["tokens"]])
        L = s["span_len"]
        logits = model(ids)[0]
        # position p predicts token p+1; second copy occupies 1+L .. 2L,
        # its tokens after the first are predicted from positions 1+L .. 2L-1
        pos = torch.arange(1 + L, 2 * L)
        tgt = ids[0, pos + 1]
        correct += (logits[pos].argmax(-1) == tgt).sum().item()
        loss += F.cross_entropy(logits[pos], tgt, reduction="sum").item()
        total += len(pos)
    return {"n_sequences": len(seqs), "n_predictions": total, "top1_accuracy": correct / total,
            "loss": loss / total}


def ioi_sets(n):
    H, T = tasks.HELDOUT_NAMES, tasks.TRAIN_NAMES
    return {
        "heldout_names_heldout_templates": tasks.ioi_heldout(n, SEED + 7),
        "heldout_names_train_templates": tasks.ioi_split(n, SEED + 8, H, tasks.TRAIN_TEMPLATES),
        "train_names_heldout_templates": tasks.ioi_split(n, SEED + 9, T, tasks.HELDOUT_TEMPLATES),
        "train_names_train_templates": tasks.ioi_split(n, SEED + 10, T, tasks.TRAIN_TEMPLATES),
    }


def evaluate_model(model, tok, heldout_stream, n_ioi=500, n_ind=500):
    model.eval()
    res = {"natural_heldout": natural_loss(model, heldout_stream, tok.eot_id),
           "ioi": {k: ioi_metrics(model, tok, v) for k, v in ioi_sets(n_ioi).items()},
           "induction": induction_metrics(model, induction_set(tok, n_ind, SEED + 11))}
    model.train()
    return res
