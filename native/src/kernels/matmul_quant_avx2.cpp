// matmul_quant_avx2.cpp — AVX2 row kernels for Q8_0 and Q4_0 weights against Q8_0 activations.
// Per 32-weight block: int8 products summed exactly in int32 (sign trick: |x| as u8 times sign(w, x) as
// s8 through maddubs/madd), converted to f32 and scaled by d_w * d_x into 8-lane accumulators, one per
// (weight row, token); the 8 lanes are summed once at the end. Compiled with -mavx2 -mfma -mf16c.
//
// Three loops, bit-identical per output (same int32 lanes, same order of additions, so a sequence's logits do not
// depend on what else shares its batch):
//   - stream (one token, or very long rows): reads each weight block once, prefetching the next row group;
//     decode is bound by memory bandwidth, so nothing is staged. Q4_0 multiplies its unsigned nibbles there
//     without the sign trick (Q4Nibbles: same lanes, same bits). With 2 tokens per pass it serves batched
//     decode (Q8_0 2-3 tokens, Q4_0 2-23).
//   - gemm_sign (Q8_0, 4 to 23 tokens, K <= 32 * kMaxBlocks: batched decode, speculative verification): per tile
//     of 16 tokens and group of 4 weight rows read in place, the rows' fp16 scales are widened once; then every
//     token pair runs a 4 x 2 micro-kernel whose scales d_w * d_x come precomputed from a small table (one
//     broadcast load each instead of two fp16 conversions, a multiply and a broadcast per block).
//   - the int16 gemm (24 tokens and more: prompts; matmul_quant_wide_avx2.cpp), when matmul_forward has widened
//     the activations (ActivationsQ8_0::widened).
#include <immintrin.h>

#include <cstdint>
#include <type_traits>

#include "kernels/matmul.h"
#include "kernels/quant_blocks_avx2.h"
#include "kernels/vec_avx2.h"

// No inline functions from other headers (std::min, ...) are used here: a copy compiled with this file's
// ISA flags could be the one the linker keeps for the baseline code too.

namespace gpt2 {

namespace {

constexpr int64_t kTokenTile = 16;     // tokens per tile of the sign-trick gemm (their activations stay in L1/L2)

using avx2::d16;   // quant_blocks_avx2.h
using avx2::hsum;   // vec_avx2.h
using avx2::kMaxBlocks;
using avx2::LoadQ4;
using avx2::LoadQ8;
using avx2::q4_quants;
using avx2::q8_quants;

// d_w * d_x of 4 rows' blocks in one conversion and one multiply (the same products as the scalar
// d16(w) * d_x of the gemm's table), repeated in both halves: lane r of each half is row r's, for
// _mm256_permute_ps to spread (0x00, 0x55, 0xaa, 0xff).
inline __m256 row_scales4(uint16_t h0, uint16_t h1, uint16_t h2, uint16_t h3, float dx) {
    __m128i h = _mm_cvtsi32_si128(h0);
    h = _mm_insert_epi16(h, h1, 1);
    h = _mm_insert_epi16(h, h2, 2);
    h = _mm_insert_epi16(h, h3, 3);
    const __m128 s4 = _mm_mul_ps(_mm_cvtph_ps(h), _mm_set1_ps(dx));
    return _mm256_set_m128(s4, s4);
}

// Products of |x| (u8) with sign(w, x) (s8), summed to 8 int32 lanes and converted to f32.
inline __m256 block_dot(__m256i ax, __m256i x, __m256i w) {
    const __m256i p16 = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(w, x));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

// ---- stream: one token at a time, weights read once ------------------------------------------------------

// How the stream loop multiplies a weight block with the token's block b. Token holds what every row group of
// one token shares (computed once per token), X what the 4 rows of a group share for block b (with its scale). Every policy
// gives exactly the sign trick's int32 lanes, so the f32 arithmetic after them, and the bits, are the gemm's.

// Any weight type L: |x| as u8 times sign(w, x) as s8.
template <typename L>
struct SignTrick {
    using B = typename L::B;
    struct Token {
        void init(const block_q8_0 *, int64_t) {}
    };
    struct X {
        __m256i v, a;   // x and |x|
        float d;        // x's scale
    };
    static X at(const block_q8_0 *xa, const Token &, int64_t b) {
        const __m256i v = q8_quants(xa[b]);
        return {v, _mm256_sign_epi8(v, v), d16(xa[b].d)};
    }
    static __m256 dot(const X &x, const B &w) { return block_dot(x.a, x.v, L::load(w)); }
};

// Q4_0 without the sign trick: the stored nibbles q = w + 8 are unsigned (0..15), so maddubs(q, x) multiplies
// them with the signed activations directly and exactly (|pair| <= 2 * 15 * 127 < 2^15). Each int32 lane is
// then the true lane plus 8 times the sum of its 4 activations; that correction depends only on the token's
// block, so it is computed once per token and shared by every row. Per row and block this saves the -8, the
// sign and the 128-bit insert of q4_quants: the 16 bytes are broadcast to both halves and the upper half
// shifted by 4 bits (one variable shift) before the mask. Rows of at most kMaxBlocks blocks.
struct Q4Nibbles {
    using B = block_q4_0;
    struct Token {
        __m256i corr[kMaxBlocks];   // 8 * (the sum of each int32 lane's 4 activations), per block
        float d[kMaxBlocks];        // the blocks' scales
        void init(const block_q8_0 *xa, int64_t nb) {
            for (int64_t b = 0; b < nb; ++b) {
                d[b] = d16(xa[b].d);
                const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q8_quants(xa[b])),
                                                    _mm256_set1_epi16(1));
                corr[b] = _mm256_slli_epi32(s, 3);
            }
        }
    };
    struct X {
        __m256i v, corr;
        float d;
    };
    static X at(const block_q8_0 *xa, const Token &tok, int64_t b) {
        return {q8_quants(xa[b]), tok.corr[b], tok.d[b]};
    }
    static __m256 dot(const X &x, const block_q4_0 &w) {
        const __m256i raw = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)w.qs));
        const __m256i q = _mm256_and_si256(_mm256_srlv_epi32(raw, _mm256_set_epi32(4, 4, 4, 4, 0, 0, 0, 0)),
                                           _mm256_set1_epi8(0x0f));
        const __m256i lanes = _mm256_madd_epi16(_mm256_maddubs_epi16(q, x.v), _mm256_set1_epi16(1));
        return _mm256_cvtepi32_ps(_mm256_sub_epi32(lanes, x.corr));
    }
};

