/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_fuse.c — `onnxbn fuse IN OUT`: folds BatchNormalization and cleans the model up, says what
 * it did and what it left, and with --verify runs both models on the same inputs and compares. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* opendir, stat */
#endif
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

const char cmd_fuse_help[] =
    "usage: onnxbn fuse IN OUT [options]\n\n"
    "Reads the model IN, folds its BatchNormalization nodes into the layers next to them, removes\n"
    "what inference does not need, adds the inferred shape of every intermediate tensor as\n"
    "value_info (--no-shapes: none), and writes OUT. Everything else in the file is kept as it was.\n"
    "Prints each fold (kind, BN node, the layer it went into), each BN left with the reason, and\n"
    "the BN and node counts before and after.\n\n"
    "options:\n"
    "  --passes LIST      passes to run, comma-separated, of: fold-constants, remove-identity,\n"
    "                     remove-dropout, fold-bn, prune (default: all). '-NAME' drops one:\n"
    "                     '--passes -prune' runs all but prune\n"
    "  --bn-to-affine     a BN that cannot be folded becomes Mul + Add (per-channel constants)\n"
    "  --no-shapes        add no value_info. By default OUT gets value_info for every tensor\n"
    "                     whose type and shape the planner infers (symbolic dimensions as\n"
    "                     dim_param: N, 2*N; declared ones are kept; none for shapes known only\n"
    "                     at run time or inside subgraphs), so Netron and `info --dot` show\n"
    "                     shapes on every edge; a model the planner cannot take gets none, and\n"
    "                     a note saying why\n"
    "  --shapes           the default; accepted so that older command lines still work\n"
    "  --verify [DIR]     run IN and OUT on the same deterministic random inputs (and on the\n"
    "                     inputs of DIR/test_data_set_N/ when DIR, an ONNX test-case folder, is\n"
    "                     given) and print, per output, the largest absolute difference and that\n"
    "                     difference relative to the largest |value| of the output. Fails (exit 1)\n"
    "                     when it is above atol + rtol * max|output|, except that outputs sorted\n"
    "                     by a score (detections: every output n rows, one a 1-D float vector)\n"
    "                     may give the same rows in another order where the scores tie within\n"
    "                     that tolerance: then each row must have its partner, row by row.\n"
    "                     Sequence outputs are compared element by element; a model with a\n"
    "                     sequence or optional input is run on DIR's inputs only\n"
    "  --rtol X           relative tolerance of --verify (default by type: float 1e-4, double\n"
    "                     1e-9, float16 1e-2, bfloat16 5e-2)\n"
    "  --atol X           absolute tolerance of --verify (default: float 1e-5, double 1e-12,\n"
    "                     float16 1e-3, bfloat16 1e-2)\n"
    "  --seed N           seed of the random inputs (default 0)\n"
    "  --dim NAME=VALUE   size of the symbolic dimension NAME in random inputs (default 1)\n"
    "  --report json      print one JSON object (the report, the sizes, the --verify results) on\n"
    "                     stdout instead of the text\n";

typedef struct dim_opt {
    const char *name;
    int64_t value;
} dim_opt;

typedef struct fuse_args {
    const char *in, *out, *passes, *case_dir;
    bool affine, verify, json, shapes;
    double rtol, atol; /* < 0: by type */
    uint64_t seed;
    dim_opt *dims;
    int n_dims;
} fuse_args;

