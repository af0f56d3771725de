# SPDX-License-Identifier: Apache-2.0
# backend.py — onnxbn as an onnx.backend.base.Backend, the interface the ONNX conformance runner
# (onnx.backend.test.BackendTest) and other tools drive: prepare a model, run it, run one node.
"""onnx.backend interface to onnxbn (CPU only).

    import onnxbn.backend as backend
    rep = backend.prepare(onnx.load("model.onnx"))
    outputs = rep.run([x])            # or rep.run({"input": x})

    # the ONNX backend test suite (onnxbn.backend.BackendTest: onnx's runner, fixed for numpy
    # >= 1.24, which Debian 12 pairs with onnx 1.12):
    globals().update(backend.BackendTest(backend, __name__).test_cases)

What onnxbn does not implement (an operator, element type or rank) raises onnxbn.Error with
status onnxbn.Status.UNSUPPORTED from prepare() or run().
"""
import numpy as np
import onnx
from onnx import helper
from onnx.backend.base import Backend, BackendRep, Device, DeviceType, namedtupledict

from ._api import Error, Session, Status, _FROM_NP


class OnnxbnBackendRep(BackendRep):
    """A prepared model. run() takes a list (bound to the graph's inputs in the order the model
    lists them, as the ONNX runner does), a dict {name: array} or a single array."""

    def __init__(self, session, input_names=None):
        self.session = session
        # The graph's own input order, initializer-backed inputs included (IR < 4 models list
        # their weights as inputs): that is what positional inputs refer to.
        self.input_names = list(input_names) if input_names is not None else [
            v.name for v in session.inputs]

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            feeds = inputs
        else:
            if isinstance(inputs, np.ndarray):
                inputs = [inputs]
            inputs = list(inputs)
            if len(inputs) > len(self.input_names):
                raise Error(Status.ARG, f"{len(inputs)} inputs given, the model has "
                            f"{len(self.input_names)}")
            feeds = dict(zip(self.input_names, inputs))
        outs = self.session.run(feeds=feeds)
        names = [v.name for v in self.session.outputs]
        return namedtupledict("Outputs", names)(*outs)


def _cpu(device):
    try:
        return Device(device).type == DeviceType.CPU
    except (AttributeError, ValueError):
        return False


def _runnable(t):
    """A tensor, a sequence of tensors, or an optional of either."""
    which = t.WhichOneof("value")
    if which == "optional_type":
        t = t.optional_type.elem_type
        which = t.WhichOneof("value")
    if which == "sequence_type":
        return t.sequence_type.elem_type.WhichOneof("value") == "tensor_type"
    return which in (None, "tensor_type")


def _tensors_only(graph):
    """onnxbn runs tensors, sequences of tensors (lists of arrays) and optionals of those (None
    when empty): a graph input or output of another type (map, sparse) is UNSUPPORTED."""
    for kind, values in (("input", graph.input), ("output", graph.output)):
        for v in values:
            if not _runnable(v.type):
                which = v.type.WhichOneof("value")
                raise Error(Status.UNSUPPORTED, f"graph {kind} '{v.name}' is of type "
                            f"{which.replace('_type', '')}; onnxbn runs tensors, sequences of "
                            f"tensors and optionals of those")


