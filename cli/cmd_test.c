/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_test.c — `onnxbn test CASE_DIR ...`: runs folders in the ONNX backend test layout and says
 * PASS, FAIL (with the worst difference) or SKIP (what onnxbn does not support) for each, with a
 * tally per operator type, progress on a terminal and a JSON form for scripts. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* opendir */
#endif
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

const char cmd_test_help[] =
    "usage: onnxbn test CASE_DIR... [options]\n\n"
    "Runs ONNX backend test cases: CASE_DIR holds model.onnx and test_data_set_N/ folders with\n"
    "input_K.pb and output_K.pb (serialized TensorProtos). A folder without model.onnx is taken\n"
    "as a suite: every subfolder that has one is run, in name order.\n"
    "Inputs bind by the name stored in the .pb, else by position among the model's inputs.\n"
    "Outputs must match in type and shape; floating values within atol + rtol*|expected| (NaN\n"
    "equals NaN), integers and booleans exactly.\n\n"
    "Prints one line per case:  PASS name | FAIL name: reason | SKIP name: reason\n"
    "(SKIP: an operator, type or rank onnxbn does not support, test data that is not a\n"
    "tensor, or a model that draws random values (RandomNormal, RandomUniform, their Like\n"
    "forms, Bernoulli, Multinomial) whose outputs have the expected types and shapes: no\n"
    "other generator's values can be matched). With more than one case, a table follows: per operator type, how many of the\n"
    "cases whose model uses it passed, failed and were skipped. The last line is always\n"
    "'N passed, N failed, N skipped' (with ', N xfail, N xpass' after it under\n"
    "--known-failures). Exits 1 when any case failed (or passed against the list).\n"
    "On a terminal, stderr shows the progress (cases done / total).\n\n"
    "options:\n"
    "  --rtol X        relative tolerance (default 1e-3)\n"
    "  --atol X        absolute tolerance (default 1e-7)\n"
    "  --quiet         print only failures and the summary\n"
    "  --json          print one JSON object instead (documented in docs/cli.md)\n"
    "  --no-progress   no progress line, even on a terminal\n"
    "  --known-failures FILE\n"
    "                  cases expected to fail, one per line: CASE or SUITE/CASE (matched against\n"
    "                  the end of the case's path), a tab, the reason; '#' starts a comment.\n"
    "                  A listed case that fails is XFAIL (with the reason; not an error), one\n"
    "                  that passes is XPASS (an error: the list is stale), a SKIP stays SKIP.\n"
    "                  The project's list for the ONNX 1.12 data: tests/conformance/known_failures.txt\n"
    "  --no-fold       run the models as stored (by default BatchNormalization is folded into\n"
    "                  the neighbouring layers when a model is opened, in double precision)\n"
    CLI_MAX_MEMORY_HELP
    CLI_TIMEOUT_HELP;

/* XFAIL and XPASS exist only under --known-failures: a listed case that failed or passed. */
typedef enum verdict { PASS, FAIL, SKIP, XFAIL, XPASS, N_VERDICTS } verdict;

/* One line of a --known-failures file: the case ("node/test_x" or "test_x") and why. */
typedef struct known_case {
    char *path, *reason;
} known_case;

typedef struct known_list {
    known_case *v;
    size_t n;
    bool given;
} known_list;

typedef struct test_opts {
    double rtol, atol;
    bool quiet, json, no_progress;
    onnxbn_options lib; /* max_memory */
    double timeout;     /* seconds a run of one test data set may take; 0: no bound */
    known_list known;   /* --known-failures */
} test_opts;

#define REASON_MAX 1024

/* Growable list of malloc'd strings. */
typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static bool push(strlist *l, char *s)
{
    if (!s)
        return false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            free(s);
            return false;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return true;
}

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static verdict fail(char *msg, const char *fmt, ...) CLI_PRINTF(2, 3);
static verdict fail(char *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, REASON_MAX, fmt, ap);
    va_end(ap);
    return FAIL;
}

/* A library error: SKIP for what onnxbn does not support, FAIL for anything else. */
static verdict lib_verdict(const onnxbn_error *e, const char *what, char *msg)
{
    const char *m = e->msg[0] ? e->msg : onnxbn_status_name(e->status);
    snprintf(msg, REASON_MAX, "%s%s%s", what ? what : "", what ? ": " : "", m);
    return e->status == ONNXBN_ERR_UNSUPPORTED ? SKIP : FAIL;
}

