# onnxbn — Python front of the onnxbn C runtime (libonnxbn through ctypes): run ONNX models on
# numpy arrays, fold BatchNormalization, and the onnx.backend interface (onnxbn.backend).
"""Run ONNX models with onnxbn from numpy.

    >>> import numpy as np, onnxbn
    >>> s = onnxbn.Session("models/mlp_bn/model.onnx")
    >>> y, = s.run(feeds={"input": np.zeros((4, 16), np.float32)})

Errors from the library are raised as onnxbn.Error (with .status, an onnxbn.Status, and
.message). The shared library is found through $ONNXBN_LIBRARY, next to this package, in the
source tree's build/ folder, or on the system's library path.
"""
from ._api import (Error, FuseReport, Session, Status, ValueInfo, VerifyError, fuse, fuse_passes,
                   version)
from ._lib import LIB as _LIB

__version__ = "0.1.0"
library_path = _LIB.path

__all__ = ["Error", "FuseReport", "Session", "Status", "ValueInfo", "VerifyError", "fuse",
           "fuse_passes", "version", "library_path"]
