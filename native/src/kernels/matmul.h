// matmul.h — y = x W^T + b for every weight type and kernel path, split across a thread pool by output rows.
//
// Shapes (llm.c legend: T tokens, K = in features, N = out features): x is (T, K) f32, W is (N, K) in the
// weight's own type (row n = the K weights of output n, see tensor.h), b is (N) f32 or null, y is (T, N).
// F32/F16 weights multiply the f32 activations directly (f32 accumulation, several independent
// accumulators). Q8_0/Q4_0 weights multiply activations first quantized to Q8_0 blocks (T, K/32), as ggml
// does: an exact int32 dot per block, scaled by both block scales and summed in f32.
//
// The row kernels compute rows [n0, n1) of y for all T tokens; each fast kernel keeps a group of weight rows
// in registers/L1 while it walks a tile of tokens, so a prompt reuses every weight row across the batch.
#pragma once

#include <cstdint>
#include <vector>

#include "gpt2.h"
#include "kernels/cpu_features.h"
#include "kernels/thread_pool.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

namespace gpt2 {

// x: const float * (T, K) for F32/F16 weights, const block_q8_0 * (T, K/32) for Q8_0/Q4_0 weights.
// w: N rows of type_row_bytes(type, K) bytes. bias may be null. y rows have stride N.
using MatmulRowsFn = void (*)(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                              int64_t N, int64_t n0, int64_t n1);

// Scalar references (float64 accumulation for F32/F16; exact int32 block dots for Q8_0/Q4_0). They are
// also the portable fallback path.
void matmul_f32_ref(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                    int64_t n0, int64_t n1);
void matmul_f16_ref(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                    int64_t n0, int64_t n1);
void matmul_q8_0_ref(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1);
void matmul_q4_0_ref(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1);

// AVX2 + FMA + F16C (matmul_*_avx2.cpp).
void matmul_f32_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1);
void matmul_f16_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1);
void matmul_q8_0_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                      int64_t n0, int64_t n1);
void matmul_q4_0_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                      int64_t n0, int64_t n1);

// AVX-512 F/BW/VL/DQ + VNNI (matmul_*_avx512.cpp).
void matmul_f32_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                       int64_t N, int64_t n0, int64_t n1);
void matmul_f16_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                       int64_t N, int64_t n0, int64_t n1);
void matmul_q8_0_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                        int64_t N, int64_t n0, int64_t n1);
void matmul_q4_0_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                        int64_t N, int64_t n0, int64_t n1);

// Every other type (Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K..Q6_K, BF16): each weight row is dequantized once to f32
// and multiplied with the f32 activations of all T tokens (matmul_dequant.cpp).
template <gpt2_type TYPE>
void matmul_dequant(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                    int64_t n0, int64_t n1);

// The row kernel for weight TYPE on PATH (throws GPT2_ERR_INTERNAL for an unsupported type).
MatmulRowsFn matmul_kernel(gpt2_type type, CpuPath path);
// True when TYPE's kernels take Q8_0-quantized activations.
bool matmul_takes_q8_0(gpt2_type type);

// Reusable buffer for quantized activations.
struct MatmulScratch {
    std::vector<block_q8_0> xq;
};

// y (T, N) = x (T, K) W^T + b on the active CPU path, all pool threads. W's ne = {K, N}. Throws
// GPT2_ERR_INTERNAL if K does not suit the weight type (a multiple of 32 for the block types).
void matmul_forward(float *y, const float *x, const TensorView &w, const float *bias, int64_t T, ThreadPool &pool,
                    MatmulScratch &scratch);
// Same on an explicit PATH (tests compare paths).
void matmul_forward_path(float *y, const float *x, const TensorView &w, const float *bias, int64_t T,
                         ThreadPool &pool, MatmulScratch &scratch, CpuPath path);

}  // namespace gpt2
