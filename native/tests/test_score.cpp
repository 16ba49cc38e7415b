// test_score.cpp — gpt2_score_tokens, the exact scoring of given tokens (prompt logprobs): every item's logprob
// and top-n against a float64 log-softmax of the same logits, the very bits a sampler reports for the token it
// chose, results independent of how many items share the call, and every bad argument a clear error.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "check.h"
#include "test_models.h"
#include "gpt2.h"

namespace {

constexpr int32_t kCtx = 64;
constexpr int32_t kTokens = 40;
constexpr int32_t kTop = 5;
// float logits, a float result, a float64 reference: ~1e-6 relative; 1e-5 absolute leaves margin.
constexpr double kTol = 1e-5;

std::vector<double> log_softmax_ref(const float *l, int32_t n) {
    double m = l[0];
    for (int32_t i = 1; i < n; ++i) m = std::max(m, (double)l[i]);
    double s = 0;
    for (int32_t i = 0; i < n; ++i) s += std::exp((double)l[i] - m);
    std::vector<double> out((size_t)n);
    for (int32_t i = 0; i < n; ++i) out[(size_t)i] = (double)l[i] - m - std::log(s);
    return out;
}

void test_model(gpt2_model *model, const char *type) {
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = kCtx;
    cp.n_seq_max = 1;
    cp.n_threads = 2;
    gpt2_context *ctx = nullptr;
    CHECK(gpt2_context_create(model, &cp, &ctx) == GPT2_OK);
    if (!ctx) return;
    std::vector<int32_t> text, seq(kTokens, 0), pos(kTokens), entries(kTokens - 1), next(kTokens - 1);
    for (int32_t i = 0; i < kTokens; ++i) text.push_back((i * 7919 + 11) % n_vocab);
    std::iota(pos.begin(), pos.end(), 0);
    std::vector<int8_t> want(kTokens, 1);
    want[5] = 0;   // one entry without logits
    CHECK(gpt2_decode(ctx, kTokens, seq.data(), pos.data(), text.data(), want.data()) == GPT2_OK);
    std::vector<int32_t> ent, tok;
    for (int32_t i = 0; i + 1 < kTokens; ++i) {
        if (!want[(size_t)i]) continue;
        ent.push_back(i);
        tok.push_back(text[(size_t)i + 1]);
    }
    const int32_t n = (int32_t)ent.size();
    std::vector<gpt2_sample_result> res((size_t)n);
    CHECK_MSG(gpt2_score_tokens(ctx, ent.data(), tok.data(), n, kTop, res.data()) == GPT2_OK, "%s: %s", type,
              gpt2_last_error());
    for (int32_t k = 0; k < n; ++k) {
        const float *l = gpt2_get_logits(ctx, ent[(size_t)k]);
        const std::vector<double> ref = log_softmax_ref(l, n_vocab);
        const gpt2_sample_result &r = res[(size_t)k];
        CHECK_EQ(r.token, tok[(size_t)k]);
        CHECK_MSG(std::fabs(r.logprob - ref[(size_t)tok[(size_t)k]]) <= kTol, "%s item %d: %.9f vs %.9f", type, k,
                  r.logprob, ref[(size_t)tok[(size_t)k]]);
        CHECK_EQ(r.n_top, kTop);
        std::vector<int32_t> order((size_t)n_vocab);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return l[a] > l[b]; });
        for (int32_t j = 0; j < kTop; ++j) {
            CHECK_MSG(r.top_tokens[j] == order[(size_t)j], "%s item %d top %d: %d vs %d", type, k, j, r.top_tokens[j],
                      order[(size_t)j]);
            CHECK(std::fabs(r.top_logprobs[j] - ref[(size_t)order[(size_t)j]]) <= kTol);
        }
        CHECK(r.finish == GPT2_FINISH_NONE && r.n_generated == 0 && r.text_len == 0);
    }

    // alone (1 item, and a different n_top) gives the same bits as within the batch
    for (int32_t k : {0, n / 2, n - 1}) {
        gpt2_sample_result one{};
        CHECK(gpt2_score_tokens(ctx, &ent[(size_t)k], &tok[(size_t)k], 1, 0, &one) == GPT2_OK);
        CHECK_MSG(std::memcmp(&one.logprob, &res[(size_t)k].logprob, sizeof(float)) == 0, "%s: alone differs", type);
        CHECK_EQ(one.n_top, 0);
    }

    // a greedy sampler reports the same bits for the token it chose
    gpt2_sampler_params sp = gpt2_sampler_default_params();
    sp.temperature = 0;
    sp.n_top = kTop;
    gpt2_sampler *s = nullptr;
    CHECK(gpt2_sampler_create(model, &sp, &s) == GPT2_OK);
    if (s) {
        gpt2_sample_result sampled{}, scored{};
        const int32_t entry = kTokens - 1;
        CHECK(gpt2_sampler_sample_ctx(s, ctx, entry, &sampled) == GPT2_OK);
        CHECK(gpt2_score_tokens(ctx, &entry, &sampled.token, 1, kTop, &scored) == GPT2_OK);
        CHECK_MSG(std::memcmp(&sampled.logprob, &scored.logprob, sizeof(float)) == 0, "%s: sampler %.9g score %.9g",
                  type, sampled.logprob, scored.logprob);
        CHECK(std::memcmp(sampled.top_tokens, scored.top_tokens, sizeof sampled.top_tokens) == 0);
        CHECK(std::memcmp(sampled.top_logprobs, scored.top_logprobs, sizeof sampled.top_logprobs) == 0);
        gpt2_sampler_free(s);
    }

    // bad arguments: a clear error
    gpt2_sample_result r{};
    const int32_t no_logits = 5, bad_token = -1, big_token = n_vocab, e0 = 0, t0 = 1;
    CHECK(gpt2_score_tokens(ctx, &no_logits, &t0, 1, 0, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(std::string(gpt2_last_error()).find("did not ask for logits") != std::string::npos);
    CHECK(gpt2_score_tokens(ctx, &e0, &bad_token, 1, 0, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_score_tokens(ctx, &e0, &big_token, 1, 0, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_score_tokens(ctx, &e0, &t0, 1, GPT2_MAX_TOP_N + 1, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_score_tokens(ctx, &e0, &t0, 1, -1, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_score_tokens(ctx, &e0, &t0, kTokens + 1, 0, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_score_tokens(ctx, nullptr, &t0, 1, 0, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_score_tokens(nullptr, &e0, &t0, 1, 0, &r) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_score_tokens(ctx, nullptr, nullptr, 0, 0, nullptr) == GPT2_OK);
    gpt2_context_free(ctx);
}

}  // namespace

int main() {
    for (gpt2_type type : {GPT2_TYPE_F32, GPT2_TYPE_Q8_0}) {
        gpt2_model *model = test_model_write_load("test_score", test_model_options(type, kCtx));
        if (!model) continue;
        test_model(model, gpt2_type_name(type));
        gpt2_model_free(model);
    }
    return check_summary("test_score");
}