/* Reads dir/file as a tensor; on failure the message names the file, not the whole path. */
static verdict read_tensor(const char *dir, const char *file, onnxbn_kind as, onnxbn_tensor **t,
                           char **name, char *msg)
{
    char *path = cli_path_join(dir, file);
    if (!path)
        return fail(msg, "out of memory");
    onnxbn_error err = {0};
    onnxbn_status st = onnxbn_value_read_file(path, as, t, name, &err);
    if (st) {
        /* The library puts "'path': " in front; the case name already says where. */
        size_t pl = strlen(path);
        if (strncmp(err.msg, "'", 1) == 0 && strncmp(err.msg + 1, path, pl) == 0 &&
            strncmp(err.msg + 1 + pl, "': ", 3) == 0)
            memmove(err.msg, err.msg + pl + 4, strlen(err.msg + pl + 4) + 1);
    }
    free(path);
    return st ? lib_verdict(&err, file, msg) : PASS;
}

typedef struct tensor_set {
    onnxbn_tensor **t;
    char **names;
    size_t n, cap;
} tensor_set;

static void set_free(tensor_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        onnxbn_tensor_free(s->t[i]);
        free(s->names[i]);
    }
    free(s->t);
    free(s->names);
}

/* Reads PREFIX_0.pb, PREFIX_1.pb ... until one is missing; file k as the model's input or output
 * k is declared (a sequence or an optional is told from a tensor only so). */
static verdict read_set(const onnxbn_model *m, const char *dir, const char *prefix, tensor_set *s,
                        char *msg)
{
    const bool in = !strcmp(prefix, "input");
    for (size_t k = 0;; k++) {
        char file[64];
        snprintf(file, sizeof file, "%s_%zu.pb", prefix, k);
        char *path = cli_path_join(dir, file);
        if (!path)
            return fail(msg, "out of memory");
        bool exists = cli_is_file(path);
        free(path);
        if (!exists)
            return PASS;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8;
            onnxbn_tensor **t = realloc(s->t, cap * sizeof *t);
            if (t)
                s->t = t;
            char **nm = realloc(s->names, cap * sizeof *nm);
            if (nm)
                s->names = nm;
            if (!t || !nm)
                return fail(msg, "out of memory");
            s->cap = cap;
        }
        s->t[s->n] = NULL;
        s->names[s->n] = NULL;
        const size_t nk = in ? onnxbn_model_input_count(m) : onnxbn_model_output_count(m);
        const onnxbn_kind as = s->n >= nk ? ONNXBN_KIND_TENSOR
                               : in       ? onnxbn_model_input(m, s->n)->kind
                                          : onnxbn_model_output(m, s->n)->kind;
        verdict v = read_tensor(dir, file, as, &s->t[s->n], &s->names[s->n], msg);
        if (v != PASS)
            return v;
        s->n++;
    }
}

/* The ONNX 1.12 test data stores bfloat16 tensors with data_type UINT16 (same bits): give such a
 * tensor the type the model declares. Returns false when out of memory. */
static bool retag_bf16(onnxbn_tensor **t, onnxbn_dtype want)
{
    if (want != ONNXBN_BFLOAT16 || onnxbn_tensor_dtype(*t) != ONNXBN_UINT16 ||
        onnxbn_tensor_kind(*t) != ONNXBN_KIND_TENSOR)
        return true;
    onnxbn_tensor *n;
    if (onnxbn_tensor_new(ONNXBN_BFLOAT16, onnxbn_tensor_rank(*t), onnxbn_tensor_dims(*t), &n, NULL))
        return false;
    memcpy(onnxbn_tensor_data(n), onnxbn_tensor_cdata(*t), onnxbn_tensor_nbytes(*t));
    onnxbn_tensor_free(*t);
    *t = n;
    return true;
}

static onnxbn_dtype declared_input(const onnxbn_model *m, const char *name)
{
    for (size_t i = 0; i < onnxbn_model_input_count(m); i++)
        if (!strcmp(onnxbn_model_input(m, i)->name, name))
            return onnxbn_model_input(m, i)->dtype;
    return ONNXBN_UNDEFINED;
}

