// api_sampler.cpp — the gpt2_sampler_* functions of the C API: argument checks, then the gpt2_sampler
// methods (sampler/sampler.h), each body inside gpt2::guard.
#include <cstring>
#include <string>
#include <vector>

#include "util/error.h"
#include "gpt2.h"
#include "model/context.h"
#include "model/model.h"
#include "sampler/sampler.h"
#include "tokenizer/tokenizer.h"

namespace {

// Copies TEXT into BUF per the size-query convention of gpt2.h.
int32_t copy_text_out(const std::string &text, char *buf, int32_t buf_size, int32_t *n_out) {
    gpt2::require_arg(n_out != nullptr, "n_out must not be NULL");
    gpt2::require_arg(buf_size >= 0, "buf_size must be >= 0, got " + std::to_string(buf_size));
    gpt2::require_arg(buf != nullptr || buf_size == 0, "buf must not be NULL when buf_size > 0");
    *n_out = (int32_t)text.size();
    if ((size_t)buf_size < text.size()) {
        return gpt2::set_last_error(GPT2_ERR_BUFFER_TOO_SMALL,
                                    "buf_size " + std::to_string(buf_size) + " is too small: " +
                                        std::to_string(text.size()) + " bytes needed");
    }
    if (!text.empty()) std::memcpy(buf, text.data(), text.size());
    return GPT2_OK;
}

// N items of a call over the last decode's entries (gpt2_sample_batch, gpt2_score_tokens): at most one per entry.
void require_batch_items(const gpt2_context &ctx, int32_t n) {
    if (n < 0 || n > (int32_t)ctx.logits_row.size()) {
        throw gpt2::Error(GPT2_ERR_INVALID_ARGUMENT, "n = " + std::to_string(n) + " must be in [0, " +
                                                        std::to_string(ctx.logits_row.size()) +
                                                        "] (the entries of the last gpt2_decode)");
    }
}
}  // namespace

extern "C" {

gpt2_sampler_params gpt2_sampler_default_params(void) {
    gpt2_sampler_params p;
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.typical_p = 1.0f;
    p.repetition_penalty = 1.0f;
    p.presence_penalty = 0.0f;
    p.frequency_penalty = 0.0f;
    p.seed = 0;
    p.n_top = 0;
    p.max_tokens = 0;
    p.ignore_eos = 0;
    return p;
}

int32_t gpt2_sampler_create(const gpt2_model *model, const gpt2_sampler_params *params, gpt2_sampler **out) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(out != nullptr, "out must not be NULL");
        *out = nullptr;
        gpt2::require_arg(model != nullptr, "model must not be NULL");
        gpt2::require_arg(params != nullptr, "params must not be NULL");
        gpt2::require_arg(model->tokenizer != nullptr, "model has no tokenizer");
        const gpt2::Tokenizer *tok = model->tokenizer.get();
        auto bytes = [tok](int32_t id) -> std::string_view { return tok->token_bytes(id); };
        *out = new gpt2_sampler(*params, model->hparams.n_vocab, model->token_eos, bytes);
        return GPT2_OK;
    });
}

void gpt2_sampler_free(gpt2_sampler *sampler) { delete sampler; }

int32_t gpt2_sampler_add_stop(gpt2_sampler *sampler, const char *stop, int32_t stop_len) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(sampler != nullptr, "sampler must not be NULL");
        sampler->add_stop(stop, stop_len);
        return GPT2_OK;
    });
}

int32_t gpt2_sampler_set_prompt(gpt2_sampler *sampler, const int32_t *tokens, int32_t n_tokens, int32_t n_ctx) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(sampler != nullptr, "sampler must not be NULL");
        sampler->set_prompt(tokens, n_tokens, n_ctx);
        return GPT2_OK;
    });
}

int32_t gpt2_sampler_sample(gpt2_sampler *sampler, const float *logits, gpt2_sample_result *result) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(sampler != nullptr, "sampler must not be NULL");
        gpt2::require_arg(result != nullptr, "result must not be NULL");
        sampler->sample(logits, *result);
        return GPT2_OK;
    });
}

int32_t gpt2_sampler_sample_ctx(gpt2_sampler *sampler, gpt2_context *ctx, int32_t i, gpt2_sample_result *result) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(sampler != nullptr, "sampler must not be NULL");
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::require_arg(result != nullptr, "result must not be NULL");
        const float *logits = gpt2_get_logits(ctx, i);
        if (logits == nullptr) {
            throw gpt2::Error(GPT2_ERR_INVALID_ARGUMENT, std::string("no logits for batch entry ") +
                                                            std::to_string(i) + ": " + gpt2_last_error());
        }
        sampler->sample(logits, *result);
        return GPT2_OK;
    });
}

