// test_kv_cache.cpp — the sequence operations a prompt cache and speculative decoding build on: keep (roll
// back), copy (prefix of another sequence) and snapshots (a prefix outliving its slot). Each must leave a sequence
// whose next logits are the same bits as computing its tokens from scratch, for every KV type (the default f32
// caches of an f32 model and f16 otherwise, and q8_0 caches when asked); and every bad argument is an error that
// changes nothing, a snapshot restored into a context with another cache type included.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "test_models.h"
#include "gpt2.h"

namespace {

constexpr int32_t kCtx = 48;

// Decodes TOKENS[from, to) into SEQ (positions continue its length); returns the last entry's logits.
std::vector<float> feed(gpt2_context *ctx, int32_t seq, const std::vector<int32_t> &tokens, int32_t from, int32_t to,
                        int32_t n_vocab) {
    std::vector<int32_t> seqs, pos, tok;
    const int32_t start = gpt2_context_seq_len(ctx, seq);
    for (int32_t i = from; i < to; ++i) {
        seqs.push_back(seq);
        pos.push_back(start + i - from);
        tok.push_back(tokens[(size_t)i]);
    }
    std::vector<float> out;
    const int32_t st = gpt2_decode(ctx, (int32_t)seqs.size(), seqs.data(), pos.data(), tok.data(), nullptr);
    CHECK_MSG(st == GPT2_OK, "decode: %s", gpt2_last_error());
    if (st != GPT2_OK) return out;
    const float *l = gpt2_get_logits(ctx, (int32_t)seqs.size() - 1);
    if (l) out.assign(l, l + n_vocab);
    return out;
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
    return !a.empty() && a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void test_model(gpt2_model *model, gpt2_model *other, const char *type, int32_t kv_type) {
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    std::vector<int32_t> text, other_text;
    for (int32_t i = 0; i < 30; ++i) text.push_back((i * 7919 + 5) % n_vocab);
    other_text = text;
    for (int32_t i = 12; i < 30; ++i) other_text[(size_t)i] = (i * 104729 + 3) % n_vocab;   // shares 12 tokens

    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = kCtx;
    cp.n_seq_max = 4;
    cp.n_threads = 2;
    cp.kv_type = kv_type;
    gpt2_context *ctx = nullptr, *ctx2 = nullptr;
    CHECK(gpt2_context_create(model, &cp, &ctx) == GPT2_OK);
    CHECK(gpt2_context_create(model, &cp, &ctx2) == GPT2_OK);
    if (!ctx || !ctx2) return;

    // the reference: TEXT from scratch in sequence 0, and OTHER_TEXT in sequence 3
    const std::vector<float> full = feed(ctx, 0, text, 0, 30, n_vocab);
    const std::vector<float> other_full = feed(ctx, 3, other_text, 0, 30, n_vocab);

    // keep: roll sequence 0 back to 20 positions (as after rejected drafts), feed the rest again
    CHECK(gpt2_context_seq_keep(ctx, 0, 20) == GPT2_OK);
    CHECK_EQ(gpt2_context_seq_len(ctx, 0), 20);
    CHECK_MSG(same_bits(feed(ctx, 0, text, 20, 30, n_vocab), full), "%s: keep then re-feed differs", type);
    // keep to another continuation, and back
    CHECK(gpt2_context_seq_keep(ctx, 0, 12) == GPT2_OK);
    CHECK_MSG(same_bits(feed(ctx, 0, other_text, 12, 30, n_vocab), other_full), "%s: keep + other suffix", type);

    // copy: sequence 1 takes the 12 shared positions of sequence 3 and computes only the rest of TEXT
    CHECK(gpt2_context_seq_copy(ctx, 3, 1, 12) == GPT2_OK);
    CHECK_EQ(gpt2_context_seq_len(ctx, 1), 12);
    CHECK_EQ(gpt2_context_seq_len(ctx, 3), 30);
    CHECK_MSG(same_bits(feed(ctx, 1, text, 12, 30, n_vocab), full), "%s: copied prefix + suffix differs", type);
    // copying over a longer sequence forgets what it held
    CHECK(gpt2_context_seq_copy(ctx, 3, 1, 5) == GPT2_OK);
    CHECK_EQ(gpt2_context_seq_len(ctx, 1), 5);
    CHECK_MSG(same_bits(feed(ctx, 1, text, 5, 30, n_vocab), full), "%s: copy over a longer sequence", type);
    CHECK(gpt2_context_seq_copy(ctx, 1, 1, 29) == GPT2_OK);   // src == dst is keep
    CHECK_EQ(gpt2_context_seq_len(ctx, 1), 29);

    // snapshot: 25 positions of sequence 1, restored in part into another context's sequence 2
    gpt2_kv_snapshot *snap = nullptr;
    CHECK(gpt2_kv_snapshot_save(ctx, 1, 25, &snap) == GPT2_OK);
    CHECK(snap != nullptr);
    if (snap) {
        CHECK_EQ(gpt2_kv_snapshot_n_pos(snap), 25);
        // bytes per position: K and V of every layer, n_embd values each (q8_0: 34 bytes per 32 values)
        const int64_t n_kv = 2LL * gpt2_model_n_layer(model) * gpt2_model_n_embd(model);
        const int64_t per_pos = kv_type == GPT2_KV_Q8_0         ? n_kv / 32 * 34
                                : std::string(type) == "f32" ? n_kv * 4
                                                             : n_kv * 2;
        CHECK_MSG(gpt2_kv_snapshot_bytes(snap) == 25 * per_pos, "%s: snapshot holds %lld bytes, expected %lld", type,
                  (long long)gpt2_kv_snapshot_bytes(snap), (long long)(25 * per_pos));
        gpt2_context_seq_clear(ctx, 1);   // the snapshot must not depend on its source
        CHECK(gpt2_kv_snapshot_restore(ctx2, 2, snap, 17) == GPT2_OK);
        CHECK_EQ(gpt2_context_seq_len(ctx2, 2), 17);
        CHECK_MSG(same_bits(feed(ctx2, 2, text, 17, 30, n_vocab), full), "%s: snapshot restore + suffix", type);
        CHECK(gpt2_kv_snapshot_restore(ctx2, 2, snap, 25) == GPT2_OK);
        CHECK_MSG(same_bits(feed(ctx2, 2, text, 25, 30, n_vocab), full), "%s: whole snapshot + suffix", type);

        // bad arguments: an error, nothing changed
        const int32_t len = gpt2_context_seq_len(ctx2, 2);
        CHECK(gpt2_kv_snapshot_restore(ctx2, 2, snap, 26) == GPT2_ERR_INVALID_ARGUMENT);
        CHECK(gpt2_kv_snapshot_restore(ctx2, 2, snap, -1) == GPT2_ERR_INVALID_ARGUMENT);
        CHECK(gpt2_kv_snapshot_restore(ctx2, 4, snap, 3) == GPT2_ERR_INVALID_ARGUMENT);
        CHECK(gpt2_kv_snapshot_restore(ctx2, 2, nullptr, 3) == GPT2_ERR_INVALID_ARGUMENT);
        CHECK(gpt2_kv_snapshot_restore(nullptr, 2, snap, 3) == GPT2_ERR_INVALID_ARGUMENT);
        {   // the same model, another cache type
            gpt2_context_params cq = cp;
            cq.kv_type = kv_type == GPT2_KV_Q8_0 ? GPT2_KV_F16 : GPT2_KV_Q8_0;
            gpt2_context *mixed = nullptr;
            CHECK(gpt2_context_create(model, &cq, &mixed) == GPT2_OK);
            const int32_t st = gpt2_kv_snapshot_restore(mixed, 0, snap, 3);
            CHECK_MSG(st == GPT2_ERR_INVALID_ARGUMENT && std::string(gpt2_last_error()).find("cache is") !=
                                                             std::string::npos,
                      "%s: restore into a context with another KV type: %d %s", type, st, gpt2_last_error());
            CHECK_EQ(gpt2_context_seq_len(mixed, 0), 0);
            gpt2_context_free(mixed);
        }
        if (other) {
            gpt2_context *foreign = nullptr;
            CHECK(gpt2_context_create(other, &cp, &foreign) == GPT2_OK);
            const int32_t st = gpt2_kv_snapshot_restore(foreign, 0, snap, 3);
            CHECK_MSG(st == GPT2_ERR_INVALID_ARGUMENT && std::string(gpt2_last_error()).find("another model") !=
                                                             std::string::npos,
                      "%s: restore into another model's context: %d %s", type, st, gpt2_last_error());
            gpt2_context_free(foreign);
        }
        CHECK_EQ(gpt2_context_seq_len(ctx2, 2), len);
        gpt2_kv_snapshot_free(snap);
    }
    CHECK_EQ(gpt2_kv_snapshot_n_pos(nullptr), -1);
    CHECK_EQ(gpt2_kv_snapshot_bytes(nullptr), -1LL);
    gpt2_kv_snapshot_free(nullptr);
    gpt2_kv_snapshot *none = reinterpret_cast<gpt2_kv_snapshot *>(1);
    CHECK(gpt2_kv_snapshot_save(ctx, 0, 31, &none) == GPT2_ERR_INVALID_ARGUMENT);   // longer than the sequence
    CHECK(none == nullptr);
    CHECK(gpt2_kv_snapshot_save(ctx, 0, 0, &none) == GPT2_OK);                     // empty is valid
    CHECK_EQ(gpt2_kv_snapshot_bytes(none), 0LL);
    gpt2_kv_snapshot_free(none);

    // keep / copy: bad arguments change nothing
    CHECK(gpt2_context_seq_keep(ctx, 0, 31) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_context_seq_keep(ctx, 0, -1) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_context_seq_keep(ctx, 9, 0) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_context_seq_keep(nullptr, 0, 0) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_context_seq_copy(ctx, 0, 1, 31) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_context_seq_copy(ctx, 0, 7, 3) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(gpt2_context_seq_copy(ctx, -1, 1, 0) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_context_seq_len(ctx, 0), 30);
    CHECK_EQ(gpt2_context_seq_len(ctx, 1), 0);

    gpt2_context_free(ctx);
    gpt2_context_free(ctx2);
}

// The cache type: parsed and named, validated at context creation, resolved from AUTO, and a q8_0 cache's next
// logits close to the f16 cache's: it rounds keys and values to 8 bits per block of 32 (the scores and weighted
// sums stay f32), so after a full context the last logits move by a small share of their spread (measured: 0.1 %
// for f32/f16 weights, 1-1.5 % for q8_0/q4_0 weights, whose activation rounding amplifies it; bound 3 %), never 0.
void test_kv_types(gpt2_model *model, gpt2_type type) {
    int32_t kv = -7;
    CHECK(gpt2_kv_type_parse("q8_0", &kv) == GPT2_OK && kv == GPT2_KV_Q8_0);
    CHECK(gpt2_kv_type_parse("auto", &kv) == GPT2_OK && kv == GPT2_KV_AUTO);
    CHECK(gpt2_kv_type_parse("q4_0", &kv) == GPT2_ERR_INVALID_ARGUMENT && kv == GPT2_KV_AUTO);
    CHECK(gpt2_kv_type_parse(nullptr, &kv) == GPT2_ERR_INVALID_ARGUMENT);
    CHECK(std::string(gpt2_kv_type_name(GPT2_KV_F16)) == "f16");
    CHECK(std::string(gpt2_kv_type_name(9)) == "unknown");
    CHECK_EQ(gpt2_context_kv_type(nullptr), GPT2_ERR_INVALID_ARGUMENT);

    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = kCtx;
    cp.n_threads = 2;
    gpt2_context *ctx = nullptr;
    for (int32_t bad : {-1, 4}) {
        cp.kv_type = bad;
        CHECK(gpt2_context_create(model, &cp, &ctx) == GPT2_ERR_INVALID_ARGUMENT && ctx == nullptr);
    }
    std::vector<float> logits[2];
    const int32_t kinds[2] = {GPT2_KV_F16, GPT2_KV_Q8_0};
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    std::vector<int32_t> text;
    for (int32_t i = 0; i < kCtx; ++i) text.push_back((i * 7919 + 5) % n_vocab);
    for (int k = 0; k < 2; ++k) {
        cp.kv_type = GPT2_KV_AUTO;
        CHECK(gpt2_context_create(model, &cp, &ctx) == GPT2_OK);
        CHECK_EQ(gpt2_context_kv_type(ctx), type == GPT2_TYPE_F32 ? GPT2_KV_F32 : GPT2_KV_F16);
        gpt2_context_free(ctx);
        cp.kv_type = kinds[k];
        CHECK(gpt2_context_create(model, &cp, &ctx) == GPT2_OK);
        CHECK_EQ(gpt2_context_kv_type(ctx), kinds[k]);
        logits[k] = feed(ctx, 0, text, 0, kCtx, n_vocab);   // the whole context: the last entry attends to 48
        gpt2_context_free(ctx);
    }
    if (logits[0].empty() || logits[1].size() != logits[0].size()) return;
    double worst = 0.0, spread = 0.0;
    for (size_t i = 0; i < logits[0].size(); ++i) {
        worst = std::max(worst, (double)std::fabs(logits[1][i] - logits[0][i]));
        spread = std::max(spread, (double)std::fabs(logits[0][i] - logits[0][0]));
    }
    std::printf("test_kv_cache: %s, q8_0 vs f16 KV cache: largest logit difference %.4g (logits spread %.3g)\n",
                gpt2_type_name(type), worst, spread);
    CHECK_MSG(worst > 0.0 && worst <= 0.03 * spread, "%s: q8_0 KV logits differ from f16's by %g (spread %g)",
              gpt2_type_name(type), worst, spread);
}

}  // namespace

int main() {
    gpt2_model *other = nullptr;
    for (gpt2_type type : {GPT2_TYPE_F32, GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0}) {
        gpt2_model *model = test_model_write_load("test_kv_cache", test_model_options(type, kCtx));
        if (!model) continue;
        test_model(model, other, gpt2_type_name(type), GPT2_KV_AUTO);
        test_kv_types(model, type);
        if (type == GPT2_TYPE_F32 || type == GPT2_TYPE_Q8_0) {
            const std::string name = std::string(gpt2_type_name(type)) + " with a q8_0 KV cache";
            test_model(model, other, name.c_str(), GPT2_KV_Q8_0);
        }
        gpt2_model_free(other);
        other = model;
    }
    gpt2_model_free(other);
    return check_summary("test_kv_cache");
}
