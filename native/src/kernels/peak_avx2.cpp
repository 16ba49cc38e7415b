// peak_avx2.cpp — the arithmetic ceilings of the AVX2 path, measured rather than assumed (gpt2-probe prints
// them so benchmarks can state achieved GOP/s as a share of what the instruction mix allows): register-only
// loops of the exact instruction sequence the integer kernels use per 32 weights (sign, maddubs, madd,
// convert, fma) and of plain f32 FMAs, with enough independent chains to hide latencies.
#include <immintrin.h>

#include "kernels/peak.h"

namespace gpt2 {

double peak_int8_loop_avx2(int64_t iters) {
    // 8 independent (row, token) dot chains, as the 4 x 2 micro-kernel: 8 x 32 multiply-adds per iteration.
    // x passes through an empty asm each iteration, so nothing can be hoisted out of the loop.
    __m256i x = _mm256_set1_epi8(3);
    const __m256i w[4] = {_mm256_set1_epi8(-2), _mm256_set1_epi8(5), _mm256_set1_epi8(-7), _mm256_set1_epi8(11)};
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[8];
    for (int j = 0; j < 8; ++j) acc[j] = _mm256_setzero_ps();
    const __m256 s = _mm256_set1_ps(1e-9f);
    for (int64_t i = 0; i < iters; ++i) {
        __asm__ volatile("" : "+x"(x));
        const __m256i ax = _mm256_sign_epi8(x, x);
        for (int j = 0; j < 8; ++j) {
            const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w[j & 3], x)), ones);
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
