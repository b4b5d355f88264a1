"""All settings of the default-model pipeline in one place (fixed seeds)."""

SEED = 1234

# corpus / tokenizer
VOCAB_SIZE = 4096          # 256 byte symbols + merges + <|endoftext|>
EOT = "<|endoftext|>"      # also used as BOS at the start of every sequence
HELDOUT_EVERY = 25         # every 25th natural-text document is held out (4%)

# model (HF GPT-2 architecture)
N_EMBD = 256
N_HEAD = 8
N_LAYER = 4
N_POSITIONS = 128
CTX = 128                  # training sequence length (BOS + 127 tokens)

# model training
BATCH = 32
STEPS = 1600
LR = 2e-3
WARMUP = 100
WEIGHT_DECAY = 0.1
EMB_LR_MULT = 10.0        # embeddings (wte, wpe) learn 10x faster, no weight decay
GRAD_CLIP = 1.0
# Circuit scaffolding for a tiny CPU budget (the loss plateau before induction
# heads form naturally is far longer than ~1600 steps). Early in training three
# heads get auxiliary losses: -log(attention on the target key) for a
# previous-token head, an induction head and the IOI circuit of Wang et al. 2022
# (duplicate-token head S2->S1, S-inhibition head END->S2, name mover END->IO),
# plus for the induction head and the name mover a copy loss on the head's direct logit contribution (train_model.py).
# Weight AUX_COEF until AUX_FULL * STEPS, then linearly to 0 at AUX_END * STEPS;
# the rest of training is plain next-token loss. The two copy heads start with a
# positive semi-definite OV (train_model.init_copy_heads).
AUX_HEADS = {"prev_token": (0, 0), "induction": (1, 0), "ioi": (3, 0),    # (layer, head)
             "dup": (1, 1), "sinhib": (2, 0)}
