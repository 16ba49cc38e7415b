// test_quant.cpp — fp16/bf16 conversion (exhaustive round trip, rounding ties, inf/nan/subnormals), ggml's
// Q8_0/Q4_0 block layouts, known quantized bytes, and quantize->dequantize error bounds.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.h"
#include "convert/gpt2_gguf.h"
#include "fixtures/ggml_dequant_golden.h"
#include "convert/random_model.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

using namespace gpt2;

namespace {

// Q8_0 error per element: half a quantization step of the (fp16-rounded) scale, plus what the scale's
// fp16 rounding adds over the largest code (127), plus float slack.
constexpr double Q8_SLACK = 1e-6;
// Q4_0: the element opposite in sign to the block's max can be clamped from 16 to 15, a full step |d|.
constexpr double Q4_SLACK = 1e-6;

float bits_to_f(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

void test_fp16() {
    // every half value survives half -> float -> half (NaNs stay NaNs)
    int bad = 0;
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = fp16_to_fp32((uint16_t)h);
        const uint16_t back = fp32_to_fp16(f);
        const bool is_nan = ((h & 0x7c00) == 0x7c00) && (h & 0x3ff);
        if (is_nan) {
            if (!std::isnan(f) || !std::isnan(fp16_to_fp32(back))) ++bad;
        } else if (back != h) {
            ++bad;
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(fp32_to_fp16(1.0f), 0x3c00);
    CHECK_EQ(fp32_to_fp16(-2.0f), 0xc000);
    CHECK_EQ(fp32_to_fp16(65504.0f), 0x7bff);
    CHECK_EQ(fp32_to_fp16(65519.0f), 0x7bff);
    CHECK_EQ(fp32_to_fp16(65520.0f), 0x7c00);              // tie between max and 2^16 rounds to even (inf)
    CHECK_EQ(fp32_to_fp16(INFINITY), 0x7c00);
    CHECK_EQ(fp32_to_fp16(-INFINITY), 0xfc00);
    CHECK_EQ(fp32_to_fp16(1e10f), 0x7c00);
    CHECK_EQ(fp32_to_fp16(std::nanf("")) & 0x7e00, 0x7e00);
    CHECK_EQ(fp32_to_fp16(0.0f), 0x0000);
    CHECK_EQ(fp32_to_fp16(-0.0f), 0x8000);
    CHECK_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
    CHECK_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // half of it: tie -> even (0)
    CHECK_EQ(fp32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
    CHECK_EQ(fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 ulp: tie -> even (2)
    CHECK_EQ(fp32_to_fp16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
    CHECK_EQ(fp32_to_fp16(std::ldexp(1023.5f, -24)), 0x0400);  // subnormal rounding carries into the exponent
    CHECK_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie -> even
    CHECK_EQ(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie -> even (up)
    CHECK_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -10)), 0x3c01);
    CHECK(fp16_to_fp32(0x0001) == std::ldexp(1.0f, -24));
    CHECK(fp16_to_fp32(0x03ff) == std::ldexp(1023.0f, -24));
    CHECK(std::isinf(fp16_to_fp32(0xfc00)) && fp16_to_fp32(0xfc00) < 0);
    CHECK(std::signbit(fp16_to_fp32(0x8000)));

    // nearest rounding on a sweep of float bit patterns across the whole half range
    int not_nearest = 0;
    for (uint32_t u = 0x33000000u; u < 0x477ff000u; u += 4099) {   // up to 65520 (which rounds to inf)
        const float f = bits_to_f(u);
        const uint16_t h = fp32_to_fp16(f);
        const double e = std::fabs((double)fp16_to_fp32(h) - f);
        const double e_up = std::fabs((double)fp16_to_fp32((uint16_t)(h + 1)) - f);
        const double e_dn = h > 0 ? std::fabs((double)fp16_to_fp32((uint16_t)(h - 1)) - f) : e;
        if (e > e_up || e > e_dn) ++not_nearest;
    }
    CHECK_EQ(not_nearest, 0);

    CHECK(bf16_to_fp32(0x3f80) == 1.0f);
    CHECK(bf16_to_fp32(0xc040) == -3.0f);
    CHECK(std::isinf(bf16_to_fp32(0x7f80)));
}

void test_layout() {
    CHECK_EQ(sizeof(block_q8_0), (size_t)34);
    CHECK_EQ(offsetof(block_q8_0, qs), (size_t)2);
    CHECK_EQ(sizeof(block_q4_0), (size_t)18);
    CHECK_EQ(offsetof(block_q4_0, qs), (size_t)2);
    CHECK_EQ(type_block_size(GPT2_TYPE_Q8_0), 32);
    CHECK_EQ(type_block_size(GPT2_TYPE_F16), 1);
    CHECK_EQ(type_row_bytes(GPT2_TYPE_Q8_0, 64), (size_t)68);
    CHECK_EQ(type_row_bytes(GPT2_TYPE_Q4_0, 64), (size_t)36);
    CHECK_EQ(type_row_bytes(GPT2_TYPE_F16, 64), (size_t)128);
    CHECK_EQ(type_row_bytes(GPT2_TYPE_F32, 64), (size_t)256);
    gpt2_type t = GPT2_TYPE_F32;
    CHECK(type_from_name("Q8_0", &t) && t == GPT2_TYPE_Q8_0);
    CHECK(type_from_name("q4_0", &t) && t == GPT2_TYPE_Q4_0);
    CHECK(type_from_name("f16", &t) && t == GPT2_TYPE_F16);
    CHECK(!type_from_name("q4_1", &t));   // read, not written (gpt2-quantize writes f32 f16 q8_0 q4_0)
    CHECK(type_is_supported(8) && type_is_supported(2) && type_is_supported(3) && type_is_supported(30));
    for (uint32_t id : {12u, 13u, 14u, 20u}) CHECK(type_is_supported(id));
    // ids ggml has but this runtime does not read: removed Q4_2/Q4_3, Q8_1, Q8_K, the IQ2/IQ3/IQ1 grids, TQ*
    for (uint32_t id : {4u, 5u, 9u, 15u, 16u, 17u, 18u, 19u, 21u, 22u, 23u, 29u, 34u, 35u, 99u, 70000u}) {
        CHECK_MSG(!type_is_supported(id), "type %u", id);
    }
}

void test_known_blocks() {
    float x[32];
    for (int j = 0; j < 32; ++j) x[j] = (float)(j - 16);   // -16 .. 15
    block_q8_0 q8;
    quantize_row_q8_0_ref(x, &q8, 32);
    CHECK_EQ(q8.d, fp32_to_fp16(16.0f / 127.0f));
    CHECK_EQ(q8.qs[0], -127);
    CHECK_EQ(q8.qs[16], 0);
    CHECK_EQ(q8.qs[31], (int8_t)std::roundf(15.0f * (1.0f / (16.0f / 127.0f))));

    block_q4_0 q4;
    quantize_row_q4_0_ref(x, &q4, 32);
    CHECK_EQ(q4.d, fp32_to_fp16(2.0f));        // max = -16 -> d = -16 / -8
    CHECK_EQ(q4.qs[0], 0x80);                  // weight 0 -> 0 (low), weight 16 -> 8 (high)
    CHECK_EQ(q4.qs[15], 0xF8);                 // weight 15 -> 8, weight 31 -> 16 clamped to 15
    float y[32];
    dequantize_row_q4_0(&q4, y, 32);
    CHECK(y[0] == -16.0f && y[16] == 0.0f && y[31] == 14.0f);

    const float zeros[32] = {0};
    quantize_row_q8_0_ref(zeros, &q8, 32);
    quantize_row_q4_0_ref(zeros, &q4, 32);
    bool all = q8.d == 0 && fp16_to_fp32(q4.d) == 0.0f;   // q4: 0 / -8 = -0 (0x8000), as ggml
    for (int j = 0; j < 32; ++j) all = all && q8.qs[j] == 0;
    for (int j = 0; j < 16; ++j) all = all && q4.qs[j] == 0x88;
    CHECK(all);

    // non-finite input must not crash or hit an undefined cast
    float bad[32];
    for (int j = 0; j < 32; ++j) bad[j] = (float)j;
    bad[3] = std::nanf("");
    bad[7] = INFINITY;
    quantize_row_q8_0_ref(bad, &q8, 32);
    quantize_row_q4_0_ref(bad, &q4, 32);
    CHECK(true);
}

void test_error_bounds() {
    SplitMix64 rng{1234};
    const int64_t n = 32 * 257;
    std::vector<float> x((size_t)n), y((size_t)n);
    for (int64_t i = 0; i < n; ++i) {
        const double scale = (i / 32) % 5 == 0 ? 100.0 : ((i / 32) % 5 == 1 ? 1e-3 : 1.0);
        x[(size_t)i] = (float)((rng.uniform() * 2.0 - 1.0) * scale);
    }
    std::vector<block_q8_0> q8((size_t)(n / 32));
    quantize_row_q8_0_ref(x.data(), q8.data(), n);
    dequantize_row_q8_0(q8.data(), y.data(), n);
    int bad8 = 0;
    for (int64_t b = 0; b < n / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[(size_t)(b * 32 + j)]));
        const double d = amax / 127.0, d16 = fp16_to_fp32(q8[(size_t)b].d);
        const double tol = 0.5 * d16 + 127.0 * std::fabs(d - d16) + Q8_SLACK * amax;
        for (int j = 0; j < 32; ++j) bad8 += std::fabs((double)y[(size_t)(b * 32 + j)] - x[(size_t)(b * 32 + j)]) > tol;
    }
    CHECK_EQ(bad8, 0);

    std::vector<block_q4_0> q4((size_t)(n / 32));
    quantize_row_q4_0_ref(x.data(), q4.data(), n);
    dequantize_row(GPT2_TYPE_Q4_0, q4.data(), y.data(), n);
    int bad4 = 0;
    for (int64_t b = 0; b < n / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[(size_t)(b * 32 + j)]));
        const double d = amax / 8.0, d16 = std::fabs(fp16_to_fp32(q4[(size_t)b].d));
        const double tol = d16 + 8.0 * std::fabs(d - d16) + Q4_SLACK * amax;
        for (int j = 0; j < 32; ++j) bad4 += std::fabs((double)y[(size_t)(b * 32 + j)] - x[(size_t)(b * 32 + j)]) > tol;
    }
    CHECK_EQ(bad4, 0);

