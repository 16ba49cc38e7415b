// matmul.h — y = x W^T + b for every weight type and kernel path, split across a thread pool by output rows.
//
// Shapes (llm.c legend: T tokens, K = in features, N = out features): x is (T, K) f32, W is (N, K) in the
// weight's own type (row n = the K weights of output n, see tensor.h), b is (N) f32 or null, y is (T, N).
// F32/F16 weights multiply the f32 activations directly (f32 accumulation, several independent
// accumulators). Every quantized type multiplies activations first quantized to Q8_0 blocks (T, K/32), as ggml
// does: an exact int32 dot per block (per 16 weights for the sub-block types), scaled by both scales and summed
// in f32. Q8_0/Q4_0 have kernels of their own per path; the other quantized types unpack each weight row to
// int8 once per call (matmul_unpacked.h).
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

// x: const float * (T, K) for F32/F16/BF16 weights, const ActivationsQ8_0 * (below) for Q8_0/Q4_0 weights, and
// const ActivationsQ8 * (matmul_unpacked.h) for the other quantized types.
// w: N rows of type_row_bytes(type, K) bytes. bias may be null. y rows have stride N.
// What the Q8_0/Q4_0 kernels multiply: the activations rounded to Q8_0 blocks, (T, K/32). Where the AVX2 gemm
// runs (matmul_quant_avx2_widens), also the same quants widened to int16 in that gemm's lane order, (T, K), and
// the blocks' scales in f32, (T, K/32): made once per matrix product and shared by all threads, not per row group.
struct ActivationsQ8_0 {
    const block_q8_0 *blocks;
    const int16_t *widened;   // null when the path does not read it
    const float *scales;      // null with widened
};

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

// Whether the AVX2 Q8_0/Q4_0 kernels run their int16 gemm for T tokens of K inputs (and so read
// ActivationsQ8_0::widened), and the widening of one token's nb blocks (matmul_quant_avx2.cpp).
bool matmul_quant_avx2_widens(int64_t T, int64_t K);
void widen_q8_0_avx2(const block_q8_0 *x, int16_t *widened, float *scales, int64_t nb);
// AVX-512 F/BW/VL/DQ + VNNI (matmul_*_avx512.cpp).
void matmul_f32_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                       int64_t N, int64_t n0, int64_t n1);
void matmul_f16_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                       int64_t N, int64_t n0, int64_t n1);
void matmul_q8_0_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                        int64_t N, int64_t n0, int64_t n1);
void matmul_q4_0_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K,
                        int64_t N, int64_t n0, int64_t n1);

// BF16: each weight row is widened once to f32 and multiplied with the f32 activations of all T tokens
// (matmul_dequant.cpp).
template <gpt2_type TYPE>
void matmul_dequant(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                    int64_t n0, int64_t n1);

// The row kernel for weight TYPE on PATH (throws GPT2_ERR_INTERNAL for an unsupported type).
MatmulRowsFn matmul_kernel(gpt2_type type, CpuPath path);
// True when TYPE's kernels take Q8_0 blocks; matmul_takes_unpacked: ActivationsQ8.
bool matmul_takes_q8_0(gpt2_type type);
bool matmul_takes_unpacked(gpt2_type type);

// Activations rounded to Q8_0 blocks (n a multiple of 32), bit-identical to quantize_row_q8_0_ref
// (quantize_avx2.cpp), and the rounding function of PATH.
void quantize_row_q8_0_avx2(const float *x, block_q8_0 *y, int64_t n);
using QuantizeRowQ8Fn = void (*)(const float *x, block_q8_0 *y, int64_t n);
QuantizeRowQ8Fn quantize_row_q8_0_kernel(CpuPath path);
// f32 -> f16 rows (the KV cache), round to nearest even with F16C; bit-identical to convert_row_f32_to_f16.
void convert_row_f32_to_f16_avx2(const float *x, uint16_t *y, int64_t n);

// Reusable buffers for quantized activations.
struct MatmulScratch {
    std::vector<block_q8_0> xq;   // Q8_0/Q4_0 weights
    std::vector<int16_t> xw;      // and their AVX2 gemm's widened quants
    std::vector<float> xs;        // with the blocks' scales
    std::vector<int8_t> aq;       // the unpacked types (ActivationsQ8, matmul_unpacked.h)
    std::vector<float> ad;
};

// y (T, N) = x (T, K) W^T + b on the active CPU path, all pool threads. W's ne = {K, N}. Throws
// GPT2_ERR_INTERNAL if K does not suit the weight type (a multiple of 32 for the block types).
void matmul_forward(float *y, const float *x, const TensorView &w, const float *bias, int64_t T, ThreadPool &pool,
                    MatmulScratch &scratch);
// Same on an explicit PATH (tests compare paths).
void matmul_forward_path(float *y, const float *x, const TensorView &w, const float *bias, int64_t T,
                         ThreadPool &pool, MatmulScratch &scratch, CpuPath path);

}  // namespace gpt2
