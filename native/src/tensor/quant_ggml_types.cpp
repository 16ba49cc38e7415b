// quant_ggml_types.cpp — the bit layouts of the tensor types llama.cpp's quantizer writes besides Q8_0/Q4_0:
// Q4_1, Q5_0, Q5_1, IQ4_NL and the k-quants Q2_K..Q6_K, read into integer form (unpack_row_*), and their
// dequantization from it; BF16. Written from the GGUF block layouts (see the structs in quant.h); the f32
// products keep ggml's order (sub-block scale first, then the quant) so the values match what llama.cpp
// itself computes from the same file.
#include <cstring>

#include "tensor/quant.h"
#include "tensor/tensor.h"

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

}  // namespace

void unpack_scales_k4(const uint8_t *packed, float d, float dmin, float *scale, float *min) {
    for (int j = 0; j < 8; ++j) {
        uint8_t sc, mn;
        scale_min_k4(j, packed, &sc, &mn);
        scale[2 * j] = scale[2 * j + 1] = d * (float)sc;     // sub-block j covers 32 weights: two entries
        min[2 * j] = min[2 * j + 1] = dmin * (float)mn;
    }
}

// Every unpacker below writes, per 16 weights, the integer quants q (int8), the step scale and (for the types with
// an offset) min, so that weight k = scale[k / 16] * q[k] - min[k / 16] in f32 is exactly ggml's value. The
// dequantizers are that formula; the integer matmul kernels dot q with int8 activations and apply scale/min
// per 16 (matmul_unpacked*.cpp).

void unpack_row_q4_1(const block_q4_1 *x, int64_t n, int8_t *q, float *scale, float *min) {
    for (int64_t i = 0; i < n / QK4_1; ++i, q += QK4_1) {
        const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
        for (int j = 0; j < QK4_1 / 2; ++j) {
            q[j] = (int8_t)(x[i].qs[j] & 0x0f);
            q[j + QK4_1 / 2] = (int8_t)(x[i].qs[j] >> 4);
        }
        scale[2 * i] = scale[2 * i + 1] = d;
        min[2 * i] = min[2 * i + 1] = -m;   // w = d q + m; a - (-m) rounds exactly as a + m
    }
}

void unpack_row_q5_0(const block_q5_0 *x, int64_t n, int8_t *q, float *scale, float * /*min*/) {
    for (int64_t i = 0; i < n / QK5_0; ++i, q += QK5_0) {
        const uint32_t qh = load_u32(x[i].qh);
        for (int j = 0; j < QK5_0 / 2; ++j) {
            const int hi0 = (int)((qh >> j) & 1u) << 4;             // 5th bit of weight j
            const int hi1 = (int)((qh >> (j + 16)) & 1u) << 4;      // ... and of weight j + 16
            q[j] = (int8_t)(((x[i].qs[j] & 0x0f) | hi0) - 16);
            q[j + QK5_0 / 2] = (int8_t)(((x[i].qs[j] >> 4) | hi1) - 16);
        }
        scale[2 * i] = scale[2 * i + 1] = fp16_to_fp32(x[i].d);
    }
}

void unpack_row_q5_1(const block_q5_1 *x, int64_t n, int8_t *q, float *scale, float *min) {
    for (int64_t i = 0; i < n / QK5_1; ++i, q += QK5_1) {
        const float d = fp16_to_fp32(x[i].d), m = fp16_to_fp32(x[i].m);
        const uint32_t qh = load_u32(x[i].qh);
        for (int j = 0; j < QK5_1 / 2; ++j) {
            const int hi0 = (int)((qh >> j) & 1u) << 4;
            const int hi1 = (int)((qh >> (j + 16)) & 1u) << 4;
            q[j] = (int8_t)((x[i].qs[j] & 0x0f) | hi0);
            q[j + QK5_1 / 2] = (int8_t)((x[i].qs[j] >> 4) | hi1);
        }
        scale[2 * i] = scale[2 * i + 1] = d;
        min[2 * i] = min[2 * i + 1] = -m;
    }
}

