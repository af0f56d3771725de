/* SPDX-License-Identifier: Apache-2.0 */
/* onnxbn.h — the public C API of onnxbn: load an ONNX model, inspect it, run it.
 * Every call that can fail returns an onnxbn_status and, when `err` is not NULL, a message in it. */
#ifndef ONNXBN_H
#define ONNXBN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions the shared library exports; everything else in it is hidden (built with
 * -fvisibility=hidden and the version script runtime/onnxbn.map). Define ONNXBN_API before
 * including this header to give it another meaning (e.g. empty, or a dllimport). */
#ifndef ONNXBN_API
#if defined(__GNUC__) || defined(__clang__)
#define ONNXBN_API __attribute__((visibility("default")))
#else
#define ONNXBN_API
#endif
#endif

#define ONNXBN_VERSION "0.1.0"
#define ONNXBN_MAX_RANK 8   /* tensors of higher rank are refused with ONNXBN_ERR_UNSUPPORTED */
#define ONNXBN_MSG_MAX 512

typedef enum onnxbn_status {
    ONNXBN_OK = 0,
    ONNXBN_ERR_ARG,         /* a bad argument from the caller (NULL, unknown input name ...) */
    ONNXBN_ERR_IO,          /* a file is missing or cannot be read or written */
    ONNXBN_ERR_PARSE,       /* bytes that are not a valid ONNX protobuf, .pb or .npy */
    ONNXBN_ERR_MODEL,       /* a structurally invalid model (cycle, dangling input, bad tensor ...) */
    ONNXBN_ERR_UNSUPPORTED, /* valid ONNX that onnxbn does not implement (operator, type, rank) */
    ONNXBN_ERR_SHAPE,       /* shapes that do not fit an operator or the model's declared inputs */
    ONNXBN_ERR_TYPE,        /* element types that do not fit */
    ONNXBN_ERR_NOMEM,       /* out of memory */
    ONNXBN_ERR_LIMIT,       /* over a limit (onnxbn_options.max_memory, sizes that overflow) */
    ONNXBN_ERR_INTERNAL,    /* a bug in onnxbn: an invariant that cannot fail did (file:line in msg) */
    ONNXBN_ERR_CANCELLED,   /* onnxbn_session_cancel stopped the run */
    ONNXBN_ERR_TIMEOUT,     /* the run passed its deadline (onnxbn_session_set_timeout) */
    ONNXBN_ERR_BUSY         /* the session is running on another thread (see Sessions) */
} onnxbn_status;

/* Filled by a failing call: the status again and one line saying what and where. */
typedef struct onnxbn_error {
    onnxbn_status status;
    char msg[ONNXBN_MSG_MAX];
} onnxbn_error;

/* Element types; the numbers are those of onnx.TensorProto.DataType. */
typedef enum onnxbn_dtype {
    ONNXBN_UNDEFINED = 0,
    ONNXBN_FLOAT = 1,
    ONNXBN_UINT8 = 2,
    ONNXBN_INT8 = 3,
    ONNXBN_UINT16 = 4,
    ONNXBN_INT16 = 5,
    ONNXBN_INT32 = 6,
    ONNXBN_INT64 = 7,
    ONNXBN_STRING = 8,
    ONNXBN_BOOL = 9,
    ONNXBN_FLOAT16 = 10,
    ONNXBN_DOUBLE = 11,
    ONNXBN_UINT32 = 12,
    ONNXBN_UINT64 = 13,
    ONNXBN_COMPLEX64 = 14,
    ONNXBN_COMPLEX128 = 15,
    ONNXBN_BFLOAT16 = 16
} onnxbn_dtype;

ONNXBN_API const char *onnxbn_version(void);
ONNXBN_API const char *onnxbn_status_name(onnxbn_status s);
ONNXBN_API const char *onnxbn_dtype_name(onnxbn_dtype t); /* "float", "int64" ...; "?" if unknown */
ONNXBN_API size_t onnxbn_dtype_size(onnxbn_dtype t); /* bytes an element (string: the handle); 0: unknown */
/* Frees a buffer onnxbn returned for the caller to free (report JSON, a saved model, a tensor
 * name), so bindings need not know which allocator the library uses. NULL is fine. */
ONNXBN_API void onnxbn_buffer_free(void *p);

/* What a value is. A value that runs through a model is a tensor, a sequence of tensors, or an
 * optional holding nothing (an optional that holds something is that tensor or sequence).
 * Declared types (onnxbn_value_info.kind, the `as` argument of the value files below) also say
 * whether the value is wrapped in an optional. */
