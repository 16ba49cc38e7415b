// error_feedback.cpp — GPTQ-style re-rounding of a quantized matrix's levels (see error_feedback.h).
#include "convert/error_feedback.h"

#include <cmath>
#include <string>

#include "tensor/quant.h"
#include "tensor/tensor.h"
#include "util/error.h"

namespace gpt2 {

namespace {

// In-place Cholesky factorisation A = L L^T of the row-major N x N A (lower triangle written, upper zeroed).
// False when A is not positive definite.
bool cholesky_lower(std::vector<double> &a, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
        double d = a[(size_t)(j * n + j)];
        for (int64_t k = 0; k < j; ++k) d -= a[(size_t)(j * n + k)] * a[(size_t)(j * n + k)];
        if (!(d > 0)) return false;
        const double ljj = std::sqrt(d);
        a[(size_t)(j * n + j)] = ljj;
        for (int64_t i = j + 1; i < n; ++i) {
            double s = a[(size_t)(i * n + j)];
            for (int64_t k = 0; k < j; ++k) s -= a[(size_t)(i * n + k)] * a[(size_t)(j * n + k)];
            a[(size_t)(i * n + j)] = s / ljj;
        }
        for (int64_t i = 0; i < j; ++i) a[(size_t)(i * n + j)] = 0;
    }
    return true;
}

// The levels a weight of TYPE may take: lo..hi (for IQ4_NL the table's entries instead).
void level_range(gpt2_type type, int *lo, int *hi) {
    switch (type) {
        case GPT2_TYPE_Q8_0: *lo = -128; *hi = 127; return;
        case GPT2_TYPE_Q4_0: *lo = -8; *hi = 7; return;
        case GPT2_TYPE_Q4_1: case GPT2_TYPE_Q4_K: *lo = 0; *hi = 15; return;
        case GPT2_TYPE_Q5_0: *lo = -16; *hi = 15; return;
        case GPT2_TYPE_Q5_1: case GPT2_TYPE_Q5_K: *lo = 0; *hi = 31; return;
        case GPT2_TYPE_Q2_K: *lo = 0; *hi = 3; return;
        case GPT2_TYPE_Q3_K: *lo = -4; *hi = 3; return;
        case GPT2_TYPE_Q6_K: *lo = -32; *hi = 31; return;
        default: *lo = *hi = 0; return;   // IQ4_NL: the table
    }
}

// One encoded row in integer form: weight k = scale[k/16] * q[k] - min[k/16] (min 0 for types without one).
void unpack_levels(gpt2_type type, const void *y, int64_t K, int8_t *q, float *scale, float *min) {
    for (int64_t j = 0; j < K / 16; ++j) min[j] = 0;
    if (type == GPT2_TYPE_Q4_0) {
        const block_q4_0 *b = (const block_q4_0 *)y;
        for (int64_t i = 0; i < K / QK4_0; ++i) {
            for (int j = 0; j < QK4_0 / 2; ++j) {
                q[i * QK4_0 + j] = (int8_t)((b[i].qs[j] & 0x0f) - 8);
                q[i * QK4_0 + j + 16] = (int8_t)((b[i].qs[j] >> 4) - 8);
            }
            scale[2 * i] = scale[2 * i + 1] = fp16_to_fp32(b[i].d);
        }
    } else if (type == GPT2_TYPE_Q8_0) {
        const block_q8_0 *b = (const block_q8_0 *)y;
        for (int64_t i = 0; i < K / QK8_0; ++i) {
            for (int j = 0; j < QK8_0; ++j) q[i * QK8_0 + j] = b[i].qs[j];
            scale[2 * i] = scale[2 * i + 1] = fp16_to_fp32(b[i].d);
        }
    } else {
        unpack_row_fn(type)(y, K, q, scale, min);
    }
}

}  // namespace

bool error_feedback_supported(gpt2_type type) {
    return type == GPT2_TYPE_Q8_0 || type == GPT2_TYPE_Q4_0 || unpack_row_fn(type) != nullptr;
}

