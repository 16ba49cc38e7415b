// quant.h — ggml's block layouts for the quantized types, fp16 conversion, and the scalar reference
// quantize/dequantize row functions. Bit-exact with ggml so our files load in llama.cpp and theirs in ours.
//
//   Q8_0: 32 weights -> fp16 scale d + 32 x int8 q;           w = d * q
//   Q4_0: 32 weights -> fp16 scale d + 16 bytes of nibbles;   w = d * (nibble - 8)
//         byte j holds weight j in its low nibble and weight j + 16 in its high nibble.
//
// The types llama.cpp's quantizer also writes (read and computed here; dequantized by quant_ggml_types.cpp):
//   Q4_1:   32 -> d, m (fp16) + nibbles;                       w = d * q + m
//   Q5_0:   32 -> d + 32 high bits qh + nibbles;               w = d * (q5 - 16)
//   Q5_1:   32 -> d, m + qh + nibbles;                         w = d * q5 + m
//   IQ4_NL: 32 -> d + nibbles indexing a fixed non-linear 16-value table
//   Q2_K..Q6_K: super-blocks of 256 weights in 16 (or 8) sub-blocks, each with its own small integer scale
//         (and min) relative to the super-block's fp16 d (and dmin); see the structs for the bit packing.
//   BF16:   the upper 16 bits of an f32.
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

constexpr int QK4_1 = 32;
constexpr int QK5_0 = 32;
constexpr int QK5_1 = 32;
constexpr int QK4_NL = 32;
constexpr int QK_K = 256;       // super-block of the k-quants
constexpr int K_SCALE_SIZE = 12;

struct block_q4_1 {
    uint16_t d, m;
    uint8_t  qs[QK4_1 / 2];     // as Q4_0
};
static_assert(sizeof(block_q4_1) == 20, "block_q4_1 layout");

struct block_q5_0 {
    uint16_t d;
    uint8_t  qh[4];             // bit j = 5th bit of weight j (little-endian 32-bit word)
    uint8_t  qs[QK5_0 / 2];     // low 4 bits, as Q4_0
};
static_assert(sizeof(block_q5_0) == 22, "block_q5_0 layout");

struct block_q5_1 {
    uint16_t d, m;
    uint8_t  qh[4];
    uint8_t  qs[QK5_1 / 2];
};
static_assert(sizeof(block_q5_1) == 24, "block_q5_1 layout");

