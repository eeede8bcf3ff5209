"""Score a finished chat-mini run on the frozen CORE-like suite.

  evaluate.py --checkout <trial checkout> --run <run dir> --data <data dir> [--limit N]

Reads <run>/config.json and <run>/model.pt (a plain torch state_dict, loaded with
weights_only=True), builds the model with the checkout's model.build_model(config) and
scores every item of <data>/suite/items.jsonl (its sha256 must equal common.SUITE_SHA256):

  score(choice) = sum over the choice's bytes of log p(byte | context + earlier choice bytes)

(UTF-8 bytes, byte-level vocab 256, log_softmax of the float32 logits, computed here, never
by trial code). The model sees context + choice as one sequence; if it is longer than
config.seq_len + 1 the context is cut from the left. An item is correct when the gold
choice's score is strictly the highest. Per kind: acc, centered = (acc - 1/k)/(1 - 1/k)
(k = 4 choices); core = mean over kinds of centered (maximize; 0 = chance, 1 = perfect).
Before scoring, probes check that the model is causal and that the rows of a batch do not
influence each other; afterwards that it is stateless.

Prints ONE JSON line as the last line of stdout:
  {"metric": core|null, "metrics": {"core", "acc_<kind>", "centered_<kind>", "params",
   "final_loss", "items", "eval_seconds"}, "label": null|"diverged"|"crash", "reason": "..."}
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

EVAL_BATCH = 64
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


def load_suite(data, limit=0):
    path = os.path.join(data, "suite", "items.jsonl")
    if not os.path.exists(path):
        raise Fail("crash", f"suite not found at {path} (run the task's prepare step)")
    sha = common.sha256_file(path)
    if sha != common.SUITE_SHA256:
        raise Fail("crash", f"suite sha256 {sha[:16]}... != pinned {common.SUITE_SHA256[:16]}... "
                            "(suite regenerated or changed; scores would not be comparable)")
    with open(path, encoding="ascii") as f:
        items = [json.loads(line) for line in f if line.strip()]
    for it in items:
        common.validate_item(it)
    if limit > 0:  # first `limit` items of every kind (debugging only; not the metric)
        seen = {}
        items = [it for it in items if seen.setdefault(it["kind"], []).append(1) or len(seen[it["kind"]]) <= limit]
    return items


def evaluate(a, result):
    import torch
    import torch.nn.functional as F

    metrics = result["metrics"]
    checkout, run = os.path.abspath(a.checkout), os.path.abspath(a.run)
    tm_path = os.path.join(run, "train_metrics.json")
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

    items = load_suite(a.data, a.limit)
    metrics["items"] = len(items)

    ckpt, cfg_path = os.path.join(run, "model.pt"), os.path.join(run, "config.json")
    if not (os.path.exists(ckpt) and os.path.exists(cfg_path)):
        raise Fail("crash", "no model.pt + config.json in the run dir (train did not finish?)")
    try:
        with open(cfg_path) as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise Fail("crash", f"config.json unreadable: {e}")
    if not isinstance(config, dict):
        raise Fail("crash", "config.json must hold an object")
    if config.get("vocab_size", 256) != 256:
        raise Fail("crash", "config.vocab_size must be 256 (byte-level)")
    L = config.get("seq_len")
    if not isinstance(L, int) or isinstance(L, bool) or not (common.CHOICE_MAX + 1 <= L <= MAX_SEQ_LEN):
        raise Fail("crash", f"config.seq_len must be an int in {common.CHOICE_MAX + 1}..{MAX_SEQ_LEN}")
    metrics["eval_seq_len"] = L

    check_model_code(checkout)
    threads = int(os.environ.get("OMP_NUM_THREADS", "1") or 1)
    torch.set_num_threads(max(1, threads))
    device = "cuda" if (os.environ.get("LINEAGE_DEVICE") == "cuda" and torch.cuda.is_available()) else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001
        raise Fail("crash", f"model.pt is not a plain state_dict: {type(e).__name__}: {str(e)[:200]}")
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise Fail("crash", "model.pt must be a dict of tensors (a state_dict)")
    try:
        mod = load_model_module(checkout)
        model = mod.build_model(dict(config))
    except Exception as e:  # noqa: BLE001
        raise Fail("crash", f"model.build_model failed: {type(e).__name__}: {e}")
    named = dict(model.named_parameters())
    missing = sorted(set(named) - set(state))
    if missing:
        raise Fail("crash", f"model.pt lacks parameters {missing[:5]}")
    with torch.no_grad():
        for name, p in named.items():
            t = state[name]
            if tuple(p.shape) != tuple(t.shape):
                raise Fail("crash", f"shape mismatch for {name}: model {tuple(p.shape)} vs model.pt {tuple(t.shape)}")
            if not torch.isfinite(t.float()).all():
                raise Fail("diverged", f"parameter {name} holds NaN/inf")
            p.copy_(t.to(p.dtype))
    metrics["params"] = int(sum(p.numel() for p in named.values()))
    model.to(device).eval()

    def fwd(x):
        out = model(x.to(device))
        if not torch.is_tensor(out) or tuple(out.shape) != (x.shape[0], x.shape[1], 256):
            raise Fail("crash", f"model output must be logits [B,T,256], got "
                                f"{getattr(out, 'shape', type(out))} for input {tuple(x.shape)}")
        return out.float()

    # sequences: (item index, choice index, bytes, number of scored trailing bytes)
    seqs = []
    for i, it in enumerate(items):
        ctx = it["context"].encode("ascii")
        for j, c in enumerate(it["choices"]):
            cb = c.encode("ascii")
            keep = max(1, L + 1 - len(cb))
            seqs.append((i, j, ctx[-keep:] + cb, len(cb)))

    # --- probes: causality, batch independence (on two suite sequences) ---
    pa = [b for _, _, b, _ in seqs if len(b) >= 40][:2]
    Lp = min(len(pa[0]), len(pa[1])) - 1
    probe = torch.tensor([list(b[:Lp]) for b in pa], dtype=torch.long)
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
            raise Fail("crash", "illegal model: rows of one batch influence each other")

        scores = [[None] * len(it["choices"]) for it in items]
        order = sorted(range(len(seqs)), key=lambda s: len(seqs[s][2]))
        for s0 in range(0, len(order), EVAL_BATCH):
            batch = [seqs[s] for s in order[s0:s0 + EVAL_BATCH]]
            T = max(len(b) for _, _, b, _ in batch) - 1
            x = torch.zeros(len(batch), T, dtype=torch.long)
            y = torch.zeros(len(batch), T, dtype=torch.long)
            for r, (_, _, b, _) in enumerate(batch):  # right-padding: causal, so harmless
                x[r, :len(b) - 1] = torch.tensor(list(b[:-1]))
                y[r, :len(b) - 1] = torch.tensor(list(b[1:]))
            logp = F.log_softmax(fwd(x), dim=-1)
            tok = logp.gather(-1, y.to(device)[..., None])[..., 0].double().cpu()
            for r, (i, j, b, k) in enumerate(batch):
                n = len(b) - 1
                scores[i][j] = tok[r, n - k:n].sum().item()
        if (fwd(probe) - ref).abs().max().item() > tol:
            raise Fail("crash", "illegal model: output depends on earlier calls (stateful)")

    per = {}
    for it, sc in zip(items, scores):
        if not all(math.isfinite(v) for v in sc):
            raise Fail("diverged", f"non-finite log-likelihood on item {it['id']}")
        g = it["gold"]
        ok = all(sc[g] > v for j, v in enumerate(sc) if j != g)
        per.setdefault(it["kind"], []).append((ok, len(sc)))
    centered = []
    for kind in common.KINDS:
        if kind not in per:
            continue
        rows = per[kind]
        acc = sum(ok for ok, _ in rows) / len(rows)
        chance = sum(1.0 / k for _, k in rows) / len(rows)
        c = (acc - chance) / (1.0 - chance)
        metrics["acc_" + kind] = round(acc, 4)
        metrics["centered_" + kind] = round(c, 4)
        centered.append(c)
    core = sum(centered) / len(centered)
    metrics["core"] = core
    result["metric"] = core
    result["reason"] = (f"core {core:.4f} over {len(per)} kinds, {len(items)} items; "
                        + ", ".join(f"{k} {metrics['acc_' + k]:.3f}" for k in common.KINDS if k in per))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    t0 = time.time()
    result = {"metric": None, "metrics": {"core": None, "params": None, "final_loss": None},
              "label": None, "reason": ""}
    try:
        evaluate(a, result)
    except Fail as f:
        result["label"], result["reason"] = f.label, f.reason
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
