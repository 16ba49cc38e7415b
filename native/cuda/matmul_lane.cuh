// matmul_lane.cuh — the arithmetic of one lane of the CUDA matmul (kernels.cu: one warp per output row n, MM_TT
// batch entries at a time), apart from the warp's sum, so that test_cuda_host runs it on the CPU: the 32 lanes'
// partial sums, added up, must equal y = x W^T + b computed in float64.
//
// f32 / f16: lane l takes 16-byte chunks l, l + 32, ... of the row (4 or 8 weights; each warp load is one
//   contiguous span) when K allows aligned chunks, else elements l, l + 32, ....
// q8_0 / q4_0: lane l takes 32-weight blocks l, l + 32, ... (the warp's loads cover 32 consecutive blocks).
#pragma once

#include <cstdint>
#include <cstring>

#include <cuda_fp16.h>

#include "dequant.cuh"
#include "kernels.cuh"

namespace gpt2cuda {

constexpr int MM_TT = 8;   // batch entries per warp pass: every weight byte is read once per MM_TT entries

__host__ __device__ inline float bits_to_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
#endif
}

__host__ __device__ inline float gelu_tanh(float x) {
    const float s = 0.7978845608028654f;  // sqrt(2 / pi)
    return 0.5f * x * (1.f + tanhf(s * (x + 0.044715f * x * x * x)));
}

// Lane LANE's share of y[t0 + t][n] = ROW . x[t0 + t] for t < NT (<= MM_TT) into ACC[t]; x rows are K floats.
template <int32_t TYPE>
__host__ __device__ inline void matmul_lane_partial(const uint8_t *row, const float *x, int64_t K, int64_t t0, int nt,
                                                    int lane, float acc[MM_TT]) {
GPT2_CUDA_UNROLL
    for (int t = 0; t < MM_TT; ++t) acc[t] = 0.f;
    if constexpr (TYPE == kTypeF32 || TYPE == kTypeF16) {
        constexpr int VEC = TYPE == kTypeF32 ? 4 : 8;   // weights per 16-byte chunk
        if (K % VEC == 0) {   // then every weight row and x row starts 16-byte aligned
            for (int64_t c = lane; c < K / VEC; c += 32) {
                const uint4 raw = ((const uint4 *)row)[c];
                float wv[VEC];
                if constexpr (TYPE == kTypeF32) {
                    wv[0] = bits_to_float(raw.x);
                    wv[1] = bits_to_float(raw.y);
                    wv[2] = bits_to_float(raw.z);
                    wv[3] = bits_to_float(raw.w);
                } else {   // two halves per 32-bit word, the first in the low bits (no type punning)
                    const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
GPT2_CUDA_UNROLL
                    for (int i = 0; i < 4; ++i) {
                        wv[2 * i] = __half2float(__ushort_as_half((unsigned short)(words[i] & 0xFFFFu)));
                        wv[2 * i + 1] = __half2float(__ushort_as_half((unsigned short)(words[i] >> 16)));
                    }
                }
GPT2_CUDA_UNROLL
                for (int t = 0; t < MM_TT; ++t) {
                    if (t < nt) {
                        const float4 *xt = (const float4 *)(x + (size_t)(t0 + t) * (size_t)K + c * VEC);
                        float s = 0.f;
GPT2_CUDA_UNROLL
                        for (int q = 0; q < VEC / 4; ++q) {
                            const float4 xv = xt[q];
                            s += wv[4 * q] * xv.x + wv[4 * q + 1] * xv.y + wv[4 * q + 2] * xv.z + wv[4 * q + 3] * xv.w;
                        }
                        acc[t] += s;
                    }
                }
            }
        } else {
            for (int64_t k = lane; k < K; k += 32) {
                const float wk = load_elem(TYPE, row, k);
GPT2_CUDA_UNROLL
                for (int t = 0; t < MM_TT; ++t) {
                    if (t < nt) acc[t] += wk * x[(size_t)(t0 + t) * (size_t)K + k];
                }
            }
        }
    } else {
        for (int64_t ib = lane; ib < K / 32; ib += 32) {   // K % 32 == 0 for the block types
            float wv[32];
            load_block32<TYPE>(row, ib, wv);
GPT2_CUDA_UNROLL
            for (int t = 0; t < MM_TT; ++t) {
                if (t < nt) {
                    const float *xt = x + (size_t)(t0 + t) * (size_t)K + ib * 32;
                    float s = 0.f;
GPT2_CUDA_UNROLL
                    for (int j = 0; j < 32; ++j) s += wv[j] * xt[j];
                    acc[t] += s;
                }
            }
        }
    }
}

// Stores one output: *o = y + b, through the epilogue (gelu, or added to *o for the residual).
__host__ __device__ inline void matmul_store(float *o, float y, float b, Epilogue epi) {
    const float v = y + b;
    if (epi == Epilogue::add) *o += v;
    else *o = epi == Epilogue::gelu ? gelu_tanh(v) : v;
}

}  // namespace gpt2cuda