    std::vector<uint16_t> h((size_t)n);
    convert_row_f32_to_f16(x.data(), h.data(), n);
    dequantize_row(GPT2_TYPE_F16, h.data(), y.data(), n);
    int badh = 0;
    for (int64_t i = 0; i < n; ++i) badh += y[(size_t)i] != fp16_to_fp32(fp32_to_fp16(x[(size_t)i]));
    CHECK_EQ(badh, 0);
    dequantize_row(GPT2_TYPE_F32, x.data(), y.data(), n);
    CHECK(std::memcmp(x.data(), y.data(), (size_t)n * 4) == 0);
}

// ggml's reference formulas written plainly (roundf, MAX, (int8_t) casts) as the oracle for our rows.
void ggml_q8_0_oracle(const float *x, block_q8_0 *y, int64_t n) {
    for (int64_t i = 0; i < n / 32; ++i) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = amax > std::fabs(x[i * 32 + j]) ? amax : std::fabs(x[i * 32 + j]);
        const float d = amax / 127.0f;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < 32; ++j) y[i].qs[j] = (int8_t)std::roundf(x[i * 32 + j] * id);
    }
}

void ggml_q4_0_oracle(const float *x, block_q4_0 *y, int64_t n) {
    for (int64_t i = 0; i < n / 32; ++i) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; ++j) {
            if (amax < std::fabs(x[i * 32 + j])) {
                amax = std::fabs(x[i * 32 + j]);
                max = x[i * 32 + j];
            }
        }
        const float d = max / -8;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < 16; ++j) {
            const uint8_t a = (uint8_t)std::min(15, (int)(int8_t)(x[i * 32 + j] * id + 8.5f));
            const uint8_t b = (uint8_t)std::min(15, (int)(int8_t)(x[i * 32 + 16 + j] * id + 8.5f));
            y[i].qs[j] = (uint8_t)(a | (b << 4));
        }
    }
}

