// quant_ggml_types.cpp — the bit layouts of the tensor types llama.cpp's quantizer writes besides Q8_0/Q4_0:
// Q4_1, Q5_0, Q5_1, IQ4_NL and the k-quants Q2_K..Q6_K, read into integer form (unpack_row_*), and their
// dequantization from it; BF16. Written from the GGUF block layouts (see the structs in quant.h); the f32
// products keep ggml's order (sub-block scale first, then the quant) so the values match what llama.cpp
// itself computes from the same file.
#include <cstring>

#include "tensor/quant.h"
#include "tensor/tensor.h"
#include "util/error.h"

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

// The inverse of the unpackers for the levels alone: writes Q (as unpack_row_* gives them, in weight order) into
// the encoded row X, leaving every scale and min as it is. Error-feedback rounding (convert/error_feedback.h)
// picks new levels on a row's grid and stores them through this.
void pack_row_levels(int type, const int8_t *q, void *x, int64_t n) {
    auto nib = [](int lo, int hi) { return (uint8_t)((lo & 0x0f) | ((hi & 0x0f) << 4)); };
    switch (type) {
        case GPT2_TYPE_Q8_0:
            for (block_q8_0 *b = (block_q8_0 *)x; n > 0; n -= QK8_0, q += QK8_0, ++b) std::memcpy(b->qs, q, QK8_0);
            return;
        case GPT2_TYPE_Q4_0:
            for (block_q4_0 *b = (block_q4_0 *)x; n > 0; n -= QK4_0, q += QK4_0, ++b)
                for (int j = 0; j < QK4_0 / 2; ++j) b->qs[j] = nib(q[j] + 8, q[j + 16] + 8);
            return;
        case GPT2_TYPE_Q4_1:
            for (block_q4_1 *b = (block_q4_1 *)x; n > 0; n -= QK4_1, q += QK4_1, ++b)
                for (int j = 0; j < QK4_1 / 2; ++j) b->qs[j] = nib(q[j], q[j + 16]);
            return;
        case GPT2_TYPE_Q5_0: case GPT2_TYPE_Q5_1: {
            const int bias = type == GPT2_TYPE_Q5_0 ? 16 : 0;
            for (int64_t i = 0; i < n / 32; ++i, q += 32) {
                uint8_t *qs = type == GPT2_TYPE_Q5_0 ? ((block_q5_0 *)x)[i].qs : ((block_q5_1 *)x)[i].qs;
                uint8_t *qh_bytes = type == GPT2_TYPE_Q5_0 ? ((block_q5_0 *)x)[i].qh : ((block_q5_1 *)x)[i].qh;
                uint32_t qh = 0;
                for (int j = 0; j < 16; ++j) {
                    const int u0 = q[j] + bias, u1 = q[j + 16] + bias;
                    qs[j] = nib(u0, u1);
                    qh |= ((uint32_t)(u0 >> 4) & 1u) << j;
                    qh |= ((uint32_t)(u1 >> 4) & 1u) << (j + 16);
                }
                std::memcpy(qh_bytes, &qh, 4);
            }
            return;
        }
        case GPT2_TYPE_IQ4_NL:
            for (block_iq4_nl *b = (block_iq4_nl *)x; n > 0; n -= QK4_NL, q += QK4_NL, ++b) {
                auto index = [](int8_t v) {
                    for (int k = 0; k < 16; ++k)
                        if (IQ4_NL_LEVELS[k] == v) return k;
                    return 0;   // not a level: unreachable for levels taken from the table
                };
                for (int j = 0; j < QK4_NL / 2; ++j) b->qs[j] = nib(index(q[j]), index(q[j + 16]));
            }
            return;
        case GPT2_TYPE_Q2_K: case GPT2_TYPE_Q3_K:
            for (int64_t i = 0; i < n / QK_K; ++i, q += QK_K) {
                const bool q3 = type == GPT2_TYPE_Q3_K;
                uint8_t *qs = q3 ? ((block_q3_K *)x)[i].qs : ((block_q2_K *)x)[i].qs;
                uint8_t *hmask = q3 ? ((block_q3_K *)x)[i].hmask : nullptr;
                std::memset(qs, 0, QK_K / 4);
                if (q3) std::memset(hmask, 0, QK_K / 8);
                // weight 128 h + 32 s + 16 p + l: 2 bits at 2 s of byte 32 h + 16 p + l; q3_K's hmask bit 4 h + s of
                // byte 16 p + l is set for the levels 0..3 (the stored low bits are q + 4 otherwise)
                for (int w = 0; w < QK_K; ++w) {
                    const int h = w / 128, s = (w / 32) % 4, k = w % 32;
                    const int v = q[w];
                    const int low = q3 ? (v >= 0 ? v : v + 4) : v;
                    qs[32 * h + k] |= (uint8_t)((low & 3) << (2 * s));
                    if (q3 && v >= 0) hmask[k] |= (uint8_t)(1u << (4 * h + s));
                }
            }
            return;
        case GPT2_TYPE_Q4_K: case GPT2_TYPE_Q5_K:
            for (int64_t i = 0; i < n / QK_K; ++i, q += QK_K) {
                const bool q5 = type == GPT2_TYPE_Q5_K;
                uint8_t *qs = q5 ? ((block_q5_K *)x)[i].qs : ((block_q4_K *)x)[i].qs;
                uint8_t *qh = q5 ? ((block_q5_K *)x)[i].qh : nullptr;
                if (q5) std::memset(qh, 0, QK_K / 8);
                for (int r = 0; r < 4; ++r) {
                    for (int l = 0; l < 32; ++l) {
                        const int lo = q[64 * r + l], hi = q[64 * r + l + 32];
                        qs[32 * r + l] = nib(lo, hi);
                        if (q5) qh[l] |= (uint8_t)(((lo >> 4) & 1) << (2 * r) | ((hi >> 4) & 1) << (2 * r + 1));
                    }
                }
            }
            return;
        case GPT2_TYPE_Q6_K:
            for (int64_t i = 0; i < n / QK_K; ++i) {
                uint8_t *ql = ((block_q6_K *)x)[i].ql, *qh = ((block_q6_K *)x)[i].qh;
                for (int half = 0; half < 2; ++half, q += 128, ql += 64, qh += 32) {
                    for (int l = 0; l < 32; ++l) {
                        const int u0 = q[l] + 32, u1 = q[l + 32] + 32, u2 = q[l + 64] + 32, u3 = q[l + 96] + 32;
                        ql[l] = nib(u0, u2);
                        ql[l + 32] = nib(u1, u3);
                        qh[l] = (uint8_t)((u0 >> 4) | ((u1 >> 4) << 2) | ((u2 >> 4) << 4) | ((u3 >> 4) << 6));
                    }
                }
            }
            return;
        default:
            throw Error(GPT2_ERR_INTERNAL, "pack_row_levels: type " + std::to_string(type) + " has no levels");
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
