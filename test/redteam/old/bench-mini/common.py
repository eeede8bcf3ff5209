"""Shared constants and helpers for the bench-mini evaluator. Owned by the task
(content-hash pinned); trials cannot edit this file.

GATE: the mean test accuracy (over >= MIN_SEEDS seeds, full 10,000-image Fashion-MNIST test
set) a run must reach for its train_seconds to count. Calibrated on the cpu baseline
(see knowledge.md): the baseline's mean minus a small margin, so the baseline passes and
cutting work (fewer epochs, narrower nets, less data) can make a run miss.
"""
import ast

GATE = {"cpu": 0.8800, "gpu": 0.9300}  # gpu value is NOT calibrated on hardware (see knowledge.md)
MIN_SEEDS = 3
MAX_SEEDS = 64
EVAL_BATCH = 1000


def gate_for(preset):
    return GATE.get(preset, GATE["cpu"])


def parse_knobs(train_py):
    """Module-level `NAME = <literal>` assignments of train.py (UPPER_CASE names), read
    with ast -- train.py is never executed. Returns {NAME: value}."""
    with open(train_py, "r", encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=train_py)
    knobs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.isupper():
                try:
                    knobs[name] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return knobs