typedef enum onnxbn_kind {
    ONNXBN_KIND_TENSOR = 0,
    ONNXBN_KIND_SEQUENCE = 1,          /* a sequence of tensors of one element type */
    ONNXBN_KIND_NONE = 2,              /* an optional without a value (values only) */
    ONNXBN_KIND_OPTIONAL_TENSOR = 3,   /* declared: optional(tensor) */
    ONNXBN_KIND_OPTIONAL_SEQUENCE = 4  /* declared: optional(sequence(tensor)) */
} onnxbn_kind;

/* ---- Tensors ------------------------------------------------------------------------------
 * A tensor is a dense, row-major array. Data is 64-byte aligned when onnxbn allocates it. */
typedef struct onnxbn_tensor onnxbn_tensor;

/* One element of an ONNXBN_STRING tensor: `len` bytes at `data`, any bytes (NUL too), not
 * NUL-terminated. The element is a fixed-size handle, so moving strings moves handles; the bytes
 * belong to whoever made the tensor: a tensor read from a file or built with
 * onnxbn_tensor_new_strings holds them itself, a wrapped tensor points to the caller's, and a
 * session output's bytes live until the session runs again or is freed, as its numbers do. */
typedef struct onnxbn_string {
    const char *data;
    size_t len;
} onnxbn_string;

/* A new zero-filled tensor that owns its data. rank 0 is a scalar (dims may be NULL). */
ONNXBN_API onnxbn_status onnxbn_tensor_new(onnxbn_dtype dtype, int rank, const int64_t *dims,
                                           onnxbn_tensor **out, onnxbn_error *err);
/* A tensor over the caller's memory, which must outlive it; onnxbn never frees or writes it. */
ONNXBN_API onnxbn_status onnxbn_tensor_wrap(onnxbn_dtype dtype, int rank, const int64_t *dims,
                                            void *data, onnxbn_tensor **out, onnxbn_error *err);
/* A string tensor owning a copy of the n = numel strings (lens[i] bytes at strs[i]; a NULL
 * lens takes each as NUL-terminated). */
ONNXBN_API onnxbn_status onnxbn_tensor_new_strings(int rank, const int64_t *dims,
                                                   const char *const *strs, const size_t *lens,
                                                   onnxbn_tensor **out, onnxbn_error *err);
ONNXBN_API void onnxbn_tensor_free(onnxbn_tensor *t);
ONNXBN_API onnxbn_dtype onnxbn_tensor_dtype(const onnxbn_tensor *t);
ONNXBN_API int onnxbn_tensor_rank(const onnxbn_tensor *t);
ONNXBN_API const int64_t *onnxbn_tensor_dims(const onnxbn_tensor *t);
ONNXBN_API int64_t onnxbn_tensor_numel(const onnxbn_tensor *t);
ONNXBN_API size_t onnxbn_tensor_nbytes(const onnxbn_tensor *t);
ONNXBN_API void *onnxbn_tensor_data(onnxbn_tensor *t);
ONNXBN_API const void *onnxbn_tensor_cdata(const onnxbn_tensor *t);

/* Tensor files: a serialized onnx.TensorProto (.pb, the ONNX test-data format) or a NumPy .npy
 * (format 1.0-3.0, little-endian, C order). The format is told by the content, not the name.
 * `name`, when not NULL, receives the TensorProto's name (malloc'd, or NULL when it has none). */
ONNXBN_API onnxbn_status onnxbn_tensor_read_file(const char *path, onnxbn_tensor **out, char **name,
                                                 onnxbn_error *err);
ONNXBN_API onnxbn_status onnxbn_tensor_read_buffer(const void *buf, size_t len, onnxbn_tensor **out,
                                                   char **name, onnxbn_error *err);
ONNXBN_API onnxbn_status onnxbn_tensor_write_pb(const char *path, const onnxbn_tensor *t,
                                                const char *name, onnxbn_error *err);
ONNXBN_API onnxbn_status onnxbn_tensor_write_npy(const char *path, const onnxbn_tensor *t,
                                                 onnxbn_error *err);

/* Sequences and optionals travel as onnxbn_tensor handles too, so that onnxbn_session_run and
 * onnxbn_session_output take and give them unchanged. onnxbn_tensor_kind says which it is. On a
 * sequence, onnxbn_tensor_dtype is the element type and onnxbn_tensor_numel its length; on an
 * empty optional, the declared element type (or UNDEFINED) and 0. */
