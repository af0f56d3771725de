# SPDX-License-Identifier: Apache-2.0
# probe.py — opens and runs each model file given through onnxbn.Session, from its path and from
# its bytes, and prints one line per attempt, so that a crash is pinned on the file that caused it.
"""usage: probe.py FILE...

Prints tab-separated lines: `BEGIN <file>` before each file, then per attempt (how: path, bytes)
    OK <file> <how>
    ERROR <file> <how> <STATUS> <message>
    EXCEPTION <file> <how> <type> <message>      (anything but onnxbn.Error: a bug)
and `END <file>`. The process exits 0 unless it crashes. Inputs are the deterministic random
ones of fuse(verify=True); sessions are capped at 256 MiB.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import onnxbn  # noqa: E402
from onnxbn._api import _random_feeds  # noqa: E402

CAP = 256 << 20


def out(*fields):
    print("\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields), flush=True)


def attempt(model, base_dir):
    s = onnxbn.Session(model, max_memory=CAP, base_dir=base_dir)
    s.run(feeds=_random_feeds(s))


def main(paths):
    for p in paths:
        out("BEGIN", p)
        with open(p, "rb") as f:
            data = f.read()
        for how, model in (("path", p), ("bytes", data)):
            try:
                attempt(model, os.path.dirname(p))
                out("OK", p, how)
            except onnxbn.Error as e:
                status = e.status.name if isinstance(e.status, onnxbn.Status) else e.status
                out("ERROR", p, how, status, e.message)
            except Exception as e:  # noqa: BLE001 - reported, the test fails on it
                out("EXCEPTION", p, how, type(e).__name__, str(e))
        out("END", p)


if __name__ == "__main__":
    main(sys.argv[1:])
