// quant_ggml_types.cpp — dequantization of the tensor types llama.cpp's quantizer writes besides Q8_0/Q4_0:
// Q4_1, Q5_0, Q5_1, IQ4_NL, the k-quants Q2_K..Q6_K, and BF16. Written from the GGUF block layouts (see the
// structs in quant.h); the products keep ggml's order (sub-block scale first, then the quant) so the values
// match what llama.cpp itself computes from the same file.
#include <cstring>

#include "tensor/quant.h"

namespace gpt2 {

namespace {

uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// Q4_K/Q5_K: the 6-bit scale and 6-bit min of sub-block J (0..7) from the 12 packed bytes Q. Sub-blocks 0-3
// keep theirs in the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 combine a nibble of
// bytes 8-11 with the top 2 bits of bytes 0-3 / 4-7.
void scale_min_k4(int j, const uint8_t *q, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (uint8_t)((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
        *min = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Q4_K/Q5_K run R (0..3) of 64 weights: the step and offset of its sub-blocks 2R (low nibbles) and 2R + 1.
struct RunScales {
    float d1, m1, d2, m2;
};
RunScales run_scales_k4(const uint8_t *scales, int r, float d, float dmin) {
    uint8_t sc, mn;
    RunScales out;
    scale_min_k4(2 * r, scales, &sc, &mn);
    out.d1 = d * (float)sc;
    out.m1 = dmin * (float)mn;
    scale_min_k4(2 * r + 1, scales, &sc, &mn);
    out.d2 = d * (float)sc;
    out.m2 = dmin * (float)mn;
    return out;
}

}  // namespace

void dequantize_row_q4_1(const block_q4_1 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK4_1; ++i, y += QK4_1) {
        const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
        for (int j = 0; j < QK4_1 / 2; ++j) {
            y[j] = (float)(x[i].qs[j] & 0x0f) * d + m;
            y[j + QK4_1 / 2] = (float)(x[i].qs[j] >> 4) * d + m;
        }
    }
}

void dequantize_row_q5_0(const block_q5_0 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK5_0; ++i, y += QK5_0) {
        const float d = fp16_to_fp32(x[i].d);
        const uint32_t qh = load_u32(x[i].qh);
        for (int j = 0; j < QK5_0 / 2; ++j) {
            const int hi0 = (int)((qh >> j) & 1u) << 4;             // 5th bit of weight j
            const int hi1 = (int)((qh >> (j + 16)) & 1u) << 4;      // ... and of weight j + 16
            y[j] = (float)(((x[i].qs[j] & 0x0f) | hi0) - 16) * d;
            y[j + QK5_0 / 2] = (float)(((x[i].qs[j] >> 4) | hi1) - 16) * d;
        }
    }
}

void dequantize_row_q5_1(const block_q5_1 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK5_1; ++i, y += QK5_1) {
        const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
        const uint32_t qh = load_u32(x[i].qh);
        for (int j = 0; j < QK5_1 / 2; ++j) {
            const int hi0 = (int)((qh >> j) & 1u) << 4;
            const int hi1 = (int)((qh >> (j + 16)) & 1u) << 4;
            y[j] = (float)((x[i].qs[j] & 0x0f) | hi0) * d + m;
            y[j + QK5_1 / 2] = (float)((x[i].qs[j] >> 4) | hi1) * d + m;
        }
    }
}

void dequantize_row_iq4_nl(const block_iq4_nl *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK4_NL; ++i, y += QK4_NL) {
        const float d = fp16_to_fp32(x[i].d);
        for (int j = 0; j < QK4_NL / 2; ++j) {
            y[j] = d * (float)IQ4_NL_LEVELS[x[i].qs[j] & 0x0f];
            y[j + QK4_NL / 2] = d * (float)IQ4_NL_LEVELS[x[i].qs[j] >> 4];
        }
    }
}

