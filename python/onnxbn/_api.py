# SPDX-License-Identifier: Apache-2.0
# _api.py — the Python face of the C API: Error/Status, Session (load, inspect, run on ndarrays)
# and fuse (the BatchNormalization-folding converter, with an optional numerical check).
import ctypes
import enum
import os
import threading
from collections import namedtuple

import numpy as np

from ._lib import LIB, MAX_RANK, Err, Options
from ._lib import ValueInfo as _CValueInfo

ValueInfo_kind_end = _CValueInfo.kind.offset + ctypes.sizeof(ctypes.c_int)


class Status(enum.IntEnum):
    """onnxbn_status: why a call failed (the numbers are those of include/onnxbn.h)."""
    OK = 0
    ARG = 1          # a bad argument (unknown input name ...)
    IO = 2           # a file is missing or cannot be read or written
    PARSE = 3        # bytes that are not a valid ONNX protobuf
    MODEL = 4        # a structurally invalid model (cycle, dangling input ...)
    UNSUPPORTED = 5  # valid ONNX that onnxbn does not implement (operator, type, rank)
    SHAPE = 6        # shapes that do not fit an operator or the model's declared inputs
    TYPE = 7         # element types that do not fit
    NOMEM = 8        # out of memory
    LIMIT = 9        # over a limit (max_memory, sizes that overflow)
    INTERNAL = 10    # a bug in onnxbn: an invariant failed (file and line in the message)
    CANCELLED = 11   # Session.cancel() stopped the run
    TIMEOUT = 12     # the run took longer than its timeout
    BUSY = 13        # the session was running on another thread (not seen here: runs queue)


class Error(Exception):
    """A failure reported by libonnxbn: `status` (a Status) and `message` (the library's one line
    saying what and where). str(error) is the message."""

    def __init__(self, status, message):
        try:
            status = Status(status)
        except ValueError:
            pass
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def status_name(self):
        """The library's name of the status ("unsupported", "shape error" ...)."""
        return LIB.onnxbn_status_name(int(self.status)).decode()

    def __repr__(self):
        name = self.status.name if isinstance(self.status, Status) else self.status
        return f"onnxbn.Error({name}, {self.message!r})"


class VerifyError(Error):
    """fuse(..., verify=...): the fused model's outputs differ from the original's."""


# Strings (8): numpy object arrays of str or bytes (as the onnx backend tests give), or U/S arrays.
# An element crosses as an onnxbn_string {data, len}: the handles point into one bytes object
# holding every string, kept alive until the run returns; str is UTF-8 encoded. Outputs come back
# as object arrays of str (bytes when not valid UTF-8).
_STRING = 8
_HANDLE = np.dtype([("data", np.uintp), ("len", np.uintp)])
assert LIB.onnxbn_dtype_size(_STRING) == _HANDLE.itemsize


def _string_handles(name, value):
    parts = []
    for v in value.reshape(-1).tolist():
        if isinstance(v, str):
            v = v.encode("utf-8")
        elif not isinstance(v, (bytes, bytearray)):
            raise Error(Status.TYPE, f"input '{name}': a string tensor holds str or bytes, "
                        f"not {type(v).__name__}")
        parts.append(bytes(v))
    blob = b"".join(parts) or b"\0"
    base = ctypes.cast(ctypes.c_char_p(blob), ctypes.c_void_p).value
    arr = np.empty(value.shape, dtype=_HANDLE)
    flat = arr.reshape(-1)
    off = 0
    for i, b in enumerate(parts):
        flat[i] = (base + off, len(b))
        off += len(b)
    return arr, blob


def _strings_out(t):
    rank = LIB.onnxbn_tensor_rank(t)
    dims = LIB.onnxbn_tensor_dims(t)
    shape = tuple(int(dims[d]) for d in range(rank))
    n = int(LIB.onnxbn_tensor_numel(t))
    out = np.empty(n, dtype=object)
    if n:
        h = np.ctypeslib.as_array((ctypes.c_uint64 * (2 * n)).from_address(LIB.onnxbn_tensor_cdata(t)))
        for i in range(n):
            b = ctypes.string_at(int(h[2 * i]), int(h[2 * i + 1])) if h[2 * i + 1] else b""
            try:
                out[i] = b.decode("utf-8")
            except UnicodeDecodeError:
                out[i] = b
    return out.reshape(shape)


