/* core.h — what every part of the library shares: the tensor struct, error reporting,
 * aligned allocation, overflow-checked size arithmetic and TensorProto decoding. No graph here. */
#ifndef ONNXBN_CORE_H
#define ONNXBN_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxbn.h"

#define ONNXBN_ALIGN 64
#define ONNXBN_DEFAULT_MAX_MEMORY (UINT64_C(4) << 30)

/* One tensor. `data` is owned (freed with the tensor) only when `owns` is set; plan tensors
 * point into the plan's arena, a constant store or the caller's input. */
struct onnxbn_tensor {
    onnxbn_dtype dtype;
    int rank;
    int64_t dims[ONNXBN_MAX_RANK];
    int64_t numel;
    size_t nbytes;
    void *data;
    bool owns;
};

#if defined(__GNUC__)
#define ONNXBN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ONNXBN_PRINTF(f, a)
#endif

/* Records `st` and the formatted message in err (when not NULL) and returns st. */
onnxbn_status onnxbn_fail(onnxbn_error *err, onnxbn_status st, const char *fmt, ...)
    ONNXBN_PRINTF(3, 4);
onnxbn_status onnxbn_vfail(onnxbn_error *err, onnxbn_status st, const char *fmt, va_list ap);
/* Puts "prefix: " in front of the message already in err (for adding context on the way up). */
void onnxbn_err_prefix(onnxbn_error *err, const char *fmt, ...) ONNXBN_PRINTF(2, 3);

/* An invariant of onnxbn itself (never a check of the caller's input, which gets its own error):
 * when cond is false the enclosing function returns ONNXBN_ERR_INTERNAL with "internal error at
 * runtime/plan.c:123: <cond>" in err. Always compiled in, Release too, and it never aborts: a
 * broken invariant is a bug to report, not a reason to read past a buffer, compute garbage
 * silently, or take the caller's process down. Use it only in functions returning onnxbn_status. */
#define ONNXBN_CHECK(cond, err)                                                                    \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return onnxbn_internal_error((err), __FILE__, __LINE__, #cond);                        \
    } while (0)
/* What ONNXBN_CHECK calls: fills err (when not NULL), with `file` shortened to the part from the
 * project's top folder (runtime/, converter/ ...), and returns ONNXBN_ERR_INTERNAL. */
onnxbn_status onnxbn_internal_error(onnxbn_error *err, const char *file, int line, const char *cond);

void *onnxbn_alloc(size_t n);          /* 64-byte aligned; NULL on failure or n == 0 → 1 byte */
void *onnxbn_calloc_aligned(size_t n); /* the same, zero-filled */
void onnxbn_free(void *p);

/* Overflow-checked arithmetic: return false on overflow. */
bool onnxbn_mul_size(size_t a, size_t b, size_t *out);
bool onnxbn_add_size(size_t a, size_t b, size_t *out);

/* Shape helpers. set_shape fills rank/dims/numel/nbytes with overflow checks (dims must be >= 0). */
onnxbn_status onnxbn_tensor_set_shape(onnxbn_tensor *t, onnxbn_dtype dtype, int rank,
                                      const int64_t *dims, onnxbn_error *err);
bool onnxbn_same_shape(const onnxbn_tensor *a, const onnxbn_tensor *b);
/* "[2,3,4]" into buf; returns buf. */
const char *onnxbn_shape_str(const onnxbn_tensor *t, char *buf, size_t cap);
#define ONNXBN_SHAPE_STR_MAX (ONNXBN_MAX_RANK * 21 + 3)

/* Initialises an embedded tensor struct that owns fresh zeroed storage for the given shape. */
onnxbn_status onnxbn_tensor_init_alloc(onnxbn_tensor *t, onnxbn_dtype dtype, int rank,
                                       const int64_t *dims, onnxbn_error *err);
void onnxbn_tensor_release(onnxbn_tensor *t); /* frees owned data of an embedded tensor */
/* A string tensor owning its handles and bytes in one block; get(src, i) gives element i.
 * `budget` as for onnxbn_tensor_from_proto. */
onnxbn_status onnxbn_tensor_init_strings(onnxbn_tensor *t, int rank, const int64_t *dims,
                                         onnxbn_string (*get)(const void *src, int64_t i),
                                         const void *src, uint64_t *budget, onnxbn_error *err);

/* Element conversion of any numeric tensor (float, double, float16, bfloat16, integers, bool). */
bool onnxbn_dtype_is_numeric(onnxbn_dtype t);
double onnxbn_get_f64(const onnxbn_tensor *t, int64_t i);
/* The same on a plain buffer of type t (kernels have no tensors): element i as a double. */
double onnxbn_load_f64(onnxbn_dtype t, const void *data, int64_t i);
void onnxbn_set_f64(onnxbn_tensor *t, int64_t i, double v);
int64_t onnxbn_get_i64(const onnxbn_tensor *t, int64_t i); /* integers and bool; floats truncated */
float onnxbn_half_to_float(uint16_t h);
uint16_t onnxbn_float_to_half(float f);
float onnxbn_bf16_to_float(uint16_t h);
uint16_t onnxbn_float_to_bf16(float f);

/* The folder part of a path: "." when it has none, "/" for a file at the root. */
void onnxbn_path_dir(const char *path, char *buf, size_t cap);

/* ---- TensorProto decoding, for the runtime and the converter alike ---- */
struct Onnx__TensorProto;

/* Decodes a TensorProto into an embedded tensor that owns its data. `base_dir` is where external
 * data lives (NULL: refused). `budget` (may be NULL) is decreased by the bytes allocated and the
 * call fails when it would go below zero. */
onnxbn_status onnxbn_tensor_from_proto(const struct Onnx__TensorProto *tp, const char *base_dir,
                                       uint64_t *budget, onnxbn_tensor *out, onnxbn_error *err);
/* Refuses an external data location that could leave the model's folder (absolute, or climbing
 * above it); symbolic links are caught when the file is read. */
onnxbn_status onnxbn_check_location(const char *loc, onnxbn_error *err);

/* A string that is never NULL (protobuf-c leaves absent proto2 strings NULL). */
static inline const char *onnxbn_str(const char *s) { return s ? s : ""; }

#endif
