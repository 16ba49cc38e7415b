// test_forward.cpp — the forward pass and context API against the float64 reference (reference_forward.h)
// on small random models built in memory: prompt-as-matrix logits, cached token-by-token decode, batched
// decode of several sequences, seq_clear, every error path (nothing changes on error), each kernel path,
// thread counts, and F16 / Q8_0 / Q4_0 weights.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "convert/gpt2_gguf.h"
#include "gpt2.h"
#include "kernels/cpu_features.h"
#include "model/model.h"
#include "reference_forward.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

namespace {

// F32 weights: f32 activations with f32 accumulation vs float64 everywhere (the external greedy checker's
// bound is 1e-3 on logits of magnitude ~3 here).
constexpr double kF32Tol = 1e-3;
// The same model through different batchings / cache use: only summation order may differ.
constexpr double kSameModelTol = 1e-4;
// F16 weights are exact in f32, so the runtime matches the reference of the same f16 weights like F32.
constexpr double kF16Tol = 1e-3;
// Q8_0/Q4_0 runtimes also quantize activations to Q8_0 (int8 per 32 values) before every matmul, as ggml
// does; vs the float64 reference of the same quantized weights this moves logits (max |logit| ~9 here) by
// rms ~0.035 and at most ~0.2 (measured). A wrong kernel moves them by the logit scale itself.
constexpr double kQuantActMaxTol = 0.4;
constexpr double kQuantActRmsTol = 0.07;
// Against the F32 model, weight rounding adds its own error (4-bit weights of this uniform random model
// are coarse): rms of the logit difference; measured f16 0.001, q8_0 0.036, q4_0 ~0.5.
constexpr double kVsF32RmsTol[3] = {0.005 /*f16*/, 0.08 /*q8_0*/, 1.0 /*q4_0*/};

struct Shape {
    int V, n_ctx, C, H, L, F;
};

// A gpt2_model whose weights live in `storage`, filled from a seeded PRNG; 2-D tensors in TYPE.
struct TestModel {
    std::unique_ptr<gpt2_model> model;
    std::vector<std::vector<uint8_t>> storage;
};

class Builder {
public:
    Builder(TestModel &tm, gpt2_type type, uint64_t seed) : tm_(tm), type_(type), rng_(seed) {}

    gpt2::TensorView vec(const std::string &name, int64_t n, float center, float spread) {
        std::vector<float> v((size_t)n);
        std::uniform_real_distribution<float> u(-spread, spread);
        for (float &f : v) f = center + u(rng_);
        return store(name, GPT2_TYPE_F32, {n}, v);
    }

    gpt2::TensorView mat(const std::string &name, int64_t rows, int64_t cols, float spread) {
        std::vector<float> v((size_t)(rows * cols));
        std::uniform_real_distribution<float> u(-spread, spread);
        for (float &f : v) f = u(rng_);
        return store(name, type_, {cols, rows}, v);
    }

private:
    gpt2::TensorView store(const std::string &name, gpt2_type type, std::vector<int64_t> ne, const std::vector<float> &v) {
        gpt2::TensorView t;
        t.name = name;
        t.type = type;
        t.n_dims = (int)ne.size();
        for (size_t i = 0; i < ne.size(); ++i) t.ne[i] = ne[i];
        const int64_t cols = ne[0], rows = (int64_t)v.size() / cols;
        const size_t row_bytes = gpt2::type_row_bytes(type, cols);
        tm_.storage.emplace_back(row_bytes * (size_t)rows);
        uint8_t *dst = tm_.storage.back().data();
        for (int64_t r = 0; r < rows; ++r) {
            const float *s = v.data() + r * cols;
            void *d = dst + (size_t)r * row_bytes;
            switch (type) {
                case GPT2_TYPE_F32: std::memcpy(d, s, (size_t)cols * sizeof(float)); break;
                case GPT2_TYPE_F16: gpt2::convert_row_f32_to_f16(s, (uint16_t *)d, cols); break;
                case GPT2_TYPE_Q8_0: gpt2::quantize_row_q8_0_ref(s, (gpt2::block_q8_0 *)d, cols); break;
                case GPT2_TYPE_Q4_0: gpt2::quantize_row_q4_0_ref(s, (gpt2::block_q4_0 *)d, cols); break;
                default: {
                    const std::vector<uint8_t> enc = gpt2::tensor_encode(s, cols, 1, type);
                    std::memcpy(d, enc.data(), enc.size());
                }
            }
        }
        t.data = dst;
        t.nbytes = row_bytes * (size_t)rows;
        return t;
    }

