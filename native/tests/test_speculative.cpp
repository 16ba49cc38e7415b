// test_speculative.cpp — speculative decoding through the C API on a generated model, as a host drives it: decode the
// last token plus K drafted tokens with logits on every entry, sample them with gpt2_sampler_sample_ctx position by
// position until a token differs from its draft, roll the sequence back past the rejected drafts with
// gpt2_context_seq_keep. Output, logprobs and finish must equal plain decoding's token for token (drafts right,
// wrong and missing, up to the context end), greedy and with seeded sampling alike.
#include <algorithm>
#include <string>
#include <vector>

#include "check.h"
#include "test_models.h"
#include "gpt2.h"

namespace {

constexpr int32_t kCtx = 48;
constexpr int32_t kPrompt = 10;

struct Token {
    int32_t id;
    float logprob;
    int32_t finish;
};

gpt2_sampler *make_sampler(gpt2_model *model, const std::vector<int32_t> &prompt, float temperature) {
    gpt2_sampler_params p = gpt2_sampler_default_params();
    p.temperature = temperature;
    p.seed = 99;
    p.ignore_eos = 1;
    gpt2_sampler *s = nullptr;
    CHECK(gpt2_sampler_create(model, &p, &s) == GPT2_OK);
    CHECK(gpt2_sampler_set_prompt(s, prompt.data(), (int32_t)prompt.size(), kCtx) == GPT2_OK);
    return s;
}

// Decodes N entries of sequence SEQ from position POS, logits on all (or on the last only).
bool decode(gpt2_context *ctx, int32_t seq, int32_t pos, const std::vector<int32_t> &tokens, bool all_logits) {
    const int32_t n = (int32_t)tokens.size();
    std::vector<int32_t> seqs((size_t)n, seq), positions((size_t)n);
    std::vector<int8_t> want((size_t)n, all_logits ? 1 : 0);
    want.back() = 1;
    for (int32_t i = 0; i < n; ++i) positions[(size_t)i] = pos + i;
    const int32_t st = gpt2_decode(ctx, n, seqs.data(), positions.data(), tokens.data(), want.data());
    CHECK_MSG(st == GPT2_OK, "decode: %s", gpt2_last_error());
    return st == GPT2_OK;
}

// Plain decoding of SEQ until a finish: one token per step.
std::vector<Token> plain(gpt2_context *ctx, gpt2_model *model, int32_t seq, const std::vector<int32_t> &prompt,
                         float temperature) {
    std::vector<Token> out;
    gpt2_sampler *s = make_sampler(model, prompt, temperature);
    if (!s || !decode(ctx, seq, 0, prompt, false)) return out;
    int32_t entry = (int32_t)prompt.size() - 1, pos = (int32_t)prompt.size();
    for (;;) {
        gpt2_sample_result r{};
        if (gpt2_sampler_sample_ctx(s, ctx, entry, &r) != GPT2_OK) break;
        out.push_back({r.token, r.logprob, r.finish});
        if (r.finish != GPT2_FINISH_NONE || !decode(ctx, seq, pos++, {r.token}, false)) break;
        entry = 0;
    }
    gpt2_sampler_free(s);
    return out;
}

// Speculative decoding of SEQ with drafts taken from GUIDE (what the drafter believes follows): the next K tokens
// of the guide, every WRONG-th draft replaced by a wrong token; drafts clamped to the context room.
std::vector<Token> speculative(gpt2_context *ctx, gpt2_model *model, int32_t seq, const std::vector<int32_t> &prompt,
                               float temperature, const std::vector<Token> &guide, int32_t k_max, int32_t wrong,
                               int32_t *n_accepted, int32_t *n_drafted) {
    std::vector<Token> out;
    gpt2_sampler *s = make_sampler(model, prompt, temperature);
    if (!s || !decode(ctx, seq, 0, prompt, false)) return out;
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    gpt2_sample_result r{};
    if (gpt2_sampler_sample_ctx(s, ctx, (int32_t)prompt.size() - 1, &r) != GPT2_OK) return out;
    out.push_back({r.token, r.logprob, r.finish});
    int32_t pos = (int32_t)prompt.size();   // the position of the last token, not yet decoded
    int32_t drafted = 0;
    *n_accepted = 0;
    *n_drafted = 0;
    while (out.back().finish == GPT2_FINISH_NONE) {
        std::vector<int32_t> entries = {out.back().id};
        const int32_t k = std::min(k_max, kCtx - 1 - pos);
        for (int32_t j = 0; j < k && out.size() + (size_t)j < guide.size(); ++j) {
            int32_t d = guide[out.size() + (size_t)j].id;
            if (++drafted % wrong == 0) d = (d + 1) % n_vocab;
            entries.push_back(d);
        }
        if (!decode(ctx, seq, pos, entries, true)) break;
        int32_t accepted = 0;
        for (size_t j = 0; j < entries.size(); ++j) {
            const int32_t draft = j + 1 < entries.size() ? entries[j + 1] : -1;
            CHECK(gpt2_sampler_sample_ctx(s, ctx, (int32_t)j, &r) == GPT2_OK);
            out.push_back({r.token, r.logprob, r.finish});
            if (r.token == draft) ++accepted;
            if (r.token != draft || r.finish != GPT2_FINISH_NONE) break;
        }
        *n_accepted += accepted;
        *n_drafted += (int32_t)entries.size() - 1;
        pos += 1 + accepted;
        CHECK(gpt2_context_seq_keep(ctx, seq, pos) == GPT2_OK);
        CHECK_EQ(gpt2_context_seq_len(ctx, seq), pos);
    }
    gpt2_sampler_free(s);
    return out;
}

bool same(const std::vector<Token> &a, const std::vector<Token> &b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].id != b[i].id || a[i].logprob != b[i].logprob || a[i].finish != b[i].finish) return false;
    }
    return true;
}

