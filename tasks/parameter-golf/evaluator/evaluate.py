"""Score a finished openai/parameter-golf run from what train_gpt.py wrote.

  evaluate.py --checkout <trial checkout> --cap <bytes>

train_gpt.py (RUN_ID=lineage) writes, in its working folder (the checkout):
  logs/lineage.txt       its own source code, then the log lines printed by log0()
  final_model.int8.ptz   the int8 + zlib artifact it reloaded and scored
The log lines read here (upstream format):
  step:<s>/<n> train_loss:<x> train_time:<ms>ms step_avg:<ms>ms
  stopping_early: wallclock_cap train_time:<ms>ms step:<s>/<n>
  train_loader:dataset:<name> train_shards:<k>
  val_loader:shards pattern=<glob> tokens:<n>
  final_int8_zlib_roundtrip val_loss:<x> val_bpb:<x> eval_time:<ms>ms
  final_int8_zlib_roundtrip_exact val_loss:<x> val_bpb:<x>

metric = val_bpb of final_int8_zlib_roundtrip_exact (minimize): the score after the round trip.
Rules (the challenge's), each a label:
  the log was written by this checkout's train_gpt.py (its code heads the log) ... else crash
  a NaN/inf train loss or val_bpb .......................................... diverged
  code bytes + final_model.int8.ptz bytes <= cap (16,000,000), measured here .... size_blocked
  training wall time <= 600 s (plus the one step that crosses the cap) ....... train_budget_overrun
  round-trip evaluation <= 600 s ............................................ eval_budget_overrun
  no validation data in training: the training loader reads fineweb_train_* only,
  validation reads the full fineweb_val_* split ............................. illegal_edit
Prints one JSON line last: {"metric", "metrics", "label", "reason"}; exit status 0.
"""
import argparse
import json
import math
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golf_rules  # noqa: E402


class Fail(Exception):
    def __init__(self, label, reason):
        super().__init__(reason)
        self.label, self.reason = label, reason


def last(pattern, text):
    hits = re.findall(pattern, text, flags=re.M)
    return hits[-1] if hits else None


def evaluate(checkout, cap, result):
    m = result["metrics"]
    code_path = os.path.join(checkout, "train_gpt.py")
    log_path = os.path.join(checkout, "logs", "lineage.txt")
    ptz_path = os.path.join(checkout, "final_model.int8.ptz")
    if not os.path.exists(code_path):
        raise Fail("crash", "no train_gpt.py in the checkout")
    with open(code_path, encoding="utf-8") as f:
        code = f.read()
    if not os.path.exists(log_path):
        raise Fail("crash", "no logs/lineage.txt: train_gpt.py did not run with RUN_ID=lineage, or crashed early")
    with open(log_path, encoding="utf-8", errors="replace") as f:
        log = f.read()
    if not log.startswith(code):
        raise Fail("crash", "logs/lineage.txt does not start with this checkout's train_gpt.py: it was not written by this code")
    lines = log[len(code):]

    why = golf_rules.validation_leak(code, lines)
    if why:
        raise Fail("illegal_edit", why)

    losses = [float(x) for x in re.findall(r"^step:\d+/\d+ train_loss:(\S+)", lines, flags=re.M)]
    if any(not math.isfinite(x) for x in losses):
        raise Fail("diverged", "a train_loss in the log is NaN/inf")
    m["last_train_loss"] = losses[-1] if losses else None

    code_bytes = len(code.encode("utf-8"))
    if not os.path.exists(ptz_path):
        raise Fail("crash", "no final_model.int8.ptz: the run did not reach serialization")
    model_bytes = os.path.getsize(ptz_path)
    m.update(code_bytes=code_bytes, model_bytes=model_bytes, artifact_bytes=code_bytes + model_bytes)
    logged = last(r"^Total submission size int8\+zlib: (\d+) bytes", lines)
    m["logged_artifact_bytes"] = int(logged) if logged else None

    timing = last(r"^stopping_early: wallclock_cap train_time:(\d+)ms", lines)
    steps = re.findall(r"^step:(\d+)/\d+ .*train_time:(\d+)ms step_avg:([\d.]+)ms", lines, flags=re.M)
    if not steps:
        raise Fail("crash", "no step lines in the log")
    train_ms = int(timing) if timing else int(steps[-1][1])
    step_avg_ms = float(steps[-1][2])
    m.update(train_time_ms=train_ms, steps=int(steps[-1][0]), step_avg_ms=step_avg_ms)

    final = last(r"^final_int8_zlib_roundtrip_exact val_loss:(\S+) val_bpb:(\S+)", lines)
    evalt = last(r"^final_int8_zlib_roundtrip val_loss:\S+ val_bpb:\S+ eval_time:(\d+)ms", lines)
    if final is None or evalt is None:
        raise Fail("crash", "no final_int8_zlib_roundtrip lines: the round-trip evaluation did not finish")
    val_loss, val_bpb = float(final[0]), float(final[1])
    if not math.isfinite(val_bpb):
        raise Fail("diverged", f"round-trip val_bpb is {final[1]}")
    m.update(val_loss=val_loss, val_bpb=val_bpb, eval_time_ms=int(evalt))
    result["metric"] = val_bpb

    if code_bytes + model_bytes > cap:
        raise Fail("size_blocked", f"artifact {code_bytes + model_bytes} bytes (code {code_bytes} + int8+zlib model {model_bytes}) > cap {cap}")
    # The loop checks the cap after each step, so the step that crosses it is allowed.
    if train_ms > golf_rules.TRAIN_LIMIT_MS + step_avg_ms:
        raise Fail("train_budget_overrun", f"training took {train_ms} ms > {golf_rules.TRAIN_LIMIT_MS} ms")
    if int(evalt) > golf_rules.EVAL_LIMIT_MS:
        raise Fail("eval_budget_overrun", f"round-trip evaluation took {evalt} ms > {golf_rules.EVAL_LIMIT_MS} ms")
    result["reason"] = (f"val_bpb {val_bpb:.4f} after the int8+zlib round trip; artifact {code_bytes + model_bytes} bytes; "
                        f"train {train_ms / 1000:.1f} s, eval {int(evalt) / 1000:.1f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--cap", type=int, required=True)
    a = ap.parse_args()
    result = {"metric": None, "metrics": {}, "label": None, "reason": ""}
    try:
        evaluate(a.checkout, a.cap, result)
    except Fail as f:
        result["label"], result["reason"] = f.label, f.reason
        if f.label not in ("size_blocked",):
            result["metric"] = None
    except Exception as e:  # noqa: BLE001  (what the trial wrote may be malformed in any way)
        result.update(metric=None, label="crash", reason=f"evaluation failed: {type(e).__name__}: {str(e)[:300]}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
