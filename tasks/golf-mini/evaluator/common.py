"""Shared helpers for the golf-mini evaluator: the artifact format, code-byte counting,
knob parsing. Owned by the task (content-hash pinned); trials cannot edit this file.

ARTIFACT FORMAT (version 1), all integers little-endian
-------------------------------------------------------
  bytes [0, 8)        magic b"GOLFMINI"
  bytes [8, 12)       uint32 H = length of the header
  bytes [12, 12+H)    header: UTF-8 JSON object
      {"format": 1,
       "config": {...},            # passed to model.build_model(config); must hold
                                   # "seq_len" (int, the eval window) and may hold
                                   # "eval_stride" (int, see score.py)
       "codec": "lzma" | "zlib" | "bz2" | "none",
       "raw_len": int,             # length of the payload after decompression
       "tensors": [{"name": str,   # == a name in model.named_parameters()
                    "shape": [int, ...],
                    "kind": "q" | "f16" | "f32",
                    "bits": int,   # kind "q" only: 2..8
                    "packed": bool,# kind "q" only (default true)
                    "offset": int, "nbytes": int}, ...]}
  bytes [12+H, end)   payload, compressed with `codec` (whole payload, one stream)

Payload layout of one tensor, at [offset, offset+nbytes) of the decompressed payload:
  kind "f32": numel float32 values (C order);  kind "f16": numel float16 values.
  kind "q"  : the tensor is viewed as a matrix [rows, cols]: rows = shape[0] when it has
              2+ dims, rows = 1 for 0-d/1-d tensors; cols = numel / rows.
              First rows float16 scales s_r, then the codes c (rows*cols of them, C order).
              Z = 2**(bits-1) - 1; value = (c - Z) * s_r, with 0 <= c <= 2*Z.
              packed=true : codes are bit-packed, `bits` bits each, LSB first: code i
                            occupies stream bits [i*bits, (i+1)*bits), stream bit k is
                            bit (k % 8) of byte k // 8; ceil(rows*cols*bits/8) bytes.
              packed=false: one uint8 per code (rows*cols bytes) -- lets the codec see
                            byte-aligned symbols, which often compresses better.
The reference writer is write_artifact() below; train.py carries its own writer that
must produce this exact layout.
"""
import ast
import bz2
import json
import lzma
import math
import os
import struct
import zlib

import numpy as np

MAGIC = b"GOLFMINI"
FORMAT_VERSION = 1
MAX_HEADER = 1 << 20
MAX_RAW = 1 << 30
CODECS = ("lzma", "zlib", "bz2", "none")


class ArtifactError(Exception):
    pass


# ----------------------------------------------------------------------------- writing
def _quantize(arr, bits, packed=True):
    arr = np.asarray(arr, dtype=np.float32)
    rows = arr.shape[0] if arr.ndim >= 2 else 1
    m = arr.reshape(rows, -1)
    z = 2 ** (bits - 1) - 1
    scale = (np.abs(m).max(axis=1) / z).astype(np.float16)
    s = scale.astype(np.float32)
    safe = np.where(s > 0, s, 1.0)
    q = np.clip(np.rint(m / safe[:, None]), -z, z).astype(np.int64) + z
    codes = q.astype(np.uint8).reshape(-1)
    if packed and bits < 8:
        bitarr = ((codes[:, None] >> np.arange(bits, dtype=np.uint8)) & 1).astype(np.uint8)
        body = np.packbits(bitarr.reshape(-1), bitorder="little").tobytes()
    else:
        body = codes.tobytes()
    return scale.tobytes() + body


def write_artifact(path, config, named_arrays, bits=8, codec="lzma", packed=True):
    """named_arrays: list of (name, np.ndarray). ndim >= 2 -> kind q, else f16."""
    entries, chunks, off = [], [], 0
    for name, arr in named_arrays:
        arr = np.asarray(arr, dtype=np.float32)
        if arr.ndim >= 2:
            blob = _quantize(arr, bits, packed)
            ent = {"kind": "q", "bits": bits, "packed": packed}
        else:
            blob = arr.astype(np.float16).tobytes()
            ent = {"kind": "f16"}
        ent.update({"name": name, "shape": list(arr.shape), "offset": off, "nbytes": len(blob)})
        entries.append(ent)
        chunks.append(blob)
        off += len(blob)
    raw = b"".join(chunks)
    header = json.dumps({"format": FORMAT_VERSION, "config": config, "codec": codec,
                         "raw_len": len(raw), "tensors": entries}).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<I", len(header)) + header + compress(raw, codec))


def compress(raw, codec):
    if codec == "lzma":
        return lzma.compress(raw, preset=9)
    if codec == "zlib":
        return zlib.compress(raw, 9)
    if codec == "bz2":
        return bz2.compress(raw, 9)
    if codec == "none":
        return raw
    raise ValueError(codec)


# ----------------------------------------------------------------------------- reading
def _decompress(blob, codec, raw_len):
    if codec == "none":
        out = blob
    elif codec == "lzma":
        d = lzma.LZMADecompressor()
        out = d.decompress(blob, max_length=raw_len + 1)
    elif codec == "zlib":
        d = zlib.decompressobj()
        out = d.decompress(blob, raw_len + 1)
    elif codec == "bz2":
        d = bz2.BZ2Decompressor()
        out = d.decompress(blob, max_length=raw_len + 1)
    else:
        raise ArtifactError(f"unknown codec {codec!r}")
    if len(out) != raw_len:
        raise ArtifactError(f"payload decompresses to {len(out)} bytes, header says {raw_len}")
    return out


def _expected_nbytes(ent, numel, rows):
    kind = ent["kind"]
    if kind == "f32":
        return numel * 4
    if kind == "f16":
        return numel * 2
    bits = ent["bits"]
    if ent.get("packed", True) and bits < 8:
        return rows * 2 + (numel * bits + 7) // 8
    return rows * 2 + numel


