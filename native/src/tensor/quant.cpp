// quant.cpp — scalar reference conversions: IEEE half <-> float, bf16 -> float, and ggml's Q8_0 / Q4_0
// row quantize/dequantize with the same rounding as ggml's quantize_row_q8_0_ref / quantize_row_q4_0_ref.
// Non-finite inputs never reach an undefined float->int cast (they quantize to 0 / the clamped value).
#include "tensor/quant.h"

#include <cmath>
#include <cstring>
#include <string>

#include "util/error.h"
#include "tensor/tensor.h"

namespace gpt2 {

namespace {

uint32_t f32_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

float f32_from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// (int)roundf(v) (halves away from zero) clamped to [lo, hi]; NaN -> 0. Inline instead of the libm call
// (the portable baseline has no rounding instruction); v - trunc(v) is exact for |v| < 2^23.
int round_clamped(float v, int lo, int hi) {
    if (!(v == v)) return 0;
    if (v <= (float)lo) return lo;
    if (v >= (float)hi) return hi;
    const int t = (int)v;
    const float frac = v - (float)t;
    if (frac >= 0.5f) return t + 1;
    if (frac <= -0.5f) return t - 1;
    return t;
}

// (int)v truncated toward zero, clamped to [lo, hi]; NaN -> lo.
int trunc_clamped(float v, int lo, int hi) {
    if (!(v == v)) return lo;
    if (v < (float)lo) return lo;
    if (v > (float)hi) return hi;
    return (int)v;
}

}  // namespace

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        // zero or subnormal: mant * 2^-24 is exact in float
        const float v = (float)mant * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    if (exp == 31) return f32_from_bits(sign | 0x7f800000u | (mant << 13));  // inf / nan (payload kept)
    return f32_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t fp32_to_fp16(float f) {
    const uint32_t x = f32_bits(f);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);        // NaN -> canonical quiet NaN (as ggml)
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);       // >= 65520 rounds to inf (ties to even)
    if (ax < 0x38800000u) {                                         // below 2^-14: half subnormal or zero
        if (ax <= 0x33000000u) return sign;                         // <= 2^-25 rounds to 0 (tie -> even)
        const uint32_t exp = ax >> 23;
        const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126u - exp;                          // 14..24
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1u);
        const uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (h & 1u))) ++h;           // may carry into the smallest normal
        return (uint16_t)(sign | h);
    }
    uint32_t h = (((ax >> 23) - 112u) << 10) | ((ax >> 13) & 0x3ffu);
    const uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;         // carry may bump the exponent
    return (uint16_t)(sign | h);
}

float bf16_to_fp32(uint16_t h) { return f32_from_bits((uint32_t)h << 16); }

void quantize_row_q8_0_ref(const float *x, block_q8_0 *y, int64_t n) {
    const int64_t nb = n / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float *xb = x + i * QK8_0;
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; ++j) {
            const float a = std::fabs(xb[j]);
            amax = amax > a ? amax : a;   // ggml's MAX(amax, fabsf(x))
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < QK8_0; ++j) y[i].qs[j] = (int8_t)round_clamped(xb[j] * id, -128, 127);
    }
}

void quantize_row_q4_0_ref(const float *x, block_q4_0 *y, int64_t n) {
    const int64_t nb = n / QK4_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float *xb = x + i * QK4_0;
        float amax = 0.0f;  // largest magnitude
        float max = 0.0f;   // the value that has it, with its sign
        for (int j = 0; j < QK4_0; ++j) {
            const float v = xb[j];
            if (amax < std::fabs(v)) {
                amax = std::fabs(v);
                max = v;
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fp32_to_fp16(d);
        for (int j = 0; j < QK4_0 / 2; ++j) {
            const float x0 = xb[j] * id;
            const float x1 = xb[QK4_0 / 2 + j] * id;
            const int q0 = trunc_clamped(x0 + 8.5f, 0, 15);
            const int q1 = trunc_clamped(x1 + 8.5f, 0, 15);
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void dequantize_row_q8_0(const block_q8_0 *x, float *y, int64_t n) {
    const int64_t nb = n / QK8_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK8_0; ++j) y[i * QK8_0 + j] = (float)x[i].qs[j] * d;
    }
}

void dequantize_row_q4_0(const block_q4_0 *x, float *y, int64_t n) {
    const int64_t nb = n / QK4_0;
    for (int64_t i = 0; i < nb; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK4_0 / 2; ++j) {
            y[i * QK4_0 + j] = (float)((x[i].qs[j] & 0x0f) - 8) * d;
            y[i * QK4_0 + QK4_0 / 2 + j] = (float)((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void convert_row_f16_to_f32(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}

void convert_row_f32_to_f16(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void dequantize_row(int type, const void *x, float *y, int64_t n) {
    switch (type) {
        case GPT2_TYPE_F32: std::memcpy(y, x, (size_t)n * sizeof(float)); break;
        case GPT2_TYPE_F16: convert_row_f16_to_f32((const uint16_t *)x, y, n); break;
        case GPT2_TYPE_Q8_0: dequantize_row_q8_0((const block_q8_0 *)x, y, n); break;
        case GPT2_TYPE_Q4_0: dequantize_row_q4_0((const block_q4_0 *)x, y, n); break;
        case GPT2_TYPE_Q4_1:
        case GPT2_TYPE_Q5_0:
        case GPT2_TYPE_Q5_1:
        case GPT2_TYPE_IQ4_NL:
        case GPT2_TYPE_Q2_K:
        case GPT2_TYPE_Q3_K:
        case GPT2_TYPE_Q4_K:
        case GPT2_TYPE_Q5_K:
        case GPT2_TYPE_Q6_K: dequantize_row_unpacked(type, x, y, n); break;
        case GPT2_TYPE_BF16: convert_row_bf16_to_f32((const uint16_t *)x, y, n); break;
        default:
            throw Error(GPT2_ERR_INTERNAL, "dequantize_row: unsupported tensor type " + std::to_string(type));
    }
}

}  // namespace gpt2
