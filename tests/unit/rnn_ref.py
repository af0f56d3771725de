#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""rnn_ref.py — a float64 numpy reference for LSTM, GRU and RNN written from the ONNX spec text,
and the generator of the expected values in test_rnn.c (run: /usr/bin/python3 tests/unit/rnn_ref.py).
`--check` first compares the reference with the ONNX 1.12 node cases' outputs."""
import sys

import numpy as np


def act(name, x, a=None, b=None):
    n = name.lower()
    if n == "relu":
        return np.maximum(x, 0)
    if n == "tanh":
        return np.tanh(x)
    if n == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if n == "affine":
        return a * x + b
    if n == "leakyrelu":
        return np.where(x < 0, a * x, x)
    if n == "thresholdedrelu":
        return np.where(x > a, x, 0)
    if n == "scaledtanh":
        return a * np.tanh(b * x)
    if n == "hardsigmoid":
        return np.clip(a * x + b, 0, 1)
    if n == "elu":
        return np.where(x < 0, a * (np.exp(x) - 1), x)
    if n == "softsign":
        return x / (1 + np.abs(x))
    if n == "softplus":
        return np.log1p(np.exp(x))
    raise ValueError(name)


NPARAMS = {"affine": (2, 1.0, 0.0), "leakyrelu": (1, 0.01, 0), "thresholdedrelu": (1, 1.0, 0),
           "scaledtanh": (2, 1.0, 1.0), "hardsigmoid": (2, 0.2, 0.5), "elu": (1, 1.0, 0)}


def acts_of(names, alpha, beta):
    """(name, a, b) per activation, alpha/beta consumed in order by the functions that take them."""
    alpha, beta, out = list(alpha), list(beta), []
    for nm in names:
        k, a, b = NPARAMS.get(nm.lower(), (0, 0, 0))
        if k >= 1 and alpha:
            a = alpha.pop(0)
        if k >= 2 and beta:
            b = beta.pop(0)
        out.append((nm, a, b))
    return out


def rnn(kind, X, W, R, B=None, lens=None, h0=None, c0=None, P=None, direction="forward", layout=0,
        acts=None, alpha=(), beta=(), clip=None, input_forget=0, lbr=0):
    X, W, R = (np.asarray(v, np.float64) for v in (X, W, R))
    if layout:
        X = X.transpose(1, 0, 2)
    T, Bn, _ = X.shape
    D = 2 if direction == "bidirectional" else 1
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    NA = {"LSTM": 3, "GRU": 2, "RNN": 1}[kind]
    H = R.shape[2]
    if acts is None:
        acts = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}[kind] * D
    fs = acts_of(acts, alpha, beta)
    B = np.zeros((D, 2 * G * H)) if B is None else np.asarray(B, np.float64)
    lens = np.full(Bn, T) if lens is None else np.asarray(lens)
    def state(v):
        if v is None:
            return np.zeros((D, Bn, H))
        v = np.asarray(v, np.float64)
        return v.transpose(1, 0, 2) if layout else v
    h0, c0 = state(h0), state(c0)
    P = np.zeros((D, 3 * H)) if P is None else np.asarray(P, np.float64)
    cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    Y = np.zeros((T, D, Bn, H))
    Yh = np.zeros((D, Bn, H))
    Yc = np.zeros((D, Bn, H))
    for d in range(D):
        rev = direction == "reverse" or d == 1
        F = [lambda v, f=f: act(f[0], v, f[1], f[2]) for f in fs[d * NA:(d + 1) * NA]]
        Wb, Rb = B[d, :G * H], B[d, G * H:]
        for b in range(Bn):
            h, c = h0[d, b].copy(), c0[d, b].copy()
            L = int(lens[b])
            for s in range(L):
                t = L - 1 - s if rev else s
                x = X[t, b]
                if kind == "LSTM":
                    g = W[d] @ x + R[d] @ h + Wb + Rb
                    gi, go, gf, gc = (g[k * H:(k + 1) * H] for k in range(4))
                    pi, po, pf = P[d, :H], P[d, H:2 * H], P[d, 2 * H:]
                    i = F[0](cl(gi + pi * c))
                    f = 1 - i if input_forget else F[0](cl(gf + pf * c))
                    cc = F[1](cl(gc))
                    c = f * c + i * cc
                    o = F[0](cl(go + po * c))
                    h = o * F[2](c)
                elif kind == "GRU":
                    Wz, Wr, Wh = (W[d][k * H:(k + 1) * H] for k in range(3))
                    Rz, Rr, Rh = (R[d][k * H:(k + 1) * H] for k in range(3))
                    Wbz, Wbr, Wbh = (Wb[k * H:(k + 1) * H] for k in range(3))
                    Rbz, Rbr, Rbh = (Rb[k * H:(k + 1) * H] for k in range(3))
                    z = F[0](cl(Wz @ x + Rz @ h + Wbz + Rbz))
                    r = F[0](cl(Wr @ x + Rr @ h + Wbr + Rbr))
                    if lbr:
                        hh = F[1](cl(Wh @ x + r * (Rh @ h + Rbh) + Wbh))
                    else:
                        hh = F[1](cl(Wh @ x + Rh @ (r * h) + Rbh + Wbh))
                    h = (1 - z) * hh + z * h
                else:
                    h = F[0](cl(W[d] @ x + R[d] @ h + Wb + Rb))
                Y[t, d, b] = h
            Yh[d, b], Yc[d, b] = h, c
    if layout:
        return Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    return Y, Yh, Yc


