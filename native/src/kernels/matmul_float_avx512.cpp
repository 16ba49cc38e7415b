// matmul_float_avx512.cpp — AVX-512 row kernels for F32 and F16 weights against f32 activations.
// Micro-kernel: 4 weight rows x 2 tokens = 8 independent 16-lane f32 accumulators; the K tail uses masked
// loads. Compiled with AVX-512 F/BW/VL/DQ flags; called only when cpu_features() reports them.
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

constexpr int64_t kTokenTile = 32;  // tokens per tile: x tile (32 x K f32) stays in L2

struct LoadF32 {
    using W = float;
    static __m512 load16(const float *p) { return _mm512_loadu_ps(p); }
    static __m512 load16m(const float *p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};

struct LoadF16 {
    using W = uint16_t;
    static __m512 load16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
    static __m512 load16m(const uint16_t *p, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
    }
};

template <typename L>
void matmul_float_avx512(float *y, const float *x, const typename L::W *w, const float *bias, int64_t T, int64_t K,
                         int64_t N, int64_t n0, int64_t n1) {
    const int64_t K16 = K & ~(int64_t)15;
    const __mmask16 tail = (__mmask16)((1u << (K - K16)) - 1u);
    for (int64_t tt = 0; tt < T; tt += kTokenTile) {
        const int64_t te = T < tt + kTokenTile ? T : tt + kTokenTile;
        int64_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const typename L::W *w0 = w + n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
            int64_t t = tt;
            for (; t + 2 <= te; t += 2) {
                const float *xa = x + t * K, *xb = xa + K;
                __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
                for (int64_t k = 0; k < K16; k += 16) {
                    const __m512 va = _mm512_loadu_ps(xa + k), vb = _mm512_loadu_ps(xb + k);
                    __m512 wv = L::load16(w0 + k);
                    a0 = _mm512_fmadd_ps(wv, va, a0);
                    c0 = _mm512_fmadd_ps(wv, vb, c0);
                    wv = L::load16(w1 + k);
                    a1 = _mm512_fmadd_ps(wv, va, a1);
                    c1 = _mm512_fmadd_ps(wv, vb, c1);
                    wv = L::load16(w2 + k);
                    a2 = _mm512_fmadd_ps(wv, va, a2);
                    c2 = _mm512_fmadd_ps(wv, vb, c2);
                    wv = L::load16(w3 + k);
                    a3 = _mm512_fmadd_ps(wv, va, a3);
                    c3 = _mm512_fmadd_ps(wv, vb, c3);
                }
                if (tail) {
                    const __m512 va = _mm512_maskz_loadu_ps(tail, xa + K16), vb = _mm512_maskz_loadu_ps(tail, xb + K16);
                    __m512 wv = L::load16m(w0 + K16, tail);
                    a0 = _mm512_fmadd_ps(wv, va, a0);
                    c0 = _mm512_fmadd_ps(wv, vb, c0);
                    wv = L::load16m(w1 + K16, tail);
                    a1 = _mm512_fmadd_ps(wv, va, a1);
                    c1 = _mm512_fmadd_ps(wv, vb, c1);
                    wv = L::load16m(w2 + K16, tail);
                    a2 = _mm512_fmadd_ps(wv, va, a2);
                    c2 = _mm512_fmadd_ps(wv, vb, c2);
                    wv = L::load16m(w3 + K16, tail);
                    a3 = _mm512_fmadd_ps(wv, va, a3);
                    c3 = _mm512_fmadd_ps(wv, vb, c3);
                }
                float *ya = y + t * N + n, *yb = ya + N;
                ya[0] = _mm512_reduce_add_ps(a0); ya[1] = _mm512_reduce_add_ps(a1);
                ya[2] = _mm512_reduce_add_ps(a2); ya[3] = _mm512_reduce_add_ps(a3);
                yb[0] = _mm512_reduce_add_ps(c0); yb[1] = _mm512_reduce_add_ps(c1);
                yb[2] = _mm512_reduce_add_ps(c2); yb[3] = _mm512_reduce_add_ps(c3);
                if (bias) {
                    for (int r = 0; r < 4; ++r) { ya[r] += bias[n + r]; yb[r] += bias[n + r]; }
                }
            }
            for (; t < te; ++t) {
                const float *xa = x + t * K;
                __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                // Decode reads each weight once: prefetch the next row group (contiguous after this one) at
                // the rate this loop consumes it (4 rows x 16 weights per step).
                const char *ahead = (const char *)(w3 + K);
                for (int64_t k = 0; k < K16; k += 16) {
                    const char *pf = ahead + k * 4 * (int64_t)sizeof(typename L::W);
                    _mm_prefetch(pf, _MM_HINT_T0);
                    _mm_prefetch(pf + 64, _MM_HINT_T0);
                    if (sizeof(typename L::W) == 4) {
                        _mm_prefetch(pf + 128, _MM_HINT_T0);
                        _mm_prefetch(pf + 192, _MM_HINT_T0);
                    }
                    const __m512 va = _mm512_loadu_ps(xa + k);
                    a0 = _mm512_fmadd_ps(L::load16(w0 + k), va, a0);
                    a1 = _mm512_fmadd_ps(L::load16(w1 + k), va, a1);
                    a2 = _mm512_fmadd_ps(L::load16(w2 + k), va, a2);
                    a3 = _mm512_fmadd_ps(L::load16(w3 + k), va, a3);
                }
                if (tail) {
                    const __m512 va = _mm512_maskz_loadu_ps(tail, xa + K16);
                    a0 = _mm512_fmadd_ps(L::load16m(w0 + K16, tail), va, a0);
                    a1 = _mm512_fmadd_ps(L::load16m(w1 + K16, tail), va, a1);
                    a2 = _mm512_fmadd_ps(L::load16m(w2 + K16, tail), va, a2);
                    a3 = _mm512_fmadd_ps(L::load16m(w3 + K16, tail), va, a3);
                }
                float *ya = y + t * N + n;
                ya[0] = _mm512_reduce_add_ps(a0); ya[1] = _mm512_reduce_add_ps(a1);
                ya[2] = _mm512_reduce_add_ps(a2); ya[3] = _mm512_reduce_add_ps(a3);
                if (bias) {
                    for (int r = 0; r < 4; ++r) ya[r] += bias[n + r];
                }
            }
        }
        for (; n < n1; ++n) {  // leftover rows
            const typename L::W *w0 = w + n * K;
            for (int64_t t = tt; t < te; ++t) {
                const float *xa = x + t * K;
                __m512 a0 = _mm512_setzero_ps(), a1 = a0;
                int64_t k = 0;
                for (; k + 32 <= K16; k += 32) {
                    a0 = _mm512_fmadd_ps(L::load16(w0 + k), _mm512_loadu_ps(xa + k), a0);
                    a1 = _mm512_fmadd_ps(L::load16(w0 + k + 16), _mm512_loadu_ps(xa + k + 16), a1);
                }
                for (; k < K16; k += 16) a0 = _mm512_fmadd_ps(L::load16(w0 + k), _mm512_loadu_ps(xa + k), a0);
                if (tail) {
                    a1 = _mm512_fmadd_ps(L::load16m(w0 + K16, tail), _mm512_maskz_loadu_ps(tail, xa + K16), a1);
                }
                y[t * N + n] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) + (bias ? bias[n] : 0.f);
            }
        }
    }
}

}  // namespace

void matmul_f32_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                       int64_t n0, int64_t n1) {
    matmul_float_avx512<LoadF32>(y, (const float *)x, (const float *)w, bias, T, K, N, n0, n1);
}

void matmul_f16_avx512(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                       int64_t n0, int64_t n1) {
    matmul_float_avx512<LoadF16>(y, (const float *)x, (const uint16_t *)w, bias, T, K, N, n0, n1);
}

}  // namespace gpt2