void test_matches_ggml_formulas() {
    SplitMix64 rng{77};
    const int64_t n = 32 * 4096;
    std::vector<float> x((size_t)n);
    for (int64_t i = 0; i < n; ++i) {
        const uint64_t r = rng.next();
        if (r % 7 == 0) x[(size_t)i] = (float)((int)(r >> 8) % 255 - 127) * 0.5f;   // exact halves: rounding ties
        else x[(size_t)i] = (float)((rng.uniform() * 2.0 - 1.0) * ((r >> 3) % 3 == 0 ? 10.0 : 1e-2));
    }
    std::vector<block_q8_0> a8((size_t)(n / 32)), b8((size_t)(n / 32));
    quantize_row_q8_0_ref(x.data(), a8.data(), n);
    ggml_q8_0_oracle(x.data(), b8.data(), n);
    CHECK(std::memcmp(a8.data(), b8.data(), a8.size() * sizeof(block_q8_0)) == 0);
    std::vector<block_q4_0> a4((size_t)(n / 32)), b4((size_t)(n / 32));
    quantize_row_q4_0_ref(x.data(), a4.data(), n);
    ggml_q4_0_oracle(x.data(), b4.data(), n);
    CHECK(std::memcmp(a4.data(), b4.data(), a4.size() * sizeof(block_q4_0)) == 0);
}

}  // namespace

