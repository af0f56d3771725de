/* clones.h — ONNXBN_CLONES marks a plain C loop that the compiler vectorises: the library is built
 * for the x86-64 baseline (SSE2, 4 lanes), and with GCC on Linux such a function is also built for
 * AVX2 and AVX-512, the copy for the CPU at hand picked once when the library loads (ifunc). */
#ifndef ONNXBN_KERNELS_CLONES_H
#define ONNXBN_KERNELS_CLONES_H

/* Not under ThreadSanitizer: the ifunc resolvers run while the program is being relocated, before
 * its runtime is up, and the instrumented resolver crashes at load. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) &&     \
    !defined(ONNXBN_NO_CLONES) && !defined(__SANITIZE_THREAD__)
#define ONNXBN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ONNXBN_CLONES
#endif

#endif
