"""golf-mini's model loader, run by the shared model runner inside the trial sandbox.

Decodes <outputs>/artifact.bin (format: common.py), builds the checkout's
model.build_model(config), loads the weights and answers int64[B, T] byte windows with
float32[B, T, 256] logits. Untrusted by design: the scorer checks every reply.
"""
import importlib.util
import os

import numpy as np
import torch

import common


def load(checkout, outputs):
    config, _header, tensors = common.read_artifact(os.path.join(outputs, "artifact.bin"))
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1") or 1)))
    device = "cuda" if (os.environ.get("LINEAGE_DEVICE") == "cuda" and torch.cuda.is_available()) else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    spec = importlib.util.spec_from_file_location("model", os.path.join(checkout, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.build_model(dict(config))
    named = dict(model.named_parameters())
    if set(named) != set(tensors):
        missing, extra = sorted(set(named) - set(tensors)), sorted(set(tensors) - set(named))
        raise ValueError(f"artifact/model parameter mismatch: missing {missing[:5]}, extra {extra[:5]}")
    with torch.no_grad():
        for name, p in named.items():
            t = tensors[name]
            if tuple(p.shape) != tuple(t.shape):
                raise ValueError(f"shape mismatch for {name}: model {tuple(p.shape)} vs artifact {t.shape}")
            p.copy_(torch.from_numpy(np.ascontiguousarray(t)).to(p.dtype))
    model.to(device).eval()

    def predict(x):
        with torch.no_grad():
            return model(torch.from_numpy(x.astype(np.int64)).to(device)).float().cpu().numpy()

    return predict, {"params": int(sum(t.size for t in tensors.values()))}