// The types read from llama.cpp's files: our dequantization of fixed blocks must give exactly the f32 bits ggml's
// own to_float gives (golden vectors from ci/interop/ggml_golden.c; make test-interop checks whole files too).
template <size_t NB, size_t NF>
void check_golden(gpt2_type type, const uint8_t (&bytes)[NB], const uint32_t (&expected)[NF]) {
    CHECK_EQ(type_row_bytes(type, (int64_t)NF), NB);
    std::vector<float> y(NF);
    dequantize_row(type, bytes, y.data(), (int64_t)NF);
    int differ = 0;
    for (size_t i = 0; i < NF; ++i) {
        uint32_t u;
        std::memcpy(&u, &y[i], 4);
        if (u != expected[i]) ++differ;
    }
    CHECK_MSG(differ == 0, "%s: %d of %zu values differ from ggml's", type_name(type), differ, NF);
}

void test_ggml_types_match_ggml() {
    check_golden(GPT2_TYPE_Q4_1, golden::q4_1_bytes, golden::q4_1_f32);
    check_golden(GPT2_TYPE_Q5_0, golden::q5_0_bytes, golden::q5_0_f32);
    check_golden(GPT2_TYPE_Q5_1, golden::q5_1_bytes, golden::q5_1_f32);
    check_golden(GPT2_TYPE_IQ4_NL, golden::iq4_nl_bytes, golden::iq4_nl_f32);
    check_golden(GPT2_TYPE_Q2_K, golden::q2_K_bytes, golden::q2_K_f32);
    check_golden(GPT2_TYPE_Q3_K, golden::q3_K_bytes, golden::q3_K_f32);
    check_golden(GPT2_TYPE_Q4_K, golden::q4_K_bytes, golden::q4_K_f32);
    check_golden(GPT2_TYPE_Q5_K, golden::q5_K_bytes, golden::q5_K_f32);
    check_golden(GPT2_TYPE_Q6_K, golden::q6_K_bytes, golden::q6_K_f32);
    check_golden(GPT2_TYPE_BF16, golden::bf16_bytes, golden::bf16_f32);
}

