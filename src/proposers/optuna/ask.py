"""Ask Optuna for candidate knob values, its study rebuilt from the campaign's recorded trials.

Reads one JSON request on stdin, writes {"candidates": [{name: value}, ...]} on stdout. Nothing
persists between calls: MongoDB and Temporal stay the campaign's only state, and the same request
(same trials, same seed) gives the same candidates.

The search is local, as a budget of tens of trials needs: a trust region around the recipe being
edited (the campaign's best), measured in the knobs' own steps (`step`, or powers of `factor`),
that widens while trials stop being kept. Wide windows at this budget make TPE a random search.
"""
import json
import math
import sys
import warnings

import optuna
from optuna.distributions import CategoricalDistribution, IntDistribution

CONSTRAINTS = "constraints"  # the system attr TPESampler's constraints_func convention reads
# Grid points an unbounded-step knob (a factor knob at 0) is split into across its range.
FALLBACK_POINTS = 8
# The trust region: RADIUS steps either side after a keep, one more per WIDEN_AFTER trials in a row
# not kept, at most MAX_RADIUS. Chosen by simulating bowl campaigns over 30 seeds (see README).
RADIUS, WIDEN_AFTER, MAX_RADIUS = 2, 6, 4
# TPE's random start-up draws, and its expected-improvement candidates (Optuna's default is 24).
STARTUP, EI_CANDIDATES = 2, 200


class Axis:
    """A numeric knob as whole steps away from the current value: offset 0 is the current recipe."""

    def __init__(self, knob, current):
        self.knob, self.current = knob, float(current)
        self.log = bool(knob.get("factor")) and self.current > 0
        if self.log:
            self.unit = math.log(knob["factor"])
        else:
            step = knob.get("step") or ((knob.get("max", 1.0) - knob.get("min", 0.0)) / FALLBACK_POINTS)
            self.unit = float(step)

    def offset(self, value):
        if self.log:
            return math.log(value / self.current) / self.unit if value > 0 else -math.inf
        return (float(value) - self.current) / self.unit

    def value(self, offset):
        x = self.current * math.exp(offset * self.unit) if self.log else self.current + offset * self.unit
        lo, hi = self.knob.get("min", -math.inf), self.knob.get("max", math.inf)
        x = min(hi, max(lo, x))
        if self.knob["type"] == "int":
            return int(round(x))
        return float("%.4g" % x)

    def window(self, radius):
        lo, hi = -radius, radius
        # A log axis never reaches a bound of 0 (value() clamps to it instead).
        low = self.offset(self.knob["min"]) if "min" in self.knob else -math.inf
        high = self.offset(self.knob["max"]) if "max" in self.knob else math.inf
        if math.isfinite(low):
            lo = max(lo, math.ceil(low - 1e-9))
        if math.isfinite(high):
            hi = min(hi, math.floor(high + 1e-9))
        return int(lo), int(hi)


def radius(req):
    """The trust region's half-width in steps: RADIUS after a keep, one step wider for each
    WIDEN_AFTER trials in a row that were not kept (a local minimum at this reach: look farther)."""
    streak = 0
    for t in reversed(req["trials"]):
        if t.get("kept"):
            break
        streak += 1
    return min(MAX_RADIUS, RADIUS + streak // WIDEN_AFTER)


def sampler_for(req):
    seed = req["seed"]
    if req["sampler"] == "cmaes":
        return optuna.samplers.CmaEsSampler(
            seed=seed, x0=None, sigma0=1.0, n_startup_trials=0,
            warn_independent_sampling=False, independent_sampler=optuna.samplers.RandomSampler(seed=seed),
        )
    # Many expected-improvement candidates (Optuna's default is 24) make TPE pick the best point of
    # its model in the region rather than a draw near it: at tens of trials, exploit.
    return optuna.samplers.TPESampler(
        seed=seed, multivariate=True, constant_liar=True, n_startup_trials=STARTUP,
        n_ei_candidates=EI_CANDIDATES,
        constraints_func=lambda t: t.system_attrs.get(CONSTRAINTS, [0.0]),
    )


def ask(study, dists, fixed=None):
    if fixed is not None:
        study.enqueue_trial(fixed)
    trial = study.ask()
    return trial, {n: trial._suggest(n, d) for n, d in dists.items()}


def suggest(req):
    r = radius(req)
    axes, dists = {}, {}
    for k in req["knobs"]:
        if k["type"] == "bool":
            dists[k["name"]] = CategoricalDistribution([True, False])
            continue
        axes[k["name"]] = a = Axis(k, req["current"][k["name"]])
        lo, hi = a.window(r)
        dists[k["name"]] = IntDistribution(lo, hi)

    def local(params):
        """A recorded recipe in the region's coordinates, or None when it lies outside the region."""
        out = {}
        for n, d in dists.items():
            if n not in params:
                return None
            if n not in axes:
                out[n] = params[n]
                continue
            u = axes[n].offset(params[n])
            if not (d.low - 0.5 < u < d.high + 0.5):
                return None
            out[n] = int(round(u))
        return out

    study = optuna.create_study(direction=req["direction"], sampler=sampler_for(req))
    feasible = [t["value"] for t in req["trials"] if t["value"] is not None]
    worst = (max if req["direction"] == "minimize" else min)(feasible) if feasible else 0.0
    told = 0
    # Replayed in trial order (asked with the recorded values fixed, then told), so a sampler with
    # state across generations, CMA-ES, rebuilds exactly as if it had run live.
    for t in req["trials"]:
        p = local(t["params"])
        if p is None:
            continue
        trial, _ = ask(study, dists, p)
        # A failed recipe (overrun, size block, crash) is infeasible: scored as the worst feasible
        # trial and marked violated, so both samplers steer away from it.
        infeasible = t["value"] is None
        trial.set_system_attr(CONSTRAINTS, [1.0 if infeasible else 0.0])
        study.tell(trial, worst if infeasible else t["value"])
        told += 1
    # Trials in flight: asked with their values fixed and left running (TPE's constant liar sees them).
    for run in req["running"]:
        p = local(run["params"])
        if p is not None:
            ask(study, dists, p)
    candidates = []
    for _ in range(req["count"]):
        _, p = ask(study, dists)
        candidates.append({n: (axes[n].value(v) if n in axes else v) for n, v in p.items()})
    return {"candidates": candidates, "optuna": optuna.__version__, "told": told, "radius": r}


def main():
    json.dump(suggest(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    main()