// TT tokens (1 or 2) per pass over the weights, rows in groups of 4, each weight block read once for the pass and
// nothing staged: decode (TT = 1) is bound by memory bandwidth, and at two tokens (batched decode, short
// speculative checks) the gemm's tables cost as much as the products. An odd last token takes a pass of its own.
// For long rows with several tokens (besides the gemms' leftover rows, no GPT-2 shape has them) each pass reads
// the rows again.
template <typename D, int TT>
void matmul_quant_stream(float *y, const block_q8_0 *x, const typename D::B *w, const float *bias, int64_t T,
                         int64_t K, int64_t N, int64_t n0, int64_t n1) {
    using B = typename D::B;
    const int64_t nb = K / 32;
    constexpr int64_t kLines = (4 * (int64_t)sizeof(B) + 63) / 64;   // cache lines one step of 4 rows consumes
    typename D::Token tok[TT];
    int64_t t = 0;
    for (; t + TT <= T; t += TT) {
        const block_q8_0 *xt = x + t * nb;   // token t + j at xt + j * nb
        for (int j = 0; j < TT; ++j) tok[j].init(xt + j * nb, nb);
        int64_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const B *w0 = w + n * nb, *w1 = w0 + nb, *w2 = w1 + nb, *w3 = w2 + nb;
            __m256 a[TT][4];
#pragma GCC unroll 2
            for (int j = 0; j < TT; ++j) a[j][0] = a[j][1] = a[j][2] = a[j][3] = _mm256_setzero_ps();
            // Each weight is read once: prefetch the next row group (contiguous after this one) at the rate
            // this loop consumes its own.
            const char *ahead = (const char *)(w3 + nb);
            for (int64_t b = 0; b < nb; ++b) {
                const char *pf = ahead + b * 4 * (int64_t)sizeof(B);
                for (int64_t l = 0; l < kLines; ++l) _mm_prefetch(pf + 64 * l, _MM_HINT_T0);
                typename D::X xb[TT];
                __m256 s8[TT];
#pragma GCC unroll 2
                for (int j = 0; j < TT; ++j) {
                    xb[j] = D::at(xt + j * nb, tok[j], b);
                    s8[j] = row_scales4(w0[b].d, w1[b].d, w2[b].d, w3[b].d, xb[j].d);
                }
                // row by row, the tokens innermost: a row's block is loaded (and for Q4_0 unpacked) once
#pragma GCC unroll 2
                for (int j = 0; j < TT; ++j) {
                    a[j][0] = _mm256_fmadd_ps(_mm256_permute_ps(s8[j], 0x00), D::dot(xb[j], w0[b]), a[j][0]);
                }
#pragma GCC unroll 2
                for (int j = 0; j < TT; ++j) {
                    a[j][1] = _mm256_fmadd_ps(_mm256_permute_ps(s8[j], 0x55), D::dot(xb[j], w1[b]), a[j][1]);
                }
#pragma GCC unroll 2
                for (int j = 0; j < TT; ++j) {
                    a[j][2] = _mm256_fmadd_ps(_mm256_permute_ps(s8[j], 0xaa), D::dot(xb[j], w2[b]), a[j][2]);
                }
#pragma GCC unroll 2
                for (int j = 0; j < TT; ++j) {
                    a[j][3] = _mm256_fmadd_ps(_mm256_permute_ps(s8[j], 0xff), D::dot(xb[j], w3[b]), a[j][3]);
                }
            }
            for (int j = 0; j < TT; ++j) {
                float *ya = y + (t + j) * N + n;
                for (int r = 0; r < 4; ++r) ya[r] = hsum(a[j][r]);
                if (bias) {
                    for (int r = 0; r < 4; ++r) ya[r] += bias[n + r];
                }
            }
        }
        for (; n < n1; ++n) {  // leftover rows
            const B *w0 = w + n * nb;
            for (int j = 0; j < TT; ++j) {
                __m256 a0 = _mm256_setzero_ps();
                for (int64_t b = 0; b < nb; ++b) {
                    const typename D::X xb = D::at(xt + j * nb, tok[j], b);
                    a0 = _mm256_fmadd_ps(_mm256_set1_ps(d16(w0[b].d) * xb.d), D::dot(xb, w0[b]), a0);
                }
                float *ya = y + (t + j) * N + n;
                ya[0] = hsum(a0);
                if (bias) ya[0] += bias[n];
            }
        }
    }
    if (t < T) matmul_quant_stream<D, 1>(y + t * N, x + t * nb, w, bias, T - t, K, N, n0, n1);   // odd last token
}