// Our quantizers for the further types (quantize_ggml_types.cpp): on weight-like data (normal, a few outliers)
// each keeps its relative RMS error under a bound measured for it (a regression guard with ~25% margin), more
// bits give less error, and zero rows come back exactly (constant ones nearly).
void test_our_quantizers() {
    SplitMix64 rng{99};
    const int64_t n = 256 * 64;
    std::vector<float> x((size_t)n);
    for (int64_t i = 0; i < n; ++i) {
        // Box-Muller normal, std 0.02, and one weight in 200 five times larger
        const double u1 = rng.uniform() * 0.999999 + 1e-9, u2 = rng.uniform();
        double v = 0.02 * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
        if (i % 200 == 7) v *= 5.0;
        x[(size_t)i] = (float)v;
    }
    double rms = 0;
    for (float v : x) rms += (double)v * v;
    rms = std::sqrt(rms / n);
    struct Bound { gpt2_type type; double max_rel_rmse; };
    // measured: q6_K 0.0190, q5_K 0.0371, q4_K 0.0749, q5_1 0.0357, q5_0 0.0475, q4_1 0.0740, q4_0 0.0984,
    // iq4_nl 0.0809, q3_K 0.164, q2_K 0.287, bf16 0.0017 (weighting raises these and lowers the KL; q2_K's
    // absolute-error fit trades squared error for KL 0.090 -> 0.047 on the trained model)
    const Bound bounds[] = {{GPT2_TYPE_Q6_K, 0.024}, {GPT2_TYPE_Q5_K, 0.047}, {GPT2_TYPE_Q4_K, 0.094},
                            {GPT2_TYPE_Q5_1, 0.045}, {GPT2_TYPE_Q5_0, 0.058}, {GPT2_TYPE_Q4_1, 0.093},
                            {GPT2_TYPE_Q4_0, 0.123}, {GPT2_TYPE_IQ4_NL, 0.101}, {GPT2_TYPE_Q3_K, 0.196},
                            {GPT2_TYPE_Q2_K, 0.36}, {GPT2_TYPE_BF16, 0.0022}};
    double err_of[64] = {0};
    for (const Bound &b : bounds) {
        const std::vector<uint8_t> enc = tensor_encode(x.data(), n, 1, b.type);
        CHECK_EQ(enc.size(), type_row_bytes(b.type, n));
        std::vector<float> y((size_t)n);
        dequantize_row(b.type, enc.data(), y.data(), n);
        double se = 0;
        for (int64_t i = 0; i < n; ++i) se += ((double)y[(size_t)i] - x[(size_t)i]) * ((double)y[(size_t)i] - x[(size_t)i]);
        const double rel = std::sqrt(se / n) / rms;
        err_of[b.type] = rel;
        std::printf("  %-5s relative RMS error %.4f (bound %.4f)\n", type_name(b.type), rel, b.max_rel_rmse);
        CHECK_MSG(rel <= b.max_rel_rmse, "%s: relative RMS error %g > %g", type_name(b.type), rel, b.max_rel_rmse);

        std::vector<float> flat((size_t)QK_K * 2, 0.0f);
        for (int i = QK_K; i < 2 * QK_K; ++i) flat[(size_t)i] = 0.03125f;   // a constant block, exact in fp16
        const std::vector<uint8_t> ef = tensor_encode(flat.data(), 2 * QK_K, 1, b.type);
        std::vector<float> yf(flat.size());
        dequantize_row(b.type, ef.data(), yf.data(), 2 * QK_K);
        // zeros exactly; a constant exactly where one fp16 scale holds it, within 1% through the k-quants' two
        // levels of scales (fp16 super-block scale x 4/6/8-bit sub-block scale) and iq4_nl's fixed levels
        const bool two_level = type_block_size(b.type) == QK_K || b.type == GPT2_TYPE_IQ4_NL;   // or a fixed grid
        const float tol = two_level ? 0.01f * 0.03125f : 1e-6f;
        int off = 0;
        for (size_t i = 0; i < flat.size(); ++i) off += std::fabs(yf[i] - flat[i]) > (flat[i] == 0 ? 0.0f : tol);
        CHECK_MSG(off == 0, "%s: zero/constant blocks changed in %d places", type_name(b.type), off);
    }
    CHECK(err_of[GPT2_TYPE_Q6_K] < err_of[GPT2_TYPE_Q5_K] && err_of[GPT2_TYPE_Q5_K] < err_of[GPT2_TYPE_Q4_K]);
    CHECK(err_of[GPT2_TYPE_Q5_1] < err_of[GPT2_TYPE_Q4_1] && err_of[GPT2_TYPE_Q5_0] < err_of[GPT2_TYPE_Q4_0]);
}

