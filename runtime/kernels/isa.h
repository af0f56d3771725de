/* SPDX-License-Identifier: Apache-2.0 */
/* isa.h — the instruction-set level the kernels may use: what the CPU has, capped by the
 * environment variable ONNXBN_ISA (avx512|avx2|generic), so that every path can be run on one machine. */
#ifndef ONNXBN_KERNELS_ISA_H
#define ONNXBN_KERNELS_ISA_H

/* Ordered: a level includes the ones below it. */
typedef enum { ONNXBN_ISA_GENERIC = 0, ONNXBN_ISA_AVX2 = 1, ONNXBN_ISA_AVX512 = 2 } onnxbn_isa_level;

/* The level in force for the whole process, decided on the first call and never changed. */
onnxbn_isa_level onnxbn_isa(void);
/* What the CPU offers (AVX-512F with FMA, AVX2 with FMA, or neither), ignoring ONNXBN_ISA. */
onnxbn_isa_level onnxbn_isa_native(void);
/* native lowered to what `env` asks for; NULL, "" or an unknown value leave it as it is. */
onnxbn_isa_level onnxbn_isa_cap(onnxbn_isa_level native, const char *env);
/* "avx512", "avx2", "generic". */
const char *onnxbn_isa_level_name(onnxbn_isa_level l);

#endif