// ---- gemm_sign: tiles of a few tokens against groups of 4 rows read in place --------------------------

// Q8_0 only (Q4_0 would unpack its nibbles first: its few tokens go through the stream loop in pairs).
void matmul_quant_gemm_sign(float *y, const block_q8_0 *x, const block_q8_0 *w, const float *bias, int64_t T,
                            int64_t K, int64_t N, int64_t n0, int64_t n1) {
    const int64_t nb = K / 32;
    alignas(32) float dx[kTokenTile * kMaxBlocks];   // [t][b] the tile's activation scales
    alignas(32) float dw[kMaxBlocks * 4];            // [b][r] the row group's weight scales
    alignas(32) float sc[kMaxBlocks * 8];            // [b][j * 4 + r] d_w * d_x of the token pair j = 0, 1
    constexpr int64_t kLines = (4 * (int64_t)sizeof(block_q8_0) + 63) / 64;   // lines one block of 4 rows spans
    const int64_t n4 = n0 + (n1 - n0) / 4 * 4;
    for (int64_t tt = 0; tt < T; tt += kTokenTile) {
        const int64_t te = T < tt + kTokenTile ? T : tt + kTokenTile;
        for (int64_t t = tt; t < te; ++t) {
            for (int64_t b = 0; b < nb; ++b) dx[(t - tt) * nb + b] = d16(x[t * nb + b].d);
        }
        for (int64_t n = n0; n < n4; n += 4) {
            const block_q8_0 *wr[4] = {w + n * nb, w + (n + 1) * nb, w + (n + 2) * nb, w + (n + 3) * nb};
            for (int64_t b = 0; b < nb; ++b) {
                for (int r = 0; r < 4; ++r) dw[b * 4 + r] = d16(wr[r][b].d);
            }
            int64_t t = tt;
            for (; t + 2 <= te; t += 2) {
                const float *da = dx + (t - tt) * nb, *db = da + nb;
                for (int64_t b = 0; b < nb; ++b) {
                    const __m128 d4 = _mm_load_ps(dw + b * 4);
                    _mm_store_ps(sc + b * 8, _mm_mul_ps(d4, _mm_set1_ps(da[b])));
                    _mm_store_ps(sc + b * 8 + 4, _mm_mul_ps(d4, _mm_set1_ps(db[b])));
                }
                const block_q8_0 *xa = x + t * nb, *xb = xa + nb;
                // With few tokens (batched decode) the weights come from memory, read once: the first pair
                // prefetches the next row group (contiguous after this one) at the rate it consumes this one.
                const char *ahead = t == tt && n + 4 < n4 ? (const char *)(w + (n + 4) * nb) : nullptr;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
                for (int64_t b = 0; b < nb; ++b) {
                    if (ahead) {
                        const char *pf = ahead + b * 4 * (int64_t)sizeof(block_q8_0);
                        for (int64_t l = 0; l < kLines; ++l) _mm_prefetch(pf + 64 * l, _MM_HINT_T0);
                    }
                    const __m256i va = _mm256_loadu_si256((const __m256i *)xa[b].qs);
                    const __m256i vb = _mm256_loadu_si256((const __m256i *)xb[b].qs);
                    const __m256i aa = _mm256_sign_epi8(va, va), ab = _mm256_sign_epi8(vb, vb);
                    const float *s = sc + b * 8;
                    __m256i wv = q8_quants(wr[0][b]);
                    a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 0), block_dot(aa, va, wv), a0);
                    c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 4), block_dot(ab, vb, wv), c0);
                    wv = q8_quants(wr[1][b]);
                    a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 1), block_dot(aa, va, wv), a1);
                    c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 5), block_dot(ab, vb, wv), c1);
                    wv = q8_quants(wr[2][b]);
                    a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 2), block_dot(aa, va, wv), a2);
                    c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 6), block_dot(ab, vb, wv), c2);
                    wv = q8_quants(wr[3][b]);
                    a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 3), block_dot(aa, va, wv), a3);
                    c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(s + 7), block_dot(ab, vb, wv), c3);
                }
                float *ya = y + t * N + n, *yb = ya + N;
                ya[0] = hsum(a0); ya[1] = hsum(a1); ya[2] = hsum(a2); ya[3] = hsum(a3);
                yb[0] = hsum(c0); yb[1] = hsum(c1); yb[2] = hsum(c2); yb[3] = hsum(c3);
                if (bias) {
                    for (int r = 0; r < 4; ++r) { ya[r] += bias[n + r]; yb[r] += bias[n + r]; }
                }
            }
            for (; t < te; ++t) {  // odd last token of the tile
                const block_q8_0 *xa = x + t * nb;
                const float *da = dx + (t - tt) * nb;
                __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
                for (int64_t b = 0; b < nb; ++b) {
                    const __m256i va = _mm256_loadu_si256((const __m256i *)xa[b].qs);
                    const __m256i aa = _mm256_sign_epi8(va, va);
                    for (int r = 0; r < 4; ++r) {
                        a[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw[b * 4 + r] * da[b]),
                                               block_dot(aa, va, q8_quants(wr[r][b])), a[r]);
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
    if (n4 < n1) matmul_quant_stream<SignTrick<LoadQ8>, 1>(y, x, w, bias, T, K, N, n4, n1);   // leftover rows
}

// L loads the weight type; D is the stream policy for rows of at most kMaxBlocks blocks (longer rows have no
// stack tables: the sign trick, one token at a time). From GEMM_MIN tokens on (below the int16 gemm's 24) the
// sign-trick gemm serves; fewer go through the stream loop in pairs. Measured on Zen 2, batched decode: q8_0 equal
// in both from 4 to 8 sequences and 4 % faster in the gemm at 12-16; q4_0 8-15 % faster in pairs at every count
// (the gemm would unpack its nibbles to int8 first), so q4_0 never takes that gemm.
template <typename L, typename D, int64_t GEMM_MIN>
void matmul_quant_avx2(float *y, const ActivationsQ8_0 &x, const typename L::B *w, const float *bias, int64_t T,
                       int64_t K, int64_t N, int64_t n0, int64_t n1) {
    if (x.widened) {   // many tokens (matmul_quant_wide_avx2.cpp)
        const int64_t n4 = n0 + (n1 - n0) / 4 * 4;
        avx2::matmul_quant_wide(y, x, w, bias, T, K, N, n0, n4);
        if (n4 < n1) matmul_quant_stream<D, 1>(y, x.blocks, w, bias, T, K, N, n4, n1);   // leftover rows
    }
    else if (K / 32 > kMaxBlocks) {
        matmul_quant_stream<SignTrick<L>, 1>(y, x.blocks, w, bias, T, K, N, n0, n1);
    }
    else if (T == 1) matmul_quant_stream<D, 1>(y, x.blocks, w, bias, T, K, N, n0, n1);
    else if (T < GEMM_MIN) matmul_quant_stream<D, 2>(y, x.blocks, w, bias, T, K, N, n0, n1);
    else if constexpr (std::is_same_v<typename L::B, block_q8_0>) {
        matmul_quant_gemm_sign(y, x.blocks, w, bias, T, K, N, n0, n1);
    }
}

}  // namespace

void matmul_q8_0_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                      int64_t n0, int64_t n1) {
    matmul_quant_avx2<LoadQ8, SignTrick<LoadQ8>, 4>(y, *(const ActivationsQ8_0 *)x, (const block_q8_0 *)w, bias, T,
                                                    K, N, n0, n1);
}

void matmul_q4_0_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                      int64_t n0, int64_t n1) {
    // every token count below the int16 gemm's goes through the stream loop in pairs (see matmul_quant_avx2)
    matmul_quant_avx2<LoadQ4, Q4Nibbles, INT64_MAX>(y, *(const ActivationsQ8_0 *)x, (const block_q4_0 *)w, bias, T,
                                                    K, N, n0, n1);
}

}  // namespace gpt2
