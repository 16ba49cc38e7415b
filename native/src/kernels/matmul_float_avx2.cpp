// matmul_float_avx2.cpp — AVX2/FMA row kernels for F32 and F16 (F16C) weights against f32 activations.
// Micro-kernel: 3 weight rows x 4 tokens = 12 independent 8-lane f32 accumulators; weight rows stay in L1
// while a tile of tokens streams past them (decode, one token, is the same kernel with one token column).
// Compiled with -mavx2 -mfma -mf16c; called only when cpu_features() reports them.
#include <immintrin.h>

#include "kernels/matmul.h"
#include "kernels/vec_avx2.h"

// No inline functions from other headers (std::min, ...) are used here: a copy compiled with this file's
// ISA flags could be the one the linker keeps for the baseline code too.

namespace gpt2 {

namespace {

constexpr int64_t kTokenTile = 32;  // tokens per tile: x tile (32 x K f32) stays in L2
constexpr int64_t kMaxStagedK = 1024;  // F16 rows staged as f32 up to this length (3 rows: 12 KiB; longer
                                       // rows no longer fit L1 beside the tokens and measured slower)

using avx2::hsum;   // vec_avx2.h

// a * b + c rounded once, spelled out: the K % 8 tails of every tile shape must round alike, whatever the
// compiler would contract.
inline float fma1(float a, float b, float c) {
    return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}

struct LoadF32 {
    using W = float;
    static __m256 load8(const float *p) { return _mm256_loadu_ps(p); }
    static float load1(const float *p) { return *p; }
};

struct LoadF16 {
    using W = uint16_t;
    static __m256 load8(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
    static float load1(const uint16_t *p) { return _cvtsh_ss(*p); }
};

// One output per (row, token), always the same arithmetic whatever the tile shape: an 8-lane accumulator
// fed k = 0, 8, 16, ... in order by single-rounded FMAs, summed once (hsum), the K % 8 tail added by fma1,
// then the bias. So a token's outputs do not depend on how many tokens or rows share its tile.
//
// R weight rows x TT tokens per micro-kernel: 3 x 4 keeps 12 accumulators, 3 weight vectors and one token
// vector in the 16 registers, with 7 loads per 12 FMAs; that measured about twice the FLOP rate of 4 x 2
// (whose 8 accumulator chains cannot cover the FMA latency). PREFETCH pulls the next row group into L1 at the
// rate this pass consumes its own (used on the first pass over a row group, when the weights come from memory).
// The loops over R and TT must unroll for acc/wv to live in registers: -O3 does it, the pragmas make -O2 do it.
template <typename L, int R, int TT, bool PREFETCH>
inline void tile_kernel(float *y, const float *x, const typename L::W *const *wr, const float *bias, int64_t K,
                        int64_t K8, int64_t N, int64_t n, int64_t t, const char *ahead) {
    __m256 acc[R][TT];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int j = 0; j < TT; ++j) acc[r][j] = _mm256_setzero_ps();
    }
    const float *xs = x + t * K;
    for (int64_t k = 0; k < K8; k += 8) {
        if (PREFETCH) {
            const char *pf = ahead + k * R * (int64_t)sizeof(typename L::W);
            _mm_prefetch(pf, _MM_HINT_T0);
            if (R * sizeof(typename L::W) * 8 > 64) _mm_prefetch(pf + 64, _MM_HINT_T0);
        }
        __m256 wv[R];
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) wv[r] = L::load8(wr[r] + k);
#pragma GCC unroll 4
        for (int j = 0; j < TT; ++j) {
            const __m256 xv = _mm256_loadu_ps(xs + j * K + k);
#pragma GCC unroll 4
            for (int r = 0; r < R; ++r) acc[r][j] = _mm256_fmadd_ps(wv[r], xv, acc[r][j]);
        }
    }
    for (int j = 0; j < TT; ++j) {
        const float *xj = xs + j * K;
        float *yj = y + (t + j) * N + n;
        for (int r = 0; r < R; ++r) {
            float s = hsum(acc[r][j]);
            for (int64_t k = K8; k < K; ++k) s = fma1(L::load1(wr[r] + k), xj[k], s);
            yj[r] = s + (bias ? bias[n + r] : 0.f);
        }
    }
}

