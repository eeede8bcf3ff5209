"""Trusted scorer of a golf-mini run. It never imports trial code.

  score.py --outputs <train outputs> --data <data dir>

Reads the header of <outputs>/artifact.bin (JSON only; the weights are the model runner's
business) for config.seq_len L and config.eval_stride S (default L, clamped to [ceil(L/4), L]),
starts the model runner (model_runner.py, in the trial sandbox) and computes

  val_bpb = (sum over scored bytes of -log2 p(byte | its context)) / (number scored)

from the logits it returns (log-softmax and sums in float64, here). Scored bytes (cpu preset):
16 chunks of val.bin, chunk c = val[b_c .. b_c + 4096] with b_c = round(c * (len(val) - 4097) / 15).
gpu preset: one chunk, the whole val.bin. Within a chunk of k targets, window ends e run
e = min(L, k), then min(e + S, k) until k; the window with end e feeds u[max(0, e-L) .. e-1] and
scores its targets no earlier window scored: every target once, with 1 to L bytes of context.

The runner is asked step by step: step j sends the j-th window of every chunk, so no byte
reaches trial code before the window that scores it. At random steps (a seed trial code never
sees) a scored batch is asked again shuffled with rows from another batch (batch independence,
statelessness) or with its rows' tails replaced (causality). The size cap is the harness's:
every byte the runner can read (the checkout and the train outputs).
"""
import json
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.environ.get("LINEAGE_SCORING_LIB", ""), HERE]
import numpy as np  # noqa: E402
from scorer import Fail, check_causal, check_points, log_probs, recheck, run, secret_rng  # noqa: E402

EVAL_CHUNKS, EVAL_CHUNK = 16, 4096  # cpu preset: 16 x 4096 = 65536 scored bytes
EVAL_BATCH = 32
MAX_SEQ_LEN = 8192
MAX_HEADER = 1 << 20
CHECKS = 4


def read_header(path):
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:8] != b"GOLFMINI":
            raise Fail("crash", "bad artifact: no GOLFMINI magic")
        (n,) = struct.unpack("<I", head[8:12])
        if n > MAX_HEADER:
            raise Fail("crash", f"bad artifact: header of {n} bytes")
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            raise Fail("crash", f"bad artifact header: {e}")
    config = header.get("config") if isinstance(header, dict) else None
    if not isinstance(config, dict):
        raise Fail("crash", "bad artifact header: no config object")
    return config


def eval_spans(val_len, preset, eval_bytes=0):
    """[(base, k)]: score val[base+1 .. base+k] using only val[base .. base+k] as context."""
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


def step_batches(spans, L, S):
    """Batches of (input start, length, targets to score), in the order that never shows a byte early."""
    per_span = [[(base + max(0, e - L), e - max(0, e - L), new) for e, new in make_windows(k, L, S)] for base, k in spans]
    batches = []
    for j in range(max(len(w) for w in per_span)):
        by_len = {}
        for wins in per_span:
            if j < len(wins):
                by_len.setdefault(wins[j][1], []).append(wins[j])
        for _, rows in sorted(by_len.items()):
            batches += [rows[i:i + EVAL_BATCH] for i in range(0, len(rows), EVAL_BATCH)]
    return batches


def score(result, runner, outputs, data, eval_bytes=0):
    m = result["metrics"]
    tm_path = os.path.join(outputs, "train_metrics.json")
    if os.path.exists(tm_path):
        try:
            with open(tm_path) as f:
                tm = json.load(f)
        except (OSError, ValueError) as e:
            raise Fail("crash", f"train_metrics.json unreadable: {e}")
        fl = tm.get("final_loss") if isinstance(tm, dict) else None
        m["final_loss"] = fl if isinstance(fl, (int, float)) and math.isfinite(fl) else None
        if isinstance(tm, dict) and tm.get("nan"):
            raise Fail("diverged", f"training loss became NaN/inf by step {tm.get('steps')}")
    art = os.path.join(outputs, "artifact.bin")
    if not os.path.exists(art):
        raise Fail("crash", "no artifact.bin among the train outputs (train did not finish?)")
    config = read_header(art)
    if config.get("vocab_size", 256) != 256:
        raise Fail("crash", "config.vocab_size must be 256 (byte-level)")
    L = config.get("seq_len")
    if not isinstance(L, int) or isinstance(L, bool) or not (1 <= L <= MAX_SEQ_LEN):
        raise Fail("crash", f"config.seq_len must be an int in 1..{MAX_SEQ_LEN}")
    S = config.get("eval_stride", L)
    S = max(-(-L // 4), min(L, S if isinstance(S, int) and not isinstance(S, bool) else L))
    m["eval_seq_len"], m["eval_stride"] = L, S

    info = runner.start()
    if isinstance(info.get("params"), int):
        m["params"] = info["params"]
    val = np.fromfile(os.path.join(data, "val", "val.bin"), dtype=np.uint8).astype(np.int64)
    spans = eval_spans(len(val), os.environ.get("LINEAGE_PRESET", "cpu"), eval_bytes)
    n = sum(k for _, k in spans)
    m["eval_bytes"] = n
    batches = step_batches(spans, L, S)
    rng = secret_rng()
    checks = check_points(rng, len(batches), CHECKS)
    seen = {}  # input length -> [(x, logits)] of scored batches
    nats, scored = 0.0, 0
    for i, rows in enumerate(batches):
        T = rows[0][1]
        x = np.stack([val[st:st + T] for st, _, _ in rows])
        y = np.stack([val[st + 1:st + T + 1] for st, _, _ in rows])
        logits = runner.ask(x, (len(rows), T, 256), np.float32)
        lp = log_probs(logits, y)
        for j, (_, _, k) in enumerate(rows):
            nats -= lp[j, T - k:].sum()
            scored += k
        seen.setdefault(T, []).append((x, logits))
        if i in checks:
            pool = seen[T]
            xr, yr = pool[rng.integers(len(pool))]
            donor = pool[rng.integers(len(pool))][0]
            (recheck if len(checks) % 2 else check_causal)(runner, xr, yr, donor, rng, np.float32)
            checks.discard(i)
    if scored != n:
        raise Fail("crash", f"internal: scored {scored} of {n} bytes")
    bpb = nats / math.log(2) / n
    m["val_bpb"] = bpb
    if not math.isfinite(bpb):
        raise Fail("diverged", "val bpb is not finite")
    if bpb > 8.0:
        raise Fail("diverged", f"val bpb {bpb:.4g} is worse than the uniform byte predictor (8)")
    result["metric"] = bpb
    result["reason"] = f"val_bpb {bpb:.4f} on {n} bytes (L={L}, stride={S})"


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--outputs", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--eval-bytes", type=int, default=0)
    a = ap.parse_args()
    run(lambda result, runner: score(result, runner, a.outputs, a.data, a.eval_bytes))
