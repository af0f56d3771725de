# SPDX-License-Identifier: Apache-2.0
# test_backend.py — the official ONNX backend tests (onnx.backend.test.BackendTest) run through
# onnxbn.backend, against the expected failures kept in backend_xfail.txt (strict both ways).
"""Every case of the ONNX backend test data (libonnx-testdata, found by python3-onnx) runs on
the CPU through onnxbn.backend and must either pass or fail exactly as backend_xfail.txt says:

    <suite>/<case>  <kind>  <reason>

kind is what went wrong: `unsupported` (onnxbn.Error UNSUPPORTED: an operator, type or rank
onnxbn does not implement), `mismatch` (outputs differ from the reference: value, dtype, count),
`error:<STATUS>` (another onnxbn.Error) or `python:<Exception>` (the runner could not feed the
case, e.g. sequence inputs). A listed case that fails the same way is an xfail; one that passes
now, or fails another way, FAILS the test, and so does an unlisted case that fails: update the
list with

    /usr/bin/python3 python/tests/test_backend.py --update

(the library is found as `import onnxbn` finds it; set ONNXBN_LIBRARY for another build).
`--counts` prints, per operator of the node suite, how many of the cases using it pass.
The models of the "real" suite are downloads (no network here): those are skipped.
"""
import functools
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(HERE))

import onnx.backend.test  # noqa: E402
from onnx.backend.test.loader import DATA_DIR  # noqa: E402

import onnxbn  # noqa: E402
import onnxbn.backend  # noqa: E402

XFAIL_FILE = os.path.join(HERE, "backend_xfail.txt")

# Category of onnx.backend.test.runner -> folder of the test data.
SUITES = {"NodeModel": "node", "SimpleModel": "simple", "PyTorchConvertedModel": "pytorch-converted",
          "PyTorchOperatorModel": "pytorch-operator", "RealModel": "real"}


def read_xfail(path=XFAIL_FILE):
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                raise ValueError(f"{path}:{n}: expected '<suite>/<case> <kind> <reason>'")
            if parts[0] in out:
                raise ValueError(f"{path}:{n}: {parts[0]} is listed twice")
            out[parts[0]] = (parts[1], parts[2])
    return out


def classify(exc):
    """The kind of a failure, as backend_xfail.txt names it."""
    if isinstance(exc, onnxbn.Error):
        if exc.status == onnxbn.Status.UNSUPPORTED:
            return "unsupported"
        name = exc.status.name if isinstance(exc.status, onnxbn.Status) else str(exc.status)
        return f"error:{name}"
    if isinstance(exc, AssertionError):
        return "mismatch"
    return f"python:{type(exc).__name__}"


def one_line(exc):
    text = str(exc).strip().splitlines()
    text = " ".join(t.strip() for t in text if t.strip())
    return (text or type(exc).__name__)[:300]


# onnxbn.backend.BackendTest: onnx's runner with its output check fixed for numpy >= 1.24.
Runner = onnxbn.backend.BackendTest


def make_runner():
    """The ONNX runner over onnxbn.backend, CPU cases only, each keyed '<suite>/<case>'.
    Returns (runner, {key: (category, item name)})."""
    runner = Runner(onnxbn.backend, __name__)
    keys = {}
    for category, items in runner._test_items.items():
        for name in list(items):
            if not name.endswith("_cpu"):
                # CUDA cases: onnxbn.backend.supports_device('CUDA') is False, they would only
                # be skipped; leaving them out keeps the report readable.
                del items[name]
                continue
            keys[f"{SUITES.get(category, category)}/{name[:-4]}"] = (category, name)
    return runner, keys


