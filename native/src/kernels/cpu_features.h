// cpu_features.h — run-time x86 ISA detection (cpuid + xgetbv, so the OS must also save ymm/zmm state)
// and the choice of kernel path. Default: the best of scalar/avx2 the CPU supports (AVX-512 is opt-in until
// validated on hardware, see cpu_features.cpp). GPT2_CPU=scalar|avx2|avx512 selects a path (never past what
// the CPU supports); tests force paths through cpu_set_path().
#pragma once

#include <string>

namespace gpt2 {

enum class CpuPath { scalar = 0, avx2 = 1, avx512 = 2 };

struct CpuFeatures {
    bool avx2 = false, fma = false, f16c = false;           // + OS ymm support
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;  // + zmm
};

// What the CPU and OS support (detected once).
const CpuFeatures &cpu_features();
// Best path the hardware allows: avx512 needs F/BW/VL/DQ/VNNI, avx2 needs AVX2/FMA/F16C.
CpuPath cpu_best_path();
bool cpu_path_supported(CpuPath path);
// The path the kernels use now: min(cpu_best_path(), avx2), or GPT2_CPU's choice when set.
CpuPath cpu_active_path();
// Forces PATH (tests, benchmarks); returns false and changes nothing when the CPU cannot run it.
bool cpu_set_path(CpuPath path);
const char *cpu_path_name(CpuPath path);
// "avx2 fma f16c avx512f ..." — the detected feature names.
std::string cpu_features_string();

}  // namespace gpt2
