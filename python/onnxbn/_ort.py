# SPDX-License-Identifier: Apache-2.0
# _ort.py — onnxruntime's Python API over onnxbn.Session, for scripts written for onnxruntime:
# `import onnxbn as onnxruntime` and InferenceSession, SessionOptions, get_inputs() ... work as there.
"""The subset of onnxruntime's Python API that inference scripts use, on onnxbn.

    import onnxbn as ort
    sess = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    y, = sess.run(None, {name: x})

What differs from onnxruntime is said where it happens (docs/python.md has the list): only the
CPU provider exists; graph_optimization_level maps to folding BatchNormalization (off only for
ORT_DISABLE_ALL); errors are onnxbn.Error subclasses named as onnxruntime's.
"""
import enum
import os
import warnings

from . import _api
from ._api import Error, Session, Status
from ._lib import LIB, ValueInfo as _CValueInfo

import ctypes

# ---- exceptions: onnxruntime's names (onnxruntime.capi.onnxruntime_pybind11_state), each an
# onnxbn.Error, so `except onnxbn.Error` and `except ort.InvalidArgument` both catch them ----


class Fail(Error):
    """A failure with no more specific class (onnxruntime: Fail)."""


class InvalidArgument(Error):
    """Bad feeds or arguments: unknown or missing input, wrong element type or shape."""


class NoSuchFile(Error):
    """The model file is missing or cannot be read."""


class NoModel(Error):
    """No model (kept for onnxruntime's name; onnxbn raises it for a closed session)."""


class EngineError(Error):
    """An invariant of the runtime failed (a bug in onnxbn: please report it)."""


class RuntimeException(Error):
    """A run failed: out of memory, over a limit, cancelled or timed out."""


class InvalidProtobuf(Error):
    """The bytes are not a valid ONNX model."""


class ModelLoaded(Error):
    """onnxruntime's name; not raised by onnxbn."""


class NotImplemented(Error):  # noqa: A001 (onnxruntime's name for it)
    """Valid ONNX that onnxbn does not run (an operator, type or rank)."""


class InvalidGraph(Error):
    """A structurally invalid model (cycle, dangling input, bad attribute)."""


class EPFail(Error):
    """onnxruntime's name for an execution-provider failure; not raised by onnxbn."""


_BY_STATUS = {
    Status.ARG: InvalidArgument, Status.IO: NoSuchFile, Status.PARSE: InvalidProtobuf,
    Status.MODEL: InvalidGraph, Status.UNSUPPORTED: NotImplemented, Status.SHAPE: InvalidArgument,
    Status.TYPE: InvalidArgument, Status.NOMEM: RuntimeException, Status.LIMIT: RuntimeException,
    Status.INTERNAL: EngineError, Status.CANCELLED: RuntimeException,
    Status.TIMEOUT: RuntimeException, Status.BUSY: Fail,
}


def _convert(e):
    """An onnxbn.Error as the onnxruntime-named subclass its status maps to."""
    cls = _BY_STATUS.get(e.status, Fail)
    return cls(e.status, e.message)


# ---- options ----


class GraphOptimizationLevel(enum.IntEnum):
    """onnxruntime's levels. onnxbn's one graph optimisation is folding BatchNormalization at
    open (exact in double precision): on for every level but ORT_DISABLE_ALL."""
    ORT_DISABLE_ALL = 0
    ORT_ENABLE_BASIC = 1
    ORT_ENABLE_EXTENDED = 2
    ORT_ENABLE_ALL = 99


class ExecutionMode(enum.IntEnum):
    ORT_SEQUENTIAL = 0
    ORT_PARALLEL = 1


def _default_threads():
    # onnxruntime's 0 means "as many as the machine has": the CPUs this process may run on.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class SessionOptions:
    """onnxruntime.SessionOptions. Honoured: intra_op_num_threads (0: every CPU this process may
    use), graph_optimization_level (ORT_DISABLE_ALL: no BatchNormalization folding),
    optimized_model_filepath (the model as the session runs it, written at open). The others are
    kept so scripts can set them, and have no effect (onnxbn has one executor and no logger)."""

    def __init__(self):
        self.intra_op_num_threads = 0
        self.inter_op_num_threads = 0
        self.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        self.optimized_model_filepath = ""
        self.execution_mode = ExecutionMode.ORT_SEQUENTIAL
        self.enable_profiling = False
        self.profile_file_prefix = "onnxruntime_profile_"
        self.enable_cpu_mem_arena = True
        self.enable_mem_pattern = True
        self.enable_mem_reuse = True
        self.use_deterministic_compute = False
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.logid = ""
        self._config = {}

    def add_session_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_session_config_entry(self, key):
        if key not in self._config:
            raise RuntimeError(f"SessionOptions does not have configuration with key: {key}")
        return self._config[key]


