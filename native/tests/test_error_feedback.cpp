// test_error_feedback.cpp — GPTQ-style re-rounding (convert/error_feedback.h): the factor is the Cholesky factor
// of the damped metric's inverse; re-rounded rows keep every scale and min, lower the metric's error a lot where
// the metric couples the columns (low rank, as the lookup Fisher is), never raise any weight's own error under a
// plain (identity) metric, and bad metrics are refused.
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "check.h"
#include "convert/error_feedback.h"
#include "convert/gpt2_gguf.h"
#include "convert/random_model.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"
#include "util/error.h"

using namespace gpt2;

namespace {

const gpt2_type kTypes[] = {GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0, GPT2_TYPE_Q4_1, GPT2_TYPE_Q5_0, GPT2_TYPE_Q5_1,
                            GPT2_TYPE_IQ4_NL, GPT2_TYPE_Q2_K, GPT2_TYPE_Q3_K, GPT2_TYPE_Q4_K, GPT2_TYPE_Q5_K,
                            GPT2_TYPE_Q6_K};

int32_t status_of(const std::function<void()> &fn) {
    try {
        fn();
    } catch (const Error &e) {
        return e.status();
    }
    return GPT2_OK;
}

// M = sum of R outer products of random directions with weights 10^k, plus EPS on the diagonal.
std::vector<float> low_rank_metric(SplitMix64 &rng, int64_t K, int R, float eps) {
    std::vector<double> m((size_t)(K * K), 0.0);
    std::vector<float> v((size_t)K);
    for (int r = 0; r < R; ++r) {
        fill_normal(rng, v.data(), K, 0.0f, 1.0f);
        const double w = std::pow(10.0, r % 3);
        for (int64_t i = 0; i < K; ++i)
            for (int64_t j = 0; j < K; ++j) m[(size_t)(i * K + j)] += w * v[(size_t)i] * v[(size_t)j];
    }
    std::vector<float> out((size_t)(K * K));
    for (int64_t i = 0; i < K; ++i)
        for (int64_t j = 0; j < K; ++j) out[(size_t)(i * K + j)] = (float)(m[(size_t)(i * K + j)] + (i == j ? eps : 0.0));
    return out;
}

double metric_error(const std::vector<float> &M, const float *x, const float *y, int64_t K) {
    double s = 0;
    for (int64_t i = 0; i < K; ++i)
        for (int64_t j = 0; j < K; ++j)
            s += (double)(x[i] - y[i]) * M[(size_t)(i * K + j)] * (double)(x[j] - y[j]);
    return s;
}

// U^T U equals the inverse of M + damp * mean(diag M) * I.
void test_factor() {
    SplitMix64 rng{3};
    const int64_t K = 32;
    const std::vector<float> M = low_rank_metric(rng, K, 40, 0.5f);   // full rank
    const double damp = 0.01;
    const std::vector<double> U = error_feedback_factor(M.data(), K, damp);
    double mean = 0;
    for (int64_t i = 0; i < K; ++i) mean += M[(size_t)(i * K + i)];
    mean /= K;
    double worst = 0;
    for (int64_t i = 0; i < K; ++i) {
        for (int64_t j = 0; j < K; ++j) {
            // (M + dI) (U^T U) = I
            double s = 0;
            for (int64_t k = 0; k < K; ++k) {
                double uu = 0;
                for (int64_t l = 0; l <= std::min(k, j); ++l) uu += U[(size_t)(l * K + k)] * U[(size_t)(l * K + j)];
                s += ((double)M[(size_t)(i * K + k)] + (i == k ? damp * mean : 0.0)) * uu;
            }
            worst = std::fmax(worst, std::fabs(s - (i == j ? 1.0 : 0.0)));
        }
        for (int64_t j = 0; j < i; ++j) CHECK(U[(size_t)(i * K + j)] == 0.0);   // upper triangular
    }
    CHECK_MSG(worst < 1e-9, "(M + damping) U^T U differs from I by %g", worst);
}

void test_rows() {
    SplitMix64 rng{11};
    const int64_t K = QK_K, rows = 24;
    std::vector<float> x((size_t)(K * rows)), y0((size_t)K), y1((size_t)K);
    fill_normal(rng, x.data(), K * rows, 0.0f, 0.05f);
    const std::vector<float> M = low_rank_metric(rng, K, 6, 0.0f);   // rank 6 of 256: mostly free directions
    std::vector<float> I((size_t)(K * K), 0.0f);
    for (int64_t i = 0; i < K; ++i) I[(size_t)(i * K + i)] = 1.0f;
    const std::vector<double> U = error_feedback_factor(M.data(), K, 1e-3), UI = error_feedback_factor(I.data(), K, 0);
    for (gpt2_type t : kTypes) {
        CHECK(error_feedback_supported(t));
        const std::vector<uint8_t> plain = tensor_encode(x.data(), K, rows, t);
        std::vector<uint8_t> fed = plain, nearest = plain;
        error_feedback_rows(t, x.data(), fed.data(), K, rows, U);
        error_feedback_rows(t, x.data(), nearest.data(), K, rows, UI);
        const size_t rb = type_row_bytes(t, K);
        double e0 = 0, e1 = 0;
        int worse = 0;
        for (int64_t r = 0; r < rows; ++r) {
            const float *xr = x.data() + r * K;
            dequantize_row(t, plain.data() + r * rb, y0.data(), K);
            dequantize_row(t, fed.data() + r * rb, y1.data(), K);
            e0 += metric_error(M, xr, y0.data(), K);
            e1 += metric_error(M, xr, y1.data(), K);
            dequantize_row(t, nearest.data() + r * rb, y1.data(), K);
            for (int64_t k = 0; k < K; ++k) worse += std::fabs(xr[k] - y1[(size_t)k]) > std::fabs(xr[k] - y0[(size_t)k]) + 1e-7f;
        }
        std::printf("  %-6s metric error %.3g -> %.3g (%.1f%%)\n", type_name(t), e0, e1, 100 * e1 / e0);
        CHECK_MSG(e1 < 0.1 * e0, "%s: error feedback left the metric's error at %g of %g", type_name(t), e1, e0);
        CHECK_MSG(worse == 0, "%s: %d weights further from x than before under the identity metric", type_name(t), worse);
        // the scales and mins stay: with the row's own levels written back, the bytes are the plain encoding's
        if (const UnpackRowFn unpack = unpack_row_fn(t)) {
            std::vector<int8_t> q((size_t)K);
            std::vector<float> sc((size_t)K / 16), mn((size_t)K / 16);
            for (int64_t r = 0; r < rows; ++r) {
                unpack(plain.data() + r * rb, K, q.data(), sc.data(), mn.data());
                std::vector<uint8_t> row(fed.begin() + (ptrdiff_t)(r * rb), fed.begin() + (ptrdiff_t)((r + 1) * rb));
                pack_row_levels(t, q.data(), row.data(), K);
                CHECK_MSG(std::memcmp(row.data(), plain.data() + r * rb, rb) == 0, "%s: row %lld's scales moved",
                          type_name(t), (long long)r);
            }
        }
    }
}

void test_refused() {
    const int64_t K = 32;
    std::vector<float> M((size_t)(K * K), 0.0f);
    for (int64_t i = 0; i < K; ++i) M[(size_t)(i * K + i)] = 1.0f;
    std::vector<float> bad = M;
    bad[1] = 0.5f;   // not symmetric
    CHECK(status_of([&] { error_feedback_factor(bad.data(), K, 0.01); }) == GPT2_ERR_INVALID_ARGUMENT);
    bad = M;
    bad[5 * K + 5] = NAN;
    CHECK(status_of([&] { error_feedback_factor(bad.data(), K, 0.01); }) == GPT2_ERR_INVALID_ARGUMENT);
    bad = M;
    bad[3 * K + 3] = -40.0f;   // far from positive semi-definite
    CHECK(status_of([&] { error_feedback_factor(bad.data(), K, 0.01); }) == GPT2_ERR_INVALID_ARGUMENT);
    std::vector<float> zero((size_t)(K * K), 0.0f);
    CHECK(status_of([&] { error_feedback_factor(zero.data(), K, 0.01); }) == GPT2_ERR_INVALID_ARGUMENT);
    // slightly below zero (noise around a null direction) is damped into a factor
    bad = M;
    bad[3 * K + 3] = -1e-4f;
    CHECK(status_of([&] { error_feedback_factor(bad.data(), K, 0.0); }) == GPT2_OK);
    // types without levels
    CHECK(!error_feedback_supported(GPT2_TYPE_F32) && !error_feedback_supported(GPT2_TYPE_F16) &&
          !error_feedback_supported(GPT2_TYPE_BF16));
    const std::vector<double> U = error_feedback_factor(M.data(), K, 0);
    std::vector<float> x((size_t)K, 0.1f), y((size_t)K);
    CHECK(status_of([&] { error_feedback_rows(GPT2_TYPE_F32, x.data(), y.data(), K, 1, U); }) == GPT2_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main() {
    test_factor();
    test_rows();
    test_refused();
    return check_summary("test_error_feedback");
}
