// penalties.cpp — bookkeeping of seen / generated ids and the penalty arithmetic.
#include "sampler/penalties.h"

#include <algorithm>
#include <limits>

namespace gpt2 {

void PenaltyState::reset(int32_t n_vocab) {
    seen_.assign((size_t)n_vocab, 0);
    counts_.assign((size_t)n_vocab, 0);
    seen_ids_.clear();
    generated_ids_.clear();
}

void PenaltyState::mark_seen(int32_t id) {
    if (!seen_[(size_t)id]) {
        seen_[(size_t)id] = 1;
        seen_ids_.push_back(id);
    }
}

void PenaltyState::add_prompt_token(int32_t id) { mark_seen(id); }

void PenaltyState::add_generated_token(int32_t id) {
    mark_seen(id);
    if (counts_[(size_t)id]++ == 0) generated_ids_.push_back(id);
}

void PenaltyState::apply(float *logits, float repetition_penalty, float presence_penalty,
                         float frequency_penalty) const {
    if (repetition_penalty != 1.0f) {
        for (int32_t id : seen_ids_) {
            float &l = logits[id];
            // A penalty near 0 (e.g. a denormal; the range is (0, 10]) would push a positive logit to +inf,
            // and one +inf makes the softmax NaN: saturate at the largest finite float instead.
            l = l > 0.0f ? std::min(l / repetition_penalty, std::numeric_limits<float>::max()) : l * repetition_penalty;
        }
    }
    if (presence_penalty != 0.0f || frequency_penalty != 0.0f) {
        for (int32_t id : generated_ids_) {
            logits[id] -= presence_penalty + frequency_penalty * (float)counts_[(size_t)id];
        }
    }
}

}  // namespace gpt2
