"""Score a finished golf-mini run.

  evaluate.py --checkout <trial checkout> --run <run dir> --data <data dir> --cap <bytes>
              [--eval-bytes N]

Reads <run>/artifact.bin (format: common.py), decodes and dequantizes it, builds the model
with the checkout's model.build_model(header.config), loads the weights, and computes

  val_bpb = (sum over scored bytes of -log2 p(byte | its context)) / (number scored)

Scored bytes (cpu preset): 16 chunks of val.bin, chunk c = val[b_c .. b_c + 4096] with
b_c = round(c * (len(val) - 4097) / 15); the 4096 bytes after b_c are scored, 65,536 in all.
gpu preset: one chunk, the whole val.bin (every byte but the first). --eval-bytes N: one
chunk, the first N+1 bytes. Within a chunk u[0..k] (k targets): L = config.seq_len,
S = config.eval_stride (default L, clamped to [ceil(L/4), L]). Window ends e run
e = min(L, k), then e = min(e + S, k) until e = k; the window with end e feeds the model
u[max(0, e-L) .. e-1], predicts u[max(0, e-L)+1 .. e], and only its targets not scored by
an earlier window count. So every target is scored exactly once, with 1 to L bytes
of context, all from the same chunk and all preceding it (S = L: non-overlapping windows;
the first target of each window sees one byte). The loss is computed here
(log_softmax of the float32 logits, sums in float64), never by trial code. Before scoring,
probes check that the model is causal, that windows of one batch do not influence each
other, and afterwards that it is stateless (same logits as before the pass).

Prints ONE JSON line as the last line of stdout:
  {"metric": val_bpb|null, "metrics": {"val_bpb", "artifact_bytes", "code_bytes",
   "params", "final_loss", ...}, "label": null|"size_blocked"|"diverged"|"crash",
   "reason": "..."}
Exit status is 0 whenever that line was printed.
"""
import argparse
import ast
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

EVAL_CHUNKS, EVAL_CHUNK = 16, 4096  # cpu preset: 16 x 4096 = 65536 scored bytes
EVAL_BATCH = 32
MAX_SEQ_LEN = 8192

# --- static legality of the model code (model.py and the local modules it imports) ---
SAFE_IMPORTS = {"math", "torch", "numpy", "typing", "dataclasses", "functools", "itertools",
                "collections", "numbers", "enum", "abc", "__future__", "warnings", "copy",
                "operator"}
BANNED_NAMES = {"open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars",
                "breakpoint", "input", "memoryview", "__builtins__", "getattr", "setattr",
                "delattr"}
BANNED_ATTRS = {"load", "loads", "fromfile", "from_file", "memmap", "loadtxt", "genfromtxt",
                "open", "environ", "getenv", "system", "popen", "get_objects", "get_referrers",
                "_getframe", "modules", "f_back", "f_globals", "f_locals", "__globals__",
                "__builtins__", "__subclasses__", "__dict__", "__code__", "hub", "read_bytes",
                "read_text", "DataLoader", "frombuffer", "from_numpy_file", "urlopen"}


class Fail(Exception):
    def __init__(self, label, reason):
        super().__init__(reason)
        self.label, self.reason = label, reason


def check_model_code(checkout):
    """Walk model.py and the local modules it imports; raise Fail on banned constructs."""
    local = {os.path.splitext(f)[0] for f in os.listdir(checkout) if f.endswith(".py")}
    todo, seen = ["model"], set()
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = os.path.join(checkout, mod + ".py")
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    raise Fail("crash", f"illegal model code: relative import in {mod}.py")
                names = [node.module or ""]
            for full in names:
                root = full.split(".")[0]
                if root == "train":
                    raise Fail("crash", f"illegal model code: {mod}.py imports train")
                if root in local:
                    todo.append(root)
                elif root not in SAFE_IMPORTS:
                    raise Fail("crash", f"illegal model code: {mod}.py imports {full!r} "
                                        f"(allowed: {sorted(SAFE_IMPORTS)} and local modules)")
            if isinstance(node, ast.Name) and node.id in BANNED_NAMES:
                raise Fail("crash", f"illegal model code: {mod}.py uses {node.id}")
            if isinstance(node, ast.Attribute) and node.attr in BANNED_ATTRS:
                raise Fail("crash", f"illegal model code: {mod}.py uses .{node.attr}")


