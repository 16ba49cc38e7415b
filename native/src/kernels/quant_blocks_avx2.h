// quant_blocks_avx2.h — what the AVX2 Q8_0/Q4_0 kernel files share: loading a block's 32 quants as int8 and
// the entry points of the int16 gemm (matmul_quant_wide_avx2.cpp). Include only from files compiled with -mavx2
// -mfma -mf16c; the helpers have internal linkage, so no copy can be shared with baseline code.
#pragma once

#include <immintrin.h>

#include "kernels/matmul.h"

namespace gpt2 {
namespace avx2 {

constexpr int64_t kMaxBlocks = 256;   // the gemms' stack tables cover rows of up to 256 blocks (K <= 8192)

// Rows [n0, n1) of y for T >= 2 tokens by the int16 gemm, from x.widened; n1 - n0 a multiple of 4, K <= 32 *
// kMaxBlocks.
void matmul_quant_wide(float *y, const ActivationsQ8_0 &x, const block_q8_0 *w, const float *bias, int64_t T,
                       int64_t K, int64_t N, int64_t n0, int64_t n1);
void matmul_quant_wide(float *y, const ActivationsQ8_0 &x, const block_q4_0 *w, const float *bias, int64_t T,
                       int64_t K, int64_t N, int64_t n0, int64_t n1);

namespace {

inline float d16(uint16_t h) { return _cvtsh_ss(h); }

// The 32 signed quants of a block.
inline __m256i q8_quants(const block_q8_0 &b) { return _mm256_loadu_si256((const __m256i *)b.qs); }

inline __m256i q4_quants(const block_q4_0 &b) {
    const __m128i raw = _mm_loadu_si128((const __m128i *)b.qs);
    const __m128i m = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(raw, m), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m);
    return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
}

struct LoadQ8 {
    using B = block_q8_0;
    static __m256i load(const block_q8_0 &b) { return q8_quants(b); }
};

struct LoadQ4 {
    using B = block_q4_0;
    static __m256i load(const block_q4_0 &b) { return q4_quants(b); }
};

}  // namespace
}  // namespace avx2
}  // namespace gpt2