/* The reason a case with random operators is not compared by value. */
#define RANDOM_REASON "random values cannot match the reference generator"

/* Type and shape only, for the outputs of a model that draws random values. */
static bool same_type_shape(const onnxbn_tensor *got, const onnxbn_tensor *exp, char *why,
                            size_t cap)
{
    int r = onnxbn_tensor_rank(exp);
    bool same = onnxbn_tensor_dtype(got) == onnxbn_tensor_dtype(exp) && onnxbn_tensor_rank(got) == r;
    for (int i = 0; same && i < r; i++)
        same = onnxbn_tensor_dims(got)[i] == onnxbn_tensor_dims(exp)[i];
    if (!same) /* cli_compare words the difference */
        cli_compare(got, exp, 0, 0, why, cap);
    return same;
}

/* random: the model draws random values (onnxbn_model_node_random): the outputs must have the
 * expected types and shapes, and the case is then a SKIP, since no value can be compared. */
static verdict run_set(onnxbn_session *s, const char *dir, const test_opts *o, bool random,
                       char *msg)
{
    const onnxbn_model *m = onnxbn_session_model(s);
    tensor_set in = {0}, out = {0};
    const char **names = NULL;
    verdict v = read_set(m, dir, "input", &in, msg);
    if (v == PASS)
        v = read_set(m, dir, "output", &out, msg);
    if (v != PASS)
        goto done;
    names = calloc(in.n + 1, sizeof *names);
    if (!names) {
        v = fail(msg, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < in.n; k++) {
        if (in.names[k]) {
            names[k] = in.names[k];
        } else if (k < onnxbn_model_input_count(m)) {
            names[k] = onnxbn_model_input(m, k)->name;
        } else {
            v = fail(msg, "input_%zu.pb has no name and the model has only %zu inputs", k,
                     onnxbn_model_input_count(m));
            goto done;
        }
    }
    for (size_t k = 0; k < in.n; k++)
        if (!retag_bf16(&in.t[k], declared_input(m, names[k]))) {
            v = fail(msg, "out of memory");
            goto done;
        }
    size_t n_out = onnxbn_model_output_count(m);
    if (out.n != n_out) {
        v = fail(msg, "the model has %zu outputs, the test data %zu", n_out, out.n);
        goto done;
    }
    onnxbn_error err = {0};
    if (onnxbn_session_run(s, in.n, names, (const onnxbn_tensor *const *)in.t, &err)) {
        v = lib_verdict(&err, NULL, msg);
        goto done;
    }
    for (size_t k = 0; k < n_out; k++) {
        const onnxbn_tensor *got = onnxbn_session_output(s, k);
        const char *oname = onnxbn_model_output(m, k)->name;
        char why[REASON_MAX / 2];
        if (!got) {
            v = fail(msg, "output '%s' was not produced", oname);
            goto done;
        }
        if (!retag_bf16(&out.t[k], onnxbn_tensor_dtype(got))) {
            v = fail(msg, "out of memory");
            goto done;
        }
        if (random ? !same_type_shape(got, out.t[k], why, sizeof why)
                   : !cli_compare(got, out.t[k], o->rtol, o->atol, why, sizeof why)) {
            v = fail(msg, "output '%s' %s", oname, why);
            goto done;
        }
    }
    if (random) {
        snprintf(msg, REASON_MAX, RANDOM_REASON " (types and shapes match)");
        v = SKIP;
    }
done:
    free(names);
    set_free(&in);
    set_free(&out);
    return v;
}

/* The test_data_set_N folders of a case, in the order of N. */
static bool list_sets(const char *dir, strlist *sets)
{
    DIR *d = opendir(dir);
    if (!d)
        return true;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        const char *p = e->d_name;
        if (strncmp(p, "test_data_set_", 14) != 0 || !p[14] ||
            strspn(p + 14, "0123456789") != strlen(p + 14))
            continue;
        char *path = cli_path_join(dir, p);
        if (!path)
            ok = false;
        else if (cli_is_dir(path))
            ok = push(sets, path);
        else
            free(path);
    }
    closedir(d);
    /* test_data_set_10 after test_data_set_9: order by the number's length, then the digits. */
    for (size_t i = 1; ok && i < sets->n; i++) {
        for (size_t j = i; j > 0; j--) {
            char *a = sets->v[j - 1], *b = sets->v[j];
            size_t la = strlen(a), lb = strlen(b);
            if (la < lb || (la == lb && strcmp(a, b) <= 0))
                break;
            sets->v[j - 1] = b;
            sets->v[j] = a;
        }
    }
    return ok;
}