def _dequant(buf, ent, shape, numel, rows):
    kind = ent["kind"]
    if kind == "f32":
        return np.frombuffer(buf, dtype="<f4").astype(np.float32).reshape(shape)
    if kind == "f16":
        return np.frombuffer(buf, dtype="<f2").astype(np.float32).reshape(shape)
    bits = ent["bits"]
    z = 2 ** (bits - 1) - 1
    scale = np.frombuffer(buf[: rows * 2], dtype="<f2").astype(np.float32)
    body = np.frombuffer(buf[rows * 2:], dtype=np.uint8)
    if ent.get("packed", True) and bits < 8:
        bitarr = np.unpackbits(body, bitorder="little")[: numel * bits].reshape(numel, bits)
        codes = (bitarr.astype(np.int64) << np.arange(bits, dtype=np.int64)).sum(axis=1)
    else:
        codes = body.astype(np.int64)
    if codes.size and (codes.max() > 2 * z):
        raise ArtifactError(f"tensor {ent['name']}: code out of range for {bits} bits")
    vals = (codes - z).astype(np.float32).reshape(rows, -1) * scale[:, None]
    return vals.reshape(shape)


def read_artifact(path):
    """Validate and decode an artifact. Returns (config, header, {name: np.float32 array}).
    Raises ArtifactError with a short reason on anything malformed."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 12 or data[:8] != MAGIC:
        raise ArtifactError("bad magic (not a golf-mini artifact)")
    (hlen,) = struct.unpack("<I", data[8:12])
    if hlen > MAX_HEADER or 12 + hlen > len(data):
        raise ArtifactError(f"bad header length {hlen}")
    try:
        header = json.loads(data[12:12 + hlen].decode("utf-8"))
    except Exception as e:  # noqa: BLE001
        raise ArtifactError(f"header is not JSON: {e}")
    if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
        raise ArtifactError("header.format must be 1")
    config = header.get("config")
    if not isinstance(config, dict):
        raise ArtifactError("header.config must be an object")
    codec = header.get("codec")
    if codec not in CODECS:
        raise ArtifactError(f"codec must be one of {CODECS}")
    raw_len = header.get("raw_len")
    if not isinstance(raw_len, int) or not (0 <= raw_len <= MAX_RAW):
        raise ArtifactError("bad raw_len")
    tensors = header.get("tensors")
    if not isinstance(tensors, list) or not tensors:
        raise ArtifactError("header.tensors must be a non-empty list")
    raw = _decompress(data[12 + hlen:], codec, raw_len)
    out = {}
    for ent in tensors:
        if not isinstance(ent, dict):
            raise ArtifactError("tensor entry must be an object")
        name, shape = ent.get("name"), ent.get("shape")
        if not isinstance(name, str) or name in out:
            raise ArtifactError(f"bad or duplicate tensor name {name!r}")
        if (not isinstance(shape, list) or len(shape) > 8
                or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)):
            raise ArtifactError(f"tensor {name}: bad shape {shape!r}")
        kind = ent.get("kind")
        if kind not in ("q", "f16", "f32"):
            raise ArtifactError(f"tensor {name}: bad kind {kind!r}")
        if kind == "q":
            bits = ent.get("bits")
            if not isinstance(bits, int) or isinstance(bits, bool) or not (2 <= bits <= 8):
                raise ArtifactError(f"tensor {name}: bits must be an int in 2..8")
            if not isinstance(ent.get("packed", True), bool):
                raise ArtifactError(f"tensor {name}: packed must be a bool")
        numel = math.prod(shape)
        rows = shape[0] if len(shape) >= 2 else 1
        off, nb = ent.get("offset"), ent.get("nbytes")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (off, nb)):
            raise ArtifactError(f"tensor {name}: offset/nbytes must be ints")
        if nb != _expected_nbytes(ent, numel, rows) or off < 0 or off + nb > raw_len:
            raise ArtifactError(f"tensor {name}: offset/nbytes inconsistent with shape/kind")
        out[name] = _dequant(raw[off:off + nb], ent, shape, numel, rows)
    return config, header, out


# ----------------------------------------------------------------------------- code bytes
SKIP_DIRS = {"run", "__pycache__", "node_modules"}


def code_files(checkout):
    """Every *.py in the checkout (root and non-hidden subfolders, except run/ and
    __pycache__/). These bytes count toward the artifact size."""
    found = []
    for dirpath, dirnames, filenames in os.walk(checkout):
        rel = os.path.relpath(dirpath, checkout)
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and not (rel == "." and d in SKIP_DIRS)
                             and d != "__pycache__")
        for fn in sorted(filenames):
            if fn.endswith(".py"):
                found.append(os.path.join(dirpath, fn))
    return found


def code_bytes(checkout):
    return sum(os.path.getsize(p) for p in code_files(checkout))


# ----------------------------------------------------------------------------- knobs
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


def apply_preset(knobs, preset):
    """Mirror of train.py's preset logic: on the gpu preset each knob in GPU_SCALE is
    multiplied by its factor (ints stay ints)."""
    knobs = dict(knobs)
    if preset == "gpu":
        for k, f in (knobs.get("GPU_SCALE") or {}).items():
            if k in knobs and isinstance(knobs[k], (int, float)) and not isinstance(knobs[k], bool):
                v = knobs[k] * f
                knobs[k] = int(round(v)) if isinstance(knobs[k], int) else v
    return knobs


def knobs_to_config(knobs):
    """The model config train.py writes: every scalar UPPER_CASE knob, lower-cased."""
    return {k.lower(): v for k, v in knobs.items()
            if isinstance(v, (bool, int, float, str))}
