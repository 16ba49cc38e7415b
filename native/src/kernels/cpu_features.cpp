// cpu_features.cpp — cpuid/xgetbv probing and the process-wide active kernel path.
#include "kernels/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GPT2_X86 1
#endif

namespace gpt2 {

namespace {

#ifdef GPT2_X86
uint64_t read_xcr0() {
    uint32_t eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}
#endif

CpuFeatures detect() {
    CpuFeatures f;
#ifdef GPT2_X86
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    const bool fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return f;
    const uint64_t xcr0 = read_xcr0();
    const bool os_ymm = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
    const bool os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0; // opmask + ZMM_Hi256 + Hi16_ZMM
    if (!os_ymm) return f;
    if (__get_cpuid_max(0, nullptr) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = (b >> 5) & 1;
    f.fma = fma;
    f.f16c = f16c;
    if (os_zmm) {
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
        f.avx512vnni = (c >> 11) & 1;
    }
#endif
    return f;
}

const CpuFeatures g_features = detect();

CpuPath best_from(const CpuFeatures &f) {
    if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni && f.avx2 && f.fma && f.f16c)
        return CpuPath::avx512;
    if (f.avx2 && f.fma && f.f16c) return CpuPath::avx2;
    return CpuPath::scalar;
}

// The AVX-512 kernels pass their tests against the scalar _ref only where the CPU has AVX-512, and the
// machines this project is developed and tested on have none: until they have run on real hardware they are
// opt-in (GPT2_CPU=avx512). Correctness first; AVX2 is the default ceiling.
CpuPath initial_path() {
    const CpuPath best = best_from(g_features);
    CpuPath p = (int)best > (int)CpuPath::avx2 ? CpuPath::avx2 : best;
    const char *env = std::getenv("GPT2_CPU");
    if (env != nullptr) {
        CpuPath want = p;
        if (std::strcmp(env, "scalar") == 0) want = CpuPath::scalar;
        else if (std::strcmp(env, "avx2") == 0) want = CpuPath::avx2;
        else if (std::strcmp(env, "avx512") == 0) want = CpuPath::avx512;
        p = (int)want < (int)best ? want : best;   // never past what the CPU supports
    }
    return p;
}

std::atomic<int> g_active{(int)initial_path()};

}  // namespace

const CpuFeatures &cpu_features() { return g_features; }

CpuPath cpu_best_path() { return best_from(g_features); }

bool cpu_path_supported(CpuPath path) { return (int)path <= (int)cpu_best_path(); }

CpuPath cpu_active_path() { return (CpuPath)g_active.load(std::memory_order_relaxed); }

bool cpu_set_path(CpuPath path) {
    if (!cpu_path_supported(path)) return false;
    g_active.store((int)path, std::memory_order_relaxed);
    return true;
}

const char *cpu_path_name(CpuPath path) {
    switch (path) {
        case CpuPath::scalar: return "scalar";
        case CpuPath::avx2: return "avx2";
        case CpuPath::avx512: return "avx512";
    }
    return "unknown";
}

std::string cpu_features_string() {
    const CpuFeatures &f = g_features;
    std::string s;
    auto add = [&](bool on, const char *name) {
        if (!on) return;
        if (!s.empty()) s += ' ';
        s += name;
    };
    add(f.avx2, "avx2");
    add(f.fma, "fma");
    add(f.f16c, "f16c");
    add(f.avx512f, "avx512f");
    add(f.avx512bw, "avx512bw");
    add(f.avx512vl, "avx512vl");
    add(f.avx512dq, "avx512dq");
    add(f.avx512vnni, "avx512vnni");
    if (s.empty()) s = "none";
    return s;
}

}  // namespace gpt2
