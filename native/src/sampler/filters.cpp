// filters.cpp — temperature, top-k, top-p, min-p and typical-p over a CandidateSet, and the final draw.
#include "sampler/filters.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace gpt2 {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Descending logit, then ascending id: a strict total order (logits are never NaN here).
inline bool by_logit_desc(const Candidate &a, const Candidate &b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}
inline bool by_key_asc(const Candidate &a, const Candidate &b) {
    return a.key < b.key || (a.key == b.key && a.id < b.id);
}

// Buckets of the mass histogram: enough that the boundary bucket of a 50257-token vocabulary holds a few
// hundred entries even for a flat distribution; the +1 holds infinite keys (p = 0).
constexpr int kBuckets = 512;

// Keeps the entries whose key (ascending = better; +inf for p = 0) ranks them inside the smallest best
// prefix reaching MASS: the walk in by_key_asc order adds each entry and stops at the first one that
// brings the running mass to >= MASS. With keep_key_ties, later entries whose key equals that last one's
// are kept too. Needs p and key set; leaves the set unsorted. If the mass is never reached, keeps all.
void keep_best_by_mass(CandidateSet &set, double mass, bool keep_key_ties) {
    float kmin = kInf, kmax = -kInf;
    for (size_t i = 0; i < set.size; ++i) {
        const float k = set.items[i].key;
        if (k == kInf) continue;
        kmin = std::min(kmin, k);
        kmax = std::max(kmax, k);
    }
    if (kmin == kInf) return;  // no finite key: nothing to rank
    // In double: keys a denormal apart made the float scale +inf, and inf -> int is undefined (fuzz_sampler
    // finding; the index was then far outside bucket_mass). Double holds 511 / (the smallest float gap).
    const double scale = kmax > kmin ? (double)(kBuckets - 1) / ((double)kmax - (double)kmin) : 0.0;
    auto bucket_of = [&](float k) -> int {
        if (k == kInf) return kBuckets;
        const double at = ((double)k - (double)kmin) * scale;   // monotone in k: ties share a bucket
        if (!(at > 0.0)) return 0;
        return at < (double)(kBuckets - 1) ? (int)at : kBuckets - 1;
    };
    double bucket_mass[kBuckets + 1] = {};
    for (size_t i = 0; i < set.size; ++i) bucket_mass[bucket_of(set.items[i].key)] += set.items[i].p;
    double before = 0.0;
    int boundary = -1;
    for (int b = 0; b <= kBuckets; ++b) {
        if (before + bucket_mass[b] >= mass) { boundary = b; break; }
        before += bucket_mass[b];
    }
    if (boundary < 0) return;

    auto begin = set.items.begin(), end = set.items.begin() + (std::ptrdiff_t)set.size;
    auto mid = std::partition(begin, end, [&](const Candidate &c) { return bucket_of(c.key) < boundary; });
    auto last = std::partition(mid, end, [&](const Candidate &c) { return bucket_of(c.key) == boundary; });
    std::sort(mid, last, by_key_asc);
    auto keep_end = mid;
    double cum = before;
    while (keep_end != last) {
        cum += keep_end->p;
        ++keep_end;
        if (cum >= mass) break;
    }
    if (keep_key_ties && keep_end != mid) {
        const float threshold = (keep_end - 1)->key;
        while (keep_end != last && keep_end->key == threshold) ++keep_end;
    }
    set.size = (size_t)(keep_end - begin);
    set.sorted = false;
}

}  // namespace

float exp_nonpositive(float x) {
    // Branch-free and without float->int conversions (which would be undefined for -inf) so that GCC
    // vectorises the loops calling it without fast-math. n = round(x / ln 2) by adding 1.5 * 2^23: the
    // sum's low mantissa bits then hold n; r = x - n ln 2 in two parts; exp(r) by Cephes' polynomial;
    // 2^n built from the exponent bits. Results for x < -87 (garbage, NaN for -inf) are masked to 0.
    const float shifter = 12582912.0f;  // bits 0x4B400000
    const float t = x * 1.44269504088896341f + shifter;
    const float n = t - shifter;
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    float poly = 1.9875691500e-4f;
    poly = poly * r + 1.3981999507e-3f;
    poly = poly * r + 8.3334519073e-3f;
    poly = poly * r + 4.1665795894e-2f;
    poly = poly * r + 1.6666665459e-1f;
    poly = poly * r + 5.0000001201e-1f;
    const float er = poly * r * r + r + 1.0f;
    uint32_t t_bits;
    std::memcpy(&t_bits, &t, sizeof t_bits);
    const uint32_t scale_bits = (t_bits - 0x4B400000u + 127u) << 23;  // 2^n for n in [-126, 0]
    float scale;
    std::memcpy(&scale, &scale_bits, sizeof scale);
    const float res = er * scale;
    uint32_t res_bits;
    std::memcpy(&res_bits, &res, sizeof res_bits);
    res_bits &= (uint32_t)0 - (uint32_t)(x >= -87.0f);
    float out;
    std::memcpy(&out, &res_bits, sizeof out);
    return out;
}

