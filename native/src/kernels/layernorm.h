// layernorm.h — LayerNorm over the channel dimension, one token row at a time.
#pragma once

#include <cstdint>

namespace gpt2 {

// out is (T, C), inp is (T, C), weight and bias are (C). Mean and variance accumulate in float64.
void layernorm_forward(float *out, const float *inp, const float *weight, const float *bias, int64_t T, int64_t C,
                       float eps);

}  // namespace gpt2
