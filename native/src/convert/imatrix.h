// imatrix.h — importance matrix files: per weight matrix, the mean square of each input column over a
// calibration text (gpt2-imatrix collects it; gpt2-quantize --imatrix weights rounding errors by it).
//
// Format: llama.cpp's GGUF imatrix layout, so files move between the two projects' tools.
//   general.type        string  "imatrix"
//   imatrix.datasets    [string] the calibration file name(s)
//   imatrix.chunk_count u32     windows of text evaluated
//   imatrix.chunk_size  u32     tokens per window
//   for each weight W (its tensor name in the model file, e.g. blk.0.attn_qkv.weight):
//     W.in_sum2  f32 (K, 1)  sum over the tokens of each input column's square
//     W.counts   f32 (1, 1)  tokens summed
// The quantizers use in_sum2 / counts. A tied output head appears under token_embd.weight (the tensor the
// head multiplies), as in llama.cpp. Our extension, which llama.cpp's loader passes over (it reads only the
// two suffixes above):
//     token_embd.weight.lookup_fisher  f32 (C, C)  the Fisher information of the next-token distributions
//                                                   with respect to the input embedding, summed over positions
//                                                   (model/lookup_fisher.h)
//     token_embd.weight.lookup_counts  f32 (1, 1)  positions summed
// gpt2-quantize rounds the token embedding against it (convert/error_feedback.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/activation_stats.h"
#include "model/lookup_fisher.h"

namespace gpt2 {

struct ImportanceMatrix {
    std::map<std::string, std::vector<float>> mean_sq;   // by weight name: (K) mean of x_k^2
    std::vector<float> lookup_fisher;                    // (C, C) mean per position; empty if the file has none
    std::vector<std::string> datasets;
    uint32_t chunk_count = 0, chunk_size = 0;

    // The column importances of weight NAME with K inputs; nullptr if the file has no entry for it. Throws
    // GPT2_ERR_INVALID_ARGUMENT when the entry's length is not K (an imatrix of another model).
    const float *find(const std::string &name, int64_t K) const;
};

// Writes STATS to PATH (via PATH.tmp + rename). Throws gpt2::Error (IO).
// LOOKUP, where given and holding positions, is saved as token_embd.weight.lookup_fisher / .lookup_counts.
void imatrix_save(const std::string &path, const ActivationStats &stats, const std::vector<std::string> &datasets,
                  uint32_t chunk_count, uint32_t chunk_size, const LookupFisher *lookup = nullptr);

// Reads and validates PATH: every in_sum2 has its counts, f32, finite and non-negative sums, positive counts; a
// lookup Fisher is square, symmetric, finite, with a non-negative diagonal and a positive count.
// Throws gpt2::Error (IO / FORMAT) naming the file and the entry at fault.
ImportanceMatrix imatrix_load(const std::string &path);

}  // namespace gpt2
