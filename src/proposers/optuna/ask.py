"""Ask Optuna for candidate knob values, its study rebuilt from the campaign's recorded trials.

Reads one JSON request on stdin, writes {"candidates": [{name: value}, ...]} on stdout. Nothing
persists between calls: MongoDB and Temporal stay the campaign's only state, and the same request
(same trials, same seed) gives the same candidates.
"""
import json
import math
import sys
import warnings

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

CONSTRAINTS = "constraints"  # the system attr TPESampler's constraints_func convention reads


def on_grid(values, low, step):
    return all(abs((v - low) / step - round((v - low) / step)) < 1e-6 for v in values)


def distribution(knob, observed):
    """The knob's search distribution, widened to hold every value the campaign already tried."""
    if knob["type"] == "bool":
        return CategoricalDistribution([True, False])
    nums = [float(v) for v in observed]
    low = min([knob["low"], *nums])
    high = max([knob["high"], *nums])
    step = knob.get("step")
    if knob["type"] == "int":
        low, high = int(math.floor(low)), int(math.ceil(high))
        if knob.get("log") and low > 0:
            return IntDistribution(low, high, log=True)
        if step and float(step).is_integer() and on_grid(nums + [high], low, step):
            return IntDistribution(low, high, step=int(step))
        return IntDistribution(low, high)
    if knob.get("log") and low > 0:
        return FloatDistribution(low, high, log=True)
    if step and on_grid(nums + [high], low, step):
        return FloatDistribution(low, high, step=step)
    return FloatDistribution(low, high)


def sampler_for(req, dists, x0):
    seed = req["seed"]
    if req["sampler"] == "cmaes":
        # CMA-ES starts at the first recipe it is told of (the baseline) with a small step: a local
        # search, as a budget of tens of trials needs. Bool knobs are sampled independently.
        numeric = [n for n, d in dists.items() if not isinstance(d, CategoricalDistribution)]
        return optuna.samplers.CmaEsSampler(
            seed=seed, x0={n: x0[n] for n in numeric if n in x0} or None, sigma0=req.get("sigma0", 0.15), n_startup_trials=0,
            warn_independent_sampling=False, independent_sampler=optuna.samplers.RandomSampler(seed=seed),
        )
    return optuna.samplers.TPESampler(
        seed=seed, multivariate=True, constant_liar=True, n_startup_trials=req.get("startup", 4),
        constraints_func=lambda t: t.system_attrs.get(CONSTRAINTS, [0.0]),
    )


def ask(study, dists, fixed=None):
    if fixed is not None:
        study.enqueue_trial(fixed)
    trial = study.ask()
    return trial, {n: trial._suggest(n, d) for n, d in dists.items()}


def main():
    req = json.load(sys.stdin)
    observed = lambda name: [t["params"][name] for t in req["trials"] + req["running"] if name in t["params"]]
    dists = {k["name"]: distribution(k, [] if k["type"] == "bool" else observed(k["name"])) for k in req["knobs"]}
    # A trial whose recipe lacks one of these knobs says nothing about this space.
    told = [t for t in req["trials"] if all(n in t["params"] for n in dists)]
    running = [r for r in req["running"] if all(n in r["params"] for n in dists)]
    x0 = told[0]["params"] if told else req["current"]
    study = optuna.create_study(direction=req["direction"], sampler=sampler_for(req, dists, x0))
    feasible = [t["value"] for t in told if t["value"] is not None]
    worst = (max if req["direction"] == "minimize" else min)(feasible) if feasible else 0.0
    # The study is replayed in trial order (ask with the recorded values fixed, then tell), so a
    # sampler with state across generations, CMA-ES, rebuilds it exactly as if it had run live.
    for t in told:
        trial, _ = ask(study, dists, {n: t["params"][n] for n in dists})
        # A failed recipe (overrun, size block, crash) is infeasible: scored as the worst feasible
        # trial and marked violated, so both samplers steer away from it.
        infeasible = t["value"] is None
        trial.set_system_attr(CONSTRAINTS, [1.0 if infeasible else 0.0])
        study.tell(trial, worst if infeasible else t["value"])
    # Trials in flight: asked with their values fixed and left running (TPE's constant liar sees them).
    for r in running:
        ask(study, dists, {n: r["params"][n] for n in dists})
    candidates = [ask(study, dists)[1] for _ in range(req["count"])]
    json.dump({"candidates": candidates, "optuna": optuna.__version__, "told": len(told)}, sys.stdout)


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    main()
