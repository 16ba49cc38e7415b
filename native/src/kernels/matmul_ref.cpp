// matmul_ref.cpp — the scalar reference row kernels (test oracle and portable fallback), the kernel table,
// and matmul_forward: activation quantization plus the split of output rows across the thread pool.
#include "kernels/matmul.h"

#include <algorithm>
#include <string>

#include "util/error.h"
#include "kernels/matmul_unpacked.h"

namespace gpt2 {

void matmul_f32_ref(float *y, const void *x_, const void *w_, const float *bias, int64_t T, int64_t K, int64_t N,
                    int64_t n0, int64_t n1) {
    // x is (T, K) f32, w is (N, K) f32, y is (T, N)
    const float *x = (const float *)x_, *w = (const float *)w_;
    for (int64_t t = 0; t < T; ++t) {
        for (int64_t n = n0; n < n1; ++n) {
            double acc = bias ? bias[n] : 0.0;
            for (int64_t k = 0; k < K; ++k) acc += (double)w[n * K + k] * x[t * K + k];
            y[t * N + n] = (float)acc;
        }
    }
}

void matmul_f16_ref(float *y, const void *x_, const void *w_, const float *bias, int64_t T, int64_t K, int64_t N,
                    int64_t n0, int64_t n1) {
    // x is (T, K) f32, w is (N, K) fp16, y is (T, N)
    const float *x = (const float *)x_;
    const uint16_t *w = (const uint16_t *)w_;
    for (int64_t t = 0; t < T; ++t) {
        for (int64_t n = n0; n < n1; ++n) {
            double acc = bias ? bias[n] : 0.0;
            for (int64_t k = 0; k < K; ++k) acc += (double)fp16_to_fp32(w[n * K + k]) * x[t * K + k];
            y[t * N + n] = (float)acc;
        }
    }
}

void matmul_q8_0_ref(float *y, const void *x_, const void *w_, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1) {
    // x is (T, K/32) q8_0 blocks, w is (N, K/32) q8_0 blocks, y is (T, N)
    const block_q8_0 *x = ((const ActivationsQ8_0 *)x_)->blocks, *w = (const block_q8_0 *)w_;
    const int64_t nb = K / QK8_0;
    for (int64_t t = 0; t < T; ++t) {
        for (int64_t n = n0; n < n1; ++n) {
            double acc = bias ? bias[n] : 0.0;
            for (int64_t b = 0; b < nb; ++b) {
                const block_q8_0 &wb = w[n * nb + b], &xb = x[t * nb + b];
                int32_t dot = 0;
                for (int j = 0; j < QK8_0; ++j) dot += (int32_t)wb.qs[j] * xb.qs[j];
                acc += (double)(fp16_to_fp32(wb.d) * fp16_to_fp32(xb.d)) * dot;
            }
            y[t * N + n] = (float)acc;
        }
    }
}

void matmul_q4_0_ref(float *y, const void *x_, const void *w_, const float *bias, int64_t T, int64_t K, int64_t N,
                     int64_t n0, int64_t n1) {
    // x is (T, K/32) q8_0 blocks, w is (N, K/32) q4_0 blocks, y is (T, N)
    const block_q8_0 *x = ((const ActivationsQ8_0 *)x_)->blocks;
    const block_q4_0 *w = (const block_q4_0 *)w_;
    const int64_t nb = K / QK4_0;
    for (int64_t t = 0; t < T; ++t) {
        for (int64_t n = n0; n < n1; ++n) {
            double acc = bias ? bias[n] : 0.0;
            for (int64_t b = 0; b < nb; ++b) {
                const block_q4_0 &wb = w[n * nb + b];
                const block_q8_0 &xb = x[t * nb + b];
                int32_t dot = 0;
                for (int j = 0; j < QK4_0 / 2; ++j) {
                    dot += ((int32_t)(wb.qs[j] & 0x0f) - 8) * xb.qs[j];
                    dot += ((int32_t)(wb.qs[j] >> 4) - 8) * xb.qs[j + QK4_0 / 2];
                }
                acc += (double)(fp16_to_fp32(wb.d) * fp16_to_fp32(xb.d)) * dot;
            }
            y[t * N + n] = (float)acc;
        }
    }
}

namespace {

// The unpacked types' AVX2 pieces serve the AVX-512 path too.
template <gpt2_type TYPE>
MatmulRowsFn unpacked_kernel(int path) {
    return path == 0 ? matmul_unpacked<TYPE, CpuPath::scalar> : matmul_unpacked<TYPE, CpuPath::avx2>;
}

}  // namespace

MatmulRowsFn matmul_kernel(gpt2_type type, CpuPath path) {
    static_assert((int)CpuPath::scalar == 0 && (int)CpuPath::avx2 == 1 && (int)CpuPath::avx512 == 2, "path ids");
    const int p = (int)path;
    switch (type) {
        case GPT2_TYPE_F32: return p == 2 ? matmul_f32_avx512 : p == 1 ? matmul_f32_avx2 : matmul_f32_ref;
        case GPT2_TYPE_F16: return p == 2 ? matmul_f16_avx512 : p == 1 ? matmul_f16_avx2 : matmul_f16_ref;
        case GPT2_TYPE_Q8_0: return p == 2 ? matmul_q8_0_avx512 : p == 1 ? matmul_q8_0_avx2 : matmul_q8_0_ref;
        case GPT2_TYPE_Q4_0: return p == 2 ? matmul_q4_0_avx512 : p == 1 ? matmul_q4_0_avx2 : matmul_q4_0_ref;
        case GPT2_TYPE_Q4_1: return unpacked_kernel<GPT2_TYPE_Q4_1>(p);
        case GPT2_TYPE_Q5_0: return unpacked_kernel<GPT2_TYPE_Q5_0>(p);
        case GPT2_TYPE_Q5_1: return unpacked_kernel<GPT2_TYPE_Q5_1>(p);
        case GPT2_TYPE_IQ4_NL: return unpacked_kernel<GPT2_TYPE_IQ4_NL>(p);
        case GPT2_TYPE_Q2_K: return unpacked_kernel<GPT2_TYPE_Q2_K>(p);
        case GPT2_TYPE_Q3_K: return unpacked_kernel<GPT2_TYPE_Q3_K>(p);
        case GPT2_TYPE_Q4_K: return unpacked_kernel<GPT2_TYPE_Q4_K>(p);
        case GPT2_TYPE_Q5_K: return unpacked_kernel<GPT2_TYPE_Q5_K>(p);
        case GPT2_TYPE_Q6_K: return unpacked_kernel<GPT2_TYPE_Q6_K>(p);
        case GPT2_TYPE_BF16: return matmul_dequant<GPT2_TYPE_BF16>;
    }
    throw Error(GPT2_ERR_INTERNAL, "matmul: unsupported weight type " + std::to_string((int)type));
}

QuantizeRowQ8Fn quantize_row_q8_0_kernel(CpuPath path) {
    return path == CpuPath::scalar ? quantize_row_q8_0_ref : quantize_row_q8_0_avx2;
}

bool matmul_takes_q8_0(gpt2_type type) { return type == GPT2_TYPE_Q8_0 || type == GPT2_TYPE_Q4_0; }

bool matmul_takes_unpacked(gpt2_type type) { return unpack_row_fn(type) != nullptr; }

void matmul_forward_path(float *y, const float *x, const TensorView &w, const float *bias, int64_t T,
                         ThreadPool &pool, MatmulScratch &scratch, CpuPath path) {
    const int64_t K = w.ne[0], N = w.ne[1];
    const MatmulRowsFn fn = matmul_kernel(w.type, path);
    const void *xin = x;
    ActivationsQ8_0 xq8{nullptr, nullptr, nullptr};
    const int64_t block = type_block_size(w.type);
    if (K % block != 0) {
        throw Error(GPT2_ERR_INTERNAL, "matmul: tensor '" + w.name + "' has " + std::to_string(K) +
                                           " inputs, not a multiple of its type's block of " + std::to_string(block));
    }
    if (matmul_takes_q8_0(w.type)) {
        if (K % QK8_0 != 0) {
            throw Error(GPT2_ERR_INTERNAL, "matmul: tensor '" + w.name + "' has " + std::to_string(K) +
                                               " inputs, not a multiple of 32");
        }
        const int64_t nb = K / QK8_0;
        if ((int64_t)scratch.xq.size() < T * nb) scratch.xq.resize((size_t)(T * nb));
        block_q8_0 *xq = scratch.xq.data();
        const QuantizeRowQ8Fn round_row = quantize_row_q8_0_kernel(path);
        auto quantize = [&](int ith, int nth) {
            int64_t t0, t1;
            split_range(T, ith, nth, 1, &t0, &t1);
            for (int64_t t = t0; t < t1; ++t) round_row(x + t * K, xq + t * nb, K);
        };
        if (T < 4) quantize(0, 1);   // a decode step: not worth waking the workers
        else pool.run(quantize);
        xq8.blocks = xq;
        if (path == CpuPath::avx2 && matmul_quant_avx2_widens(T, K)) {
            if ((int64_t)scratch.xw.size() < T * K) scratch.xw.resize((size_t)(T * K));
            if ((int64_t)scratch.xs.size() < T * nb) scratch.xs.resize((size_t)(T * nb));
            int16_t *xw = scratch.xw.data();
            float *xs = scratch.xs.data();
            auto widen = [&](int ith, int nth) {
                int64_t t0, t1;
                split_range(T, ith, nth, 1, &t0, &t1);
                for (int64_t t = t0; t < t1; ++t) widen_q8_0_avx2(xq + t * nb, xw + t * K, xs + t * nb, nb);
            };
            pool.run(widen);   // only prompts are widened (matmul_quant_avx2_widens): worth the workers
            xq8.widened = xw;
            xq8.scales = xs;
        }
        xin = &xq8;
    }
    ActivationsQ8 xa;
    if (matmul_takes_unpacked(w.type)) {
        if ((int64_t)scratch.aq.size() < T * K) scratch.aq.resize((size_t)(T * K));
        if ((int64_t)scratch.ad.size() < T * K / 32) scratch.ad.resize((size_t)(T * K / 32));
        int8_t *aq = scratch.aq.data();
        float *ad = scratch.ad.data();
        auto quantize = [&](int ith, int nth) {
            int64_t t0, t1;
            split_range(T, ith, nth, 1, &t0, &t1);
            for (int64_t t = t0; t < t1; ++t) quantize_activations(w.type, x + t * K, K, aq + t * K, ad + t * K / 32);
        };
        if (T < 4) quantize(0, 1);
        else pool.run(quantize);
        xa.xq = aq;
        xa.xd = ad;
        xin = &xa;
    }
    // Split output rows in groups of 16 (the kernels' row group is 4) so threads get whole groups.
    pool.run([&](int ith, int nth) {
        int64_t n0, n1;
        split_range(N, ith, nth, 16, &n0, &n1);
        if (n1 > n0) fn(y, xin, w.data, bias, T, K, N, n0, n1);
    });
}

void matmul_forward(float *y, const float *x, const TensorView &w, const float *bias, int64_t T, ThreadPool &pool,
                    MatmulScratch &scratch) {
    matmul_forward_path(y, x, w, bias, T, pool, scratch, cpu_active_path());
}

}  // namespace gpt2
