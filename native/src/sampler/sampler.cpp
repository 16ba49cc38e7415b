// sampler.cpp — parameter validation, the per-token pipeline (logprobs, penalties, filters, draw) and the
// stopping rules of gpt2_sampler.
#include "sampler/sampler.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "util/error.h"

namespace gpt2 {

namespace {

std::string fmt_float(float v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

// Throws unless LO <= v <= HI (inclusive) or, with lo_open, LO < v <= HI. Catches NaN/inf by construction.
void require_range(const char *field, float v, float lo, float hi, bool lo_open) {
    const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
    if (!ok) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, std::string(field) + " must be in " + (lo_open ? "(" : "[") +
                                                   fmt_float(lo) + ", " + fmt_float(hi) + "], got " + fmt_float(v));
    }
}

}  // namespace

void sampler_params_validate(const gpt2_sampler_params &p) {
    require_range("temperature", p.temperature, 0.0f, 100.0f, false);
    require_range("top_p", p.top_p, 0.0f, 1.0f, true);
    require_range("min_p", p.min_p, 0.0f, 1.0f, false);
    require_range("typical_p", p.typical_p, 0.0f, 1.0f, true);
    require_range("repetition_penalty", p.repetition_penalty, 0.0f, 10.0f, true);
    require_range("presence_penalty", p.presence_penalty, -2.0f, 2.0f, false);
    require_range("frequency_penalty", p.frequency_penalty, -2.0f, 2.0f, false);
    if (p.n_top < 0 || p.n_top > GPT2_MAX_TOP_N) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, "n_top must be in [0, " + std::to_string(GPT2_MAX_TOP_N) +
                                                   "], got " + std::to_string(p.n_top));
    }
    if (p.ignore_eos != 0 && p.ignore_eos != 1) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, "ignore_eos must be 0 or 1, got " + std::to_string(p.ignore_eos));
    }
    // top_k and max_tokens: every value is valid (<= 0 disables); seed: every value is valid.
}

void logits_top_n(const float *logits, int32_t n_vocab, double log_z, int32_t n, gpt2_sample_result &result) {
    n = std::min(n, n_vocab);
    int32_t count = 0;
    int32_t *ids = result.top_tokens;
    float vals[GPT2_MAX_TOP_N];
    for (int32_t i = 0; i < n_vocab; ++i) {
        const float v = logits[i];
        if (count == n && !(v > vals[n - 1])) continue;  // equal -> the earlier (lower) id stays
        int32_t j = count < n ? count++ : n - 1;
        while (j > 0 && v > vals[j - 1]) {
            vals[j] = vals[j - 1];
            ids[j] = ids[j - 1];
            --j;
        }
        vals[j] = v;
        ids[j] = i;
    }
    result.n_top = count;
    for (int32_t j = 0; j < count; ++j) result.top_logprobs[j] = (float)((double)vals[j] - log_z);
}

double logits_log_z(const float *logits, int32_t n_vocab, float *scratch) {
    float max_logit = -std::numeric_limits<float>::infinity();
    for (int32_t i = 0; i < n_vocab; ++i) {
        const float v = logits[i];
        if (std::isnan(v) || v == std::numeric_limits<float>::infinity()) {
            throw Error(GPT2_ERR_INVALID_ARGUMENT, "logits[" + std::to_string(i) + "] is " + (std::isnan(v) ? "NaN" : "+inf"));
        }
        if (v > max_logit) max_logit = v;
    }
    require_arg(max_logit > -std::numeric_limits<float>::infinity(), "logits are all -inf");
    return (double)max_logit + std::log(sum_exp_shifted(logits, (size_t)n_vocab, max_logit, scratch));
}

void score_token(const float *logits, int32_t n_vocab, int32_t token, int32_t n_top, float *scratch,
                 gpt2_sample_result &result) {
    require_arg(token >= 0 && token < n_vocab, "token " + std::to_string(token) + " is not a token id (n_vocab " +
                                                   std::to_string(n_vocab) + ")");
    require_arg(n_top >= 0 && n_top <= GPT2_MAX_TOP_N,
                "n_top must be in [0, " + std::to_string(GPT2_MAX_TOP_N) + "], got " + std::to_string(n_top));
    const double log_z = logits_log_z(logits, n_vocab, scratch);
    result.token = token;
    result.logprob = (float)((double)logits[token] - log_z);   // as sample() reports a chosen token's
    result.n_top = 0;
    if (n_top > 0) logits_top_n(logits, n_vocab, log_z, n_top, result);
    result.finish = GPT2_FINISH_NONE;
    result.n_generated = 0;
    result.text_len = 0;
}

}  // namespace gpt2

gpt2_sampler::gpt2_sampler(const gpt2_sampler_params &params, int32_t n_vocab, int32_t token_eos,
                           gpt2::TokenBytesFn token_bytes)
    : params_(params), n_vocab_(n_vocab), token_eos_(token_eos), token_bytes_(std::move(token_bytes)) {
    gpt2::sampler_params_validate(params);
    gpt2::require_arg(n_vocab > 0, "n_vocab must be > 0, got " + std::to_string(n_vocab));
    rng_.reseed(params.seed);
    penalties_.reset(n_vocab);
    work_.resize((size_t)n_vocab);
    candidates_.items.reserve((size_t)n_vocab);
}

