/* SPDX-License-Identifier: Apache-2.0 */
/* util.c — helpers the onnxbn commands share: errors and exit codes, option values, shapes and
 * values for printing, the ONNX test comparison rule and a seeded PRNG. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* stat */
#endif
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("onnxbn: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("onnxbn: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'onnxbn %s --help'.\n", cmd);
    else
        fprintf(stderr, "Try 'onnxbn --help'.\n");
    return CLI_USAGE;
}

int cli_lib_error(const onnxbn_error *e)
{
    if (e->msg[0])
        return cli_error("%s", e->msg);
    return cli_error("%s", onnxbn_status_name(e->status));
}

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_opt(int argc, char **argv, int *i, const char *cmd, const char *opt, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != 0)
        return 0;
    if (*i + 1 >= argc) {
        cli_usage(cmd, "option '%s' needs a value", opt);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

bool cli_parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno)
        return false;
    *out = v;
    return true;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: break;
    }
    if (*end || errno || v == 0 || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool cli_parse_timeout(const char *s, double *out)
{
    double v;
    if (!cli_parse_double(s, &v) || v < 0 || v > 1e9)
        return false;
    *out = v;
    return true;
}

const char *cli_shape(int rank, const int64_t *dims, char *buf, size_t cap)
{
    size_t k = 0;
    k += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < rank && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (k < cap)
        snprintf(buf + k, cap - k, "]");
    return buf;
}

const char *cli_info_shape(const onnxbn_value_info *vi, char *buf, size_t cap)
{
    if (vi->rank < 0) {
        snprintf(buf, cap, "unknown");
        return buf;
    }
    size_t k = 0;
    k += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < vi->rank && k < cap; i++) {
        const char *sep = i ? "," : "";
        if (vi->dims[i] >= 0)
            k += (size_t)snprintf(buf + k, cap - k, "%s%lld", sep, (long long)vi->dims[i]);
        else if (vi->dim_names[i] && vi->dim_names[i][0])
            k += (size_t)snprintf(buf + k, cap - k, "%s%s", sep, vi->dim_names[i]);
        else
            k += (size_t)snprintf(buf + k, cap - k, "%s?", sep);
    }
    if (k < cap)
        snprintf(buf + k, cap - k, "]");
    return buf;
}

