// layernorm.cpp — LayerNorm (GPT-2's pre-norm and final norm): biased variance, eps inside the sqrt.
#include "kernels/layernorm.h"

#include <cmath>

namespace gpt2 {

void layernorm_forward(float *out, const float *inp, const float *weight, const float *bias, int64_t T, int64_t C,
                       float eps) {
    // out is (T, C), inp is (T, C), weight and bias are (C)
    for (int64_t t = 0; t < T; ++t) {
        const float *x = inp + t * C;
        double sum = 0.0;
        for (int64_t i = 0; i < C; ++i) sum += x[i];
        const double mean = sum / (double)C;
        double var = 0.0;
        for (int64_t i = 0; i < C; ++i) {
            const double d = x[i] - mean;
            var += d * d;
        }
        const float rstd = (float)(1.0 / std::sqrt(var / (double)C + eps));
        const float m = (float)mean;
        float *o = out + t * C;
        for (int64_t i = 0; i < C; ++i) o[i] = (x[i] - m) * rstd * weight[i] + bias[i];
    }
}

}  // namespace gpt2
