// peak_avx2.cpp — the arithmetic ceilings of the AVX2 path, measured rather than assumed (gpt2-probe prints
// them so benchmarks can state achieved GOP/s as a share of what the instruction mix allows): register-only
// loops of the exact instruction sequence the integer gemm uses per 32 weights (two int16 madds, an add, a
// convert, an fma) and of plain f32 FMAs, with enough independent chains to hide latencies.
#include <immintrin.h>

#include "kernels/peak.h"

namespace gpt2 {

double peak_int8_loop_avx2(int64_t iters) {
    // The gemm's step for 8 (row, token) pairs of one block, as matmul_quant_avx2.cpp runs it: per pair two int16
    // madds, an add, a conversion and an fma. Every pair has its own weights: an earlier version of this loop gave
    // pairs j and j + 4 the same weights, so the compiler shared half the products and the "ceiling" it printed
    // was 1.6x too high. x passes through an empty asm each iteration, so nothing can be hoisted out of the loop.
    __m256i x0 = _mm256_set1_epi16(3), x1 = _mm256_set1_epi16(-5);
    __m256i w[8];
    for (int j = 0; j < 8; ++j) w[j] = _mm256_set1_epi16((int16_t)(3 * j - 11));
    __m256 acc[8];
    for (int j = 0; j < 8; ++j) acc[j] = _mm256_setzero_ps();
    const __m256 s = _mm256_set1_ps(1e-9f);
    for (int64_t i = 0; i < iters; ++i) {
        __asm__ volatile("" : "+x"(x0), "+x"(x1));
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) {
            const __m256i p = _mm256_add_epi32(_mm256_madd_epi16(w[j], x0), _mm256_madd_epi16(w[(j + 1) & 7], x1));
            acc[j] = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(p), acc[j]);
        }
    }
    float sink = 0;
    for (int j = 0; j < 8; ++j) sink += _mm256_cvtss_f32(acc[j]);
    return (double)sink;
}

double peak_f32_loop_avx2(int64_t iters) {
    // 10 independent FMA chains of 8 lanes: 80 multiply-adds per iteration
    __m256 acc[10];
    for (int j = 0; j < 10; ++j) acc[j] = _mm256_set1_ps((float)j);
    __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-3f);
    for (int64_t i = 0; i < iters; ++i) {
        for (int j = 0; j < 10; ++j) acc[j] = _mm256_fmadd_ps(a, acc[j], b);
        __asm__ volatile("" : "+x"(a), "+x"(b));
    }
    float sink = 0;
    for (int j = 0; j < 10; ++j) sink += _mm256_cvtss_f32(acc[j]);
    return (double)sink;
}

}  // namespace gpt2
