# SPDX-License-Identifier: Apache-2.0
# _lib.py — finds and loads libonnxbn with ctypes and declares the C prototypes of include/onnxbn.h.
# Nothing here is public: the rest of the package calls `lib()` and the structures below.
import ctypes
import ctypes.util
import os

MAX_RANK = 8
MSG_MAX = 512

# The library's file name on this platform; the build tree has the unversioned link.
_NAMES = ("libonnxbn.so", "libonnxbn.so.0", "libonnxbn.dylib")


class Err(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("msg", ctypes.c_char * MSG_MAX)]


class Options(ctypes.Structure):
    # `size` first, as in onnxbn.h: the library reads only the fields this layout has.
    _fields_ = [("size", ctypes.c_size_t), ("max_memory", ctypes.c_uint64),
                ("threads", ctypes.c_int), ("no_fold", ctypes.c_bool), ("profile", ctypes.c_bool)]

    def __init__(self, **kw):
        super().__init__(size=ctypes.sizeof(Options), **kw)


class ValueInfo(ctypes.Structure):
    # Only read through the library's pointers here, so `size` is the library's.
    _fields_ = [("size", ctypes.c_size_t), ("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int),
                ("dims", ctypes.c_int64 * MAX_RANK), ("dim_names", ctypes.c_char_p * MAX_RANK),
                ("kind", ctypes.c_int)]  # from 0.2: read only when `size` covers it


class FuseEntry(ctypes.Structure):
    _fields_ = [(f, ctypes.c_char_p) for f in ("action", "kind", "bn", "bn_output", "node", "reason")]


class FuseStats(ctypes.Structure):
    _fields_ = [(f, ctypes.c_int) for f in (
        "bn_before", "bn_after", "nodes_before", "nodes_after", "initializers_before",
        "initializers_after", "bn_folded", "bn_converted", "bn_left", "identity_removed",
        "dropout_removed", "constants_folded", "nodes_pruned", "initializers_pruned",
        "value_info_pruned")]


P = ctypes.c_void_p
ERR = ctypes.POINTER(Err)
OPT = ctypes.POINTER(Options)
PP = ctypes.POINTER(ctypes.c_void_p)
I64P = ctypes.POINTER(ctypes.c_int64)
ST = ctypes.c_int
SZ = ctypes.c_size_t
STR = ctypes.c_char_p

# name: (restype, argtypes). Every one of these must be in the library.
_CORE = {
    "onnxbn_version": (STR, []),
    "onnxbn_status_name": (STR, [ST]),
    "onnxbn_dtype_name": (STR, [ctypes.c_int]),
    "onnxbn_dtype_size": (SZ, [ctypes.c_int]),
    "onnxbn_tensor_wrap": (ST, [ctypes.c_int, ctypes.c_int, I64P, P, PP, ERR]),
    "onnxbn_tensor_free": (None, [P]),
    "onnxbn_tensor_dtype": (ctypes.c_int, [P]),
    "onnxbn_tensor_rank": (ctypes.c_int, [P]),
    "onnxbn_tensor_dims": (I64P, [P]),
    "onnxbn_tensor_numel": (ctypes.c_int64, [P]),
    "onnxbn_tensor_nbytes": (SZ, [P]),
    "onnxbn_tensor_cdata": (P, [P]),
    "onnxbn_model_load": (ST, [STR, OPT, PP, ERR]),
    "onnxbn_model_load_buffer": (ST, [P, SZ, STR, OPT, PP, ERR]),
    "onnxbn_model_free": (None, [P]),
    "onnxbn_model_input_count": (SZ, [P]),
    "onnxbn_model_input": (ctypes.POINTER(ValueInfo), [P, SZ]),
    "onnxbn_model_output_count": (SZ, [P]),
    "onnxbn_model_output": (ctypes.POINTER(ValueInfo), [P, SZ]),
    "onnxbn_session_new": (ST, [P, OPT, PP, ERR]),
    "onnxbn_session_free": (None, [P]),
    "onnxbn_session_model": (P, [P]),
    "onnxbn_session_run": (ST, [P, SZ, ctypes.POINTER(STR), PP, ERR]),
    "onnxbn_session_output": (P, [P, SZ]),
    "onnxbn_session_cancel": (None, [P]),
    "onnxbn_session_set_timeout": (ST, [P, ctypes.c_double, ERR]),
}

# Sequences and optionals (onnxbn_kind): optional, as the converter's API below.
_VALUES = {
    "onnxbn_tensor_kind": (ctypes.c_int, [P]),
    "onnxbn_sequence_new": (ST, [ctypes.c_int, SZ, PP, PP, ERR]),
    "onnxbn_optional_none": (ST, [ctypes.c_int, PP, ERR]),
    "onnxbn_sequence_length": (SZ, [P]),
    "onnxbn_sequence_at": (P, [P, SZ]),
}

# The converter's API: optional, so that the package works with a library built before it.
_FUSE = {
    "onnxbn_model_fuse": (ST, [P, STR, ctypes.c_int, PP, ERR]),
    "onnxbn_fuse_passes": (STR, []),
    "onnxbn_fuse_report_stats": (ctypes.POINTER(FuseStats), [P]),
    "onnxbn_fuse_report_count": (SZ, [P]),
    "onnxbn_fuse_report_entry": (ctypes.POINTER(FuseEntry), [P, SZ]),
    "onnxbn_fuse_report_note_count": (SZ, [P]),
    "onnxbn_fuse_report_note": (STR, [P, SZ]),
    "onnxbn_fuse_report_json": (P, [P]),  # malloc'd: read with string_at, then free()
    "onnxbn_fuse_report_free": (None, [P]),
    "onnxbn_model_save": (ST, [P, STR, ERR]),
    "onnxbn_model_save_buffer": (ST, [P, PP, ctypes.POINTER(SZ), ERR]),
}


# Model facts for onnxbn.InferenceSession's metadata: optional, so an older library still loads.
_META = {
    "onnxbn_model_producer_name": (STR, [P]),
    "onnxbn_model_domain": (STR, [P]),
    "onnxbn_model_version": (ctypes.c_int64, [P]),
    "onnxbn_model_doc_string": (STR, [P]),
    "onnxbn_model_graph_name": (STR, [P]),
    "onnxbn_model_graph_doc_string": (STR, [P]),
    "onnxbn_model_metadata_count": (SZ, [P]),
    "onnxbn_model_metadata_key": (STR, [P, SZ]),
    "onnxbn_model_metadata_value": (STR, [P, SZ]),
    "onnxbn_model_graph_input_count": (SZ, [P]),
    "onnxbn_model_graph_input_name": (STR, [P, SZ]),
    "onnxbn_model_value": (ctypes.c_bool, [P, STR, ctypes.POINTER(ValueInfo),
                                           ctypes.POINTER(ctypes.c_bool)]),
}


def _candidates():
    """Where to look, in order: $ONNXBN_LIBRARY, next to the package (installed layout), the
    build tree of a source checkout (python/onnxbn -> build/), then the system's search path."""
    env = os.environ.get("ONNXBN_LIBRARY")
    if env:
        # An explicit choice is never second-guessed by a fallback.
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    try:
        from . import _config  # installed by `cmake --install`; relative to this folder
        out.append(os.path.normpath(os.path.join(here, _config.LIBRARY)))
    except ImportError:
        pass
    for d in (here, os.path.dirname(here), os.path.join(here, "..", "..", "build")):
        out.extend(os.path.normpath(os.path.join(d, n)) for n in _NAMES)
    found = ctypes.util.find_library("onnxbn")
    if found:
        out.append(found)
    return out, False


def _declare(cdll, table, required):
    for name, (res, args) in table.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            if required:
                raise
            return False
        fn.restype = res
        fn.argtypes = args
    return True


class _Lib:
    def __init__(self):
        paths, explicit = _candidates()
        tried = []
        for p in paths:
            if not explicit and os.sep in p and not os.path.exists(p):
                tried.append(p + " (missing)")
                continue
            try:
                self.cdll = ctypes.CDLL(p)
            except OSError as e:
                tried.append(f"{p} ({e})")
                continue
            try:
                _declare(self.cdll, _CORE, True)
            except AttributeError as e:
                tried.append(f"{p} (not libonnxbn: {e})")
                continue
            self.path = p
            break
        else:
            raise ImportError("onnxbn: cannot load libonnxbn; tried: " + "; ".join(tried) +
                              ". Build it (cmake --build build) or set ONNXBN_LIBRARY to its path.")
        self.has_fuse = _declare(self.cdll, _FUSE, False)
        self.has_meta = _declare(self.cdll, _META, False)
        self.has_values = _declare(self.cdll, _VALUES, False)
        # The library frees its own buffers, whatever allocator it was built with.
        self.free = self.cdll.onnxbn_buffer_free
        self.free.restype = None
        self.free.argtypes = [P]

    def __getattr__(self, name):
        return getattr(self.cdll, name)


# Loaded once at import: a package that cannot find its library fails at `import onnxbn`.
LIB = _Lib()
