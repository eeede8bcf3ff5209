"""The model runner: the one part of an evaluation that executes trial code.

  python -I -B runner.py --loader <evaluator>/model_runner.py --checkout <dir> --outputs <dir>

It runs in the trial sandbox (read-only checkout and train outputs, no network, no writable
place, killed after scoring). The task's loader module defines

  load(checkout, outputs) -> (predict, info)

where predict(ndarray) -> ndarray and info is a small JSON-able dict. The runner sends
J {"ready": true, "info": info}, then answers every A frame on stdin with predict's A frame
on stdout, until stdin closes. Trial code's own prints go to stderr (the log), never into the
protocol. Nothing here is trusted: the scorer checks every reply.
"""
import argparse
import importlib.util
import os
import sys
import traceback


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loader", required=True)
    ap.add_argument("--checkout", required=True)
    ap.add_argument("--outputs", required=True)
    a = ap.parse_args()
    # The protocol keeps private copies of the pipe; fd 0 and 1 become /dev/null and the log.
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), a.checkout]
    import wire  # noqa: E402  (beside this file)

    try:
        spec = importlib.util.spec_from_file_location("model_runner", a.loader)
        loader = importlib.util.module_from_spec(spec)
        sys.path.insert(1, os.path.dirname(os.path.abspath(a.loader)))
        spec.loader.exec_module(loader)
        predict, info = loader.load(a.checkout, a.outputs)
        wire.write_all(proto_out, wire.encode_json({"ready": True, "info": info or {}}))
    except BaseException as e:  # noqa: BLE001  (trial code may raise anything, even SystemExit)
        traceback.print_exc()
        wire.write_all(proto_out, wire.encode_error(f"load failed: {type(e).__name__}: {str(e)[:500]}"))
        return 1
    reader = wire.Reader(proto_in)
    while True:
        try:
            kind, x = reader.frame()
        except wire.WireError:
            return 0  # the scorer closed the pipe: scoring is over
        try:
            import numpy as np
            y = np.asarray(predict(x))
            frame = wire.encode_array(y)
        except BaseException as e:  # noqa: BLE001
            traceback.print_exc()
            wire.write_all(proto_out, wire.encode_error(f"predict failed: {type(e).__name__}: {str(e)[:500]}"))
            return 1
        wire.write_all(proto_out, frame)


if __name__ == "__main__":
    sys.exit(main())
