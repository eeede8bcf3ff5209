"""Score a finished nanochat d12 base-training run by CORE.

  evaluate.py --checkout <trial checkout> --run <run dir> --data <nanochat base dir>
              --python <the checkout's venv python> --nproc <GPUs>

launch_train.sh ran base_train with NANOCHAT_BASE_DIR=<run>/nanochat_base, so the model is in
  <run>/nanochat_base/base_checkpoints/d12/model_<step>.pt and meta_<step>.json.
This evaluator runs the checkout's scripts.base_eval (a protected file: trials cannot edit it,
nor nanochat/core_eval.py) on that model, which writes
  <run>/nanochat_base/base_eval/base_model_<step>.csv   rows "Task, Accuracy, Centered", last "CORE, , x"
and recomputes CORE itself from the per-task accuracies:
  centered = (acc - 0.01 * random_baseline) / (1 - 0.01 * random_baseline)   (eval_meta_data.csv)
  core     = mean of centered over every task labelled in eval_bundle/core.yaml   (maximize)
Rules: the checkpoint must be depth 12 (meta model_config.n_layer) → else illegal_edit; every
CORE task must be scored → else crash; NaN/inf in the checkpoint meta's val_bpb or in
an accuracy → diverged.
Prints one JSON line last: {"metric", "metrics", "label", "reason"}; exit status 0.
"""
import argparse
import csv
import glob
import json
import math
import os
import re
import subprocess
import sys

DEPTH = 12


class Fail(Exception):
    def __init__(self, label, reason):
        super().__init__(reason)
        self.label, self.reason = label, reason


def core_tasks(bundle):
    """Labels of core.yaml's icl_tasks, read without a YAML library: `label: <name>` lines."""
    with open(os.path.join(bundle, "core.yaml"), encoding="utf-8") as f:
        return re.findall(r"^\s*-?\s*label:\s*['\"]?([^'\"\n]+?)['\"]?\s*$", f.read(), flags=re.M)


def random_baselines(bundle):
    with open(os.path.join(bundle, "eval_meta_data.csv"), newline="", encoding="utf-8") as f:
        return {row["Eval Task"]: float(row["Random baseline"]) for row in csv.DictReader(f)}


def read_accuracies(path):
    accs = {}
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            cells = [c.strip() for c in line.split(",")]
            if len(cells) >= 2 and cells[0] != "CORE" and cells[1]:
                accs[cells[0]] = float(cells[1])
    return accs


def evaluate(a, result):
    m = result["metrics"]
    base = os.path.join(a.run, "nanochat_base")
    ckpt_dir = os.path.join(base, "base_checkpoints", f"d{DEPTH}")
    metas = sorted(glob.glob(os.path.join(ckpt_dir, "meta_*.json")))
    if not metas:
        raise Fail("crash", f"no checkpoint meta in {ckpt_dir}: base_train did not save a d{DEPTH} model")
    with open(metas[-1], encoding="utf-8") as f:
        meta = json.load(f)
    n_layer = meta.get("model_config", {}).get("n_layer")
    m.update(step=meta.get("step"), n_layer=n_layer, train_val_bpb=meta.get("val_bpb"))
    if n_layer != DEPTH:
        raise Fail("illegal_edit", f"the model has n_layer={n_layer}; NanoChat-D12 trains depth {DEPTH}")
    if isinstance(meta.get("val_bpb"), float) and not math.isfinite(meta["val_bpb"]):
        raise Fail("diverged", f"training ended with val_bpb {meta['val_bpb']}")

    cmd = [a.python, "-m", "scripts.base_eval"] if a.nproc == 1 else \
        [a.python, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={a.nproc}", "-m", "scripts.base_eval"]
    env = dict(os.environ, NANOCHAT_BASE_DIR=base)
    proc = subprocess.run(cmd, cwd=a.checkout, env=env, stdout=sys.stderr, stderr=sys.stderr)
    if proc.returncode != 0:
        raise Fail("crash", f"scripts.base_eval exited {proc.returncode}")
    csvs = sorted(glob.glob(os.path.join(base, "base_eval", "base_model_*.csv")))
    if not csvs:
        raise Fail("crash", "scripts.base_eval wrote no base_eval/base_model_*.csv")
    accs = read_accuracies(csvs[-1])
    bundle = os.path.join(a.data, "eval_bundle")
    tasks, chance = core_tasks(bundle), random_baselines(bundle)
    missing = [t for t in tasks if t not in accs]
    if not tasks or missing:
        raise Fail("crash", f"CORE tasks not scored: {', '.join(missing) or 'core.yaml lists none'}")
    if any(not math.isfinite(accs[t]) for t in tasks):
        raise Fail("diverged", "a CORE task accuracy is NaN/inf")
    centered = {t: (accs[t] - 0.01 * chance[t]) / (1.0 - 0.01 * chance[t]) for t in tasks}
    core = sum(centered.values()) / len(centered)
    m.update(accuracy=accs, centered=centered, core=core, tasks=len(tasks))
    result["metric"] = core
    result["reason"] = f"CORE {core:.4f} over {len(tasks)} tasks (step {meta.get('step')})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--nproc", type=int, default=8)
    a = ap.parse_args()
    result = {"metric": None, "metrics": {}, "label": None, "reason": ""}
    try:
        evaluate(a, result)
    except Fail as f:
        result["label"], result["reason"] = f.label, f.reason
        result["metric"] = None
    except Exception as e:  # noqa: BLE001  (what the trial wrote may be malformed in any way)
        result.update(metric=None, label="crash", reason=f"evaluation failed: {type(e).__name__}: {str(e)[:300]}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
