// matmul_quant_avx2.cpp — AVX2 row kernels for Q8_0 and Q4_0 weights against Q8_0 activations.
// Per 32-weight block: int8 products summed exactly in int32 (sign trick: |x| as u8 times sign(w, x) as
// s8 through maddubs/madd), converted to f32 and scaled by d_w * d_x into 8-lane accumulators.
// Micro-kernel: 4 weight rows x 2 tokens. Compiled with -mavx2 -mfma -mf16c.
#include <immintrin.h>

#include "kernels/matmul.h"

// No inline functions from other headers (std::min, ...) are used here: a copy compiled with this file's
// ISA flags could be the one the linker keeps for the baseline code too.

namespace gpt2 {

namespace {

constexpr int64_t kTokenTile = 16;  // tokens per tile (16 x K/32 blocks of activations stay in L1/L2)

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

struct LoadQ8 {
    using B = block_q8_0;
    static __m256i load(const block_q8_0 &b) { return _mm256_loadu_si256((const __m256i *)b.qs); }
};

struct LoadQ4 {
    using B = block_q4_0;
    static __m256i load(const block_q4_0 &b) {
        const __m128i raw = _mm_loadu_si128((const __m128i *)b.qs);
        const __m128i m = _mm_set1_epi8(0x0f);
        const __m128i lo = _mm_and_si128(raw, m), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m);
        return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
    }
};

// Products of |x| (u8) with sign(w, x) (s8), summed to 8 int32 lanes and converted to f32.
inline __m256 block_dot(__m256i ax, __m256i x, __m256i w) {
    const __m256i p16 = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(w, x));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

inline float d16(uint16_t h) { return _cvtsh_ss(h); }

template <typename L>
void matmul_quant_avx2(float *y, const block_q8_0 *x, const typename L::B *w, const float *bias, int64_t T,
                       int64_t K, int64_t N, int64_t n0, int64_t n1) {
    const int64_t nb = K / 32;
    for (int64_t tt = 0; tt < T; tt += kTokenTile) {
        const int64_t te = T < tt + kTokenTile ? T : tt + kTokenTile;
        int64_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const typename L::B *w0 = w + n * nb, *w1 = w0 + nb, *w2 = w1 + nb, *w3 = w2 + nb;
            int64_t t = tt;
            for (; t + 2 <= te; t += 2) {
                const block_q8_0 *xa = x + t * nb, *xb = xa + nb;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
                const char *ahead = (const char *)(w3 + nb);  // next row group, as in the 1-token loop
                for (int64_t b = 0; b < nb; ++b) {
                    const char *pf = ahead + b * 4 * (int64_t)sizeof(typename L::B);
                    _mm_prefetch(pf, _MM_HINT_T0);
                    _mm_prefetch(pf + 64, _MM_HINT_T0);
                    _mm_prefetch(pf + 128, _MM_HINT_T0);
                    const __m256i va = _mm256_loadu_si256((const __m256i *)xa[b].qs);
                    const __m256i vb = _mm256_loadu_si256((const __m256i *)xb[b].qs);
                    const __m256i aa = _mm256_sign_epi8(va, va), ab = _mm256_sign_epi8(vb, vb);
                    const float da = d16(xa[b].d), db = d16(xb[b].d);
                    float dw = d16(w0[b].d);
                    __m256i wv = L::load(w0[b]);
                    a0 = _mm256_fmadd_ps(_mm256_set1_ps(dw * da), block_dot(aa, va, wv), a0);
                    c0 = _mm256_fmadd_ps(_mm256_set1_ps(dw * db), block_dot(ab, vb, wv), c0);
                    dw = d16(w1[b].d);
                    wv = L::load(w1[b]);
                    a1 = _mm256_fmadd_ps(_mm256_set1_ps(dw * da), block_dot(aa, va, wv), a1);
                    c1 = _mm256_fmadd_ps(_mm256_set1_ps(dw * db), block_dot(ab, vb, wv), c1);
                    dw = d16(w2[b].d);
                    wv = L::load(w2[b]);
                    a2 = _mm256_fmadd_ps(_mm256_set1_ps(dw * da), block_dot(aa, va, wv), a2);
                    c2 = _mm256_fmadd_ps(_mm256_set1_ps(dw * db), block_dot(ab, vb, wv), c2);
                    dw = d16(w3[b].d);
                    wv = L::load(w3[b]);
                    a3 = _mm256_fmadd_ps(_mm256_set1_ps(dw * da), block_dot(aa, va, wv), a3);
                    c3 = _mm256_fmadd_ps(_mm256_set1_ps(dw * db), block_dot(ab, vb, wv), c3);
                }
                float *ya = y + t * N + n, *yb = ya + N;
                ya[0] = hsum(a0); ya[1] = hsum(a1); ya[2] = hsum(a2); ya[3] = hsum(a3);
                yb[0] = hsum(c0); yb[1] = hsum(c1); yb[2] = hsum(c2); yb[3] = hsum(c3);
                if (bias) {
                    for (int r = 0; r < 4; ++r) { ya[r] += bias[n + r]; yb[r] += bias[n + r]; }
                }
            }
            for (; t < te; ++t) {
                const block_q8_0 *xa = x + t * nb;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                // Decode reads each weight once: prefetch the next row group (contiguous after this one),
                // ~3 cache lines per step for the 4 x 34 bytes this step consumes.
                const char *ahead = (const char *)(w3 + nb);
                for (int64_t b = 0; b < nb; ++b) {
                    const char *pf = ahead + b * 4 * (int64_t)sizeof(typename L::B);
                    _mm_prefetch(pf, _MM_HINT_T0);
                    _mm_prefetch(pf + 64, _MM_HINT_T0);
                    _mm_prefetch(pf + 128, _MM_HINT_T0);
                    const __m256i va = _mm256_loadu_si256((const __m256i *)xa[b].qs);
                    const __m256i aa = _mm256_sign_epi8(va, va);
                    const float da = d16(xa[b].d);
                    a0 = _mm256_fmadd_ps(_mm256_set1_ps(d16(w0[b].d) * da), block_dot(aa, va, L::load(w0[b])), a0);
                    a1 = _mm256_fmadd_ps(_mm256_set1_ps(d16(w1[b].d) * da), block_dot(aa, va, L::load(w1[b])), a1);
                    a2 = _mm256_fmadd_ps(_mm256_set1_ps(d16(w2[b].d) * da), block_dot(aa, va, L::load(w2[b])), a2);
                    a3 = _mm256_fmadd_ps(_mm256_set1_ps(d16(w3[b].d) * da), block_dot(aa, va, L::load(w3[b])), a3);
                }
                float *ya = y + t * N + n;
                ya[0] = hsum(a0); ya[1] = hsum(a1); ya[2] = hsum(a2); ya[3] = hsum(a3);
                if (bias) {
                    for (int r = 0; r < 4; ++r) ya[r] += bias[n + r];
                }
            }
        }
        for (; n < n1; ++n) {  // leftover rows
            const typename L::B *w0 = w + n * nb;
            for (int64_t t = tt; t < te; ++t) {
                const block_q8_0 *xa = x + t * nb;
                __m256 a0 = _mm256_setzero_ps();
                for (int64_t b = 0; b < nb; ++b) {
                    const __m256i va = _mm256_loadu_si256((const __m256i *)xa[b].qs);
                    a0 = _mm256_fmadd_ps(_mm256_set1_ps(d16(w0[b].d) * d16(xa[b].d)),
                                         block_dot(_mm256_sign_epi8(va, va), va, L::load(w0[b])), a0);
                }
                y[t * N + n] = hsum(a0) + (bias ? bias[n] : 0.f);
            }
        }
    }
}

}  // namespace

void matmul_q8_0_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                      int64_t n0, int64_t n1) {
    matmul_quant_avx2<LoadQ8>(y, (const block_q8_0 *)x, (const block_q8_0 *)w, bias, T, K, N, n0, n1);
}

void matmul_q4_0_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                      int64_t n0, int64_t n1) {
    matmul_quant_avx2<LoadQ4>(y, (const block_q8_0 *)x, (const block_q4_0 *)w, bias, T, K, N, n0, n1);
}

}  // namespace gpt2
