"""Write {text, ids} cases (ids from the Python encoder, no BOS) for check_tokenizer.mjs.

  /usr/bin/python3 tools/train/make_tokenizer_cases.py media/default /tmp/cases.jsonl
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import tasks  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


def main(out_dir, path):
    tok = Tokenizer.load(os.path.join(out_dir, "model"))
    nat = corpus.load_natural()
    lines = [l for d in nat["train"][::20] for l in d.split("\n")][:400]
    lines += nat["heldout"][:50]
    rng = random.Random(0)
    lines += [tasks.ioi_train_text(rng) for _ in range(50)]
    lines += [e["prompt"] for e in tasks.ioi_heldout(50, 1)]
    lines += ["  double  spaces\n\n\tand tabs  \n", "it's they're we'll I'd 123 4567 a--b!!",
              "Hello<|endoftext|>World", " leading space", "trailing   ", "", "\n"]
    with open(path, "w") as f:
        for l in lines:
            f.write(json.dumps({"text": l, "ids": tok.encode(l)}) + "\n")
    print(f"{len(lines)} cases -> {path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