def wrap(key, func, expected):
    """The runner's test function held to the xfail list."""
    @functools.wraps(func)
    def test(*args, **kwargs):
        import pytest
        if key.startswith("real/"):
            pytest.skip("a model download (the tests have no network)")
        try:
            func(*args, **kwargs)
        except unittest.SkipTest:
            raise
        except Exception as e:  # noqa: BLE001 - every failure is classified
            kind = classify(e)
            if expected is None:
                pytest.fail(f"{key} fails ({kind}: {one_line(e)}); it is not in backend_xfail.txt")
            if expected[0] != kind:
                pytest.fail(f"{key} fails as {kind}, backend_xfail.txt says {expected[0]} "
                            f"({expected[1]}): {one_line(e)}")
            pytest.xfail(f"{kind}: {expected[1]}")
        else:
            if expected is not None:
                pytest.fail(f"{key} passes now: remove it from backend_xfail.txt "
                            f"(listed as {expected[0]}: {expected[1]})")
    return test


def run_all():
    """Runs every case outside pytest: yields (key, outcome, exception or None, model or None),
    outcome being "pass", "skip" or a failure kind."""
    runner, keys = make_runner()
    for key in sorted(keys):
        category, name = keys[key]
        if key.startswith("real/"):
            continue
        item = runner._test_items[category][name]
        try:
            item.func(None)
            kind, exc = "pass", None
        except unittest.SkipTest as e:
            kind, exc = "skip", e
        except Exception as e:  # noqa: BLE001
            kind, exc = classify(e), e
        # The runner keeps the ModelProto it loaded in the item's report slot.
        yield key, kind, exc, item.proto[0] if item.proto else None


def counts():
    """Per operator of the node suite: cases whose graph uses it, and how many of those pass
    (tab-separated: op, passed, total), for the README's operator table."""
    per_op = {}
    for key, kind, _, model in run_all():
        if not key.startswith("node/") or model is None:
            continue
        for op in sorted({n.op_type for n in model.graph.node}):
            p, t = per_op.get(op, (0, 0))
            per_op[op] = (p + (kind == "pass"), t + 1)
    print("operator\tpassed\tcases")
    for op, (p, t) in sorted(per_op.items()):
        print(f"{op}\t{p}\t{t}")


def update(path=XFAIL_FILE):
    """Runs every case and rewrites the xfail list from what fails; a case that fails as it was
    listed keeps its reason (which may have been written by hand). Prints the counts."""
    old = read_xfail(path) if os.path.exists(path) else {}
    lines, tally = [], {}
    for key, kind, exc, _ in run_all():
        if kind == "skip":
            print(f"SKIP {key}: {exc}")
        elif kind != "pass":
            reason = old[key][1] if key in old and old[key][0] == kind else one_line(exc)
            lines.append(f"{key}  {kind}  {reason}")
        tally[kind] = tally.get(kind, 0) + 1
    with open(path, "w") as f:
        f.write("# Expected failures of python/tests/test_backend.py: '<suite>/<case>  <kind>  <reason>'.\n"
                "# Generated by `/usr/bin/python3 python/tests/test_backend.py --update`; see that file.\n")
        f.writelines(line + "\n" for line in lines)
    print(", ".join(f"{v} {k}" for k, v in sorted(tally.items())))


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
    elif sys.argv[1:] == ["--counts"]:
        counts()
    else:
        sys.exit(f"usage: {sys.argv[0]} --update | --counts   (the tests: pytest {sys.argv[0]})")
    sys.exit(0)

if not os.path.isdir(os.path.join(DATA_DIR, "node")):
    import pytest
    pytest.skip(f"the ONNX backend test data is not installed ({DATA_DIR})", allow_module_level=True)

_runner, _keys = make_runner()
_xfail = read_xfail()
for _key, (_category, _name) in _keys.items():
    _item = _runner._test_items[_category][_name]
    _item.func = wrap(_key, _item.func, _xfail.get(_key))
globals().update(_runner.test_cases)


def test_stale_xfail_entries():
    """Every case in backend_xfail.txt exists in the test data."""
    missing = sorted(set(_xfail) - set(_keys))
    assert not missing, f"backend_xfail.txt lists cases that do not exist: {missing}"


def test_supports_device():
    assert onnxbn.backend.supports_device("CPU")
    assert not onnxbn.backend.supports_device("CUDA")
    assert not onnxbn.backend.supports_device("CUDA:1")