    TestModel &tm_;
    gpt2_type type_;
    std::mt19937_64 rng_;
};

// Same seed + shape => the same underlying f32 values whatever TYPE is (then converted to TYPE).
TestModel make_model(const Shape &s, gpt2_type type, uint64_t seed) {
    TestModel tm;
    tm.model = std::make_unique<gpt2_model>();
    gpt2_model &m = *tm.model;
    m.hparams.n_vocab = s.V;
    m.hparams.n_ctx = s.n_ctx;
    m.hparams.n_embd = s.C;
    m.hparams.n_ff = s.F;
    m.hparams.n_layer = s.L;
    m.hparams.n_head = s.H;
    m.ftype = type;
    Builder b(tm, type, seed);
    const float inC = std::sqrt(3.0f / (float)s.C), inF = std::sqrt(3.0f / (float)s.F);
    m.weights.token_embd = b.mat("token_embd.weight", s.V, s.C, 0.5f);
    m.weights.position_embd = b.mat("position_embd.weight", s.n_ctx, s.C, 0.2f);
    for (int l = 0; l < s.L; ++l) {
        gpt2::LayerWeights lw;
        const std::string p = "blk." + std::to_string(l) + ".";
        lw.attn_norm_w = b.vec(p + "attn_norm.weight", s.C, 1.0f, 0.2f);
        lw.attn_norm_b = b.vec(p + "attn_norm.bias", s.C, 0.0f, 0.1f);
        lw.attn_qkv_w = b.mat(p + "attn_qkv.weight", 3 * s.C, s.C, 1.5f * inC);
        lw.attn_qkv_b = b.vec(p + "attn_qkv.bias", 3 * s.C, 0.0f, 0.1f);
        lw.attn_out_w = b.mat(p + "attn_output.weight", s.C, s.C, inC);
        lw.attn_out_b = b.vec(p + "attn_output.bias", s.C, 0.0f, 0.1f);
        lw.ffn_norm_w = b.vec(p + "ffn_norm.weight", s.C, 1.0f, 0.2f);
        lw.ffn_norm_b = b.vec(p + "ffn_norm.bias", s.C, 0.0f, 0.1f);
        lw.ffn_up_w = b.mat(p + "ffn_up.weight", s.F, s.C, 1.5f * inC);
        lw.ffn_up_b = b.vec(p + "ffn_up.bias", s.F, 0.0f, 0.1f);
        lw.ffn_down_w = b.mat(p + "ffn_down.weight", s.C, s.F, inF);
        lw.ffn_down_b = b.vec(p + "ffn_down.bias", s.C, 0.0f, 0.1f);
        m.weights.layers.push_back(lw);
    }
    m.weights.output_norm_w = b.vec("output_norm.weight", s.C, 1.0f, 0.2f);
    m.weights.output_norm_b = b.vec("output_norm.bias", s.C, 0.0f, 0.1f);
    m.weights.output = m.weights.token_embd;  // tied head
    return tm;
}

std::vector<int32_t> random_tokens(int n, int V, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t((size_t)n);
    for (int32_t &x : t) x = (int32_t)(rng() % (uint32_t)V);
    return t;
}

gpt2_context *make_ctx(const gpt2_model *m, int n_ctx, int n_seq, int n_batch, int n_threads) {
    gpt2_context_params p = gpt2_context_default_params();
    p.n_ctx = n_ctx;
    p.n_seq_max = n_seq;
    p.n_batch = n_batch;
    p.n_threads = n_threads;
    gpt2_context *ctx = nullptr;
    const int32_t st = gpt2_context_create(m, &p, &ctx);
    CHECK_MSG(st == GPT2_OK && ctx != nullptr, "context_create: %s", gpt2_last_error());
    return ctx;
}

// Decodes TOKENS of sequence SEQ (appending at its current length) as one batch with logits for all
// entries; returns (n, V) logits.
std::vector<float> decode_all(gpt2_context *ctx, int seq, const std::vector<int32_t> &tokens, int V) {
    const int n = (int)tokens.size();
    const int32_t start = gpt2_context_seq_len(ctx, seq);
    std::vector<int32_t> seqs((size_t)n, seq), pos((size_t)n);
    std::vector<int8_t> want((size_t)n, 1);
    for (int i = 0; i < n; ++i) pos[(size_t)i] = start + i;
    const int32_t st = gpt2_decode(ctx, n, seqs.data(), pos.data(), tokens.data(), want.data());
    CHECK_MSG(st == GPT2_OK, "decode: %s", gpt2_last_error());
    std::vector<float> out((size_t)n * (size_t)V);
    if (st != GPT2_OK) return out;
    for (int i = 0; i < n; ++i) {
        const float *l = gpt2_get_logits(ctx, i);
        CHECK(l != nullptr);
        if (l) std::copy(l, l + V, out.begin() + (size_t)i * (size_t)V);
    }
    return out;
}

template <typename A, typename B>
double max_diff(const A &a, const B &b, size_t n, size_t a_off = 0, size_t b_off = 0) {
    double worst = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double d = std::fabs((double)a[a_off + i] - (double)b[b_off + i]);
        if (!(d <= worst)) worst = std::isnan(d) ? INFINITY : d;
    }
    return worst;
}

