// attention_avx512.cpp — 16-wide attention of one head: vector dots for the scores, scalar exp softmax,
// vector axpy for the weighted sum of values. Head sizes that are not a multiple of 16 finish in scalar.
#include <immintrin.h>

// GCC 12 flags the deliberately undefined upper lanes inside its own AVX-512 intrinsics
// (_mm512_cvtph_ps, _mm512_reduce_add_ps) as (maybe-)uninitialized; the values are well defined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <math.h>  // expf: a libm call, not an inline std:: function compiled with this file's ISA

#include "kernels/attention.h"

namespace gpt2 {

void attention_head_avx512(float *out, const float *q, const float *k, const float *v, int64_t stride,
                         int64_t n_pos, int64_t hs, float scale, float *scores) {
    // scores (n_pos) = q . k_p * scale, softmaxed; out (hs) = sum_p scores_p v_p
    const int64_t hv = hs - hs % 16;
    float max_score = -INFINITY;
    for (int64_t p = 0; p < n_pos; ++p) {
        const float *kp = k + p * stride;
        __m512 acc = _mm512_setzero_ps();
        for (int64_t i = 0; i < hv; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(kp + i), acc);
        alignas(64) float lanes[16];
        _mm512_store_ps(lanes, acc);
        float dot = 0.f;
        for (int j = 0; j < 16; ++j) dot += lanes[j];
        for (int64_t i = hv; i < hs; ++i) dot += q[i] * kp[i];
        scores[p] = dot * scale;
        if (scores[p] > max_score) max_score = scores[p];
    }
    double sum = 0.0;
    for (int64_t p = 0; p < n_pos; ++p) {
        scores[p] = expf(scores[p] - max_score);
        sum += scores[p];
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < hs; ++i) out[i] = 0.f;
    for (int64_t p = 0; p < n_pos; ++p) {
        const float wp = scores[p] * inv;
        const __m512 wv = _mm512_set1_ps(wp);
        const float *vp = v + p * stride;
        for (int64_t i = 0; i < hv; i += 16) {
            _mm512_storeu_ps(out + i, _mm512_fmadd_ps(wv, _mm512_loadu_ps(vp + i), _mm512_loadu_ps(out + i)));
        }
        for (int64_t i = hv; i < hs; ++i) out[i] += wp * vp[i];
    }
}

}  // namespace gpt2