def _tensor_array(t, name):
    """A copy of tensor t as an ndarray."""
    dt = LIB.onnxbn_tensor_dtype(t)
    if dt == _STRING:
        return _strings_out(t)
    if dt not in _TO_NP:
        raise Error(Status.UNSUPPORTED, f"output '{name}': element type "
                    f"{LIB.onnxbn_dtype_name(dt).decode()} has no numpy type")
    rank = LIB.onnxbn_tensor_rank(t)
    dims = LIB.onnxbn_tensor_dims(t)
    out = np.empty(tuple(int(dims[d]) for d in range(rank)), dtype=_TO_NP[dt])
    n = LIB.onnxbn_tensor_nbytes(t)
    if n != out.nbytes:
        raise Error(Status.MODEL, f"output '{name}': {n} bytes for shape {out.shape}")
    if n:
        ctypes.memmove(out.ctypes.data, LIB.onnxbn_tensor_cdata(t), n)
    return out


def _need_values():
    if not LIB.has_values:
        raise Error(Status.UNSUPPORTED, "this libonnxbn has no sequence or optional values "
                    "(built before 0.2)")


def _check(st, err, where=None):
    if st != 0:
        msg = err.msg.decode("utf-8", "replace")
        if where:
            msg = f"{where}: {msg}"
        raise Error(err.status or st, msg)


# onnxbn_dtype -> numpy. BFLOAT16 has no numpy type: its values travel as their uint16 bits, as in
# the ONNX test data. STRING (8) and UNDEFINED (0) have none either.
_BF16 = 16
_TO_NP = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
          7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64,
          14: np.complex64, 15: np.complex128, _BF16: np.uint16}
_TO_NP = {k: np.dtype(v) for k, v in _TO_NP.items()}
_FROM_NP = {v: k for k, v in _TO_NP.items() if k != _BF16}
for _code, _dt in _TO_NP.items():
    # The tables above and the library must agree on element sizes, or copies would overrun.
    assert LIB.onnxbn_dtype_size(_code) == _dt.itemsize, (_code, _dt)

ValueInfo = namedtuple("ValueInfo", "name dtype shape type kind", defaults=("tensor",))
ValueInfo.__doc__ = """A graph input or output as the model declares it.
name:  str
dtype: numpy dtype, or None when undeclared or without a numpy type (string; bfloat16 is uint16)
shape: tuple of int (fixed), str (symbolic) or None (unknown) per axis; None when undeclared
type:  the ONNX element type name ("float", "int64", "bfloat16", "undefined" ...)
kind:  "tensor", "sequence", "optional_tensor" or "optional_sequence"; for the last three,
       dtype, shape and type describe the tensors inside. A sequence is passed and returned as
       a list of arrays, an empty optional as None."""

# onnxbn_kind (include/onnxbn.h)
_KIND_TENSOR, _KIND_SEQUENCE, _KIND_NONE = 0, 1, 2
_KINDS = {0: "tensor", 1: "sequence", 3: "optional_tensor", 4: "optional_sequence"}


def _name(b):
    """A name from the model: bytes that need not be UTF-8 come back as the same bytes when
    encoded with _cname (surrogateescape), so any name can be fed back by name."""
    return b.decode("utf-8", "surrogateescape")


def _cname(s):
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as e:
        raise Error(Status.ARG, f"name {s!r} cannot be encoded: {e}") from None


def _value_info(p):
    v = p.contents
    shape = None
    if v.rank >= 0:
        shape = tuple(int(v.dims[d]) if v.dims[d] >= 0 else
                      (_name(v.dim_names[d]) if v.dim_names[d] else None) for d in range(v.rank))
    kind = "tensor"
    if v.size >= ValueInfo_kind_end:
        kind = _KINDS.get(v.kind, "tensor")
    return ValueInfo(_name(v.name), _TO_NP.get(v.dtype), shape,
                     LIB.onnxbn_dtype_name(v.dtype).decode(), kind)


