// test_sampler.cpp — sampling logic without a model file: RNG determinism, greedy, every filter on crafted
// logits (checked against brute-force references), temperature statistics, penalty arithmetic,
// logprob / top-n against a direct log-softmax, finish rules, and parameter validation messages.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "util/error.h"
#include "check.h"
#include "sampler/filters.h"
#include "sampler/penalties.h"
#include "sampler/rng.h"
#include "sampler/sampler.h"

using namespace gpt2;

namespace {

// Float logits through a double log-softmax: agreement to ~1e-6 relative; 1e-5 leaves margin.
constexpr double kLogprobTol = 1e-5;
// 20000 Bernoulli draws: standard error <= 0.0036; 0.015 is > 4 sigma, yet far below the 0.15 gap tested.
constexpr int kDraws = 20000;
constexpr double kFreqTol = 0.015;

std::vector<std::string> g_vocab;
TokenBytesFn vocab_bytes() {
    return [](int32_t id) -> std::string_view { return g_vocab[(size_t)id]; };
}

gpt2_sampler make_sampler(const gpt2_sampler_params &p, int32_t n_vocab, int32_t eos = -1) {
    g_vocab.resize((size_t)std::max<int32_t>(n_vocab, (int32_t)g_vocab.size()));
    for (size_t i = 0; i < g_vocab.size(); ++i)
        if (g_vocab[i].empty()) g_vocab[i] = "t" + std::to_string(i) + " ";
    return gpt2_sampler(p, n_vocab, eos, vocab_bytes());
}

gpt2_sampler_params defaults() {
    gpt2_sampler_params p{};
    p.temperature = 1.0f; p.top_k = 0; p.top_p = 1.0f; p.min_p = 0.0f; p.typical_p = 1.0f;
    p.repetition_penalty = 1.0f; p.presence_penalty = 0.0f; p.frequency_penalty = 0.0f;
    p.seed = 0; p.n_top = 0; p.max_tokens = 0; p.ignore_eos = 0;
    return p;
}

std::vector<float> random_logits(int32_t n, uint64_t seed, double scale) {
    Rng rng(seed);
    std::vector<float> v((size_t)n);
    for (auto &x : v) x = (float)((rng.next_unit() * 2.0 - 1.0) * scale);
    return v;
}

std::vector<double> softmax_ref(const std::vector<float> &l) {
    double m = *std::max_element(l.begin(), l.end());
    std::vector<double> p(l.size());
    double s = 0;
    for (size_t i = 0; i < l.size(); ++i) s += (p[i] = std::exp((double)l[i] - m));
    for (auto &x : p) x /= s;
    return p;
}

std::vector<int32_t> live_ids(const CandidateSet &set) {
    std::vector<int32_t> ids;
    for (size_t i = 0; i < set.size; ++i) ids.push_back(set.items[i].id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

// Reference top-p by a full sort (HF TopPLogitsWarper: keep a token when the mass ranked above it < top_p).
std::vector<int32_t> top_p_ref(const std::vector<float> &l, double top_p) {
    auto p = softmax_ref(l);
    std::vector<int32_t> order(l.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
    std::vector<int32_t> keep;
    double before = 0;
    for (int32_t id : order) {
        if (before >= top_p) break;
        keep.push_back(id);
        before += p[(size_t)id];
    }
    std::sort(keep.begin(), keep.end());
    return keep;
}

// Reference typical-p by a full sort (HF TypicalLogitsWarper).
std::vector<int32_t> typical_ref(const std::vector<float> &l, double mass) {
    auto p = softmax_ref(l);
    double h = 0;
    for (double x : p) if (x > 0) h -= x * std::log(x);
    std::vector<double> key(l.size());
    for (size_t i = 0; i < l.size(); ++i) key[i] = std::fabs(-std::log(p[i]) - h);
    std::vector<int32_t> order(l.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key[a] < key[b]; });
    double cum = 0;
    size_t last = l.size() - 1;
    for (size_t i = 0; i < order.size(); ++i) {
        cum += p[(size_t)order[i]];
        if (cum >= mass) { last = i; break; }
    }
    std::vector<int32_t> keep;
    for (size_t i = 0; i < l.size(); ++i) if (key[i] <= key[(size_t)order[last]]) keep.push_back((int32_t)i);
    return keep;
}

std::string validation_message(gpt2_sampler_params p) {
    try {
        sampler_params_validate(p);
    } catch (const Error &e) {
        return e.status() == GPT2_ERR_INVALID_ARGUMENT ? e.what() : "wrong status";
    }
    return "";
}

void test_rng() {
    Rng a(42), b(42), c(43);
    bool same = true, differs = false;
    for (int i = 0; i < 100; ++i) {
        uint64_t x = a.next_u64(), y = b.next_u64(), z = c.next_u64();
        same = same && x == y;
        differs = differs || x != z;
    }
    CHECK(same);
    CHECK(differs);
    double sum = 0;
    bool in_range = true;
    Rng u(7);
    for (int i = 0; i < kDraws; ++i) {
        double v = u.next_unit();
        in_range = in_range && v >= 0.0 && v < 1.0;
        sum += v;
    }
    CHECK(in_range);
    CHECK_NEAR(sum / kDraws, 0.5, kFreqTol);
}

// exp_nonpositive's documented bound (Cephes expf polynomial, float arithmetic).
constexpr double kExpRelTol = 2e-7;

void test_exp() {
    double worst = 0.0;
    for (float x = -87.0f; x <= 0.0f; x += 0.00731f) {
        const double e = std::exp((double)x);
        worst = std::max(worst, std::fabs((double)exp_nonpositive(x) - e) / e);
    }
    CHECK_MSG(worst < kExpRelTol, "worst relative error %g", worst);
    CHECK_EQ(exp_nonpositive(0.0f), 1.0f);
    CHECK_EQ(exp_nonpositive(-INFINITY), 0.0f);
    CHECK_EQ(exp_nonpositive(-1000.0f), 0.0f);
    std::vector<float> xs = {0.0f, -1.0f, -INFINITY, -2.5f, -100.0f};
    std::vector<float> scratch(xs.size());
    CHECK_NEAR(sum_exp_shifted(xs.data(), xs.size(), 0.0f, scratch.data()),
               1.0 + std::exp(-1.0) + std::exp(-2.5), 1e-6);
}

void test_greedy() {
    auto p = defaults();
    p.temperature = 0.0f;
    std::vector<float> l = {0.5f, 3.0f, -1.0f, 3.0f, 2.9f};
    auto s = make_sampler(p, 5);
    gpt2_sample_result r{};
    s.sample(l.data(), r);
    CHECK_EQ(r.token, 1);  // tie between 1 and 3 -> lowest id
    CHECK_EQ(logits_argmax(l.data(), 5), 1);

    // Greedy ignores the filters: top_k = 1 with a big top_p mass still argmax; typical would drop it.
    auto big = random_logits(1000, 5, 4.0);
    int32_t am = logits_argmax(big.data(), 1000);
    p.top_p = 0.1f; p.typical_p = 0.2f; p.min_p = 0.9f; p.top_k = 3;
    auto g = make_sampler(p, 1000);
    for (int i = 0; i < 5; ++i) { g.sample(big.data(), r); CHECK_EQ(r.token, am); }

    // top_k = 1 at any temperature equals greedy, whatever the seed.
    auto q = defaults();
    q.top_k = 1; q.temperature = 1.7f;
    for (uint64_t seed = 0; seed < 20; ++seed) {
        q.seed = seed;
        auto t = make_sampler(q, 1000);
        t.sample(big.data(), r);
        CHECK_EQ(r.token, am);
    }
}

void test_top_k() {
    auto l = random_logits(500, 11, 3.0);
    CandidateSet set;
    candidates_fill(set, l.data(), 500);
    filter_top_k(set, 10);
    CHECK_EQ(set.size, (size_t)10);
    CHECK(set.sorted);
    std::vector<float> sorted = l;
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    for (size_t i = 0; i < 10; ++i) CHECK_EQ(set.items[i].logit, sorted[i]);
}

void test_top_p() {
    // p = 0.5, 0.3, 0.15, 0.05: top_p 0.75 keeps {0, 1}; 0.85 keeps {0, 1, 2}; 0.4 keeps {0}.
    std::vector<float> l = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
    const std::pair<float, size_t> cases[] = {{0.75f, 2}, {0.85f, 3}, {0.4f, 1}, {1.0f, 4}};
    for (auto [top_p, n] : cases) {
        CandidateSet set;
        candidates_fill(set, l.data(), 4);
        filter_top_p(set, top_p);
        CHECK_MSG(set.size == n, "top_p %g kept %zu, want %zu", top_p, set.size, n);
        for (size_t i = 0; i < set.size; ++i) CHECK_EQ(set.items[i].id, (int32_t)i);
    }
    // Large vocab, nucleus spanning several sort chunks, against the full-sort reference.
    for (float top_p : {0.05f, 0.5f, 0.9f, 0.99f}) {
        auto big = random_logits(3000, 21, 2.0);
        CandidateSet set;
        candidates_fill(set, big.data(), 3000);
        filter_top_p(set, top_p);
        CHECK_MSG(live_ids(set) == top_p_ref(big, top_p), "top_p %g differs from reference", top_p);
    }
    // After top-k the nucleus is taken within the k survivors (renormalised).
    auto big = random_logits(3000, 22, 2.0);
    CandidateSet set;
    candidates_fill(set, big.data(), 3000);
    filter_top_k(set, 50);
    std::vector<float> top50;
    for (size_t i = 0; i < set.size; ++i) top50.push_back(set.items[i].logit);
    auto ref = top_p_ref(top50, 0.5);
    filter_top_p(set, 0.5f);
    CHECK_EQ(set.size, ref.size());
}

void test_min_p() {
    // p = 0.5, 0.3, 0.15, 0.05; min_p 0.2 -> threshold 0.1 keeps 3; min_p 0.7 -> 0.35 keeps 1.
    std::vector<float> l = {std::log(0.05f), std::log(0.5f), std::log(0.15f), std::log(0.3f)};
    CandidateSet set;
    candidates_fill(set, l.data(), 4);
    filter_min_p(set, 0.2f);
    CHECK((live_ids(set) == std::vector<int32_t>{1, 2, 3}));
    candidates_fill(set, l.data(), 4);
    filter_min_p(set, 0.7f);
    CHECK((live_ids(set) == std::vector<int32_t>{1}));
    candidates_fill(set, l.data(), 4);
    filter_min_p(set, 0.0f);
    CHECK_EQ(set.size, (size_t)4);
}

void test_typical() {
    // Crafted: one dominant token (p 0.9) and 10 tokens of 0.01. Entropy ~0.55 nats; the dominant token's
    // surprisal 0.105 is closer to it than 4.6, so typical_p 0.5 keeps only it.
    std::vector<float> l(11, std::log(0.01f));
    l[4] = std::log(0.9f);
    CandidateSet set;
    candidates_fill(set, l.data(), 11);
    filter_typical(set, 0.5f);
    CHECK((live_ids(set) == std::vector<int32_t>{4}));
    // Mass 0.95 needs the 0.01 tokens too: they all tie, so all are kept (HF keeps ties of the threshold).
    candidates_fill(set, l.data(), 11);
    filter_typical(set, 0.95f);
    CHECK_EQ(set.size, (size_t)11);
    for (float mass : {0.2f, 0.5f, 0.9f}) {
        auto big = random_logits(2000, 31, 3.0);
        candidates_fill(set, big.data(), 2000);
        filter_typical(set, mass);
        CHECK_MSG(live_ids(set) == typical_ref(big, mass), "typical %g differs from reference", mass);
    }
}

void test_temperature_statistics() {
    // Two tokens with logits 0 and -1: P(token 0) = 1 / (1 + e^(-1/T)).
    std::vector<float> l = {0.0f, -1.0f};
    for (float t : {1.0f, 0.5f, 2.0f}) {
        auto p = defaults();
        p.temperature = t;
        p.seed = 1234;
        auto s = make_sampler(p, 2);
        int zeros = 0;
        gpt2_sample_result r{};
        for (int i = 0; i < kDraws; ++i) { s.sample(l.data(), r); zeros += r.token == 0; }
        const double want = 1.0 / (1.0 + std::exp(-1.0 / t));
        CHECK_NEAR((double)zeros / kDraws, want, kFreqTol);
    }
}

void test_tiny_temperature() {
    // T = 1e-38 overflows logit / T to +inf; the sampler must still behave like greedy, not produce NaN.
    auto p = defaults();
    p.temperature = 1e-38f;
    auto s = make_sampler(p, 4);
    float l[4] = {10.0f, 30.0f, 25.0f, -10.0f};
    gpt2_sample_result r{};
    for (int i = 0; i < 20; ++i) { s.sample(l, r); CHECK_EQ(r.token, 1); }
}

// Fuzz finding (fuzz_sampler): repetition_penalty = the smallest denormal is inside (0, 10], but a positive
// seen logit / 1e-45 was +inf and the softmax of {+inf, ...} NaN: sample failed with "no token can be sampled"
// on finite logits. The penalised logit now saturates at FLT_MAX, so the seen token wins (as its huge logit
// says) under sampling and greedy alike.
void test_denormal_repetition_penalty() {
    for (float temperature : {0.0f, 1e-36f, 1.0f}) {
        auto p = defaults();
        p.temperature = temperature;
        p.repetition_penalty = std::numeric_limits<float>::denorm_min();
        auto s = make_sampler(p, 4);
        int32_t prompt[] = {2, 3};
        s.set_prompt(prompt, 2, 100);
        float l[4] = {0.5f, 1.0f, 0.25f, -0.5f};   // 2 is seen and positive -> FLT_MAX; 3 seen, negative -> ~0
        gpt2_sample_result r{};
        s.sample(l, r);
        CHECK_EQ(r.token, 2);
        CHECK(std::isfinite(r.logprob));
    }
}

// Fuzz finding (fuzz_sampler, UBSan): logits a denormal apart made top-p's bucket scale +inf and the
// bucket index an undefined inf -> int conversion (in a plain build, a write far outside its array).
// {0, -d, -d, -10}: p ~ 1/3, 1/3, 1/3, 0; top_p 0.5 keeps the best two, tokens 0 and 1.
void test_top_p_denormal_gap() {
    const float d = std::numeric_limits<float>::denorm_min();
    float l[4] = {0.0f, -d, -d, -10.0f};
    for (uint64_t seed = 0; seed < 50; ++seed) {
        auto p = defaults();
        p.top_p = 0.5f;
        p.seed = seed;
        auto s = make_sampler(p, 4);
        gpt2_sample_result r{};
        s.sample(l, r);
        CHECK_MSG(r.token == 0 || r.token == 1, "seed %llu: token %d", (unsigned long long)seed, r.token);
    }
}

void test_seeded_determinism() {
    auto l = random_logits(1000, 3, 2.0);
    auto p = defaults();
    p.seed = 0xDEADBEEFCAFEF00DULL; p.top_k = 100; p.top_p = 0.95f; p.temperature = 0.8f;
    auto a = make_sampler(p, 1000), b = make_sampler(p, 1000);
    auto q = p;
    q.seed = 99;
    auto other = make_sampler(q, 1000);
    gpt2_sample_result ra{}, rb{}, ro{};
    std::vector<int32_t> ta, tb, tother;
    for (int i = 0; i < 200; ++i) {
        a.sample(l.data(), ra);
        ta.push_back(ra.token);
        other.sample(l.data(), ro);  // interleaved: must not disturb b
        tother.push_back(ro.token);
        b.sample(l.data(), rb);
        tb.push_back(rb.token);
    }
    CHECK(ta == tb);
    CHECK(ta != tother);
}

void test_penalties_arithmetic() {
    PenaltyState st;
    st.reset(6);
    st.add_prompt_token(0);
    st.add_prompt_token(1);
    st.add_prompt_token(0);
    st.add_generated_token(2);
    st.add_generated_token(2);
    st.add_generated_token(3);
    float l[6] = {2.0f, -2.0f, 1.0f, -1.0f, 4.0f, 0.0f};
    st.apply(l, 2.0f, 0.5f, 0.25f);
    CHECK_EQ(l[0], 1.0f);                         // 2 / 2
    CHECK_EQ(l[1], -4.0f);                        // -2 * 2
    CHECK_EQ(l[2], 1.0f / 2.0f - 0.5f - 0.5f);    // rep, then presence + 2 * frequency
    CHECK_EQ(l[3], -1.0f * 2.0f - 0.5f - 0.25f);
    CHECK_EQ(l[4], 4.0f);                         // never seen
    CHECK_EQ(l[5], 0.0f);
    CHECK_EQ(st.generated_count(2), 2);

    // Through the sampler: greedy with repetition_penalty avoids a repeated prompt token.
    auto p = defaults();
    p.temperature = 0.0f; p.repetition_penalty = 3.0f;
    auto s = make_sampler(p, 3);
    int32_t prompt[] = {0};
    s.set_prompt(prompt, 1, 100);
    float logits[3] = {3.0f, 2.0f, -5.0f};
    gpt2_sample_result r{};
    s.sample(logits, r);
    CHECK_EQ(r.token, 1);      // 3 / 3 = 1 < 2
    CHECK_NEAR(r.logprob, 2.0 - std::log(std::exp(3.0) + std::exp(2.0) + std::exp(-5.0)), kLogprobTol);
    s.sample(logits, r);       // 1 is now seen as well: 2 / 3 < 1 -> token 0
    CHECK_EQ(r.token, 0);

    // Frequency penalty grows with each repeat: greedy alternates once the gap is eaten.
    auto f = defaults();
    f.temperature = 0.0f; f.frequency_penalty = 1.0f;
    auto fs = make_sampler(f, 2);
    float two[2] = {1.5f, 0.0f};
    std::vector<int32_t> got;
    for (int i = 0; i < 4; ++i) { fs.sample(two, r); got.push_back(r.token); }
    CHECK((got == std::vector<int32_t>{0, 0, 1, 0}));  // 1.5, 0.5, then -0.5 < 0 -> 1, then -0.5 > -1 -> 0
}

void test_logprobs_top_n() {
    auto l = random_logits(777, 41, 5.0);
    l[100] = l[200] = 50.0f;  // a tie at the top: lower id first
    auto ref = softmax_ref(l);
    auto p = defaults();
    p.n_top = GPT2_MAX_TOP_N; p.seed = 5;
    auto s = make_sampler(p, 777);
    gpt2_sample_result r{};
    s.sample(l.data(), r);
    CHECK_NEAR(r.logprob, std::log(ref[(size_t)r.token]), kLogprobTol);
    CHECK_EQ(r.n_top, GPT2_MAX_TOP_N);
    std::vector<int32_t> order(777);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
    for (int i = 0; i < r.n_top; ++i) {
        CHECK_EQ(r.top_tokens[i], order[(size_t)i]);
        CHECK_NEAR(r.top_logprobs[i], std::log(ref[(size_t)order[(size_t)i]]), kLogprobTol);
    }
    CHECK_EQ(r.top_tokens[0], 100);
    // logprobs use the raw logits even when penalties and temperature change the choice.
    auto q = defaults();
    q.temperature = 0.0f; q.presence_penalty = 2.0f; q.n_top = 3;
    auto t = make_sampler(q, 777);
    t.sample(l.data(), r);
    t.sample(l.data(), r);  // 100 penalised now: 200 chosen
    CHECK_EQ(r.token, 200);
    CHECK_NEAR(r.logprob, std::log(ref[200]), kLogprobTol);
    CHECK_EQ(r.top_tokens[0], 100);
    // n_top larger than the vocabulary reports the whole vocabulary.
    auto v = defaults();
    v.n_top = 5;
    auto small = make_sampler(v, 3);
    float three[3] = {0.0f, 1.0f, 2.0f};
    small.sample(three, r);
    CHECK_EQ(r.n_top, 3);
    CHECK((r.top_tokens[0] == 2 && r.top_tokens[1] == 1 && r.top_tokens[2] == 0));
}

void test_finish_rules() {
    gpt2_sample_result r{};
    float l[4] = {0.0f, 1.0f, 5.0f, 2.0f};
    auto p = defaults();
    p.temperature = 0.0f;
    {   // EOS: token 2 is EOS.
        auto s = make_sampler(p, 4, 2);
        s.sample(l, r);
        CHECK_EQ(r.finish, GPT2_FINISH_EOS);
        CHECK_EQ(r.n_generated, 1);
        CHECK_EQ(r.text_len, 0);
        bool threw = false;
        try { s.sample(l, r); } catch (const Error &) { threw = true; }
        CHECK(threw);  // finished samplers refuse to go on
    }
    {   // ignore_eos: the EOS is an ordinary token; max_tokens 3 -> LENGTH on the third.
        auto q = p;
        q.ignore_eos = 1; q.max_tokens = 3;
        auto s = make_sampler(q, 4, 2);
        s.sample(l, r); CHECK_EQ(r.finish, GPT2_FINISH_NONE);
        s.sample(l, r); CHECK_EQ(r.finish, GPT2_FINISH_NONE);
        s.sample(l, r); CHECK_EQ(r.finish, GPT2_FINISH_LENGTH);
        CHECK_EQ(r.n_generated, 3);
        CHECK_EQ(s.text(), g_vocab[2]);  // the LENGTH token's text is emitted
    }
    {   // context: prompt 3 of n_ctx 5 -> the second generated token fills it.
        auto s = make_sampler(p, 4);
        int32_t prompt[3] = {0, 1, 3};
        s.set_prompt(prompt, 3, 5);
        s.sample(l, r); CHECK_EQ(r.finish, GPT2_FINISH_NONE);
        s.sample(l, r); CHECK_EQ(r.finish, GPT2_FINISH_CONTEXT);
        CHECK_EQ(r.text_len, (int32_t)g_vocab[2].size());
    }
    {   // bad input
        auto s = make_sampler(p, 4);
        int32_t bad[2] = {0, 4};
        bool threw = false;
        try { s.set_prompt(bad, 2, 10); } catch (const Error &e) {
            threw = std::string(e.what()).find("tokens[1]") != std::string::npos;
        }
        CHECK(threw);
        float nan_logits[4] = {0.0f, NAN, 1.0f, 2.0f};
        threw = false;
        try { s.sample(nan_logits, r); } catch (const Error &e) {
            threw = std::string(e.what()).find("logits[1] is NaN") != std::string::npos;
        }
        CHECK(threw);
        threw = false;
        try { s.add_stop("x", 0); } catch (const Error &) { threw = true; }
        CHECK(threw);
        std::string long_stop(257, 'a');
        threw = false;
        try { s.add_stop(long_stop.data(), 257); } catch (const Error &) { threw = true; }
        CHECK(threw);
        s.add_stop(long_stop.data(), 256);
        for (int i = 1; i < 16; ++i) s.add_stop("s", 1);
        threw = false;
        try { s.add_stop("s", 1); } catch (const Error &e) {
            threw = std::string(e.what()).find("too many stop strings") != std::string::npos;
        }
        CHECK(threw);
    }
}

void test_validation() {
    CHECK_EQ(validation_message(defaults()), std::string(""));
    struct Case { void (*set)(gpt2_sampler_params &); const char *want; };
    const Case cases[] = {
        {[](gpt2_sampler_params &p) { p.top_p = 1.5f; }, "top_p must be in (0, 1], got 1.5"},
        {[](gpt2_sampler_params &p) { p.top_p = 0.0f; }, "top_p must be in (0, 1], got 0"},
        {[](gpt2_sampler_params &p) { p.temperature = -0.1f; }, "temperature must be in [0, 100], got -0.1"},
        {[](gpt2_sampler_params &p) { p.temperature = NAN; }, "temperature must be in [0, 100], got nan"},
        {[](gpt2_sampler_params &p) { p.temperature = INFINITY; }, "temperature must be in [0, 100], got inf"},
        {[](gpt2_sampler_params &p) { p.min_p = 1.01f; }, "min_p must be in [0, 1], got 1.01"},
        {[](gpt2_sampler_params &p) { p.typical_p = 0.0f; }, "typical_p must be in (0, 1], got 0"},
        {[](gpt2_sampler_params &p) { p.repetition_penalty = 0.0f; }, "repetition_penalty must be in (0, 10], got 0"},
        {[](gpt2_sampler_params &p) { p.repetition_penalty = 11.0f; }, "repetition_penalty must be in (0, 10], got 11"},
        {[](gpt2_sampler_params &p) { p.presence_penalty = -2.5f; }, "presence_penalty must be in [-2, 2], got -2.5"},
        {[](gpt2_sampler_params &p) { p.frequency_penalty = NAN; }, "frequency_penalty must be in [-2, 2], got nan"},
        {[](gpt2_sampler_params &p) { p.n_top = 21; }, "n_top must be in [0, 20], got 21"},
        {[](gpt2_sampler_params &p) { p.n_top = -1; }, "n_top must be in [0, 20], got -1"},
        {[](gpt2_sampler_params &p) { p.ignore_eos = 2; }, "ignore_eos must be 0 or 1, got 2"},
    };
    for (const Case &c : cases) {
        auto p = defaults();
        c.set(p);
        std::string got = validation_message(p);
        CHECK_MSG(got == c.want, "got '%s', want '%s'", got.c_str(), c.want);
    }
    // Edges that are valid.
    auto p = defaults();
    p.temperature = 100.0f; p.top_p = 1.0f; p.min_p = 1.0f; p.repetition_penalty = 10.0f;
    p.presence_penalty = -2.0f; p.frequency_penalty = 2.0f; p.n_top = GPT2_MAX_TOP_N; p.top_k = -5;
    p.max_tokens = -1; p.seed = ~0ULL;
    CHECK_EQ(validation_message(p), std::string(""));
}

}  // namespace

int main() {
    test_rng();
    test_exp();
    test_greedy();
    test_top_k();
    test_top_p();
    test_min_p();
    test_typical();
    test_temperature_statistics();
    test_tiny_temperature();
    test_denormal_repetition_penalty();
    test_top_p_denormal_gap();
    test_seeded_determinism();
    test_penalties_arithmetic();
    test_logprobs_top_n();
    test_finish_rules();
    test_validation();
    return check_summary("test_sampler");
}