// The 1..3 tokens [t, t1) left of a tile against the R rows.
template <typename L, int R, bool PREFETCH>
inline void token_tail(float *y, const float *x, const typename L::W *const *wr, const float *bias, int64_t K,
                       int64_t K8, int64_t N, int64_t n, int64_t t, int64_t t1, const char *ahead) {
    switch (t1 - t) {
        case 3: tile_kernel<L, R, 3, PREFETCH>(y, x, wr, bias, K, K8, N, n, t, ahead); break;
        case 2: tile_kernel<L, R, 2, PREFETCH>(y, x, wr, bias, K, K8, N, n, t, ahead); break;
        case 1: tile_kernel<L, R, 1, PREFETCH>(y, x, wr, bias, K, K8, N, n, t, ahead); break;
        default: break;
    }
}

// Tokens [t0, t1) against the R rows starting at w, 4 at a time, then the 1..3 left. AHEAD, where not null,
// is the next row group's memory, prefetched during the first pass (the one that brings these rows in).
template <typename L, int R>
inline void row_group(float *y, const float *x, const typename L::W *w, const float *bias, int64_t t0, int64_t t1,
                      int64_t K, int64_t N, int64_t n, const char *ahead) {
    const int64_t K8 = K & ~(int64_t)7;
    const typename L::W *wr[R];
    for (int r = 0; r < R; ++r) wr[r] = w + (n + r) * K;
    int64_t t = t0;
    if (t1 - t >= 4) {
        if (ahead) tile_kernel<L, R, 4, true>(y, x, wr, bias, K, K8, N, n, t, ahead);
        else tile_kernel<L, R, 4, false>(y, x, wr, bias, K, K8, N, n, t, ahead);
        for (t += 4; t + 4 <= t1; t += 4) tile_kernel<L, R, 4, false>(y, x, wr, bias, K, K8, N, n, t, ahead);
        token_tail<L, R, false>(y, x, wr, bias, K, K8, N, n, t, t1, ahead);
    } else if (ahead) {
        token_tail<L, R, true>(y, x, wr, bias, K, K8, N, n, t, t1, ahead);
    } else {
        token_tail<L, R, false>(y, x, wr, bias, K, K8, N, n, t, t1, ahead);
    }
}

template <typename L>
void matmul_float_avx2(float *y, const float *x, const typename L::W *w, const float *bias, int64_t T, int64_t K,
                       int64_t N, int64_t n0, int64_t n1) {
    for (int64_t tt = 0; tt < T; tt += kTokenTile) {
        const int64_t te = T < tt + kTokenTile ? T : tt + kTokenTile;
        int64_t n = n0;
        // the next row group is contiguous after this one
        for (; n + 3 <= n1; n += 3) row_group<L, 3>(y, x, w, bias, tt, te, K, N, n, (const char *)(w + (n + 3) * K));
        for (; n < n1; ++n) row_group<L, 1>(y, x, w, bias, tt, te, K, N, n, (const char *)(w + (n + 1) * K));
    }
}

// F16 with 16 or more tokens: each group of 3 rows is widened to f32 once (exact) into an L1 buffer
// and every pass over the tile reads that, instead of converting the same weights once per 4 tokens.
void matmul_f16_staged(float *y, const float *x, const uint16_t *w, const float *bias, int64_t T, int64_t K,
                       int64_t N, int64_t n0, int64_t n1) {
    alignas(32) float buf[3 * kMaxStagedK];
    for (int64_t tt = 0; tt < T; tt += kTokenTile) {
        const int64_t te = T < tt + kTokenTile ? T : tt + kTokenTile;
        int64_t n = n0;
        for (; n + 3 <= n1; n += 3) {
            const uint16_t *src = w + n * K;
            int64_t k = 0;
            for (; k + 8 <= 3 * K; k += 8) _mm256_store_ps(buf + k, LoadF16::load8(src + k));
            for (; k < 3 * K; ++k) buf[k] = LoadF16::load1(src + k);
            // the staged rows sit at n = 0 of a 3-row matrix; outputs and bias are addressed at n. Nothing to
            // prefetch: the widening above already read these rows in order.
            row_group<LoadF32, 3>(y + n, x, buf, bias ? bias + n : nullptr, tt, te, K, N, 0, nullptr);
        }
        for (; n < n1; ++n) row_group<LoadF16, 1>(y, x, w, bias, tt, te, K, N, n, (const char *)(w + (n + 1) * K));
    }
}

}  // namespace

void matmul_f32_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1) {
    matmul_float_avx2<LoadF32>(y, (const float *)x, (const float *)w, bias, T, K, N, n0, n1);
}

void matmul_f16_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1) {
    if (T >= 16 && K <= kMaxStagedK) matmul_f16_staged(y, (const float *)x, (const uint16_t *)w, bias, T, K, N, n0, n1);
    else matmul_float_avx2<LoadF16>(y, (const float *)x, (const uint16_t *)w, bias, T, K, N, n0, n1);
}

}  // namespace gpt2