def _options(fold=True, threads=None, max_memory=None):
    if threads is None:
        threads = 0
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
        raise Error(Status.ARG, f"threads must be None or a positive integer, not {threads!r}")
    if max_memory is None:
        max_memory = 0
    if not isinstance(max_memory, int) or max_memory < 0:
        raise Error(Status.ARG, f"max_memory must be None or a byte count, not {max_memory!r}")
    return Options(max_memory=max_memory, threads=threads, no_fold=not fold)


def _model_bytes(model):
    """bytes of a model given as bytes-like or onnx.ModelProto; None for a path."""
    if isinstance(model, (str, os.PathLike)):
        return None
    if isinstance(model, bytes):
        return model
    if isinstance(model, (bytearray, memoryview)):
        return bytes(model)
    if hasattr(model, "SerializeToString"):
        return model.SerializeToString()
    raise TypeError(f"a model is a path, bytes or an onnx.ModelProto, not {type(model).__name__}")


def _load(model, opt, base_dir=None):
    """A new onnxbn_model handle (caller owns it)."""
    err = Err()
    m = ctypes.c_void_p()
    buf = _model_bytes(model)
    if buf is None:
        st = LIB.onnxbn_model_load(os.fsencode(model), ctypes.byref(opt), ctypes.byref(m),
                                   ctypes.byref(err))
    else:
        bd = os.fsencode(base_dir) if base_dir is not None else None
        st = LIB.onnxbn_model_load_buffer(buf, len(buf), bd, ctypes.byref(opt), ctypes.byref(m),
                                          ctypes.byref(err))
    _check(st, err)
    return m


