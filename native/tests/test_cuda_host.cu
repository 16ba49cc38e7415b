// test_cuda_host.cu — the per-thread arithmetic of the CUDA kernels, run on the CPU (host+device functions of
// native/cuda): every weight of random q8_0, q4_0, f16 and f32 rows, as load_block32 and load_elem read it, equals
// the runtime's own dequantize_row bit for bit; the 32 lanes' shares of a matmul row (matmul_lane_partial, both
// the 16-byte and the element path, two passes of MM_TT entries) add up to x W^T in float64, and the epilogues
// (bias, GELU as gelu_forward_ref, residual add) store what they should. Built only with -DGPT2_CUDA=ON (nvcc);
// needs no GPU, so CI checks the layouts and index arithmetic the kernels rely on.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "dequant.cuh"
#include "kernels/gelu.h"
#include "matmul_lane.cuh"
#include "tensor/quant.h"
#include "tensor/tensor.h"

namespace {

constexpr int64_t K = 256;
constexpr int ROWS = 12;

// Random rows of K values; row r has its own scale (row 0 all zeros, row 1 tiny) so the fp16 scales vary.
std::vector<float> random_rows(uint32_t seed, int64_t K = ::K, int ROWS = ::ROWS) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    std::vector<float> x((size_t)(K * ROWS));
    for (int r = 0; r < ROWS; ++r) {
        const float scale = r == 0 ? 0.f : r == 1 ? 1e-6f : 0.01f * (float)(1 << (r % 8));
        for (int64_t k = 0; k < K; ++k) x[(size_t)(r * K + k)] = scale * normal(rng);
    }
    return x;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Encodes the rows in TYPE with ENCODE, then compares both readers with dequantize_row.
template <int32_t TYPE, typename Encode>
void check_type(const char *name, Encode encode) {
    const size_t row_bytes = gpt2cuda::type_row_bytes(TYPE, K);
    CHECK_EQ(row_bytes, gpt2::type_row_bytes((gpt2_type)TYPE, K));
    const std::vector<float> x = random_rows(TYPE + 1);
    std::vector<uint8_t> data(row_bytes * ROWS);
    std::vector<float> ref((size_t)K);
    int bad_block = 0, bad_elem = 0;
    for (int r = 0; r < ROWS; ++r) {
        const uint8_t *row = data.data() + (size_t)r * row_bytes;
        encode(x.data() + r * K, data.data() + (size_t)r * row_bytes);
        gpt2::dequantize_row(TYPE, row, ref.data(), K);
        for (int64_t k = 0; k < K; ++k) bad_elem += !same_bits(gpt2cuda::load_elem(TYPE, row, k), ref[(size_t)k]);
        if constexpr (TYPE == gpt2cuda::kTypeQ8_0 || TYPE == gpt2cuda::kTypeQ4_0) {
            for (int64_t ib = 0; ib < K / 32; ++ib) {
                float w[32];
                gpt2cuda::load_block32<TYPE>(row, ib, w);
                for (int j = 0; j < 32; ++j) bad_block += !same_bits(w[j], ref[(size_t)(ib * 32 + j)]);
            }
        }
    }
    CHECK_MSG(bad_elem == 0, "%s: load_elem differs from dequantize_row at %d weights", name, bad_elem);
    CHECK_MSG(bad_block == 0, "%s: load_block32 differs from dequantize_row at %d weights", name, bad_block);
}

// N rows of K weights encoded in TYPE (ENCODE(row of K floats, out)), T rows of activations: the lanes' shares
// of every output, summed, against float64 over the dequantized weights; then the epilogues on one output.
template <int32_t TYPE, typename Encode>
void check_matmul(const char *name, int64_t K, Encode encode) {
    constexpr int N = 5, T = 11;   // T: one full pass of MM_TT entries and one of 3
    const size_t row_bytes = gpt2cuda::type_row_bytes(TYPE, K);
    const std::vector<float> wf = random_rows(100 + TYPE, K, N), x = random_rows(200 + TYPE, K, T);
    std::vector<uint8_t> w(row_bytes * N);
    std::vector<float> wd((size_t)(N * K));   // the weights as the runtime dequantizes them
    for (int n = 0; n < N; ++n) {
        encode(wf.data() + n * K, w.data() + (size_t)n * row_bytes);
        gpt2::dequantize_row(TYPE, w.data() + (size_t)n * row_bytes, wd.data() + n * K, K);
    }
    double worst = 0.0;
    for (int n = 0; n < N; ++n) {
        for (int64_t t0 = 0; t0 < T; t0 += gpt2cuda::MM_TT) {
            const int nt = (int)std::min<int64_t>(gpt2cuda::MM_TT, T - t0);
            double y[gpt2cuda::MM_TT] = {0};
            for (int lane = 0; lane < 32; ++lane) {
                float acc[gpt2cuda::MM_TT];
                gpt2cuda::matmul_lane_partial<TYPE>(w.data() + (size_t)n * row_bytes, x.data(), K, t0, nt, lane, acc);
                for (int t = 0; t < nt; ++t) y[t] += acc[t];
            }
            for (int t = 0; t < nt; ++t) {
                double ref = 0.0, mag = 0.0;
                for (int64_t k = 0; k < K; ++k) {
                    const double p = (double)wd[(size_t)(n * K + k)] * (double)x[(size_t)((t0 + t) * K + k)];
                    ref += p;
                    mag += std::fabs(p);
                }
                worst = std::max(worst, std::fabs(y[t] - ref) / (mag + 1e-30));
            }
        }
    }
    // f32 sums of K <= 256 products: a few ulps of the magnitude; a lost or doubled chunk is off by ~1/K or more
    CHECK_MSG(worst <= 1e-5, "%s K=%lld: lanes' sum vs float64: relative error %.3g", name, (long long)K, worst);

    float o = 2.f;
    gpt2cuda::matmul_store(&o, 0.25f, 0.5f, gpt2cuda::Epilogue::add);
    CHECK(o == 2.75f);
    gpt2cuda::matmul_store(&o, 0.25f, 0.5f, gpt2cuda::Epilogue::store);
    CHECK(o == 0.75f);
    float g = 0.f;
    const float in = 0.75f;
    gpt2::gelu_forward_ref(&g, &in, 1);
    gpt2cuda::matmul_store(&o, 0.25f, 0.5f, gpt2cuda::Epilogue::gelu);
    CHECK_NEAR(o, g, 1e-6);
}

}  // namespace

