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
// head multiplies), as in llama.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/activation_stats.h"

namespace gpt2 {

struct ImportanceMatrix {
    std::map<std::string, std::vector<float>> mean_sq;   // by weight name: (K) mean of x_k^2
    std::vector<std::string> datasets;
    uint32_t chunk_count = 0, chunk_size = 0;

    // The column importances of weight NAME with K inputs; nullptr if the file has no entry for it. Throws
    // GPT2_ERR_INVALID_ARGUMENT when the entry's length is not K (an imatrix of another model).
    const float *find(const std::string &name, int64_t K) const;
};

// Writes STATS to PATH (via PATH.tmp + rename). Throws gpt2::Error (IO).
void imatrix_save(const std::string &path, const ActivationStats &stats, const std::vector<std::string> &datasets,
                  uint32_t chunk_count, uint32_t chunk_size);

// Reads and validates PATH: every in_sum2 has its counts, f32, finite and non-negative sums, positive counts.
// Throws gpt2::Error (IO / FORMAT) naming the file and the entry at fault.
ImportanceMatrix imatrix_load(const std::string &path);

}  // namespace gpt2
