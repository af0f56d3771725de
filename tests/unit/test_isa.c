/* SPDX-License-Identifier: Apache-2.0 */
/* test_isa.c — ONNXBN_ISA caps the kernels' dispatch: it lowers, never raises, the CPU's level,
 * an unknown value is ignored, the level is read once, and the capped kernels are not chosen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernels/conv.h"
#include "kernels/depthwise.h"
#include "kernels/gemm.h"
#include "kernels/isa.h"
#include "kernels/pointwise.h"
#include "onnxbn.h"

static void test_cap(void **state)
{
    (void)state;
    const onnxbn_isa_level G = ONNXBN_ISA_GENERIC, A2 = ONNXBN_ISA_AVX2, A5 = ONNXBN_ISA_AVX512;
    /* lowers */
    assert_int_equal(onnxbn_isa_cap(A5, "avx2"), A2);
    assert_int_equal(onnxbn_isa_cap(A5, "generic"), G);
    assert_int_equal(onnxbn_isa_cap(A2, "generic"), G);
    assert_int_equal(onnxbn_isa_cap(A5, "avx512"), A5);
    /* never raises */
    assert_int_equal(onnxbn_isa_cap(A2, "avx512"), A2);
    assert_int_equal(onnxbn_isa_cap(G, "avx512"), G);
    assert_int_equal(onnxbn_isa_cap(G, "avx2"), G);
    /* unset, empty or unknown: the CPU's own level (exact, lower-case names only) */
    assert_int_equal(onnxbn_isa_cap(A5, NULL), A5);
    assert_int_equal(onnxbn_isa_cap(A5, ""), A5);
    assert_int_equal(onnxbn_isa_cap(A5, "sse2"), A5);
    assert_int_equal(onnxbn_isa_cap(A5, "AVX2"), A5);
    assert_int_equal(onnxbn_isa_cap(A5, "avx2 "), A5);
    assert_int_equal(onnxbn_isa_cap(A2, "bogus"), A2);
    assert_string_equal(onnxbn_isa_level_name(A5), "avx512");
    assert_string_equal(onnxbn_isa_level_name(A2), "avx2");
    assert_string_equal(onnxbn_isa_level_name(G), "generic");
}

/* This process: the level in force is the CPU's, capped by whatever ONNXBN_ISA the test runs
 * under (scripts/test.sh runs the unit tests under avx2 and generic too), and the kernel choices
 * follow it. */
static void test_in_force(void **state)
{
    (void)state;
    const onnxbn_isa_level want = onnxbn_isa_cap(onnxbn_isa_native(), getenv("ONNXBN_ISA"));
    assert_int_equal(onnxbn_isa(), want);
    assert_string_equal(onnxbn_cpu_isa(), onnxbn_isa_level_name(want));
    assert_true(onnxbn_pw_fast() == (want >= ONNXBN_ISA_AVX512));
    assert_true(onnxbn_sgemm_packed_fast() == (want >= ONNXBN_ISA_AVX512));
}

/* A depthwise 3x3 stride-1 node of 16x16 pixels: one the AVX-512 loop takes when allowed. */
static onnxbn_dw_impl dw_choice(void)
{
    onnxbn_conv_geom g;
    memset(&g, 0, sizeof g);
    g.nsp = 2;
    for (int d = 0; d < 2; d++) {
        g.img[d] = g.grid[d] = 16;
        g.k[d] = 3;
        g.stride[d] = g.dil[d] = 1;
        g.pad[d] = 1;
    }
    return onnxbn_dw_pick(&g);
}

/* In a fresh process (this binary run again: the level is decided once per process, and a forked
 * child would inherit the parent's): set ONNXBN_ISA before the first call, check the level and
 * the kernels chosen, then change the variable and check nothing moves. The exit code says which
 * check failed. */
static int child(const char *env)
{
    if (setenv("ONNXBN_ISA", env, 1) != 0)
        return 10;
    const onnxbn_isa_level want = onnxbn_isa_cap(onnxbn_isa_native(), env);
    if (onnxbn_isa() != want)
        return 11;
    if (strcmp(onnxbn_cpu_isa(), onnxbn_isa_level_name(want)) != 0)
        return 12;
    if (want < ONNXBN_ISA_AVX512 &&
        (onnxbn_pw_fast() || onnxbn_sgemm_packed_fast() || dw_choice() != ONNXBN_DW_PORTABLE))
        return 13;
    if (want == ONNXBN_ISA_AVX512 && (!onnxbn_pw_fast() || dw_choice() != ONNXBN_DW_AVX512))
        return 14;
    if (setenv("ONNXBN_ISA", strcmp(env, "generic") ? "generic" : "avx512", 1) != 0)
        return 10;
    if (onnxbn_isa() != want) /* read once: a later change is not seen */
        return 15;
    return 0;
}

/* self: this program's path (argv[0], given to the tests as their state; not /proc/self/exe,
 * which under valgrind is valgrind). */
static void run_child(const char *self, const char *env)
{
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(self, self, "--child", env, (char *)NULL);
        _exit(20);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_env_generic(void **state)
{
    run_child(*state, "generic");
}

static void test_env_avx2(void **state)
{
    run_child(*state, "avx2");
}

static void test_env_avx512(void **state)
{
    run_child(*state, "avx512");
}

static void test_env_unknown(void **state)
{
    run_child(*state, "pentium");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return child(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_in_force),
        cmocka_unit_test_prestate(test_env_generic, argv[0]),
        cmocka_unit_test_prestate(test_env_avx2, argv[0]),
        cmocka_unit_test_prestate(test_env_avx512, argv[0]),
        cmocka_unit_test_prestate(test_env_unknown, argv[0]),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
