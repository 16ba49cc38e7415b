// matmul_unpacked.h — integer matmul for the weight types that unpack to int8 quants with per-16 scales
// (Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K..Q6_K; see unpack_row_* in tensor/quant.h) against int8 activations, as
// ggml computes them: per 16 weights an exact int32 dot of quants and activations, times the sub-block's scale
// and the activations' scale; an offset type subtracts min[j] * (scale * sum of the 16 activations).
//
// The activations are quantized the way llama.cpp quantizes them for the same weight type, so both runtimes
// round the same numbers: the k-quants get one f32 scale per 256 values (-127 / the signed largest, ggml's
// Q8_K), the 32-blocks types one per 32 (largest magnitude / 127, stored as fp16: ggml's Q8_0 / Q8_1).
//
// The row kernel (matmul_unpacked<TYPE, PATH>, matmul_unpacked.cpp) unpacks each weight row once into a
// per-thread buffer and runs the path's dot over all T tokens, so a prompt pays the unpacking once per row.
// The path-specific pieces below take plain pointers only (no buffers of their own): the ISA-flagged files
// must not instantiate library templates the baseline code could end up sharing.
#pragma once

#include <cstdint>

#include "gpt2.h"
#include "kernels/cpu_features.h"
#include "tensor/quant.h"

namespace gpt2 {

// Quantized activations of T tokens: xq (T, K) int8 and xd (T, K/32) f32, value k of token t =
// xd[t * K/32 + k/32] * xq[t * K + k]. The row kernels of the unpacked types take a pointer to one of these.
struct ActivationsQ8 {
    const int8_t *xq;
    const float  *xd;
};

// Quantizes one token's K activations for weight TYPE (see above; K a multiple of the type's block).
void quantize_activations(gpt2_type type, const float *x, int64_t K, int8_t *xq, float *xd);

// y[t * y_stride] = sum_j scale[j] * xd_t[j/2] * sum_{k in 16j..16j+15} q[k] xq_t[k]
//                   - sum_j min[j] * sx[t * K/16 + j]          (the second sum only when min is non-null)
// for t in [0, T); sx holds xd * (sum of each 16 activations) per token.
using UnpackedDotFn = void (*)(float *y, int64_t y_stride, ActivationsQ8 x, const int8_t *q, const float *scale,
                               const float *min, const float *sx, int64_t T, int64_t K);

void unpacked_dot_ref(float *y, int64_t y_stride, ActivationsQ8 x, const int8_t *q, const float *scale,
                      const float *min, const float *sx, int64_t T, int64_t K);
void unpacked_dot_avx2(float *y, int64_t y_stride, ActivationsQ8 x, const int8_t *q, const float *scale,
                       const float *min, const float *sx, int64_t T, int64_t K);

// AVX2 unpackers for the types people use most; bit-identical output to the scalar unpack_row_*
// (unpack_avx2.cpp).
void unpack_row_q4_K_avx2(const void *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q5_K_avx2(const void *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q6_K_avx2(const void *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q5_0_avx2(const void *x, int64_t n, int8_t *q, float *scale, float *min);

// The unpacker for TYPE on PATH: the AVX2 one where it exists and the path allows, else the scalar one;
// nullptr for a type that does not unpack.
UnpackRowFn unpack_row_kernel(gpt2_type type, CpuPath path);

// The row kernel (MatmulRowsFn signature, see matmul.h) of an unpackable TYPE on PATH.
template <gpt2_type TYPE, CpuPath PATH>
void matmul_unpacked(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1);

}  // namespace gpt2
