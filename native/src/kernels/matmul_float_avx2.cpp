// matmul_float_avx2.cpp — AVX2/FMA row kernels for F32 and F16 (F16C) weights against f32 activations.
// Micro-kernel: 4 weight rows x 2 tokens = 8 independent 8-lane f32 accumulators; weight rows stay in L1
// while a tile of tokens streams past them. Compiled with -mavx2 -mfma -mf16c; called only when
// cpu_features() reports them.
#include <immintrin.h>

#include "kernels/matmul.h"
#include "kernels/vec_avx2.h"

// No inline functions from other headers (std::min, ...) are used here: a copy compiled with this file's
// ISA flags could be the one the linker keeps for the baseline code too.

namespace gpt2 {

namespace {

constexpr int64_t kTokenTile = 32;  // tokens per tile: x tile (32 x K f32) stays in L2

using avx2::hsum;   // vec_avx2.h

// a * b + c rounded once, spelled out: the tails of the pair and single-token loops must round alike,
// whatever the compiler would contract.
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

template <typename L>
void matmul_float_avx2(float *y, const float *x, const typename L::W *w, const float *bias, int64_t T, int64_t K,
                       int64_t N, int64_t n0, int64_t n1) {
    const int64_t K8 = K & ~(int64_t)7;
    for (int64_t tt = 0; tt < T; tt += kTokenTile) {
        const int64_t te = T < tt + kTokenTile ? T : tt + kTokenTile;
        int64_t n = n0;
        for (; n + 4 <= n1; n += 4) {
            const typename L::W *w0 = w + n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
            const float b0 = bias ? bias[n] : 0.f, b1 = bias ? bias[n + 1] : 0.f;
            const float b2 = bias ? bias[n + 2] : 0.f, b3 = bias ? bias[n + 3] : 0.f;
            int64_t t = tt;
            for (; t + 2 <= te; t += 2) {
                const float *xa = x + t * K, *xb = xa + K;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
                const char *ahead = (const char *)(w3 + K);  // next row group, as in the 1-token loop
                for (int64_t k = 0; k < K8; k += 8) {
                    const char *pf = ahead + k * 4 * (int64_t)sizeof(typename L::W);
                    _mm_prefetch(pf, _MM_HINT_T0);
                    if (sizeof(typename L::W) == 4) _mm_prefetch(pf + 64, _MM_HINT_T0);
                    const __m256 va = _mm256_loadu_ps(xa + k), vb = _mm256_loadu_ps(xb + k);
                    __m256 wv = L::load8(w0 + k);
                    a0 = _mm256_fmadd_ps(wv, va, a0);
                    c0 = _mm256_fmadd_ps(wv, vb, c0);
                    wv = L::load8(w1 + k);
                    a1 = _mm256_fmadd_ps(wv, va, a1);
                    c1 = _mm256_fmadd_ps(wv, vb, c1);
                    wv = L::load8(w2 + k);
                    a2 = _mm256_fmadd_ps(wv, va, a2);
                    c2 = _mm256_fmadd_ps(wv, vb, c2);
                    wv = L::load8(w3 + k);
                    a3 = _mm256_fmadd_ps(wv, va, a3);
                    c3 = _mm256_fmadd_ps(wv, vb, c3);
                }
                float ra[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
                float rb[4] = {hsum(c0), hsum(c1), hsum(c2), hsum(c3)};
                for (int64_t k = K8; k < K; ++k) {
                    const float f0 = L::load1(w0 + k), f1 = L::load1(w1 + k), f2 = L::load1(w2 + k),
                                f3 = L::load1(w3 + k);
                    ra[0] = fma1(f0, xa[k], ra[0]); ra[1] = fma1(f1, xa[k], ra[1]);
                    ra[2] = fma1(f2, xa[k], ra[2]); ra[3] = fma1(f3, xa[k], ra[3]);
                    rb[0] = fma1(f0, xb[k], rb[0]); rb[1] = fma1(f1, xb[k], rb[1]);
                    rb[2] = fma1(f2, xb[k], rb[2]); rb[3] = fma1(f3, xb[k], rb[3]);
                }
                float *ya = y + t * N + n, *yb = ya + N;
                ya[0] = ra[0] + b0; ya[1] = ra[1] + b1; ya[2] = ra[2] + b2; ya[3] = ra[3] + b3;
                yb[0] = rb[0] + b0; yb[1] = rb[1] + b1; yb[2] = rb[2] + b2; yb[3] = rb[3] + b3;
            }
            for (; t < te; ++t) {
                const float *xa = x + t * K;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                // Decode reads each weight once: prefetch the next row group (contiguous after this one) at
                // the rate this loop consumes it (4 rows x 8 weights per step).
                const char *ahead = (const char *)(w3 + K);
                for (int64_t k = 0; k < K8; k += 8) {
                    const char *pf = ahead + k * 4 * (int64_t)sizeof(typename L::W);
                    _mm_prefetch(pf, _MM_HINT_T0);
                    if (sizeof(typename L::W) == 4) _mm_prefetch(pf + 64, _MM_HINT_T0);
                    const __m256 va = _mm256_loadu_ps(xa + k);
                    a0 = _mm256_fmadd_ps(L::load8(w0 + k), va, a0);
                    a1 = _mm256_fmadd_ps(L::load8(w1 + k), va, a1);
                    a2 = _mm256_fmadd_ps(L::load8(w2 + k), va, a2);
                    a3 = _mm256_fmadd_ps(L::load8(w3 + k), va, a3);
                }
                float ra[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
                for (int64_t k = K8; k < K; ++k) {
                    ra[0] = fma1(L::load1(w0 + k), xa[k], ra[0]); ra[1] = fma1(L::load1(w1 + k), xa[k], ra[1]);
                    ra[2] = fma1(L::load1(w2 + k), xa[k], ra[2]); ra[3] = fma1(L::load1(w3 + k), xa[k], ra[3]);
                }
                float *ya = y + t * N + n;
                ya[0] = ra[0] + b0; ya[1] = ra[1] + b1; ya[2] = ra[2] + b2; ya[3] = ra[3] + b3;
            }
        }
        for (; n < n1; ++n) {  // leftover rows, one at a time
            const typename L::W *w0 = w + n * K;
            for (int64_t t = tt; t < te; ++t) {
                const float *xa = x + t * K;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0;
                int64_t k = 0;
                for (; k + 16 <= K8; k += 16) {
                    a0 = _mm256_fmadd_ps(L::load8(w0 + k), _mm256_loadu_ps(xa + k), a0);
                    a1 = _mm256_fmadd_ps(L::load8(w0 + k + 8), _mm256_loadu_ps(xa + k + 8), a1);
                }
                for (; k < K8; k += 8) a0 = _mm256_fmadd_ps(L::load8(w0 + k), _mm256_loadu_ps(xa + k), a0);
                float r = hsum(_mm256_add_ps(a0, a1));
                for (k = K8; k < K; ++k) r = fma1(L::load1(w0 + k), xa[k], r);
                y[t * N + n] = r + (bias ? bias[n] : 0.f);
            }
        }
    }
}

}  // namespace

void matmul_f32_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1) {
    matmul_float_avx2<LoadF32>(y, (const float *)x, (const float *)w, bias, T, K, N, n0, n1);
}

void matmul_f16_avx2(float *y, const void *x, const void *w, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1) {
    matmul_float_avx2<LoadF16>(y, (const float *)x, (const uint16_t *)w, bias, T, K, N, n0, n1);
}

}  // namespace gpt2
