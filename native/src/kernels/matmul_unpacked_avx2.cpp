// matmul_unpacked_avx2.cpp — the AVX2 dot of one unpacked weight row (int8 quants, per-16 scales) with the
// int8 activations of T tokens (see matmul_unpacked.h). Per 32 weights: |x| (u8) times sign(q, x) (s8) through
// maddubs/madd gives 8 exact int32 sums, lanes 0-3 covering the first 16 weights and 4-7 the second, so one
// vector holding the two sub-block scales (times the activations' scale) scales them in one FMA. Four tokens
// share each loaded weight vector; a token alone adds in the same order, so its output ignores its batch.
// The offsets (min) are a short f32 dot with the per-token activation sums. Compiled with -mavx2 -mfma -mf16c.
#include <immintrin.h>

#include "kernels/matmul_unpacked.h"
#include "kernels/vec_avx2.h"

// No inline functions from other headers are used here (see matmul_quant_avx2.cpp).

namespace gpt2 {

namespace {

using avx2::hsum;   // vec_avx2.h

// The scales of sub-blocks 2c and 2c + 1: lanes 0-3 and 4-7.
inline __m256 pair_scales(const float *scale, int64_t c, __m256i spread) {
    const __m128 two = _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(scale + 2 * c)));
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(two), spread);
}

// 8 int32 sums of q * x over 32 weights, as f32.
inline __m256 dot32(__m256i w, __m256i xv) {
    const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(xv, xv), _mm256_sign_epi8(w, xv));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

inline __m256i load_x(const int8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }

// sum_j min[j] * sx[j] over ns entries.
inline float offset_dot(const float *min, const float *sx, int64_t ns) {
    __m256 acc = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= ns; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(min + j), _mm256_loadu_ps(sx + j), acc);
    float s = hsum(acc);
    for (; j < ns; ++j) s += min[j] * sx[j];
    return s;
}

}  // namespace

void unpacked_dot_avx2(float *y, int64_t y_stride, ActivationsQ8 x, const int8_t *q, const float *scale,
                       const float *min, const float *sx, int64_t T, int64_t K) {
    const int64_t nb = K / 32, ns = K / 16;
    const __m256i spread = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    int64_t t = 0;
    for (; t + 4 <= T; t += 4) {
        const int8_t *x0 = x.xq + t * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
        const float *d0 = x.xd + t * nb, *d1 = d0 + nb, *d2 = d1 + nb, *d3 = d2 + nb;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t c = 0; c < nb; ++c) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)(q + 32 * c));
            const __m256 s = pair_scales(scale, c, spread);
            a0 = _mm256_fmadd_ps(_mm256_mul_ps(s, _mm256_set1_ps(d0[c])), dot32(w, load_x(x0 + 32 * c)), a0);
            a1 = _mm256_fmadd_ps(_mm256_mul_ps(s, _mm256_set1_ps(d1[c])), dot32(w, load_x(x1 + 32 * c)), a1);
            a2 = _mm256_fmadd_ps(_mm256_mul_ps(s, _mm256_set1_ps(d2[c])), dot32(w, load_x(x2 + 32 * c)), a2);
            a3 = _mm256_fmadd_ps(_mm256_mul_ps(s, _mm256_set1_ps(d3[c])), dot32(w, load_x(x3 + 32 * c)), a3);
        }
        y[(t + 0) * y_stride] = hsum(a0) - (min ? offset_dot(min, sx + (t + 0) * ns, ns) : 0.f);
        y[(t + 1) * y_stride] = hsum(a1) - (min ? offset_dot(min, sx + (t + 1) * ns, ns) : 0.f);
        y[(t + 2) * y_stride] = hsum(a2) - (min ? offset_dot(min, sx + (t + 2) * ns, ns) : 0.f);
        y[(t + 3) * y_stride] = hsum(a3) - (min ? offset_dot(min, sx + (t + 3) * ns, ns) : 0.f);
    }
    for (; t < T; ++t) {  // the same additions as the 4-token loop, so a token's output ignores its batch
        const int8_t *xt = x.xq + t * K;
        const float *dt = x.xd + t * nb;
        __m256 a0 = _mm256_setzero_ps();
        for (int64_t c = 0; c < nb; ++c) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)(q + 32 * c));
            const __m256 s = pair_scales(scale, c, spread);
            a0 = _mm256_fmadd_ps(_mm256_mul_ps(s, _mm256_set1_ps(dt[c])), dot32(w, load_x(xt + 32 * c)), a0);
        }
        y[t * y_stride] = hsum(a0) - (min ? offset_dot(min, sx + t * ns, ns) : 0.f);
    }
}

}  // namespace gpt2