class Session:
    """A model ready to run.

    Session(model, fold=True, threads=None, max_memory=None, base_dir=None)
      model:      a path to an .onnx file, its bytes, or an onnx.ModelProto
      fold:       fold BatchNormalization into the weights at open (the outputs are the same)
      threads:    worker threads (None: the library's default)
      max_memory: cap in bytes on what the model and session may allocate (None: the default)
      base_dir:   folder for external tensor data when the model is given as bytes

    A session may be shared between threads: runs are serialized (they wait for each other,
    under a lock of this object; the C API refuses an overlapping run with BUSY instead).
    cancel() may be called from any thread while a run goes on.
    """

    def __init__(self, model, fold=True, threads=None, max_memory=None, base_dir=None):
        self._s = None
        opt = _options(fold, threads, max_memory)
        m = _load(model, opt, base_dir)
        err = Err()
        s = ctypes.c_void_p()
        # session_new owns the model from here on, also when it fails.
        _check(LIB.onnxbn_session_new(m, ctypes.byref(opt), ctypes.byref(s), ctypes.byref(err)), err)
        self._s = s
        self._free = LIB.onnxbn_session_free  # kept for __del__ at interpreter exit
        self._lock = threading.Lock()
        mp = LIB.onnxbn_session_model(s)
        self.inputs = [_value_info(LIB.onnxbn_model_input(mp, i))
                       for i in range(LIB.onnxbn_model_input_count(mp))]
        self.outputs = [_value_info(LIB.onnxbn_model_output(mp, i))
                        for i in range(LIB.onnxbn_model_output_count(mp))]
        self._in = {v.name: v for v in self.inputs}
        self._out = {v.name: i for i, v in enumerate(self.outputs)}

    def close(self):
        """Frees the session now (it is freed when collected otherwise)."""
        with self._lock:  # not under a run in another thread
            s, self._s = self._s, None
            if s:
                self._free(s)

    def __del__(self):
        if getattr(self, "_s", None):
            self.close()

    def cancel(self):
        """Stops the run in progress (from another thread): it raises Error with
        Status.CANCELLED within milliseconds and the session stays usable. Does nothing when no
        run is going on; a run that starts later is not affected."""
        s = self._s  # no lock: the run holds it
        if s:
            LIB.onnxbn_session_cancel(s)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        ins = ", ".join(f"{v.name}: {v.type}{list(v.shape) if v.shape is not None else ''}"
                        for v in self.inputs)
        return f"<onnxbn.Session ({ins}) -> {[v.name for v in self.outputs]}>"

    def _array(self, name, value, decl=None):
        """`value` as an array the library can read in place: C-contiguous, native byte order,
        of a type onnxbn knows. ndarrays keep their dtype (a wrong one is the library's TYPE
        error); lists and scalars take the declared type. Returns (array, onnxbn dtype)."""
        decl = decl if decl is not None else self._in.get(name)
        if not isinstance(value, np.ndarray):
            dt = decl.dtype if decl is not None and decl.type != "bfloat16" else None
            try:
                value = np.asarray(value, dtype=dt)
            except (TypeError, ValueError) as e:
                raise Error(Status.TYPE, f"input '{name}': cannot make an array of it: {e}") from None
        if not value.dtype.isnative:
            value = value.astype(value.dtype.newbyteorder("="))
        if not (value.flags.c_contiguous and value.flags.aligned):
            value = np.require(value, requirements=["C", "A"])
        if value.dtype.kind in "OUS":
            return _string_handles(name, value), _STRING
        code = _FROM_NP.get(value.dtype)
        if code is None:
            raise Error(Status.TYPE,
                        f"input '{name}': numpy dtype {value.dtype} has no ONNX tensor type onnxbn runs")
        if code == 4 and decl is not None and decl.type == "bfloat16":
            code = _BF16  # uint16 bits for a bfloat16 input
        return value, code

    def _copy_out(self, i):
        t = LIB.onnxbn_session_output(self._s, i)
        name = self.outputs[i].name
        if not t:
            raise Error(Status.ARG, f"output '{name}' is not available")
        kind = LIB.onnxbn_tensor_kind(t) if LIB.has_values else _KIND_TENSOR
        if kind == _KIND_NONE:
            return None
        if kind == _KIND_SEQUENCE:
            return [_tensor_array(LIB.onnxbn_sequence_at(t, k), f"{name}[{k}]")
                    for k in range(LIB.onnxbn_sequence_length(t))]
        return _tensor_array(t, name)

    def _value(self, name, value, err, keep):
        """A handle for one fed value: a tensor over the array (read in place), or, for a list
        given where the model declares a sequence (or None for an optional), a sequence or empty
        optional the library owns (its elements copied). The caller frees the handle."""
        decl = self._in.get(name)
        kind = decl.kind if decl is not None else "tensor"
        t = ctypes.c_void_p()
        if value is None and kind.startswith("optional"):
            _need_values()
            code = _FROM_NP.get(decl.dtype, 0) if decl.dtype is not None else 0
            _check(LIB.onnxbn_optional_none(code, ctypes.byref(t), ctypes.byref(err)), err,
                   f"input '{name}'")
            return t
        if kind.endswith("sequence") and isinstance(value, (list, tuple)):
            _need_values()
            elems = (ctypes.c_void_p * max(len(value), 1))()
            try:
                codes = set()
                for k, v in enumerate(value):
                    elems[k] = self._wrap(f"{name}[{k}]", v, err, keep, decl)
                    codes.add(LIB.onnxbn_tensor_dtype(elems[k]))
                if len(codes) > 1:
                    raise Error(Status.TYPE, f"input '{name}': the elements have different types")
                code = codes.pop() if codes else (_FROM_NP.get(decl.dtype, 1) if decl.dtype is not None else 1)
                _check(LIB.onnxbn_sequence_new(code, len(value), elems, ctypes.byref(t),
                                               ctypes.byref(err)), err, f"input '{name}'")
            finally:
                for k in range(len(value)):
                    if elems[k]:
                        LIB.onnxbn_tensor_free(elems[k])
            return t
        return self._wrap(name, value, err, keep, decl)

    def _wrap(self, name, value, err, keep, decl):
        arr, code = self._array(name, value, decl)
        if code == _STRING:
            arr, blob = arr
            keep.append(blob)
        keep.append(arr)
        if arr.ndim > MAX_RANK:
            raise Error(Status.UNSUPPORTED,
                        f"input '{name}' has rank {arr.ndim}; onnxbn runs up to {MAX_RANK}")
        dims = (ctypes.c_int64 * max(arr.ndim, 1))(*arr.shape)
        t = ctypes.c_void_p()
        _check(LIB.onnxbn_tensor_wrap(code, arr.ndim, dims, arr.ctypes.data,
                                      ctypes.byref(t), ctypes.byref(err)), err, f"input '{name}'")
        return t

    def run(self, outputs=None, feeds=None, timeout=None):
        """Runs the model and returns a list of ndarrays (copies the caller owns).

        outputs: output names to return, in that order (None: all, in graph order)
        feeds:   {input name: array}, or a sequence bound to self.inputs in order. Arrays of the
                 declared dtype that are C-contiguous are read in place, without a copy.
        timeout: seconds (float) the run may take, from when the library starts it; a longer
                 run raises Error with Status.TIMEOUT and the session stays usable. None or 0:
                 no bound. Time spent waiting for another thread's run does not count.
        """
        if self._s is None:
            raise Error(Status.ARG, "the session is closed")
        if timeout is None:
            timeout = 0.0
        try:
            timeout = float(timeout)
        except (TypeError, ValueError):
            raise Error(Status.ARG, f"timeout is seconds, not {type(timeout).__name__}") from None
        if isinstance(outputs, str):
            outputs = [outputs]
        if outputs is None:
            idx = list(range(len(self.outputs)))
        else:
            idx = []
            for o in outputs:
                if o not in self._out:
                    raise Error(Status.ARG, f"the model has no output '{o}' (outputs: "
                                f"{', '.join(v.name for v in self.outputs)})")
                idx.append(self._out[o])
        if feeds is None:
            feeds = {}
        if isinstance(feeds, np.ndarray):
            feeds = [feeds]  # one array, not a sequence of its rows
        if isinstance(feeds, dict):
            items = list(feeds.items())
        else:
            vals = list(feeds)
            if len(vals) > len(self.inputs):
                raise Error(Status.ARG, f"{len(vals)} inputs given, the model has {len(self.inputs)}")
            items = [(self.inputs[i].name, v) for i, v in enumerate(vals)]

        n = len(items)
        names = (ctypes.c_char_p * max(n, 1))()
        tens = (ctypes.c_void_p * max(n, 1))()
        keep = []  # the arrays the tensors point into live until the run returns
        err = Err()
        try:
            for i, (name, value) in enumerate(items):
                if not isinstance(name, str):
                    raise Error(Status.ARG, f"input names are str, not {type(name).__name__}")
                tens[i] = self._value(name, value, err, keep)
                names[i] = _cname(name)
            with self._lock:
                if self._s is None:
                    raise Error(Status.ARG, "the session is closed")
                _check(LIB.onnxbn_session_set_timeout(self._s, timeout, ctypes.byref(err)), err)
                _check(LIB.onnxbn_session_run(self._s, n, names, tens, ctypes.byref(err)), err)
                # Outputs are the session's until the next run: copy them out under the lock.
                return [self._copy_out(i) for i in idx]
        finally:
            for i in range(n):
                if tens[i]:
                    LIB.onnxbn_tensor_free(tens[i])


