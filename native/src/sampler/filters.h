// filters.h — the sampling filters over a candidate list, with Hugging Face's semantics (transformers'
// TemperatureLogitsWarper, TopK/TopP/MinP/TypicalLogitsWarper, min_tokens_to_keep = 1), and the final draw.
//
// A CandidateSet holds (id, logit, p) for the tokens still allowed; each filter shrinks it. Filters that
// need an order (top-p, typical-p) never sort the whole vocabulary: they histogram the sort key into
// buckets, keep whole buckets until the mass is reached and sort only the one boundary bucket. Ties between equal logits are broken by the lower id, so every
// result is deterministic. The set's storage is reused across calls (no per-token allocation once warm).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sampler/rng.h"

namespace gpt2 {

struct Candidate {
    int32_t id;
    float   logit;
    float   p;     // probability after the last candidates_softmax
    float   key;   // scratch sort key (typical-p)
};

struct CandidateSet {
    std::vector<Candidate> items;  // capacity kept across calls; the live entries are [0, size)
    size_t size = 0;
    bool   sorted = false;         // [0, size) is in descending logit order
};

// Fills SET with all N_VOCAB (id, logit) pairs. Unsorted.
void candidates_fill(CandidateSet &set, const float *logits, int32_t n_vocab);
// p = softmax(logit) over the live entries (float exp, double sum; -inf logits get p = 0).
void candidates_softmax(CandidateSet &set);

// Divides every logit by TEMPERATURE (> 0), after subtracting the largest (softmax is shift-invariant).
void filter_temperature(CandidateSet &set, float temperature);
// Keeps the K largest logits (k <= 0 or k >= size: no-op). Leaves the set sorted.
void filter_top_k(CandidateSet &set, int32_t k);
// Keeps the smallest most-likely prefix whose probability mass reaches TOP_P (a token is kept when the
// mass of the tokens ranked above it is < top_p). top_p >= 1: no-op. Leaves the set sorted.
void filter_top_p(CandidateSet &set, float top_p);
// Drops tokens with p < MIN_P * p_max (min_p <= 0: no-op). Keeps the order.
void filter_min_p(CandidateSet &set, float min_p);
// Locally typical sampling (Meister et al.): ranks tokens by |-log p - H|, keeps the best-ranked ones
// until their mass reaches MASS (the first token reaching it included, plus ties). mass >= 1: no-op.
void filter_typical(CandidateSet &set, float mass);

// exp(x) for x <= 0 (softmax after subtracting the max; -inf -> 0), a branch-free polynomial (Cephes
// expf coefficients) that compilers vectorise; relative error < 2e-7 for x >= -87, and 0 below (where
// exp(x) < 1.7e-38, negligible against the max's 1).
float exp_nonpositive(float x);
// sum over i of exp(x[i] - shift) in double, for shift >= max(x). SCRATCH receives the terms.
double sum_exp_shifted(const float *x, size_t n, float shift, float *scratch);

// Draws one id from softmax over the live entries with RNG (one next_unit() per call).
int32_t candidates_sample(CandidateSet &set, Rng &rng);

// Index of the largest value in LOGITS[0, n) (ties -> lowest index); -1 if all are -inf.
int32_t logits_argmax(const float *logits, int32_t n);

}  // namespace gpt2
