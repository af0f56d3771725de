# SPDX-License-Identifier: Apache-2.0
# test_cli_agreement.py — the Python backend passes every ONNX backend case that `onnxbn test`
# passes: no case the CLI passes may be in backend_xfail.txt (test_backend.py runs the rest).
import os
import subprocess

import pytest

import onnxbn
from test_backend import XFAIL_FILE, read_xfail

from onnx.backend.test.loader import DATA_DIR

SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]


def find_cli():
    """$ONNXBN_CLI, else the `onnxbn` built next to the library (the build tree's root)."""
    cli = os.environ.get("ONNXBN_CLI")
    if cli:
        return cli
    cand = os.path.join(os.path.dirname(os.path.realpath(onnxbn.library_path)), "onnxbn")
    return cand if os.access(cand, os.X_OK) else None


def cli_results(cli, suite_dir):
    """{case: PASS|FAIL|SKIP} from `onnxbn test SUITE_DIR`."""
    p = subprocess.run([cli, "test", suite_dir], capture_output=True, text=True, timeout=1200)
    assert p.returncode in (0, 1), f"onnxbn test {suite_dir} crashed or failed to run " \
        f"(exit {p.returncode}): {p.stderr[-2000:]}"
    out = {}
    for line in p.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASS", "FAIL", "SKIP"):
            out[rest.split(":", 1)[0].strip()] = word
    assert out, f"no case results from onnxbn test {suite_dir}:\n{p.stdout[-2000:]}"
    return out


@pytest.mark.parametrize("suite", SUITES)
def test_backend_passes_what_the_cli_passes(suite):
    cli = find_cli()
    if cli is None:
        pytest.skip("the onnxbn command is not found: set ONNXBN_CLI")
    suite_dir = os.path.join(DATA_DIR, suite)
    if not os.path.isdir(suite_dir):
        pytest.skip(f"no ONNX test data at {suite_dir}")
    xfail = read_xfail(XFAIL_FILE)
    res = cli_results(cli, suite_dir)
    passed = sorted(c for c, r in res.items() if r == "PASS")
    assert passed or suite != "node", "onnxbn test passes no node case"
    listed = [f"{c} ({xfail[f'{suite}/{c}'][0]})" for c in passed if f"{suite}/{c}" in xfail]
    assert not listed, f"`onnxbn test` passes these {suite} cases, which backend_xfail.txt " \
        f"expects to fail in Python: {listed}"