AUX_COEF = 1.0
AUX_FULL = 0.5
AUX_END = 0.75
MIX = {"natural": 0.3, "ioi": 0.3, "induction": 0.25, "names": 0.15}   # fraction of sequences
# Phase 2: STEPS2 more steps after the main run (no phase-1 auxiliary losses; the phase-2
# regularizers below), lr warmed up to LR2 over 20 steps then cosine to LR2/10, more IOI, IOI
# sentences from the extended grammar tasks.G2 (more verbs, shapes and openers; still none of
# the held-out words) with WordNet nouns as places and objects (tasks.phase2_nouns); random-word
# stand-ins for the names in WORD_NAME_FRAC2 of them; COPY_FRAC2 of the sentences about named
# people name one person twice (tasks._GENERIC_COPY).
STEPS2 = 500
LR2 = 5e-4
MIX2 = {"natural": 0.25, "ioi": 0.35, "induction": 0.2, "names": 0.2}
COPY_FRAC2 = 0.0
WORD_NAME_FRAC2 = 0.3
# Phase-2 options, on in the shipped run: half of the final clauses with any of ~7000 WordNet
# verbs; places/objects from all ~22,000 WordNet noun lemmas (multi-token ones too).
PHASE2_WORDNET_VERBS = True
PHASE2_SINGLE_TOKEN_NOUNS = False
# Fraction of phase-2 IOI templates drawn from tasks.generic_template (structurally generic:
# WordNet verbs in both clauses, random prepositions and adverbial openers, WordNet-gloss
# filler clauses and distractor sentences); half in the shipped run (0 before 2026-11-21).
PHASE2_GENERIC_FRAC = 0.5
# Fraction of phase-2 IOI templates with 1-3 random words (WordNet gloss words, adverbs,
# verbs; no held-out word) inserted anywhere before the final "to" (tasks.insert_noise_words).
PHASE2_NOISE_FRAC = 0.3
# Fraction of the generic templates that open with a random capitalised WordNet word right
# before the two names ("Tolerably {A} and {B} ..."): without it an unknown sentence-initial
# word before the names (held-out "Friends {A} and {B}", "Once {A} and {B}") cut the held-out
# names' accuracy from ~0.94 to ~0.70 (the word is taken for a participant).
PHASE2_BARE_OPENER_FRAC = 0.2
# Fraction of the generic templates that open with a word that starts sentences of the
# natural text (tasks.sentence_initial_words: "And", "Wherefore", "Because", ...; no held-out
# marker), right before the names, as a subordinating opener or alone; 0 = off.
PHASE2_CORPUS_OPENER_FRAC = 0.2
# Phase-2 answer loss (train_model.answer_loss): the mean cross-entropy of the IOI answers alone
# (the token after each IOI sentence's final " to"), added with this weight; 0 = off. In the
# next-token loss the answers are under 2% of the predicted tokens.
ANSWER_LOSS_COEF2 = 0.5
# Learning-rate multiplier of the embeddings (wte, wpe) in phase 2 (shipped: the same 10x as
# phase 1). 0 freezes them, so what phase 2 learns about IOI has to live in the shared weights
# (attention, MLPs), which act on held-out names exactly as on training names.
EMB_LR_MULT2 = 10.0
# Phase-2 copy regularizer on the name mover's OV circuit (train_model.ov_copy_loss): at
# OV_COPY_TOKENS2 random positions of each batch (any kind of text), the head's output for the
# residual stream there, read through the tied unembedding (x OV_COPY_SCALE2, about ln_f's
# scale), should predict the token at that position. Without it the head copies well only the
# tokens that IOI training sentences used (training names, stand-in words): a held-out name's
# own logit beat the other names' in only half the cases (the copy score of Wang et al. 2022).
OV_COPY_HEADS2 = [(3, 0)]
OV_COPY_COEF2 = 1.0
OV_COPY_TOKENS2 = 512
OV_COPY_SCALE2 = 0.3
# Phase-2 attention supervision of the duplicate-token head (AUX_HEADS["dup"]) on the
# induction sequences: each token of a second copy attends to its first occurrence
# (-log attention, weight DUP_AUX_COEF2). Phase 1 supervised it on IOI sentences only, where
# it learnt positional shortcuts that fail in unseen templates.
DUP_AUX_COEF2 = 1.0
# Phase-2 regularizer of the S-inhibition token signal (train_model.sinhib_token_loss), on
# SINHIB_REG_PAIRS2 repeated-token pairs of the induction sequences per step; 0 = off.
SINHIB_REG_COEF2 = 0.0
SINHIB_REG_PAIRS2 = 256
# Phase-2 virtual names (train_model.virtual_name_embeddings): in this fraction of the IOI
# sentences that keep real names (after WORD_NAME_FRAC2), both names become virtual tokens
# with embeddings drawn afresh every step, one of VIRTUAL_NAMES2 per step; 0 = off.
VIRTUAL_NAME_FRAC2 = 0.0
VIRTUAL_NAMES2 = 64
# How virtual names are drawn: "isotropic" (the training names' mean plus isotropic noise of
# their mean spread) or "names" (a Gaussian with the training names' mean and covariance).
VIRTUAL_NAME_SHAPE2 = "isotropic"
# Phase-2 tail averaging (Polyak averaging, as in SWA): the model kept at the end of training
# is the uniform average of the weights after each of the last AVG_LAST2 steps; 0 = the last
# weights. The 100-prompt monitor swings by several points between 50-step checks.
AVG_LAST2 = 0
WORD_NAME_FRAC = 0.5      # IOI sentences whose two names are replaced by random word tokens

# SAEs (TopK, one per layer on blocks.L.hook_resid_post)
SAE_EXPANSION = 8          # d_sae = 8 * n_embd
SAE_K = 32
SAE_TOKENS = 1_500_000     # training tokens per SAE (BOS positions excluded)
SAE_BATCH = 2048
SAE_LR = 4e-4
SAE_AUXK = 128             # k_aux = d_in / 2 (Gao et al. 2024)
SAE_AUXK_COEF = 1 / 32
SAE_DEAD_TOKENS = 200_000  # a latent is "dead" for AuxK if unused for this many tokens
SAE_EVAL_SEQS = 1024       # held-out sequences for SAE eval (>= 100k tokens)