void dequantize_row_q2_K(const block_q2_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        int sub = 0;
        // two halves of 128 weights; each byte of a 32-byte run holds 4 weights, 2 bits apart by 32 weights
        for (int half = 0; half < 2; ++half, q += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; ++part, ++sub) {
                    const uint8_t sc = x[i].scales[sub];
                    const float dl = d * (float)(sc & 0x0f), ml = dmin * (float)(sc >> 4);
                    for (int l = 0; l < 16; ++l) *y++ = dl * (float)((q[l + 16 * part] >> shift) & 3) - ml;
                }
            }
        }
    }
}

void dequantize_row_q3_K(const block_q3_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        // unpack the 16 6-bit scales: low 4 bits from bytes 0-7 (two per byte), high 2 bits from bytes 8-11
        int8_t scales[16];
        for (int j = 0; j < 16; ++j) {
            const int low = j < 8 ? x[i].scales[j] & 0x0f : x[i].scales[j - 8] >> 4;
            const int high = (x[i].scales[8 + (j % 4)] >> (2 * (j / 4))) & 3;
            scales[j] = (int8_t)((low | (high << 4)) - 32);
        }
        const uint8_t *q = x[i].qs;
        uint8_t bit = 1;
        int sub = 0;
        for (int half = 0; half < 2; ++half, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, bit = (uint8_t)(bit << 1)) {
                for (int part = 0; part < 2; ++part, ++sub) {
                    const float dl = d * (float)scales[sub];
                    for (int l = 0; l < 16; ++l) {
                        const int k = l + 16 * part;
                        const int v = ((q[k] >> shift) & 3) - ((x[i].hmask[k] & bit) ? 0 : 4);
                        *y++ = dl * (float)v;
                    }
                }
            }
        }
    }
}

void dequantize_row_q4_K(const block_q4_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        // 4 runs of 64 weights: 32 bytes, low nibbles = sub-block 2r, high nibbles = sub-block 2r + 1
        for (int r = 0; r < 4; ++r, q += 32) {
            const RunScales k = run_scales_k4(x[i].scales, r, d, dmin);
            for (int l = 0; l < 32; ++l) *y++ = k.d1 * (float)(q[l] & 0x0f) - k.m1;
            for (int l = 0; l < 32; ++l) *y++ = k.d2 * (float)(q[l] >> 4) - k.m2;
        }
    }
}

void dequantize_row_q5_K(const block_q5_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        for (int r = 0; r < 4; ++r, q += 32) {
            const RunScales k = run_scales_k4(x[i].scales, r, d, dmin);
            const uint8_t lo_bit = (uint8_t)(1u << (2 * r)), hi_bit = (uint8_t)(2u << (2 * r));
            for (int l = 0; l < 32; ++l) {
                *y++ = k.d1 * (float)((q[l] & 0x0f) + ((x[i].qh[l] & lo_bit) ? 16 : 0)) - k.m1;
            }
            for (int l = 0; l < 32; ++l) {
                *y++ = k.d2 * (float)((q[l] >> 4) + ((x[i].qh[l] & hi_bit) ? 16 : 0)) - k.m2;
            }
        }
    }
}

void dequantize_row_q6_K(const block_q6_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const uint8_t *ql = x[i].ql, *qh = x[i].qh;
        const int8_t *sc = x[i].scales;
        // two halves of 128: 64 bytes of ql (low nibbles, then high nibbles) and 32 bytes of qh (2 bits each
        // for 4 weights 32 apart)
        for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; ++l) {
                const int s = l / 16;
                const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * (float)sc[s] * (float)q1;
                y[l + 32] = d * (float)sc[s + 2] * (float)q2;
                y[l + 64] = d * (float)sc[s + 4] * (float)q3;
                y[l + 96] = d * (float)sc[s + 6] * (float)q4;
            }
        }
    }
}

void convert_row_bf16_to_f32(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(x[i]);
}

}  // namespace gpt2
