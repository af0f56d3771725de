# SPDX-License-Identifier: Apache-2.0
# onnxruntime_pybind11_state — onnxruntime's exception classes by their module path, as onnxbn's.
# The classes live in onnxbn._ort; this only names them where onnxruntime scripts look.
from .._ort import (EngineError, EPFail, Fail, InvalidArgument, InvalidGraph,  # noqa: F401
                    InvalidProtobuf, ModelLoaded, NoModel, NoSuchFile, NotImplemented,
                    RuntimeException)
