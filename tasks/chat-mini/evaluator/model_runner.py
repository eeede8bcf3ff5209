"""chat-mini's model loader, run by the shared model runner inside the trial sandbox.

Builds the checkout's model.build_model(config) from <outputs>/config.json, loads
<outputs>/model.pt with torch.load(weights_only=True) (a plain state_dict: no pickled code runs)
and answers int64[B, T] byte sequences with float32[B, T, 256] logits. It never sees the suite.
Untrusted by design: the scorer checks every reply.
"""
import importlib.util
import json
import os

import numpy as np
import torch


def load(checkout, outputs):
    with open(os.path.join(outputs, "config.json")) as f:
        config = json.load(f)
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1") or 1)))
    device = "cuda" if (os.environ.get("LINEAGE_DEVICE") == "cuda" and torch.cuda.is_available()) else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    state = torch.load(os.path.join(outputs, "model.pt"), map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError("model.pt must be a dict of tensors (a state_dict)")
    spec = importlib.util.spec_from_file_location("model", os.path.join(checkout, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.build_model(dict(config))
    named = dict(model.named_parameters())
    missing = sorted(set(named) - set(state))
    if missing:
        raise ValueError(f"model.pt lacks parameters {missing[:5]}")
    with torch.no_grad():
        for name, p in named.items():
            t = state[name]
            if tuple(p.shape) != tuple(t.shape):
                raise ValueError(f"shape mismatch for {name}: model {tuple(p.shape)} vs model.pt {tuple(t.shape)}")
            p.copy_(t.to(p.dtype))
    model.to(device).eval()

    def predict(x):
        with torch.no_grad():
            return model(torch.from_numpy(x.astype(np.int64)).to(device)).float().cpu().numpy()

    return predict, {"params": int(sum(p.numel() for p in named.values()))}