void unpack_row_iq4_nl(const block_iq4_nl *x, int64_t n, int8_t *q, float *scale, float * /*min*/) {
    for (int64_t i = 0; i < n / QK4_NL; ++i, q += QK4_NL) {
        for (int j = 0; j < QK4_NL / 2; ++j) {
            q[j] = IQ4_NL_LEVELS[x[i].qs[j] & 0x0f];
            q[j + QK4_NL / 2] = IQ4_NL_LEVELS[x[i].qs[j] >> 4];
        }
        scale[2 * i] = scale[2 * i + 1] = fp16_to_fp32(x[i].d);
    }
}

void unpack_row_q2_K(const block_q2_K *x, int64_t n, int8_t *q, float *scale, float *min) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d), dmin = fp16_to_fp32(x[i].dmin);
        const uint8_t *qs = x[i].qs;
        int sub = 0;
        // two halves of 128 weights; each byte of a 32-byte run holds 4 weights, 2 bits apart by 32 weights
        for (int half = 0; half < 2; ++half, qs += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; ++part, ++sub) {
                    const uint8_t sc = x[i].scales[sub];
                    *scale++ = d * (float)(sc & 0x0f);
                    *min++ = dmin * (float)(sc >> 4);
                    for (int l = 0; l < 16; ++l) *q++ = (int8_t)((qs[l + 16 * part] >> shift) & 3);
                }
            }
        }
    }
}

void unpack_row_q3_K(const block_q3_K *x, int64_t n, int8_t *q, float *scale, float * /*min*/) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        // the 16 6-bit scales: low 4 bits from bytes 0-7 (two per byte), high 2 bits from bytes 8-11
        int8_t scales[16];
        for (int j = 0; j < 16; ++j) {
            const int low = j < 8 ? x[i].scales[j] & 0x0f : x[i].scales[j - 8] >> 4;
            const int high = (x[i].scales[8 + (j % 4)] >> (2 * (j / 4))) & 3;
            scales[j] = (int8_t)((low | (high << 4)) - 32);
        }
        const uint8_t *qs = x[i].qs;
        uint8_t bit = 1;
        int sub = 0;
        for (int half = 0; half < 2; ++half, qs += 32) {
            for (int shift = 0; shift < 8; shift += 2, bit = (uint8_t)(bit << 1)) {
                for (int part = 0; part < 2; ++part, ++sub) {
                    *scale++ = d * (float)scales[sub];
                    for (int l = 0; l < 16; ++l) {
                        const int k = l + 16 * part;
                        *q++ = (int8_t)(((qs[k] >> shift) & 3) - ((x[i].hmask[k] & bit) ? 0 : 4));
                    }
                }
            }
        }
    }
}

void unpack_row_q4_K(const block_q4_K *x, int64_t n, int8_t *q, float *scale, float *min) {
    for (int64_t i = 0; i < n / QK_K; ++i, scale += 16, min += 16) {
        unpack_scales_k4(x[i].scales, fp16_to_fp32(x[i].d), fp16_to_fp32(x[i].dmin), scale, min);
        const uint8_t *qs = x[i].qs;
        // 4 runs of 64 weights: 32 bytes, low nibbles = sub-block 2r, high nibbles = sub-block 2r + 1
        for (int r = 0; r < 4; ++r, qs += 32, q += 64) {
            for (int l = 0; l < 32; ++l) {
                q[l] = (int8_t)(qs[l] & 0x0f);
                q[l + 32] = (int8_t)(qs[l] >> 4);
            }
        }
    }
}