// pack_row_levels is the unpackers' inverse for the levels: random levels in each type's range written into an
// encoded row come back unchanged, the scales and mins stay bit for bit, and the packed bytes equal the encoder's
// own for the levels it chose.
void test_pack_row_levels() {
    SplitMix64 rng{5};
    const int64_t n = 2 * QK_K;
    std::vector<float> x((size_t)n);
    fill_normal(rng, x.data(), n, 0.0f, 0.02f);
    struct Range { gpt2_type type; int lo, hi; };
    const Range ranges[] = {{GPT2_TYPE_Q8_0, -128, 127}, {GPT2_TYPE_Q4_0, -8, 7}, {GPT2_TYPE_Q4_1, 0, 15},
                            {GPT2_TYPE_Q5_0, -16, 15}, {GPT2_TYPE_Q5_1, 0, 31}, {GPT2_TYPE_IQ4_NL, 0, 15},
                            {GPT2_TYPE_Q2_K, 0, 3}, {GPT2_TYPE_Q3_K, -4, 3}, {GPT2_TYPE_Q4_K, 0, 15},
                            {GPT2_TYPE_Q5_K, 0, 31}, {GPT2_TYPE_Q6_K, -32, 31}};
    for (const Range &r : ranges) {
        std::vector<uint8_t> enc = tensor_encode(x.data(), n, 1, r.type);
        const std::vector<uint8_t> orig = enc;
        std::vector<int8_t> q((size_t)n), back((size_t)n);
        std::vector<float> y0((size_t)n), y1((size_t)n);
        // the row's own levels (from its dequantized values for the types without an unpacker): packing them
        // again must give the same bytes
        if (const UnpackRowFn unpack = unpack_row_fn(r.type)) {
            std::vector<float> sc((size_t)n / 16), mn((size_t)n / 16);
            unpack(enc.data(), n, q.data(), sc.data(), mn.data());
            pack_row_levels(r.type, q.data(), enc.data(), n);
            CHECK_MSG(enc == orig, "%s: packing the row's own levels changed its bytes", type_name(r.type));
            for (int64_t i = 0; i < n; ++i) {
                const int v = r.lo + (int)(rng.next() % (uint64_t)(r.hi - r.lo + 1));
                q[(size_t)i] = (int8_t)(r.type == GPT2_TYPE_IQ4_NL ? IQ4_NL_LEVELS[v] : v);
            }
            pack_row_levels(r.type, q.data(), enc.data(), n);
            std::vector<float> sc2((size_t)n / 16), mn2((size_t)n / 16);
            unpack(enc.data(), n, back.data(), sc2.data(), mn2.data());
            CHECK_MSG(back == q, "%s: levels did not round-trip", type_name(r.type));
            CHECK_MSG(sc2 == sc && mn2 == mn, "%s: packing levels moved a scale or min", type_name(r.type));
        } else {   // q8_0 / q4_0: weight k of block b = its fp16 d times level k
            for (int64_t i = 0; i < n; ++i) q[(size_t)i] = (int8_t)(r.lo + (int)(rng.next() % (uint64_t)(r.hi - r.lo + 1)));
            pack_row_levels(r.type, q.data(), enc.data(), n);
            dequantize_row(r.type, enc.data(), y1.data(), n);
            int bad = 0;
            for (int64_t b = 0; b < n / 32; ++b) {
                const uint16_t dh = r.type == GPT2_TYPE_Q4_0 ? ((const block_q4_0 *)enc.data())[b].d
                                                             : ((const block_q8_0 *)enc.data())[b].d;
                const uint16_t dh0 = r.type == GPT2_TYPE_Q4_0 ? ((const block_q4_0 *)orig.data())[b].d
                                                              : ((const block_q8_0 *)orig.data())[b].d;
                bad += dh != dh0;
                for (int k = 0; k < 32; ++k) bad += y1[(size_t)(b * 32 + k)] != fp16_to_fp32(dh) * (float)q[(size_t)(b * 32 + k)];
            }
            CHECK_MSG(bad == 0, "%s: %d levels did not land", type_name(r.type), bad);
        }
    }
}

