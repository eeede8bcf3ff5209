"""Preflight: projected artifact bytes of a checkout, without training.

  project_size.py --checkout <dir> [--preset cpu|gpu]

Advisory: it runs trial code (model.py) in the sandbox, so a model can make it lie; the
harness counts the real bytes at evaluation. Reads train.py's UPPER_CASE constants with ast (train.py is not executed), applies the
preset (LINEAGE_PRESET env or --preset; gpu multiplies the knobs in GPU_SCALE), builds the
model with the checkout's model.build_model(config) and counts its unique parameters.
  projected_bytes = code bytes (every *.py of the checkout; the harness counts every file)
                  + sum over matrices (ndim >= 2): ceil(numel * QUANT_BITS / 8) + 2 * rows
                  + sum over 1-d tensors: 2 * numel            (fp16)
                  + header slack (12 + 1024 + 160 per tensor + the config's JSON length)
This is the uncompressed size of the reference layout; lzma usually takes a few % off.
Prints one JSON line: {"projected_bytes": N, "params": P, "code_bytes": C, "quant_bits": b}.
"""
import argparse
import importlib.util
import json
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--preset", default=os.environ.get("LINEAGE_PRESET", "cpu"))
    a = ap.parse_args()
    checkout = os.path.abspath(a.checkout)

    knobs = common.apply_preset(common.parse_knobs(os.path.join(checkout, "train.py")), a.preset)
    config = common.knobs_to_config(knobs)
    bits = int(knobs.get("QUANT_BITS", 8))

    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, checkout)
    spec = importlib.util.spec_from_file_location("model", os.path.join(checkout, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["model"] = mod
    spec.loader.exec_module(mod)
    model = mod.build_model(config)

    params, weight_bytes, n_tensors = 0, 0, 0
    for _, p in model.named_parameters():
        numel = p.numel()
        params += numel
        n_tensors += 1
        if p.ndim >= 2:
            weight_bytes += math.ceil(numel * bits / 8) + 2 * p.shape[0]
        else:
            weight_bytes += 2 * numel
    slack = 12 + 1024 + 160 * n_tensors + len(json.dumps(config))
    cb = common.code_bytes(checkout)
    print(json.dumps({"projected_bytes": cb + weight_bytes + slack, "params": params,
                      "code_bytes": cb, "quant_bits": bits}))


if __name__ == "__main__":
    main()
