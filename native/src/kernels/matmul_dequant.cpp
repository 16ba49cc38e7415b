// matmul_dequant.cpp — the row kernel for BF16 weights (the one type without a kernel of its own): widen one
// weight row to f32, then dot it with every token's f32 activations. A prompt of T tokens dequantizes each row once. Correct on every
// CPU; the accumulation uses 8 independent float sums so the compiler can keep them in vector lanes.
#include "kernels/matmul.h"

#include <vector>

namespace gpt2 {

namespace {

float dot_f32(const float *a, const float *b, int64_t k) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
    }
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < k; ++i) sum += a[i] * b[i];
    return sum;
}

}  // namespace

template <gpt2_type TYPE>
void matmul_dequant(float *y, const void *x_, const void *w_, const float *bias, int64_t T, int64_t K, int64_t N,
                    int64_t n0, int64_t n1) {
    const float *x = (const float *)x_;
    const uint8_t *w = (const uint8_t *)w_;
    const size_t row_bytes = type_row_bytes(TYPE, K);
    thread_local std::vector<float> row;   // one per pool thread, kept between calls
    if ((int64_t)row.size() < K) row.resize((size_t)K);
    for (int64_t n = n0; n < n1; ++n) {
        dequantize_row(TYPE, w + (size_t)n * row_bytes, row.data(), K);
        const float b = bias ? bias[n] : 0.0f;
        for (int64_t t = 0; t < T; ++t) y[t * N + n] = dot_f32(row.data(), x + t * K, K) + b;
    }
}

template void matmul_dequant<GPT2_TYPE_BF16>(float *, const void *, const void *, const float *, int64_t, int64_t,
                                             int64_t, int64_t, int64_t);

}  // namespace gpt2