void unpack_row_q5_K(const block_q5_K *x, int64_t n, int8_t *q, float *scale, float *min) {
    for (int64_t i = 0; i < n / QK_K; ++i, scale += 16, min += 16) {
        unpack_scales_k4(x[i].scales, fp16_to_fp32(x[i].d), fp16_to_fp32(x[i].dmin), scale, min);
        const uint8_t *qs = x[i].qs;
        for (int r = 0; r < 4; ++r, qs += 32, q += 64) {
            const uint8_t lo_bit = (uint8_t)(1u << (2 * r)), hi_bit = (uint8_t)(2u << (2 * r));
            for (int l = 0; l < 32; ++l) {
                q[l] = (int8_t)((qs[l] & 0x0f) + ((x[i].qh[l] & lo_bit) ? 16 : 0));
                q[l + 32] = (int8_t)((qs[l] >> 4) + ((x[i].qh[l] & hi_bit) ? 16 : 0));
            }
        }
    }
}

void unpack_row_q6_K(const block_q6_K *x, int64_t n, int8_t *q, float *scale, float * /*min*/) {
    for (int64_t i = 0; i < n / QK_K; ++i) {
        const float d = fp16_to_fp32(x[i].d);
        const uint8_t *ql = x[i].ql, *qh = x[i].qh;
        // two halves of 128: 64 bytes of ql (low nibbles, then high nibbles) and 32 bytes of qh (2 bits each
        // for 4 weights 32 apart)
        for (int half = 0; half < 2; ++half, q += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; ++l) {
                q[l] = (int8_t)(((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32);
                q[l + 32] = (int8_t)(((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32);
                q[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                q[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
            }
        }
        // sub-blocks of 16 in order: ggml multiplies d * scale first, then the quant
        for (int j = 0; j < 16; ++j) *scale++ = d * (float)x[i].scales[j];
    }
}

bool type_unpacks_with_min(int type) {
    return type == GPT2_TYPE_Q4_1 || type == GPT2_TYPE_Q5_1 || type == GPT2_TYPE_Q2_K || type == GPT2_TYPE_Q4_K ||
           type == GPT2_TYPE_Q5_K;
}

UnpackRowFn unpack_row_fn(int type) {
    switch (type) {
        case GPT2_TYPE_Q4_1: return (UnpackRowFn)unpack_row_q4_1;
        case GPT2_TYPE_Q5_0: return (UnpackRowFn)unpack_row_q5_0;
        case GPT2_TYPE_Q5_1: return (UnpackRowFn)unpack_row_q5_1;
        case GPT2_TYPE_IQ4_NL: return (UnpackRowFn)unpack_row_iq4_nl;
        case GPT2_TYPE_Q2_K: return (UnpackRowFn)unpack_row_q2_K;
        case GPT2_TYPE_Q3_K: return (UnpackRowFn)unpack_row_q3_K;
        case GPT2_TYPE_Q4_K: return (UnpackRowFn)unpack_row_q4_K;
        case GPT2_TYPE_Q5_K: return (UnpackRowFn)unpack_row_q5_K;
        case GPT2_TYPE_Q6_K: return (UnpackRowFn)unpack_row_q6_K;
        default: return nullptr;
    }
}

void dequantize_row_unpacked(int type, const void *x, float *y, int64_t n) {
    // one block (<= 256 weights) at a time keeps the scratch on the stack for any row length
    const UnpackRowFn unpack = unpack_row_fn(type);
    const int64_t block = type_block_size((gpt2_type)type);
    const size_t block_bytes = type_block_bytes((gpt2_type)type);
    const bool has_min = type_unpacks_with_min(type);
    int8_t q[QK_K];
    float scale[QK_K / 16], min[QK_K / 16] = {0};
    for (int64_t b = 0; b < n / block; ++b, y += block) {
        unpack((const uint8_t *)x + (size_t)b * block_bytes, block, q, scale, min);
        for (int64_t k = 0; k < block; ++k) {
            const float v = scale[k / 16] * (float)q[k];
            y[k] = has_min ? v - min[k / 16] : v;
        }
    }
}

void convert_row_bf16_to_f32(const uint16_t *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(x[i]);
}

}  // namespace gpt2
