// attention.cpp — scalar attention of one head (reference and portable fallback), and the path choice.
#include "kernels/attention.h"

#include <cmath>

#include "tensor/quant.h"

namespace gpt2 {

namespace {

// Element i of a cached row, as f32 (for q8_0 exactly what dequantize_row_q8_0 gives).
float load(const float *row, int64_t i) { return row[i]; }
float load(const uint16_t *row, int64_t i) { return fp16_to_fp32(row[i]); }
float load(const block_q8_0 *row, int64_t i) { return fp16_to_fp32(row[i / 32].d) * (float)row[i / 32].qs[i % 32]; }

// The scalar kernel for keys/values of type E (float64 dots and weighted sums); stride counts E.
template <typename E>
void attention_head_scalar(float *out, const float *q, const E *k, const E *v, int64_t stride, int64_t n_pos,
                           int64_t hs, float scale, float *scores) {
    // scores (n_pos) = q . k_p * scale, softmaxed; out (hs) = sum_p scores_p v_p
    float max_score = -INFINITY;
    for (int64_t p = 0; p < n_pos; ++p) {
        const E *kp = k + p * stride;
        double dot = 0.0;
        for (int64_t i = 0; i < hs; ++i) dot += (double)q[i] * load(kp, i);
        scores[p] = (float)dot * scale;
        if (scores[p] > max_score) max_score = scores[p];
    }
    double sum = 0.0;
    for (int64_t p = 0; p < n_pos; ++p) {
        scores[p] = std::exp(scores[p] - max_score);
        sum += scores[p];
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < hs; ++i) out[i] = 0.f;
    for (int64_t p = 0; p < n_pos; ++p) {
        const float wp = scores[p] * inv;
        const E *vp = v + p * stride;
        for (int64_t i = 0; i < hs; ++i) out[i] += wp * load(vp, i);
    }
}

}  // namespace

void attention_head_ref(float *out, const float *q, const float *k, const float *v, int64_t stride, int64_t n_pos,
                        int64_t hs, float scale, float *scores) {
    attention_head_scalar(out, q, k, v, stride, n_pos, hs, scale, scores);
}

void attention_head_f16_ref(float *out, const float *q, const uint16_t *k, const uint16_t *v, int64_t stride,
                            int64_t n_pos, int64_t hs, float scale, float *scores) {
    attention_head_scalar(out, q, k, v, stride, n_pos, hs, scale, scores);
}

void attention_head_q8_0_ref(float *out, const float *q, const block_q8_0 *k, const block_q8_0 *v, int64_t stride,
                             int64_t n_pos, int64_t hs, float scale, float *scores) {
    attention_head_scalar(out, q, k, v, stride, n_pos, hs, scale, scores);
}

AttentionHeadFn attention_head_kernel(CpuPath path) {
    switch (path) {
        case CpuPath::avx512: return attention_head_avx512;
        case CpuPath::avx2: return attention_head_avx2;
        case CpuPath::scalar: break;
    }
    return attention_head_ref;
}

AttentionHeadF16Fn attention_head_f16_kernel(CpuPath path) {
    return path == CpuPath::scalar ? attention_head_f16_ref : attention_head_f16_avx2;
}

AttentionHeadQ8Fn attention_head_q8_0_kernel(CpuPath path) {
    return path == CpuPath::scalar ? attention_head_q8_0_ref : attention_head_q8_0_avx2;
}

}  // namespace gpt2
