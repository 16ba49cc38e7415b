// gpt2-probe — what this machine allows, for reading benchmark figures as shares of it: streaming read
// bandwidth of THREADS threads over a buffer far larger than the caches (the bound of single-stream decode,
// which reads every weight once per token), and the arithmetic ceilings of the active kernel path on THREADS
// threads (the int8 kernels' exact instruction mix, and plain f32 FMA), from register-only loops.
// Usage: gpt2-probe [-t THREADS] [--mib N]     Prints "probe <name> <value>" lines.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/peak.h"
#include "util/cli.h"

namespace {

using Clock = std::chrono::steady_clock;

// Runs fn(ith) on n threads at once; returns the wall seconds of the whole.
template <typename Fn>
double on_threads(int n, Fn fn) {
    std::vector<std::thread> ts;
    std::atomic<int> ready{0};
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) ts.emplace_back([&, i] { ready.fetch_add(1); fn(i); });
    for (auto &t : ts) t.join();
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

double read_bandwidth_gbs(int threads, size_t bytes) {
    std::vector<uint64_t> buf(bytes / 8);
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = i * 2654435761u;   // touch every page first
    std::vector<uint64_t> sums((size_t)threads * 8);
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const double s = on_threads(threads, [&](int ith) {
            const size_t per = buf.size() / (size_t)threads, b = per * (size_t)ith, e = b + per;
            uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (size_t i = b; i + 4 <= e; i += 4) {
                a0 += buf[i];
                a1 += buf[i + 1];
                a2 += buf[i + 2];
                a3 += buf[i + 3];
            }
            sums[(size_t)ith * 8] = a0 + a1 + a2 + a3;
        });
        best = std::max(best, (double)(buf.size() * 8) / s / 1e9);
    }
    uint64_t sink = 0;
    for (uint64_t v : sums) sink += v;
    if (sink == 42) std::printf(" ");
    return best;
}

// Ops per second of LOOP(iters) on THREADS threads at once.
template <typename Loop>
double ops_per_s(int threads, Loop loop, int64_t ops_per_iter) {
    const int64_t iters = 20'000'000;
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        std::vector<double> sink((size_t)threads);
        const double s = on_threads(threads, [&](int ith) { sink[(size_t)ith] = loop(iters); });
        best = std::max(best, (double)iters * ops_per_iter * threads / s);
    }
    return best;
}

}  // namespace

int main(int argc, char **argv) {
    int threads = (int)std::max(1u, std::thread::hardware_concurrency()), mib = 1024;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "-t" && i + 1 < argc) threads = (int)gpt2::cli_int(a, argv[++i], 1, 1024);
            else if (a == "--mib" && i + 1 < argc) mib = (int)gpt2::cli_int(a, argv[++i], 64, 65536);
            else throw std::runtime_error("unknown option '" + a + "'");
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-probe: %s\nusage: gpt2-probe [-t THREADS] [--mib N]\n", e.what());
        return 2;
    }
    const gpt2::CpuPath path = gpt2::cpu_active_path();
    std::printf("probe threads %d\n", threads);
    std::printf("probe path %s\n", gpt2::cpu_path_name(path));
    std::printf("probe read_gbs %.1f\n", read_bandwidth_gbs(threads, (size_t)mib << 20));
    if (path != gpt2::CpuPath::scalar) {
        std::printf("probe int8_gops %.1f\n",
                    2e-9 * ops_per_s(threads, gpt2::peak_int8_loop_avx2, gpt2::kPeakInt8MacsPerIter));
        std::printf("probe f32_gflops %.1f\n",
                    2e-9 * ops_per_s(threads, gpt2::peak_f32_loop_avx2, gpt2::kPeakF32MacsPerIter));
    }
    return 0;
}