void test_model(gpt2_model *model, const char *type) {
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    std::vector<int32_t> prompt;
    for (int32_t i = 0; i < kPrompt; ++i) prompt.push_back((i * 7919 + 5) % n_vocab);
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = kCtx;
    cp.n_seq_max = 2;
    cp.n_threads = 2;
    gpt2_context *ctx = nullptr;
    CHECK(gpt2_context_create(model, &cp, &ctx) == GPT2_OK);
    if (!ctx) return;

    // greedy: until the context end (kCtx - kPrompt tokens), for several draft lengths and error rates
    const std::vector<Token> ref = plain(ctx, model, 0, prompt, 0.0f);
    CHECK_EQ((int32_t)ref.size(), kCtx - kPrompt);
    CHECK(!ref.empty() && ref.back().finish == GPT2_FINISH_CONTEXT);
    for (int32_t k : {1, 3, 8}) {
        for (int32_t wrong : {1, 4, 1000}) {
            CHECK(gpt2_context_seq_clear(ctx, 1) == GPT2_OK);
            int32_t accepted = 0, drafted = 0;
            const std::vector<Token> got = speculative(ctx, model, 1, prompt, 0.0f, ref, k, wrong, &accepted, &drafted);
            CHECK_MSG(same(ref, got), "%s: greedy with k %d, every %d-th draft wrong differs", type, k, wrong);
            if (wrong == 1) CHECK_EQ(accepted, 0);
            if (wrong == 1000) CHECK_MSG(accepted == drafted && drafted > 0, "%s: k %d: right drafts: %d of %d accepted",
                                         type, k, accepted, drafted);
        }
    }
    // seeded sampling: plain decoding's tokens whatever the drafts (right ones from the plain run, wrong ones, and
    // drafts from a different, greedy continuation), and some drafts accepted
    CHECK(gpt2_context_seq_clear(ctx, 0) == GPT2_OK);
    const std::vector<Token> sampled = plain(ctx, model, 0, prompt, 0.8f);
    CHECK_EQ((int32_t)sampled.size(), kCtx - kPrompt);
    for (const std::vector<Token> *guide : {&sampled, &ref}) {
        for (int32_t wrong : {3, 1000}) {
            CHECK(gpt2_context_seq_clear(ctx, 1) == GPT2_OK);
            int32_t accepted = 0, drafted = 0;
            const std::vector<Token> got = speculative(ctx, model, 1, prompt, 0.8f, *guide, 4, wrong, &accepted,
                                                       &drafted);
            CHECK_MSG(same(sampled, got), "%s: seeded sampling with drafts (%s guide, every %d-th wrong) differs from"
                      " plain", type, guide == &ref ? "greedy" : "sampled", wrong);
            if (guide == &sampled && wrong == 1000) CHECK(accepted == drafted && drafted > 0);
        }
    }
    gpt2_context_free(ctx);
}

}  // namespace

int main() {
    for (gpt2_type type : {GPT2_TYPE_F32, GPT2_TYPE_Q8_0}) {
        gpt2_model *model = test_model_write_load("test_speculative", test_model_options(type, kCtx));
        if (!model) continue;
        test_model(model, gpt2_type_name(type));
        gpt2_model_free(model);
    }
    return check_summary("test_speculative");
}
