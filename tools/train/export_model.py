"""Write the HF GPT-2 checkpoint folder: config.json, model.safetensors, tokenizer."""
import json
import os

import numpy as np

import config as C
from safetensors_io import save_file


def hf_config(vocab_size, eot_id):
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": vocab_size,
        "n_embd": C.N_EMBD,
        "n_head": C.N_HEAD,
        "n_layer": C.N_LAYER,
        "n_positions": C.N_POSITIONS,
        "n_ctx": C.N_POSITIONS,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "tie_word_embeddings": True,
        "use_cache": True,
        "bos_token_id": eot_id,
        "eos_token_id": eot_id,
        "torch_dtype": "float32",
    }


def export(model, tok, folder):
    os.makedirs(folder, exist_ok=True)
    tensors = {k: v.numpy().astype(np.float32) for k, v in model.state().items()}
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf_config(len(tok), tok.eot_id), f, indent=2)
    tok.save(folder, C.N_POSITIONS)
