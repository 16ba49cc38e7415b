// generate.h — the single-sequence generation loop behind gpt2_generate (and the gpt2-generate CLI, which
// also wants the prompt ids and each step's full sample result): tokenize, prefill the prompt as one batch
// (chunked by n_batch), then sample -> report -> decode until a finish condition.
//
// Empty prompt: GPT-2 needs at least one token to condition on, so the prompt becomes <|endoftext|>
// (as Hugging Face's GPT-2 examples start unconditional samples from the EOS/BOS token).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2.h"

namespace gpt2 {

struct GenerateRequest {
    std::string_view prompt;            // UTF-8 text, tokenized with parse_special = 0
    gpt2_sampler_params params;
    std::vector<std::string> stops;     // stop strings (gpt2_sampler_add_stop limits)
};

struct GenerateOutput {
    std::vector<int32_t> prompt_tokens; // ids actually prefilled (the EOS id for an empty prompt)
    gpt2_generate_stats stats{};
};

// Called after every sampled token with the sampler's result and the text piece it made safe. Return 0 to
// go on, non-zero to cancel. Time spent here is not counted in decode_ms.
using GenerateStepFn = std::function<int32_t(const gpt2_sample_result &result, std::string_view piece)>;

// Prompt ids as generate() feeds them (tokenized with parse_special = 0; [EOS] when empty).
std::vector<int32_t> generate_prompt_tokens(const gpt2_model &model, std::string_view prompt);

// Runs on sequence 0 of CTX (cleared first). Returns GPT2_OK or GPT2_ERR_CANCELLED (OUT filled either way);
// throws gpt2::Error for everything else (GPT2_ERR_CONTEXT_FULL when n_prompt >= n_ctx).
int32_t generate(gpt2_context *ctx, const GenerateRequest &request, const GenerateStepFn &on_step,
                 GenerateOutput &out);

}  // namespace gpt2
