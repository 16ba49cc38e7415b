// dequant.cuh — reading the weight types of the CUDA backend (ggml's block layouts, native/src/tensor/quant.h)
// inside kernels. Host and device functions, so that test_cuda_dequant checks them on the CPU (no GPU needed)
// against the runtime's own dequantize_row.
#pragma once

#include <cstdint>

#include <cuda_fp16.h>

#include "kernels.cuh"

// `#pragma unroll` in device code only (the host compiler warns about it): keeps w[] in registers.
#if defined(__CUDA_ARCH__)
#define GPT2_CUDA_UNROLL _Pragma("unroll")
#else
#define GPT2_CUDA_UNROLL
#endif

namespace gpt2cuda {

// An fp16 stored little-endian at a 2-byte aligned address (every ggml block starts with one).
__host__ __device__ __forceinline__ float half_bits(const uint8_t *p) {
    return __half2float(__ushort_as_half(*(const uint16_t *)p));
}

// The 32 weights of block IB of a q8_0 / q4_0 row (elements 32 ib .. 32 ib + 31).
template <int32_t TYPE>
__host__ __device__ __forceinline__ void load_block32(const uint8_t *row, int64_t ib, float w[32]) {
    static_assert(TYPE == kTypeQ8_0 || TYPE == kTypeQ4_0, "block types only");
    if constexpr (TYPE == kTypeQ8_0) {   // fp16 d + 32 x int8: w = d q
        const uint8_t *b = row + ib * 34;
        const float d = half_bits(b);
        const int8_t *q = (const int8_t *)(b + 2);
GPT2_CUDA_UNROLL
        for (int j = 0; j < 32; ++j) w[j] = d * (float)q[j];
    } else {  // Q4_0: fp16 d + 16 bytes; byte j holds weight j (low nibble) and j + 16 (high), offset 8
        const uint8_t *b = row + ib * 18;
        const float d = half_bits(b);
        const uint8_t *q = b + 2;
GPT2_CUDA_UNROLL
        for (int j = 0; j < 16; ++j) {
            w[j] = d * (float)((int)(q[j] & 0x0F) - 8);
            w[j + 16] = d * (float)((int)(q[j] >> 4) - 8);
        }
    }
}

// Element K of a row in any supported type (the embedding lookup; not on a hot path).
__host__ __device__ inline float load_elem(int32_t type, const uint8_t *row, int64_t k) {
    switch (type) {
        case kTypeF32: return ((const float *)row)[k];
        case kTypeF16: return half_bits(row + 2 * k);
        case kTypeQ8_0: {
            const uint8_t *b = row + (k / 32) * 34;
            return half_bits(b) * (float)((const int8_t *)(b + 2))[k % 32];
        }
        default: {  // Q4_0
            const uint8_t *b = row + (k / 32) * 18;
            const int j = (int)(k % 32);
            const uint8_t byte = b[2 + (j % 16)];
            const int nib = j < 16 ? (byte & 0x0F) : (byte >> 4);
            return half_bits(b) * (float)(nib - 8);
        }
    }
}

}  // namespace gpt2cuda