/* The distinct operator types of a model, into ops (malloc'd strings). */
static bool collect_ops(const onnxbn_model *m, strlist *ops)
{
    for (size_t i = 0; i < onnxbn_model_node_count(m); i++) {
        const char *op = onnxbn_model_node_op_type(m, i);
        size_t k = 0;
        while (k < ops->n && strcmp(ops->v[k], op))
            k++;
        if (k == ops->n && !push(ops, strdup(op)))
            return false;
    }
    return true;
}

/* `ops` receives the operator types of the case's model; `loaded` whether the model loaded. */
static verdict run_case(const char *dir, const test_opts *o, char *msg, strlist *ops, bool *loaded)
{
    char *model = cli_path_join(dir, "model.onnx");
    if (!model)
        return fail(msg, "out of memory");
    strlist sets = {0};
    onnxbn_session *s = NULL;
    verdict v;
    if (!cli_is_file(model)) {
        v = fail(msg, "no model.onnx in '%s'", dir);
        goto done;
    }
    if (!list_sets(dir, &sets)) {
        v = fail(msg, "out of memory");
        goto done;
    }
    if (sets.n == 0) {
        v = fail(msg, "no test_data_set_N folder in '%s'", dir);
        goto done;
    }
    /* onnxbn_session_open in two steps, to see the operators even when the session fails. */
    onnxbn_error err = {0};
    onnxbn_model *mod = NULL;
    if (onnxbn_model_load(model, &o->lib, &mod, &err)) {
        v = lib_verdict(&err, NULL, msg);
        goto done;
    }
    *loaded = true;
    bool random = false;
    for (size_t i = 0; i < onnxbn_model_node_count(mod); i++)
        random |= onnxbn_model_node_random(mod, i);
    if (!collect_ops(mod, ops)) {
        onnxbn_model_free(mod);
        v = fail(msg, "out of memory");
        goto done;
    }
    if (onnxbn_session_new(mod, &o->lib, &s, &err)) { /* frees mod */
        char m2[ONNXBN_MSG_MAX];
        snprintf(m2, sizeof m2, "%.200s: %.300s", model, err.msg); /* as session_open says it */
        memcpy(err.msg, m2, sizeof m2);
        v = lib_verdict(&err, NULL, msg);
        goto done;
    }
    if (onnxbn_session_set_timeout(s, o->timeout, &err)) {
        v = lib_verdict(&err, NULL, msg);
        goto done;
    }
    v = PASS;
    for (size_t i = 0; i < sets.n && v == PASS; i++) {
        v = run_set(s, sets.v[i], o, random, msg);
        if (v == SKIP && random && i + 1 < sets.n)
            v = PASS; /* every data set is checked for types and shapes */
        if (v != PASS && !(random && v == SKIP) && sets.n > 1) {
            char tmp[REASON_MAX];
            const char *base = strrchr(sets.v[i], '/');
            snprintf(tmp, sizeof tmp, "%s: %s", base ? base + 1 : sets.v[i], msg);
            memcpy(msg, tmp, REASON_MAX);
        }
    }
done:
    onnxbn_session_free(s);
    strlist_free(&sets);
    free(model);
    return v;
}

/* The case folders named by one argument: itself, or its subfolders holding a model.onnx. */
static bool expand(const char *arg, strlist *cases)
{
    char *model = cli_path_join(arg, "model.onnx");
    if (!model)
        return false;
    bool is_case = cli_is_file(model);
    free(model);
    if (is_case || !cli_is_dir(arg))
        return push(cases, strdup(arg));
    strlist found = {0};
    DIR *d = opendir(arg);
    bool ok = true;
    if (d) {
        struct dirent *e;
        while (ok && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char *sub = cli_path_join(arg, e->d_name);
            char *m = sub ? cli_path_join(sub, "model.onnx") : NULL;
            bool take = m && cli_is_file(m);
            if (!m)
                ok = false;
            free(m);
            if (take)
                ok = push(&found, sub); /* push owns sub from here */
            else
                free(sub);
        }
        closedir(d);
    }
    if (ok && found.n == 0) /* not a suite either: report it as a case without a model */
        ok = push(cases, strdup(arg));
    if (found.n)
        qsort(found.v, found.n, sizeof *found.v, by_name);
    for (size_t i = 0; i < found.n; i++) {
        if (ok)
            ok = push(cases, found.v[i]);
        else
            free(found.v[i]);
    }
    free(found.v);
    return ok;
}

