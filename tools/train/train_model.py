"""Train the GPT-2 model on the mixed corpus, with resumable checkpoints."""
import json
import math
import os
import shutil
import time

import torch
import torch.nn.functional as F

import config as C
import tasks
from data import Sampler
from evaluate import induction_metrics, induction_set, ioi_metrics, ioi_sets
from model import GPT2


def lr_at(step):
    if step >= C.STEPS:                       # phase 2
        s2 = step - C.STEPS
        if s2 < 20:
            return C.LR2 * (s2 + 1) / 20
        t = (s2 - 20) / max(1, C.STEPS2 - 20)
        return C.LR2 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))
    if step < C.WARMUP:
        return C.LR * (step + 1) / C.WARMUP
    t = (step - C.WARMUP) / max(1, C.STEPS - C.WARMUP)
    return C.LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def head_weights(model, layer, h):
    """Views of head h's W_Q, W_K, W_V [d, d_head] and W_O [d_head, d] in layer `layer`."""
    d = model.cfg["n_embd"]
    dh = d // model.n_head
    qkv = model.w(f"h.{layer}.attn.c_attn.weight")
    cols = lambda i: qkv[:, i * d + h * dh:i * d + (h + 1) * dh]
    return cols(0), cols(1), cols(2), model.w(f"h.{layer}.attn.c_proj.weight")[h * dh:(h + 1) * dh]


def attention_nll(model, head, triples):
    """-log of the captured attention of `head` from query q on key k, averaged over (b, q, k)."""
    b, q, k = (torch.tensor(x) for x in zip(*triples))
    return -(model.captured[head][b, q, k] + 1e-9).log().mean()


@torch.no_grad()
def init_copy_heads(model):
    """Start the supervised induction and IOI heads with a copying OV circuit:
    W_V = Q, W_O = Q^T for a random orthonormal Q [d, d_head], so OV = QQ^T is a
    positive semi-definite projection (copies a token's own direction)."""
    d, H = model.cfg["n_embd"], model.n_head
    dh = d // H
    g = torch.Generator().manual_seed(C.SEED + 3)
    for name in ("induction", "ioi"):
        layer, h = C.AUX_HEADS[name]
        q, _ = torch.linalg.qr(torch.randn(d, dh, generator=g))
        _, _, w_v, w_o = head_weights(model, layer, h)
        w_v.copy_(q)
        w_o.copy_(q.t())


def aux_weight(step):
    full, end = C.AUX_FULL * C.STEPS, C.AUX_END * C.STEPS
    return C.AUX_COEF * min(1.0, max(0.0, (end - step) / (end - full)))


def aux_loss(model, aux, ids):
    """Attention supervision: -log attention on the target key. For the induction
    and IOI heads also a direct-logit copy loss: the head's own contribution to
    the logits (its output through ln_f's scale and the tied unembedding) should
    predict the next token ids[q+1]."""
    losses = {}
    p = model.captured[C.AUX_HEADS["prev_token"]]             # [B, T, T]
    T = p.shape[1]
    ar = torch.arange(1, T)
    losses["prev_token"] = -(p[:, ar, ar - 1] + 1e-9).log().mean()
    wte = model.w("wte.weight")
    for name in ("induction", "ioi", "dup", "sinhib"):
        if aux[name]:
            losses[name] = attention_nll(model, C.AUX_HEADS[name], aux[name])
            if name not in ("induction", "ioi"):
                continue
            b, q = (torch.tensor(x) for x in list(zip(*aux[name]))[:2])
            out = model.captured[C.AUX_HEADS[name] + ("out",)][b, q]   # [N, d]
            # the head's direct contribution to the real logits (through ln_f's scale,
            # not detached: the loss may also shrink the rest of the residual stream)
            dla = (out - out.mean(-1, keepdim=True)) * model.captured["ln_f_scale"][b, q] \
                * model.w("ln_f.weight")
            losses[name + "_copy"] = F.cross_entropy(dla @ wte.t(), ids[b, q + 1])
    return losses


