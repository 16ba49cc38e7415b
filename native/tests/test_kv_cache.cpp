// test_kv_cache.cpp — the sequence operations a prompt cache and speculative decoding build on: keep (roll
// back), copy (prefix of another sequence) and snapshots (a prefix outliving its slot). Each must leave a sequence
// whose next logits are the same bits as computing its tokens from scratch, for every KV type (f32 caches for an
// f32 model, f16 otherwise); and every bad argument is an error that changes nothing.
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

void test_model(gpt2_model *model, gpt2_model *other, const char *type) {
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    std::vector<int32_t> text, other_text;
    for (int32_t i = 0; i < 30; ++i) text.push_back((i * 7919 + 5) % n_vocab);
    other_text = text;
    for (int32_t i = 12; i < 30; ++i) other_text[(size_t)i] = (i * 104729 + 3) % n_vocab;   // shares 12 tokens

    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = kCtx;
    cp.n_seq_max = 4;
    cp.n_threads = 2;
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
        const int64_t per_pos = 2LL * gpt2_model_n_layer(model) * gpt2_model_n_embd(model) *
                                (std::string(type) == "f32" ? 4 : 2);
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

}  // namespace

int main() {
    gpt2_model *other = nullptr;
    for (gpt2_type type : {GPT2_TYPE_F32, GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0}) {
        gpt2_model *model = test_model_write_load("test_kv_cache", test_model_options(type, kCtx));
        if (!model) continue;
        test_model(model, other, gpt2_type_name(type));
        gpt2_model_free(other);
        other = model;
    }
    gpt2_model_free(other);
    return check_summary("test_kv_cache");
}
