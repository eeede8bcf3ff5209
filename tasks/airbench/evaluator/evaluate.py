"""Score a finished airbench96 run: harness-timed seconds per run, gated on mean accuracy.

  evaluate.py --checkout <trial checkout> --train-seconds <harness wall time of train>

airbench96.py's __main__ trains N runs and saves logs/<uuid>/log.pt = {"code": <its source>,
"accs": tensor of N test accuracies (TTA)}. This evaluator loads the newest log.pt with
torch.load(weights_only=True) (no code from the trial is unpickled) and checks:
  the log's code is this checkout's airbench96.py ............ else crash
  N >= MIN_RUNS (25) independent runs ......................... else gate_miss
  every accuracy finite ....................................... else diverged
  mean accuracy >= GATE (0.96) ................................ else gate_miss (metric still reported)
metric = train_seconds / N (minimize): the harness's wall time of the whole process, per run —
never the recipe's own timer (its total_time_seconds column is ignored).
Prints one JSON line last: {"metric", "metrics", "label", "reason"}; exit status 0.
"""
import argparse
import glob
import json
import math
import os

GATE = 0.96
MIN_RUNS = 25


class Fail(Exception):
    def __init__(self, label, reason):
        super().__init__(reason)
        self.label, self.reason = label, reason


def evaluate(a, result):
    import torch

    m = result["metrics"]
    if not math.isfinite(a.train_seconds) or a.train_seconds <= 0:
        raise Fail("crash", f"bad --train-seconds {a.train_seconds}")
    code_path = os.path.join(a.checkout, "airbench96.py")
    logs = sorted(glob.glob(os.path.join(a.checkout, "logs", "*", "log.pt")), key=os.path.getmtime)
    if not logs:
        raise Fail("crash", "no logs/<uuid>/log.pt: airbench96.py did not finish")
    log = torch.load(logs[-1], map_location="cpu", weights_only=True)
    with open(code_path, encoding="utf-8") as f:
        if log.get("code") != f.read():
            raise Fail("crash", f"{os.path.relpath(logs[-1], a.checkout)} was not written by this checkout's airbench96.py")
    accs = [float(x) for x in torch.as_tensor(log["accs"]).flatten().tolist()]
    n = len(accs)
    m.update(train_seconds=a.train_seconds, runs=n, gate=GATE)
    if any(not math.isfinite(x) for x in accs):
        raise Fail("diverged", "a run's accuracy is NaN/inf")
    if n < MIN_RUNS:
        raise Fail("gate_miss", f"{n} runs in the log; the benchmark needs >= {MIN_RUNS}")
    mean = sum(accs) / n
    per_run = a.train_seconds / n
    m.update(mean_acc=mean, min_acc=min(accs), seconds_per_run=per_run)
    result["metric"] = per_run
    if mean < GATE:
        raise Fail("gate_miss", f"mean accuracy {mean:.4f} over {n} runs < gate {GATE}")
    result["reason"] = f"{per_run:.2f} s per run ({a.train_seconds:.1f} s for {n} runs); mean accuracy {mean:.4f} >= {GATE}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--train-seconds", type=float, required=True)
    a = ap.parse_args()
    result = {"metric": None, "metrics": {}, "label": None, "reason": ""}
    try:
        evaluate(a, result)
    except Fail as f:
        result["label"], result["reason"] = f.label, f.reason
        if f.label != "gate_miss":
            result["metric"] = None
    except Exception as e:  # noqa: BLE001  (what the trial wrote may be malformed in any way)
        result.update(metric=None, label="crash", reason=f"evaluation failed: {type(e).__name__}: {str(e)[:300]}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
