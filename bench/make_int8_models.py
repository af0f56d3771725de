#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make_int8_models.py — the int8-against-float Conv pair of bench/int8.sh: one QLinearConv
(uint8 x, int8 per-channel w, uint8 y), one ConvInteger and one float Conv, all 1x64x56x56,
3x3, pad 1, 64 -> 64, into the folder given (default .cache/bench)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else ".cache/bench"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
N, C, H, W, M, K = 1, 64, 56, 56, 64, 3
wf = rng.standard_normal((M, C, K, K)).astype(np.float32) * 0.05
bf = rng.standard_normal(M).astype(np.float32) * 0.1
conv_attrs = dict(kernel_shape=[K, K], pads=[1, 1, 1, 1])


def save(nodes, inputs, outputs, inits, name):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


save([helper.make_node("Conv", ["x", "w", "b"], ["y"], **conv_attrs)],
     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [N, C, H, W])],
     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [N, M, H, W])],
     [numpy_helper.from_array(wf, "w"), numpy_helper.from_array(bf, "b")], "conv_f32")

ws = (np.abs(wf).reshape(M, -1).max(1) / 127).astype(np.float32)
wq = np.clip(np.rint(wf / ws[:, None, None, None]), -127, 127).astype(np.int8)
xs, ys = np.float32(4.0 / 255), np.float32(8.0 / 255)
bq = np.rint(bf / (xs * ws)).astype(np.int32)
inits = [numpy_helper.from_array(np.array(xs), "xs"), numpy_helper.from_array(np.array(128, np.uint8), "xz"),
         numpy_helper.from_array(wq, "w"), numpy_helper.from_array(ws, "ws"),
         numpy_helper.from_array(np.zeros(M, np.int8), "wz"), numpy_helper.from_array(np.array(ys), "ys"),
         numpy_helper.from_array(np.array(128, np.uint8), "yz"), numpy_helper.from_array(bq, "b")]
save([helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], **conv_attrs)],
     [helper.make_tensor_value_info("x", TensorProto.UINT8, [N, C, H, W])],
     [helper.make_tensor_value_info("y", TensorProto.UINT8, [N, M, H, W])], inits, "qlinearconv_u8s8")
save([helper.make_node("ConvInteger", ["x", "w", "xz"], ["y"], **conv_attrs)],
     [helper.make_tensor_value_info("x", TensorProto.UINT8, [N, C, H, W])],
     [helper.make_tensor_value_info("y", TensorProto.INT32, [N, M, H, W])],
     [numpy_helper.from_array(wq, "w"), numpy_helper.from_array(np.array(128, np.uint8), "xz")], "convinteger_u8s8")