ONNXBN_API onnxbn_kind onnxbn_tensor_kind(const onnxbn_tensor *t);
/* A sequence owning copies of n tensors (n may be 0) of element type dtype. */
ONNXBN_API onnxbn_status onnxbn_sequence_new(onnxbn_dtype dtype, size_t n,
                                             const onnxbn_tensor *const *elems,
                                             onnxbn_tensor **out, onnxbn_error *err);
/* An optional that holds nothing (dtype: the element type it would hold, or UNDEFINED). */
ONNXBN_API onnxbn_status onnxbn_optional_none(onnxbn_dtype dtype, onnxbn_tensor **out,
                                              onnxbn_error *err);
/* The length of a sequence (0 for anything else), and its element i (owned by the sequence), or
 * NULL when i is out of range or t is not a sequence. */
ONNXBN_API size_t onnxbn_sequence_length(const onnxbn_tensor *t);
ONNXBN_API const onnxbn_tensor *onnxbn_sequence_at(const onnxbn_tensor *t, size_t i);
/* Value files: as the tensor files, but the file may also hold an onnx.SequenceProto (of tensors)
 * or an onnx.OptionalProto (of a tensor or such a sequence), as the ONNX test data has them.
 * The two have the same wire format, so `as` says which the caller expects (a model's declared
 * kind, onnxbn_value_info.kind): TENSOR reads a tensor as onnxbn_tensor_read_file does,
 * SEQUENCE a SequenceProto, OPTIONAL_* an OptionalProto (an empty one gives a NONE value). */
ONNXBN_API onnxbn_status onnxbn_value_read_file(const char *path, onnxbn_kind as,
                                                onnxbn_tensor **out, char **name,
                                                onnxbn_error *err);
ONNXBN_API onnxbn_status onnxbn_value_read_buffer(const void *buf, size_t len, onnxbn_kind as,
                                                  onnxbn_tensor **out, char **name,
                                                  onnxbn_error *err);
/* Writes t as a TensorProto or SequenceProto, wrapped in an OptionalProto when `as` is an
 * OPTIONAL_* kind (a NONE value is written only so). */
ONNXBN_API onnxbn_status onnxbn_value_write_pb(const char *path, const onnxbn_tensor *t,
                                               const char *name, onnxbn_kind as,
                                               onnxbn_error *err);

/* ---- Models -------------------------------------------------------------------------------- */
/* The structs the caller allocates and passes in (onnxbn_options, onnxbn_memory_info,
 * onnxbn_value_info for onnxbn_model_value) begin with `size`, the struct's size as the caller's
 * header knows it: set it to sizeof the struct (the *_INIT macros do). Fields may be added at the
 * end in a later version; the library then reads and writes only the fields the caller's size
 * covers, and gives the others their defaults. A size of 0, smaller than this first version's
 * struct or larger than the library's is refused (ONNXBN_ERR_ARG, or false). The size is set by
 * the caller's code, not by a library function, because only the caller's compiler knows the
 * size of the struct it has. onnxbn_error is not versioned: it keeps its layout. Structs the
 * library hands out by pointer (onnxbn_fuse_stats, onnxbn_fuse_entry, the value_info of
 * onnxbn_model_input ...) may also gain fields at their end: a caller reads those its header has. */
typedef struct onnxbn_options {
    size_t size;         /* sizeof(onnxbn_options); ONNXBN_OPTIONS_INIT sets it */
    uint64_t max_memory; /* cap on bytes one model/session may allocate; 0 = 4 GiB */
    int threads;         /* worker threads; 0 = 1. While any session is open OpenBLAS runs
                          * single-threaded in the whole process (OpenBLAS 0.3.21 has no per-call
                          * setting), so onnxbn's own threads never oversubscribe the cores; when
                          * the last one is freed, OpenBLAS's thread count is restored. */
    bool no_fold;        /* sessions: do not fold BatchNormalization into weights at open */
    bool profile;        /* sessions: time every node (onnxbn_session_profile) */
    /* Added in 0.2. Sessions: a bound in seconds on onnxbn_session_new (the plan it makes for
     * inputs of fixed shape folds constants, which a small file can make cost minutes; past it
     * the open fails with ONNXBN_ERR_TIMEOUT) and the session's first onnxbn_session_set_timeout
     * (each run). 0 = none (the default); negative, NaN or over 1e9 is ONNXBN_ERR_ARG. */
    double timeout;
} onnxbn_options;        /* pass NULL for the defaults */
/* The defaults, with size set:  onnxbn_options opt = ONNXBN_OPTIONS_INIT; opt.threads = 4;
 * or, in C, {.size = sizeof(onnxbn_options), .threads = 4} (fields left out are the defaults). */