static const char *case_name(const char *dir, char *buf, size_t cap)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(buf, cap, "%.*s", (int)(n - start), dir + start);
    return buf;
}

/* Per operator type: verdicts of the cases whose model uses it. */
typedef struct op_tally {
    char *op;
    int n[N_VERDICTS];
} op_tally;

typedef struct tally {
    op_tally *v;
    size_t n, cap;
} tally;

static bool tally_add(tally *t, const char *op, verdict v)
{
    size_t k = 0;
    while (k < t->n && strcmp(t->v[k].op, op))
        k++;
    if (k == t->n) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 32;
            op_tally *nv = realloc(t->v, cap * sizeof *nv);
            if (!nv)
                return false;
            t->v = nv;
            t->cap = cap;
        }
        char *dup = strdup(op);
        if (!dup)
            return false;
        t->v[t->n++] = (op_tally){.op = dup};
    }
    t->v[k].n[v]++;
    return true;
}

static int by_op(const void *a, const void *b)
{
    return strcmp(((const op_tally *)a)->op, ((const op_tally *)b)->op);
}

/* A case whose model does not load has no operators: it is counted under this row. */
#define NO_MODEL "(model not loaded)"

static void print_table(const tally *t, bool known)
{
    printf("\nby operator type (each case counts once for every operator type in its model):\n");
    printf("  %-28s %7s %7s %7s", "operator", "passed", "failed", "skipped");
    printf(known ? " %7s %7s\n" : "\n", "xfail", "xpass");
    for (size_t k = 0; k < t->n; k++) {
        const int *n = t->v[k].n;
        printf("  %-28s %7d %7d %7d", t->v[k].op, n[PASS], n[FAIL], n[SKIP]);
        if (known)
            printf(" %7d %7d", n[XFAIL], n[XPASS]);
        printf("\n");
    }
}

static const char *const verdict_tags[] = {"PASS", "FAIL", "SKIP", "XFAIL", "XPASS"};

static void json_case(bool first, const char *name, const char *dir, verdict v, const char *msg,
                      const strlist *ops)
{
    printf("%s\n  {\"name\": ", first ? "" : ",");
    cli_json_str(stdout, name);
    printf(", \"path\": ");
    cli_json_str(stdout, dir);
    printf(", \"verdict\": \"%s\", \"reason\": ", verdict_tags[v]);
    cli_json_str(stdout, v == PASS ? "" : msg);
    printf(", \"ops\": [");
    for (size_t k = 0; k < ops->n; k++) {
        printf("%s", k ? ", " : "");
        cli_json_str(stdout, ops->v[k]);
    }
    printf("]}");
}

static void json_end(const tally *t, const int *n, const test_opts *o)
{
    printf("\n], \"ops\": {");
    for (size_t k = 0; k < t->n; k++) {
        printf("%s\n  ", k ? "," : "");
        cli_json_str(stdout, t->v[k].op);
        printf(": {\"passed\": %d, \"failed\": %d, \"skipped\": %d", t->v[k].n[PASS],
               t->v[k].n[FAIL], t->v[k].n[SKIP]);
        if (o->known.given)
            printf(", \"xfail\": %d, \"xpass\": %d", t->v[k].n[XFAIL], t->v[k].n[XPASS]);
        printf("}");
    }
    printf("\n}, \"rtol\": ");
    cli_json_num(stdout, o->rtol);
    printf(", \"atol\": ");
    cli_json_num(stdout, o->atol);
    printf(", \"passed\": %d, \"failed\": %d, \"skipped\": %d", n[PASS], n[FAIL], n[SKIP]);
    if (o->known.given)
        printf(", \"xfail\": %d, \"xpass\": %d", n[XFAIL], n[XPASS]);
    printf("}\n");
}

