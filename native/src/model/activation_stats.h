// activation_stats.h — what an importance matrix is made of: for every weight matrix the forward pass
// multiplies, the sum over all tokens of the square of each input column, and the number of tokens. A context
// with a collector attached (gpt2_context::activation_stats) adds every batch to it; gpt2-imatrix saves the
// result (convert/imatrix.h) and the quantizers weight each weight's rounding error by its column's mean square.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gpt2 {

struct ActivationStats {
    struct Entry {
        std::vector<double> sum_sq;   // (K) sum over tokens of x_k^2
        int64_t count = 0;            // tokens seen
    };
    std::map<std::string, Entry> entries;   // by weight tensor name, e.g. "blk.0.attn_qkv.weight"

    // Adds T rows of K inputs X (T, K) to the entry of weight NAME.
    void record(const std::string &name, const float *x, int64_t T, int64_t K);
};

// A probe into one decode (gpt2-imatrix's lookup Fisher): INPUT_DELTA (T, C), where set, is added to the
// embeddings (token + position) of the batch's rows before the first block; FINAL_NORM (T, C), where set,
// receives the final layer norm of every row (the output head's inputs), whether or not a row wants logits.
struct EmbeddingProbe {
    const float *input_delta = nullptr;
    float *final_norm = nullptr;
};

}  // namespace gpt2