def check_node_cases(root="/usr/share/libonnx-testdata/data/node"):
    import glob
    import os

    import onnx
    from onnx import numpy_helper
    for case in sorted(glob.glob(root + "/test_lstm_*") + glob.glob(root + "/test_gru_*") +
                       glob.glob(root + "/test_rnn_*") + glob.glob(root + "/test_simple_rnn_*")):
        m = onnx.load(case + "/model.onnx")
        n = m.graph.node[0]
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        ins = {}
        for i, name in enumerate(n.input):
            if name:
                ins[i] = numpy_helper.to_array(onnx.load_tensor(f"{case}/test_data_set_0/input_{i}.pb"))
        outs = [numpy_helper.to_array(onnx.load_tensor(f"{case}/test_data_set_0/output_{i}.pb"))
                for i in range(len(m.graph.output))]
        got = rnn(n.op_type, ins[0], ins[1], ins[2], ins.get(3), ins.get(4), ins.get(5), ins.get(6),
                  ins.get(7), layout=at.get("layout", 0), lbr=at.get("linear_before_reset", 0))
        want = [o for o, nm in zip(got, n.output) if nm]
        ok = all(np.allclose(w, o, rtol=1e-3, atol=1e-6) for w, o in zip(want, outs))
        print(("ok  " if ok else "BAD ") + os.path.basename(case))


def inputs(n, scale, phase):
    """The deterministic inputs test_rnn.c makes: float(scale·sin(0.7·i + phase))."""
    return np.array([np.float32(scale * np.sin(0.7 * i + phase)) for i in range(n)], np.float64)


def carr(name, a):
    v = ", ".join(f"{x:.9g}" for x in np.asarray(a, np.float64).ravel())
    return f"static const float {name}[{a.size}] = {{{v}}};"


def main():
    if "--check" in sys.argv:
        check_node_cases()
    # 1. LSTM, bidirectional, layout 1, sequence_lens, initial states, peepholes, B.
    T, Bn, I, H = 3, 3, 2, 2
    D = 2
    X = inputs(Bn * T * I, 1.0, 0.1).reshape(Bn, T, I)
    W = inputs(D * 4 * H * I, 0.5, 0.2).reshape(D, 4 * H, I)
    R = inputs(D * 4 * H * H, 0.5, 0.3).reshape(D, 4 * H, H)
    Bb = inputs(D * 8 * H, 0.2, 0.4).reshape(D, 8 * H)
    h0 = inputs(Bn * D * H, 0.3, 0.5).reshape(Bn, D, H)
    c0 = inputs(Bn * D * H, 0.3, 0.6).reshape(Bn, D, H)
    P = inputs(D * 3 * H, 0.4, 0.7).reshape(D, 3 * H)
    Y, Yh, Yc = rnn("LSTM", X, W, R, Bb, [3, 1, 2], h0, c0, P, "bidirectional", 1)
    print("/* LSTM bidirectional, layout 1, sequence_lens {3, 1, 2} */")
    print(carr("lstm_y", Y), carr("lstm_yh", Yh), carr("lstm_yc", Yc), sep="\n")
    # 2. GRU, bidirectional, layout 0, sequence_lens, non-default activations with alpha/beta, clip,
    # both linear_before_reset.
    T, Bn, I, H = 3, 2, 3, 2
    X = inputs(T * Bn * I, 1.5, 0.8).reshape(T, Bn, I)
    W = inputs(D * 3 * H * I, 0.6, 0.9).reshape(D, 3 * H, I)
    R = inputs(D * 3 * H * H, 0.6, 1.0).reshape(D, 3 * H, H)
    Bb = inputs(D * 6 * H, 0.3, 1.1).reshape(D, 6 * H)
    acts = ["HardSigmoid", "LeakyRelu", "Sigmoid", "ScaledTanh"]
    for lbr in (0, 1):
        Y, Yh, _ = rnn("GRU", X, W, R, Bb, [2, 3], None, None, None, "bidirectional", 0, acts,
                       [0.3, 0.05, 0.9], [0.4, 1.2], 1.25, 0, lbr)
        print(f"/* GRU bidirectional, layout 0, sequence_lens {{2, 3}}, linear_before_reset {lbr} */")
        print(carr(f"gru{lbr}_y", Y), carr(f"gru{lbr}_yh", Yh), sep="\n")
    # 3. RNN reverse, layout 1, Affine; LSTM forward with input_forget and Elu/Softsign/Softplus.
    T, Bn, I, H = 4, 2, 2, 3
    X = inputs(Bn * T * I, 1.0, 1.2).reshape(Bn, T, I)
    W = inputs(3 * H * I, 0.5, 1.3).reshape(1, 3 * H, I)
    R = inputs(3 * H * H, 0.5, 1.4).reshape(1, 3 * H, H)
    Y, Yh, _ = rnn("RNN", X, W[:, :H], R[:, :H], None, None, None, None, None, "reverse", 1, ["Affine"],
                   [0.5], [0.25])
    print("/* RNN reverse, layout 1, Affine(0.5, 0.25) */")
    print(carr("rnn_y", Y), carr("rnn_yh", Yh), sep="\n")
    W4 = inputs(4 * H * I, 0.5, 1.5).reshape(1, 4 * H, I)
    R4 = inputs(4 * H * H, 0.5, 1.6).reshape(1, 4 * H, H)
    Y, Yh, Yc = rnn("LSTM", X.transpose(1, 0, 2), W4, R4, None, None, None, None, None, "forward", 0,
                    ["Softsign", "Elu", "Softplus"], [0.7], (), None, 1)
    print("/* LSTM forward, input_forget, Softsign/Elu(0.7)/Softplus */")
    print(carr("lstmf_y", Y), carr("lstmf_yc", Yc), sep="\n")  # Y_h is left out by the test


if __name__ == "__main__":
    main()
