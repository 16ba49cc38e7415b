// quant.h — ggml's block layouts for the quantized types, fp16 conversion, and the scalar reference
// quantize/dequantize row functions. Bit-exact with ggml so our files load in llama.cpp and theirs in ours.
//
//   Q8_0: 32 weights -> fp16 scale d + 32 x int8 q;           w = d * q
//   Q4_0: 32 weights -> fp16 scale d + 16 bytes of nibbles;   w = d * (nibble - 8)
//         byte j holds weight j in its low nibble and weight j + 16 in its high nibble.
#pragma once

#include <cstdint>

namespace gpt2 {

constexpr int QK8_0 = 32;
constexpr int QK4_0 = 32;

struct block_q8_0 {
    uint16_t d;           // fp16 scale
    int8_t   qs[QK8_0];
};
static_assert(sizeof(block_q8_0) == 34, "block_q8_0 must match ggml's 34-byte layout");

struct block_q4_0 {
    uint16_t d;               // fp16 scale
    uint8_t  qs[QK4_0 / 2];   // nibbles
};
static_assert(sizeof(block_q4_0) == 18, "block_q4_0 must match ggml's 18-byte layout");

// IEEE half <-> float, round-to-nearest-even, with inf/nan/subnormals (same results as ggml's tables).
float    fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);
float    bf16_to_fp32(uint16_t h);

// Reference row conversions (n elements; n % 32 == 0 for the block types). Same rounding as ggml's
// quantize_row_*_ref so files we write are bit-identical to llama.cpp's for the same input.
void quantize_row_q8_0_ref(const float *x, block_q8_0 *y, int64_t n);
void quantize_row_q4_0_ref(const float *x, block_q4_0 *y, int64_t n);
void dequantize_row_q8_0(const block_q8_0 *x, float *y, int64_t n);
void dequantize_row_q4_0(const block_q4_0 *x, float *y, int64_t n);
void convert_row_f16_to_f32(const uint16_t *x, float *y, int64_t n);
void convert_row_f32_to_f16(const float *x, uint16_t *y, int64_t n);

// Dequantizes one row of any supported type to f32 (dispatch on type).
void dequantize_row(int type, const void *x, float *y, int64_t n);

}  // namespace gpt2
