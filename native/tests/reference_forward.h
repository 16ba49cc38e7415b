// reference_forward.h — an independent, plainly written float64 GPT-2 forward pass (no KV cache, no
// threads, no SIMD) over a gpt2_model's weights: the test oracle for the runtime's forward pass. Quantized
// weights are dequantized with quant.h's dequantize_row, then everything runs in double; K and V are rounded
// to f16 where the runtime caches them so (every model whose matrices are not f32, see model/kv_cache.h).
//
// Legend: T = tokens, C = n_embd, NH = n_head, hs = C / NH, F = n_ff, V = n_vocab.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "model/model.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

namespace reference {

// All rows of a weight as float64, (rows, ne[0]) row-major.
inline std::vector<double> weight_f64(const gpt2::TensorView &t) {
    const int64_t cols = t.ne[0], rows = t.rows();
    const size_t row_bytes = gpt2::type_row_bytes(t.type, cols);
    std::vector<float> row((size_t)cols);
    std::vector<double> out((size_t)(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        gpt2::dequantize_row(t.type, (const char *)t.data + (size_t)r * row_bytes, row.data(), cols);
        for (int64_t c = 0; c < cols; ++c) out[(size_t)(r * cols + c)] = row[(size_t)c];
    }
    return out;
}

// out (T, N) = inp (T, K) W^T + b; W is (N, K); b may be empty.
inline void linear(std::vector<double> &out, const std::vector<double> &inp, const std::vector<double> &W,
                   const std::vector<double> &b, int64_t T, int64_t K, int64_t N) {
    out.assign((size_t)(T * N), 0.0);
    for (int64_t t = 0; t < T; ++t)
        for (int64_t n = 0; n < N; ++n) {
            double acc = b.empty() ? 0.0 : b[(size_t)n];
            for (int64_t k = 0; k < K; ++k) acc += W[(size_t)(n * K + k)] * inp[(size_t)(t * K + k)];
            out[(size_t)(t * N + n)] = acc;
        }
}

// out (T, C) = layernorm(inp (T, C)) * w + b
inline void layernorm(std::vector<double> &out, const std::vector<double> &inp, const std::vector<double> &w,
                      const std::vector<double> &b, int64_t T, int64_t C, double eps) {
    out.assign((size_t)(T * C), 0.0);
    for (int64_t t = 0; t < T; ++t) {
        double mean = 0.0, var = 0.0;
        for (int64_t i = 0; i < C; ++i) mean += inp[(size_t)(t * C + i)];
        mean /= (double)C;
        for (int64_t i = 0; i < C; ++i) {
            const double d = inp[(size_t)(t * C + i)] - mean;
            var += d * d;
        }
        var /= (double)C;
        const double rstd = 1.0 / std::sqrt(var + eps);
        for (int64_t i = 0; i < C; ++i)
            out[(size_t)(t * C + i)] = (inp[(size_t)(t * C + i)] - mean) * rstd * w[(size_t)i] + b[(size_t)i];
    }
}

// Logits (T, V) for every position of TOKENS (positions 0..T-1).
inline std::vector<double> forward(const gpt2_model &m, const std::vector<int32_t> &tokens) {
    const gpt2::HParams &hp = m.hparams;
    const int64_t T = (int64_t)tokens.size(), C = hp.n_embd, NH = hp.n_head, hs = C / NH, F = hp.n_ff,
                  V = hp.n_vocab;
    const double eps = hp.norm_eps;
    const bool kv_f16 = m.ftype != GPT2_TYPE_F32;
    const std::vector<double> wte = weight_f64(m.weights.token_embd), wpe = weight_f64(m.weights.position_embd);

    std::vector<double> x((size_t)(T * C));
    for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < C; ++i)
            x[(size_t)(t * C + i)] = wte[(size_t)(tokens[(size_t)t] * C + i)] + wpe[(size_t)(t * C + i)];

    std::vector<double> ln, qkv, att((size_t)(T * C)), proj, fc;
    for (const gpt2::LayerWeights &lw : m.weights.layers) {
        layernorm(ln, x, weight_f64(lw.attn_norm_w), weight_f64(lw.attn_norm_b), T, C, eps);
        linear(qkv, ln, weight_f64(lw.attn_qkv_w), weight_f64(lw.attn_qkv_b), T, C, 3 * C);
        if (kv_f16) {   // the runtime caches K and V as f16 for all but f32 models (model/kv_cache.h)
            for (int64_t t = 0; t < T; ++t)
                for (int64_t i = C; i < 3 * C; ++i) {
                    double &e = qkv[(size_t)(t * 3 * C + i)];
                    e = gpt2::fp16_to_fp32(gpt2::fp32_to_fp16((float)e));
                }
        }
        // causal attention per head: q at t attends to k, v at 0..t
        for (int64_t t = 0; t < T; ++t)
            for (int64_t h = 0; h < NH; ++h) {
                std::vector<double> score((size_t)(t + 1));
                double mx = -INFINITY;
                for (int64_t p = 0; p <= t; ++p) {
                    double d = 0.0;
                    for (int64_t i = 0; i < hs; ++i)
                        d += qkv[(size_t)(t * 3 * C + h * hs + i)] * qkv[(size_t)(p * 3 * C + C + h * hs + i)];
                    score[(size_t)p] = d / std::sqrt((double)hs);
                    mx = std::max(mx, score[(size_t)p]);
                }
                double sum = 0.0;
                for (double &s : score) {
                    s = std::exp(s - mx);
                    sum += s;
                }
                for (int64_t i = 0; i < hs; ++i) {
                    double acc = 0.0;
                    for (int64_t p = 0; p <= t; ++p)
                        acc += score[(size_t)p] / sum * qkv[(size_t)(p * 3 * C + 2 * C + h * hs + i)];
                    att[(size_t)(t * C + h * hs + i)] = acc;
                }
            }
        linear(proj, att, weight_f64(lw.attn_out_w), weight_f64(lw.attn_out_b), T, C, C);
        for (size_t i = 0; i < x.size(); ++i) x[i] += proj[i];

        layernorm(ln, x, weight_f64(lw.ffn_norm_w), weight_f64(lw.ffn_norm_b), T, C, eps);
        linear(fc, ln, weight_f64(lw.ffn_up_w), weight_f64(lw.ffn_up_b), T, C, F);
        for (double &v : fc) v = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
        linear(proj, fc, weight_f64(lw.ffn_down_w), weight_f64(lw.ffn_down_b), T, F, C);
        for (size_t i = 0; i < x.size(); ++i) x[i] += proj[i];
    }
    layernorm(ln, x, weight_f64(m.weights.output_norm_w), weight_f64(m.weights.output_norm_b), T, C, eps);
    std::vector<double> logits;
    linear(logits, ln, weight_f64(m.weights.output), {}, T, C, V);
    return logits;
}

}  // namespace reference
