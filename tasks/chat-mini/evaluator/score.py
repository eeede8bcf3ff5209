"""Trusted scorer of a chat-mini run. It never imports trial code.

  score.py --outputs <train outputs> --data <data dir> [--limit N]

The suite (<data>/suite/items.jsonl, sha256-pinned in common.py) stays here: the model runner
(model_runner.py, in the trial sandbox) is sent byte sequences only, int64[B, T], and answers
float32[B, T, 256] next-byte logits. For each choice this file computes

  score(choice) = sum over the choice's bytes of log p(byte | context + earlier choice bytes)

(log-softmax and sums in float64, here). Sequence = context + choice as one byte string; if it is
longer than config.seq_len + 1 the context is cut from the left. Rows of a batch are right-padded
with zeros (harmless for a causal model; causality is checked). An item is correct when the gold
choice's score is strictly the highest; per kind acc and centered = (acc - 1/k)/(1 - 1/k);
core = mean over kinds of centered (maximize; 0 = chance, 1 = perfect).

Query order: gold answers are not shown early.
  A "tell" of item A is a 16-byte piece of its gold choice (the whole choice when it is shorter)
  that occurs in none of A's distractor sequences: text that would mark the gold choice for a
  runner that remembers what it was sent. Item B "reveals" A when one of B's sequences contains a
  tell of A. Items are scored batch by batch in an order where every item that reveals A comes
  in a later batch than A (longest-path layers of that graph). Items that reveal each other (a
  cycle: e.g. two count items over the same numbers) are sent in one batch.
  Guaranteed: no tell of an item reaches the runner in a batch before the one that scores it;
  every item's choices travel together in one batch; the checks only resend rows of batches
  already scored. Not guaranteed: rows of one batch (the cycles above, and any batch) see each
  other's text if the runner breaks batch independence, which the checks test on random batches
  but cannot prove; pieces shorter than 16 bytes, or shared by the gold and a distractor, are not
  tracked; and the runner learns the suite's text as scoring goes on (it must see it to score
  it) -- a later item's context may contain a phrase from an earlier one.
Checks (on random real scored batches, chosen with a seed trial code never sees): a batch asked
again shuffled with a quarter of its rows replaced by rows of another scored batch (batch
independence, statelessness), or with each row's tail after a random cut replaced by the same
positions of another scored row (causality); a changed answer is an illegal model (crash).
"""
import json
import math
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.environ.get("LINEAGE_SCORING_LIB", ""), HERE]
import numpy as np  # noqa: E402
import common  # noqa: E402
from scorer import Fail, check_causal, check_points, log_probs, recheck, run, secret_rng  # noqa: E402

EVAL_BATCH = 64  # sequences per batch (an item's 4 choices always travel together)
MAX_SEQ_LEN = 8192
TELL_BYTES = 16
CHECKS = 4


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


def item_sequences(item, L):
    """[(bytes, number of scored trailing bytes)] for each choice: context cut from the left to L + 1 bytes."""
    ctx = item["context"].encode("ascii")
    out = []
    for c in item["choices"]:
        cb = c.encode("ascii")
        keep = max(1, L + 1 - len(cb))
        out.append((ctx[-keep:] + cb, len(cb)))
    return out


def tells(item, seqs):
    """Pieces of the gold choice that mark it: TELL_BYTES long (or the whole choice), in no distractor sequence."""
    g = item["gold"]
    gold, k = seqs[g]
    choice = gold[len(gold) - k:]
    n = min(TELL_BYTES, len(choice))
    others = [s for j, (s, _) in enumerate(seqs) if j != g]
    pieces = {choice[i:i + n] for i in range(len(choice) - n + 1)}
    return {p for p in pieces if not any(p in o for o in others)}


def reveal_graph(items, seqs):
    """before[a] = items that reveal a (so a must be scored in an earlier batch than each of them)."""
    pieces = defaultdict(set)  # piece -> items whose tells include it
    lengths = set()
    for a, it in enumerate(items):
        for p in tells(it, seqs[a]):
            pieces[p].add(a)
            lengths.add(len(p))
    before = defaultdict(set)
    for b, ss in enumerate(seqs):
        for s, _ in ss:
            for n in lengths:
                for i in range(len(s) - n + 1):
                    for a in pieces.get(s[i:i + n], ()):
                        if a != b:
                            before[a].add(b)
    return before


