// test_cuda_dequant.cu — the CUDA backend's weight readers (native/cuda/dequant.cuh) run on the CPU: every weight
// of random q8_0, q4_0, f16 and f32 rows, as load_block32 and load_elem read it, equals the runtime's own
// dequantize_row bit for bit, and the row sizes agree. Built only with -DGPT2_CUDA=ON (nvcc); needs no GPU, so CI
// checks the block layouts the kernels assume.
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "dequant.cuh"
#include "tensor/quant.h"
#include "tensor/tensor.h"

namespace {

constexpr int64_t K = 256;
constexpr int ROWS = 12;

// Random rows of K values; row r has its own scale (row 0 all zeros, row 1 tiny) so the fp16 scales vary.
std::vector<float> random_rows(uint32_t seed) {
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
    CHECK(!gpt2cuda::type_supported(GPT2_TYPE_Q4_K));
    CHECK_EQ(gpt2cuda::type_row_bytes(GPT2_TYPE_Q4_K, K), (size_t)0);
    return check_summary("test_cuda_dequant");
}
