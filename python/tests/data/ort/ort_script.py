# SPDX-License-Identifier: Apache-2.0
# ort_script.py — a script written for onnxruntime 1.30, as users write them; test_ort_api.py runs
# it with its import line changed to `import onnxbn as onnxruntime` and nothing else.
# usage: python3 ort_script.py MODEL INPUT.npy OUTPUT.npy
import sys

import numpy as np
import onnxruntime

model, inp_file, out_file = sys.argv[1:4]

so = onnxruntime.SessionOptions()
so.intra_op_num_threads = 2
so.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
sess = onnxruntime.InferenceSession(model, sess_options=so, providers=["CPUExecutionProvider"])
print("providers:", sess.get_providers())

inp = sess.get_inputs()[0]
print("input:", inp.name, inp.type, inp.shape)
for o in sess.get_outputs():
    print("output:", o.name, o.type, o.shape)
meta = sess.get_modelmeta()
print("graph:", meta.graph_name, "version:", meta.version, "producer:", meta.producer_name)

x = np.load(inp_file)
y_all = sess.run(None, {inp.name: x})[0]
y_named = sess.run([sess.get_outputs()[0].name], {inp.name: x})[0]
assert np.array_equal(y_all, y_named)
print("top-1:", y_all.argmax(axis=1).tolist())
np.save(out_file, y_all)
