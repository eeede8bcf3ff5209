"""What every trusted scorer shares. A scorer never imports trial code: it holds the held-out
data, starts the model runner (runner.py) in the trial sandbox, sends it inputs over a pipe,
checks every reply (shape, dtype, finite, time) and computes the metric itself. Its verdict
goes to a file descriptor only it holds (LINEAGE_REPORT_FD); its stdout is only a log.

The harness (src/scoring/evaluate.ts) sets:
  LINEAGE_RUNNER_ARGV   JSON list: the sandbox prefix and the runner's command line
  LINEAGE_RUNNER_ENV    JSON object: the runner's whole environment
  LINEAGE_REPORT_FD     the descriptor for the report (one JSON object)
  LINEAGE_EVAL_BUDGET_S seconds the runner may take in all (load and every reply)

A task's score.py calls run(score), where score(result) fills result["metric"] and
result["metrics"] or raises Fail(label, reason). See docs/tasks.md.
"""
import json
import os
import subprocess
import sys
import time
import traceback

import numpy as np

import wire


class Fail(Exception):
    """A labelled outcome. keep_metric: the metric already set stays in the report (e.g. a gate_miss
    still says how fast it was); otherwise it is cleared. size_blocked always keeps it."""

    def __init__(self, label, reason, keep_metric=False):
        super().__init__(reason)
        self.label, self.reason, self.keep_metric = label, reason, keep_metric


def secret_rng():
    """A generator whose seed the trial never sees: the choice of check batches and splices."""
    return np.random.default_rng(int.from_bytes(os.urandom(16), "little"))


class Runner:
    """The sandboxed model runner, seen from the scorer: start(), ask(x, shape, dtype), close()."""

    def __init__(self):
        self.argv = json.loads(os.environ["LINEAGE_RUNNER_ARGV"])
        self.env = json.loads(os.environ.get("LINEAGE_RUNNER_ENV", "{}"))
        self.budget_s = float(os.environ.get("LINEAGE_EVAL_BUDGET_S", "600"))
        self.proc = None
        self.seconds = 0.0  # time spent waiting on trial code: load and every reply
        self.calls = 0

    def start(self):
        t0 = time.monotonic()
        self.deadline = t0 + self.budget_s
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=sys.stderr, close_fds=True)
        self.reader = wire.Reader(self.proc.stdout.fileno())
        try:
            kind, body = self.reader.frame(self.deadline)
        except wire.WireError as e:
            raise self._broken(e)
        finally:
            self.seconds += time.monotonic() - t0
        if kind == "E":
            raise Fail("crash", f"model runner: {body}")
        if kind != "J" or not isinstance(body, dict) or body.get("ready") is not True:
            raise Fail("crash", "model runner: the first frame must be {\"ready\": true, ...}")
        info = body.get("info")
        return info if isinstance(info, dict) else {}

    def _broken(self, err):
        if "timed out" in str(err):
            return Fail("eval_budget_overrun", f"model runner: {err} (budget {self.budget_s:.0f} s for load and replies)")
        return Fail("crash", f"model runner: {err}")

    def ask(self, x, shape, dtype, finite=True):
        """Sends x, returns the reply checked to be dtype[shape] (and finite)."""
        t0 = time.monotonic()
        try:
            wire.write_all(self.proc.stdin.fileno(), wire.encode_array(x))
            kind, y = self.reader.frame(self.deadline, expect=(shape, dtype))
        except (wire.WireError, BrokenPipeError) as e:
            raise self._broken(e)
        finally:
            self.seconds += time.monotonic() - t0
            self.calls += 1
        if kind == "E":
            raise Fail("crash", f"model runner: {y}")
        if kind != "A":
            raise Fail("crash", "model runner: replied with a non-array frame")
        if finite and not np.isfinite(y).all():
            raise Fail("diverged", f"model output has non-finite values for an input of shape {list(x.shape)}")
        return y

    def close(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # the harness also kills the runner's whole cgroup
            self.proc.wait()


def close_to(a, b):
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) <= 1e-3 * (1.0 + float(np.abs(b).max()))