def virtual_name_embeddings(model, name_ids, step):
    """VIRTUAL_NAMES2 embeddings for the virtual-name ids (data.Sampler): the mean of the
    training names' embeddings plus isotropic Gaussian noise whose expected norm is the training
    names' mean distance from that mean. Drawn afresh every step and detached, they are names
    the model has never seen, in every direction of the embedding space; an IOI circuit that
    copies and inhibits them cannot rely on what it memorised about particular names."""
    e = model.w("wte.weight").detach()[name_ids]
    mu = e.mean(0)
    gen = torch.Generator().manual_seed(C.SEED * 10_000 + step + 2)   # resumable
    if C.VIRTUAL_NAME_SHAPE2 == "names":      # z @ (e - mu) / sqrt(n) has the names' covariance
        z = torch.randn(C.VIRTUAL_NAMES2, e.shape[0], generator=gen)
        return mu + z @ (e - mu) / e.shape[0] ** 0.5
    spread = (e - mu).norm(dim=1).mean() / e.shape[1] ** 0.5
    return mu + spread * torch.randn(C.VIRTUAL_NAMES2, e.shape[1], generator=gen)


def ov_copy_loss(model, heads, ids, step, unembed):
    """Copy regularizer (config OV_COPY_*2): each head's OV circuit applied to the residual
    stream at a position (through the layer's ln_1), read through ln_f's weight and the tied
    unembedding, should predict the token at that position. OV_COPY_TOKENS2 positions of the
    batch (any kind of sequence, BOS excluded) are drawn per step. unembed: the tied
    unembedding, [V (+ virtual names), d]."""
    B, T = ids.shape[0], ids.shape[1] - 1
    gen = torch.Generator().manual_seed(C.SEED * 10_000 + step)   # resumable: a seed per step
    pos = torch.randint(0, B * (T - 1), (C.OV_COPY_TOKENS2,), generator=gen)
    b, t = pos // (T - 1), pos % (T - 1) + 1
    loss = 0.0
    for layer, h in heads:
        x = model._ln(model.captured[("resid_pre", layer)][b, t], f"h.{layer}.ln_1")
        _, _, w_v, w_o = head_weights(model, layer, h)
        out = x @ w_v @ w_o
        out = (out - out.mean(-1, keepdim=True)) * model.w("ln_f.weight") * C.OV_COPY_SCALE2
        loss = loss + F.cross_entropy(out @ unembed.t(), ids[b, t])
    return loss / len(heads)


def sinhib_token_loss(model, aux, step):
    """S-inhibition token signal (config SINHIB_REG_COEF2): in induction sequences, a token's
    second occurrence stands for S2 and its first for S1. The S-inhibition head's output for
    the residual at S2, added to a query of the name mover, should make the name mover avoid
    the key at S1 more than the keys at the other tokens' first occurrences (cross-entropy over
    negated scores). Token-based, for any token: the signal that tells the name mover which
    name to avoid."""
    pairs = aux["dup_any"]
    if len(pairs) < 8:
        return None
    gen = torch.Generator().manual_seed(C.SEED * 10_000 + step + 1)
    pick = torch.randperm(len(pairs), generator=gen)[:C.SINHIB_REG_PAIRS2]
    b, q, k = (torch.tensor([pairs[i][j] for i in pick.tolist()]) for j in range(3))
    (l2, h2), (l3, h3) = C.AUX_HEADS["sinhib"], C.AUX_HEADS["ioi"]
    _, _, w_v2, w_o2 = head_weights(model, l2, h2)
    w_q3, w_k3, _, _ = head_weights(model, l3, h3)
    u = model._ln(model.captured[("resid_pre", l2)][b, q], f"h.{l2}.ln_1") @ w_v2 @ w_o2
    r3 = model.captured[("resid_pre", l3)][b, k]
    scale = r3.std(-1, keepdim=True).mean().detach()          # a typical residual-stream scale
    qv = ((u - u.mean(-1, keepdim=True)) / scale * model.w(f"h.{l3}.ln_1.weight")) @ w_q3
    kv = model._ln(r3, f"h.{l3}.ln_1") @ w_k3
    scores = qv @ kv.t() / w_q3.shape[1] ** 0.5
    return F.cross_entropy(-scores, torch.arange(len(pick)))


def phase2_openers(tok, stream):
    """Sentence-initial words of the first 3M natural-text training tokens (config
    PHASE2_CORPUS_OPENER_FRAC; none when that is 0)."""
    if not C.PHASE2_CORPUS_OPENER_FRAC:
        return None
    return tasks.sentence_initial_words(tok.decode(stream[:3_000_000].tolist()))


def answer_loss(logits, ids, aux):
    """Cross-entropy of the IOI answers alone (config ANSWER_LOSS_COEF2): at each IOI
    sentence's final " to", the next token (the indirect object)."""
    b, q = (torch.tensor(x) for x in list(zip(*aux["ioi"]))[:2])
    return F.cross_entropy(logits[b, q], ids[b, q + 1])


