// attention_avx2.cpp — 8-wide attention of one head. Scores: 8 keys at a time, each a vector dot with the
// query, the 8 partial-sum vectors reduced together by a transpose-add (no per-key horizontal sum); softmax
// with the vector exp of vec_avx2.h; the weighted sum of values keeps 64 outputs in registers while it walks
// the positions. Keys and values are f32 or f16 (widened with F16C as they are read). Head sizes that are not
// a multiple of 8 use the scalar kernel.
#include <immintrin.h>
#include <math.h>  // INFINITY

#include "kernels/attention.h"
#include "kernels/vec_avx2.h"

namespace gpt2 {

namespace {

// 8 keys or values as f32, from f32 or f16 storage.
inline __m256 load8(const float *p) { return _mm256_loadu_ps(p); }
inline __m256 load8(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

// Lane j of the result = the sum of the 8 lanes of a[j].
inline __m256 transpose_sum8(const __m256 a[8]) {
    const __m256 s01 = _mm256_hadd_ps(a[0], a[1]), s23 = _mm256_hadd_ps(a[2], a[3]);
    const __m256 s45 = _mm256_hadd_ps(a[4], a[5]), s67 = _mm256_hadd_ps(a[6], a[7]);
    const __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
    // s0123 = [a0 a1 a2 a3 (low halves) | a0 a1 a2 a3 (high halves)], likewise s4567 for a4..a7
    const __m256 lo = _mm256_permute2f128_ps(s0123, s4567, 0x20), hi = _mm256_permute2f128_ps(s0123, s4567, 0x31);
    return _mm256_add_ps(lo, hi);
}

// scores[p] = q . k_p * scale for p in [0, n_pos); returns the largest.
template <typename E>
float attention_scores(float *scores, const float *q, const E *k, int64_t stride, int64_t n_pos, int64_t hs,
                       float scale) {
    const __m256 vscale = _mm256_set1_ps(scale);
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    int64_t p = 0;
    for (; p + 8 <= n_pos; p += 8) {
        __m256 acc[8];
        for (int j = 0; j < 8; ++j) acc[j] = _mm256_setzero_ps();
        for (int64_t i = 0; i < hs; i += 8) {
            const __m256 qv = _mm256_loadu_ps(q + i);
            for (int j = 0; j < 8; ++j) acc[j] = _mm256_fmadd_ps(qv, load8(k + (p + j) * stride + i), acc[j]);
        }
        const __m256 s = _mm256_mul_ps(transpose_sum8(acc), vscale);
        _mm256_storeu_ps(scores + p, s);
        vmax = _mm256_max_ps(vmax, s);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, vmax);
    float max_score = lanes[0];
    for (int j = 1; j < 8; ++j) max_score = lanes[j] > max_score ? lanes[j] : max_score;
    for (; p < n_pos; ++p) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < hs; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8(k + p * stride + i), acc);
        scores[p] = avx2::hsum(acc) * scale;
        max_score = scores[p] > max_score ? scores[p] : max_score;
    }
    return max_score;
}

// scores[p] = exp(scores[p] - max) in place; returns their sum.
float softmax_numerators(float *scores, int64_t n_pos, float max_score) {
    const __m256 vmax = _mm256_set1_ps(max_score);
    __m256 vsum = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= n_pos; p += 8) {
        const __m256 e = avx2::exp(_mm256_sub_ps(_mm256_loadu_ps(scores + p), vmax));
        _mm256_storeu_ps(scores + p, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = avx2::hsum(vsum);
    if (p < n_pos) {
        alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int64_t j = p; j < n_pos; ++j) tail[j - p] = scores[j] - max_score;
        alignas(32) float e[8];
        _mm256_store_ps(e, avx2::exp(_mm256_load_ps(tail)));
        for (int64_t j = p; j < n_pos; ++j) {
            scores[j] = e[j - p];
            sum += e[j - p];
        }
    }
    return sum;
}

// The kernel for keys/values stored as E (float or f16 bits); hs a multiple of 8.
template <typename E>
void attention_head(float *out, const float *q, const E *k, const E *v, int64_t stride, int64_t n_pos, int64_t hs,
                    float scale, float *scores) {
    // scores (n_pos) = q . k_p * scale, softmaxed; out (hs) = sum_p scores_p v_p
    const float max_score = attention_scores(scores, q, k, stride, n_pos, hs, scale);
    const __m256 inv = _mm256_set1_ps(1.0f / softmax_numerators(scores, n_pos, max_score));
    // 64 outputs (8 registers) per walk over the positions: GPT-2's head size in one walk, so each value row
    // (128 bytes of f16) is read whole and once, in address order, which the hardware prefetcher follows;
    // two walks of 32 read every other cache line twice over.
    for (int64_t i0 = 0; i0 < hs; i0 += 64) {
        const int64_t nv = (hs - i0) / 8 < 8 ? (hs - i0) / 8 : 8;
        __m256 acc[8];
        for (int j = 0; j < 8; ++j) acc[j] = _mm256_setzero_ps();
        for (int64_t p = 0; p < n_pos; ++p) {
            const __m256 w = _mm256_broadcast_ss(scores + p);
            const E *vp = v + p * stride + i0;
            for (int64_t j = 0; j < nv; ++j) acc[j] = _mm256_fmadd_ps(w, load8(vp + 8 * j), acc[j]);
        }
        for (int64_t j = 0; j < nv; ++j) _mm256_storeu_ps(out + i0 + 8 * j, _mm256_mul_ps(acc[j], inv));
    }
}

}  // namespace

void attention_head_avx2(float *out, const float *q, const float *k, const float *v, int64_t stride,
                         int64_t n_pos, int64_t hs, float scale, float *scores) {
    if (hs % 8 != 0) attention_head_ref(out, q, k, v, stride, n_pos, hs, scale, scores);
    else attention_head(out, q, k, v, stride, n_pos, hs, scale, scores);
}

void attention_head_f16_avx2(float *out, const float *q, const uint16_t *k, const uint16_t *v, int64_t stride,
                             int64_t n_pos, int64_t hs, float scale, float *scores) {
    if (hs % 8 != 0) attention_head_f16_ref(out, q, k, v, stride, n_pos, hs, scale, scores);
    else attention_head(out, q, k, v, stride, n_pos, hs, scale, scores);
}

}  // namespace gpt2
