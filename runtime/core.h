/* SPDX-License-Identifier: Apache-2.0 */
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
    uint8_t kind; /* onnxbn_kind: TENSOR, SEQUENCE or NONE (below) */
};

/* A sequence (kind SEQUENCE) of `numel` tensors of type `dtype`: `data` is one block of `nbytes`,
 * the element headers (onnxbn_tensor[numel]) and then each element's bytes, 64-byte aligned,
 * the headers' data pointing into the block and owning nothing. One block has one owner, as a
 * tensor's bytes do (the plan's arena, the run arena, a folded constant, the caller), so a
 * sequence is placed, freed and dropped on a failed run exactly as a tensor is. An empty
 * optional is kind NONE: no bytes, dtype the element type when known. An optional that holds a
 * value is that value: the wrapper is a declared type only (onnxbn_value_info.kind). */
static inline const onnxbn_tensor *onnxbn_seq_item(const onnxbn_tensor *t, int64_t i)
{
    return (const onnxbn_tensor *)t->data + i;
}
/* Gives t the kind SEQUENCE and the bytes to hold copies of elems[0, n) (their shapes and
 * types; data not read). The caller has checked that they share `dtype`. */
onnxbn_status onnxbn_seq_shape(onnxbn_tensor *t, onnxbn_dtype dtype, size_t n,
                               const onnxbn_tensor *const *elems, onnxbn_error *err);
/* Bytes of the headers of a sequence of n elements: its first element's data starts there, and
 * each element's bytes take a multiple of 64. */
static inline size_t onnxbn_seq_header_bytes(size_t n)
{
    return (n * sizeof(onnxbn_tensor) + ONNXBN_ALIGN - 1) & ~(size_t)(ONNXBN_ALIGN - 1);
}
static inline size_t onnxbn_seq_elem_bytes(size_t nbytes)
{
    return (nbytes + ONNXBN_ALIGN - 1) & ~(size_t)(ONNXBN_ALIGN - 1);
}
/* Writes the headers of the sequence t (shaped by onnxbn_seq_shape over the same elems), each
 * pointing at its place in the block, without copying any data (the op writes it). */
void onnxbn_seq_layout(onnxbn_tensor *t, size_t n, const onnxbn_tensor *const *elems);
/* Writes the headers of the sequence t (shaped by onnxbn_seq_shape over the same elems, t->data
 * holding its nbytes) and copies each element's bytes. */
void onnxbn_seq_fill(onnxbn_tensor *t, size_t n, const onnxbn_tensor *const *elems);
/* dst gets src's kind, type and shape (a sequence's block size); data untouched. */
onnxbn_status onnxbn_value_shape_like(onnxbn_tensor *dst, const onnxbn_tensor *src,
                                      onnxbn_error *err);
/* Copies src into dst shaped by onnxbn_value_shape_like (nothing when they share their bytes). */
void onnxbn_value_copy(onnxbn_tensor *dst, const onnxbn_tensor *src);
/* "a tensor", "a sequence", "an empty optional": for messages. */
const char *onnxbn_kind_name(int kind);

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