@torch.no_grad()
def tail_average(model, avg, n):
    """Running uniform average of the weights: n-th term (n >= 1) of the tail, or None before it."""
    if C.AVG_LAST2 <= 0 or n < 1:
        return None
    if avg is None:
        return {k: v.clone() for k, v in model.state_dict().items()}
    for k, v in model.state_dict().items():
        avg[k] += (v - avg[k]) / n
    return avg


def make_optimizer(model):
    emb = [p for n, p in zip(model.names, model.params) if n in ("wte.weight", "wpe.weight")]
    decay = [p for n, p in zip(model.names, model.params)
             if p.dim() == 2 and n not in ("wte.weight", "wpe.weight")]
    no_decay = [p for n, p in zip(model.names, model.params) if p.dim() < 2]
    return torch.optim.AdamW([{"params": emb, "weight_decay": 0.0, "lr_mult": C.EMB_LR_MULT},
                              {"params": decay, "weight_decay": C.WEIGHT_DECAY, "lr_mult": 1.0},
                              {"params": no_decay, "weight_decay": 0.0, "lr_mult": 1.0}],
                             lr=C.LR, betas=(0.9, 0.95), eps=1e-8)


def train(tok, stream, work, log=print):
    torch.manual_seed(C.SEED)
    model = GPT2(len(tok), C.N_EMBD, C.N_HEAD, C.N_LAYER, C.N_POSITIONS)
    init_copy_heads(model)
    opt = make_optimizer(model)
    sampler = Sampler(tok, stream, C.SEED + 1)
    ckpt_path = os.path.join(work, "model_ckpt.pt")
    step, elapsed, history = 0, 0.0, []
    avg = None          # tail average of the weights (config AVG_LAST2), a state_dict
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sampler.set_state(ck["sampler"])
        torch.set_rng_state(ck["torch_rng"])
        step, elapsed, history = ck["step"], ck["elapsed"], ck["history"]
        avg = ck.get("avg")
        log(f"resumed at step {step}")
    monitor_ioi = ioi_sets(100)
    monitor_ind = induction_set(tok, 100, C.SEED + 12)
    log(f"params {model.num_params()}")
    t0, run_loss, run_aux = time.time() - elapsed, 0.0, {}
    total = C.STEPS + C.STEPS2
    phase1_path = os.path.join(work, "model_ckpt_phase1.pt")
    if step == C.STEPS and not os.path.exists(phase1_path):
        shutil.copy(ckpt_path, phase1_path)
    ioi2 = tasks.ioi_train_example2_factory(tasks.phase2_nouns(tok, C.PHASE2_SINGLE_TOKEN_NOUNS),
                                            C.PHASE2_WORDNET_VERBS, C.PHASE2_GENERIC_FRAC,
                                            C.PHASE2_NOISE_FRAC, C.PHASE2_BARE_OPENER_FRAC,
                                            phase2_openers(tok, stream), C.PHASE2_CORPUS_OPENER_FRAC)
    name_ids = torch.tensor([tok.encode(" " + n)[0] for n in tasks.TRAIN_NAMES])
    while step < total:
        if step >= C.STEPS:                   # phase 2: more named-people text, copy sentences
            sampler.mix, sampler.copy_frac, sampler.word_name_frac = C.MIX2, C.COPY_FRAC2, C.WORD_NAME_FRAC2
            sampler.virtual_name_frac, sampler.n_virtual_names = C.VIRTUAL_NAME_FRAC2, C.VIRTUAL_NAMES2
            sampler.ioi_example = ioi2
        for i, g in enumerate(opt.param_groups):     # group 0: embeddings (make_optimizer)
            mult = C.EMB_LR_MULT2 if i == 0 and step >= C.STEPS else g["lr_mult"]
            g["lr"] = lr_at(step) * mult
        ids, aux = sampler.batch(C.BATCH, with_aux=True)
        w_aux = aux_weight(step)
        model.capture = {}
        ov_copy = step >= C.STEPS and C.OV_COPY_HEADS2
        model.capture_resid_pre = {layer for layer, _ in C.OV_COPY_HEADS2} if ov_copy else set()
        sinhib_reg = step >= C.STEPS and C.SINHIB_REG_COEF2
        if sinhib_reg:
            model.capture_resid_pre |= {C.AUX_HEADS["sinhib"][0], C.AUX_HEADS["ioi"][0]}
        if w_aux > 0:
            for layer, head in C.AUX_HEADS.values():
                model.capture.setdefault(layer, []).append(head)
        elif step >= C.STEPS and C.DUP_AUX_COEF2:
            model.capture = {C.AUX_HEADS["dup"][0]: [C.AUX_HEADS["dup"][1]]}
        virtual = virtual_name_embeddings(model, name_ids, step) \
            if step >= C.STEPS and C.VIRTUAL_NAME_FRAC2 else None
        logits = model(ids[:, :-1], extra_embeddings=virtual)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        lm_loss = loss.item()
        if w_aux > 0:
            al = aux_loss(model, aux, ids)
            loss = loss + w_aux * sum(al.values())
            run_aux = {k: run_aux.get(k, 0.0) + v.item() for k, v in al.items()}
        if step >= C.STEPS and C.DUP_AUX_COEF2 and aux["dup_any"]:
            dl = attention_nll(model, C.AUX_HEADS["dup"], aux["dup_any"])
            loss = loss + C.DUP_AUX_COEF2 * dl
            run_aux["dup_any"] = run_aux.get("dup_any", 0.0) + dl.item()
        if sinhib_reg:
            sl = sinhib_token_loss(model, aux, step)
            if sl is not None:
                loss = loss + C.SINHIB_REG_COEF2 * sl
                run_aux["sinhib_tok"] = run_aux.get("sinhib_tok", 0.0) + sl.item()
        if step >= C.STEPS and C.ANSWER_LOSS_COEF2 and aux["ioi"]:
            al2 = answer_loss(logits, ids, aux)
            loss = loss + C.ANSWER_LOSS_COEF2 * al2
            run_aux["answer"] = run_aux.get("answer", 0.0) + al2.item()
        if ov_copy:
            unembed = model.w("wte.weight") if virtual is None \
                else torch.cat([model.w("wte.weight"), virtual])
            oc = ov_copy_loss(model, C.OV_COPY_HEADS2, ids, step, unembed)
            loss = loss + C.OV_COPY_COEF2 * oc
            run_aux["ov_copy"] = run_aux.get("ov_copy", 0.0) + oc.item()
        model.captured = {}
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), C.GRAD_CLIP)
        opt.step()
        step += 1
        avg = tail_average(model, avg, step - (total - C.AVG_LAST2))
        run_loss += lm_loss
        if step % 20 == 0:
            aux_txt = " ".join(f"{k} {v / 20:.3f}" for k, v in run_aux.items())
            log(f"step {step} loss {run_loss / 20:.4f} lr {lr_at(step):.2e} aux_w {w_aux:.2f} "
                f"{aux_txt} t {time.time() - t0:.0f}s")
            history.append({"step": step, "train_loss": run_loss / 20, "aux_weight": w_aux,
                            **{"aux_" + k: v / 20 for k, v in run_aux.items()},
                            "time_s": round(time.time() - t0, 1)})
            run_loss, run_aux = 0.0, {}
        if step % 100 == 0 or step == total or (step > C.STEPS and step % 50 == 0):
            model.eval()
            ioi_all = {k: ioi_metrics(model, tok, v) for k, v in monitor_ioi.items()}
            ioi = ioi_all["heldout_names_heldout_templates"]
            ind = induction_metrics(model, monitor_ind)
            model.train()
            history[-1].update({"ioi_frac_pos": ioi["frac_logit_diff_positive"],
                                "ioi_ld": ioi["logit_diff_mean"],
                                "ioi_frac_pos_splits": {k: v["frac_logit_diff_positive"]
                                                        for k, v in ioi_all.items()},
                                "induction_acc": ind["top1_accuracy"]})
            splits = " ".join(f"{''.join(w[0] for w in k.split('_'))} {v['frac_logit_diff_positive']:.2f}"
                              for k, v in ioi_all.items())
            log(f"  eval step {step}: ioi heldout frac>0 {ioi['frac_logit_diff_positive']:.3f} "
                f"ld {ioi['logit_diff_mean']:.2f} [{splits}] induction acc {ind['top1_accuracy']:.3f}")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                        "sampler": sampler.state(), "torch_rng": torch.get_rng_state(), "avg": avg,
                        "step": step, "elapsed": time.time() - t0, "history": history},
                       ckpt_path + ".tmp")
            os.replace(ckpt_path + ".tmp", ckpt_path)
            if step == C.STEPS:
                shutil.copy(ckpt_path, phase1_path)   # phase 2 can be redone from here
    if avg is not None:
        model.load_state_dict(avg)
    info = {"steps": step, "wall_time_s": round(time.time() - t0, 1), "history": history,
            "params": model.num_params(), "averaged_last_steps": C.AVG_LAST2}
    with open(os.path.join(work, "train_model.json"), "w") as f:
        json.dump(info, f, indent=1)
    model.eval()
    return model, info
