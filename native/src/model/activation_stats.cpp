// activation_stats.cpp — accumulation of squared matmul inputs (see activation_stats.h).
#include "model/activation_stats.h"

#include "util/error.h"

namespace gpt2 {

void ActivationStats::record(const std::string &name, const float *x, int64_t T, int64_t K) {
    Entry &e = entries[name];
    if (e.sum_sq.empty()) e.sum_sq.assign((size_t)K, 0.0);
    if ((int64_t)e.sum_sq.size() != K) {
        throw Error(GPT2_ERR_INTERNAL, "activation stats: '" + name + "' seen with " + std::to_string(K) +
                                           " inputs after " + std::to_string(e.sum_sq.size()));
    }
    for (int64_t t = 0; t < T; ++t) {
        const float *xt = x + t * K;
        for (int64_t k = 0; k < K; ++k) e.sum_sq[(size_t)k] += (double)xt[k] * xt[k];
    }
    e.count += T;
}

}  // namespace gpt2
