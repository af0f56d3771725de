#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make_malformed.py — writes the malformed corpus: small hand-made bad models and tensor files, and
expected.tsv, which says for each the command, the exit status and the exact error it must give.

Usage: /usr/bin/python3 tests/malformed/make_malformed.py   (rewrites the files next to it)
The files are committed; run_malformed.sh checks them with the onnxbn CLI (also under valgrind).
Every *.onnx here is refused on its own, with default options and any inputs (python/tests relies
on it); models that are valid by themselves (carriers of bad input files, limit cases that need
--max-memory, controls) are named *.good.
"""
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT
rows = []  # (file, command, exit status, message fragment, extra arguments)


def expect(name, cmd, fragment, args="", status=1):
    assert "\t" not in fragment and "\n" not in fragment
    rows.append((name, cmd, status, fragment, args))


def write(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def model(nodes, inputs, outputs, inits=(), opset=13, ir=8, value_info=()):
    g = helper.make_graph(nodes, "bad", list(inputs), list(outputs), list(inits),
                          value_info=list(value_info))
    m = helper.make_model(g, producer_name="onnxbn-malformed",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    return m


def save(name, m):
    write(name, m.SerializeToString())  # never onnx.save: it would check the model


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def relu_model(inits=(), x_in=True):
    """y = Relu(w) over an initializer w, the shape every tensor case uses."""
    return model([helper.make_node("Relu", ["w"], ["y"], name="r")], [], [vi("y", None)], inits)


def raw(name, dims, data_type=F, raw_bytes=b""):
    t = TensorProto(name=name, data_type=data_type, dims=dims)
    t.raw_data = raw_bytes
    return t


def ext(name, dims, kv, data_type=F):
    t = TensorProto(name=name, data_type=data_type, dims=dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in kv:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(tag_byte, payload):
    return bytes([tag_byte]) + varint(len(payload)) + payload


good = model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", [2, 3])], [vi("y", [2, 3])])
good_bytes = good.SerializeToString()
save("relu.good", good)  # the model the tensor-file cases feed

# ---- bytes that are not a model ----
write("empty.onnx", b"")
expect("empty.onnx", "info", "the model is empty (0 bytes)")
write("text.onnx", b"this is not an ONNX model, just some text\n")
expect("text.onnx", "info", "not a valid ONNX model: the protobuf does not parse")
write("truncated.onnx", good_bytes[: len(good_bytes) // 2])
expect("truncated.onnx", "info", "not a valid ONNX model: the protobuf does not parse")
write("bad_wire_type.onnx", bytes([0x0F, 0x01]) + good_bytes)  # field 1, wire type 7
expect("bad_wire_type.onnx", "info", "not a valid ONNX model: the protobuf does not parse")
write("field_zero.onnx", good_bytes + bytes([0x80, 0x00, 0x3F]))  # field 0 in an over-long tag
expect("field_zero.onnx", "info", "not a valid ONNX model: a protobuf field number is 0 or out of range")
write("huge_length.onnx", bytes([0x3A]) + varint(1 << 40) + b"\x00" * 16)  # graph of 1 TiB
expect("huge_length.onnx", "info", "not a valid ONNX model: the protobuf does not parse")

m = onnx.ModelProto(ir_version=8)
m.opset_import.add().version = 13
save("no_graph.onnx", m)
expect("no_graph.onnx", "info", "the model has no graph")
m = onnx.ModelProto()
m.CopyFrom(good)
m.ClearField("ir_version")
save("no_ir_version.onnx", m)
expect("no_ir_version.onnx", "info", "the model has no valid ir_version")

# ---- nesting that would blow protobuf-c's recursive unpack (checked before unpacking) ----
g = b""
for _ in range(200):  # GraphProto in an attribute of a node in a GraphProto ...
    attr = field(0x0A, b"body") + field(0x32, g) + bytes([0xA0, 0x01, 5])  # name, g, type GRAPH
    node = field(0x2A, attr) + field(0x22, b"Wrap")  # attribute, op_type
    g = field(0x0A, node)
write("nested_graphs.onnx", bytes([0x08, 8]) + field(0x3A, g) + field(0x42, bytes([0x10, 13])))
expect("nested_graphs.onnx", "info", "the model nests messages more than 100 deep")
t = b""
for _ in range(300):  # TypeProto.sequence_type.elem_type ...
    t = field(0x22, field(0x0A, t))
graph = field(0x5A, field(0x0A, b"x") + field(0x12, t)) + field(0x62, field(0x0A, b"x"))
write("nested_types.onnx", bytes([0x08, 8]) + field(0x3A, graph) + field(0x42, bytes([0x10, 13])))
expect("nested_types.onnx", "info", "the model nests messages more than 100 deep")

# 2 bytes per empty NodeProto, ~100 once unpacked: refused by the pre-scan, before protobuf-c runs
write("empty_nodes.onnx", bytes([0x08, 8]) + field(0x3A, b"\x0a\x00" * 20000) + field(0x42, bytes([0x10, 13])))
expect("empty_nodes.onnx", "info", "empty_nodes.onnx: the model's 40010 bytes unpack into about", "--max-memory 1M")

# ---- graph structure ----
x, y = vi("x", [2, 3]), vi("y", [2, 3])
save("dup_producer.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="r1"),
                                 helper.make_node("Relu", ["x"], ["y"], name="r2")], [x], [y]))
expect("dup_producer.onnx", "info", "node 'r2' (Relu): output 'y' is already produced by node 'r1' (Relu)")
save("dangling_input.onnx", model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")], [x], [y]))
expect("dangling_input.onnx", "info",
       "node 'r' (Relu): input 'nowhere' is not produced by any node, initializer or graph input")
save("cycle.onnx", model([helper.make_node("Add", ["x", "b"], ["a"], name="add"),
                          helper.make_node("Relu", ["a"], ["b"], name="r")], [x], [vi("b", [2, 3])]))
expect("cycle.onnx", "info", "is part of a cycle: its inputs depend on its own outputs")
save("output_missing.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="r")], [x], [vi("z", [2, 3])]))
expect("output_missing.onnx", "info", "graph output 'z' is not produced by any node, initializer or input")
save("initializer_no_name.onnx", relu_model([raw("w", [1], raw_bytes=b"\0" * 4),
                                             raw("", [1], raw_bytes=b"\0" * 4)]))
expect("initializer_no_name.onnx", "info", "initializer #1 has no name")
save("initializer_twice.onnx", relu_model([raw("w", [1], raw_bytes=b"\0" * 4),
                                           raw("w", [1], raw_bytes=b"\0" * 4)]))
expect("initializer_twice.onnx", "info", "initializer 'w' is given twice")
save("input_twice.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="r")], [x, x], [y]))
expect("input_twice.onnx", "info", "graph input 'x' is listed twice")
save("input_no_name.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="r")], [x, vi("", [1])], [y]))
expect("input_no_name.onnx", "info", "graph input #1 has no name")
save("no_op_type.onnx", model([helper.make_node("", ["x"], ["y"], name="blank")], [x], [y]))
expect("no_op_type.onnx", "info", "node 'blank' (): has no op_type")
save("output_is_input.onnx", model([helper.make_node("Relu", ["x"], ["x"], name="r")], [x], [x]))
expect("output_is_input.onnx", "info", "node 'r' (Relu): output 'x' has the name of a graph input or initializer")
save("unknown_domain.onnx", model([helper.make_node("Frob", ["x"], ["y"], name="f", domain="com.example")], [x], [y]))
expect("unknown_domain.onnx", "info", "node 'f' (Frob): its domain 'com.example' is not in the model's opset_import")
save("unsupported_op.onnx", model([helper.make_node("Frobnicate", ["x"], ["y"], name="f")], [x], [y]))
expect("unsupported_op.onnx", "run", "operator Frobnicate (opset 13) is not supported")

# ---- node inputs, outputs, attributes against the operator ----
save("too_many_inputs.onnx", model([helper.make_node("Relu", ["x", "x"], ["y"], name="r")], [x], [y]))
expect("too_many_inputs.onnx", "info", "node 'r' (Relu): has 2 inputs, the operator takes 1 to 1")
save("no_outputs.onnx", model([helper.make_node("Relu", ["x"], [], name="r")], [x], [x]))
expect("no_outputs.onnx", "info", "node 'r' (Relu): has 0 outputs, the operator gives 1 to 1")
save("reshape_no_shape.onnx", model([helper.make_node("Reshape", ["x"], ["y"], name="rs")], [x], [y]))
expect("reshape_no_shape.onnx", "run", "node 'rs' (Reshape): input 'shape' is required")
save("gemm9_no_c.onnx", model([helper.make_node("Gemm", ["x", "x"], ["y"], name="g", transB=1)], [x], [vi("y", None)], opset=9))
expect("gemm9_no_c.onnx", "run", "node 'g' (Gemm): input 'C' is missing; it is optional only from Gemm-11 on (this is Gemm-9)")
bn_w = [numpy_helper.from_array(np.ones(3, np.float32), n) for n in "sbmv"]
save("bn14_five_outputs.onnx", model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "o1", "o2", "o3", "o4"], name="bn")],
                                     [vi("x", [1, 3, 2, 2])], [vi("y", None)], bn_w, opset=14))
expect("bn14_five_outputs.onnx", "run", "node 'bn' (BatchNormalization): has 5 outputs, at most 3 are allowed")
save("concat_empty_input.onnx", model([helper.make_node("Concat", ["x", "", "x"], ["y"], name="cat", axis=0)], [x], [vi("y", None)]))
expect("concat_empty_input.onnx", "run", "node 'cat' (Concat): input 1 is empty")
wconv = numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "W")
x4 = vi("x", [1, 1, 4, 4])
save("required_input_empty.onnx", model([helper.make_node("Conv", ["", "W"], ["y"], name="c")], [x4], [vi("y", None)], [wconv]))
expect("required_input_empty.onnx", "info", "node 'c' (Conv): input 0 is required but has an empty name")
save("required_output_empty.onnx", model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["", "rm"], name="bn", training_mode=1)],
                                         [x4], [vi("rm", None)],
                                         [numpy_helper.from_array(np.ones(1, np.float32), n) for n in "sbmv"], opset=15))
expect("required_output_empty.onnx", "info", "node 'bn' (BatchNormalization): output 0 is required but has an empty name")
n = helper.make_node("Conv", ["x", "W"], ["y"], name="c")
n.attribute.append(helper.make_attribute("strides", 1.0))
save("attr_wrong_type.onnx", model([n], [x4], [vi("y", None)], [wconv]))
expect("attr_wrong_type.onnx", "info", "node 'c' (Conv): attribute 'strides' must be INTS, got FLOAT")
save("attr_missing.onnx", model([helper.make_node("Cast", ["x"], ["y"], name="cast")], [x], [y]))
expect("attr_missing.onnx", "info", "node 'cast' (Cast): required attribute 'to' is missing")
n = helper.make_node("Relu", ["x"], ["y"], name="r")
n.attribute.append(onnx.AttributeProto(type=onnx.AttributeProto.INT, i=1))
save("attr_no_name.onnx", model([n], [x], [y]))
expect("attr_no_name.onnx", "info", "node 'r' (Relu): has an attribute without a name")
n = helper.make_node("LeakyRelu", ["x"], ["y"], name="lr", alpha=0.1)
n.attribute.append(helper.make_attribute("alpha", 0.2))
save("attr_twice.onnx", model([n], [x], [y]))
expect("attr_twice.onnx", "info", "node 'lr' (LeakyRelu): attribute 'alpha' is given twice")

# ---- stored tensors (checked at load, before anything is allocated) ----
save("raw_short.onnx", relu_model([raw("w", [2, 3], raw_bytes=b"\0" * 8)]))
expect("raw_short.onnx", "info", "initializer 'w': raw_data has 8 bytes, type float and shape need 24")
save("raw_long.onnx", relu_model([raw("w", [2], raw_bytes=b"\0" * 12)]))
expect("raw_long.onnx", "info", "initializer 'w': raw_data has 12 bytes, type float and shape need 8")
save("raw_huge_shape.onnx", relu_model([raw("w", [1 << 20, 1 << 20, 1 << 20], raw_bytes=b"\0" * 4)]))
expect("raw_huge_shape.onnx", "info", "initializer 'w': raw_data has 4 bytes, type float and shape need 4611686018427387904")
save("dims_overflow.onnx", relu_model([raw("w", [1 << 40, 1 << 40], raw_bytes=b"\0" * 4)]))
expect("dims_overflow.onnx", "info", "initializer 'w': element count overflows")
save("bytes_overflow.onnx", relu_model([raw("w", [1 << 30, 1 << 30, 4], data_type=TensorProto.DOUBLE, raw_bytes=b"\0" * 8)]))
expect("bytes_overflow.onnx", "info", "initializer 'w': byte size overflows")
save("negative_dim.onnx", relu_model([raw("w", [2, -3], raw_bytes=b"\0" * 24)]))
expect("negative_dim.onnx", "info", "initializer 'w': dimension 1 is negative (-3)")
t = TensorProto(name="w", data_type=F, dims=[2, 3], float_data=[1.0, 2.0])
save("float_data_short.onnx", relu_model([t]))
expect("float_data_short.onnx", "info", "initializer 'w': float_data holds 2 values, the shape needs 6")
t = TensorProto(name="w", data_type=TensorProto.INT64, dims=[2], int64_data=[1, 2, 3])
save("int64_data_long.onnx", model([helper.make_node("Neg", ["w"], ["y"], name="n")], [], [vi("y", None, TensorProto.INT64)], [t]))
expect("int64_data_long.onnx", "info", "initializer 'w': int64_data holds 3 values, the shape needs 2")
save("no_data.onnx", relu_model([TensorProto(name="w", data_type=F, dims=[2, 3])]))
expect("no_data.onnx", "info", "initializer 'w': tensor has no data for 6 elements")
save("no_data_type.onnx", relu_model([TensorProto(name="w", dims=[1], float_data=[1.0])]))
expect("no_data_type.onnx", "info", "initializer 'w': tensor has no element type")
cst = helper.make_node("Constant", [], ["w"], name="k")
cst.attribute.append(helper.make_attribute("value", raw("c", [2, 3], raw_bytes=b"\0" * 16)))
save("constant_raw_short.onnx", model([cst, helper.make_node("Relu", ["w"], ["y"], name="r")], [], [vi("y", None)]))
expect("constant_raw_short.onnx", "info", "node 'k' (Constant): attribute 'value': raw_data has 16 bytes, type float and shape need 24")
save("rank9.onnx", relu_model([raw("w", [1] * 9, raw_bytes=b"\0" * 4)]))
expect("rank9.onnx", "run", "tensor rank 9 is beyond the supported 8")
t = raw("w", [2], raw_bytes=b"\0" * 8)
t.segment.begin, t.segment.end = 0, 1
save("segmented.onnx", relu_model([t]))
expect("segmented.onnx", "run", "segmented tensors are not supported")
save("string_tensor.onnx", relu_model([TensorProto(name="w", data_type=TensorProto.STRING, dims=[1], string_data=[b"a"])]))
expect("string_tensor.onnx", "run", "node 'r' (Relu): input 'X' ('w') is string, Relu-13 takes")
save("weights_16k.good", relu_model([raw("w", [64, 64], raw_bytes=b"\0" * 16384)]))
expect("weights_16k.good", "run", "'weights_16k.good' has 16464 bytes, over the memory limit", "--max-memory 16000")
expect("weights_16k.good", "run", "node 'r' (Relu): output 0 needs 16384 bytes, over the memory limit", "--max-memory 20000")
expect("relu.good", "info", "'relu.good' has 92 bytes, over the memory limit", "--max-memory 50")
expect("relu.good", "run", "--max-memory wants a byte count like 512M, not '0'", "--max-memory 0", status=2)

# ---- external data: relative, inside the model's folder, within the file ----
write("ext/weights.bin", struct.pack("<6f", *range(6)))
os.makedirs(os.path.join(HERE, "ext/sub"), exist_ok=True)
link = os.path.join(HERE, "ext/sub/escape")
if os.path.lexists(link):
    os.remove(link)
os.symlink("/etc", link)  # a link that leaves the folder
ok_ext = [("location", "weights.bin")]
save("ext/ok.good", relu_model([ext("w", [2, 3], ok_ext)]))  # the control: this one loads and runs
expect("ext/ok.good", "run", "output 'y': float [2,3] = 0 1 2 3 4 5", status=0)
save("ext/absolute.onnx", relu_model([ext("w", [2, 3], [("location", "/etc/passwd")])]))
expect("ext/absolute.onnx", "info", "external data location '/etc/passwd' is absolute; it must be relative to the model's folder")
save("ext/climb.onnx", relu_model([ext("w", [2, 3], [("location", "../../etc/passwd")])]))
expect("ext/climb.onnx", "info", "external data location '../../etc/passwd' climbs out of the model's folder")
save("ext/climb_inner.onnx", relu_model([ext("w", [2, 3], [("location", "sub/../../weights.bin")])]))
expect("ext/climb_inner.onnx", "info", "external data location 'sub/../../weights.bin' climbs out of the model's folder")
save("ext/symlink.onnx", relu_model([ext("w", [2], [("location", "sub/escape/passwd")])]))
expect("ext/symlink.onnx", "run", "external data location 'sub/escape/passwd' resolves outside the model's folder")
save("ext/no_location.onnx", relu_model([ext("w", [2, 3], [("offset", "0")])]))
expect("ext/no_location.onnx", "info", "external data has no 'location'")
save("ext/missing.onnx", relu_model([ext("w", [2, 3], [("location", "nothing_here.bin")])]))
expect("ext/missing.onnx", "run", "cannot open external data 'nothing_here.bin'")
save("ext/past_end.onnx", relu_model([ext("w", [2, 3], ok_ext + [("offset", "8")])]))
expect("ext/past_end.onnx", "run", "external data 'weights.bin': offset 8 + 24 bytes is past its end (24 bytes)")
save("ext/huge_offset.onnx", relu_model([ext("w", [2, 3], ok_ext + [("offset", "9223372036854775807")])]))
expect("ext/huge_offset.onnx", "run", "external data 'weights.bin': offset 9223372036854775807 + 24 bytes is past its end (24 bytes)")
save("ext/bad_offset.onnx", relu_model([ext("w", [2, 3], ok_ext + [("offset", "-8")])]))
expect("ext/bad_offset.onnx", "run", "external data offset '-8' is not a number")
save("ext/bad_length.onnx", relu_model([ext("w", [2, 3], ok_ext + [("length", "4")])]))
expect("ext/bad_length.onnx", "run", "external data length 4 does not match the 24 bytes the tensor's type and shape need")
save("ext/directory.onnx", relu_model([ext("w", [2, 3], [("location", "sub")])]))
expect("ext/directory.onnx", "run", "external data 'sub' is not a regular file")

# ---- attribute values and shapes that kernels must refuse (at plan time) ----
def conv(name, **attrs):
    save(name, model([helper.make_node("Conv", ["x", "W"], ["y"], name="c", **attrs)],
                     [x4], [vi("y", None)], [wconv]))


conv("conv_zero_stride.onnx", strides=[0, 1])
expect("conv_zero_stride.onnx", "run", "node 'c' (Conv): attribute 'strides' value 0 is 0, expected at least 1")
conv("conv_negative_pad.onnx", pads=[-1, 0, 0, 0])
expect("conv_negative_pad.onnx", "run", "node 'c' (Conv): attribute 'pads' value 0 is -1, expected at least 0")
conv("conv_huge_dilation.onnx", dilations=[1 << 40, 1])
expect("conv_huge_dilation.onnx", "run", "node 'c' (Conv): attribute 'dilations' value 0 is 1099511627776, expected at most 2147483647")
conv("conv_group_zero.onnx", group=0)
expect("conv_group_zero.onnx", "run", "node 'c' (Conv): attribute 'group' is 0, expected at least 1")
conv("conv_strides_count.onnx", strides=[1, 1, 1])
expect("conv_strides_count.onnx", "run", "node 'c' (Conv): attribute 'strides' has 3 values, expected 2")
save("conv_weight_rank.onnx", model([helper.make_node("Conv", ["x", "W"], ["y"], name="c")], [x4], [vi("y", None)],
                                    [numpy_helper.from_array(np.ones((1, 1, 1), np.float32), "W")]))
expect("conv_weight_rank.onnx", "run", "node 'c' (Conv): input 'W' ('W') has shape [1,1,1], expected rank 4 like 'X' [1,1,4,4]")
save("softmax_axis.onnx", model([helper.make_node("Softmax", ["x"], ["y"], name="s", axis=5)], [x], [y]))
expect("softmax_axis.onnx", "run", "node 's' (Softmax): attribute 'axis' is 5, expected a value in [-2, 1] for an input of rank 2")
save("concat_axis.onnx", model([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=-3)], [x], [vi("y", None)]))
expect("concat_axis.onnx", "run", "node 'cat' (Concat): attribute 'axis' -3 is outside [-2, 1] for rank 2")
save("transpose_perm.onnx", model([helper.make_node("Transpose", ["x"], ["y"], name="t", perm=[0, 0])], [x], [vi("y", None)]))
expect("transpose_perm.onnx", "run", "node 't' (Transpose): attribute 'perm' is not a permutation of 0..1 (value 0 at 1)")
save("maxpool_kernel.onnx", model([helper.make_node("MaxPool", ["x"], ["y"], name="p", kernel_shape=[9, 9])], [x4], [vi("y", None)]))
expect("maxpool_kernel.onnx", "run", "node 'p' (MaxPool): spatial axis 0: the kernel spans 9 (size 9, dilation 1), more than the padded input 4")
save("gemm_shapes.onnx", model([helper.make_node("Gemm", ["x", "B"], ["y"], name="g")], [x], [vi("y", None)],
                               [numpy_helper.from_array(np.ones((4, 2), np.float32), "B")]))
expect("gemm_shapes.onnx", "run", "node 'g' (Gemm): inner dimensions differ: A 'x' [2,3] has K=3, B 'B' [4,2] has K=4")
shape = numpy_helper.from_array(np.array([-1, -1], np.int64), "shape")
save("reshape_two_minus_one.onnx", model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="rs")], [x], [vi("y", None)], [shape]))
expect("reshape_two_minus_one.onnx", "run", "node 'rs' (Reshape): shape [-1,-1] has more than one -1")
reps = numpy_helper.from_array(np.array([1 << 30, 1 << 30], np.int64), "reps")
save("tile_huge.onnx", model([helper.make_node("Tile", ["x", "reps"], ["y"], name="t")], [x], [vi("y", None)], [reps]))
expect("tile_huge.onnx", "run", "node 't' (Tile): output 'y': byte size overflows")
idx = numpy_helper.from_array(np.array([7], np.int64), "idx")
save("gather_index.onnx", model([helper.make_node("Gather", ["x", "idx"], ["y"], name="ga")], [x], [vi("y", None)], [idx]))
expect("gather_index.onnx", "run", "node 'ga' (Gather): index 7 at position 0 of input 'indices' is outside [-2, 1]")
pads = numpy_helper.from_array(np.array([0, -5, 0, 0], np.int64), "pads")
save("pad_negative.onnx", model([helper.make_node("Pad", ["x", "pads"], ["y"], name="pd")], [x], [vi("y", None)], [pads]))
expect("pad_negative.onnx", "run", "node 'pd' (Pad): pads -5, 0 remove more than the 3 elements of axis 1")
save("bn_scale_size.onnx", model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn")],
                                 [vi("x", [1, 3, 2, 2])], [vi("y", None)],
                                 [numpy_helper.from_array(np.ones(2, np.float32), n) for n in "sbmv"]))
expect("bn_scale_size.onnx", "run", "node 'bn' (BatchNormalization): input 'scale' has 2 elements, expected 3")

# ---- inputs that do not fit the model, and bad tensor files (fed to good_relu.onnx) ----
np.save(os.path.join(HERE, "x_rank1.npy"), np.zeros(6, np.float32))
expect("relu.good", "run", "input 'x' has shape [6] (rank 1), the model expects rank 2", "x=x_rank1.npy")
np.save(os.path.join(HERE, "x_dims.npy"), np.zeros((3, 2), np.float32))
expect("relu.good", "run", "input 'x' has shape [3,2], the model expects dimension 0 to be 2", "x=x_dims.npy")
save("symbolic.good", model([helper.make_node("Add", ["a", "b"], ["y"], name="add")],
                            [vi("a", ["N", 3]), vi("b", ["N", 3])], [vi("y", ["N", 3])]))
np.save(os.path.join(HERE, "x_3x3.npy"), np.zeros((3, 3), np.float32))
np.save(os.path.join(HERE, "x_2x3.npy"), np.zeros((2, 3), np.float32))
expect("symbolic.good", "run", "dimension 'N' is 2 in input 'a' but 3 in input 'b'", "a=x_2x3.npy b=x_3x3.npy")
np.save(os.path.join(HERE, "x_int64.npy"), np.zeros((2, 3), np.int64))
expect("relu.good", "run", "input 'x' is int64, the model expects float", "x=x_int64.npy")


def npy(name, header, body=b"", magic=b"\x93NUMPY\x01\x00"):
    h = header.encode()
    h += b" " * ((64 - (len(magic) + 2 + len(h) + 1) % 64) % 64) + b"\n"
    write(name, magic + struct.pack("<H", len(h)) + h + body)


npy("npy_short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", b"\0" * 8)
expect("relu.good", "run", "'npy_short.npy': .npy: float array needs 24 data bytes, the file has 8", "x=npy_short.npy")
npy("npy_huge_shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", b"\0" * 8)
expect("relu.good", "run", "'npy_huge_shape.npy': element count overflows", "x=npy_huge_shape.npy")
npy("npy_fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", b"\0" * 24)
expect("relu.good", "run", ".npy: Fortran-ordered arrays are not supported", "x=npy_fortran.npy")
npy("npy_big_endian.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", b"\0" * 24)
expect("relu.good", "run", ".npy: big-endian data ('>f4') is not supported", "x=npy_big_endian.npy")
npy("npy_object.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", b"\0" * 48)
expect("relu.good", "run", ".npy: element type '|O' is not supported", "x=npy_object.npy")
npy("npy_negative_shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", b"\0" * 24)
expect("relu.good", "run", ".npy: bad shape tuple", "x=npy_negative_shape.npy")
npy("npy_version9.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", b"\0" * 24, b"\x93NUMPY\x09\x00")
expect("relu.good", "run", ".npy: format version 9.0 is not supported", "x=npy_version9.npy")
write("npy_header_cut.npy", b"\x93NUMPY\x01\x00\xff\x00{'descr'")
expect("relu.good", "run", ".npy: header claims 255 bytes but only 8 follow", "x=npy_header_cut.npy")
t = raw("x", [2, 3], raw_bytes=b"\0" * 20)
write("pb_raw_short.pb", t.SerializeToString())
expect("relu.good", "run", "raw_data has 20 bytes, type float and shape need 24", "x=pb_raw_short.pb")
write("pb_garbage.pb", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")
expect("relu.good", "run", "not a TensorProto or .npy file", "x=pb_garbage.pb")
write("pb_empty.pb", b"")
expect("relu.good", "run", "empty tensor file", "x=pb_empty.pb")

# ---- a backend test case whose model is bad: a FAIL line, not a crash ----
save("case_bad_model/model.onnx", model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x], [y],
                                        [raw("w", [2, 3], raw_bytes=b"\0" * 7)]))
write("case_bad_model/test_data_set_0/input_0.pb",
      numpy_helper.from_array(np.ones((2, 3), np.float32), "x").SerializeToString())
write("case_bad_model/test_data_set_0/output_0.pb",
      numpy_helper.from_array(np.ones((2, 3), np.float32), "y").SerializeToString())
expect("case_bad_model", "test", "FAIL case_bad_model: ")
expect("case_bad_model", "test", "initializer 'w': raw_data has 7 bytes, type float and shape need 24")

with open(os.path.join(HERE, "expected.tsv"), "w") as f:
    f.write("# file\tcommand\texit status\texact error fragment\textra arguments "
            "(written by make_malformed.py; run by run_malformed.sh)\n")
    for r in rows:
        f.write("\t".join(str(c) for c in r) + "\n")
print(f"make_malformed.py: {len(rows)} cases")
