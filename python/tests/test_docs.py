# SPDX-License-Identifier: Apache-2.0
# test_docs.py — the examples of docs/python.md run as written and print what the page shows.
import contextlib
import io
import os
import re

import pytest

import onnxbn
from conftest import REPO

DOC = os.path.join(REPO, "docs", "python.md")


def example():
    """The first ```python block after '## Example' and the plain ``` block after it."""
    text = open(DOC).read()
    text = text[text.index("## Example"):]
    code = re.search(r"```python\n(.*?)```", text, re.S)
    shown = re.search(r"```\n(.*?)```", text[code.end():], re.S)
    return code.group(1), shown.group(1)


@pytest.mark.skipif(not onnxbn._LIB.has_fuse, reason="this libonnxbn has no converter API")
def test_example(tmp_path, monkeypatch):
    code, shown = example()
    code = code.replace("/tmp/tiny_resnet_fused.onnx", str(tmp_path / "fused.onnx"))
    monkeypatch.chdir(REPO)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, DOC, "exec"), {})
    got, want = out.getvalue().splitlines(), shown.splitlines()
    assert len(got) == len(want), out.getvalue()
    for g, w in zip(got, want):
        assert g == w


def test_onnxruntime_example(monkeypatch):
    """The block of "For onnxruntime users" runs as written and prints what its comment shows."""
    text = open(DOC).read()
    text = text[text.index("## For onnxruntime users"):]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    shown = re.search(r"print\(.*\)\s+# (.*)", code).group(1)
    monkeypatch.chdir(REPO)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "python.md", "exec"), {})
    assert out.getvalue().strip() == shown.strip()


def test_backend_test_block():
    """The BackendTest block of docs/python.md makes the test classes, and a case of them passes
    on Debian 12's onnx 1.12 + numpy 1.24 (the plain runner fails every case there)."""
    import unittest
    pytest.importorskip("onnx.backend.test")
    text = open(DOC).read()
    text = text[text.index("and the official ONNX backend test suite runs on it"):]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    ns = {"__name__": "docs_backend"}
    exec(compile(code, "python.md", "exec"), ns)
    node = ns["OnnxBackendNodeModelTest"]
    suite = unittest.TestSuite([node("test_relu_cpu"), node("test_add_bcast_cpu")])
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    assert result.wasSuccessful() and result.testsRun == 2, result.failures + result.errors
