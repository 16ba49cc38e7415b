// penalties.h — repetition penalty (Hugging Face RepetitionPenaltyLogitsProcessor: over every distinct id in
// prompt + generated, logit > 0 ? logit / r : logit * r) and presence / frequency penalties (OpenAI: over
// generated ids, logit -= presence * (count > 0) + frequency * count). Applied in that order, in place, on
// the sampler's own copy of the logits. Cost per token: O(distinct ids seen), not O(n_vocab).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpt2 {

class PenaltyState {
public:
    void reset(int32_t n_vocab);
    // Ids are validated by the caller (0 <= id < n_vocab).
    void add_prompt_token(int32_t id);
    void add_generated_token(int32_t id);
    void apply(float *logits, float repetition_penalty, float presence_penalty, float frequency_penalty) const;

    int32_t generated_count(int32_t id) const { return counts_[(size_t)id]; }

private:
    std::vector<uint8_t> seen_;         // per id: in prompt or generated
    std::vector<int32_t> seen_ids_;     // distinct ids of seen_, in first-seen order
    std::vector<int32_t> counts_;       // per id: times generated
    std::vector<int32_t> generated_ids_;// distinct ids with counts_ > 0
    void mark_seen(int32_t id);
};

}  // namespace gpt2