struct block_iq4_nl {
    uint16_t d;
    uint8_t  qs[QK4_NL / 2];    // indices into the 16-entry table, as Q4_0's nibbles
};
static_assert(sizeof(block_iq4_nl) == 18, "block_iq4_nl layout");
// IQ4_NL's 16 levels (w = d * level): a non-uniform grid denser near zero, where most weights are.
constexpr int8_t IQ4_NL_LEVELS[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// 16 sub-blocks of 16: 4-bit scale (low) and 4-bit min (high) per sub-block; 2-bit quants, 4 per byte.
struct block_q2_K {
    uint8_t  scales[QK_K / 16];
    uint8_t  qs[QK_K / 4];
    uint16_t d, dmin;
};
static_assert(sizeof(block_q2_K) == 84, "block_q2_K layout");

// 16 sub-blocks of 16: 6-bit signed scales (offset 32) packed in 12 bytes; 2 low bits in qs, the 3rd bit in
// hmask (set = +0, clear = -4).
struct block_q3_K {
    uint8_t  hmask[QK_K / 8];
    uint8_t  qs[QK_K / 4];
    uint8_t  scales[K_SCALE_SIZE];
    uint16_t d;
};
static_assert(sizeof(block_q3_K) == 110, "block_q3_K layout");

// 8 sub-blocks of 32: 6-bit scale and 6-bit min each, packed in 12 bytes; 4-bit quants.
struct block_q4_K {
    uint16_t d, dmin;
    uint8_t  scales[K_SCALE_SIZE];
    uint8_t  qs[QK_K / 2];
};
static_assert(sizeof(block_q4_K) == 144, "block_q4_K layout");

// As Q4_K plus a 5th bit per weight in qh.
struct block_q5_K {
    uint16_t d, dmin;
    uint8_t  scales[K_SCALE_SIZE];
    uint8_t  qh[QK_K / 8];
    uint8_t  qs[QK_K / 2];
};
static_assert(sizeof(block_q5_K) == 176, "block_q5_K layout");

// 16 sub-blocks of 16 with int8 scales; 6-bit quants (offset 32): 4 low bits in ql, 2 high bits in qh.
struct block_q6_K {
    uint8_t  ql[QK_K / 2];
    uint8_t  qh[QK_K / 4];
    int8_t   scales[QK_K / 16];
    uint16_t d;
};
static_assert(sizeof(block_q6_K) == 210, "block_q6_K layout");

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

// quant_ggml_types.cpp: the further types in integer form. A row of n weights (n a multiple of the type's block)
// becomes n int8 quants q plus, per sub-block of 16, an f32 step scale and (type_unpacks_with_min) an offset
// min, such that weight k = scale[k/16] * q[k] - min[k/16] in f32 is exactly the value ggml dequantizes. The
// bit layouts of these types live only here; dequantization and the integer matmul kernels both use them.
void unpack_row_q4_1(const block_q4_1 *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q5_0(const block_q5_0 *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q5_1(const block_q5_1 *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_iq4_nl(const block_iq4_nl *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q2_K(const block_q2_K *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q3_K(const block_q3_K *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q4_K(const block_q4_K *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q5_K(const block_q5_K *x, int64_t n, int8_t *q, float *scale, float *min);
void unpack_row_q6_K(const block_q6_K *x, int64_t n, int8_t *q, float *scale, float *min);
// Q4_K/Q5_K: the 8 packed 6-bit scale/min pairs of a super-block as 16 scale and 16 min entries (d * scale,
// dmin * min; each sub-block of 32 fills two).
void unpack_scales_k4(const uint8_t *packed, float d, float dmin, float *scale, float *min);
using UnpackRowFn = void (*)(const void *x, int64_t n, int8_t *q, float *scale, float *min);
// The scalar unpacker of TYPE; nullptr for the types without one (f32, f16, bf16, q8_0, q4_0).
UnpackRowFn unpack_row_fn(int type);
// Writes the levels Q (in weight order, as unpack_row_* gives them; for Q8_0 and Q4_0 the signed quants, -8..7 for
// Q4_0) into the encoded row X of N weights, keeping its scales and mins. Throws for a type without levels.
void pack_row_levels(int type, const int8_t *q, void *x, int64_t n);
// True for the types whose weights carry an offset (q4_1, q5_1, q2_K, q4_K, q5_K); the others leave min alone.
bool type_unpacks_with_min(int type);
// N weights of an unpackable TYPE to f32.
void dequantize_row_unpacked(int type, const void *x, float *y, int64_t n);
void convert_row_bf16_to_f32(const uint16_t *x, float *y, int64_t n);

// quantize_ggml_types.cpp: our quantizers for the further types gpt2-quantize writes (least-squares scale
// search per block; see that file). QW, where given, is the importance of each of the n weights (an importance
// matrix's mean squared input of the weight's column, convert/imatrix.h); null quantizes without one.
void quantize_row_q4_1_ref(const float *x, block_q4_1 *y, int64_t n, const float *qw = nullptr);
void quantize_row_q5_0_ref(const float *x, block_q5_0 *y, int64_t n, const float *qw = nullptr);
void quantize_row_q5_1_ref(const float *x, block_q5_1 *y, int64_t n, const float *qw = nullptr);
void quantize_row_q4_K_ref(const float *x, block_q4_K *y, int64_t n, const float *qw = nullptr);
void quantize_row_q5_K_ref(const float *x, block_q5_K *y, int64_t n, const float *qw = nullptr);
void quantize_row_q6_K_ref(const float *x, block_q6_K *y, int64_t n, const float *qw = nullptr);
void quantize_row_q2_K_ref(const float *x, block_q2_K *y, int64_t n, const float *qw = nullptr);
void quantize_row_q3_K_ref(const float *x, block_q3_K *y, int64_t n, const float *qw = nullptr);
void quantize_row_iq4_nl_ref(const float *x, block_iq4_nl *y, int64_t n, const float *qw = nullptr);
// Q4_0 by a weighted scale search (used with an importance matrix; without one Q4_0 keeps ggml's reference
// rounding, quantize_row_q4_0_ref, bit-identical to llama.cpp's).
void quantize_row_q4_0_weighted(const float *x, block_q4_0 *y, int64_t n, const float *qw);

// For the rows of an output head (the tied token embedding, or output.weight): multiplies every fp16 scale of
// the quantized row Y (and its fp16 min / offset, for the types that have one) by one factor, so that the
// dequantized row r keeps the projection of the original X onto itself, x . r = x . x. The least-squares scale
// fits shrink each row along itself (x . r = x . x - |x - r|^2), which lowers a token's logit exactly where the
// model predicts it (hidden state along the row): a bias shared by every position, where the rounding noise
// averages out. The integer levels are not touched. False (Y unchanged) for types without an fp16 scale per
// block, and for rows whose rounding left too little of them (x . r outside (x . x / 2, 2 x . x)).
bool unbias_row_scales(int type, const float *x, void *y, int64_t n);

// Dequantizes one row of any supported type to f32 (dispatch on type).
void dequantize_row(int type, const void *x, float *y, int64_t n);

}  // namespace gpt2