class RunOptions:
    """onnxruntime.RunOptions. `terminate = True` makes run() fail at once, as in onnxruntime;
    the log settings are kept and have no effect."""

    def __init__(self):
        self.log_severity_level = 2
        self.log_verbosity_level = 0
        self.logid = ""
        self.terminate = False
        self.only_execute_path_to_fetches = False
        self._config = {}

    def add_run_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_run_config_entry(self, key):
        if key not in self._config:
            raise RuntimeError(f"RunOptions does not have configuration with key: {key}")
        return self._config[key]


# ---- metadata ----


class NodeArg:
    """A graph input or output as onnxruntime describes it: .name, .type ('tensor(float)' ...),
    .shape (a list: int for a fixed axis, str for a symbolic one, None for an unknown one; [] when
    the model declares no shape)."""

    __slots__ = ("name", "type", "shape")

    def __init__(self, name, type, shape):
        self.name = name
        self.type = type
        self.shape = shape

    def __repr__(self):
        return f"NodeArg(name='{self.name}', type='{self.type}', shape={self.shape})"


def _node_arg(v):
    return NodeArg(v.name, f"tensor({v.type})", list(v.shape) if v.shape is not None else [])


class ModelMetadata:
    """onnxruntime.ModelMetadata: producer_name, graph_name, domain, description (the model's
    doc_string), graph_description, version (model_version), custom_metadata_map."""

    __slots__ = ("producer_name", "graph_name", "domain", "description", "graph_description",
                 "version", "custom_metadata_map")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw[k])


def _text(b):
    return b.decode("utf-8", "replace") if b else ""


_CPU = "CPUExecutionProvider"


def get_available_providers():
    return [_CPU]


def get_all_providers():
    return [_CPU]


def get_device():
    return "CPU"


def set_default_logger_severity(level):
    """Kept for scripts that call it; onnxbn logs nothing."""
    if not isinstance(level, int) or not 0 <= level <= 4:
        raise ValueError(f"logger severity is 0 to 4, not {level!r}")


def _providers(providers, provider_options):
    """onnxruntime's provider list, checked: names or (name, options) pairs. Only the CPU
    provider exists here. Others next to it are skipped with a warning, as onnxruntime does for a
    provider it was not built with; a list without it is refused."""
    if providers is None:
        return
    if isinstance(providers, str):
        raise TypeError("providers is a list of provider names, not a str")
    names = []
    for p in providers:
        if isinstance(p, (tuple, list)) and len(p) == 2 and isinstance(p[0], str):
            names.append(p[0])
        elif isinstance(p, str):
            names.append(p)
        else:
            raise ValueError(f"a provider is a name or a (name, options) pair, not {p!r}")
    if provider_options is not None and len(provider_options) != len(names):
        raise ValueError("'providers' and 'provider_options' should be the same length if both "
                         "are given.")
    if not names:
        return
    others = [n for n in names if n != _CPU]
    if _CPU not in names:
        raise ValueError(f"onnxbn runs on the CPU only: providers {others} are not available "
                         f"(available: ['{_CPU}'])")
    for n in others:
        warnings.warn(f"Specified provider '{n}' is not in available provider names. Available "
                      f"providers: '{_CPU}'")


