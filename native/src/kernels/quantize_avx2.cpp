// quantize_avx2.cpp — AVX2 roundings: activations to Q8_0 blocks (and f32 rows to f16 for the KV cache, below), bit-identical to quantize_row_q8_0_ref
// (the matmul's activations of every token pass through it, once per matrix). Per block: the largest
// magnitude, d = amax / 127 (rounded to fp16 for the block, kept in f32 for the quants as ggml does), and
// round-half-away-from-zero of x / d built from truncation, as the reference does it. A block holding a
// non-finite value goes to the reference, whose NaN/inf handling is the definition. Compiled with -mavx2
// -mfma -mf16c.
#include <immintrin.h>

#include "kernels/matmul.h"

namespace gpt2 {

namespace {

// round_clamped(v, -128, 127) of the reference for 8 values, as int32.
inline __m256i round_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(v, t);
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), _mm256_set1_ps(1.f));
    const __m256 down = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ), _mm256_set1_ps(1.f));
    __m256 r = _mm256_sub_ps(_mm256_add_ps(t, up), down);
    r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-128.f)), _mm256_set1_ps(127.f));
    // NaN -> 0 as in the reference (0 * inf when d underflows to a subnormal and 1 / d overflows)
    return _mm256_cvtps_epi32(_mm256_and_ps(r, _mm256_cmp_ps(v, v, _CMP_ORD_Q)));
}

}  // namespace

void quantize_row_q8_0_avx2(const float *x, block_q8_0 *y, int64_t n) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t i = 0; i < n / QK8_0; ++i) {
        const float *xb = x + i * QK8_0;
        const __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
        const __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, abs_mask), _mm256_and_ps(v1, abs_mask)),
                                 _mm256_max_ps(_mm256_and_ps(v2, abs_mask), _mm256_and_ps(v3, abs_mask)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        // max_ps drops a NaN operand, so look for one explicitly; inf shows in amax
        const __m256 unordered = _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q), _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q));
        if (!(amax <= 3.402823466e38f) || _mm256_movemask_ps(unordered) != 0) {
            quantize_row_q8_0_ref(xb, y + i, QK8_0);
            continue;
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        const __m256 s = _mm256_set1_ps(id);
        const __m256i i0 = round_away(_mm256_mul_ps(v0, s)), i1 = round_away(_mm256_mul_ps(v1, s));
        const __m256i i2 = round_away(_mm256_mul_ps(v2, s)), i3 = round_away(_mm256_mul_ps(v3, s));
        const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        _mm256_storeu_si256((__m256i *)y[i].qs, _mm256_permutevar8x32_epi32(p, order));
    }
}

void convert_row_f32_to_f16_avx2(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        // a NaN keeps its payload in F16C; the reference makes it the canonical quiet NaN (as ggml)
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0) {
            convert_row_f32_to_f16(x + i, y + i, 8);
            continue;
        }
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    if (i < n) convert_row_f32_to_f16(x + i, y + i, n - i);
}

}  // namespace gpt2