int32_t gpt2_sample_batch(gpt2_context *ctx, gpt2_sampler *const *samplers, const int32_t *entries, int32_t n,
                          gpt2_sample_result *results, int32_t *statuses) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        require_batch_items(*ctx, n);
        if (n == 0) return GPT2_OK;
        gpt2::require_arg(samplers != nullptr && entries != nullptr && results != nullptr && statuses != nullptr,
                          "samplers, entries, results and statuses must not be NULL");
        for (int32_t i = 0; i < n; ++i) {
            if (samplers[i] == nullptr) {
                throw gpt2::Error(GPT2_ERR_INVALID_ARGUMENT, "samplers[" + std::to_string(i) + "] is NULL");
            }
            for (int32_t j = 0; j < i; ++j) {
                if (samplers[j] == samplers[i]) {
                    throw gpt2::Error(GPT2_ERR_INVALID_ARGUMENT, "samplers[" + std::to_string(j) + "] and samplers[" +
                                                                    std::to_string(i) + "] are the same sampler");
                }
            }
        }
        std::vector<std::string> &errors = ctx->sample_errors;   // kept by the context: no allocation per step
        if (errors.size() < (size_t)n) errors.resize((size_t)n);
        auto work = [&](int ith, int nth) {
            for (int32_t i = ith; i < n; i += nth) {
                statuses[i] = gpt2::guard([&]() -> int32_t {
                    samplers[i]->sample(gpt2::context_logits(*ctx, entries[i]), results[i]);
                    return GPT2_OK;
                });
                if (statuses[i] != GPT2_OK) errors[(size_t)i] = gpt2_last_error();   // this worker's own
            }
        };
        if (n == 1) work(0, 1);
        else ctx->pool->run(work);
        for (int32_t i = 0; i < n; ++i) {
            if (statuses[i] != GPT2_OK) {
                throw gpt2::Error((gpt2_status)statuses[i], "sample_batch item " + std::to_string(i) + ": " +
                                                                errors[(size_t)i]);
            }
        }
        return GPT2_OK;
    });
}

int32_t gpt2_score_tokens(gpt2_context *ctx, const int32_t *entries, const int32_t *tokens, int32_t n, int32_t n_top,
                          gpt2_sample_result *results) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        require_batch_items(*ctx, n);
        gpt2::require_arg(n_top >= 0 && n_top <= GPT2_MAX_TOP_N, "n_top must be in [0, " +
                                                                     std::to_string(GPT2_MAX_TOP_N) + "], got " +
                                                                     std::to_string(n_top));
        if (n == 0) return GPT2_OK;
        gpt2::require_arg(entries != nullptr && tokens != nullptr && results != nullptr,
                          "entries, tokens and results must not be NULL");
        const int32_t n_vocab = ctx->model->hparams.n_vocab;
        for (int32_t i = 0; i < n; ++i) {   // everything checked before any work: one clear message
            if (tokens[i] < 0 || tokens[i] >= n_vocab) {
                throw gpt2::Error(GPT2_ERR_INVALID_ARGUMENT, "tokens[" + std::to_string(i) + "] = " +
                                                                std::to_string(tokens[i]) + " is not a token id (n_vocab " +
                                                                std::to_string(n_vocab) + ")");
            }
            try {
                gpt2::context_logits(*ctx, entries[i]);
            } catch (const gpt2::Error &e) {
                throw gpt2::Error(e.status(), "entries[" + std::to_string(i) + "]: " + e.what());
            }
        }
        // the workers' failures (a NaN logit) are kept per item; the first one is reported after the join
        std::vector<std::string> &errors = ctx->sample_errors;
        if (errors.size() < (size_t)n) errors.resize((size_t)n);
        std::vector<int32_t> statuses((size_t)n, GPT2_OK);
        auto work = [&](int ith, int nth) {
            if (ith >= n) return;
            std::vector<float> scratch((size_t)n_vocab);
            for (int32_t i = ith; i < n; i += nth) {
                statuses[(size_t)i] = gpt2::guard([&]() -> int32_t {
                    gpt2::score_token(gpt2::context_logits(*ctx, entries[i]), n_vocab, tokens[i], n_top,
                                      scratch.data(), results[i]);
                    return GPT2_OK;
                });
                if (statuses[(size_t)i] != GPT2_OK) errors[(size_t)i] = gpt2_last_error();
            }
        };
        if (n == 1) work(0, 1);
        else ctx->pool->run(work);
        for (int32_t i = 0; i < n; ++i) {
            if (statuses[(size_t)i] != GPT2_OK) {
                throw gpt2::Error((gpt2_status)statuses[(size_t)i], "score item " + std::to_string(i) + ": " +
                                                                        errors[(size_t)i]);
            }
        }
        return GPT2_OK;
    });
}

int32_t gpt2_sampler_text(const gpt2_sampler *sampler, char *buf, int32_t buf_size, int32_t *n_out) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(sampler != nullptr, "sampler must not be NULL");
        return copy_text_out(sampler->text(), buf, buf_size, n_out);
    });
}

int32_t gpt2_sampler_flush(gpt2_sampler *sampler, char *buf, int32_t buf_size, int32_t *n_out) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(sampler != nullptr, "sampler must not be NULL");
        gpt2::require_arg(n_out != nullptr, "n_out must not be NULL");
        sampler->flush();
        return copy_text_out(sampler->text(), buf, buf_size, n_out);
    });
}

}  // extern "C"
