# SPDX-License-Identifier: Apache-2.0
# conftest.py — pytest set-up for python/tests: import onnxbn from this source tree (python/), so
# `pytest python/tests` tests the package next to it, whatever is installed elsewhere.
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PY_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(PY_DIR)
if PY_DIR not in sys.path:
    sys.path.insert(0, PY_DIR)
