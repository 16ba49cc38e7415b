// lookup_fisher.h — how much the model's next-token distributions react to an error in the input embedding: the
// Fisher information of those distributions with respect to the embedding vector of one input position, summed
// over the positions of a calibration text. An error e added to a token's embedding row costs, to second order,
// 1/2 e^T F e nats of KL per occurrence, with F the mean of this matrix per position.
//
// It is what an imatrix (per-column mean squares of a matrix's inputs) cannot see for the tied token embedding:
// that tensor's lookup role. On the trained model in ../shared nearly all of F's trace lies in a few
// eigenvectors (every later read of the residual stream goes through a layer norm, and the output reacts to few
// directions), so a rounding error costs almost nothing in most directions and a lot in a few, across columns;
// convert/error_feedback.h rounds the embedding to keep its errors out of those directions.
//
// Measured by finite differences through the forward pass: for each embedding dimension i, the window runs twice
// with +-eps on dimension i of every position (a random sign per position, so that the cross-position terms
// cancel in expectation), and the change of the final norm (the head's input) at each output position, mapped
// through the head's rows, gives the change of the logits. The Fisher of a softmax is diag(p) - p p^T, so
// F += J^T (diag(p) - p p^T) J per output position, with the likely tokens (99.9 % of the probability, at most
// 4096) exactly and the rest as their mass times the mean over all rows. Cost: 2 C + 1 forward passes per
// window, plus about 2 C^2 (K + C) per output position (K likely tokens); memory: (T - 1) C^2 floats for a window
// of T tokens (67 MB for the 256-wide model at 256 tokens, 600 MB for gpt2's 768).
#pragma once

#include <cstdint>
#include <vector>

struct gpt2_context;

namespace gpt2 {

struct LookupFisher {
    int64_t n_embd = 0;
    std::vector<double> sum;      // (C, C) summed over output positions
    int64_t positions = 0;        // output positions summed
    std::vector<float> head;      // (V, C) the output head's rows in f32, filled on first use
    std::vector<double> head_mean, head_second;   // (C) their mean, (C, C) the mean of their outer products
};

// Adds a window of T tokens (decoded as sequence 0 at positions 0..T-1 of CTX, whose n_ctx and n_batch must hold
// T; the sequence is cleared first and left holding the window). SEED picks the perturbation signs. The
// outputs at positions 0..T-2 count (those that predict a token of the window). Throws gpt2::Error.
void lookup_fisher_add_window(gpt2_context &ctx, const int32_t *tokens, int32_t T, uint64_t seed,
                              LookupFisher &acc);

}  // namespace gpt2
