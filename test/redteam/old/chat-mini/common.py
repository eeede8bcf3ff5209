"""Shared helpers for the chat-mini evaluator: the suite pin, item validation, knob parsing.
Owned by the task (content-hash pinned); trials cannot edit this file.

SUITE (written once by prepare.py into <data>/suite/items.jsonl, hidden from training)
--------------------------------------------------------------------------------------
One JSON object per line: {"id": str, "kind": str, "context": str (ASCII),
"choices": [str, ...] (k = 4, ASCII), "gold": int}. All choices of an item have the same
byte length (so summed log-likelihoods compare fairly). Contexts are
<= CTX_MAX bytes, choices <= CHOICE_MAX bytes, so context + choice <= 128 bytes.
The file's sha256 is pinned below: a regenerated or edited suite is refused.
"""
import ast
import hashlib

SUITE_SHA256 = "1564ebb5f2f635222e93c0c10be64f3aacff170477ee34b2288ae3df93831749"
CTX_MAX = 96
CHOICE_MAX = 32
KINDS = ("next_sentence_austen", "next_sentence_sotu", "cloze_austen", "cloze_sotu",
         "copy", "count")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def validate_item(item):
    assert item["kind"] in KINDS, item["kind"]
    ctx, ch = item["context"], item["choices"]
    assert ctx.isascii() and 0 < len(ctx) <= CTX_MAX, (item["kind"], ctx)
    assert len(ch) >= 2 and len(set(ch)) == len(ch), ch
    assert all(c.isascii() and 0 < len(c) <= CHOICE_MAX for c in ch), ch
    assert 0 <= item["gold"] < len(ch)


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
