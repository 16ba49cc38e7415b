// matmul_quant_avx512.cpp — AVX-512 VNNI row kernels for Q8_0 and Q4_0 weights against Q8_0 activations.
// Two 32-weight blocks share one zmm: |x| (u8) times sign(w, x) (s8) through vpdpbusd gives exact int32
// sums (lanes 0-7 block b, 8-15 block b+1), converted to f32 and scaled by each block's d_w * d_x.
// Micro-kernel: 4 weight rows x 2 tokens. An odd last block runs on 256-bit VNNI.
#include <immintrin.h>

// GCC 12 flags the deliberately undefined upper lanes inside its own AVX-512 intrinsics
// (_mm512_cvtph_ps, _mm512_reduce_add_ps) as (maybe-)uninitialized; the values are well defined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/matmul.h"

// No inline functions from other headers (std::min, ...) are used here: a copy compiled with this file's
// ISA flags could be the one the linker keeps for the baseline code too.

namespace gpt2 {

namespace {

constexpr int64_t kTokenTile = 16;  // tokens per tile of activations

inline float d16(uint16_t h) { return _cvtsh_ss(h); }

inline __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

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

// Activations of a block pair: |x| and the mask of negative x.
struct XPair {
    __m512i ax;
    __mmask64 neg;
};

inline XPair x_pair(const block_q8_0 &b0, const block_q8_0 &b1) {
    const __m512i v = join(_mm256_loadu_si256((const __m256i *)b0.qs), _mm256_loadu_si256((const __m256i *)b1.qs));
    return {_mm512_abs_epi8(v), _mm512_movepi8_mask(v)};
}

inline __m512 pair_dot(const XPair &xp, __m512i w) {
    const __m512i sw = _mm512_mask_sub_epi8(w, xp.neg, _mm512_setzero_si512(), w);
    return _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), xp.ax, sw));
}

inline __m512 pair_scale(float s0, float s1) {
    return _mm512_insertf32x8(_mm512_set1_ps(s0), _mm256_set1_ps(s1), 1);
}

// Sum of the 8 lanes, in one fixed order (the pair and the single-token loops must add alike).
inline float hsum8(__m256 d) {
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(d), _mm256_extractf128_ps(d, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

inline __m256 single_dot(__m256i x, __m256i w) {
    const __m256i ax = _mm256_abs_epi8(x);
    const __m256i sw = _mm256_mask_sub_epi8(w, _mm256_movepi8_mask(x), _mm256_setzero_si256(), w);
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sw));
}

// One row x one token: the dot over all blocks (used for leftover rows and tokens).
// AHEAD (may be null): the row to prefetch at the same pace (decode reads every weight once).
template <typename L>
float row_dot(const typename L::B *wr, const block_q8_0 *xr, int64_t nb, const typename L::B *ahead) {
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        if (ahead) {
            _mm_prefetch((const char *)(ahead + b), _MM_HINT_T0);
            _mm_prefetch((const char *)(ahead + b) + 64, _MM_HINT_T0);
        }
        const XPair xp = x_pair(xr[b], xr[b + 1]);
        const __m512 s = pair_scale(d16(wr[b].d) * d16(xr[b].d), d16(wr[b + 1].d) * d16(xr[b + 1].d));
        acc = _mm512_fmadd_ps(s, pair_dot(xp, join(L::load(wr[b]), L::load(wr[b + 1]))), acc);
    }
    float r = _mm512_reduce_add_ps(acc);
    if (b < nb) {
        const __m256 d = single_dot(_mm256_loadu_si256((const __m256i *)xr[b].qs), L::load(wr[b]));
        r += d16(wr[b].d) * d16(xr[b].d) * hsum8(d);
    }
    return r;
}

template <typename L>
void matmul_quant_avx512(float *y, const block_q8_0 *x, const typename L::B *w, const float *bias, int64_t T,
                         int64_t K, int64_t N, int64_t n0, int64_t n1) {
    const int64_t nb = K / 32, nb2 = nb & ~(int64_t)1;
    for (int64_t tt = 0; tt < T; tt += kTokenTile) {
        const int64_t te = T < tt + kTokenTile ? T : tt + kTokenTile;
        int64_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const typename L::B *wr[4] = {w + n * nb, w + (n + 1) * nb, w + (n + 2) * nb, w + (n + 3) * nb};
            int64_t t = tt;
            for (; t + 2 <= te; t += 2) {
                const block_q8_0 *xa = x + t * nb, *xb = xa + nb;
                __m512 a[4], c[4];
                for (int r = 0; r < 4; ++r) a[r] = c[r] = _mm512_setzero_ps();
                for (int64_t b = 0; b < nb2; b += 2) {
                    const XPair pa = x_pair(xa[b], xa[b + 1]), pb = x_pair(xb[b], xb[b + 1]);
                    const float da0 = d16(xa[b].d), da1 = d16(xa[b + 1].d);
                    const float db0 = d16(xb[b].d), db1 = d16(xb[b + 1].d);
                    for (int r = 0; r < 4; ++r) {
                        const __m512i wv = join(L::load(wr[r][b]), L::load(wr[r][b + 1]));
                        const float w0 = d16(wr[r][b].d), w1 = d16(wr[r][b + 1].d);
                        a[r] = _mm512_fmadd_ps(pair_scale(w0 * da0, w1 * da1), pair_dot(pa, wv), a[r]);
                        c[r] = _mm512_fmadd_ps(pair_scale(w0 * db0, w1 * db1), pair_dot(pb, wv), c[r]);
                    }
                }
                float *ya = y + t * N + n, *yb = ya + N;
                for (int r = 0; r < 4; ++r) {
                    ya[r] = _mm512_reduce_add_ps(a[r]);
                    yb[r] = _mm512_reduce_add_ps(c[r]);
                    if (nb2 < nb) {  // odd last block
                        const __m256i wv = L::load(wr[r][nb2]);
                        const float dw = d16(wr[r][nb2].d);
                        const __m256 da = single_dot(_mm256_loadu_si256((const __m256i *)xa[nb2].qs), wv);
                        const __m256 db = single_dot(_mm256_loadu_si256((const __m256i *)xb[nb2].qs), wv);
                        ya[r] += dw * d16(xa[nb2].d) * hsum8(da);
                        yb[r] += dw * d16(xb[nb2].d) * hsum8(db);
                    }
                    if (bias) { ya[r] += bias[n + r]; yb[r] += bias[n + r]; }
                }
            }
            for (; t < te; ++t) {
                const block_q8_0 *xa = x + t * nb;
                for (int r = 0; r < 4; ++r) {
                    y[t * N + n + r] = row_dot<L>(wr[r], xa, nb, wr[r] + 4 * nb);
                    if (bias) y[t * N + n + r] += bias[n + r];
                }
            }
        }
        for (; n < n1; ++n) {  // leftover rows
            for (int64_t t = tt; t < te; ++t) {
                y[t * N + n] = row_dot<L>(w + n * nb, x + t * nb, nb, nullptr);
                if (bias) y[t * N + n] += bias[n];
            }
        }
    }
}

}  // namespace

void matmul_q8_0_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                        int64_t n0, int64_t n1) {
    matmul_quant_avx512<LoadQ8>(y, ((const ActivationsQ8_0 *)x)->blocks, (const block_q8_0 *)w, bias, T, K, N, n0, n1);
}

void matmul_q4_0_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                        int64_t n0, int64_t n1) {
    matmul_quant_avx512<LoadQ4>(y, ((const ActivationsQ8_0 *)x)->blocks, (const block_q4_0 *)w, bias, T, K, N, n0, n1);
}

}  // namespace gpt2
