// The scorer–runner wire (src/scoring/py/wire.py), exercised in Python as the scorer uses it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SCORING_LIB } from '../../src/task/evaluatorHash.js';

function py(code: string): string {
  return execFileSync('/usr/bin/python3', ['-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(SCORING_LIB)})\n${code}`], {
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
}

describe('scoring wire protocol', () => {
  it('carries arrays of every allowed dtype, JSON and errors, bit for bit', () => {
    const out = py(`
import os, numpy as np, wire
r, w = os.pipe()
arrays = [np.arange(6, dtype=t).reshape(2, 3) for t in (np.uint8, np.int32, np.int64, np.float16, np.float32, np.float64)]
for a in arrays:
    wire.write_all(w, wire.encode_array(a))
wire.write_all(w, wire.encode_json({"ready": True}))
wire.write_all(w, wire.encode_error("boom"))
rd = wire.Reader(r)
ok = all(np.array_equal(rd.frame(expect=(a.shape, a.dtype))[1], a) for a in arrays)
print(ok, rd.frame(), rd.frame())`);
    assert.equal(out, "True ('J', {'ready': True}) ('E', 'boom')");
  });

  it('refuses a reply whose header is not the expected shape before reading its body', () => {
    // The header claims a 64 TB float64 array and no body follows: a reader that trusted it would block or allocate.
    const out = py(`
import os, struct, time, numpy as np, wire
r, w = os.pipe()
os.write(w, b"LNW1A" + struct.pack("<BB", 6, 3) + struct.pack("<3I", 65535, 65535, 65535))
try:
    wire.Reader(r).frame(time.monotonic() + 5, expect=((16, 128, 256), np.float32))
except wire.WireError as e:
    print("refused:", e)`);
    assert.match(out, /^refused: reply is float64\[65535, 65535, 65535\], expected float32\[16, 128, 256\]/);
  });

  it('times out a silent runner and names a closed pipe and a bad frame', () => {
    const out = py(`
import os, time, wire
r, w = os.pipe()
for setup in ("silent", "closed", "garbage"):
    r, w = os.pipe()
    if setup == "closed": os.close(w)
    if setup == "garbage": os.write(w, b"HELLO WORLD")
    try:
        wire.Reader(r).frame(time.monotonic() + 0.3)
    except wire.WireError as e:
        print(setup, "->", e)`);
    assert.deepEqual(out.split('\n'), [
      'silent -> timed out waiting for the model runner',
      'closed -> the model runner closed the pipe (it exited or crashed)',
      "garbage -> bad frame magic b'HELL'",
    ]);
  });

  it('will not send what it cannot describe', () => {
    const out = py(`
import numpy as np, wire
for a in (np.array(["x"]), np.zeros((1,) * 9, dtype=np.float32)):
    try:
        wire.encode_array(a)
    except wire.WireError as e:
        print(str(e).split(" (")[0])`);
    assert.deepEqual(out.split('\n'), ['dtype <U1 cannot cross the wire', 'an array of 9 dims cannot cross the wire']);
  });
});