// unbias_row_scales: an output head's row keeps its projection onto itself (x . r = x . x) after rounding, by
// one factor on all of its block scales, the integer levels unchanged; without it the least-squares fits leave
// the row shorter along itself. Types without fp16 block scales are refused and left alone.
void test_unbias_row_scales() {
    SplitMix64 rng{7};
    const int64_t n = 4 * QK_K;
    std::vector<float> x((size_t)n);
    for (int64_t i = 0; i < n; ++i) x[(size_t)i] = (float)(0.05 * (rng.uniform() - 0.5) * (1 + (i % 37 == 3) * 6));
    double xx = 0;
    for (float v : x) xx += (double)v * v;
    const gpt2_type types[] = {GPT2_TYPE_Q2_K, GPT2_TYPE_Q3_K, GPT2_TYPE_Q4_K, GPT2_TYPE_Q5_K, GPT2_TYPE_Q6_K,
                               GPT2_TYPE_Q4_1, GPT2_TYPE_Q5_0, GPT2_TYPE_Q5_1, GPT2_TYPE_IQ4_NL, GPT2_TYPE_Q4_0};
    for (gpt2_type t : types) {
        const std::vector<uint8_t> plain = tensor_encode(x.data(), n, 1, t);
        const std::vector<uint8_t> head = tensor_encode(x.data(), n, 1, t, nullptr, true);
        std::vector<float> rp((size_t)n), rh((size_t)n);
        dequantize_row(t, plain.data(), rp.data(), n);
        dequantize_row(t, head.data(), rh.data(), n);
        double xp = 0, xh = 0, pp = 0, ph = 0;
        for (int64_t i = 0; i < n; ++i) {
            xp += (double)x[(size_t)i] * rp[(size_t)i];
            xh += (double)x[(size_t)i] * rh[(size_t)i];
            pp += (double)rp[(size_t)i] * rp[(size_t)i];
            ph += (double)rp[(size_t)i] * rh[(size_t)i];
        }
        std::printf("  %-6s x.r / x.x: %.5f plain, %.5f as a head row\n", type_name(t), xp / xx, xh / xx);
        // fp16 rounding of each rescaled scale moves a block by at most 2^-11 of itself
        CHECK_MSG(std::fabs(xh / xx - 1) < 1e-3, "%s: x.r/x.x %g after unbias_row_scales", type_name(t), xh / xx);
        // the same levels: the head row is the plain row times one factor (ph / pp), to fp16 rounding
        const double c = ph / pp;
        double worst = 0;
        for (int64_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(rh[(size_t)i] - c * rp[(size_t)i]));
        double amax = 0;
        for (float v : rp) amax = std::max(amax, (double)std::fabs(v));
        CHECK_MSG(worst <= 2e-3 * amax, "%s: levels changed (%g of %g)", type_name(t), worst, amax);
    }
    // the least-squares fits shrink the plain row along itself, which is what the rescaling undoes
    {
        const std::vector<uint8_t> plain = tensor_encode(x.data(), n, 1, GPT2_TYPE_Q2_K);
        std::vector<float> rp((size_t)n);
        dequantize_row(GPT2_TYPE_Q2_K, plain.data(), rp.data(), n);
        double xp = 0;
        for (int64_t i = 0; i < n; ++i) xp += (double)x[(size_t)i] * rp[(size_t)i];
        CHECK_MSG(xp / xx < 0.99, "q2_K plain x.r/x.x %g: expected the fits' shrinkage", xp / xx);
    }
    std::vector<uint16_t> bf((size_t)n);
    std::vector<uint8_t> before(reinterpret_cast<uint8_t *>(bf.data()), reinterpret_cast<uint8_t *>(bf.data()) + 2 * n);
    CHECK(!unbias_row_scales(GPT2_TYPE_BF16, x.data(), bf.data(), n));
    CHECK(std::memcmp(before.data(), bf.data(), 2 * (size_t)n) == 0);
    std::vector<float> zeros((size_t)n, 0.0f);
    std::vector<uint8_t> ez = tensor_encode(zeros.data(), n, 1, GPT2_TYPE_Q4_K);
    CHECK(!unbias_row_scales(GPT2_TYPE_Q4_K, zeros.data(), ez.data(), n));   // nothing to keep: left alone
}

int main() {
    test_pack_row_levels();
    test_unbias_row_scales();
    test_our_quantizers();
    test_ggml_types_match_ggml();
    test_matches_ggml_formulas();
    test_fp16();
    test_layout();
    test_known_blocks();
    test_error_bounds();
    return check_summary("test_quant");
}
