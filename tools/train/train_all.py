"""One command for the whole default-model pipeline:
corpus -> tokenizer -> model -> SAEs -> evaluation -> artifacts + model card.

  /usr/bin/python3 tools/train/train_all.py --out media/default

Intermediate files and checkpoints go to --work (default tools/train/.work);
re-running resumes from them.
"""
import argparse
import ast
import json
import os
import sys
import time

# Idle OpenMP threads must not spin (they would starve OpenBLAS's threads and
# anything else running on a small machine); set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import config as C  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="media/default")
    ap.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work"))
    ap.add_argument("--stage", default="all", choices=["prepare", "model", "all"])
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override a config.py setting (Python literal), e.g. --set STEPS2=600; "
                         "for experiments: the model card describes config.py's values")
    args = ap.parse_args()
    for kv in args.set:
        name, value = kv.split("=", 1)
        if not hasattr(C, name):
            ap.error(f"--set: no setting {name} in config.py")
        setattr(C, name, ast.literal_eval(value))
    torch.set_num_threads(int(os.environ.get("MECHLENS_TRAIN_THREADS", "2")))
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    tpath = os.path.join(args.work, "timings.json")
    timings = json.load(open(tpath)) if os.path.exists(tpath) else {}

    def log(msg):
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    def timed(name, fn):
        t = time.time()
        r = fn()
        if name not in timings:
            timings[name] = round(time.time() - t, 1)
            json.dump(timings, open(tpath, "w"), indent=1)
        return r

    from prepare import prepare
    tok, train_stream, held_stream, nat, stats = timed("prepare", lambda: prepare(args.work, log))
    if args.stage == "prepare":
        return
    from train_model import train
    model, info = timed("train_model", lambda: train(tok, train_stream, args.work, log))
    from export_model import export
    export(model, tok, os.path.join(args.out, "model"))
    if args.stage == "model":
        return
    from train_sae import train_saes
    saes = timed("train_saes", lambda: train_saes(model, tok, train_stream, args.work, log))
    from finish import finish
    timed("evaluate_and_write", lambda: finish(model, tok, held_stream, saes, stats, args, log))
    from finish import engine_measure, update_timings
    timed("engine_measure", lambda: engine_measure(args.out, log))
    update_timings(args.out, args.work)   # also re-renders MODEL_CARD.md with engine_metrics.json
    log(f"timings {json.load(open(tpath))}")


if __name__ == "__main__":
    main()