def log_probs(logits, targets):
    """log p(target) under softmax(logits) over the last axis, in float64: the scorer's own arithmetic."""
    z = logits.astype(np.float64)
    z -= z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=-1))
    return np.take_along_axis(z, targets[..., None], axis=-1)[..., 0] - lse


def recheck(runner, x, ref, donor, rng, dtype):
    """Asks a scored batch again with its rows shuffled and a quarter of them replaced by rows of
    another scored batch: each kept row must get its first answer back. Catches outputs that
    depend on batch-mates, on a row's place in the batch, or on earlier calls."""
    b = x.shape[0]
    perm = rng.permutation(b)
    x2 = x[perm].copy()
    swap = rng.choice(b, size=max(1, b // 4), replace=False) if b > 1 else np.array([], dtype=np.int64)
    x2[swap] = donor[rng.integers(0, donor.shape[0], size=len(swap))]
    y2 = runner.ask(x2, ref.shape, dtype)
    kept = np.setdiff1d(np.arange(b), swap)
    if kept.size and not close_to(y2[kept], ref[perm][kept]):
        raise Fail("crash", "illegal model: a row's output changed when it was asked again in another batch "
                            "(outputs depend on batch-mates, batch position or earlier calls)")


def check_causal(runner, x, ref, donor, rng, dtype):
    """Sequence models: for each row a random cut t; the bytes after t are replaced by the same
    positions of another scored row (real text, nothing new revealed); outputs at <= t must not move."""
    b, t_len = x.shape[:2]
    if t_len < 2:
        return
    cuts = rng.integers(0, t_len - 1, size=b)
    x2 = x.copy()
    src = donor[rng.integers(0, donor.shape[0], size=b)]
    for r, t in enumerate(cuts):
        x2[r, t + 1:] = src[r, t + 1:]
    y2 = runner.ask(x2, ref.shape, dtype)
    for r, t in enumerate(cuts):
        if not close_to(y2[r, :t + 1], ref[r, :t + 1]):
            raise Fail("crash", f"illegal model: not causal (outputs at positions <= {t} changed when later "
                                "positions changed)")


def check_points(rng, n_batches, k):
    """k distinct batch indices (never the first, so a donor batch exists) after which to check."""
    if n_batches < 2:
        return set()
    return set(int(i) for i in rng.choice(np.arange(1, n_batches), size=min(k, n_batches - 1), replace=False))


def write_report(result):
    fd = os.environ.get("LINEAGE_REPORT_FD")
    text = json.dumps(result)
    if fd is None:
        print(text)
        return
    with os.fdopen(int(fd), "w") as f:
        f.write(text)


def run(score, runner=None):
    """Calls score(result, runner); writes the report; exits 0 whenever the report was written."""
    t0 = time.time()
    runner = runner if runner is not None else Runner()
    result = {"metric": None, "metrics": {}, "label": None, "reason": ""}
    try:
        score(result, runner)
    except Fail as f:
        result["label"], result["reason"] = f.label, f.reason
        if f.label != "size_blocked" and not f.keep_metric:
            result["metric"] = None
    except Exception as e:  # noqa: BLE001  a scorer bug or an unforeseen reply: a labelled crash, with the trace in the log
        traceback.print_exc()
        result["label"], result["metric"] = "crash", None
        result["reason"] = f"scoring failed: {type(e).__name__}: {str(e)[:300]}"
    finally:
        runner.close()
    result["metrics"]["eval_seconds"] = round(time.time() - t0, 3)
    result["metrics"]["runner_seconds"] = round(runner.seconds, 3)
    result["metrics"]["runner_calls"] = runner.calls
    print(f"[scorer] {result['label'] or 'scored'}: metric {result['metric']} ({result['reason']})", flush=True)
    write_report(result)