/* The progress line lives on stderr; it is wiped before anything goes to stdout, which may be
 * the same terminal. */
static void progress(bool on, size_t done, size_t total, const char *name)
{
    if (!on)
        return;
    if (name)
        fprintf(stderr, "\r%zu/%zu done, running %.60s\033[K", done, total, name);
    else
        fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

/* Does the case folder `dir` end with the known path `k` at a folder boundary? ("node/test_x"
 * matches ".../data/node/test_x/", "test_x" matches any suite's test_x.) */
static bool path_matches(const char *dir, const char *k)
{
    size_t n = strlen(dir), kn = strlen(k);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (kn > n || memcmp(dir + n - kn, k, kn) != 0)
        return false;
    return kn == n || dir[n - kn - 1] == '/';
}

/* PASS of a listed case becomes XPASS (the list is stale), FAIL becomes XFAIL with the list's
 * reason after the failure's own; SKIP stays SKIP: nothing was compared. */
static verdict apply_known(const known_list *kl, const char *dir, verdict v, char *msg)
{
    for (size_t i = 0; i < kl->n; i++) {
        if (!path_matches(dir, kl->v[i].path))
            continue;
        if (v == PASS) {
            snprintf(msg, REASON_MAX, "listed as a known failure (%s) but passes: update the list",
                     kl->v[i].reason);
            return XPASS;
        }
        if (v == FAIL) {
            size_t len = strlen(msg);
            snprintf(msg + len, REASON_MAX - len, " [known: %s]", kl->v[i].reason);
            return XFAIL;
        }
        return v;
    }
    return v;
}

static void known_free(known_list *kl)
{
    for (size_t i = 0; i < kl->n; i++) {
        free(kl->v[i].path);
        free(kl->v[i].reason);
    }
    free(kl->v);
    *kl = (known_list){0};
}

/* Reads a --known-failures file. Returns CLI_OK or the exit code after reporting the problem
 * (file and line). Lines: CASE[<TAB>reason]; blank lines and '#' comments are ignored. */
static int known_load(known_list *kl, const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return cli_error("--known-failures: cannot read '%s'", file);
    kl->given = true;
    char line[4096];
    size_t cap = 0;
    int rc = CLI_OK;
    for (int lineno = 1; rc == CLI_OK && fgets(line, sizeof line, f); lineno++) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = cli_error("--known-failures: %s:%d: line longer than %zu bytes", file, lineno,
                           sizeof line - 2);
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        const char *reason = tab ? tab + 1 : "no reason given";
        if (tab)
            *tab = 0;
        size_t plen = strlen(line);
        while (plen > 1 && line[plen - 1] == '/')
            line[--plen] = 0;
        if (!plen || strchr(line, ' ')) {
            rc = cli_error("--known-failures: %s:%d: expected 'CASE<TAB>reason', got '%s'", file,
                           lineno, line);
            break;
        }
        if (kl->n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            known_case *nv = realloc(kl->v, nc * sizeof *nv);
            if (!nv) {
                rc = cli_error("out of memory");
                break;
            }
            kl->v = nv;
            cap = nc;
        }
        char *p = strdup(line), *r = strdup(reason);
        if (!p || !r) {
            free(p);
            free(r);
            rc = cli_error("out of memory");
            break;
        }
        kl->v[kl->n++] = (known_case){.path = p, .reason = r};
    }
    if (rc == CLI_OK && ferror(f))
        rc = cli_error("--known-failures: error reading '%s'", file);
    fclose(f);
    return rc;
}

