// forward.h — the GPT-2 forward pass over one batch of entries from one or more sequences, with KV cache.
//
// Legend (llm.c): T = batch entries, C = n_embd, NH = n_head, hs = C / NH, F = n_ff, V = n_vocab,
// L = n_layer. The batch runs as matrices (T, C) through every layer, so a prompt reuses each weight row
// across all its tokens; attention of each entry reads its own sequence's cache up to its position.
#pragma once

#include <cstdint>

#include "model/context.h"

namespace gpt2 {

// One already-validated batch: entry i appends token[i] at pos[i] to sequence seq[i]; out_row[i] >= 0
// asks for the logits of entry i in row out_row[i] of `logits` (n_out rows of V floats). Writes the K/V of
// every entry into the caches (at positions >= the sequences' lengths, so a failure leaves the cached
// prefix intact); does not change the sequences' lengths.
void forward_batch(gpt2_context &ctx, int32_t T, const int32_t *seq, const int32_t *pos, const int32_t *token,
                   const int32_t *out_row, int32_t n_out, float *logits);

}  // namespace gpt2