/* ---- elements ---- */

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    float v;
    if (e == 0)
        v = ldexpf((float)m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexpf((float)(m | 0x400), e - 25);
    return (h & 0x8000) ? -v : v;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

bool cli_dtype_is_float(onnxbn_dtype t)
{
    return t == ONNXBN_FLOAT || t == ONNXBN_DOUBLE || t == ONNXBN_FLOAT16 ||
           t == ONNXBN_BFLOAT16 || t == ONNXBN_COMPLEX64 || t == ONNXBN_COMPLEX128;
}

double cli_get_f64(onnxbn_dtype t, const void *p, int64_t i)
{
    switch (t) {
    case ONNXBN_FLOAT: case ONNXBN_COMPLEX64: return ((const float *)p)[i];
    case ONNXBN_DOUBLE: case ONNXBN_COMPLEX128: return ((const double *)p)[i];
    case ONNXBN_FLOAT16: return half_to_float(((const uint16_t *)p)[i]);
    case ONNXBN_BFLOAT16: return bf16_to_float(((const uint16_t *)p)[i]);
    case ONNXBN_UINT64: return (double)((const uint64_t *)p)[i];
    default: return (double)cli_get_i64(t, p, i);
    }
}

int64_t cli_get_i64(onnxbn_dtype t, const void *p, int64_t i)
{
    switch (t) {
    case ONNXBN_INT8: return ((const int8_t *)p)[i];
    case ONNXBN_INT16: return ((const int16_t *)p)[i];
    case ONNXBN_INT32: return ((const int32_t *)p)[i];
    case ONNXBN_INT64: return ((const int64_t *)p)[i];
    case ONNXBN_UINT8: case ONNXBN_BOOL: return ((const uint8_t *)p)[i];
    case ONNXBN_UINT16: return ((const uint16_t *)p)[i];
    case ONNXBN_UINT32: return ((const uint32_t *)p)[i];
    case ONNXBN_UINT64: return (int64_t)((const uint64_t *)p)[i]; /* compared bit for bit */
    default: return 0;
    }
}

/* Scalars per element: complex values count as two. */
static int64_t scalar_count(const onnxbn_tensor *t)
{
    onnxbn_dtype d = onnxbn_tensor_dtype(t);
    int64_t n = onnxbn_tensor_numel(t);
    return (d == ONNXBN_COMPLEX64 || d == ONNXBN_COMPLEX128) ? n * 2 : n;
}

/* A string element quoted, bytes outside printable ASCII as \xNN, cut with "..." to fit. */
static void format_string(char *buf, size_t cap, const onnxbn_string *s)
{
    size_t o = 0;
    buf[o++] = '"';
    for (size_t k = 0; k < s->len; k++) {
        unsigned char ch = (unsigned char)s->data[k];
        char e[5];
        int w = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? snprintf(e, sizeof e, "%c", ch)
                                                                  : snprintf(e, sizeof e, "\\x%02x", ch);
        if (o + (size_t)w + 5 > cap) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(buf + o, e, (size_t)w);
        o += (size_t)w;
    }
    buf[o++] = '"';
    buf[o] = 0;
}

static void format_value(char *buf, size_t cap, onnxbn_dtype t, const void *p, int64_t i)
{
    if (t == ONNXBN_STRING)
        format_string(buf, cap, &((const onnxbn_string *)p)[i]);
    else if (t == ONNXBN_DOUBLE || t == ONNXBN_COMPLEX128)
        snprintf(buf, cap, "%.17g", cli_get_f64(t, p, i));
    else if (cli_dtype_is_float(t))
        snprintf(buf, cap, "%.9g", cli_get_f64(t, p, i));
    else if (t == ONNXBN_UINT64)
        snprintf(buf, cap, "%llu", (unsigned long long)((const uint64_t *)p)[i]);
    else
        snprintf(buf, cap, "%lld", (long long)cli_get_i64(t, p, i));
}

void cli_print_values(FILE *f, const onnxbn_tensor *t, int max)
{
    onnxbn_dtype d = onnxbn_tensor_dtype(t);
    const void *p = onnxbn_tensor_cdata(t);
    int64_t n = scalar_count(t);
    if (onnxbn_dtype_size(d) == 0) {
        fputs("(values not shown)", f);
        return;
    }
    for (int64_t i = 0; i < n && i < max; i++) {
        char v[64];
        if (cli_dtype_is_float(d) && d != ONNXBN_DOUBLE && d != ONNXBN_COMPLEX128)
            snprintf(v, sizeof v, "%.6g", cli_get_f64(d, p, i));
        else
            format_value(v, sizeof v, d, p, i);
        fprintf(f, "%s%s", i ? " " : "", v);
    }
    if (n > max)
        fputs(" ...", f);
}

/* ---- comparison ---- */

static const char *kind_word(onnxbn_kind k)
{
    return k == ONNXBN_KIND_SEQUENCE ? "a sequence" : k == ONNXBN_KIND_NONE ? "an empty optional" : "a tensor";
}

static bool compare_tensor(const onnxbn_tensor *got, const onnxbn_tensor *exp, double rtol,
                           double atol, char *msg, size_t cap);

/* Tensors value by value; sequences by length, then element by element; empty optionals by kind. */
bool cli_compare(const onnxbn_tensor *got, const onnxbn_tensor *exp, double rtol, double atol,
                 char *msg, size_t cap)
{
    onnxbn_kind kg = onnxbn_tensor_kind(got), ke = onnxbn_tensor_kind(exp);
    if (kg != ke) {
        snprintf(msg, cap, "is %s, expected %s", kind_word(kg), kind_word(ke));
        return false;
    }
    if (ke == ONNXBN_KIND_NONE)
        return true;
    if (ke == ONNXBN_KIND_TENSOR)
        return compare_tensor(got, exp, rtol, atol, msg, cap);
    size_t n = onnxbn_sequence_length(exp);
    if (onnxbn_sequence_length(got) != n) {
        snprintf(msg, cap, "has %zu elements, expected %zu", onnxbn_sequence_length(got), n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char why[256];
        if (!compare_tensor(onnxbn_sequence_at(got, i), onnxbn_sequence_at(exp, i), rtol, atol, why,
                            sizeof why)) {
            snprintf(msg, cap, "element %zu: %s", i, why);
            return false;
        }
    }
    return true;
}

static bool compare_tensor(const onnxbn_tensor *got, const onnxbn_tensor *exp, double rtol,
                           double atol, char *msg, size_t cap)
{
    onnxbn_dtype dt = onnxbn_tensor_dtype(exp);
    if (onnxbn_tensor_dtype(got) != dt) {
        snprintf(msg, cap, "type %s, expected %s", onnxbn_dtype_name(onnxbn_tensor_dtype(got)),
                 onnxbn_dtype_name(dt));
        return false;
    }
    int rg = onnxbn_tensor_rank(got), re = onnxbn_tensor_rank(exp);
    const int64_t *dg = onnxbn_tensor_dims(got), *de = onnxbn_tensor_dims(exp);
    bool same = rg == re;
    for (int i = 0; same && i < re; i++)
        same = dg[i] == de[i];
    if (!same) {
        char a[CLI_SHAPE_MAX], b[CLI_SHAPE_MAX];
        snprintf(msg, cap, "shape %s, expected %s", cli_shape(rg, dg, a, sizeof a),
                 cli_shape(re, de, b, sizeof b));
        return false;
    }
    if (onnxbn_dtype_size(dt) == 0) {
        snprintf(msg, cap, "cannot compare %s values", onnxbn_dtype_name(dt));
        return false;
    }
    const void *pg = onnxbn_tensor_cdata(got), *pe = onnxbn_tensor_cdata(exp);
    if (dt == ONNXBN_STRING) { /* exactly, byte for byte */
        const onnxbn_string *sg = pg, *se = pe;
        int64_t n = onnxbn_tensor_numel(exp), bad = 0, first = -1;
        for (int64_t i = 0; i < n; i++)
            if (sg[i].len != se[i].len || (se[i].len && memcmp(sg[i].data, se[i].data, se[i].len))) {
                bad++;
                if (first < 0)
                    first = i;
            }
        if (!bad)
            return true;
        char g[64], e[64];
        format_value(g, sizeof g, dt, pg, first);
        format_value(e, sizeof e, dt, pe, first);
        snprintf(msg, cap, "[%lld]: got %s expected %s (%lld of %lld strings differ)",
                 (long long)first, g, e, (long long)bad, (long long)n);
        return false;
    }
    int64_t n = scalar_count(exp), bad = 0, worst = -1;
    double worst_err = -1;
    bool fl = cli_dtype_is_float(dt);
    for (int64_t i = 0; i < n; i++) {
        double err;
        bool ok;
        if (fl) {
            double g = cli_get_f64(dt, pg, i), e = cli_get_f64(dt, pe, i);
            if (isnan(e) || isnan(g)) {
                ok = isnan(e) && isnan(g);
                err = INFINITY;
            } else if (isinf(e) || isinf(g)) {
                ok = g == e;
                err = INFINITY;
            } else {
                err = fabs(g - e);
                ok = err <= atol + rtol * fabs(e);
            }
        } else {
            int64_t g = cli_get_i64(dt, pg, i), e = cli_get_i64(dt, pe, i);
            ok = g == e;
            err = fabs((double)g - (double)e);
        }
        if (ok)
            continue;
        bad++;
        if (err > worst_err) {
            worst_err = err;
            worst = i;
        }
    }
    if (!bad)
        return true;
    char g[64], e[64];
    format_value(g, sizeof g, dt, pg, worst);
    format_value(e, sizeof e, dt, pe, worst);
    snprintf(msg, cap, "[%lld]: got %s expected %s (abs err %.3g; %lld of %lld values differ)",
             (long long)worst, g, e, worst_err, (long long)bad, (long long)n);
    return false;
}

/* ---- PRNG ---- */

uint64_t cli_rng_next(cli_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

double cli_rng_uniform(cli_rng *r)
{
    return (double)(cli_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- paths ---- */

char *cli_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    bool slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + slash + b + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a] = '/';
    memcpy(p + a + slash, name, b + 1);
    return p;
}

bool cli_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool cli_is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Fills t with values that are exact in every floating type (multiples of 1/128). */
void cli_fill_random(onnxbn_tensor *t, cli_rng *rng)
{
    onnxbn_dtype d = onnxbn_tensor_dtype(t);
    void *p = onnxbn_tensor_data(t);
    int64_t n = onnxbn_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        double f = (double)((int64_t)(cli_rng_uniform(rng) * 256) - 128) / 128.0;
        int64_t k = (int64_t)(cli_rng_next(rng) % 10);
        switch (d) {
        case ONNXBN_FLOAT: ((float *)p)[i] = (float)f; break;
        case ONNXBN_DOUBLE: ((double *)p)[i] = f; break;
        case ONNXBN_FLOAT16: {
            /* |f| is 0 or in [2^-7, 1]: a normal half, exact with 10 mantissa bits. */
            uint16_t h = 0;
            if (f != 0) {
                float a = (float)(f < 0 ? -f : f);
                uint32_t bits;
                memcpy(&bits, &a, sizeof bits);
                h = (uint16_t)((((bits >> 23) - 127 + 15) << 10) | ((bits >> 13) & 0x3ff));
                if (f < 0)
                    h |= 0x8000;
            }
            ((uint16_t *)p)[i] = h;
            break;
        }
        case ONNXBN_BFLOAT16: {
            float a = (float)f;
            uint32_t bits;
            memcpy(&bits, &a, sizeof bits);
            ((uint16_t *)p)[i] = (uint16_t)(bits >> 16);
            break;
        }
        case ONNXBN_BOOL: ((uint8_t *)p)[i] = (uint8_t)(k & 1); break;
        case ONNXBN_INT8: case ONNXBN_UINT8: ((uint8_t *)p)[i] = (uint8_t)k; break;
        case ONNXBN_INT16: case ONNXBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)k; break;
        case ONNXBN_INT32: case ONNXBN_UINT32: ((uint32_t *)p)[i] = (uint32_t)k; break;
        case ONNXBN_INT64: case ONNXBN_UINT64: ((uint64_t *)p)[i] = (uint64_t)k; break;
        default: break; /* complex: left zero */
        }
    }
}

int cli_random_input(const onnxbn_value_info *vi, cli_dim *dims_opt, int n_dims, cli_rng *rng,
                     onnxbn_tensor **out)
{
    if (vi->dtype == ONNXBN_UNDEFINED || onnxbn_dtype_size(vi->dtype) == 0)
        return cli_error("input '%s' has no numeric element type declared: give it a file "
                         "(%s=FILE)", vi->name, vi->name);
    if (vi->rank < 0)
        return cli_error("input '%s' has no declared shape: give it a file (%s=FILE)", vi->name,
                         vi->name);
    int64_t dims[ONNXBN_MAX_RANK];
    for (int d = 0; d < vi->rank; d++) {
        dims[d] = vi->dims[d];
        if (dims[d] >= 0)
            continue;
        dims[d] = 1;
        for (int k = 0; k < n_dims && vi->dim_names[d]; k++) {
            if (strcmp(dims_opt[k].name, vi->dim_names[d]) == 0) {
                dims[d] = dims_opt[k].value;
                dims_opt[k].used = true;
            }
        }
    }
    onnxbn_error err = {0};
    if (onnxbn_tensor_new(vi->dtype, vi->rank, dims, out, &err) != ONNXBN_OK) {
        onnxbn_error e2 = err;
        snprintf(e2.msg, sizeof e2.msg, "input '%.100s': %.380s", vi->name, err.msg);
        return cli_lib_error(&e2);
    }
    cli_fill_random(*out, rng);
    return CLI_OK;
}

/* ---- --input-shape ---- */

int cli_parse_input_shape(const char *cmd, char *v, cli_inshape *out)
{
    char *eq = strchr(v, '=');
    if (!eq || eq == v)
        return cli_usage(cmd, "--input-shape wants NAME=D0,D1,... not '%s'", v);
    *eq = 0;
    out->name = v;
    out->rank = 0;
    for (char *p = eq + 1; *p;) {
        char *end = strchr(p, ',');
        if (end)
            *end = 0;
        int64_t n;
        if (out->rank == ONNXBN_MAX_RANK || !cli_parse_i64(p, &n) || n < 0)
            return cli_usage(cmd, "--input-shape %s: '%s' is not a size (a count >= 0; at most %d "
                             "dimensions)", v, p, ONNXBN_MAX_RANK);
        out->dims[out->rank++] = n;
        if (!end)
            break;
        p = end + 1;
        if (!*p)
            return cli_usage(cmd, "--input-shape %s: a size is missing after the last ','", v);
    }
    return CLI_OK;
}

onnxbn_status cli_open_session(const char *path, const onnxbn_options *opt, const cli_inshape *sh,
                               int n_sh, onnxbn_session **out, onnxbn_error *err)
{
    if (!n_sh)
        return onnxbn_session_open(path, opt, out, err);
    *out = NULL;
    onnxbn_model *m;
    onnxbn_status st = onnxbn_model_load(path, opt, &m, err);
    for (int i = 0; !st && i < n_sh; i++)
        if ((st = onnxbn_model_set_input_shape(m, sh[i].name, sh[i].rank, sh[i].dims, err)))
            onnxbn_model_free(m);
    if (!st)
        st = onnxbn_session_new(m, opt, out, err);
    if (st && n_sh) {
        /* the planner's error names the node; say which override it follows from */
        char msg[sizeof err->msg + 32];
        snprintf(msg, sizeof msg, "%s (with --input-shape)", err->msg);
        msg[sizeof err->msg - 1] = 0;
        memcpy(err->msg, msg, sizeof err->msg);
    }
    return st;
}
