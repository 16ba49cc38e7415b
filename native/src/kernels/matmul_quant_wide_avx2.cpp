// matmul_quant_wide_avx2.cpp — the AVX2 Q8_0/Q4_0 gemm for prompts and other batches of many tokens: two int16
// madds per (weight row, token, block) instead of the sign trick's sign, maddubs and madd. Every output gets the
// same exact int32 lanes, the same f32 arithmetic after them and so the same bits as matmul_quant_avx2.cpp's loops
// (test_kernels proves it on both sides of the switch). Compiled with -mavx2 -mfma -mf16c.
#include <immintrin.h>

#include "kernels/matmul.h"
#include "kernels/quant_blocks_avx2.h"
#include "kernels/vec_avx2.h"

// No inline functions from other headers (std::min, ...) are used here: a copy compiled with this file's
// ISA flags could be the one the linker keeps for the baseline code too.

namespace gpt2 {
namespace avx2 {

namespace {

// Below this many tokens the weight rows' staging costs more than the int16 products save (measured on Zen 2:
// equal at 16 tokens, +6 % at 32, +12 % at 256), and matmul_quant_avx2.cpp's sign-trick gemm reads them in place.
constexpr int64_t kWideMinTokens = 24;

// Why int16: without VNNI the sign trick costs a sign, a maddubs and a madd per (row, token, block); two madds of
// int16 quants give the same exact int32 lanes with no sign and run 10-15 % faster on Zen 2 (measured in L1, 4 x 2
// tiles: 0.87 vs 0.99 ns per row-token block). The activations are widened once per product (matmul_forward),
// the weights once per row group, and every token then streams past the group.

// A block's 32 quants widened to int16 in the order the products need: the first 16 hold, in 32-bit lane k,
// quants 4k and 4k+1, the second 16 quants 4k+2 and 4k+3. madd(w0, x0) + madd(w1, x1) is then, lane for lane, the
// sign trick's exact int32 sum of quants 4k..4k+3, so the f32 arithmetic after it, and the bits, are the stream
// loop's.
inline void widen_block(__m256i q, int16_t *dst) {
    const __m256 lo = _mm256_castsi256_ps(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(q)));        // pairs 0..7
    const __m256 hi = _mm256_castsi256_ps(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1)));   // pairs 8..15
    const __m256i even = _mm256_castps_si256(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));  // 0 2 8 10 4 6 12 14
    const __m256i odd = _mm256_castps_si256(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));   // 1 3 9 11 5 7 13 15
    _mm256_storeu_si256((__m256i *)dst, _mm256_permute4x64_epi64(even, _MM_SHUFFLE(3, 1, 2, 0)));
    _mm256_storeu_si256((__m256i *)(dst + 16), _mm256_permute4x64_epi64(odd, _MM_SHUFFLE(3, 1, 2, 0)));
}

// 4 rows' blocks widened, block-major ([b][r][32]: one step of the kernel reads 256 contiguous bytes), and their
// scales in f32 ([b][r]).
template <typename L>
void stage_rows(const typename L::B *w, int64_t nb, int16_t *wq, float *dw) {
    for (int64_t b = 0; b < nb; ++b) {
        for (int r = 0; r < 4; ++r) {
            const typename L::B &blk = w[r * nb + b];
            widen_block(L::load(blk), wq + (b * 4 + r) * 32);
            dw[b * 4 + r] = d16(blk.d);
        }
    }
}

// The 8 exact int32 lanes of one widened weight block times one widened activation block (x0, x1), in f32.
inline __m256 wide_dot(const int16_t *w, __m256i x0, __m256i x1) {
    const __m256i p0 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)w), x0);
    const __m256i p1 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(w + 16)), x1);
    return _mm256_cvtepi32_ps(_mm256_add_epi32(p0, p1));
}

inline __m256i wide_load(const int16_t *x) { return _mm256_loadu_si256((const __m256i *)x); }

