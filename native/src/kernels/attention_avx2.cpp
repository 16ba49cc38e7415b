// attention_avx2.cpp — 8-wide attention of one head. Scores: 8 keys at a time, each a vector dot with the
// query, the 8 partial-sum vectors reduced together by a transpose-add (no per-key horizontal sum); softmax
// with the vector exp of vec_avx2.h; the weighted sum of values keeps 64 outputs in registers while it walks
// the positions. Keys and values are f32, f16 (widened with F16C as they are read) or q8_0 (int8 widened to f32,
// each block's scale applied once per key and once per value row). Head sizes that are not a multiple of 8 use
// the scalar kernel.
#include <immintrin.h>
#include <math.h>  // INFINITY

#include "kernels/attention.h"
#include "kernels/vec_avx2.h"

namespace gpt2 {

namespace {

// 8 keys or values as f32, from f32 or f16 storage.
inline __m256 load8(const float *p) { return _mm256_loadu_ps(p); }
inline __m256 load8(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

// acc + q . row, 8 lanes: f32 and f16 rows element by element; q8_0 rows block by block, the int8 quants (exact
// in f32) dotted with q first and the block's scale applied once.
template <typename E>
inline __m256 key_dot(__m256 acc, const float *q, const E *row, int64_t hs) {
    for (int64_t i = 0; i < hs; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8(row + i), acc);
    return acc;
}

inline __m256 quants8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

inline __m256 key_dot(__m256 acc, const float *q, const block_q8_0 *row, int64_t hs) {
    for (int64_t b = 0; b < hs / 32; ++b) {
        const float *qb = q + b * 32;
        const int8_t *kb = row[b].qs;
        __m256 t = _mm256_mul_ps(_mm256_loadu_ps(qb), quants8(kb));
        t = _mm256_fmadd_ps(_mm256_loadu_ps(qb + 8), quants8(kb + 8), t);
        t = _mm256_fmadd_ps(_mm256_loadu_ps(qb + 16), quants8(kb + 16), t);
        t = _mm256_fmadd_ps(_mm256_loadu_ps(qb + 24), quants8(kb + 24), t);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(row[b].d)), t, acc);
    }
    return acc;
}

// acc[j] += w * row[i0 + 8j .. +8] for j < nv (nv <= 8): the weighted sum of values, one row.
template <typename E>
inline void value_axpy(__m256 *acc, int64_t nv, float w, const E *row, int64_t i0) {
    const __m256 wv = _mm256_set1_ps(w);
    for (int64_t j = 0; j < nv; ++j) acc[j] = _mm256_fmadd_ps(wv, load8(row + i0 + 8 * j), acc[j]);
}

inline void value_axpy(__m256 *acc, int64_t nv, float w, const block_q8_0 *row, int64_t i0) {
    // i0 is a multiple of 64, so every run of 8 lies inside one block; w * d once per block
    for (int64_t j = 0; j < nv; j += 4) {
        const block_q8_0 &blk = row[(i0 + 8 * j) / 32];
        const __m256 c = _mm256_set1_ps(w * _cvtsh_ss(blk.d));
        for (int64_t u = j; u < nv && u < j + 4; ++u) acc[u] = _mm256_fmadd_ps(c, quants8(blk.qs + 8 * (u - j)), acc[u]);
    }
}

// Bytes of a cached row of hs values.
inline int64_t row_bytes(const float *, int64_t hs) { return hs * 4; }
inline int64_t row_bytes(const uint16_t *, int64_t hs) { return hs * 2; }
inline int64_t row_bytes(const block_q8_0 *, int64_t hs) { return hs / 32 * (int64_t)sizeof(block_q8_0); }

// Starts loading the row kAhead positions on: a head's rows are read once, in order, straight from memory at a
// long context, and the hardware prefetcher alone left a thread at ~10 GB/s (measured: q8_0 rows 2.0 -> 1.6 ms
// per 144 heads x 1000 positions, one thread).
constexpr int64_t kAhead = 32;
template <typename E>
inline void prefetch_row(const E *row, int64_t stride, int64_t hs) {
    const char *p = (const char *)(row + kAhead * stride);
    for (int64_t off = 0; off < row_bytes(row, hs); off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

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
        for (int j = 0; j < 8; ++j) {
            prefetch_row(k + (p + j) * stride, stride, hs);
            acc[j] = key_dot(_mm256_setzero_ps(), q, k + (p + j) * stride, hs);
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
        scores[p] = avx2::hsum(key_dot(_mm256_setzero_ps(), q, k + p * stride, hs)) * scale;
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

// The kernel for keys/values stored as E (float, f16 bits or q8_0 blocks; stride counts E); hs a multiple of 8
// (of 32 for q8_0).
template <typename E>
void attention_head(float *out, const float *q, const E *k, const E *v, int64_t stride, int64_t n_pos, int64_t hs,
                    float scale, float *scores) {
    // scores (n_pos) = q . k_p * scale, softmaxed; out (hs) = sum_p scores_p v_p
    const float max_score = attention_scores(scores, q, k, stride, n_pos, hs, scale);
    const __m256 inv = _mm256_set1_ps(1.0f / softmax_numerators(scores, n_pos, max_score));
    // 64 outputs (8 registers) per walk over the positions: GPT-2's head size in one walk, so each value row
    // (128 bytes of f16, 68 of q8_0) is read whole and once, in address order, which the hardware prefetcher follows;
    // two walks of 32 read every other cache line twice over.
    for (int64_t i0 = 0; i0 < hs; i0 += 64) {
        const int64_t nv = (hs - i0) / 8 < 8 ? (hs - i0) / 8 : 8;
        __m256 acc[8];
        for (int j = 0; j < 8; ++j) acc[j] = _mm256_setzero_ps();
        for (int64_t p = 0; p < n_pos; ++p) {
            if (i0 == 0) prefetch_row(v + p * stride, stride, hs);
            value_axpy(acc, nv, scores[p], v + p * stride, i0);
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

void attention_head_q8_0_avx2(float *out, const float *q, const block_q8_0 *k, const block_q8_0 *v, int64_t stride,
                              int64_t n_pos, int64_t hs, float scale, float *scores) {
    if (hs % 32 != 0) attention_head_q8_0_ref(out, q, k, v, stride, n_pos, hs, scale, scores);
    else attention_head(out, q, k, v, stride, n_pos, hs, scale, scores);
}

}  // namespace gpt2
