// test_lookup_fisher.cpp — the lookup Fisher (model/lookup_fisher.h) against the KL it stands for: on a window of
// two tokens the first output depends on the first input alone, so for any direction u, the KL between the model's
// next-token distributions without and with delta * u added to that input's embedding must equal
// 1/2 delta^2 u^T F u to second order. The KL is computed here from the full logits, independently of the
// collector's finite differences, likely-token selection and tail estimate. Also: the matrix is symmetric and
// positive semi-definite, windows add up, and a CPU context is left as it was (no probe attached).
#include <sys/stat.h>

#include <cmath>
#include <string>
#include <vector>

#include "check.h"
#include "convert/random_model.h"
#include "gpt2.h"
#include "model/context.h"
#include "model/lookup_fisher.h"
#include "util/error.h"

using namespace gpt2;

namespace {

const std::string DIR = std::string(GPT2_BINARY_DIR) + "/test_lookup_fisher_files";
const std::string VOCAB = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";

// Log-softmax of the logits of batch row 0 after decoding TOKENS (2) with DELTA (2 x C, may be null) added.
std::vector<double> log_probs(gpt2_context *ctx, const int32_t *tokens, const float *delta) {
    EmbeddingProbe probe;
    probe.input_delta = delta;
    ctx->embedding_probe = delta ? &probe : nullptr;
    const int32_t seq[2] = {0, 0}, pos[2] = {0, 1};
    const int8_t want[2] = {1, 0};
    CHECK(gpt2_context_seq_clear(ctx, 0) == GPT2_OK);
    CHECK(gpt2_decode(ctx, 2, seq, pos, tokens, want) == GPT2_OK);
    ctx->embedding_probe = nullptr;
    const int32_t V = gpt2_model_n_vocab(ctx->model);
    const float *z = gpt2_get_logits(ctx, 0);
    double mx = -INFINITY, sum = 0;
    for (int32_t v = 0; v < V; ++v) mx = std::fmax(mx, (double)z[v]);
    for (int32_t v = 0; v < V; ++v) sum += std::exp((double)z[v] - mx);
    std::vector<double> lp((size_t)V);
    for (int32_t v = 0; v < V; ++v) lp[(size_t)v] = (double)z[v] - mx - std::log(sum);
    return lp;
}

}  // namespace

int main() {
    mkdir(DIR.c_str(), 0755);
    RandomModelOptions o;
    o.n_layer = 2;
    o.n_head = 2;
    o.n_embd = 64;
    o.n_ctx = 32;
    o.seed = 5;
    o.vocab_dir = VOCAB;
    const std::string path = DIR + "/rand64.gguf";
    random_model_write(path, o);
    gpt2_model *m = nullptr;
    CHECK_MSG(gpt2_model_load(path.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
    if (!m) return check_summary("test_lookup_fisher");
    gpt2_context_params p = gpt2_context_default_params();
    p.n_ctx = 32;
    p.n_threads = 2;
    gpt2_context *ctx = nullptr;
    CHECK(gpt2_context_create(m, &p, &ctx) == GPT2_OK);
    const int64_t C = o.n_embd;

    const int32_t tokens[2] = {464, 3290};   // "The", " dog"
    LookupFisher F;
    lookup_fisher_add_window(*ctx, tokens, 2, 9, F);
    CHECK_EQ(F.positions, (int64_t)1);
    CHECK(ctx->embedding_probe == nullptr);
    double asym = 0, trace = 0;
    for (int64_t i = 0; i < C; ++i) {
        trace += F.sum[(size_t)(i * C + i)];
        for (int64_t j = 0; j < C; ++j) asym = std::fmax(asym, std::fabs(F.sum[(size_t)(i * C + j)] - F.sum[(size_t)(j * C + i)]));
    }
    CHECK(asym == 0 && trace > 0);

    // second-order KL along random directions, and along the all-ones direction, which every layer norm removes
    const std::vector<double> base = log_probs(ctx, tokens, nullptr);
    SplitMix64 rng{17};
    std::vector<float> u((size_t)C), delta((size_t)(2 * C), 0.0f);
    const float step = 0.02f;
    for (int trial = 0; trial < 4; ++trial) {
        if (trial < 3) fill_normal(rng, u.data(), C, 0.0f, 1.0f);
        else for (float &v : u) v = 1.0f;
        double norm = 0;
        for (float v : u) norm += (double)v * v;
        for (int64_t i = 0; i < C; ++i) delta[(size_t)i] = (float)(step * u[(size_t)i] / std::sqrt(norm));
        const std::vector<double> lq = log_probs(ctx, tokens, delta.data());
        double kl = 0;
        for (size_t v = 0; v < base.size(); ++v) kl += std::exp(base[v]) * (base[v] - lq[v]);
        double quad = 0;
        for (int64_t i = 0; i < C; ++i)
            for (int64_t j = 0; j < C; ++j) quad += (double)delta[(size_t)i] * F.sum[(size_t)(i * C + j)] * delta[(size_t)j];
        quad *= 0.5;
        std::printf("  direction %d: KL %.6g, 1/2 d^T F d %.6g\n", trial, kl, quad);
        if (trial < 3) CHECK_MSG(std::fabs(kl - quad) <= 0.05 * kl, "direction %d: KL %g against %g", trial, kl, quad);
        else CHECK_MSG(quad <= 1e-3 * trace * step * step && kl <= 1e-6, "all-ones: KL %g, quadratic form %g", kl, quad);
    }

    // a second window adds to the sums
    const LookupFisher once = F;
    const int32_t more[5] = {464, 3290, 318, 257, 922};
    lookup_fisher_add_window(*ctx, more, 5, 10, F);
    CHECK_EQ(F.positions, (int64_t)5);
    bool grew = true;
    for (int64_t i = 0; i < C; ++i) grew = grew && F.sum[(size_t)(i * C + i)] > once.sum[(size_t)(i * C + i)];
    CHECK(grew);
    // a window longer than the context is refused
    std::vector<int32_t> many(40, 464);
    bool refused = false;
    try {
        lookup_fisher_add_window(*ctx, many.data(), 40, 1, F);
    } catch (const Error &e) {
        refused = e.status() == GPT2_ERR_INVALID_ARGUMENT;
    }
    CHECK(refused);
    gpt2_context_free(ctx);
    gpt2_model_free(m);
    return check_summary("test_lookup_fisher");
}