// Prompt as a matrix vs float64; then the same tokens one by one through the cache.
void test_vs_reference(const Shape &s, int n_threads, gpt2::CpuPath path) {
    TestModel tm = make_model(s, GPT2_TYPE_F32, 42 + (uint64_t)s.C);
    const int n = 19;
    const std::vector<int32_t> tokens = random_tokens(n, s.V, 7);
    const std::vector<double> ref = reference::forward(*tm.model, tokens);
    gpt2::cpu_set_path(path);

    gpt2_context *ctx = make_ctx(tm.model.get(), 0, 1, 64, n_threads);
    const std::vector<float> prompt = decode_all(ctx, 0, tokens, s.V);
    const double d_prompt = max_diff(prompt, ref, ref.size());
    CHECK_MSG(d_prompt <= kF32Tol, "C=%d H=%d L=%d F=%d threads=%d path=%s: prompt vs float64 %g", s.C, s.H, s.L,
              s.F, n_threads, gpt2::cpu_path_name(path), d_prompt);
    CHECK_EQ(gpt2_context_seq_len(ctx, 0), n);

    CHECK_EQ(gpt2_context_seq_clear(ctx, 0), GPT2_OK);
    CHECK_EQ(gpt2_context_seq_len(ctx, 0), 0);
    double d_cached = 0.0;
    for (int i = 0; i < n; ++i) {
        const std::vector<float> one = decode_all(ctx, 0, {tokens[(size_t)i]}, s.V);
        d_cached = std::max(d_cached, max_diff(one, prompt, (size_t)s.V, 0, (size_t)i * (size_t)s.V));
    }
    CHECK_MSG(d_cached <= kSameModelTol, "cached decode vs prompt matrix: %g", d_cached);
    gpt2_context_free(ctx);
    gpt2::cpu_set_path(gpt2::cpu_best_path());
}

