# SPDX-License-Identifier: Apache-2.0
# verify_files.py — how make_models.py --verify and export_torch.py --verify compare a freshly made
# model folder with the committed one: what a seed fixes byte for byte, what a CPU rounds within tolerance.
#
# What was measured (torch 1.13, Debian 12; other CPUs simulated with ATEN_CPU_CAPABILITY,
# OPENBLAS_CORETYPE and ONEDNN_MAX_CPU_ISA):
# - the reference outputs are torch's float32 forward; its GEMM (OpenBLAS) and convolutions
#   (oneDNN) pick kernels by CPU, so the last bits of the outputs differ between CPUs (an AVX-512
#   EPYC against the machine that made them). Outputs are compared with the rule `onnxbn test`
#   and the ONNX backend tests use: |made - kept| <= atol + rtol * |kept|, rtol 1e-3, atol 1e-7.
#   Over every simulated CPU the committed outputs moved by at most 0.08 of that tolerance.
# - weights, BN statistics and inputs come from seeded generators: identical bytes under every BLAS
#   and oneDNN choice and under ATen's AVX2 and AVX512 kernels. Under ATen's portable kernels (a CPU
#   without AVX2: torch reports "CPU capability usage: NO AVX") uniform_ and randn round
#   differently (1 ulp in weights, up to 1.6e-6 in N(0, 1) inputs), so there, and only there, they
#   are compared within SEEDED_TOL of the tensor's largest magnitude.
import os

import numpy as np
import onnx
import onnx.numpy_helper

RTOL = 1e-3  # `onnxbn test`'s default (cli/cmd_test.c) and onnx.backend.test's
ATOL = 1e-7
# Seeded values made by ATen's portable kernels against its vectorised ones: measured at most 4.8e-7
# of the tensor's largest magnitude; a different seed or distribution is off by O(1).
SEEDED_TOL = 1e-5
RULE = "rtol 1e-3, atol 1e-7"  # RTOL, ATOL as people write them


def aten_capability():
    """The ATen kernel set torch runs on this CPU ('AVX2', 'AVX512', 'NO AVX' ...)."""
    import torch
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def seeded_exact(capability):
    # Only the two vectorised kernel sets were seen to make the committed bytes.
    return capability in ("AVX2", "AVX512")


def describe(capability):
    """What compare_file demands here, for the first line of a --verify."""
    seeded = ("byte for byte" if seeded_exact(capability) else
              f"within {SEEDED_TOL:g} of their scale (seeded, but ATen {capability} rounds them differently)")
    return f"model and inputs {seeded}, reference outputs within {RULE} (ATen {capability})"


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def close_outputs(made, kept):
    """The ONNX rule, element by element; None when it holds, else what is wrong and where."""
    a, e = onnx.numpy_helper.to_array(made), onnx.numpy_helper.to_array(kept)
    if made.name != kept.name or a.dtype != e.dtype or a.shape != e.shape:
        return (f"'{made.name}' {a.dtype}{list(a.shape)} made, "
                f"'{kept.name}' {e.dtype}{list(e.shape)} committed")
    if a.dtype.kind != "f":
        return None if np.array_equal(a, e) else "integer values differ"
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    err = np.abs(a64 - e64)
    bad = ~(err <= ATOL + RTOL * np.abs(e64))  # NaN fails
    if not bad.any():
        return None
    i = np.unravel_index(int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1))), a.shape)
    return (f"{int(bad.sum())} of {a.size} values outside {RULE}, worst at {list(i)}: "
            f"made {a[i]!r}, committed {e[i]!r}")


def close_seeded(a, e):
    """Seeded values from ATen's portable kernels: within SEEDED_TOL of the tensor's scale."""
    if a.dtype != e.dtype or a.shape != e.shape:
        return f"{a.dtype}{list(a.shape)} made, {e.dtype}{list(e.shape)} committed"
    if a.dtype.kind != "f":
        return None if np.array_equal(a, e) else "integer values differ"
    scale = float(np.abs(e.astype(np.float64)).max()) if e.size else 0.0
    err = float(np.abs(a.astype(np.float64) - e.astype(np.float64)).max()) if e.size else 0.0
    if err <= SEEDED_TOL * scale:
        return None
    return f"max |diff| {err:.3g} > {SEEDED_TOL:g} x max|value| {scale:.3g}"


def close_models(made_path, kept_path):
    """Everything but the initializers' values exactly, those within close_seeded."""
    m, k = onnx.load(made_path), onnx.load(kept_path)
    mi = [onnx.numpy_helper.to_array(t) for t in m.graph.initializer]
    ki = [onnx.numpy_helper.to_array(t) for t in k.graph.initializer]
    if [t.name for t in m.graph.initializer] != [t.name for t in k.graph.initializer]:
        return "the initializers differ in names or order"
    for g in (m.graph, k.graph):
        for t in g.initializer:
            t.ClearField("raw_data")
            t.ClearField("float_data")
    if m.SerializeToString() != k.SerializeToString():
        return "the graph differs (not only initializer values)"
    for t, a, e in zip(k.graph.initializer, mi, ki):
        why = close_seeded(a, e)
        if why:
            return f"initializer '{t.name}': {why}"
    return None


def compare_file(made, kept, capability):
    """(ok, how) for one made file against the committed one."""
    with open(made, "rb") as f1, open(kept, "rb") as f2:
        if f1.read() == f2.read():
            return True, "identical"
    base = os.path.basename(made)
    if base.startswith("output_") and base.endswith(".pb"):
        why = close_outputs(load_tensor(made), load_tensor(kept))
        return (False, why) if why else (True, f"within {RULE} (torch's float32 rounds by CPU)")
    if seeded_exact(capability):
        return False, f"differs (seeded: must be identical under ATen {capability})"
    if base.startswith("input_") and base.endswith(".pb"):
        why = close_seeded(onnx.numpy_helper.to_array(load_tensor(made)),
                           onnx.numpy_helper.to_array(load_tensor(kept)))
    elif base.endswith(".onnx"):
        why = close_models(made, kept)
    else:
        why = "differs"
    return (False, why) if why else (True, f"within {SEEDED_TOL:g} of its scale (ATen {capability})")
