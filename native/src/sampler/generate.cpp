// generate.cpp — prefill + sample/decode loop over the context's and the sampler's internal functions (the C
// API wraps this loop; it does not call back into the C API).
#include "sampler/generate.h"

#include <algorithm>
#include <chrono>

#include "util/error.h"
#include "model/context.h"
#include "model/model.h"
#include "sampler/sampler.h"
#include "tokenizer/tokenizer.h"

namespace gpt2 {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Decodes TOKENS[0, n) of sequence 0 starting at position POS0, as chunks of at most N_BATCH entries;
// logits only for the very last entry.
void decode_run(gpt2_context &ctx, const int32_t *tokens, int32_t n, int32_t pos0, int32_t n_batch,
                std::vector<int32_t> &seq_ids, std::vector<int32_t> &positions, std::vector<int8_t> &want) {
    for (int32_t start = 0; start < n; start += n_batch) {
        const int32_t len = std::min(n_batch, n - start);
        seq_ids.assign((size_t)len, 0);
        positions.resize((size_t)len);
        want.assign((size_t)len, 0);
        for (int32_t i = 0; i < len; ++i) positions[(size_t)i] = pos0 + start + i;
        if (start + len == n) want[(size_t)len - 1] = 1;
        context_decode(ctx, len, seq_ids.data(), positions.data(), tokens + start, want.data());
    }
}

}  // namespace

std::vector<int32_t> generate_prompt_tokens(const gpt2_model &model, std::string_view prompt) {
    require_arg(model.tokenizer != nullptr, "model has no tokenizer");
    std::vector<int32_t> ids = model.tokenizer->encode(prompt, false);
    if (ids.empty()) {
        require_arg(model.token_eos >= 0, "the prompt is empty and the model has no EOS token to start from");
        ids.push_back(model.token_eos);
    }
    return ids;
}

int32_t generate(gpt2_context *ctx, const GenerateRequest &request, const GenerateStepFn &on_step,
                 GenerateOutput &out) {
    require_arg(ctx != nullptr, "ctx must not be NULL");
    const gpt2_model *model = ctx->model;
    require_arg(model != nullptr && model->tokenizer != nullptr, "ctx has no model with a tokenizer");
    const int32_t n_ctx = ctx->n_ctx;
    const int32_t n_batch = std::max(1, ctx->n_batch);

    const Tokenizer *tok = model->tokenizer.get();
    gpt2_sampler sampler(request.params, model->hparams.n_vocab, model->token_eos,
                         [tok](int32_t id) -> std::string_view { return tok->token_bytes(id); });
    for (const std::string &stop : request.stops) sampler.add_stop(stop.data(), (int32_t)stop.size());

    out = GenerateOutput{};
    out.prompt_tokens = generate_prompt_tokens(*model, request.prompt);
    const int32_t n_prompt = (int32_t)out.prompt_tokens.size();
    out.stats.n_prompt_tokens = n_prompt;
    if (n_prompt >= n_ctx) {
        throw Error(GPT2_ERR_CONTEXT_FULL, "the prompt has " + std::to_string(n_prompt) +
                                              " tokens but n_ctx is " + std::to_string(n_ctx) +
                                              ": at least one position must remain for generation");
    }
    sampler.set_prompt(out.prompt_tokens.data(), n_prompt, n_ctx);
    context_seq_clear(*ctx, 0);

    std::vector<int32_t> seq_ids, positions;
    std::vector<int8_t> want;
    const auto t_prompt = Clock::now();
    decode_run(*ctx, out.prompt_tokens.data(), n_prompt, 0, n_batch, seq_ids, positions, want);
    out.stats.prompt_ms = ms_since(t_prompt);
    int32_t logits_index = (n_prompt - 1) % n_batch;  // the last entry of the last prefill chunk

    gpt2_sample_result result{};
    for (;;) {
        auto t_step = Clock::now();
        sampler.sample(context_logits(*ctx, logits_index), result);
        out.stats.decode_ms += ms_since(t_step);
        out.stats.n_generated = result.n_generated;
        out.stats.finish = result.finish;

        if (on_step && on_step(result, sampler.text()) != 0) return GPT2_ERR_CANCELLED;
        if (result.finish != GPT2_FINISH_NONE) break;

        t_step = Clock::now();
        decode_run(*ctx, &result.token, 1, n_prompt + result.n_generated - 1, n_batch, seq_ids, positions, want);
        logits_index = 0;
        out.stats.decode_ms += ms_since(t_step);
    }
    return GPT2_OK;
}

}  // namespace gpt2