def layers(n, before):
    """Strongly connected components (iterative Tarjan) layered by longest path: [[component, ...], ...]."""
    index, low, on, stack, comp, comps = {}, {}, set(), [], [-1] * n, []
    counter = 0
    for root in range(n):
        if root in index:
            continue
        work = [(root, iter(sorted(before.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(before.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    members = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp[w] = len(comps)
                        members.append(w)
                        if w == v:
                            break
                    comps.append(sorted(members))
    # Tarjan closes a component after every component it reaches: reverse order is topological.
    level = [0] * len(comps)
    for c in range(len(comps) - 1, -1, -1):
        for v in comps[c]:
            for w in before.get(v, ()):
                if comp[w] != c:
                    level[comp[w]] = max(level[comp[w]], level[c] + 1)
    out = [[] for _ in range(max(level) + 1 if comps else 0)]
    for c, members in enumerate(comps):
        out[level[c]].append(members)
    return out


def schedule(items, seqs):
    """Batches of item indices: layer by layer, components kept whole, packed by sequence length."""
    batches = []
    for layer in layers(len(items), reveal_graph(items, seqs)):
        units = sorted(layer, key=lambda m: (max(len(s) for a in m for s, _ in seqs[a]), m[0]))
        cur, rows = [], 0
        for m in units:
            r = sum(len(seqs[a]) for a in m)
            if cur and rows + r > EVAL_BATCH:
                batches.append(cur)
                cur, rows = [], 0
            cur += m
            rows += r
        if cur:
            batches.append(cur)
    return batches


def fit_width(x, T):
    """Rows of an earlier scored batch, cut or zero-padded to width T (right padding, as in scoring)."""
    if x.shape[1] >= T:
        return x[:, :T]
    return np.concatenate([x, np.zeros((x.shape[0], T - x.shape[1]), dtype=x.dtype)], axis=1)


def read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Fail("crash", f"{what} unreadable: {e}")


def score(result, runner, outputs, data, limit=0):
    m = result["metrics"]
    m.update({"core": None, "params": None, "final_loss": None})
    tm_path = os.path.join(outputs, "train_metrics.json")
    if os.path.exists(tm_path):
        tm = read_json(tm_path, "train_metrics.json")
        fl = tm.get("final_loss") if isinstance(tm, dict) else None
        m["final_loss"] = fl if isinstance(fl, (int, float)) and not isinstance(fl, bool) and math.isfinite(fl) else None
        if isinstance(tm, dict) and tm.get("nan"):
            raise Fail("diverged", f"training loss became NaN/inf by step {tm.get('steps')}")
    items = load_suite(data, limit)
    m["items"] = len(items)
    cfg_path = os.path.join(outputs, "config.json")
    if not (os.path.exists(os.path.join(outputs, "model.pt")) and os.path.exists(cfg_path)):
        raise Fail("crash", "no model.pt + config.json among the train outputs (train did not finish?)")
    config = read_json(cfg_path, "config.json")
    if not isinstance(config, dict):
        raise Fail("crash", "config.json must hold an object")
    if config.get("vocab_size", 256) != 256:
        raise Fail("crash", "config.vocab_size must be 256 (byte-level)")
    L = config.get("seq_len")
    if not isinstance(L, int) or isinstance(L, bool) or not (common.CHOICE_MAX + 1 <= L <= MAX_SEQ_LEN):
        raise Fail("crash", f"config.seq_len must be an int in {common.CHOICE_MAX + 1}..{MAX_SEQ_LEN}")
    m["eval_seq_len"] = L

    seqs = [item_sequences(it, L) for it in items]
    batches = schedule(items, seqs)
    m["batches"] = len(batches)
    info = runner.start()
    if isinstance(info.get("params"), int) and not isinstance(info.get("params"), bool):
        m["params"] = info["params"]
    rng = secret_rng()
    checks = check_points(rng, len(batches), CHECKS)
    scores = [[None] * len(it["choices"]) for it in items]
    seen = []  # (x, logits) of scored batches
    for i, batch in enumerate(batches):
        rows = [(a, j, s, k) for a in batch for j, (s, k) in enumerate(seqs[a])]
        T = max(len(s) for _, _, s, _ in rows) - 1
        x = np.zeros((len(rows), T), dtype=np.int64)
        y = np.zeros((len(rows), T), dtype=np.int64)
        for r, (_, _, s, _) in enumerate(rows):
            b = np.frombuffer(s, dtype=np.uint8).astype(np.int64)
            x[r, :len(s) - 1] = b[:-1]
            y[r, :len(s) - 1] = b[1:]
        logits = runner.ask(x, (len(rows), T, 256), np.float32)
        lp = log_probs(logits, y)
        for r, (a, j, s, k) in enumerate(rows):
            n = len(s) - 1
            scores[a][j] = float(lp[r, n - k:n].sum())
        seen.append((x, logits))
        if i in checks:
            xr, yr = seen[rng.integers(len(seen))]
            donor = fit_width(seen[rng.integers(len(seen))][0], xr.shape[1])
            (recheck if len(checks) % 2 else check_causal)(runner, xr, yr, donor, rng, np.float32)
            checks.discard(i)

    per = {}
    for it, sc in zip(items, scores):
        if not all(v is not None and math.isfinite(v) for v in sc):
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
        m["acc_" + kind] = round(acc, 4)
        m["centered_" + kind] = round(c, 4)
        centered.append(c)
    core = sum(centered) / len(centered)
    m["core"] = core
    result["metric"] = core
    result["reason"] = (f"core {core:.4f} over {len(per)} kinds, {len(items)} items in {len(batches)} batches; "
                        + ", ".join(f"{k} {m['acc_' + k]:.3f}" for k in common.KINDS if k in per))


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--outputs", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    run(lambda result, runner: score(result, runner, a.outputs, a.data, a.limit))
