/* SPDX-License-Identifier: Apache-2.0 */
/* isa.c — decides once per process which instruction-set level the kernels dispatch to: the
 * CPU's own, lowered by ONNXBN_ISA for testing and for comparing the paths. */
#include "kernels/isa.h"
#include "onnxbn.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

onnxbn_isa_level onnxbn_isa_native(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    const bool fma = __builtin_cpu_supports("fma");
    if (fma && __builtin_cpu_supports("avx512f"))
        return ONNXBN_ISA_AVX512;
    if (fma && __builtin_cpu_supports("avx2"))
        return ONNXBN_ISA_AVX2;
#endif
    return ONNXBN_ISA_GENERIC;
}

onnxbn_isa_level onnxbn_isa_cap(onnxbn_isa_level native, const char *env)
{
    /* An unknown value is ignored rather than refused: the variable is a test and diagnosis
     * knob read where no error can be returned, and the library never prints or aborts. The
     * CLI's --version shows the level in force, so a typo is visible there. */
    onnxbn_isa_level want = native;
    if (!env)
        return native;
    if (strcmp(env, "generic") == 0)
        want = ONNXBN_ISA_GENERIC;
    else if (strcmp(env, "avx2") == 0)
        want = ONNXBN_ISA_AVX2;
    else if (strcmp(env, "avx512") == 0)
        want = ONNXBN_ISA_AVX512;
    return want < native ? want : native; /* lowers, never raises */
}

const char *onnxbn_isa_level_name(onnxbn_isa_level l)
{
    switch (l) {
    case ONNXBN_ISA_AVX512:
        return "avx512";
    case ONNXBN_ISA_AVX2:
        return "avx2";
    case ONNXBN_ISA_GENERIC:
        break;
    }
    return "generic";
}

/* Not mutable global state in the sense the house rules forbid: `level` is written exactly once,
 * under pthread_once (which orders that write before every reader's return), from facts fixed
 * for the life of the process (the CPU, and the environment as it was at the first call), and is
 * read-only afterwards. Every session and thread sees the same value, so kernels chosen when a
 * plan is built and kernels chosen per call agree. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static onnxbn_isa_level level;

static void decide(void)
{
    level = onnxbn_isa_cap(onnxbn_isa_native(), getenv("ONNXBN_ISA"));
}

onnxbn_isa_level onnxbn_isa(void)
{
    pthread_once(&once, decide);
    return level;
}

const char *onnxbn_cpu_isa(void)
{
    return onnxbn_isa_level_name(onnxbn_isa());
}