static int parse_args(int argc, char **argv, fuse_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (argv[i][0] != '-' || !argv[i][1]) {
            if (!a->in)
                a->in = argv[i];
            else if (!a->out)
                a->out = argv[i];
            else
                return cli_usage("fuse", "unexpected argument '%s'", argv[i]);
        } else if (!strcmp(argv[i], "--shapes")) {
            a->shapes = true;
        } else if (!strcmp(argv[i], "--no-shapes")) {
            a->shapes = false;
        } else if (!strcmp(argv[i], "--bn-to-affine")) {
            a->affine = true;
        } else if (!strcmp(argv[i], "--verify")) {
            a->verify = true;
            /* The folder is optional: taken when the next argument is one. */
            if (i + 1 < argc && argv[i + 1][0] != '-' && cli_is_dir(argv[i + 1]))
                a->case_dir = argv[++i];
        } else if (!strncmp(argv[i], "--verify=", 9)) {
            a->verify = true;
            a->case_dir = argv[i] + 9;
            if (!cli_is_dir(a->case_dir))
                return cli_usage("fuse", "--verify: '%s' is not a folder", a->case_dir);
        } else if ((r = cli_opt(argc, argv, &i, "fuse", "--passes", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            a->passes = v;
        } else if ((r = cli_opt(argc, argv, &i, "fuse", "--report", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            if (!strcmp(v, "json"))
                a->json = true;
            else if (strcmp(v, "text"))
                return cli_usage("fuse", "--report wants 'json' or 'text', not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "fuse", "--rtol", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            if (!cli_parse_double(v, &a->rtol) || a->rtol < 0)
                return cli_usage("fuse", "--rtol wants a number >= 0, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "fuse", "--atol", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            if (!cli_parse_double(v, &a->atol) || a->atol < 0)
                return cli_usage("fuse", "--atol wants a number >= 0, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "fuse", "--seed", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            if (!cli_parse_u64(v, &a->seed))
                return cli_usage("fuse", "--seed wants a non-negative integer, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "fuse", "--dim", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            const char *eq = strchr(v, '=');
            int64_t n;
            if (!eq || eq == v || !cli_parse_i64(eq + 1, &n) || n < 0)
                return cli_usage("fuse", "--dim wants NAME=VALUE with VALUE >= 0, not '%s'", v);
            *(char *)eq = 0; /* argv strings are writable */
            a->dims[a->n_dims++] = (dim_opt){v, n};
        } else {
            return cli_usage("fuse", "unknown option '%s'", argv[i]);
        }
    }
    if (!a->in)
        return cli_usage("fuse", "no input model given");
    if (!a->out)
        return cli_usage("fuse", "no output file given");
    return CLI_OK;
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* ---- the report as text ---- */

static void print_entry(const onnxbn_fuse_entry *e)
{
    const char *bn = e->bn[0] ? e->bn : e->bn_output;
    const char *what = e->bn[0] ? "" : "output ";
    if (!strcmp(e->action, "folded"))
        printf("folded     %-16s %s'%s' into '%s'\n", e->kind, what, bn, e->node);
    else if (!strcmp(e->action, "converted"))
        printf("converted  %-16s %s'%s'\n", e->kind, what, bn);
    else
        printf("left       %-16s %s'%s': %s\n", "BatchNorm", what, bn, e->reason);
}

static void print_report(const onnxbn_fuse_report *r)
{
    for (size_t i = 0; i < onnxbn_fuse_report_count(r); i++)
        print_entry(onnxbn_fuse_report_entry(r, i));
    for (size_t i = 0; i < onnxbn_fuse_report_note_count(r); i++)
        printf("note: %s\n", onnxbn_fuse_report_note(r, i));
    const onnxbn_fuse_stats *s = onnxbn_fuse_report_stats(r);
    printf("BatchNormalization: %d before, %d after (%d folded, %d turned into Mul+Add, %d left)\n",
           s->bn_before, s->bn_after, s->bn_folded, s->bn_converted, s->bn_left);
    printf("nodes: %d -> %d; initializers: %d -> %d\n", s->nodes_before, s->nodes_after,
           s->initializers_before, s->initializers_after);
    printf("clean-up: %d Identity and %d Dropout removed, %d Constant made initializers; pruned "
           "%d nodes, %d initializers, %d value_info\n",
           s->identity_removed, s->dropout_removed, s->constants_folded, s->nodes_pruned,
           s->initializers_pruned, s->value_info_pruned);
}

/* ---- --verify ---- */

/* Per-output comparison, kept for the text or JSON at the end. */
typedef struct vresult {
    char *inputs; /* "random (seed 0)" or the test_data_set folder */
    char *output;
    double max_abs, max_ref, rel, tol;
    bool ok;
    long long moved; /* rows found in another order among tied scores (rows_permuted) */
    char why[200]; /* a mismatch of type or shape, or NaN placement */
} vresult;

typedef struct vlist {
    vresult *v;
    size_t n, cap;
} vlist;

static vresult *vpush(vlist *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        vresult *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    return &l->v[l->n++];
}

static void default_tol(onnxbn_dtype t, double *rtol, double *atol)
{
    switch (t) {
    case ONNXBN_DOUBLE: *rtol = 1e-9; *atol = 1e-12; break;
    case ONNXBN_FLOAT16: *rtol = 1e-2; *atol = 1e-3; break;
    case ONNXBN_BFLOAT16: *rtol = 5e-2; *atol = 1e-2; break;
    default: *rtol = 1e-4; *atol = 1e-5; break;
    }
}

/* The rule: max|fused − orig| <= atol + rtol·max|orig| over the whole output. A fold rounds each
 * weight once more, so the error of an element scales with the sum of |terms| it adds up, not
 * with its own value (which may cancel to near 0): the output's largest magnitude stands for it. */
static void compare_tensor(const onnxbn_tensor *o, const onnxbn_tensor *f, const fuse_args *a,
                           vresult *r);

/* A sequence element by element (the largest differences over all of them); an empty optional
 * by its kind. */
static void compare(const onnxbn_tensor *o, const onnxbn_tensor *f, const fuse_args *a, vresult *r)
{
    onnxbn_kind ko = onnxbn_tensor_kind(o), kf = onnxbn_tensor_kind(f);
    if (ko == ONNXBN_KIND_TENSOR && kf == ONNXBN_KIND_TENSOR) {
        compare_tensor(o, f, a, r);
        return;
    }
    r->ok = ko == kf && onnxbn_sequence_length(o) == onnxbn_sequence_length(f);
    if (!r->ok) {
        snprintf(r->why, sizeof r->why, "a value of kind %d and length %zu, the original gives kind %d and length %zu",
                 (int)kf, onnxbn_sequence_length(f), (int)ko, onnxbn_sequence_length(o));
        return;
    }
    for (size_t i = 0; i < onnxbn_sequence_length(o); i++) {
        vresult e = {0};
        compare_tensor(onnxbn_sequence_at(o, i), onnxbn_sequence_at(f, i), a, &e);
        if (e.max_abs > r->max_abs)
            r->max_abs = e.max_abs;
        if (e.max_ref > r->max_ref)
            r->max_ref = e.max_ref;
        if (e.rel > r->rel)
            r->rel = e.rel;
        if (e.tol > r->tol)
            r->tol = e.tol;
        if (!e.ok && r->ok) {
            r->ok = false;
            snprintf(r->why, sizeof r->why, "element %zu: %.150s", i, e.why[0] ? e.why : "values differ");
        }
    }
}

static void compare_tensor(const onnxbn_tensor *o, const onnxbn_tensor *f, const fuse_args *a,
                           vresult *r)
{
    onnxbn_dtype dt = onnxbn_tensor_dtype(o);
    double rtol, atol;
    default_tol(dt, &rtol, &atol);
    if (a->rtol >= 0)
        rtol = a->rtol;
    if (a->atol >= 0)
        atol = a->atol;
    r->ok = true;
    if (onnxbn_tensor_dtype(f) != dt) {
        snprintf(r->why, sizeof r->why, "type %s, the original gives %s",
                 onnxbn_dtype_name(onnxbn_tensor_dtype(f)), onnxbn_dtype_name(dt));
        r->ok = false;
        return;
    }
    int rank = onnxbn_tensor_rank(o);
    bool same = onnxbn_tensor_rank(f) == rank;
    for (int d = 0; same && d < rank; d++)
        same = onnxbn_tensor_dims(o)[d] == onnxbn_tensor_dims(f)[d];
    if (!same) {
        char s1[CLI_SHAPE_MAX], s2[CLI_SHAPE_MAX];
        snprintf(r->why, sizeof r->why, "shape %.70s, the original gives %.70s",
                 cli_shape(onnxbn_tensor_rank(f), onnxbn_tensor_dims(f), s1, sizeof s1),
                 cli_shape(rank, onnxbn_tensor_dims(o), s2, sizeof s2));
        r->ok = false;
        return;
    }
    int64_t n = onnxbn_tensor_numel(o);
    if (dt == ONNXBN_COMPLEX64 || dt == ONNXBN_COMPLEX128)
        n *= 2;
    const void *po = onnxbn_tensor_cdata(o), *pf = onnxbn_tensor_cdata(f);
    bool fl = cli_dtype_is_float(dt);
    for (int64_t i = 0; i < n; i++) {
        double x = fl ? cli_get_f64(dt, po, i) : (double)cli_get_i64(dt, po, i);
        double y = fl ? cli_get_f64(dt, pf, i) : (double)cli_get_i64(dt, pf, i);
        if (isnan(x) || isnan(y) || isinf(x) || isinf(y)) {
            if (!(isnan(x) && isnan(y)) && x != y && r->ok) {
                snprintf(r->why, sizeof r->why, "element %lld is %g, the original gives %g",
                         (long long)i, y, x);
                r->ok = false;
            }
            continue;
        }
        if (fabs(x) > r->max_ref)
            r->max_ref = fabs(x);
        if (fabs(x - y) > r->max_abs)
            r->max_abs = fabs(x - y);
    }
    r->rel = r->max_ref > 0 ? r->max_abs / r->max_ref : (r->max_abs > 0 ? INFINITY : 0);
    r->tol = fl ? atol + rtol * r->max_ref : 0;
    if (r->max_abs > r->tol)
        r->ok = false;
}

/* Values exact in every floating type (multiples of 1/128 in [-1, 1)); integers in [0, 10). */
static void fill_random(onnxbn_tensor *t, cli_rng *rng)
{
    onnxbn_dtype d = onnxbn_tensor_dtype(t);
    void *p = onnxbn_tensor_data(t);
    for (int64_t i = 0; i < onnxbn_tensor_numel(t); i++) {
        double f = (double)((int64_t)(cli_rng_uniform(rng) * 256) - 128) / 128.0;
        int64_t k = (int64_t)(cli_rng_next(rng) % 10);
        switch (d) {
        case ONNXBN_FLOAT: ((float *)p)[i] = (float)f; break;
        case ONNXBN_DOUBLE: ((double *)p)[i] = f; break;
        case ONNXBN_FLOAT16: case ONNXBN_BFLOAT16: {
            /* f·128 is an integer in [-128, 128): exact with 8 significant bits. */
            float a = (float)fabs(f);
            uint32_t bits;
            memcpy(&bits, &a, sizeof bits);
            uint16_t h = 0;
            if (d == ONNXBN_BFLOAT16)
                h = (uint16_t)(bits >> 16);
            else if (a != 0)
                h = (uint16_t)((((bits >> 23) - 127 + 15) << 10) | ((bits >> 13) & 0x3ff));
            ((uint16_t *)p)[i] = (uint16_t)(h | (f < 0 ? 0x8000 : 0));
            break;
        }
        case ONNXBN_BOOL: ((uint8_t *)p)[i] = (uint8_t)(k & 1); break;
        case ONNXBN_INT8: case ONNXBN_UINT8: ((uint8_t *)p)[i] = (uint8_t)k; break;
        case ONNXBN_INT16: case ONNXBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)k; break;
        case ONNXBN_INT32: case ONNXBN_UINT32: ((uint32_t *)p)[i] = (uint32_t)k; break;
        case ONNXBN_INT64: case ONNXBN_UINT64: ((uint64_t *)p)[i] = (uint64_t)k; break;
        default: break;
        }
    }
}

typedef struct feed {
    const char **names;
    onnxbn_tensor **t;
    char **owned_names;
    size_t n;
} feed;

static void feed_free(feed *f)
{
    for (size_t i = 0; i < f->n; i++) {
        onnxbn_tensor_free(f->t[i]);
        free(f->owned_names[i]);
    }
    free(f->names);
    free(f->t);
    free(f->owned_names);
    memset(f, 0, sizeof *f);
}

static bool feed_alloc(feed *f, size_t cap)
{
    f->names = calloc(cap + 1, sizeof *f->names);
    f->t = calloc(cap + 1, sizeof *f->t);
    f->owned_names = calloc(cap + 1, sizeof *f->owned_names);
    return f->names && f->t && f->owned_names;
}

static int random_feed(const onnxbn_model *m, const fuse_args *a, feed *f)
{
    size_t n = onnxbn_model_input_count(m);
    if (!feed_alloc(f, n))
        return cli_error("out of memory");
    cli_rng rng = {a->seed};
    for (size_t i = 0; i < n; i++) {
        const onnxbn_value_info *vi = onnxbn_model_input(m, i);
        if (vi->kind != ONNXBN_KIND_TENSOR)
            return cli_error("verify: input '%s' is a sequence or optional, which are not made at "
                             "random: give a test-case folder (--verify DIR)", vi->name);
        if (onnxbn_dtype_size(vi->dtype) == 0 || vi->rank < 0)
            return cli_error("verify: input '%s' has no declared %s: give a test-case folder "
                             "(--verify DIR)",
                             vi->name, vi->rank < 0 ? "shape" : "numeric type");
        int64_t dims[ONNXBN_MAX_RANK];
        for (int d = 0; d < vi->rank; d++) {
            dims[d] = vi->dims[d] >= 0 ? vi->dims[d] : 1;
            for (int k = 0; vi->dims[d] < 0 && vi->dim_names[d] && k < a->n_dims; k++)
                if (!strcmp(a->dims[k].name, vi->dim_names[d]))
                    dims[d] = a->dims[k].value;
        }
        onnxbn_error err = {0};
        if (onnxbn_tensor_new(vi->dtype, vi->rank, dims, &f->t[i], &err))
            return cli_lib_error(&err);
        f->names[i] = vi->name;
        f->n = i + 1;
        fill_random(f->t[i], &rng);
    }
    return CLI_OK;
}

/* input_K.pb of one test_data_set folder, bound by stored name or by position. */
static int case_feed(const onnxbn_model *m, const char *dir, feed *f)
{
    size_t cap = 0;
    for (;; cap++) {
        char file[64];
        snprintf(file, sizeof file, "input_%zu.pb", cap);
        char *p = cli_path_join(dir, file);
        bool there = p && cli_is_file(p);
        free(p);
        if (!there)
            break;
    }
    if (!feed_alloc(f, cap))
        return cli_error("out of memory");
    for (size_t k = 0; k < cap; k++) {
        char file[64];
        snprintf(file, sizeof file, "input_%zu.pb", k);
        char *p = cli_path_join(dir, file);
        if (!p)
            return cli_error("out of memory");
        onnxbn_error err = {0};
        const onnxbn_kind as = k < onnxbn_model_input_count(m) ? onnxbn_model_input(m, k)->kind
                                                               : ONNXBN_KIND_TENSOR;
        onnxbn_status st = onnxbn_value_read_file(p, as, &f->t[k], &f->owned_names[k], &err);
        free(p);
        if (st)
            return cli_lib_error(&err);
        f->n = k + 1;
        if (f->owned_names[k] && f->owned_names[k][0])
            f->names[k] = f->owned_names[k];
        else if (k < onnxbn_model_input_count(m))
            f->names[k] = onnxbn_model_input(m, k)->name;
        else
            return cli_error("verify: %s/input_%zu.pb has no name and the model has only %zu "
                             "inputs", dir, k, onnxbn_model_input_count(m));
    }
    return CLI_OK;
}

/* The value of element e of row r, as a double (integers exactly). */
static double at(const onnxbn_tensor *t, int64_t r, int64_t w, int64_t e)
{
    onnxbn_dtype dt = onnxbn_tensor_dtype(t);
    const void *p = onnxbn_tensor_cdata(t);
    return cli_dtype_is_float(dt) ? cli_get_f64(dt, p, r * w + e) : (double)cli_get_i64(dt, p, r * w + e);
}

/* Rows i of the original and j of the fused model agree in every output within its tolerance. */
static bool rows_agree(const onnxbn_tensor *const *o, const onnxbn_tensor *const *f, const vresult *r,
                       size_t n_out, const int64_t *w, int64_t i, int64_t j)
{
    for (size_t k = 0; k < n_out; k++)
        for (int64_t e = 0; e < w[k]; e++)
            if (!(fabs(at(o[k], i, w[k], e) - at(f[k], j, w[k], e)) <= r[k].tol))
                return false;
    return true;
}

/* Detection-style outputs (boxes [n, 4], scores [n], labels [n]) come sorted by a score, and a
 * fold that moves a score by an ulp may swap two rows whose scores tie. They pass when every
 * output has the same first dim n, some output is a 1-D float vector (the scores), and each
 * original row i has its own fused row j that agrees with it in every output within the
 * tolerance, where j != i only when the original's rows i and j tie in such a vector (within
 * its tolerance). A batch of other rows in another order still fails. *moved: rows not in place. */
static bool rows_permuted(const onnxbn_tensor *const *o, const onnxbn_tensor *const *f,
                          const vresult *r, size_t n_out, long long *moved)
{
    if (n_out == 0 || n_out > 16 || onnxbn_tensor_rank(o[0]) < 1)
        return false;
    int64_t n = onnxbn_tensor_dims(o[0])[0], w[16];
    bool have_key = false;
    for (size_t k = 0; k < n_out; k++) {
        if (r[k].why[0] || onnxbn_tensor_rank(o[k]) < 1 || onnxbn_tensor_dims(o[k])[0] != n)
            return false;
        onnxbn_dtype dt = onnxbn_tensor_dtype(o[k]);
        if (dt == ONNXBN_COMPLEX64 || dt == ONNXBN_COMPLEX128 || dt == ONNXBN_STRING)
            return false;
        w[k] = n ? onnxbn_tensor_numel(o[k]) / n : 0;
        have_key |= onnxbn_tensor_rank(o[k]) == 1 && cli_dtype_is_float(dt);
    }
    int64_t width = 0;
    for (size_t k = 0; k < n_out; k++)
        width += w[k];
    if (!have_key || n < 2 || (double)n * (double)n * (double)width > 1e9)
        return false;
    bool *used = calloc((size_t)n, sizeof *used);
    if (!used)
        return false;
    bool ok = true;
    *moved = 0;
    for (int64_t i = 0; i < n && ok; i++) {
        int64_t found = -1;
        if (!used[i] && rows_agree(o, f, r, n_out, w, i, i))
            found = i;
        for (int64_t j = 0; j < n && found < 0; j++) {
            if (used[j] || !rows_agree(o, f, r, n_out, w, i, j))
                continue;
            for (size_t k = 0; k < n_out && found < 0; k++)
                if (onnxbn_tensor_rank(o[k]) == 1 && cli_dtype_is_float(onnxbn_tensor_dtype(o[k])) &&
                    fabs(at(o[k], i, 1, 0) - at(o[k], j, 1, 0)) <= r[k].tol)
                    found = j;
        }
        ok = found >= 0;
        if (ok) {
            used[found] = true;
            *moved += found != i;
        }
    }
    free(used);
    return ok;
}

static int run_both(onnxbn_session *so, onnxbn_session *sf, const feed *f, const char *label,
                    const fuse_args *a, vlist *res)
{
    onnxbn_error err = {0};
    const onnxbn_tensor *const *in = (const onnxbn_tensor *const *)f->t;
    if (onnxbn_session_run(so, f->n, f->names, in, &err))
        return cli_error("verify: the original model on %s: %s", label, err.msg);
    if (onnxbn_session_run(sf, f->n, f->names, in, &err))
        return cli_error("verify: the fused model on %s: %s", label, err.msg);
    const onnxbn_model *mo = onnxbn_session_model(so);
    for (size_t i = 0; i < onnxbn_model_output_count(mo); i++) {
        vresult *r = vpush(res);
        if (!r || !(r->inputs = strdup(label)) ||
            !(r->output = strdup(onnxbn_model_output(mo, i)->name)))
            return cli_error("out of memory");
        compare(onnxbn_session_output(so, i), onnxbn_session_output(sf, i), a, r);
    }
    size_t n_out = onnxbn_model_output_count(mo), first = res->n - n_out;
    bool all = true;
    for (size_t i = first; i < res->n; i++)
        all = all && res->v[i].ok;
    if (all || n_out > 16)
        return CLI_OK;
    const onnxbn_tensor *o[16], *fz[16];
    for (size_t i = 0; i < n_out; i++) {
        o[i] = onnxbn_session_output(so, i);
        fz[i] = onnxbn_session_output(sf, i);
        if (onnxbn_tensor_kind(o[i]) != ONNXBN_KIND_TENSOR ||
            onnxbn_tensor_kind(fz[i]) != ONNXBN_KIND_TENSOR)
            return CLI_OK; /* rows in another order: tensors only */
    }
    long long moved = 0;
    if (rows_permuted(o, fz, &res->v[first], n_out, &moved))
        for (size_t i = first; i < res->n; i++) {
            res->v[i].ok = true;
            res->v[i].moved = moved;
        }
    return CLI_OK;
}

static int verify(const fuse_args *a, vlist *res)
{
    onnxbn_error err = {0};
    onnxbn_session *so = NULL, *sf = NULL;
    feed f = {0};
    int rc = CLI_OK;
    /* The original as it is on disk, not folded at open (that would compare the fold with
     * itself); the result as written, so the writer is checked too. */
    onnxbn_options opt = {.size = sizeof opt, .no_fold = true};
    if (onnxbn_session_open(a->in, &opt, &so, &err) || onnxbn_session_open(a->out, &opt, &sf, &err)) {
        rc = cli_error("verify: %s", err.msg);
        goto done;
    }
    const onnxbn_model *mo = onnxbn_session_model(so), *mf = onnxbn_session_model(sf);
    if (onnxbn_model_output_count(mo) != onnxbn_model_output_count(mf) ||
        onnxbn_model_input_count(mo) != onnxbn_model_input_count(mf)) {
        rc = cli_error("verify: the fused model has other inputs or outputs than the original");
        goto done;
    }
    for (size_t i = 0; i < onnxbn_model_output_count(mo); i++)
        if (strcmp(onnxbn_model_output(mo, i)->name, onnxbn_model_output(mf, i)->name)) {
            rc = cli_error("verify: output %zu is '%s' in the fused model, '%s' in the original", i,
                           onnxbn_model_output(mf, i)->name, onnxbn_model_output(mo, i)->name);
            goto done;
        }
    char label[64];
    snprintf(label, sizeof label, "random (seed %llu)", (unsigned long long)a->seed);
    /* no random sequences or optionals: a model that takes one is checked on DIR's inputs only */
    bool values_in = false;
    for (size_t i = 0; i < onnxbn_model_input_count(mo); i++)
        values_in |= onnxbn_model_input(mo, i)->kind != ONNXBN_KIND_TENSOR;
    if ((!values_in || !a->case_dir) &&
        ((rc = random_feed(mo, a, &f)) || (rc = run_both(so, sf, &f, label, a, res))))
        goto done;
    feed_free(&f);
    if (a->case_dir) {
        for (int k = 0;; k++) {
            char sub[64];
            snprintf(sub, sizeof sub, "test_data_set_%d", k);
            char *dir = cli_path_join(a->case_dir, sub);
            if (!dir) {
                rc = cli_error("out of memory");
                goto done;
            }
            if (!cli_is_dir(dir)) {
                free(dir);
                if (k == 0)
                    rc = cli_error("verify: no test_data_set_0 folder in '%s'", a->case_dir);
                break;
            }
            rc = case_feed(mo, dir, &f);
            if (!rc)
                rc = run_both(so, sf, &f, dir, a, res);
            feed_free(&f);
            free(dir);
            if (rc)
                goto done;
        }
    }
done:
    feed_free(&f);
    onnxbn_session_free(so);
    onnxbn_session_free(sf);
    return rc;
}

/* ---- output ---- */

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.9g", v);
    else
        printf("null");
}

static void print_json(const fuse_args *a, const char *report, long long before, long long after,
                       const vlist *res, bool verified)
{
    printf("{\"input\":");
    json_str(a->in);
    printf(",\"output\":");
    json_str(a->out);
    printf(",\"bytes_before\":%lld,\"bytes_after\":%lld,\"report\":%s", before, after, report);
    if (verified) {
        bool all = true;
        printf(",\"verify\":[");
        for (size_t i = 0; i < res->n; i++) {
            const vresult *r = &res->v[i];
            all = all && r->ok;
            printf("%s{\"inputs\":", i ? "," : "");
            json_str(r->inputs);
            printf(",\"output\":");
            json_str(r->output);
            printf(",\"max_abs\":");
            json_num(r->max_abs);
            printf(",\"max_ref\":");
            json_num(r->max_ref);
            printf(",\"max_rel\":");
            json_num(r->rel);
            printf(",\"tolerance\":");
            json_num(r->tol);
            printf(",\"rows_moved\":%lld,\"ok\":%s,\"problem\":", r->moved, r->ok ? "true" : "false");
            json_str(r->why);
            printf("}");
        }
        printf("],\"verify_ok\":%s", all ? "true" : "false");
    }
    printf("}\n");
}

static void print_verify(const vlist *res)
{
    const char *last = "";
    for (size_t i = 0; i < res->n; i++) {
        const vresult *r = &res->v[i];
        if (strcmp(last, r->inputs))
            printf("verify on %s:\n", r->inputs);
        last = r->inputs;
        if (r->why[0])
            printf("  output '%s': %s: FAIL\n", r->output, r->why);
        else
            printf("  output '%s': max abs diff %.3g, max rel diff %.3g (of max |y| %.3g); "
                   "tolerance %.3g: %s",
                   r->output, r->max_abs, r->rel, r->max_ref, r->tol, r->ok ? "ok" : "FAIL");
        if (!r->why[0] && r->moved)
            printf(" (row by row: %lld rows in another order among tied scores)", r->moved);
        if (!r->why[0])
            printf("\n");
    }
}

int cmd_fuse(int argc, char **argv)
{
    fuse_args a = {.rtol = -1, .atol = -1, .shapes = true};
    a.dims = calloc((size_t)argc + 1, sizeof *a.dims);
    if (!a.dims)
        return cli_error("out of memory");
    int rc = parse_args(argc, argv, &a);
    onnxbn_model *m = NULL;
    onnxbn_fuse_report *rep = NULL;
    char *json = NULL;
    vlist res = {0};
    onnxbn_error err = {0};
    if (rc)
        goto done;
    if (onnxbn_model_load(a.in, NULL, &m, &err) ||
        onnxbn_model_fuse(m, a.passes,
                          (a.affine ? ONNXBN_FUSE_BN_TO_AFFINE : 0) |
                              (a.shapes ? ONNXBN_FUSE_SHAPES : 0),
                          &rep, &err) ||
        onnxbn_model_save(m, a.out, &err)) {
        rc = cli_lib_error(&err);
        goto done;
    }
    onnxbn_model_free(m);
    m = NULL;
    long long before = file_size(a.in), after = file_size(a.out);
    if (!a.json) {
        print_report(rep);
        printf("wrote %s (%lld bytes; %s has %lld)\n", a.out, after, a.in, before);
        fflush(stdout);
    }
    if (a.verify)
        rc = verify(&a, &res);
    if (a.json) {
        if (!(json = onnxbn_fuse_report_json(rep))) {
            rc = cli_error("out of memory");
            goto done;
        }
        if (rc == CLI_OK)
            print_json(&a, json, before, after, &res, a.verify);
    } else {
        print_verify(&res);
    }
    for (size_t i = 0; rc == CLI_OK && i < res.n; i++)
        if (!res.v[i].ok)
            rc = cli_error("verify: output '%s' on %s: %s", res.v[i].output, res.v[i].inputs,
                           res.v[i].why[0] ? res.v[i].why : "the difference is over the tolerance");
done:
    for (size_t i = 0; i < res.n; i++) {
        free(res.v[i].inputs);
        free(res.v[i].output);
    }
    free(res.v);
    free(json);
    onnxbn_fuse_report_free(rep);
    onnxbn_model_free(m);
    free(a.dims);
    return rc;
}