// Several sequences in one decode (a prompt's entries next to other sequences' single tokens) give the
// logits each sequence gets alone; seq_clear then reuse starts afresh.
void test_batched(const Shape &s) {
    TestModel tm = make_model(s, GPT2_TYPE_F32, 5);
    const gpt2_model *m = tm.model.get();
    const std::vector<int32_t> a = random_tokens(9, s.V, 1), b = random_tokens(8, s.V, 2), c = random_tokens(4, s.V, 3);
    // Alone: logits of every position of each sequence.
    gpt2_context *solo = make_ctx(m, 32, 1, 32, 2);
    auto alone = [&](const std::vector<int32_t> &t) {
        gpt2_context_seq_clear(solo, 0);
        return decode_all(solo, 0, t, s.V);
    };
    const std::vector<float> la = alone(a), lb = alone(b), lc = alone(c);
    gpt2_context_free(solo);

    gpt2_context *ctx = make_ctx(m, 32, 3, 16, 2);
    // Step 1: a[0..6) for seq 0 and b[0..5) for seq 1, interleaved entries; logits NULL = last of each seq.
    {
        std::vector<int32_t> seq, pos, tok;
        for (int i = 0; i < 6; ++i) {
            seq.push_back(0); pos.push_back(i); tok.push_back(a[(size_t)i]);
            if (i < 5) { seq.push_back(1); pos.push_back(i); tok.push_back(b[(size_t)i]); }
        }
        CHECK_EQ(gpt2_decode(ctx, (int32_t)seq.size(), seq.data(), pos.data(), tok.data(), nullptr), GPT2_OK);
        const int last_a = 10, last_b = 9;  // entry indices of a[5] and b[4]
        CHECK(gpt2_get_logits(ctx, 0) == nullptr);
        CHECK(gpt2_get_logits(ctx, last_a) != nullptr && gpt2_get_logits(ctx, last_b) != nullptr);
        if (gpt2_get_logits(ctx, last_a) && gpt2_get_logits(ctx, last_b)) {
            CHECK_MSG(max_diff(gpt2_get_logits(ctx, last_a), la, (size_t)s.V, 0, 5 * (size_t)s.V) <= kSameModelTol, "batched a");
            CHECK_MSG(max_diff(gpt2_get_logits(ctx, last_b), lb, (size_t)s.V, 0, 4 * (size_t)s.V) <= kSameModelTol, "batched b");
        }
    }
    // Step 2: one decode token of seq 0, the rest of b's prompt (3 entries), and c's whole prompt.
    {
        std::vector<int32_t> seq = {1, 0, 2, 1, 2, 2, 1, 2}, pos = {5, 6, 0, 6, 1, 2, 7, 3};
        std::vector<int32_t> tok = {b[5], a[6], c[0], b[6], c[1], c[2], b[7], c[3]};
        std::vector<int8_t> want = {1, 1, 1, 1, 1, 1, 1, 1};
        CHECK_EQ(gpt2_decode(ctx, 8, seq.data(), pos.data(), tok.data(), want.data()), GPT2_OK);
        double worst = 0.0;
        for (int i = 0; i < 8; ++i) {
            const std::vector<float> &ref = seq[(size_t)i] == 0 ? la : seq[(size_t)i] == 1 ? lb : lc;
            const float *l = gpt2_get_logits(ctx, i);
            CHECK(l != nullptr);
            if (l) worst = std::max(worst, max_diff(l, ref, (size_t)s.V, 0, (size_t)pos[(size_t)i] * (size_t)s.V));
        }
        CHECK_MSG(worst <= kSameModelTol, "mixed batch vs alone: %g", worst);
        CHECK_EQ(gpt2_context_seq_len(ctx, 0), 7);
        CHECK_EQ(gpt2_context_seq_len(ctx, 1), 8);
        CHECK_EQ(gpt2_context_seq_len(ctx, 2), 4);
    }
    // seq_clear on one sequence leaves the others; the cleared id restarts with another prompt.
    CHECK_EQ(gpt2_context_seq_clear(ctx, 1), GPT2_OK);
    CHECK_EQ(gpt2_context_seq_len(ctx, 1), 0);
    {
        const std::vector<float> again = decode_all(ctx, 1, c, s.V);
        CHECK_MSG(max_diff(again, lc, lc.size()) <= kSameModelTol, "reused seq 1 with prompt c");
        const std::vector<float> next_a = decode_all(ctx, 0, {a[7], a[8]}, s.V);
        CHECK_MSG(max_diff(next_a, la, 2 * (size_t)s.V, 0, 7 * (size_t)s.V) <= kSameModelTol, "seq 0 unaffected");
    }
    gpt2_context_free(ctx);
}

