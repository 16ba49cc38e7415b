// gelu.cpp — scalar GELU (tanh form) and the per-path choice.
#include "kernels/gelu.h"

#include <cmath>

namespace gpt2 {

void gelu_forward_ref(float *out, const float *inp, int64_t n) {
    const float s = 0.7978845608028654f;  // sqrt(2 / pi)
    for (int64_t i = 0; i < n; ++i) {
        const float x = inp[i];
        out[i] = 0.5f * x * (1.0f + std::tanh(s * (x + 0.044715f * x * x * x)));
    }
}

GeluFn gelu_kernel(CpuPath path) { return path == CpuPath::scalar ? gelu_forward_ref : gelu_forward_avx2; }

}  // namespace gpt2