double sum_exp_shifted(const float *x, size_t n, float shift, float *scratch) {
    for (size_t i = 0; i < n; ++i) scratch[i] = exp_nonpositive(x[i] - shift);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += scratch[i];
        s1 += scratch[i + 1];
        s2 += scratch[i + 2];
        s3 += scratch[i + 3];
    }
    for (; i < n; ++i) s0 += scratch[i];
    return (s0 + s1) + (s2 + s3);
}

void candidates_fill(CandidateSet &set, const float *logits, int32_t n_vocab) {
    set.items.resize((size_t)n_vocab);
    for (int32_t i = 0; i < n_vocab; ++i) set.items[(size_t)i] = Candidate{i, logits[i], 0.0f, 0.0f};
    set.size = (size_t)n_vocab;
    set.sorted = false;
}

void candidates_softmax(CandidateSet &set) {
    float max_logit = -kInf;
    for (size_t i = 0; i < set.size; ++i) max_logit = std::max(max_logit, set.items[i].logit);
    double sum = 0.0;
    for (size_t i = 0; i < set.size; ++i) {
        Candidate &c = set.items[i];
        c.p = exp_nonpositive(c.logit - max_logit);
        sum += c.p;
    }
    const double inv = sum > 0.0 ? 1.0 / sum : 0.0;
    for (size_t i = 0; i < set.size; ++i) set.items[i].p = (float)((double)set.items[i].p * inv);
}

void filter_temperature(CandidateSet &set, float temperature) {
    if (temperature == 1.0f) return;
    // (logit - max) / T: the same softmax, but a tiny T cannot overflow to +inf (only to -inf = p 0).
    float max_logit = -kInf;
    for (size_t i = 0; i < set.size; ++i) max_logit = std::max(max_logit, set.items[i].logit);
    for (size_t i = 0; i < set.size; ++i) set.items[i].logit = (set.items[i].logit - max_logit) / temperature;
}

void filter_top_k(CandidateSet &set, int32_t k) {
    if (k <= 0 || (size_t)k >= set.size) return;
    if (!set.sorted) {
        std::partial_sort(set.items.begin(), set.items.begin() + k, set.items.begin() + (std::ptrdiff_t)set.size,
                          by_logit_desc);
    }
    set.size = (size_t)k;
    set.sorted = true;
}

void filter_top_p(CandidateSet &set, float top_p) {
    if (top_p >= 1.0f || set.size <= 1) return;
    candidates_softmax(set);
    if (set.sorted) {  // after top-k: a plain walk
        double mass = 0.0;
        size_t kept = 0;
        while (kept < set.size) {
            mass += set.items[kept++].p;
            if (mass >= (double)top_p) break;
        }
        set.size = kept;
        return;
    }
    for (size_t i = 0; i < set.size; ++i) set.items[i].key = -set.items[i].logit;  // exact; -inf -> +inf
    keep_best_by_mass(set, (double)top_p, false);
}

void filter_min_p(CandidateSet &set, float min_p) {
    if (min_p <= 0.0f || set.size <= 1) return;
    candidates_softmax(set);
    float p_max = 0.0f;
    for (size_t i = 0; i < set.size; ++i) p_max = std::max(p_max, set.items[i].p);
    const float threshold = min_p * p_max;
    size_t out = 0;
    for (size_t i = 0; i < set.size; ++i) {
        if (set.items[i].p >= threshold) set.items[out++] = set.items[i];
    }
    set.size = out;  // the max always survives (p_max >= min_p * p_max)
}

void filter_typical(CandidateSet &set, float mass) {
    if (mass >= 1.0f || set.size <= 1) return;
    candidates_softmax(set);
    double entropy = 0.0;
    for (size_t i = 0; i < set.size; ++i) {
        const double p = set.items[i].p;
        if (p > 0.0) entropy -= p * std::log(p);
    }
    for (size_t i = 0; i < set.size; ++i) {
        Candidate &c = set.items[i];
        c.key = c.p > 0.0f ? (float)std::fabs(-std::log((double)c.p) - entropy) : kInf;
    }
    keep_best_by_mass(set, (double)mass, true);
}

int32_t candidates_sample(CandidateSet &set, Rng &rng) {
    candidates_softmax(set);
    const double u = rng.next_unit();
    double cum = 0.0;
    int32_t last_positive = -1;
    for (size_t i = 0; i < set.size; ++i) {
        const Candidate &c = set.items[i];
        if (c.p <= 0.0f) continue;
        cum += c.p;
        last_positive = c.id;
        if (u < cum) return c.id;
    }
    return last_positive;  // rounding left cum just under u
}

int32_t logits_argmax(const float *logits, int32_t n) {
    int32_t best = -1;
    float best_logit = -kInf;
    for (int32_t i = 0; i < n; ++i) {
        if (logits[i] > best_logit) { best_logit = logits[i]; best = i; }
    }
    return best;
}

}  // namespace gpt2
