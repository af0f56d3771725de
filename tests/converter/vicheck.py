# SPDX-License-Identifier: Apache-2.0
# vicheck.py — the value_info `onnxbn fuse` adds, held against onnx's own shape inference: what
# the converter tests use to compare a fused graph with its entries left out, and to prove that
# every entry it added states what onnx infers (type, rank, each dimension onnx knows).
import copy

import onnx
import onnx.shape_inference


def split(original, fused):
    """(kept, added): fused's value_info entries the original declared (by name), those fuse
    added. The declared ones come first, in their order."""
    declared = {vi.name for vi in original.graph.value_info}
    vis = list(fused.graph.value_info)
    kept = [vi for vi in vis if vi.name in declared]
    added = [vi for vi in vis if vi.name not in declared]
    assert vis[:len(kept)] == kept, "declared value_info entries are no longer first"
    return kept, added


def without_added(original, fused):
    """A copy of fused with only the value_info entries the original declared."""
    kept, _ = split(original, fused)
    out = copy.deepcopy(fused)
    del out.graph.value_info[:]
    out.graph.value_info.extend(kept)
    return out


def _dims(vi):
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]


def _inferred(model):
    """{name: ValueInfoProto} of what onnx infers for the main graph, or {} when it cannot."""
    try:
        g = onnx.shape_inference.infer_shapes(model).graph
    except Exception:  # onnx's inference refuses a few valid models (this onnx's limits)
        return {}
    return {vi.name: vi for vi in list(g.value_info) + list(g.output)}


def check_added(original, fused, values=None, declared=None):
    """Every value_info entry fuse added to `fused` is a tensor type that agrees with onnx's
    inference of the original and of the fused graph without the added entries: the same element
    type, the same rank, and each dimension onnx gives a number for is that number here. When
    `values` ({name: array}, a run of the fused model at fixed input shapes) is given, each entry
    with a value there has its type's rank and every numeric dimension of the array's shape.
    `declared` (a list of ValueInfoProto, e.g. what the model had before its value_info was
    stripped) is one more reference, held as onnx's inference is.
    Returns (entries, dimensions checked against a reference) so a caller can insist that the
    check compared something."""
    _, added = split(original, fused)
    refs = [_inferred(original), _inferred(without_added(original, fused))]
    if declared is not None:
        refs.append({vi.name: vi for vi in declared})
    names = [vi.name for vi in added]
    assert len(set(names)) == len(names), f"value_info names repeated: {names}"
    checked = 0
    for vi in added:
        assert vi.type.HasField("tensor_type"), f"{vi.name}: value_info is not a tensor type"
        et = vi.type.tensor_type.elem_type
        assert et != 0, f"{vi.name}: value_info without an element type"
        ours = _dims(vi)
        assert ours is not None, f"{vi.name}: value_info without a shape"
        for ref in refs:
            r = ref.get(vi.name)
            if r is None:
                continue
            kind = r.type.WhichOneof("value")
            assert kind in (None, "tensor_type"), f"{vi.name}: a tensor value_info, onnx infers {kind}"
            if kind is None:
                continue
            ret = r.type.tensor_type.elem_type
            assert ret in (0, et), f"{vi.name}: element type {et}, onnx infers {ret}"
            theirs = _dims(r)
            if theirs is None:
                continue
            assert len(ours) == len(theirs), f"{vi.name}: shape {ours}, onnx infers {theirs}"
            for a, b in zip(ours, theirs):
                if isinstance(b, int):
                    assert a == b, f"{vi.name}: shape {ours}, onnx infers {theirs}"
                    checked += 1
        if values is not None and vi.name in values:
            shape = list(values[vi.name].shape)
            assert len(ours) == len(shape), f"{vi.name}: shape {ours}, the run gives {shape}"
            for a, b in zip(ours, shape):
                assert not isinstance(a, int) or a == b, f"{vi.name}: shape {ours}, the run gives {shape}"
                checked += isinstance(a, int)
    return len(added), checked
