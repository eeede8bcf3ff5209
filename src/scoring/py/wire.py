"""The wire between a trusted scorer and a sandboxed model runner: frames over a pipe.

  frame  = b"LNW1" kind:u8 body
  kind A = an array:  dtype:u8 ndim:u8 shape:u32*ndim data (little-endian, C order)
  kind J = JSON:      length:u32 UTF-8 text (the runner's "ready" message)
  kind E = an error:  length:u32 UTF-8 text (the runner could not load or predict)

dtype codes: 1 uint8, 2 int32, 3 int64, 4 float16, 5 float32, 6 float64. All integers are
little-endian. The reader checks a header against what it expects before it reads the body,
so a runner cannot make its scorer allocate more than one expected reply.
"""
import json
import os
import select
import struct
import time

import numpy as np

MAGIC = b"LNW1"
DTYPES = {1: np.uint8, 2: np.int32, 3: np.int64, 4: np.float16, 5: np.float32, 6: np.float64}
CODES = {np.dtype(v).str: k for k, v in DTYPES.items()}
MAX_TEXT = 1 << 20
MAX_DIMS = 8


class WireError(Exception):
    """The other side broke the protocol, closed the pipe or ran out of time."""


def _dtype_code(arr):
    code = CODES.get(arr.dtype.newbyteorder("<").str if arr.dtype.byteorder == ">" else arr.dtype.str)
    if code is None:
        raise WireError(f"dtype {arr.dtype} cannot cross the wire (allowed: {[np.dtype(v).name for v in DTYPES.values()]})")
    return code


def encode_array(arr):
    arr = np.ascontiguousarray(arr)
    code = _dtype_code(arr)
    if arr.ndim > MAX_DIMS:
        raise WireError(f"an array of {arr.ndim} dims cannot cross the wire (max {MAX_DIMS})")
    data = arr.astype(np.dtype(DTYPES[code]).newbyteorder("<"), copy=False).tobytes()
    return MAGIC + b"A" + struct.pack("<BB", code, arr.ndim) + struct.pack(f"<{arr.ndim}I", *arr.shape) + data


def encode_text(kind, text):
    data = text.encode("utf-8")[:MAX_TEXT]
    return MAGIC + kind + struct.pack("<I", len(data)) + data


def encode_json(obj):
    return encode_text(b"J", json.dumps(obj))


def encode_error(text):
    return encode_text(b"E", text)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class Reader:
    """Reads frames from a file descriptor, each read bounded by a deadline (time.monotonic)."""

    def __init__(self, fd):
        self.fd = fd

    def _exact(self, n, deadline):
        chunks, got = [], 0
        while got < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    raise WireError("timed out waiting for the model runner")
            chunk = os.read(self.fd, min(n - got, 1 << 22))
            if not chunk:
                raise WireError("the model runner closed the pipe (it exited or crashed)")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def frame(self, deadline=None, expect=None):
        """('A', ndarray) | ('J', obj) | ('E', text). expect=(shape, dtype) bounds an array reply."""
        head = self._exact(5, deadline)
        if head[:4] != MAGIC:
            raise WireError(f"bad frame magic {head[:4]!r}")
        kind = head[4:5]
        if kind in (b"J", b"E"):
            (n,) = struct.unpack("<I", self._exact(4, deadline))
            if n > MAX_TEXT:
                raise WireError(f"text frame of {n} bytes (max {MAX_TEXT})")
            text = self._exact(n, deadline).decode("utf-8", "replace")
            if kind == b"E":
                return "E", text
            try:
                return "J", json.loads(text)
            except ValueError as e:
                raise WireError(f"bad JSON frame: {e}")
        if kind != b"A":
            raise WireError(f"unknown frame kind {kind!r}")
        code, ndim = struct.unpack("<BB", self._exact(2, deadline))
        if code not in DTYPES or ndim > MAX_DIMS:
            raise WireError(f"bad array header (dtype code {code}, {ndim} dims)")
        shape = struct.unpack(f"<{ndim}I", self._exact(4 * ndim, deadline)) if ndim else ()
        dtype = np.dtype(DTYPES[code]).newbyteorder("<")
        if expect is not None:
            want_shape, want_dtype = expect
            if tuple(shape) != tuple(want_shape) or dtype != np.dtype(want_dtype).newbyteorder("<"):
                raise WireError(f"reply is {np.dtype(dtype).name}{list(shape)}, expected "
                                f"{np.dtype(want_dtype).name}{list(want_shape)}")
        count = int(np.prod(shape, dtype=np.int64)) if ndim else 1
        data = self._exact(count * dtype.itemsize, deadline)
        return "A", np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