# ---- fuse ----------------------------------------------------------------------------------------

class FuseReport(dict):
    """What fuse() did, as a dict with the keys of the library's JSON report: the counts
    (bn_before, bn_folded, nodes_pruned ...), "entries" (one per BatchNormalization: action
    folded / converted / left, kind, bn, bn_output, node, reason) and "notes"; plus "verify"
    when asked. `.json` is the library's own JSON text of the same report (without "verify").
    `.model` holds the fused model's bytes when fuse() was given no destination."""
    model = None
    json = None


def _free_str(p):
    try:
        return ctypes.string_at(p).decode("utf-8", "replace")
    finally:
        LIB.free(p)


def _report(rep):
    """The report as the dict of onnxbn_fuse_report_json (same keys), read through the
    accessors: stats, then "entries" and "notes"."""
    st = LIB.onnxbn_fuse_report_stats(rep).contents
    out = {f: int(getattr(st, f)) for f, _ in st._fields_}
    out["entries"] = []
    for i in range(LIB.onnxbn_fuse_report_count(rep)):
        e = LIB.onnxbn_fuse_report_entry(rep, i).contents
        out["entries"].append({f: (getattr(e, f) or b"").decode("utf-8", "replace")
                               for f, _ in e._fields_})
    out["notes"] = [LIB.onnxbn_fuse_report_note(rep, i).decode("utf-8", "replace")
                    for i in range(LIB.onnxbn_fuse_report_note_count(rep))]
    return out