int main() {
    check_type<gpt2cuda::kTypeF32>("f32", [](const float *x, uint8_t *y) { std::memcpy(y, x, (size_t)K * 4); });
    check_type<gpt2cuda::kTypeF16>("f16", [](const float *x, uint8_t *y) {
        gpt2::convert_row_f32_to_f16(x, (uint16_t *)y, K);
    });
    check_type<gpt2cuda::kTypeQ8_0>("q8_0", [](const float *x, uint8_t *y) {
        gpt2::quantize_row_q8_0_ref(x, (gpt2::block_q8_0 *)y, K);
    });
    check_type<gpt2cuda::kTypeQ4_0>("q4_0", [](const float *x, uint8_t *y) {
        gpt2::quantize_row_q4_0_ref(x, (gpt2::block_q4_0 *)y, K);
    });
    const auto f32 = [](int64_t K) {
        return [K](const float *x, uint8_t *y) { std::memcpy(y, x, (size_t)K * 4); };
    };
    const auto f16 = [](int64_t K) {
        return [K](const float *x, uint8_t *y) { gpt2::convert_row_f32_to_f16(x, (uint16_t *)y, K); };
    };
    check_matmul<gpt2cuda::kTypeF32>("f32", 256, f32(256));   // 16-byte chunks
    check_matmul<gpt2cuda::kTypeF32>("f32", 1100, f32(1100)); // chunks, some lanes one more than others
    check_matmul<gpt2cuda::kTypeF32>("f32", 98, f32(98));     // K % 4 != 0: the element path
    check_matmul<gpt2cuda::kTypeF16>("f16", 256, f16(256));
    check_matmul<gpt2cuda::kTypeF16>("f16", 100, f16(100));   // K % 8 != 0: the element path
    check_matmul<gpt2cuda::kTypeQ8_0>("q8_0", 256, [](const float *x, uint8_t *y) {
        gpt2::quantize_row_q8_0_ref(x, (gpt2::block_q8_0 *)y, 256);
    });
    check_matmul<gpt2cuda::kTypeQ8_0>("q8_0", 1088, [](const float *x, uint8_t *y) {   // 34 blocks: 2 per lane 0, 1
        gpt2::quantize_row_q8_0_ref(x, (gpt2::block_q8_0 *)y, 1088);
    });
    check_matmul<gpt2cuda::kTypeQ4_0>("q4_0", 1088, [](const float *x, uint8_t *y) {
        gpt2::quantize_row_q4_0_ref(x, (gpt2::block_q4_0 *)y, 1088);
    });
    CHECK(!gpt2cuda::type_supported(GPT2_TYPE_Q4_K));
    CHECK_EQ(gpt2cuda::type_row_bytes(GPT2_TYPE_Q4_K, K), (size_t)0);
    return check_summary("test_cuda_host");
}