std::vector<double> error_feedback_factor(const float *m, int64_t K, double damp) {
    const size_t n = (size_t)K;
    std::vector<double> a(n * n);
    double mean_diag = 0;
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
            const double v = m[i * n + j];
            if (!std::isfinite(v) || std::fabs(v - (double)m[j * n + i]) > 1e-4 * (std::fabs(v) + 1e-30) + 1e-30)
                throw Error(GPT2_ERR_INVALID_ARGUMENT, "error feedback: the metric is not finite and symmetric");
            a[i * n + j] = v;
        }
        mean_diag += a[i * n + i];
    }
    mean_diag /= (double)K;
    if (!(mean_diag > 0)) throw Error(GPT2_ERR_INVALID_ARGUMENT, "error feedback: the metric's diagonal is not positive");
    // A measured metric can have eigenvalues a little below zero (noise around a null direction): then the damping
    // grows tenfold until the factorisation holds; far below zero it is not a metric at all.
    const std::vector<double> m64 = a;
    for (double d = damp;; d *= 10) {
        for (size_t i = 0; i < n; ++i) a[i * n + i] = m64[i * n + i] + d * mean_diag;
        if (cholesky_lower(a, K)) break;
        if (d >= 1) throw Error(GPT2_ERR_INVALID_ARGUMENT, "error feedback: the metric is not positive semi-definite");
        a = m64;
        if (d == 0) d = 1e-7;
    }
    // M^-1 = L^-T L^-1: invert L (lower) column by column, then form the product
    std::vector<double> li(n * n, 0.0);
    for (size_t c = 0; c < n; ++c) {
        li[c * n + c] = 1.0 / a[c * n + c];
        for (size_t i = c + 1; i < n; ++i) {
            double s = 0;
            for (size_t k = c; k < i; ++k) s += a[i * n + k] * li[k * n + c];
            li[i * n + c] = -s / a[i * n + i];
        }
    }
    std::vector<double> inv(n * n, 0.0);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j <= i; ++j) {
            double s = 0;
            for (size_t k = i; k < n; ++k) s += li[k * n + i] * li[k * n + j];   // (L^-T L^-1)_ij
            inv[i * n + j] = inv[j * n + i] = s;
        }
    }
    if (!cholesky_lower(inv, K)) throw Error(GPT2_ERR_INVALID_ARGUMENT, "error feedback: the metric is ill-conditioned");
    std::vector<double> u(n * n, 0.0);   // U = L'^T of M^-1 = L' L'^T ... = U^T U
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i; j < n; ++j) u[i * n + j] = inv[j * n + i];
    return u;
}

void error_feedback_rows(gpt2_type type, const float *x, void *y, int64_t K, int64_t rows,
                         const std::vector<double> &U) {
    require_arg(error_feedback_supported(type), std::string("error feedback: type ") +
                                                    (type_name(type) ? type_name(type) : "?") + " has no levels");
    require_arg(K % QK_K == 0 || (type_block_size(type) == 32 && K % 32 == 0), "error feedback: row length");
    require_arg((int64_t)U.size() == K * K, "error feedback: factor size");
    int lo, hi;
    level_range(type, &lo, &hi);
    const size_t row_bytes = type_row_bytes(type, K);
    std::vector<int8_t> q((size_t)K);
    std::vector<float> scale((size_t)K / 16), min((size_t)K / 16);
    std::vector<double> r((size_t)K);
    for (int64_t row = 0; row < rows; ++row) {
        void *yr = (uint8_t *)y + (size_t)row * row_bytes;
        unpack_levels(type, yr, K, q.data(), scale.data(), min.data());
        for (int64_t k = 0; k < K; ++k) r[(size_t)k] = x[row * K + k];
        for (int64_t j = 0; j < K; ++j) {
            const float s = scale[(size_t)(j / 16)], m = min[(size_t)(j / 16)];
            const double target = r[(size_t)j];
            int best = q[(size_t)j];
            if (s != 0) {
                if (type == GPT2_TYPE_IQ4_NL) {
                    double best_err = INFINITY;
                    for (int8_t level : IQ4_NL_LEVELS) {
                        const double e = std::fabs(target - (double)(s * (float)level));
                        if (e < best_err) best_err = e, best = level;
                    }
                } else {
                    const double f = std::nearbyint((target + (double)m) / (double)s);
                    best = (int)std::fmin(std::fmax(f, (double)lo), (double)hi);
                }
            }
            q[(size_t)j] = (int8_t)best;
            const double v = (double)(s * (float)best - m);   // the value ggml dequantizes
            const double e = (target - v) / U[(size_t)(j * K + j)];
            const double *uj = U.data() + (size_t)(j * K);
            for (int64_t k = j + 1; k < K; ++k) r[(size_t)k] -= e * uj[k];
        }
        pack_row_levels(type, q.data(), yr, K);
    }
}

}  // namespace gpt2