template <typename L>
void matmul_quant_gemm_wide(float *y, const ActivationsQ8_0 &x, const typename L::B *w, const float *bias, int64_t T,
                        int64_t K, int64_t N, int64_t n0, int64_t n1) {
    const int64_t nb = K / 32;
    alignas(32) int16_t wq[kMaxBlocks * 4 * 32];   // [b][r][32] the row group's widened quants
    alignas(32) float dw[kMaxBlocks * 4];          // [b][r] their scales
    alignas(32) float sc[kMaxBlocks * 8];          // [b][j * 4 + r] d_w * d_x of the token pair j = 0, 1
    for (int64_t n = n0; n < n1; n += 4) {
        stage_rows<L>(w + n * nb, nb, wq, dw);
        int64_t t = 0;
        for (; t + 2 <= T; t += 2) {
            const float *da = x.scales + t * nb, *db = da + nb;
            for (int64_t b = 0; b < nb; ++b) {
                const __m128 d4 = _mm_load_ps(dw + b * 4);
                _mm_store_ps(sc + b * 8, _mm_mul_ps(d4, _mm_set1_ps(da[b])));
                _mm_store_ps(sc + b * 8 + 4, _mm_mul_ps(d4, _mm_set1_ps(db[b])));
            }
            const int16_t *xa = x.widened + t * K, *xb = xa + K;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            for (int64_t b = 0; b < nb; ++b) {
                const __m256i xa0 = wide_load(xa + b * 32), xa1 = wide_load(xa + b * 32 + 16);
                const __m256i xb0 = wide_load(xb + b * 32), xb1 = wide_load(xb + b * 32 + 16);
                const int16_t *wb = wq + b * 128;
                const float *s = sc + b * 8;
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 0), wide_dot(wb, xa0, xa1), a0);
                c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 4), wide_dot(wb, xb0, xb1), c0);
                a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 1), wide_dot(wb + 32, xa0, xa1), a1);
                c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 5), wide_dot(wb + 32, xb0, xb1), c1);
                a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 2), wide_dot(wb + 64, xa0, xa1), a2);
                c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 6), wide_dot(wb + 64, xb0, xb1), c2);
                a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 3), wide_dot(wb + 96, xa0, xa1), a3);
                c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 7), wide_dot(wb + 96, xb0, xb1), c3);
            }
            float *ya = y + t * N + n, *yb = ya + N;
            ya[0] = hsum(a0); ya[1] = hsum(a1); ya[2] = hsum(a2); ya[3] = hsum(a3);
            yb[0] = hsum(c0); yb[1] = hsum(c1); yb[2] = hsum(c2); yb[3] = hsum(c3);
            if (bias) {
                for (int r = 0; r < 4; ++r) { ya[r] += bias[n + r]; yb[r] += bias[n + r]; }
            }
        }
        if (t < T) {  // odd last token
            const int16_t *xa = x.widened + t * K;
            const float *da = x.scales + t * nb;
            __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
            for (int64_t b = 0; b < nb; ++b) {
                const __m256i x0 = wide_load(xa + b * 32), x1 = wide_load(xa + b * 32 + 16);
                for (int r = 0; r < 4; ++r) {
                    const __m256 p = wide_dot(wq + (b * 4 + r) * 32, x0, x1);
                    a[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw[b * 4 + r] * da[b]), p, a[r]);
                }
            }
            float *ya = y + t * N + n;
            for (int r = 0; r < 4; ++r) ya[r] = hsum(a[r]);
            if (bias) {
                for (int r = 0; r < 4; ++r) ya[r] += bias[n + r];
            }
        }
    }
}

}  // namespace

void matmul_quant_wide(float *y, const ActivationsQ8_0 &x, const block_q8_0 *w, const float *bias, int64_t T,
                       int64_t K, int64_t N, int64_t n0, int64_t n1) {
    matmul_quant_gemm_wide<LoadQ8>(y, x, w, bias, T, K, N, n0, n1);
}

void matmul_quant_wide(float *y, const ActivationsQ8_0 &x, const block_q4_0 *w, const float *bias, int64_t T,
                       int64_t K, int64_t N, int64_t n0, int64_t n1) {
    matmul_quant_gemm_wide<LoadQ4>(y, x, w, bias, T, K, N, n0, n1);
}

}  // namespace avx2

bool matmul_quant_avx2_widens(int64_t T, int64_t K) {
    return T >= avx2::kWideMinTokens && K / 32 <= avx2::kMaxBlocks;
}

void widen_q8_0_avx2(const block_q8_0 *x, int16_t *widened, float *scales, int64_t nb) {
    for (int64_t b = 0; b < nb; ++b) {
        avx2::widen_block(avx2::q8_quants(x[b]), widened + b * 32);
        scales[b] = avx2::d16(x[b].d);
    }
}

}  // namespace gpt2