// Every rejected decode leaves seq lengths, cache and the last logits as they were.
void test_errors(const Shape &s) {
    TestModel tm = make_model(s, GPT2_TYPE_F32, 9);
    const gpt2_model *m = tm.model.get();
    const std::vector<int32_t> prompt = random_tokens(6, s.V, 11);
    const int32_t next_tok = 17;
    // Control: prompt then one more token, no failures in between.
    gpt2_context *control = make_ctx(m, 8, 2, 4, 1);
    decode_all(control, 0, {prompt.begin(), prompt.begin() + 4}, s.V);
    decode_all(control, 0, {prompt[4], prompt[5]}, s.V);
    const std::vector<float> expect = decode_all(control, 0, {next_tok}, s.V);
    gpt2_context_free(control);

    gpt2_context *ctx = make_ctx(m, 8, 2, 4, 2);
    decode_all(ctx, 0, {prompt.begin(), prompt.begin() + 4}, s.V);
    {
        const int32_t sq[2] = {0, 0}, ps[2] = {4, 5}, tk[2] = {prompt[4], prompt[5]};
        CHECK_EQ(gpt2_decode(ctx, 2, sq, ps, tk, nullptr), GPT2_OK);  // logits for entry 1 only
    }
    const std::vector<float> before(gpt2_get_logits(ctx, 1), gpt2_get_logits(ctx, 1) + s.V);

    auto rejects = [&](int32_t want_status, int32_t n, std::vector<int32_t> seq, std::vector<int32_t> pos,
                       std::vector<int32_t> tok, const char *what) {
        const int32_t st = gpt2_decode(ctx, n, seq.empty() ? nullptr : seq.data(), pos.empty() ? nullptr : pos.data(),
                                       tok.empty() ? nullptr : tok.data(), nullptr);
        CHECK_MSG(st == want_status, "%s: got %s (%s)", what, gpt2_status_name(st), gpt2_last_error());
        CHECK_MSG(std::strlen(gpt2_last_error()) > 0, "%s: message set", what);
        CHECK_EQ(gpt2_context_seq_len(ctx, 0), 6);
        CHECK_EQ(gpt2_context_seq_len(ctx, 1), 0);
        const float *l = gpt2_get_logits(ctx, 1);
        CHECK_MSG(l != nullptr && max_diff(l, before, (size_t)s.V) == 0.0, "%s: last logits kept", what);
    };
    const int32_t E = GPT2_ERR_INVALID_ARGUMENT;
    rejects(E, 0, {0}, {6}, {1}, "n = 0");
    rejects(E, 5, {0, 0, 0, 0, 0}, {6, 7, 8, 9, 10}, {1, 1, 1, 1, 1}, "n > n_batch");
    rejects(E, 1, {}, {6}, {1}, "NULL seq_ids");
    rejects(E, 1, {0}, {}, {1}, "NULL positions");
    rejects(E, 1, {0}, {6}, {}, "NULL tokens");
    rejects(E, 2, {1, 2}, {0, 0}, {1, 1}, "seq id >= n_seq_max (second entry after a valid one)");
    rejects(E, 1, {-1}, {0}, {1}, "negative seq id");
    rejects(E, 2, {1, 1}, {0, 1}, {1, s.V}, "token == n_vocab");
    rejects(E, 1, {0}, {6}, {-3}, "negative token");
    rejects(E, 1, {0}, {5}, {1}, "position already cached");
    rejects(E, 1, {0}, {7}, {1}, "position gap");
    rejects(E, 2, {0, 0}, {6, 6}, {1, 1}, "repeated position");
    rejects(E, 2, {1, 0}, {1, 6}, {1, 1}, "new sequence not starting at 0");
    rejects(GPT2_ERR_CONTEXT_FULL, 3, {0, 0, 0}, {6, 7, 8}, {1, 2, 3}, "past n_ctx");
    rejects(GPT2_ERR_CONTEXT_FULL, 4, {1, 0, 0, 0}, {0, 6, 7, 8}, {1, 1, 1, 1}, "past n_ctx after valid entries");

    CHECK(gpt2_get_logits(ctx, 0) == nullptr);   // entry 0 of the last decode did not ask
    CHECK(gpt2_get_logits(ctx, 2) == nullptr);   // out of range
    CHECK(gpt2_get_logits(ctx, -1) == nullptr);
    std::vector<float> buf((size_t)s.V);
    CHECK_EQ(gpt2_copy_logits(ctx, 1, buf.data(), s.V - 1), E);
    CHECK_EQ(gpt2_copy_logits(ctx, 1, nullptr, s.V), E);
    CHECK_EQ(gpt2_copy_logits(ctx, 0, buf.data(), s.V), E);
    CHECK_EQ(gpt2_copy_logits(ctx, 1, buf.data(), s.V), GPT2_OK);
    CHECK(max_diff(buf, before, (size_t)s.V) == 0.0);

    // After all the failures the next token gives exactly the control's logits.
    const std::vector<float> got = decode_all(ctx, 0, {next_tok}, s.V);
    CHECK_MSG(max_diff(got, expect, (size_t)s.V) <= kSameModelTol, "decode after failures == control");
    // The sequence is now at 7 of n_ctx 8: one more fits, then it is full.
    decode_all(ctx, 0, {3}, s.V);
    const int32_t t1 = 1, p8 = 8, s0 = 0;
    CHECK_EQ(gpt2_decode(ctx, 1, &s0, &p8, &t1, nullptr), GPT2_ERR_CONTEXT_FULL);
    CHECK_EQ(gpt2_context_seq_len(ctx, 0), 8);

    // Sequence ids and NULL handles elsewhere.
    CHECK_EQ(gpt2_context_seq_clear(ctx, 2), E);
    CHECK_EQ(gpt2_context_seq_len(ctx, -1), E);
    CHECK_EQ(gpt2_context_seq_clear(nullptr, 0), E);
    CHECK_EQ(gpt2_context_seq_len(nullptr, 0), E);
    CHECK_EQ(gpt2_context_n_ctx(nullptr), E);
    CHECK_EQ(gpt2_context_n_seq_max(nullptr), E);
    CHECK_EQ(gpt2_context_n_batch(nullptr), E);
    CHECK_EQ(gpt2_context_n_threads(nullptr), E);
    CHECK_EQ(gpt2_decode(nullptr, 1, &s0, &p8, &t1, nullptr), E);
    CHECK(gpt2_get_logits(nullptr, 0) == nullptr);
    CHECK_EQ(gpt2_copy_logits(nullptr, 0, buf.data(), s.V), E);
    CHECK_EQ(gpt2_context_n_ctx(ctx), 8);
    CHECK_EQ(gpt2_context_n_seq_max(ctx), 2);
    CHECK_EQ(gpt2_context_n_batch(ctx), 4);
    CHECK_EQ(gpt2_context_n_threads(ctx), 2);
    gpt2_context_free(ctx);
    gpt2_context_free(nullptr);

    // Context parameters.
    gpt2_context *out = reinterpret_cast<gpt2_context *>(&tm);
    gpt2_context_params p = gpt2_context_default_params();
    CHECK_EQ(gpt2_context_create(nullptr, &p, &out), E);
    CHECK(out == nullptr);
    CHECK_EQ(gpt2_context_create(m, &p, nullptr), E);
    p.n_ctx = s.n_ctx + 1;
    CHECK_EQ(gpt2_context_create(m, &p, &out), E);
    p = gpt2_context_default_params();
    p.n_ctx = -1;
    CHECK_EQ(gpt2_context_create(m, &p, &out), E);
    p = gpt2_context_default_params();
    p.n_seq_max = -2;
    CHECK_EQ(gpt2_context_create(m, &p, &out), E);
    p = gpt2_context_default_params();
    p.n_batch = -1;
    CHECK_EQ(gpt2_context_create(m, &p, &out), E);
    p = gpt2_context_default_params();
    p.n_threads = -1;
    CHECK_EQ(gpt2_context_create(m, &p, &out), E);
    // Defaults: 0 = model n_ctx, 1 sequence, 512 batch, hardware threads.
    p = gpt2_context_default_params();
    p.n_seq_max = 0;
    p.n_batch = 0;
    CHECK_EQ(gpt2_context_create(m, &p, &out), GPT2_OK);
    CHECK_EQ(gpt2_context_n_ctx(out), s.n_ctx);
    CHECK_EQ(gpt2_context_n_seq_max(out), 1);
    CHECK_EQ(gpt2_context_n_batch(out), 512);
    CHECK(gpt2_context_n_threads(out) >= 1);
    gpt2_context_free(out);
    CHECK_EQ(gpt2_context_create(m, nullptr, &out), GPT2_OK);
    gpt2_context_free(out);
}

