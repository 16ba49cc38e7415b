// api_context.cpp — C API of gpt2_context: create/free, sizes, KV cache types, sequence control (clear, keep,
// copy, snapshots), decode and logits.
#include <cstring>
#include <memory>
#include <string>

#include "util/error.h"
#include "model/context.h"

extern "C" {

gpt2_context_params gpt2_context_default_params(void) {
    gpt2_context_params p;
    p.n_ctx = 0;
    p.n_seq_max = 1;
    p.n_batch = 512;
    p.n_threads = 0;
    p.kv_type = GPT2_KV_AUTO;
    return p;
}

int32_t gpt2_context_create(const gpt2_model *model, const gpt2_context_params *params, gpt2_context **out) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(out != nullptr, "out must not be NULL");
        *out = nullptr;
        gpt2::require_arg(model != nullptr, "model must not be NULL");
        const gpt2_context_params p = params ? *params : gpt2_context_default_params();
        *out = gpt2::context_create(*model, p).release();
        return GPT2_OK;
    });
}

void gpt2_context_free(gpt2_context *ctx) { delete ctx; }

int32_t gpt2_context_n_ctx(const gpt2_context *ctx) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        return ctx->n_ctx;
    });
}

int32_t gpt2_context_n_seq_max(const gpt2_context *ctx) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        return ctx->n_seq_max;
    });
}

int32_t gpt2_context_n_batch(const gpt2_context *ctx) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        return ctx->n_batch;
    });
}

int32_t gpt2_context_n_threads(const gpt2_context *ctx) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        return ctx->n_threads;
    });
}

namespace {
constexpr const char *kKvTypeNames[] = {"auto", "f32", "f16", "q8_0"};   // indexed by gpt2_kv_type
}  // namespace

int32_t gpt2_kv_type_parse(const char *name, int32_t *kv_type) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(name != nullptr && kv_type != nullptr, "gpt2_kv_type_parse: name or kv_type is NULL");
        for (int32_t t = GPT2_KV_AUTO; t <= GPT2_KV_Q8_0; ++t) {
            if (std::strcmp(name, kKvTypeNames[t]) == 0) {
                *kv_type = t;
                return GPT2_OK;
            }
        }
        throw gpt2::Error(GPT2_ERR_INVALID_ARGUMENT,
                          std::string("unknown KV cache type '") + name + "' (expected auto, f32, f16 or q8_0)");
    });
}

const char *gpt2_kv_type_name(int32_t kv_type) {
    return kv_type >= GPT2_KV_AUTO && kv_type <= GPT2_KV_Q8_0 ? kKvTypeNames[kv_type] : "unknown";
}

int32_t gpt2_context_kv_type(const gpt2_context *ctx) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        return gpt2::kv_type_api(ctx->kv.type);
    });
}

int32_t gpt2_context_seq_clear(gpt2_context *ctx, int32_t seq_id) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::context_seq_clear(*ctx, seq_id);
        return GPT2_OK;
    });
}

int32_t gpt2_context_seq_len(const gpt2_context *ctx, int32_t seq_id) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::context_check_seq(*ctx, seq_id);
        return ctx->seqs[(size_t)seq_id].n_pos;
    });
}

int32_t gpt2_context_seq_keep(gpt2_context *ctx, int32_t seq_id, int32_t n_pos) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::context_seq_keep(*ctx, seq_id, n_pos);
        return GPT2_OK;
    });
}

int32_t gpt2_context_seq_copy(gpt2_context *ctx, int32_t src, int32_t dst, int32_t n_pos) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::context_seq_copy(*ctx, src, dst, n_pos);
        return GPT2_OK;
    });
}

struct gpt2_kv_snapshot {
    std::unique_ptr<gpt2::KvSnapshot> snap;
};

int32_t gpt2_kv_snapshot_save(const gpt2_context *ctx, int32_t seq_id, int32_t n_pos, gpt2_kv_snapshot **out) {
    if (out) *out = nullptr;
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::require_arg(out != nullptr, "out must not be NULL");
        auto handle = std::make_unique<gpt2_kv_snapshot>();
        handle->snap = gpt2::context_seq_save(*ctx, seq_id, n_pos);
        *out = handle.release();
        return GPT2_OK;
    });
}

int32_t gpt2_kv_snapshot_restore(gpt2_context *ctx, int32_t seq_id, const gpt2_kv_snapshot *snap, int32_t n_pos) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::require_arg(snap != nullptr, "snap must not be NULL");
        gpt2::context_seq_restore(*ctx, seq_id, *snap->snap, n_pos);
        return GPT2_OK;
    });
}

int32_t gpt2_kv_snapshot_n_pos(const gpt2_kv_snapshot *snap) { return snap ? snap->snap->n_pos : -1; }

int64_t gpt2_kv_snapshot_bytes(const gpt2_kv_snapshot *snap) { return snap ? (int64_t)snap->snap->bytes() : -1; }

void gpt2_kv_snapshot_free(gpt2_kv_snapshot *snap) { delete snap; }

int32_t gpt2_decode(gpt2_context *ctx, int32_t n, const int32_t *seq_ids, const int32_t *positions,
                    const int32_t *tokens, const int8_t *want_logits) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::context_decode(*ctx, n, seq_ids, positions, tokens, want_logits);
        return GPT2_OK;
    });
}

const float *gpt2_get_logits(gpt2_context *ctx, int32_t i) {
    const float *result = nullptr;
    gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        result = gpt2::context_logits(*ctx, i);
        return GPT2_OK;
    });
    return result;
}

int32_t gpt2_copy_logits(gpt2_context *ctx, int32_t i, float *out, int32_t n_vocab) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(ctx != nullptr, "ctx must not be NULL");
        gpt2::require_arg(out != nullptr, "out must not be NULL");
        const int32_t v = ctx->model->hparams.n_vocab;
        gpt2::require_arg(n_vocab == v, "n_vocab = " + std::to_string(n_vocab) + " but the model has " +
                                            std::to_string(v) + " logits per entry");
        const float *src = gpt2::context_logits(*ctx, i);
        std::memcpy(out, src, (size_t)v * sizeof(float));
        return GPT2_OK;
    });
}

}  // extern "C"
