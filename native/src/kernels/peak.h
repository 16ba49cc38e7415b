// peak.h — register-only loops that measure the arithmetic ceiling of a kernel path (see peak_avx2.cpp).
// Each returns a value derived from its work so the compiler cannot drop it; time it from outside.
// peak_int8_loop_*: ITERS x 256 int8 multiply-adds (the integer kernels' instruction mix);
// peak_f32_loop_*: ITERS x 80 f32 multiply-adds.
#pragma once

#include <cstdint>

namespace gpt2 {

constexpr int64_t kPeakInt8MacsPerIter = 256;
constexpr int64_t kPeakF32MacsPerIter = 80;

double peak_int8_loop_avx2(int64_t iters);
double peak_f32_loop_avx2(int64_t iters);

}  // namespace gpt2
