// matmul_unpacked.cpp — the row kernel of the unpackable weight types (see matmul_unpacked.h): per-thread
// buffers, the activation sums the offset types need, the scalar reference dot, and the choice of pieces per
// path.
#include "kernels/matmul_unpacked.h"

#include <cmath>
#include <vector>

#include "tensor/tensor.h"

namespace gpt2 {

void quantize_activations(gpt2_type type, const float *x, int64_t K, int8_t *xq, float *xd) {
    const bool k_quant = type_block_size(type) == QK_K;
    if (!k_quant) {
        // ggml's Q8_0 (= Q8_1's values): d = amax / 127 kept as fp16, q = round(x / d)
        block_q8_0 b;
        for (int64_t i = 0; i < K / QK8_0; ++i) {
            quantize_row_q8_0_ref(x + i * QK8_0, &b, QK8_0);
            for (int k = 0; k < QK8_0; ++k) xq[i * QK8_0 + k] = b.qs[k];
            xd[i] = fp16_to_fp32(b.d);
        }
        return;
    }
    // ggml's Q8_K: the signed value of largest magnitude becomes -127, d = 1 / scale in f32
    for (int64_t i = 0; i < K / QK_K; ++i) {
        const float *xb = x + i * QK_K;
        float amax = 0, max = 0;
        for (int k = 0; k < QK_K; ++k) {
            if (std::fabs(xb[k]) > amax) {
                amax = std::fabs(xb[k]);
                max = xb[k];
            }
        }
        const float iscale = amax > 0 ? -127.f / max : 0.f;
        for (int k = 0; k < QK_K; ++k) {
            const float v = std::nearbyint(iscale * xb[k]);
            xq[i * QK_K + k] = (int8_t)(v > 127.f ? 127 : v < -127.f ? -127 : (int)v);
        }
        for (int j = 0; j < QK_K / QK8_0; ++j) xd[i * (QK_K / QK8_0) + j] = amax > 0 ? 1.f / iscale : 0.f;
    }
}

void unpacked_dot_ref(float *y, int64_t y_stride, ActivationsQ8 x, const int8_t *q, const float *scale,
                      const float *min, const float *sx, int64_t T, int64_t K) {
    const int64_t ns = K / 16;
    for (int64_t t = 0; t < T; ++t) {
        const int8_t *xq = x.xq + t * K;
        const float *xd = x.xd + t * (K / QK8_0);
        double acc = 0.0;
        for (int64_t j = 0; j < ns; ++j) {
            int32_t dot = 0;
            for (int k = 0; k < 16; ++k) dot += (int32_t)q[16 * j + k] * xq[16 * j + k];
            acc += (double)scale[j] * (double)xd[j / 2] * dot;
            if (min) acc -= (double)min[j] * sx[t * ns + j];
        }
        y[t * y_stride] = (float)acc;
    }
}

UnpackRowFn unpack_row_kernel(gpt2_type type, CpuPath path) {
    if (path != CpuPath::scalar) {
        switch (type) {
            case GPT2_TYPE_Q4_K: return unpack_row_q4_K_avx2;
            case GPT2_TYPE_Q5_K: return unpack_row_q5_K_avx2;
            case GPT2_TYPE_Q6_K: return unpack_row_q6_K_avx2;
            case GPT2_TYPE_Q5_0: return unpack_row_q5_0_avx2;
            default: break;
        }
    }
    return unpack_row_fn(type);
}

template <gpt2_type TYPE, CpuPath PATH>
void matmul_unpacked(float *y, const void *x_, const void *w_, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1) {
    const ActivationsQ8 x = *(const ActivationsQ8 *)x_;
    const uint8_t *w = (const uint8_t *)w_;
    const size_t row_bytes = type_row_bytes(TYPE, K);
    const int64_t ns = K / 16;
    const UnpackRowFn unpack = unpack_row_kernel(TYPE, PATH);
    const UnpackedDotFn dot = PATH == CpuPath::scalar ? unpacked_dot_ref : unpacked_dot_avx2;
    const bool has_min = type_unpacks_with_min(TYPE);
    // one set per pool thread, grown to the largest shape seen and kept between calls
    thread_local std::vector<int8_t> q;
    thread_local std::vector<float> scale, min, sx;
    if ((int64_t)q.size() < K) q.resize((size_t)K);
    if ((int64_t)scale.size() < ns) {
        scale.resize((size_t)ns);
        min.resize((size_t)ns);
    }
    if (has_min) {
        // d_x * (sum of each 16 activations), per token: the offset's share of every output of this token
        if ((int64_t)sx.size() < T * ns) sx.resize((size_t)(T * ns));
        for (int64_t t = 0; t < T; ++t) {
            const int8_t *xq = x.xq + t * K;
            for (int64_t j = 0; j < ns; ++j) {
                int32_t s = 0;
                for (int k = 0; k < 16; ++k) s += xq[16 * j + k];
                sx[(size_t)(t * ns + j)] = x.xd[t * (K / QK8_0) + j / 2] * (float)s;
            }
        }
    }
    for (int64_t n = n0; n < n1; ++n) {
        unpack(w + (size_t)n * row_bytes, K, q.data(), scale.data(), min.data());
        dot(y + n, N, x, q.data(), scale.data(), has_min ? min.data() : nullptr, sx.data(), T, K);
        if (bias) {
            for (int64_t t = 0; t < T; ++t) y[t * N + n] += bias[n];
        }
    }
}

#define GPT2_UNPACKED_KERNELS(TYPE)                                                                              \
    template void matmul_unpacked<TYPE, CpuPath::scalar>(float *, const void *, const void *, const float *,     \
                                                         int64_t, int64_t, int64_t, int64_t, int64_t);           \
    template void matmul_unpacked<TYPE, CpuPath::avx2>(float *, const void *, const void *, const float *,       \
                                                       int64_t, int64_t, int64_t, int64_t, int64_t);
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q4_1)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q5_0)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q5_1)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_IQ4_NL)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q2_K)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q3_K)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q4_K)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q5_K)
GPT2_UNPACKED_KERNELS(GPT2_TYPE_Q6_K)
#undef GPT2_UNPACKED_KERNELS

}  // namespace gpt2
