# SPDX-License-Identifier: Apache-2.0
# capi — where onnxruntime keeps its exception classes (onnxruntime.capi.onnxruntime_pybind11_state),
# so `ort.capi.onnxruntime_pybind11_state.InvalidArgument` works after `import onnxbn as ort`.
from . import onnxruntime_pybind11_state  # noqa: F401
