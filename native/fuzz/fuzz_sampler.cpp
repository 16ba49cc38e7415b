// fuzz_sampler.cpp — libFuzzer target for the sampler through the C API, on a tiny 260-token model.
// The input chooses every gpt2_sampler_params field (any float: NaN, +-inf, -0, denormals, edges and
// just-outside-edges included), stop strings, prompt tokens and the logits of a few steps.
// Properties: no crash / sanitizer report; gpt2_sampler_create accepts exactly the ranges gpt2.h
// documents and rejects the rest with GPT2_ERR_INVALID_ARGUMENT; with valid parameters and finite logits
// every sample succeeds with a token in the vocabulary, a finite logprob <= 0, sorted alternatives, and
// whole UTF-8 text; NaN/+inf/all -inf logits are INVALID_ARGUMENT.
#include <cmath>
#include <string>
#include <vector>

#include "convert/random_model.h"
#include "support.h"
#include "gpt2.h"

namespace {

gpt2_model *g_model = nullptr;

bool in(float v, float lo, float hi, bool lo_open) { return std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi; }

// The parameter ranges exactly as gpt2.h states them.
bool documented_valid(const gpt2_sampler_params &p) {
    return in(p.temperature, 0, 100, false) && in(p.top_p, 0, 1, true) && in(p.min_p, 0, 1, false) &&
           in(p.typical_p, 0, 1, true) && in(p.repetition_penalty, 0, 10, true) &&
           in(p.presence_penalty, -2, 2, false) && in(p.frequency_penalty, -2, 2, false) && p.n_top >= 0 &&
           p.n_top <= GPT2_MAX_TOP_N && (p.ignore_eos == 0 || p.ignore_eos == 1);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    const std::string path = std::string(GPT2_BINARY_DIR) + "/fuzz_sampler_model.gguf";
    fuzz::write_tiny_model(path);
    if (gpt2_model_load(path.c_str(), nullptr, &g_model) != GPT2_OK) {
        std::fprintf(stderr, "fuzz_sampler: cannot load its model: %s\n", gpt2_last_error());
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in_bytes(data, size);
    const int32_t n_vocab = gpt2_model_n_vocab(g_model);

    gpt2_sampler_params p = gpt2_sampler_default_params();
    p.temperature = in_bytes.any_float(0, 100);
    p.top_k = in_bytes.any_int(-2, n_vocab + 2);
    p.top_p = in_bytes.any_float(0, 1);
    p.min_p = in_bytes.any_float(0, 1);
    p.typical_p = in_bytes.any_float(0, 1);
    p.repetition_penalty = in_bytes.any_float(0, 10);
    p.presence_penalty = in_bytes.any_float(-2, 2);
    p.frequency_penalty = in_bytes.any_float(-2, 2);
    p.seed = in_bytes.u64();
    p.n_top = in_bytes.any_int(-1, GPT2_MAX_TOP_N + 1);
    p.max_tokens = in_bytes.any_int(-1, 6);
    p.ignore_eos = in_bytes.any_int(0, 1);

    gpt2_sampler *s = reinterpret_cast<gpt2_sampler *>(0x1);
    const int32_t cst = gpt2_sampler_create(g_model, &p, &s);
    const bool valid = documented_valid(p);
    FUZZ_REQUIRE((cst == GPT2_OK) == valid, "create returned %s for parameters documented as %s: %s",
                 gpt2_status_name(cst), valid ? "valid" : "invalid", gpt2_last_error());
    if (cst != GPT2_OK) {
        FUZZ_REQUIRE(cst == GPT2_ERR_INVALID_ARGUMENT && s == nullptr && gpt2_last_error()[0] != '\0',
                     "rejection: %s, out %p", gpt2_status_name(cst), (void *)s);
        return 0;
    }

    const int n_stops = in_bytes.u8() % 3;
    for (int i = 0; i < n_stops; ++i) {
        const std::string stop = in_bytes.str(8);
        const int32_t st = gpt2_sampler_add_stop(s, stop.data(), (int32_t)stop.size());
        FUZZ_REQUIRE(st == (stop.empty() ? GPT2_ERR_INVALID_ARGUMENT : GPT2_OK), "add_stop(%zu bytes): %s",
                     stop.size(), gpt2_last_error());
    }
    std::vector<int32_t> prompt(in_bytes.u8() % 5);
    bool prompt_ok = true;
    for (int32_t &t : prompt) {
        t = in_bytes.any_int(0, n_vocab - 1);
        prompt_ok = prompt_ok && t >= 0 && t < n_vocab;
    }
    const int32_t n_ctx = 8;
    const int32_t pst = gpt2_sampler_set_prompt(s, prompt.data(), (int32_t)prompt.size(), n_ctx);
    FUZZ_REQUIRE((pst == GPT2_OK) == prompt_ok, "set_prompt: %s", gpt2_last_error());

    // Raw logits (any bits) for one step in eight; otherwise finite values from a seeded stream.
    const bool raw = in_bytes.u8() % 8 == 0;
    gpt2::SplitMix64 rng{in_bytes.u64()};
    const float scale = in_bytes.any_float(0, 50);
    std::vector<float> logits((size_t)n_vocab);
    std::vector<char> text(4096);
    for (int step = 0; step < n_ctx; ++step) {
        bool finite = true;
        for (float &l : logits) {
            if (raw) {
                l = in_bytes.any_float(-30, 30);
            } else {
                l = (float)((rng.uniform() - 0.5) * (std::isfinite(scale) ? scale : 1.0f));
            }
            finite = finite && std::isfinite(l);
        }
        bool any_above_neg_inf = false;
        for (float l : logits) any_above_neg_inf = any_above_neg_inf || l > -INFINITY;
        bool has_nan_or_pinf = false;
        for (float l : logits) has_nan_or_pinf = has_nan_or_pinf || std::isnan(l) || l == INFINITY;

        gpt2_sample_result r;
        const int32_t st = gpt2_sampler_sample(s, logits.data(), &r);
        if (has_nan_or_pinf || !any_above_neg_inf) {
            FUZZ_REQUIRE(st == GPT2_ERR_INVALID_ARGUMENT, "bad logits gave %s", gpt2_status_name(st));
            continue;
        }
        FUZZ_REQUIRE(!finite || st == GPT2_OK,
                     "finite logits (scale %g), valid parameters (temperature %a top_k %d top_p %a min_p %a typical_p %a "
                     "repetition %a presence %a frequency %a), step %d: %s",
                     (double)scale, (double)p.temperature, p.top_k, (double)p.top_p, (double)p.min_p,
                     (double)p.typical_p, (double)p.repetition_penalty, (double)p.presence_penalty,
                     (double)p.frequency_penalty, step, gpt2_last_error());
        if (st != GPT2_OK) {
            // Only -inf entries remain possible here: penalties/filters may leave nothing to sample.
            FUZZ_REQUIRE(st == GPT2_ERR_INVALID_ARGUMENT, "%s: %s", gpt2_status_name(st), gpt2_last_error());
            continue;
        }
        FUZZ_REQUIRE(r.token >= 0 && r.token < n_vocab, "token %d", r.token);
        FUZZ_REQUIRE(logits[r.token] > -INFINITY, "sampled a -inf token %d", r.token);
        FUZZ_REQUIRE(std::isfinite(r.logprob) && r.logprob <= 1e-6f, "logprob %g", (double)r.logprob);
        FUZZ_REQUIRE(r.n_top >= 0 && r.n_top <= p.n_top, "n_top %d of %d", r.n_top, p.n_top);
        for (int32_t k = 1; k < r.n_top; ++k) {
            FUZZ_REQUIRE(r.top_logprobs[k - 1] >= r.top_logprobs[k], "alternatives not sorted");
        }
        int32_t n_text = 0;
        FUZZ_REQUIRE(gpt2_sampler_text(s, text.data(), (int32_t)text.size(), &n_text) == GPT2_OK, "text: %s",
                     gpt2_last_error());
        FUZZ_REQUIRE(n_text == r.text_len, "text %d bytes, result says %d", n_text, r.text_len);
        FUZZ_REQUIRE(fuzz::valid_utf8(std::string(text.data(), (size_t)n_text)), "text is not whole UTF-8");
        if (r.finish != GPT2_FINISH_NONE) {
            gpt2_sample_result again;
            FUZZ_REQUIRE(gpt2_sampler_sample(s, logits.data(), &again) == GPT2_ERR_INVALID_ARGUMENT,
                         "sampling after finish %d did not fail", r.finish);
            break;
        }
    }
    int32_t n_flush = 0;
    FUZZ_REQUIRE(gpt2_sampler_flush(s, text.data(), (int32_t)text.size(), &n_flush) == GPT2_OK, "flush: %s",
                 gpt2_last_error());
    gpt2_sampler_free(s);
    return 0;
}
