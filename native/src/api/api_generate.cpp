// api_generate.cpp — gpt2_generate: the C boundary of gpt2::generate (sampler/generate.h): argument checks,
// stop strings from NUL-terminated C strings, the C callback, and the cancellation status.
#include <cstring>
#include <string>

#include "util/error.h"
#include "gpt2.h"
#include "sampler/generate.h"

extern "C" {

int32_t gpt2_generate(gpt2_context *ctx, const char *prompt, int32_t prompt_len, const gpt2_sampler_params *params,
                      const char *const *stops, int32_t n_stop, gpt2_token_callback callback, void *user_data,
                      gpt2_generate_stats *stats) {
    return gpt2::guard([&]() -> int32_t {
        if (stats != nullptr) *stats = gpt2_generate_stats{};
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::require_arg(params != nullptr, "params must not be NULL");
        gpt2::require_arg(prompt_len >= 0, "prompt_len must be >= 0, got " + std::to_string(prompt_len));
        gpt2::require_arg(prompt != nullptr || prompt_len == 0, "prompt must not be NULL when prompt_len > 0");
        gpt2::require_arg(n_stop >= 0, "n_stop must be >= 0, got " + std::to_string(n_stop));
        gpt2::require_arg(stops != nullptr || n_stop == 0, "stops must not be NULL when n_stop > 0");

        gpt2::GenerateRequest request;
        request.prompt = std::string_view(prompt_len > 0 ? prompt : "", (size_t)prompt_len);
        request.params = *params;
        for (int32_t i = 0; i < n_stop; ++i) {
            gpt2::require_arg(stops[i] != nullptr, "stops[" + std::to_string(i) + "] must not be NULL");
            request.stops.emplace_back(stops[i]);
        }
        gpt2::GenerateStepFn on_step;
        if (callback != nullptr) {
            on_step = [&](const gpt2_sample_result &r, std::string_view piece) -> int32_t {
                return callback(r.token, piece.data(), (int32_t)piece.size(), r.logprob, user_data);
            };
        }
        gpt2::GenerateOutput out;
        int32_t status;
        try {
            status = gpt2::generate(ctx, request, on_step, out);
        } catch (...) {
            if (stats != nullptr) *stats = out.stats;  // e.g. n_prompt_tokens of a prompt that did not fit
            throw;
        }
        if (stats != nullptr) *stats = out.stats;
        if (status == GPT2_ERR_CANCELLED) {
            return gpt2::set_last_error(GPT2_ERR_CANCELLED, "generation cancelled by the token callback after " +
                                                                std::to_string(out.stats.n_generated) + " tokens");
        }
        return status;
    });
}

}  // extern "C"