#define ONNXBN_OPTIONS_INIT {sizeof(onnxbn_options), 0, 0, false, false, 0.0}

typedef struct onnxbn_model onnxbn_model;

/* What the model declares for a graph input or output. The library's own (onnxbn_model_input ...)
 * have size set to the library's sizeof; for onnxbn_model_value the caller sets it. */
typedef struct onnxbn_value_info {
    size_t size;                             /* sizeof(onnxbn_value_info) (see onnxbn_options) */
    const char *name;
    onnxbn_dtype dtype;                      /* ONNXBN_UNDEFINED when not declared */
    int rank;                                /* -1 when the model gives no shape */
    int64_t dims[ONNXBN_MAX_RANK];           /* -1 for a symbolic or unknown dimension */
    const char *dim_names[ONNXBN_MAX_RANK];  /* the symbol (dim_param), or NULL */
    /* Added in 0.2: what the value is (TENSOR, SEQUENCE, OPTIONAL_TENSOR, OPTIONAL_SEQUENCE);
     * for a sequence or optional, dtype, rank and dims describe the tensor(s) inside. */
    onnxbn_kind kind;
} onnxbn_value_info;
#define ONNXBN_VALUE_INFO_INIT {sizeof(onnxbn_value_info), NULL, ONNXBN_UNDEFINED, -1, {0}, {NULL}, ONNXBN_KIND_TENSOR}

/* Loads and validates a model: structure, topological order, operators and attributes.
 * External tensor data is read relative to the model file's folder. */
ONNXBN_API onnxbn_status onnxbn_model_load(const char *path, const onnxbn_options *opt,
                                           onnxbn_model **out, onnxbn_error *err);
/* The same from memory; `base_dir` is the folder for external data (NULL: external data refused). */
ONNXBN_API onnxbn_status onnxbn_model_load_buffer(const void *buf, size_t len, const char *base_dir,
                                                  const onnxbn_options *opt, onnxbn_model **out,
                                                  onnxbn_error *err);
ONNXBN_API void onnxbn_model_free(onnxbn_model *m);