class InferenceSession:
    """onnxruntime.InferenceSession(path_or_bytes, sess_options=None, providers=None,
    provider_options=None) on onnxbn. The model is a path or its bytes (an onnx.ModelProto is
    taken too). Errors are onnxbn.Error subclasses with onnxruntime's names (InvalidArgument,
    NoSuchFile, InvalidProtobuf, InvalidGraph, NotImplemented, RuntimeException, Fail ...)."""

    def __init__(self, path_or_bytes, sess_options=None, providers=None, provider_options=None,
                 **kwargs):
        self._sess = None
        _providers(providers, provider_options)
        opts = sess_options if sess_options is not None else SessionOptions()
        self._options = opts
        threads = opts.intra_op_num_threads
        if not isinstance(threads, int) or threads < 0:
            raise InvalidArgument(Status.ARG, f"intra_op_num_threads must be >= 0, not {threads!r}")
        threads = threads or _default_threads()
        fold = opts.graph_optimization_level != GraphOptimizationLevel.ORT_DISABLE_ALL
        self._model_path = path_or_bytes if isinstance(path_or_bytes, (str, os.PathLike)) else None
        try:
            self._sess = Session(path_or_bytes, fold=fold, threads=threads)
            if opts.optimized_model_filepath:
                self._write_optimized(path_or_bytes, fold, opts.optimized_model_filepath)
        except Error as e:
            raise _convert(e) from None
        self._inputs = [_node_arg(v) for v in self._sess.inputs]
        self._outputs = [_node_arg(v) for v in self._sess.outputs]

    @staticmethod
    def _write_optimized(model, fold, dst):
        """The model as this session runs it: folded (onnxbn.fuse), or as given."""
        if fold:
            _api.fuse(model, os.fspath(dst))
            return
        buf = _api._model_bytes(model)
        if buf is None:
            with open(model, "rb") as f:
                buf = f.read()
        with open(dst, "wb") as f:
            f.write(buf)

    def _model(self):
        if self._sess is None or self._sess._s is None:
            raise NoModel(Status.ARG, "the session is closed")
        return LIB.onnxbn_session_model(self._sess._s)

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def get_overridable_initializers(self):
        """Initializers that are also graph inputs: a feed of that name replaces the stored
        value for that run."""
        if not LIB.has_meta:
            return []
        m = self._model()
        fed = {v.name for v in self._inputs}
        out = []
        for i in range(LIB.onnxbn_model_graph_input_count(m)):
            raw = LIB.onnxbn_model_graph_input_name(m, i)
            name = _api._name(raw) if raw is not None else ""
            if not name or name in fed:
                continue
            vi = _CValueInfo(size=ctypes.sizeof(_CValueInfo))
            init = ctypes.c_bool(False)
            if not LIB.onnxbn_model_value(m, raw, ctypes.byref(vi), ctypes.byref(init)):
                continue
            out.append(_node_arg(_api._value_info(ctypes.pointer(vi))))
        return out

    def get_modelmeta(self):
        m = self._model()
        if not LIB.has_meta:
            raise NotImplemented(Status.UNSUPPORTED, "this libonnxbn has no model metadata calls")
        custom = {}
        for i in range(LIB.onnxbn_model_metadata_count(m)):
            custom[_text(LIB.onnxbn_model_metadata_key(m, i))] = \
                _text(LIB.onnxbn_model_metadata_value(m, i))
        return ModelMetadata(producer_name=_text(LIB.onnxbn_model_producer_name(m)),
                             graph_name=_text(LIB.onnxbn_model_graph_name(m)),
                             domain=_text(LIB.onnxbn_model_domain(m)),
                             description=_text(LIB.onnxbn_model_doc_string(m)),
                             graph_description=_text(LIB.onnxbn_model_graph_doc_string(m)),
                             version=int(LIB.onnxbn_model_version(m)),
                             custom_metadata_map=custom)

    def get_providers(self):
        return [_CPU]

    def get_provider_options(self):
        return {_CPU: {}}

    def set_providers(self, providers=None, provider_options=None):
        _providers(providers, provider_options)

    def get_session_options(self):
        return self._options

    def end_profiling(self):
        """onnxbn writes no profile file here (onnxbn bench --profile does): returns ''."""
        return ""

    def run(self, output_names, input_feed, run_options=None):
        """Outputs named by output_names (None or []: all, in graph order) as a list of ndarrays;
        input_feed is {input name: array}."""
        if self._sess is None:
            raise NoModel(Status.ARG, "the session is closed")
        if run_options is not None and getattr(run_options, "terminate", False):
            raise Fail(Status.CANCELLED, "Exiting due to terminate flag being set to true.")
        if not isinstance(input_feed, dict):
            raise InvalidArgument(Status.ARG, "input_feed is a dict of input name to array, not "
                                  f"{type(input_feed).__name__}")
        missing = [v.name for v in self._inputs if v.name not in input_feed]
        if missing:
            raise InvalidArgument(Status.ARG, f"Required inputs ({missing}) are missing from "
                                  "input feed.")
        try:
            return self._sess.run(list(output_names) if output_names else None, input_feed)
        except Error as e:
            raise _convert(e) from None
