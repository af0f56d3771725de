# SPDX-License-Identifier: Apache-2.0
# onnxbn — Python front of the onnxbn C runtime (libonnxbn through ctypes): run ONNX models on
# numpy arrays, fold BatchNormalization, and the onnx.backend interface (onnxbn.backend).
"""Run ONNX models with onnxbn from numpy.

    >>> import numpy as np, onnxbn
    >>> s = onnxbn.Session("models/mlp_bn/model.onnx")
    >>> y, = s.run(feeds={"input": np.zeros((4, 16), np.float32)})

Scripts written for onnxruntime run with `import onnxbn as onnxruntime` (InferenceSession,
SessionOptions, get_inputs() ...; see docs/python.md).

Errors from the library are raised as onnxbn.Error (with .status, an onnxbn.Status, and
.message). The shared library is found through $ONNXBN_LIBRARY, next to this package, in the
source tree's build/ folder, or on the system's library path.
"""
from ._api import (Error, FuseReport, Session, Status, ValueInfo, VerifyError, fuse, fuse_passes,
                   version)
from ._lib import LIB as _LIB
# onnxruntime's API (import onnxbn as onnxruntime): docs/python.md, "For onnxruntime users".
from ._ort import (EngineError, EPFail, ExecutionMode, Fail, GraphOptimizationLevel,
                   InferenceSession, InvalidArgument, InvalidGraph, InvalidProtobuf, ModelLoaded,
                   ModelMetadata, NodeArg, NoModel, NoSuchFile, NotImplemented, RunOptions,
                   RuntimeException, SessionOptions, get_all_providers, get_available_providers,
                   get_device, set_default_logger_severity)
from . import capi

__version__ = "0.1.0"
library_path = _LIB.path

__all__ = ["Error", "FuseReport", "Session", "Status", "ValueInfo", "VerifyError", "fuse",
           "fuse_passes", "version", "library_path",
           "InferenceSession", "SessionOptions", "RunOptions", "GraphOptimizationLevel",
           "ExecutionMode", "NodeArg", "ModelMetadata", "get_available_providers",
           "get_all_providers", "get_device", "set_default_logger_severity", "Fail",
           "InvalidArgument", "NoSuchFile", "NoModel", "EngineError", "RuntimeException",
           "InvalidProtobuf", "ModelLoaded", "NotImplemented", "InvalidGraph", "EPFail"]
