// gelu_avx2.cpp — 8-wide GELU: tanh(u) = 1 - 2 / (exp(2u) + 1) with the vector exp of vec_avx2.h; large |u|
// saturates to +-1 as tanh does in f32.
#include <immintrin.h>

#include "kernels/gelu.h"
#include "kernels/vec_avx2.h"

namespace gpt2 {

void gelu_forward_avx2(float *out, const float *inp, int64_t n) {
    const __m256 s = _mm256_set1_ps(0.7978845608028654f), c = _mm256_set1_ps(0.044715f);
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), half = _mm256_set1_ps(0.5f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(inp + i);
        const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        const __m256 u = _mm256_mul_ps(s, _mm256_fmadd_ps(c, x3, x));
        const __m256 e = avx2::exp(_mm256_mul_ps(two, u));
        const __m256 th = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one)));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, th)));
    }
    if (i < n) gelu_forward_ref(out + i, inp + i, n - i);
}

}  // namespace gpt2
