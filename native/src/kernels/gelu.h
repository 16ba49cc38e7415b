// gelu.h — GELU, tanh form as in GPT-2: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
#pragma once

#include <cstdint>

#include "kernels/cpu_features.h"

namespace gpt2 {

// out[i] = gelu(inp[i]) for i in [0, n); out may equal inp.
void gelu_forward_ref(float *out, const float *inp, int64_t n);
void gelu_forward_avx2(float *out, const float *inp, int64_t n);
// The kernel for PATH (AVX-512 machines use the AVX2 kernel).
using GeluFn = void (*)(float *out, const float *inp, int64_t n);
GeluFn gelu_kernel(CpuPath path);

}  // namespace gpt2
