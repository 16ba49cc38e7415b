// api_info.cpp — gpt2_api_version, gpt2_type_name and gpt2_build_info (version, compiler, CPU features detected at run
// time and the kernel path in use, CUDA or not).
#include <string>

#include "gpt2.h"
#include "kernels/cpu_features.h"
#include "tensor/tensor.h"

#ifndef GPT2_VERSION
#define GPT2_VERSION "unknown"
#endif

namespace {
thread_local std::string t_build_info;  // the returned pointer stays valid until the next call on this thread
}

extern "C" {

int32_t gpt2_api_version(void) { return GPT2_API_VERSION; }

const char *gpt2_type_name(int32_t type) {
    return type < 0 ? nullptr : gpt2::type_name_of_id((uint32_t)type);
}

const char *gpt2_build_info(void) {
    try {
        t_build_info = std::string("gpt2 ") + GPT2_VERSION + "; api " + std::to_string(GPT2_API_VERSION) +
                       "; cpu features: " + gpt2::cpu_features_string() +
                       "; kernels: " + gpt2::cpu_path_name(gpt2::cpu_active_path()) +
#if defined(__clang__)
                       "; compiler: clang " + __clang_version__ +
#elif defined(__GNUC__)
                       "; compiler: gcc " + __VERSION__ +
#endif
#ifdef GPT2_WITH_CUDA
                       "; cuda: libgpt2_cuda.so (loaded on demand)";
#else
                       "; cuda: no";
#endif
    } catch (...) {
        return "gpt2 (build info unavailable: out of memory)";
    }
    return t_build_info.c_str();
}

}  // extern "C"
