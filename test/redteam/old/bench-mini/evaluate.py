"""Score a finished bench-mini run.

  evaluate.py --checkout <trial checkout> --run <run dir> --data <data dir>
              --train-seconds <harness-measured wall time of train>

Reads <run>/config.json and every <run>/model_<i>.pt (i = 0, 1, ...; consecutive), builds
each model with the checkout's model.build_model(config), loads the state_dict (strict),
and computes its accuracy on the full Fashion-MNIST test set (<data>/test, 10,000 images,
input = uint8 / 255 as [B, 1, 28, 28] float32, argmax of the [B, 10] logits) with this
file's own loop, in eval mode, under torch.no_grad(). Trial code never sees the test set.

  metric = train_seconds (minimize), taken from --train-seconds: the runtime measures it.
  label  = "gate_miss" if fewer than MIN_SEEDS (3) models, or mean accuracy < GATE
           (common.py; the metric is still reported on an accuracy miss),
           "diverged" if any weight is NaN/inf or train_metrics.json says nan,
           "crash" on anything malformed.
Prints ONE JSON line as the last line of stdout:
  {"metric": train_seconds|null, "metrics": {"train_seconds", "mean_acc", "accs",
   "n_seeds", "gate", ...}, "label": null|"gate_miss"|"diverged"|"crash", "reason": "..."}
Exit status is 0 whenever that line was printed.
"""
import argparse
import importlib.util
import json
import math
import os
import sys
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


class Fail(Exception):
    def __init__(self, label, reason):
        super().__init__(reason)
        self.label, self.reason = label, reason


def load_model_module(checkout):
    path = os.path.join(checkout, "model.py")
    if not os.path.exists(path):
        raise Fail("crash", "no model.py in the checkout")
    sys.path.insert(0, checkout)
    spec = importlib.util.spec_from_file_location("bench_model", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not hasattr(mod, "build_model"):
        raise Fail("crash", "model.py has no build_model(config)")
    return mod


def evaluate(a, result):
    import numpy as np
    import torch

    metrics = result["metrics"]
    preset = os.environ.get("LINEAGE_PRESET", "cpu")
    gate = common.gate_for(preset)
    metrics["gate"] = gate
    ts = a.train_seconds
    if ts is None or not math.isfinite(ts) or ts < 0:
        raise Fail("crash", f"bad --train-seconds {ts!r}")
    metrics["train_seconds"] = ts

    run = a.run
    tm_path = os.path.join(run, "train_metrics.json")
    if os.path.exists(tm_path):
        try:
            with open(tm_path) as f:
                tm = json.load(f)
            if isinstance(tm, dict) and tm.get("nan"):
                raise Fail("diverged", "train_metrics.json reports a NaN/inf training loss")
        except (OSError, ValueError):
            pass
    cfg_path = os.path.join(run, "config.json")
    if not os.path.exists(cfg_path):
        raise Fail("crash", "no config.json in the run dir (train did not finish?)")
    with open(cfg_path) as f:
        config = json.load(f)
    if not isinstance(config, dict):
        raise Fail("crash", "config.json must hold an object")
    paths = []
    while len(paths) < common.MAX_SEEDS and os.path.exists(os.path.join(run, f"model_{len(paths)}.pt")):
        paths.append(os.path.join(run, f"model_{len(paths)}.pt"))
    metrics["n_seeds"] = len(paths)
    if len(paths) < common.MIN_SEEDS:
        raise Fail("gate_miss", f"only {len(paths)} seed model(s) (model_0.pt ...) in the run dir; "
                                f"the benchmark needs >= {common.MIN_SEEDS} independent seeds")

    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1") or 1)))
    device = "cuda" if (os.environ.get("LINEAGE_DEVICE") == "cuda" and torch.cuda.is_available()) else "cpu"
    xs = np.load(os.path.join(a.data, "test", "images.npy"))
    ys = np.load(os.path.join(a.data, "test", "labels.npy"))
    x_all = torch.from_numpy(xs).float().div_(255.0).unsqueeze(1)
    y_all = torch.from_numpy(ys.astype(np.int64))
    n = len(y_all)
    metrics["test_images"] = n

    mod = load_model_module(checkout=a.checkout)
    accs = []
    for i, p in enumerate(paths):
        try:
            model = mod.build_model(dict(config))
        except Exception as e:  # noqa: BLE001
            raise Fail("crash", f"model.build_model failed: {type(e).__name__}: {e}")
        try:
            sd = torch.load(p, map_location="cpu")
            model.load_state_dict(sd, strict=True)
        except Exception as e:  # noqa: BLE001
            raise Fail("crash", f"model_{i}.pt does not load into build_model(config): "
                                f"{type(e).__name__}: {str(e)[:200]}")
        for name, t in model.state_dict().items():
            if t.is_floating_point() and not torch.isfinite(t).all():
                raise Fail("diverged", f"model_{i}.pt: non-finite values in {name}")
        model.to(device).eval()
        correct = 0
        with torch.no_grad():
            for s in range(0, n, common.EVAL_BATCH):
                out = model(x_all[s:s + common.EVAL_BATCH].to(device))
                if not torch.is_tensor(out) or out.ndim != 2 or out.shape[1] != 10 \
                        or out.shape[0] != min(common.EVAL_BATCH, n - s):
                    raise Fail("crash", f"model output must be logits [B,10], got {getattr(out, 'shape', type(out))}")
                if not torch.isfinite(out).all():
                    raise Fail("diverged", f"model_{i}: non-finite logits")
                correct += int((out.argmax(1).cpu() == y_all[s:s + common.EVAL_BATCH]).sum())
        accs.append(correct / n)
    mean = sum(accs) / len(accs)
    metrics["accs"] = [round(x, 4) for x in accs]
    metrics["mean_acc"] = round(mean, 5)
    result["metric"] = ts
    if mean < gate:
        raise Fail("gate_miss", f"mean test accuracy {mean:.4f} over {len(accs)} seeds < gate {gate:.4f} "
                                f"(per seed {', '.join(f'{x:.4f}' for x in accs)})")
    result["reason"] = (f"train {ts:.2f}s; mean test acc {mean:.4f} >= gate {gate:.4f} "
                        f"over {len(accs)} seeds ({', '.join(f'{x:.4f}' for x in accs)})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-seconds", type=float, required=True)
    a = ap.parse_args()
    t0 = time.time()
    result = {"metric": None, "metrics": {"train_seconds": None, "mean_acc": None, "accs": [],
                                          "n_seeds": 0}, "label": None, "reason": ""}
    try:
        evaluate(a, result)
    except Fail as f:
        result["label"], result["reason"] = f.label, f.reason
        if f.label != "gate_miss":
            result["metric"] = None
    except Exception as e:  # noqa: BLE001  (trial code may raise anything)
        traceback.print_exc(file=sys.stdout)
        result["label"] = "crash"
        result["reason"] = f"evaluation failed: {type(e).__name__}: {str(e)[:300]}"
    result["metrics"]["eval_seconds"] = round(time.time() - t0, 3)
    sys.stdout.flush()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