def load_model_module(checkout):
    sys.path.insert(0, checkout)
    spec = importlib.util.spec_from_file_location("model", os.path.join(checkout, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["model"] = mod
    spec.loader.exec_module(mod)
    return mod


def eval_spans(val_len, preset, eval_bytes=0):
    """[(base, k)]: score bytes val[base+1 .. base+k] using only val[base .. base+k] as
    context. cpu preset: EVAL_CHUNKS chunks of EVAL_CHUNK targets, evenly spaced over
    val.bin; gpu preset: the whole file as one span; eval_bytes > 0: one span of that size."""
    if eval_bytes > 0 or preset == "gpu":
        return [(0, min(eval_bytes or val_len, val_len - 1))]
    room = val_len - EVAL_CHUNK - 1
    return [(round(c * room / (EVAL_CHUNKS - 1)), EVAL_CHUNK) for c in range(EVAL_CHUNKS)]


def make_windows(n_targets, L, S):
    """[(end, n_new)]: window input v[max(0,end-L):end], score its last n_new targets."""
    out, done = [], 0
    while done < n_targets:
        e = min(done + (L if done == 0 else S), n_targets)
        out.append((e, e - done))
        done = e
    return out


def evaluate(a, result):
    import numpy as np
    import torch
    import torch.nn.functional as F

    metrics = result["metrics"]
    checkout, run = os.path.abspath(a.checkout), os.path.abspath(a.run)
    tm_path = os.path.join(run, "train_metrics.json")
    tm = None
    if os.path.exists(tm_path):
        try:
            with open(tm_path) as f:
                tm = json.load(f)
        except (OSError, ValueError) as e:
            raise Fail("crash", f"train_metrics.json unreadable: {e}")
        fl = tm.get("final_loss") if isinstance(tm, dict) else None
        metrics["final_loss"] = fl if isinstance(fl, (int, float)) and math.isfinite(fl) else None
        if isinstance(tm, dict) and tm.get("nan"):
            raise Fail("diverged", f"training loss became NaN/inf by step {tm.get('steps')}")

    art = os.path.join(run, "artifact.bin")
    if not os.path.exists(art):
        raise Fail("crash", "no artifact.bin in the run dir (train did not finish?)")
    cb = common.code_bytes(checkout)
    metrics["code_bytes"] = cb
    metrics["artifact_file_bytes"] = os.path.getsize(art)
    metrics["artifact_bytes"] = total_bytes = cb + os.path.getsize(art)

    check_model_code(checkout)
    try:
        config, header, tensors = common.read_artifact(art)
    except common.ArtifactError as e:
        raise Fail("crash", f"bad artifact: {e}")
    metrics["params"] = int(sum(t.size for t in tensors.values()))
    if config.get("vocab_size", 256) != 256:
        raise Fail("crash", "config.vocab_size must be 256 (byte-level)")
    L = config.get("seq_len")
    if not isinstance(L, int) or isinstance(L, bool) or not (1 <= L <= MAX_SEQ_LEN):
        raise Fail("crash", f"config.seq_len must be an int in 1..{MAX_SEQ_LEN}")
    S = config.get("eval_stride", L)
    if not isinstance(S, int) or isinstance(S, bool):
        S = L
    S = max(-(-L // 4), min(L, S))
    metrics["eval_seq_len"], metrics["eval_stride"] = L, S

    threads = int(os.environ.get("OMP_NUM_THREADS", "1") or 1)
    torch.set_num_threads(max(1, threads))
    device = "cuda" if (os.environ.get("LINEAGE_DEVICE") == "cuda" and torch.cuda.is_available()) else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False

    try:
        mod = load_model_module(checkout)
        model = mod.build_model(dict(config))
    except Exception as e:  # noqa: BLE001
        raise Fail("crash", f"model.build_model failed: {type(e).__name__}: {e}")
    named = dict(model.named_parameters())
    if set(named) != set(tensors):
        missing, extra = sorted(set(named) - set(tensors)), sorted(set(tensors) - set(named))
        raise Fail("crash", f"artifact/model parameter mismatch: missing {missing[:5]}, extra {extra[:5]}")
    with torch.no_grad():
        for name, p in named.items():
            t = tensors[name]
            if tuple(p.shape) != tuple(t.shape):
                raise Fail("crash", f"shape mismatch for {name}: model {tuple(p.shape)} vs artifact {t.shape}")
            p.copy_(torch.from_numpy(np.ascontiguousarray(t)).to(p.dtype))
    model.to(device).eval()

    with open(os.path.join(a.data, "val", "val.bin"), "rb") as f:
        val = np.frombuffer(f.read(), dtype=np.uint8)
    v = torch.from_numpy(val.astype(np.int64))
    spans = eval_spans(len(val), os.environ.get("LINEAGE_PRESET", "cpu"), a.eval_bytes)
    n = sum(k for _, k in spans)
    metrics["eval_bytes"] = n
    # every window: (absolute start of its input in val.bin, input length, targets to score)
    wins = []
    for base, k in spans:
        for e, new in make_windows(k, L, S):
            st = max(0, e - L)
            wins.append((base + st, e - st, new))

    def fwd(x):
        out = model(x.to(device))
        if not torch.is_tensor(out) or tuple(out.shape) != (x.shape[0], x.shape[1], 256):
            raise Fail("crash", f"model output must be logits [B,T,256], got "
                                f"{getattr(out, 'shape', type(out))} for input {tuple(x.shape)}")
        return out.float()

    # --- probes: causality, batch independence, statelessness (on the first windows) ---
    Lp = min(L, len(val) // 2 - 1)
    probe = torch.stack([v[0:Lp], v[Lp:2 * Lp]])
    with torch.no_grad():
        ref = fwd(probe)
        tol = 1e-3 * (1.0 + ref.abs().max().item())
        for t in sorted({0, Lp // 3, max(0, Lp - 2)}):
            if t + 1 >= Lp:
                continue
            x2 = probe.clone()
            x2[:, t + 1:] = (x2[:, t + 1:] * 7 + 13) % 256
            if (fwd(x2)[:, : t + 1] - ref[:, : t + 1]).abs().max().item() > tol:
                raise Fail("crash", f"illegal model: not causal (logits at position {t} change "
                                    "when later bytes change)")
        x3 = probe.clone()
        x3[1] = (x3[1] * 7 + 13) % 256
        if ((fwd(x3)[0] - ref[0]).abs().max().item() > tol
                or (fwd(probe[:1])[0] - ref[0]).abs().max().item() > tol):
            raise Fail("crash", "illegal model: windows of one batch influence each other")

        nats = 0.0
        scored = 0
        by_len = {}
        for w in wins:
            by_len.setdefault(w[1], []).append(w)
        for T, group in sorted(by_len.items()):
            for i in range(0, len(group), EVAL_BATCH):
                batch = group[i:i + EVAL_BATCH]
                x = torch.stack([v[st:st + T] for st, _, _ in batch])
                y = torch.stack([v[st + 1:st + T + 1] for st, _, _ in batch]).to(device)
                logp = F.log_softmax(fwd(x), dim=-1)
                tok = -logp.gather(-1, y[..., None])[..., 0]
                for j, (_, _, k) in enumerate(batch):
                    nats += tok[j, T - k:].double().sum().item()
                    scored += k
        if scored != n:
            raise Fail("crash", f"internal: scored {scored} of {n} bytes")
        if (fwd(probe) - ref).abs().max().item() > tol:
            raise Fail("crash", "illegal model: output depends on earlier calls (stateful)")

    bpb = nats / math.log(2) / n
    metrics["val_bpb"] = bpb
    if not math.isfinite(bpb):
        raise Fail("diverged", "val bpb is not finite")
    if bpb > 8.0:
        raise Fail("diverged", f"val bpb {bpb:.4g} is worse than the uniform byte predictor (8)")
    result["metric"] = bpb
    if total_bytes > a.cap:
        raise Fail("size_blocked", f"artifact {total_bytes} bytes > cap {a.cap} "
                                   f"(weights {metrics['artifact_file_bytes']} + code {cb})")
    result["reason"] = (f"val_bpb {bpb:.4f} on {n} bytes (L={L}, stride={S}); "
                        f"artifact {total_bytes}/{a.cap} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--cap", type=int, default=1_000_000)
    ap.add_argument("--eval-bytes", type=int, default=0)
    a = ap.parse_args()
    t0 = time.time()
    result = {"metric": None, "metrics": {"val_bpb": None, "artifact_bytes": None,
                                          "params": None, "final_loss": None},
              "label": None, "reason": ""}
    try:
        evaluate(a, result)
    except Fail as f:
        result["label"], result["reason"] = f.label, f.reason
        if f.label != "size_blocked":
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
