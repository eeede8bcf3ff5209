"""Trusted scorer of a bench-mini run. It never imports trial code.

  score.py --outputs <train outputs> --data <data dir> --train-seconds <harness sum>

The harness trains once per seed (task.yaml train.seeds), each run in its own fresh checkout with
its own LINEAGE_SEED and unable to see the other runs' outputs, and passes the sum of the runs'
wall times as --train-seconds. Each run's outputs are in <outputs>/seed_<i>/ (model.pt,
config.json, train_metrics.json). The model runner (model_runner.py, in the trial sandbox)
builds and loads every seed's model and answers uint8[B, 28, 28] test images with
float32[B, S, 10] logits, one row of S seed models per image. The test labels stay here.

  metric = train_seconds + runner seconds (minimize). Runner seconds are every second the scorer
           waits on trial code: the runner's start, model loading and every reply, so no
           trial-written work is done off the clock during evaluation.
  label  = "gate_miss" if fewer than MIN_SEEDS seed folders, or mean accuracy over the seeds
           < GATE (common.py; the metric is still reported on an accuracy miss);
           "suspect" if two seeds' models are (nearly) one model (their test logits differ by less
           than GAP_MIN of their spread): seeds must be independent, or the gate is an average
           over one lucky model;
           "diverged" on non-finite logits or a train_metrics.json that says nan;
           "crash" on anything malformed or an illegal model.
Checks (on randomly chosen real scored batches, seed trial code never sees): a batch is asked
again shuffled with a quarter of its rows replaced by rows of another scored batch; every row
must get its first answer back (batch independence in eval mode, statelessness).
"""
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.environ.get("LINEAGE_SCORING_LIB", ""), HERE]
import numpy as np  # noqa: E402
import common  # noqa: E402
from scorer import Fail, check_points, recheck, run, secret_rng  # noqa: E402

CHECKS = 2
GAP_MIN = 0.05  # least logit gap between two seeds (see independence); below it the seeds are one model
HONEST_GAP = "0.37"  # the baseline's seeds 1000 and 1001 (knowledge.md)


def seed_dirs(outputs):
    dirs = []
    while len(dirs) < common.MAX_SEEDS:
        d = os.path.join(outputs, f"seed_{len(dirs)}")
        if not (os.path.isfile(os.path.join(d, "model.pt")) and os.path.isfile(os.path.join(d, "config.json"))):
            break
        dirs.append(d)
    return dirs


def check_train_metrics(dirs):
    for i, d in enumerate(dirs):
        try:
            with open(os.path.join(d, "train_metrics.json")) as f:
                tm = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(tm, dict) and tm.get("nan"):
            raise Fail("diverged", f"seed {i}: train_metrics.json reports a NaN/inf training loss")


def independence(logits):
    """The least independent pair of seeds: (logit gap, share of equal predictions, (i, j)). The gap is
    the mean absolute difference of two seeds' logits over the test set, relative to their spread
    (mean absolute deviation from their own mean): 0 for one model, ~1 for independent ones."""
    z = logits.astype(np.float64)
    spread = np.abs(z - z.mean(axis=(0, 2), keepdims=True)).mean(axis=(0, 2))  # [S]
    preds = z.argmax(-1)
    S = z.shape[1]
    pairs = [(float(np.abs(z[:, i] - z[:, j]).mean() / max(1e-12, 0.5 * (spread[i] + spread[j]))),
              float((preds[:, i] == preds[:, j]).mean()), (i, j))
             for i in range(S) for j in range(i + 1, S)]
    return min(pairs, key=lambda p: p[0])


def score(result, runner, outputs, data, train_seconds):
    m = result["metrics"]
    gate = common.gate_for(os.environ.get("LINEAGE_PRESET", "cpu"))
    m.update({"gate": gate, "train_seconds": train_seconds, "mean_acc": None, "n_seeds": 0})
    if train_seconds is None or not math.isfinite(train_seconds) or train_seconds < 0:
        raise Fail("crash", f"bad --train-seconds {train_seconds!r}")
    dirs = seed_dirs(outputs)
    m["n_seeds"] = S = len(dirs)
    if S < common.MIN_SEEDS:
        raise Fail("gate_miss", f"only {S} seed model(s) (seed_<i>/model.pt + config.json) among the train outputs; "
                                f"the benchmark needs >= {common.MIN_SEEDS} independent seeds")
    check_train_metrics(dirs)
    xs = np.load(os.path.join(data, "test", "images.npy"), allow_pickle=False)
    ys = np.load(os.path.join(data, "test", "labels.npy"), allow_pickle=False).astype(np.int64)
    n = len(ys)
    m["test_images"] = n

    runner.start()
    rng = secret_rng()
    starts = list(range(0, n, common.EVAL_BATCH))
    checks = check_points(rng, len(starts), CHECKS)
    logits = np.zeros((n, S, 10), dtype=np.float32)
    for b, s in enumerate(starts):
        x = np.ascontiguousarray(xs[s:s + common.EVAL_BATCH], dtype=np.uint8)
        logits[s:s + len(x)] = runner.ask(x, (len(x), S, 10), np.float32)
        if b in checks:
            r, d = rng.integers(b + 1), rng.integers(b + 1)
            xr = xs[starts[r]:starts[r] + common.EVAL_BATCH]
            donor = xs[starts[d]:starts[d] + common.EVAL_BATCH]
            recheck(runner, np.ascontiguousarray(xr), logits[starts[r]:starts[r] + len(xr)], np.ascontiguousarray(donor), rng, np.float32)
    eval_s = runner.seconds  # the runner's start, loading and every reply (checks included)
    accs = [float((logits[:, i].argmax(-1) == ys).mean()) for i in range(S)]
    mean = sum(accs) / S
    m["accs"] = [round(a, 4) for a in accs]
    m["mean_acc"] = round(mean, 5)
    m["eval_runner_seconds"] = round(eval_s, 3)
    metric = train_seconds + eval_s
    result["metric"] = metric
    gap, agree, pair = independence(logits)
    m["seed_logit_gap_min"] = round(gap, 4)
    m["seed_agreement"] = round(agree, 4)
    if gap < GAP_MIN:
        what = "give the same logits on every test image" if gap < 1e-4 else f"give nearly the same logits (gap {gap:.4f})"
        raise Fail("suspect", f"seeds {pair[0]} and {pair[1]} {what}: one model, not independent seeds (the logit gap "
                              f"between two seeds must be >= {GAP_MIN}; honest seeds: ~{HONEST_GAP}); every random choice "
                              "of train.py must follow LINEAGE_SEED", keep_metric=True)
    per_seed = ", ".join(f"{a:.4f}" for a in accs)
    if mean < gate:
        raise Fail("gate_miss", f"mean test accuracy {mean:.4f} over {S} seeds < gate {gate:.4f} (per seed {per_seed})",
                   keep_metric=True)
    result["reason"] = (f"train {train_seconds:.2f}s + eval {eval_s:.2f}s; mean test acc {mean:.4f} >= gate {gate:.4f} "
                        f"over {S} seeds ({per_seed})")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--outputs", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-seconds", type=float, required=True)
    a = ap.parse_args()
    run(lambda result, runner: score(result, runner, a.outputs, a.data, a.train_seconds))