// F16 / Q8_0 / Q4_0 weights: vs the float64 reference of the same weights, and vs the F32 model.
void test_quantized(const Shape &s) {
    const int n = 12;
    const std::vector<int32_t> tokens = random_tokens(n, s.V, 21);
    TestModel f32 = make_model(s, GPT2_TYPE_F32, 77);
    const std::vector<double> ref32 = reference::forward(*f32.model, tokens);
    const gpt2_type types[3] = {GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0};
    for (int ti = 0; ti < 3; ++ti) {
        TestModel tm = make_model(s, types[ti], 77);
        const std::vector<double> ref = reference::forward(*tm.model, tokens);
        std::vector<gpt2::CpuPath> paths = {gpt2::CpuPath::scalar, gpt2::CpuPath::avx2, gpt2::CpuPath::avx512};
        for (gpt2::CpuPath path : paths) {
            if (!gpt2::cpu_set_path(path)) continue;
            gpt2_context *ctx = make_ctx(tm.model.get(), 0, 1, 32, 2);
            const std::vector<float> got = decode_all(ctx, 0, tokens, s.V);
            gpt2_context_free(ctx);
            const double d_same = max_diff(got, ref, ref.size());
            double rms_same = 0.0, rms_f32 = 0.0;
            for (size_t i = 0; i < ref.size(); ++i) {
                rms_same += (got[i] - ref[i]) * (got[i] - ref[i]);
                rms_f32 += (got[i] - ref32[i]) * (got[i] - ref32[i]);
            }
            rms_same = std::sqrt(rms_same / (double)ref.size());
            rms_f32 = std::sqrt(rms_f32 / (double)ref.size());
            const char *tn = gpt2::type_name(types[ti]), *pn = gpt2::cpu_path_name(path);
            std::printf("  %s path %s: vs own-weights float64 max %.3g rms %.3g; vs f32 model rms %.3g\n", tn, pn,
                        d_same, rms_same, rms_f32);
            if (types[ti] == GPT2_TYPE_F16) {
                CHECK_MSG(d_same <= kF16Tol, "%s %s vs own reference %g", tn, pn, d_same);
            } else {
                CHECK_MSG(d_same <= kQuantActMaxTol, "%s %s vs own reference max %g", tn, pn, d_same);
                CHECK_MSG(rms_same <= kQuantActRmsTol, "%s %s vs own reference rms %g", tn, pn, rms_same);
            }
            CHECK_MSG(rms_f32 <= kVsF32RmsTol[ti], "%s %s vs f32 model rms %g", tn, pn, rms_f32);
        }
    }
    gpt2::cpu_set_path(gpt2::cpu_best_path());
}

}  // namespace

int main() {
    std::printf("%s\n", gpt2_build_info());
    const Shape small = {1500, 48, 64, 2, 2, 256};
    const Shape three = {2048, 40, 96, 3, 3, 384};
    const Shape odd_ff = {1000, 40, 64, 4, 2, 160};  // n_ff != 4C, head size 16
    const std::vector<gpt2::CpuPath> all = {gpt2::CpuPath::scalar, gpt2::CpuPath::avx2, gpt2::CpuPath::avx512};
    for (gpt2::CpuPath path : all) {
        if (!gpt2::cpu_path_supported(path)) continue;
        test_vs_reference(small, 1, path);
        test_vs_reference(three, 2, path);
        test_vs_reference(odd_ff, 3, path);
    }
    test_batched(small);
    test_errors(odd_ff);
    test_quantized(small);
    return check_summary("test_forward");
}