static int run_all(const strlist *cases, const test_opts *o)
{
    int n[N_VERDICTS] = {0};
    tally t = {0};
    bool ok = true, show = !o->no_progress && isatty(STDERR_FILENO);
    if (o->json)
        printf("{\"cases\": [");
    for (size_t i = 0; i < cases->n && ok; i++) {
        char msg[REASON_MAX] = "", name[256];
        strlist ops = {0};
        bool loaded = false;
        case_name(cases->v[i], name, sizeof name);
        progress(show, i, cases->n, name);
        verdict v = run_case(cases->v[i], o, msg, &ops, &loaded);
        v = apply_known(&o->known, cases->v[i], v, msg);
        n[v]++;
        for (size_t k = 0; k < ops.n && ok; k++)
            ok = tally_add(&t, ops.v[k], v);
        if (ok && !loaded)
            ok = tally_add(&t, NO_MODEL, v);
        progress(show, i + 1, cases->n, NULL);
        if (o->json) {
            json_case(i == 0, name, cases->v[i], v, msg, &ops);
        } else if (!o->quiet || v == FAIL || v == XPASS) {
            if (v == PASS)
                printf("PASS %s\n", name);
            else
                printf("%s %s: %s\n", verdict_tags[v], name, msg);
        }
        fflush(stdout);
        strlist_free(&ops);
    }
    progress(show, 0, 0, NULL);
    int rc;
    if (!ok) {
        if (o->json)
            printf("\n]}\n");
        rc = cli_error("out of memory");
    } else {
        if (t.n)
            qsort(t.v, t.n, sizeof *t.v, by_op);
        if (o->json) {
            json_end(&t, n, o);
        } else {
            if (!o->quiet && cases->n > 1)
                print_table(&t, o->known.given);
            printf("%d passed, %d failed, %d skipped", n[PASS], n[FAIL], n[SKIP]);
            if (o->known.given)
                printf(", %d xfail, %d xpass", n[XFAIL], n[XPASS]);
            printf("\n");
        }
        rc = n[FAIL] || n[XPASS] ? CLI_FAIL : CLI_OK;
    }
    for (size_t k = 0; k < t.n; k++)
        free(t.v[k].op);
    free(t.v);
    return rc;
}

int cmd_test(int argc, char **argv)
{
    test_opts o = {.rtol = 1e-3, .atol = 1e-7, .lib = ONNXBN_OPTIONS_INIT};
    strlist cases = {0};
    bool dashdash = false;
    int rc = CLI_OK;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        const char *v;
        int r;
        if (dashdash || argv[i][0] != '-' || !argv[i][1]) {
            if (!expand(argv[i], &cases))
                rc = cli_error("out of memory");
        } else if (strcmp(argv[i], "--") == 0) {
            dashdash = true;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            o.quiet = true;
        } else if (strcmp(argv[i], "--no-fold") == 0) {
            o.lib.no_fold = true;
        } else if (strcmp(argv[i], "--json") == 0) {
            o.json = true;
        } else if (strcmp(argv[i], "--no-progress") == 0) {
            o.no_progress = true;
        } else if ((r = cli_opt(argc, argv, &i, "test", "--known-failures", &v)) != 0) {
            if (r < 0)
                rc = CLI_USAGE;
            else if (o.known.given)
                rc = cli_usage("test", "--known-failures given twice");
            else
                rc = known_load(&o.known, v);
        } else if ((r = cli_opt(argc, argv, &i, "test", "--max-memory", &v)) != 0) {
            if (r < 0)
                rc = CLI_USAGE;
            else if (!cli_parse_size(v, &o.lib.max_memory))
                rc = cli_usage("test", "--max-memory wants a byte count like 512M, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "test", "--timeout", &v)) != 0) {
            if (r < 0)
                rc = CLI_USAGE;
            else if (!cli_parse_timeout(v, &o.timeout))
                rc = cli_usage("test", "--timeout wants seconds from 0 to 1e9, not '%s'", v);
            o.lib.timeout = o.timeout; /* the open too: its plan folds constants */
        } else if ((r = cli_opt(argc, argv, &i, "test", "--rtol", &v)) != 0) {
            if (r < 0)
                rc = CLI_USAGE;
            else if (!cli_parse_double(v, &o.rtol) || o.rtol < 0)
                rc = cli_usage("test", "--rtol wants a number >= 0, not '%s'", v);
        } else if ((r = cli_opt(argc, argv, &i, "test", "--atol", &v)) != 0) {
            if (r < 0)
                rc = CLI_USAGE;
            else if (!cli_parse_double(v, &o.atol) || o.atol < 0)
                rc = cli_usage("test", "--atol wants a number >= 0, not '%s'", v);
        } else {
            rc = cli_usage("test", "unknown option '%s'", argv[i]);
        }
    }
    if (rc == CLI_OK && cases.n == 0)
        rc = cli_usage("test", "no test case folder given");
    if (rc == CLI_OK)
        rc = run_all(&cases, &o);
    strlist_free(&cases);
    known_free(&o.known);
    return rc;
}