ONNXBN_API int64_t onnxbn_model_ir_version(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_producer_name(const onnxbn_model *m);     /* "" when absent */
ONNXBN_API const char *onnxbn_model_producer_version(const onnxbn_model *m);  /* "" when absent */
/* The rest of the model's own facts, as stored ("" when absent): ModelProto.domain,
 * .model_version (0 when absent), .doc_string, GraphProto.name and .doc_string, and the
 * metadata_props key/value pairs in file order (NULL for i out of range). */
ONNXBN_API const char *onnxbn_model_domain(const onnxbn_model *m);
ONNXBN_API int64_t onnxbn_model_version(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_doc_string(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_graph_name(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_graph_doc_string(const onnxbn_model *m);
ONNXBN_API size_t onnxbn_model_metadata_count(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_metadata_key(const onnxbn_model *m, size_t i);
ONNXBN_API const char *onnxbn_model_metadata_value(const onnxbn_model *m, size_t i);
ONNXBN_API size_t onnxbn_model_opset_count(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_opset_domain(const onnxbn_model *m, size_t i); /* "": ai.onnx */
ONNXBN_API int64_t onnxbn_model_opset_version(const onnxbn_model *m, size_t i);
ONNXBN_API size_t onnxbn_model_node_count(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_node_op_type(const onnxbn_model *m, size_t i);
ONNXBN_API const char *onnxbn_model_node_name(const onnxbn_model *m, size_t i); /* "": unnamed */
ONNXBN_API size_t onnxbn_model_initializer_count(const onnxbn_model *m);
ONNXBN_API uint64_t onnxbn_model_initializer_bytes(const onnxbn_model *m);
/* Inputs are the graph inputs the caller must feed (those without an initializer). Inputs that
 * have an initializer as default may still be fed by name. The info, and its name, stay valid
 * while the model lives; the name also across onnxbn_session_new, which folds the model. */
ONNXBN_API size_t onnxbn_model_input_count(const onnxbn_model *m);
ONNXBN_API const onnxbn_value_info *onnxbn_model_input(const onnxbn_model *m, size_t i);
/* Every graph input in file order, those with an initializer too (NULL for i out of range): the
 * names onnxbn_model_input leaves out are the initializers a run may override by name
 * (onnxbn_model_value gives their type and shape). */
ONNXBN_API size_t onnxbn_model_graph_input_count(const onnxbn_model *m);
ONNXBN_API const char *onnxbn_model_graph_input_name(const onnxbn_model *m, size_t i);
ONNXBN_API size_t onnxbn_model_output_count(const onnxbn_model *m);
ONNXBN_API const onnxbn_value_info *onnxbn_model_output(const onnxbn_model *m, size_t i);

/* ---- Sessions -----------------------------------------------------------------------------
 * A session runs one model. Work that depends only on the model is done once; work that depends
 * on input shapes is done once per new set of shapes, and kept for the last 4 sets used (within
 * the memory limit), so alternating shapes (batch 1, 8, 1, 8 ...) do not plan again.
 * Threads: sessions are independent; each thread may run its own session in parallel with the
 * others (they share no mutable state), with the same results as one thread alone. One session
 * runs one call at a time: a second onnxbn_session_run on a session whose run has not returned
 * fails at once with ONNXBN_ERR_BUSY and changes nothing (an atomic test-and-set, so never a
 * data race); the caller may retry, or give each thread its own session. onnxbn_session_cancel
 * and onnxbn_session_set_timeout may be called from any thread at any time. Every other call on
 * a session (outputs, profile, memory, free) must not overlap a run of that session. */
typedef struct onnxbn_session onnxbn_session;

ONNXBN_API onnxbn_status onnxbn_session_open(const char *path, const onnxbn_options *opt,
                                             onnxbn_session **out, onnxbn_error *err);
/* Takes ownership of `model`, also when it fails. */
ONNXBN_API onnxbn_status onnxbn_session_new(onnxbn_model *model, const onnxbn_options *opt,
                                            onnxbn_session **out, onnxbn_error *err);
ONNXBN_API void onnxbn_session_free(onnxbn_session *s);
ONNXBN_API const onnxbn_model *onnxbn_session_model(const onnxbn_session *s);

/* Runs the model on `n` named inputs. Inputs are read, never written, and need live only for the
 * call. Symbolic dimensions are resolved from the inputs. */
ONNXBN_API onnxbn_status onnxbn_session_run(onnxbn_session *s, size_t n, const char *const *names,
                                            const onnxbn_tensor *const *inputs, onnxbn_error *err);
/* Stops the run in progress on s (called from another thread, or a signal-free watchdog): the
 * run returns ONNXBN_ERR_CANCELLED at its next check, between nodes and, inside long kernels
 * (convolutions), about every millisecond of work; it returns within a few milliseconds of the
 * request. The session stays usable: the next run starts afresh and gives correct results. Only
 * a run in progress is stopped: each run clears the request when it starts, so a cancel with no
 * run in progress (or one that comes before the run has begun) does nothing. Lock-free, safe
 * from any thread; s must not be freed meanwhile. NULL does nothing. */
ONNXBN_API void onnxbn_session_cancel(onnxbn_session *s);
/* A bound on each later run of s: a run still going `seconds` after onnxbn_session_run was
 * called returns ONNXBN_ERR_TIMEOUT at its next check (as for cancel). Planning for new input
 * shapes counts, and the constants it folds stop at the same checks (so does the planning of
 * onnxbn_session_shapes); the plan made by onnxbn_session_new, for inputs of fixed shape, is
 * bounded by onnxbn_options.timeout instead, which is also this bound until this is called.
 * 0 removes the bound (the default). Negative, NaN or more than 1e9 seconds is ONNXBN_ERR_ARG.
 * Safe from any thread; takes effect at the next run. */
ONNXBN_API onnxbn_status onnxbn_session_set_timeout(onnxbn_session *s, double seconds,
                                                    onnxbn_error *err);

/* Output i of the last successful run, in graph-output order; owned by the session and valid
 * until the next run or onnxbn_session_free. NULL before a successful run. */
ONNXBN_API const onnxbn_tensor *onnxbn_session_output(const onnxbn_session *s, size_t i);

/* With onnxbn_options.profile: time spent in each node over the runs so far, in graph order.
 * Returns false when i is out of range. Nodes evaluated once at plan time count 0 runs. */
ONNXBN_API size_t onnxbn_session_profile_count(const onnxbn_session *s);
ONNXBN_API bool onnxbn_session_profile_get(const onnxbn_session *s, size_t i, const char **name,
                                           const char **op_type, uint64_t *total_ns,
                                           uint64_t *runs);
ONNXBN_API void onnxbn_session_profile_reset(onnxbn_session *s);

/* Activation memory of the session's plan for the current input shapes (made at open when every
 * input shape is fixed, else by the first run of those shapes). Intermediate
 * tensors and the nodes' scratch share one arena, each buffer placed by when it is live; views
 * (Reshape, Flatten ...), activations computed inside the layer before them, in-place
 * element-wise nodes and a Concat whose inputs are written straight into their blocks of its
 * output (only size-1 dims before its axis, as channels at batch 1) add no buffer.
 * Graph inputs, weights and constants are not in it, nor the outputs of nodes whose shapes only
 * the data decides (NonZero, Compress and what follows them), which each run takes from a run
 * arena kept across runs. Returns false (and zeroes the fields *out's size covers) when the
 * session has no plan yet; false, writing nothing, when s or out is NULL or out->size is not
 * valid (see onnxbn_options). */
typedef struct onnxbn_memory_info {
    size_t size;                /* sizeof(onnxbn_memory_info), set by the caller */
    uint64_t arena_bytes;       /* the arena as laid out */
    uint64_t arena_lower_bound; /* the most bytes live at one step: no layout of the same buffers
                                 * needs less (arena_bytes / arena_lower_bound >= 1) */
    uint64_t constant_bytes;    /* tensors computed once when planning (shape subgraphs ...) */
} onnxbn_memory_info;
#define ONNXBN_MEMORY_INFO_INIT {sizeof(onnxbn_memory_info), 0, 0, 0}
ONNXBN_API bool onnxbn_session_memory(const onnxbn_session *s, onnxbn_memory_info *out);

/* Which matrix-multiply backend this build uses: "openblas" or "portable"; and, for OpenBLAS,
 * the kernel it chose for this CPU (openblas_get_corename), else "". */
ONNXBN_API const char *onnxbn_blas_info(void);
ONNXBN_API const char *onnxbn_blas_core(void);
/* The instruction set the kernels use in this process: "avx512", "avx2" or "generic". It is what
 * the CPU has, lowered by the environment variable ONNXBN_ISA (avx512|avx2|generic; an unknown
 * value is ignored), read once, at the first call into the kernels or to this function. */
ONNXBN_API const char *onnxbn_cpu_isa(void);

/* ==== Converter: fold BatchNormalization, clean up, write the model back =====================
 * Words: "fuse" names the converter as a whole (onnxbn_model_fuse, `onnxbn fuse`, its report); a
 * "fused" model is what it writes. "fold" names what a pass does to one node: its arithmetic goes
 * into constants (fold-bn: a BatchNormalization into the weights of the layer next to it, entry
 * action "folded"; fold-constants; onnxbn_options.no_fold, the fold-bn a session runs at open).
 * The passes edit the model in place; everything they do not touch (metadata, doc strings,
 * opset imports, value_info of kept tensors, graph input/output order, unknown fields) is kept.
 * Passes, run in this order when enabled:
 *   fold-constants   Constant nodes become initializers
 *   remove-identity  Identity nodes go (their consumers read the input directly)
 *   remove-dropout   inference Dropout goes (when its mask output is unused)
 *   fold-bn          BatchNormalization folded into the layer before or after it, to a fixed point
 *   prune            unused nodes, initializers and stale value_info go
 * `passes` NULL or "" runs them all; a comma list names the ones to run ("fold-bn,prune"), and
 * names with a leading '-' remove a pass from the list, or from all of them when the list has no
 * plain name ("-prune"). */
#define ONNXBN_FUSE_BN_TO_AFFINE 1 /* a BN that cannot be folded becomes Mul + Add */
/* After the passes, value_info for every tensor whose type and shape the planner infers
 * (onnxbn_session_shapes over the folded model, onnxbn_model_add_value_info: declared ones kept,
 * dynamic and subgraph values left out). A model the planner cannot take gets none, and the
 * report a note saying why. `onnxbn fuse` and Python's onnxbn.fuse set it by default. */
#define ONNXBN_FUSE_SHAPES 2

typedef struct onnxbn_fuse_report onnxbn_fuse_report;

/* One BatchNormalization node and what became of it. Strings are never NULL. */
typedef struct onnxbn_fuse_entry {
    const char *action;    /* "folded", "converted" (to Mul + Add) or "left" */
    const char *kind;      /* "Conv+BN", "ConvTranspose+BN", "Gemm+BN", "MatMul+BN" (now a
                            * Gemm), "MatMul+Add+BN", "BN+Gemm", "BN+MatMul" (now a Gemm),
                            * "BN+Conv", "BN->Mul+Add", or "BN" when left */
    const char *bn;        /* the BN node's name ("" when unnamed) */
    const char *bn_output; /* its output, whose name the result keeps */
    const char *node;      /* the layer it went into ("" when none) */
    const char *reason;    /* why it was left, or "" */
} onnxbn_fuse_entry;

typedef struct onnxbn_fuse_stats {
    int bn_before, bn_after;     /* BatchNormalization nodes, subgraphs included */
    /* nodes and initializers of the main graph; the other counts include subgraphs */
    int nodes_before, nodes_after;
    int initializers_before, initializers_after;
    int bn_folded, bn_converted, bn_left;
    int identity_removed, dropout_removed, constants_folded;
    int nodes_pruned, initializers_pruned, value_info_pruned;
} onnxbn_fuse_stats;

/* Runs the passes on m. `report` (may be NULL) receives what was done. On failure the model holds
 * the folds finished before the error, each whole, and is still valid. */
ONNXBN_API onnxbn_status onnxbn_model_fuse(onnxbn_model *m, const char *passes, int flags,
                                           onnxbn_fuse_report **report, onnxbn_error *err);
ONNXBN_API const char *onnxbn_fuse_passes(void); /* every pass name, comma-separated, in order */
/* The report's readers take a NULL report as one with nothing in it: the counts are 0 and every
 * pointer they return (stats, entry, note, json) is NULL; onnxbn_fuse_report_free(NULL) does
 * nothing. Out-of-range i also gives NULL. */
ONNXBN_API const onnxbn_fuse_stats *onnxbn_fuse_report_stats(const onnxbn_fuse_report *r);
ONNXBN_API size_t onnxbn_fuse_report_count(const onnxbn_fuse_report *r);
ONNXBN_API const onnxbn_fuse_entry *onnxbn_fuse_report_entry(const onnxbn_fuse_report *r, size_t i);
/* Remarks about the whole model (e.g. IR < 4 initializers taken as constants). */
ONNXBN_API size_t onnxbn_fuse_report_note_count(const onnxbn_fuse_report *r);
ONNXBN_API const char *onnxbn_fuse_report_note(const onnxbn_fuse_report *r, size_t i);
/* The report as one JSON object (malloc'd, free with onnxbn_buffer_free; NULL when out of memory
 * or r is NULL). */
ONNXBN_API char *onnxbn_fuse_report_json(const onnxbn_fuse_report *r);
ONNXBN_API void onnxbn_fuse_report_free(onnxbn_fuse_report *r);

/* Writes the model as an ONNX file (written to a temporary name, then renamed). Tensors kept in
 * external data files stay there: the output must then be in the same folder as the model. */
ONNXBN_API onnxbn_status onnxbn_model_save(const onnxbn_model *m, const char *path,
                                           onnxbn_error *err);
/* The serialized model in a malloc'd buffer the caller frees. */
ONNXBN_API onnxbn_status onnxbn_model_save_buffer(const onnxbn_model *m, void **buf, size_t *len,
                                                  onnxbn_error *err);
/* ==== end of converter ========================================================================= */

/* ==== Introspection: a model's wiring, and the operators this build implements ================
 * For tools (`onnxbn info --dot/--json`, docs/operators.md). Nothing here changes the model.
 * Strings are owned by the model (valid until onnxbn_model_free or the next onnxbn_model_fuse)
 * or are static. */

/* Node i's inputs and outputs by value name, in slot order; "" for an omitted optional slot
 * and when i or k is out of range. The counts include omitted slots. */
ONNXBN_API size_t onnxbn_model_node_input_count(const onnxbn_model *m, size_t i);
ONNXBN_API const char *onnxbn_model_node_input(const onnxbn_model *m, size_t i, size_t k);
ONNXBN_API size_t onnxbn_model_node_output_count(const onnxbn_model *m, size_t i);
ONNXBN_API const char *onnxbn_model_node_output(const onnxbn_model *m, size_t i, size_t k);
ONNXBN_API const char *onnxbn_model_node_domain(const onnxbn_model *m, size_t i); /* "": ai.onnx */
/* True when this build implements node i's operator at the version the model's opset selects. */
ONNXBN_API bool onnxbn_model_node_supported(const onnxbn_model *m, size_t i);
/* True when node i's operator draws random values (RandomNormal, RandomUniform, their Like forms,
 * Bernoulli, Multinomial): no other generator reproduces its outputs, so a test of the model can
 * compare their types and shapes, not their values. False when i is out of range. */
ONNXBN_API bool onnxbn_model_node_random(const onnxbn_model *m, size_t i);
/* Node i's subgraphs (If's then_branch and else_branch), in attribute order: how many (0 for
 * most nodes and when i is out of range), and subgraph k as a model of its own, with *attr (may
 * be NULL) its attribute's name: its nodes, initializers and outputs are the subgraph's, its
 * inputs are its own followed by the values of enclosing scopes it reads. NULL when k is out of
 * range. Valid as the model's strings are. */
ONNXBN_API size_t onnxbn_model_node_subgraph_count(const onnxbn_model *m, size_t i);
ONNXBN_API const onnxbn_model *onnxbn_model_node_subgraph(const onnxbn_model *m, size_t i,
                                                          size_t k, const char **attr);

/* What the model says about the value `name`: its declared element type and shape (graph input,
 * output or value_info), or for an initializer its type and dims. Returns false when no node,
 * graph input or initializer has that name, and when m, name or out is NULL or out->size is not
 * valid (see onnxbn_options). A value with nothing declared gets dtype ONNXBN_UNDEFINED and
 * rank -1. `is_initializer` (may be NULL) tells whether it is a weight. */
ONNXBN_API bool onnxbn_model_value(const onnxbn_model *m, const char *name, onnxbn_value_info *out,
                                   bool *is_initializer);

/* Declares the graph input `name` with this shape (dims[d] >= 0) in place of what the file says,
 * fixed or symbolic: a model exported for one batch size planned and run at another. The element
 * type stays. Whether the nodes can take the shape is found when a session plans it (at open when
 * every input is fixed): a shape they cannot take fails there with the node's error. Saving the
 * model writes the new shape. Earlier onnxbn_model_input/onnxbn_model_value results of this input
 * are stale (their dim_names pointed into the old shape). ONNXBN_ERR_ARG: no graph input (an
 * initializer is none) of that name, rank over ONNXBN_MAX_RANK, a negative dim. */
ONNXBN_API onnxbn_status onnxbn_model_set_input_shape(onnxbn_model *m, const char *name, int rank,
                                                      const int64_t *dims, onnxbn_error *err);

/* Every value's element type and shape as the session's planner infers them (the inference a
 * run uses: each operator's shape rule, constants folded), for the declared input shapes with the
 * symbols `symbols[i]` bound to `sizes[i]` (n_bind of them; each must name a dimension of an
 * input). Listed in graph order: the graph inputs, then every node's outputs in topological
 * order (of the session's graph: BatchNormalization folded unless opened with no_fold).
 * A dimension fixed by the inputs has its number; one that follows an unbound symbol has dims[d]
 * -1 and dim_names[d] its expression ("N", "2*N", "N+1", as proven by planning with the symbol at
 * three sizes; "?" when not affine in one symbol). A value whose shape depends on data (made by a
 * node the planner defers to the run) has rank -1. Fails with the planner's own error (naming the
 * node) when the model cannot take those shapes, and for a model whose input contents decide
 * shapes. Builds plans: costs what opening the session for those shapes would. The result owns
 * its strings; free it with onnxbn_shapes_free. */
typedef struct onnxbn_shapes onnxbn_shapes;
ONNXBN_API onnxbn_status onnxbn_session_shapes(onnxbn_session *s, size_t n_bind,
                                               const char *const *symbols, const int64_t *sizes,
                                               onnxbn_shapes **out, onnxbn_error *err);
ONNXBN_API size_t onnxbn_shapes_count(const onnxbn_shapes *sh);
ONNXBN_API const onnxbn_value_info *onnxbn_shapes_value(const onnxbn_shapes *sh, size_t i); /* NULL: out of range */
ONNXBN_API void onnxbn_shapes_free(onnxbn_shapes *sh);
/* Writes what sh (onnxbn_session_shapes of this model or of a copy: values are matched by name)
 * proves into m's value_info, for every value m declares nothing for: not a graph input, output
 * or initializer and no value_info entry of its name (declarations already there are kept), with
 * a known rank and type. A number is a dim_value, an expression ("N", "2*N") a dim_param, "?" a
 * dimension with neither. For Netron and `--dot`: `onnxbn fuse` writes them. */
ONNXBN_API onnxbn_status onnxbn_model_add_value_info(onnxbn_model *m, const onnxbn_shapes *sh,
                                                     onnxbn_error *err);

/* The operator registry: entry i (0 <= i < onnxbn_op_count()) gives the domain ("" is ai.onnx),
 * the op_type and the operator versions (ONNX since_version) it implements, ascending. An op_type
 * may have several entries with disjoint versions. Returns false when i is out of range. */
ONNXBN_API size_t onnxbn_op_count(void);
ONNXBN_API bool onnxbn_op_info(size_t i, const char **domain, const char **op_type,
                               const int **versions, size_t *n_versions);
/* ==== end of introspection ===================================================================== */

#ifdef __cplusplus
}
#endif
#endif
