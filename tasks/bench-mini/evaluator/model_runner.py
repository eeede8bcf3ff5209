"""bench-mini's model loader, run by the shared model runner inside the trial sandbox.

For every seed folder <outputs>/seed_<i>/ (consecutive from 0) it builds the checkout's
model.build_model(config) from that seed's config.json and loads its model.pt with
torch.load(weights_only=True) (a plain state_dict, strict: no pickled code runs). It answers
uint8[B, 28, 28] test images with float32[B, S, 10] logits, every seed's model on every image
(input uint8 / 255 as float32 [B, 1, 28, 28], eval mode). It never sees a label.
Untrusted by design: the scorer checks every reply and counts the time it takes.
"""
import importlib.util
import json
import os

import numpy as np
import torch


def load(checkout, outputs):
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1") or 1)))
    device = "cuda" if (os.environ.get("LINEAGE_DEVICE") == "cuda" and torch.cuda.is_available()) else "cpu"
    spec = importlib.util.spec_from_file_location("bench_model", os.path.join(checkout, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    models = []
    while os.path.isfile(os.path.join(outputs, f"seed_{len(models)}", "model.pt")):
        d = os.path.join(outputs, f"seed_{len(models)}")
        with open(os.path.join(d, "config.json")) as f:
            config = json.load(f)
        model = mod.build_model(dict(config))
        model.load_state_dict(torch.load(os.path.join(d, "model.pt"), map_location="cpu", weights_only=True), strict=True)
        models.append(model.to(device).eval())

    def predict(x):
        with torch.no_grad():
            t = torch.from_numpy(np.ascontiguousarray(x)).to(device).float().div_(255.0).unsqueeze(1)
            return torch.stack([m(t).float() for m in models], dim=1).cpu().numpy()

    params = sum(p.numel() for p in models[0].parameters()) if models else 0
    return predict, {"seeds": len(models), "params": int(params)}
