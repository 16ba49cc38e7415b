// attention.h — causal self-attention of one query head over one sequence's cached keys and values.
//
// q is (hs); k and v point at the head's slice of cached position 0, successive positions are `stride`
// floats apart (the cache rows are (n_ctx, C), so stride = C); the query attends to positions [0, n_pos).
// out (hs) = softmax(q . k_p * scale) weighted sum of v_p. scores is caller scratch of n_pos floats.
// The _f16 kernels read keys and values stored as f16 (the KV cache's default type for all but f32 models), the
// _q8_0 kernels rows of hs/32 q8_0 blocks (a q8_0 KV cache; stride then counts blocks).
#pragma once

#include <cstdint>

#include "kernels/cpu_features.h"
#include "tensor/quant.h"

namespace gpt2 {

using AttentionHeadFn = void (*)(float *out, const float *q, const float *k, const float *v, int64_t stride,
                                 int64_t n_pos, int64_t hs, float scale, float *scores);

void attention_head_ref(float *out, const float *q, const float *k, const float *v, int64_t stride, int64_t n_pos,
                        int64_t hs, float scale, float *scores);
void attention_head_avx2(float *out, const float *q, const float *k, const float *v, int64_t stride,
                         int64_t n_pos, int64_t hs, float scale, float *scores);
void attention_head_avx512(float *out, const float *q, const float *k, const float *v, int64_t stride,
                           int64_t n_pos, int64_t hs, float scale, float *scores);

AttentionHeadFn attention_head_kernel(CpuPath path);

using AttentionHeadF16Fn = void (*)(float *out, const float *q, const uint16_t *k, const uint16_t *v,
                                    int64_t stride, int64_t n_pos, int64_t hs, float scale, float *scores);

void attention_head_f16_ref(float *out, const float *q, const uint16_t *k, const uint16_t *v, int64_t stride,
                            int64_t n_pos, int64_t hs, float scale, float *scores);
void attention_head_f16_avx2(float *out, const float *q, const uint16_t *k, const uint16_t *v, int64_t stride,
                             int64_t n_pos, int64_t hs, float scale, float *scores);

// The AVX2 kernel serves the AVX-512 path too.
AttentionHeadF16Fn attention_head_f16_kernel(CpuPath path);

using AttentionHeadQ8Fn = void (*)(float *out, const float *q, const block_q8_0 *k, const block_q8_0 *v,
                                   int64_t stride, int64_t n_pos, int64_t hs, float scale, float *scores);

void attention_head_q8_0_ref(float *out, const float *q, const block_q8_0 *k, const block_q8_0 *v, int64_t stride,
                             int64_t n_pos, int64_t hs, float scale, float *scores);
void attention_head_q8_0_avx2(float *out, const float *q, const block_q8_0 *k, const block_q8_0 *v, int64_t stride,
                              int64_t n_pos, int64_t hs, float scale, float *scores);

// The AVX2 kernel serves the AVX-512 path too.
AttentionHeadQ8Fn attention_head_q8_0_kernel(CpuPath path);

}  // namespace gpt2