class OnnxbnBackend(Backend):
    @classmethod
    def is_compatible(cls, model, device="CPU", **kwargs):
        return _cpu(device)

    @classmethod
    def supports_device(cls, device):
        return _cpu(device)

    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        """model: an onnx.ModelProto (or a path or bytes). kwargs: those of onnxbn.Session
        (fold, threads, max_memory, base_dir)."""
        if not _cpu(device):
            raise Error(Status.UNSUPPORTED, f"device {device!r}: onnxbn runs on the CPU only")
        names = None
        if isinstance(model, onnx.ModelProto):
            names = [i.name for i in model.graph.input]
            _tensors_only(model.graph)
        return OnnxbnBackendRep(Session(model, **kwargs), names)

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        """Runs one NodeProto on `inputs` (a list bound to node.input in order, skipping empty
        names, or a dict). opset_version= picks the operator version (default: the newest)."""
        if not _cpu(device):
            raise Error(Status.UNSUPPORTED, f"device {device!r}: onnxbn runs on the CPU only")
        present = [n for n in node.input if n]
        if isinstance(inputs, dict):
            feeds = dict(inputs)
        else:
            if isinstance(inputs, np.ndarray):
                inputs = [inputs]
            feeds = dict(zip(present, inputs))
        feeds = {k: np.asarray(v) for k, v in feeds.items()}
        graph_inputs = []
        for name in present:
            if name not in feeds:
                raise Error(Status.ARG, f"run_node: no value for input '{name}'")
            a = feeds[name]
            code = 8 if a.dtype.kind in "OUS" else _FROM_NP.get(a.dtype)  # 8: strings
            if code is None:
                raise Error(Status.TYPE, f"run_node: input '{name}' has numpy dtype {a.dtype}")
            graph_inputs.append(helper.make_tensor_value_info(name, code, a.shape))
        graph_outputs = []
        for i, name in enumerate(n for n in node.output if n):
            if outputs_info is not None and i < len(outputs_info):
                dt, shape = outputs_info[i]
                graph_outputs.append(helper.make_tensor_value_info(
                    name, _FROM_NP.get(np.dtype(dt), 0), shape))
            else:
                graph_outputs.append(helper.make_empty_tensor_value_info(name))
        opset = kwargs.pop("opset_version", None) or onnx.defs.onnx_opset_version()
        domain = node.domain or ""
        imports = [helper.make_opsetid("", opset)]
        if domain not in ("", "ai.onnx"):
            imports.append(helper.make_opsetid(domain, 1))
        graph = helper.make_graph([node], "run_node", graph_inputs, graph_outputs)
        model = helper.make_model(graph, producer_name="onnxbn.backend", opset_imports=imports)
        rep = cls.prepare(model, device, **kwargs)
        return rep.run(feeds)


# The module is the backend too: BackendTest(onnxbn.backend, ...) calls these.
is_compatible = OnnxbnBackend.is_compatible
prepare = OnnxbnBackend.prepare
run = OnnxbnBackend.run_model
run_model = OnnxbnBackend.run_model
run_node = OnnxbnBackend.run_node
supports_device = OnnxbnBackend.supports_device


def _backend_test_class():
    import onnx.backend.test

    class BackendTest(onnx.backend.test.BackendTest):
        """onnx.backend.test.BackendTest, with its output check fixed for numpy >= 1.24.

        onnx 1.12's runner (Debian 12's python3-onnx) compares outputs with `np.object`, which
        numpy 1.24 (Debian 12's python3-numpy) removed, so every case of the plain runner fails
        with AttributeError whatever the backend computes. This is the same check with `object`;
        on an onnx that no longer uses `np.object` it does what the original does. One more
        fix: a sequence output's elements are compared each as a whole array (the original
        recursed with the element as if it were a list of outputs, which fails with TypeError on
        a 0-d element, as test_loop16_seq_none's first one is)."""

        @classmethod
        def assert_similar_outputs(cls, ref_outputs, outputs, rtol, atol):
            np.testing.assert_equal(len(outputs), len(ref_outputs))
            for i in range(len(outputs)):
                if isinstance(outputs[i], (list, tuple)):
                    for j in range(len(outputs[i])):
                        cls.assert_similar_outputs([ref_outputs[i][j]], [outputs[i][j]], rtol,
                                                   atol)
                else:
                    np.testing.assert_equal(outputs[i].dtype, ref_outputs[i].dtype)
                    if ref_outputs[i].dtype == object:
                        np.testing.assert_array_equal(outputs[i], ref_outputs[i])
                    else:
                        np.testing.assert_allclose(outputs[i], ref_outputs[i], rtol=rtol,
                                                   atol=atol)

    return BackendTest


def __getattr__(name):
    # onnx.backend.test collects every test case when imported: only pay for it when asked.
    if name == "BackendTest":
        cls = _backend_test_class()
        globals()["BackendTest"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
