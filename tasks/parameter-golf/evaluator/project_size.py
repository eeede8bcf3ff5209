"""Project the artifact size of a parameter-golf checkout before training.

  project_size.py --checkout <trial checkout> --cap <bytes>

projected = code bytes + ZLIB_FLOOR x (one int8 byte per parameter of the shape in the
Hyperparameters defaults). It is a floor: only clear overruns are blocked before training; the
evaluator measures the real artifact afterwards. Prints {"projected_bytes": N}.
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golf_rules  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--checkout", required=True)
ap.add_argument("--cap", type=int, default=None)
a = ap.parse_args()
with open(os.path.join(a.checkout, "train_gpt.py"), encoding="utf-8") as f:
    code = f.read()
params = golf_rules.baseline_param_count(golf_rules.hyperparameter_defaults(code))
print(json.dumps({"projected_bytes": len(code.encode("utf-8")) + int(golf_rules.ZLIB_FLOOR * params), "params": params}))