def _random_feeds(sess, seed=0):
    """Deterministic inputs of the declared shapes (unknown and symbolic axes 1), like
    `onnxbn run`'s: floats in [-1, 1), integers in [0, 10), booleans."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for v in sess.inputs:
        if v.dtype is None or v.shape is None:
            raise Error(Status.ARG, f"verify: input '{v.name}' has no declared "
                        f"{'type' if v.dtype is None else 'shape'}; pass verify={{name: array}}")
        shape = tuple(d if isinstance(d, int) else 1 for d in v.shape)
        if v.dtype.kind in "fc" and v.type != "bfloat16":
            a = rng.uniform(-1.0, 1.0, shape).astype(v.dtype)
        elif v.dtype.kind == "b":
            a = rng.integers(0, 2, shape).astype(np.bool_)
        else:
            a = rng.integers(0, 10, shape).astype(v.dtype)
        feeds[v.name] = a
    return feeds


# Folding reassociates float arithmetic (in double, then rounded): the outputs move by rounding
# only. Allowed |got - expected| <= RTOL*|expected| + ATOL*max(1, max|expected|).
VERIFY_RTOL = 1e-3
VERIFY_ATOL = 1e-5


def _verify(src, fused, base_dir, feeds):
    # fold=False on both sides: the check is about the file fuse() writes, not the session's fold.
    ref = Session(src, fold=False, base_dir=base_dir if not isinstance(src, (str, os.PathLike)) else None)
    new = Session(fused, fold=False, base_dir=base_dir)
    if feeds is True:
        feeds = _random_feeds(ref)
    want = ref.run(feeds=feeds)
    got = new.run(feeds=feeds)
    result = {"ok": True, "outputs": {}}
    for v, e, g in zip(ref.outputs, want, got):
        if e.dtype != g.dtype or e.shape != g.shape:
            raise VerifyError(Status.MODEL, f"verify: output '{v.name}' is {g.dtype}{list(g.shape)} "
                              f"after fusing, {e.dtype}{list(e.shape)} before")
        if e.dtype.kind in "fc" and e.size:
            ed, gd = e.astype(np.complex128 if e.dtype.kind == "c" else np.float64), g.astype(
                np.complex128 if e.dtype.kind == "c" else np.float64)
            diff = np.abs(gd - ed)
            same_nan = np.isnan(ed) & np.isnan(gd)
            diff[same_nan] = 0
            big = float(np.nanmax(np.abs(ed))) if np.isfinite(ed).any() else 0.0
            allowed = VERIFY_RTOL * np.abs(ed) + VERIFY_ATOL * max(1.0, big)
            bad = ~(diff <= allowed)
            i = int(np.argmax(np.where(np.isnan(diff), np.inf, diff)))
            worst = float(diff.flat[i]) if not np.isnan(diff.flat[i]) else float("nan")
            result["outputs"][v.name] = {"max_abs_err": worst, "values": int(e.size),
                                         "differ": int(bad.sum())}
            if bad.any():
                result["ok"] = False
                j = int(np.flatnonzero(bad)[0])
                raise VerifyError(Status.MODEL, f"verify: output '{v.name}' [{j}]: got "
                                  f"{g.flat[j]} after fusing, {e.flat[j]} before ({int(bad.sum())} of "
                                  f"{e.size} values differ; max abs err {worst:g})")
        else:
            if not np.array_equal(e, g):
                raise VerifyError(Status.MODEL, f"verify: output '{v.name}' differs after fusing")
            result["outputs"][v.name] = {"max_abs_err": 0.0, "values": int(e.size), "differ": 0}
    return result


def fuse(src, dst=None, passes=None, verify=False, bn_to_affine=False, base_dir=None,
         shapes=True):
    """Folds BatchNormalization (and cleans up) like the converter, writes the result to `dst`
    and returns a FuseReport.

    src:          a path, bytes or an onnx.ModelProto
    dst:          the output path (written atomically); None: the bytes are in report.model
    passes:       None (all), a comma string ("fold-bn,prune", "-prune") or a list of pass names
    verify:       False; True to run the model before and after on deterministic random inputs
                  and raise VerifyError (nothing written) when the outputs differ; or
                  {input name: array} to verify on those inputs
    bn_to_affine: a BatchNormalization that cannot be folded becomes Mul + Add
    base_dir:     folder of external tensor data when src is bytes (default: src's folder)
    shapes:       True (as `onnxbn fuse`): value_info for every tensor whose type and shape the
                  planner infers, so Netron shows shapes on every edge; False: none added
    """
    if not LIB.has_fuse:
        raise NotImplementedError(
            f"onnxbn.fuse: the library {LIB.path} has no converter API (onnxbn_model_fuse); "
            "rebuild it from a tree that has converter/")
    if passes is not None and not isinstance(passes, str):
        passes = ",".join(passes)
    if base_dir is None and isinstance(src, (str, os.PathLike)):
        base_dir = os.path.dirname(os.path.abspath(os.fsdecode(src)))
    flags = (1 if bn_to_affine else 0) | (2 if shapes else 0)  # ONNXBN_FUSE_BN_TO_AFFINE, _SHAPES
    m = _load(src, Options(), base_dir)
    rep = ctypes.c_void_p()
    err = Err()
    try:
        st = LIB.onnxbn_model_fuse(m, _cname(passes) if passes is not None else None, flags,
                                   ctypes.byref(rep), ctypes.byref(err))
        _check(st, err)
        report = FuseReport(_report(rep))
        js = LIB.onnxbn_fuse_report_json(rep)
        if not js:
            raise Error(Status.NOMEM, "out of memory writing the fuse report")
        report.json = _free_str(js)
        model = None
        if verify is not False or dst is None:
            buf, n = ctypes.c_void_p(), ctypes.c_size_t()
            _check(LIB.onnxbn_model_save_buffer(m, ctypes.byref(buf), ctypes.byref(n),
                                                ctypes.byref(err)), err)
            try:
                model = ctypes.string_at(buf, n.value)
            finally:
                LIB.free(buf)
        if verify is not False:
            report["verify"] = _verify(src, model, base_dir, verify)
        if dst is not None:
            _check(LIB.onnxbn_model_save(m, os.fsencode(dst), ctypes.byref(err)), err)
        else:
            report.model = model
        return report
    finally:
        if rep:
            LIB.onnxbn_fuse_report_free(rep)
        LIB.onnxbn_model_free(m)


def fuse_passes():
    """The converter's pass names, in run order."""
    if not LIB.has_fuse:
        raise NotImplementedError("onnxbn.fuse_passes: the library has no converter API")
    return LIB.onnxbn_fuse_passes().decode().split(",")


def version():
    """The version of the loaded libonnxbn."""
    return LIB.onnxbn_version().decode()


# Show the public classes as onnxbn.X (tracebacks, repr) rather than onnxbn._api.X.
for _cls in (Status, Error, VerifyError, Session, FuseReport, ValueInfo):
    _cls.__module__ = "onnxbn"
