"""Build the bench-mini data cache from Debian's `dataset-fashion-mnist` package.

  prepare.py --src /usr/share/datasets/fashion-mnist --out <data dir>

Reads the four idx ubyte .gz files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) and writes
  <out>/train/images.npy  uint8 [60000, 28, 28]    <out>/train/labels.npy  uint8 [60000]
  <out>/test/images.npy   uint8 [10000, 28, 28]    <out>/test/labels.npy   uint8 [10000]
  <out>/meta.json         counts and sha256 of every array
Training only ever sees <out>/train (LINEAGE_DATA_DIR); the test split is the evaluator's.
Idempotent: if meta.json exists and matches the inputs, nothing is rewritten.
"""
import argparse
import gzip
import hashlib
import json
import os
import struct
import sys

import numpy as np

VERSION = 1
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}
APT_HINT = ("install it with `apt-get install -y dataset-fashion-mnist` "
            "(files land in /usr/share/datasets/fashion-mnist)")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        sys.exit(f"prepare: {path} is not an idx ubyte file")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        sys.exit(f"prepare: {path}: {arr.size} values, header says {dims}")
    return arr.reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    if not os.path.isdir(a.src):
        sys.exit(f"prepare: Fashion-MNIST directory not found: {a.src}; {APT_HINT}")
    for img, lab, _ in FILES.values():
        for fn in (img, lab):
            if not os.path.isfile(os.path.join(a.src, fn)):
                sys.exit(f"prepare: missing {fn} in {a.src}; {APT_HINT}")

    arrays, meta = {}, {"version": VERSION, "source": os.path.abspath(a.src)}
    for split, (img, lab, n) in FILES.items():
        x = read_idx(os.path.join(a.src, img))
        y = read_idx(os.path.join(a.src, lab))
        if x.shape != (n, 28, 28) or y.shape != (n,) or int(y.max()) > 9:
            sys.exit(f"prepare: unexpected {split} shapes {x.shape} / {y.shape}")
        arrays[split] = (x, y)
        meta[split] = {"n": n, "images_sha256": hashlib.sha256(x.tobytes()).hexdigest(),
                       "labels_sha256": hashlib.sha256(y.tobytes()).hexdigest()}

    meta_path = os.path.join(a.out, "meta.json")
    paths = [os.path.join(a.out, s, f) for s in FILES for f in ("images.npy", "labels.npy")]
    if os.path.exists(meta_path) and all(os.path.exists(p) for p in paths):
        try:
            with open(meta_path) as f:
                if json.load(f) == meta:
                    print(f"prepare: cache up to date in {a.out}")
                    return
        except (OSError, ValueError):
            pass

    for split, (x, y) in arrays.items():
        d = os.path.join(a.out, split)
        os.makedirs(d, exist_ok=True)
        for name, arr in (("images", x), ("labels", y)):
            tmp = os.path.join(d, name + ".tmp.npy")
            np.save(tmp, np.ascontiguousarray(arr))
            os.replace(tmp, os.path.join(d, name + ".npy"))
    tmp = meta_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, meta_path)
    print(f"prepare: wrote {a.out} (train {meta['train']['n']}, test {meta['test']['n']})")


if __name__ == "__main__":
    main()
