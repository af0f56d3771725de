/* SPDX-License-Identifier: Apache-2.0 */
/* fft.h — the discrete Fourier transform of one complex sequence of any length n in O(n log n):
 * a plan made once per length (twiddles in double), then any number of in-place transforms. */
#ifndef ONNXBN_KERNELS_FFT_H
#define ONNXBN_KERNELS_FFT_H

#include <stdbool.h>
#include <stddef.h>

/* A plan for length n. Powers of two run an iterative radix-2 FFT in place; lengths whose primes
 * are all at most 13 (10, 12, 60, 1000 ...) a recursive mixed-radix one (radix 4 first, then 2, 3,
 * 5, 7, 11, 13); every other length Bluestein's chirp-z transform, a convolution done by radix-2
 * FFTs of the next power of two at or above 2n-1 (the chirp's FFT made with the plan, so two run
 * per transform). */
typedef struct onnxbn_fft onnxbn_fft;

/* Longest sequence a plan is made for (a Bluestein plan of about that length would hold 2^28
 * complex doubles: callers hold plans to a byte limit, onnxbn_fft_plan_bytes). */
#define ONNXBN_FFT_MAX_N ((size_t)1 << 26)

/* NULL when n is 0 or above ONNXBN_FFT_MAX_N, or memory runs out. */
onnxbn_fft *onnxbn_fft_new(size_t n);
void onnxbn_fft_free(void *plan); /* a plan or NULL; void * to serve as an op's free_state */
size_t onnxbn_fft_len(const onnxbn_fft *p);
/* Bytes a plan for length n holds (twiddles; Bluestein's chirp and its FFT), for limits; 0 for 0. */
size_t onnxbn_fft_plan_bytes(size_t n);
/* Doubles of scratch onnxbn_fft_run needs for length n (0 for powers of two, 2n for mixed radix). */
size_t onnxbn_fft_scratch(size_t n);

/* x: n complex values interleaved (re, im), transformed in place. Forward: X[k] = sum x[j]
 * e^{-2 pi i jk/n}; inverse: the same with e^{+...}, NOT divided by n (the caller scales). */
void onnxbn_fft_run(const onnxbn_fft *p, double *x, bool inverse, double *scratch);

#endif