void gpt2_sampler::add_stop(const char *stop, int32_t stop_len) {
    gpt2::require_arg(stop != nullptr, "stop must not be NULL");
    gpt2::require_arg(stop_len >= 1 && (size_t)stop_len <= gpt2::kMaxStopBytes,
                      "stop_len must be in [1, " + std::to_string(gpt2::kMaxStopBytes) + "] bytes, got " +
                          std::to_string(stop_len));
    gpt2::require_arg(stream_.n_stops() < gpt2::kMaxStopStrings,
                      "too many stop strings: at most " + std::to_string(gpt2::kMaxStopStrings));
    gpt2::require_arg(n_generated_ == 0, "stop strings must be added before the first sample");
    stream_.add_stop(std::string_view(stop, (size_t)stop_len));
}

void gpt2_sampler::set_prompt(const int32_t *tokens, int32_t n_tokens, int32_t n_ctx) {
    gpt2::require_arg(n_generated_ == 0, "set_prompt must be called before the first sample");
    gpt2::require_arg(n_tokens >= 0, "n_tokens must be >= 0, got " + std::to_string(n_tokens));
    gpt2::require_arg(n_tokens == 0 || tokens != nullptr, "tokens must not be NULL when n_tokens > 0");
    gpt2::require_arg(n_ctx > 0, "n_ctx must be > 0, got " + std::to_string(n_ctx));
    gpt2::require_arg(n_tokens <= n_ctx, "n_tokens (" + std::to_string(n_tokens) + ") must be <= n_ctx (" +
                                             std::to_string(n_ctx) + ")");
    for (int32_t i = 0; i < n_tokens; ++i) {
        gpt2::require_arg(tokens[i] >= 0 && tokens[i] < n_vocab_,
                          "tokens[" + std::to_string(i) + "] = " + std::to_string(tokens[i]) +
                              " is not a token id (n_vocab " + std::to_string(n_vocab_) + ")");
    }
    penalties_.reset(n_vocab_);  // a second call before sampling replaces the first
    for (int32_t i = 0; i < n_tokens; ++i) penalties_.add_prompt_token(tokens[i]);
    n_prompt_ = n_tokens;
    n_ctx_ = n_ctx;
}

void gpt2_sampler::sample(const float *logits, gpt2_sample_result &result) {
    gpt2::require_arg(logits != nullptr, "logits must not be NULL");
    gpt2::require_arg(!finished(), "the sampler has finished (finish reason " + std::to_string(finish_) +
                                       "); create a new sampler for a new sequence");

    // 1. log-softmax of the raw logits (also rejects NaN / +inf); work_ is the scratch of the exp terms before it
    // receives the penalised copy.
    const double log_z = gpt2::logits_log_z(logits, n_vocab_, work_.data());

    // 2. penalties on a copy.
    std::copy(logits, logits + n_vocab_, work_.begin());
    penalties_.apply(work_.data(), params_.repetition_penalty, params_.presence_penalty, params_.frequency_penalty);

    // 3. choose.
    int32_t token;
    if (params_.temperature == 0.0f) {
        token = gpt2::logits_argmax(work_.data(), n_vocab_);
    } else {
        gpt2::candidates_fill(candidates_, work_.data(), n_vocab_);
        gpt2::filter_temperature(candidates_, params_.temperature);
        gpt2::filter_top_k(candidates_, params_.top_k);
        gpt2::filter_top_p(candidates_, params_.top_p);
        gpt2::filter_min_p(candidates_, params_.min_p);
        gpt2::filter_typical(candidates_, params_.typical_p);
        token = gpt2::candidates_sample(candidates_, rng_);
    }
    if (token < 0) {
        throw gpt2::Error(GPT2_ERR_INVALID_ARGUMENT, "no token can be sampled: the penalised logits are all -inf");
    }

    result.token = token;
    result.logprob = (float)((double)logits[token] - log_z);
    result.n_top = 0;
    if (params_.n_top > 0) gpt2::logits_top_n(logits, n_vocab_, log_z, params_.n_top, result);

    // 4. record and stop.
    ++n_generated_;
    penalties_.add_generated_token(token);
    stream_.clear_text();
    int32_t finish = GPT2_FINISH_NONE;
    if (token == token_eos_ && !params_.ignore_eos) {
        finish = GPT2_FINISH_EOS;
    } else if (stream_.push(token_bytes_(token))) {
        finish = GPT2_FINISH_STOP;
    } else if (params_.max_tokens > 0 && n_generated_ >= params_.max_tokens) {
        finish = GPT2_FINISH_LENGTH;
    } else if (n_ctx_ > 0 && n_prompt_ + n_generated_ >= n_ctx_) {
        finish = GPT2_FINISH_CONTEXT;
    }
    if (finish != GPT2_FINISH_NONE) stream_.finish();
    finish_ = finish;
    result.finish = finish;
    result.n_generated = n_generated_;
    result.text_len = (int32_t)stream_.text().size();
}

void gpt2_sampler::flush() {
    if (flushed_) return;
    flushed_ = true;
    stream_.clear_text();
    stream_.finish();
}
