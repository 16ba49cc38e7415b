// context.cpp — context creation, full validation of a decode batch before anything changes, and the
// logits bookkeeping around forward_batch.
#include "model/context.h"

#include <algorithm>
#include <string>
#include <thread>

#include "util/error.h"
#include "model/forward.h"

namespace gpt2 {

namespace {
constexpr int32_t kMaxSeqs = 1 << 16;      // sanity limits so a typo cannot ask for absurd allocations
constexpr int32_t kMaxBatch = 1 << 20;
constexpr int32_t kMaxThreads = 1024;
constexpr int32_t kDefaultBatch = 512;

std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

std::unique_ptr<gpt2_context> context_create(const gpt2_model &model, const gpt2_context_params &p) {
    const HParams &hp = model.hparams;
    require_arg(p.n_ctx >= 0 && p.n_ctx <= hp.n_ctx,
                "params.n_ctx = " + str(p.n_ctx) + " must be in [0, " + str(hp.n_ctx) + "] (the model's context)");
    require_arg(p.n_seq_max >= 0 && p.n_seq_max <= kMaxSeqs,
                "params.n_seq_max = " + str(p.n_seq_max) + " must be in [0, " + str(kMaxSeqs) + "]");
    require_arg(p.n_batch >= 0 && p.n_batch <= kMaxBatch,
                "params.n_batch = " + str(p.n_batch) + " must be in [0, " + str(kMaxBatch) + "]");
    require_arg(p.n_threads >= 0 && p.n_threads <= kMaxThreads,
                "params.n_threads = " + str(p.n_threads) + " must be in [0, " + str(kMaxThreads) + "]");
    require_arg(hp.n_head > 0 && hp.n_embd % hp.n_head == 0, "model n_embd is not a multiple of n_head");
    require_arg(hp.n_layer > 0 && (int64_t)model.weights.layers.size() == hp.n_layer, "model has no layers bound");
    require_arg(p.kv_type >= GPT2_KV_AUTO && p.kv_type <= GPT2_KV_Q8_0,
                "params.kv_type = " + str(p.kv_type) + " is not a gpt2_kv_type (0 auto, 1 f32, 2 f16, 3 q8_0)");
    const int64_t hs = hp.n_embd / hp.n_head;
    if (p.kv_type == GPT2_KV_Q8_0 && (hs % 32 != 0 || hs > kMaxKvQ8HeadSize)) {
        throw Error(GPT2_ERR_UNSUPPORTED, "a q8_0 KV cache needs a head size that is a multiple of 32 and at most " +
                                              str(kMaxKvQ8HeadSize) + "; this model's is " + str(hs));
    }
    if (model.cuda && p.kv_type != GPT2_KV_AUTO) {
        throw Error(GPT2_ERR_UNSUPPORTED, "params.kv_type: CUDA contexts keep their own K/V caches; only 0 (auto) "
                                          "is accepted there");
    }

    auto ctx = std::make_unique<gpt2_context>();
    ctx->model = &model;
    ctx->n_ctx = p.n_ctx == 0 ? hp.n_ctx : p.n_ctx;
    ctx->n_seq_max = p.n_seq_max == 0 ? 1 : p.n_seq_max;
    ctx->n_batch = p.n_batch == 0 ? kDefaultBatch : p.n_batch;
    ctx->n_threads = p.n_threads == 0 ? (int32_t)std::max(1u, std::thread::hardware_concurrency()) : p.n_threads;
    ctx->kv.n_layer = hp.n_layer;
    ctx->kv.n_head = hp.n_head;
    ctx->kv.n_ctx = ctx->n_ctx;
    ctx->kv.hs = hs;
    ctx->kv.type = p.kv_type == GPT2_KV_AUTO ? (model.ftype == GPT2_TYPE_F32 ? KvType::f32 : KvType::f16)
                                             : kv_type_from_api(p.kv_type);
    ctx->seqs.resize((size_t)ctx->n_seq_max);
    ctx->pool = std::make_unique<ThreadPool>(ctx->n_threads);
    if (model.cuda) ctx->cuda = CudaContext::create(*model.cuda, ctx->n_ctx, ctx->n_seq_max, ctx->n_batch);
    return ctx;
}

void context_check_seq(const gpt2_context &ctx, int32_t seq_id) {
    require_arg(seq_id >= 0 && seq_id < ctx.n_seq_max,
                "seq_id = " + str(seq_id) + " must be in [0, " + str(ctx.n_seq_max) + ")");
}

void context_decode(gpt2_context &ctx, int32_t n, const int32_t *seq_ids, const int32_t *positions,
                    const int32_t *tokens, const int8_t *want_logits) {
    if (!(n >= 1 && n <= ctx.n_batch)) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, "n = " + str(n) + " must be in [1, n_batch = " + str(ctx.n_batch) + "]");
    }
    require_arg(seq_ids != nullptr, "seq_ids must not be NULL");
    require_arg(positions != nullptr, "positions must not be NULL");
    require_arg(tokens != nullptr, "tokens must not be NULL");
    const int32_t n_vocab = ctx.model->hparams.n_vocab;

    // Pass 1: ids, tokens and positions (consecutive per sequence from its current length, inside n_ctx).
    // The per-sequence tables live in the context (no allocation per step); messages are built only on failure.
    std::vector<int32_t> &next_pos = ctx.check_next_pos, &last_entry = ctx.check_last_entry;
    next_pos.assign(ctx.seqs.size(), -1);  // -1: sequence not in this batch yet
    last_entry.assign(ctx.seqs.size(), -1);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t s = seq_ids[i];
        if (!(s >= 0 && s < ctx.n_seq_max)) {
            throw Error(GPT2_ERR_INVALID_ARGUMENT,
                        "seq_ids[" + str(i) + "] = " + str(s) + " must be in [0, " + str(ctx.n_seq_max) + ")");
        }
        if (!(tokens[i] >= 0 && tokens[i] < n_vocab)) {
            throw Error(GPT2_ERR_INVALID_ARGUMENT,
                        "tokens[" + str(i) + "] = " + str(tokens[i]) + " must be in [0, " + str(n_vocab) + ")");
        }
        int32_t &expect = next_pos[(size_t)s];
        if (expect < 0) expect = ctx.seqs[(size_t)s].n_pos;
        if (positions[i] != expect) {
            throw Error(GPT2_ERR_INVALID_ARGUMENT, "positions[" + str(i) + "] = " + str(positions[i]) +
                                                       " but sequence " + str(s) + " expects position " + str(expect));
        }
        if (positions[i] >= ctx.n_ctx) {
            throw Error(GPT2_ERR_CONTEXT_FULL, "sequence " + str(s) + " is full: position " + str(positions[i]) +
                                                   " does not fit n_ctx = " + str(ctx.n_ctx));
        }
        ++expect;
        last_entry[(size_t)s] = i;
    }

    // Pass 2: which entries want logits, and their rows.
    std::vector<int32_t> &rows = ctx.logits_row_next;
    rows.assign((size_t)n, -1);
    int32_t n_out = 0;
    for (int32_t i = 0; i < n; ++i) {
        const bool want = want_logits ? want_logits[i] != 0 : last_entry[(size_t)seq_ids[i]] == i;
        if (want) rows[(size_t)i] = n_out++;
    }
    const size_t logits_floats = (size_t)n_out * (size_t)n_vocab;
    if (ctx.logits_next.size() < logits_floats) ctx.logits_next.resize(logits_floats);

    if (ctx.cuda) {
        if (ctx.activation_stats) {
            throw Error(GPT2_ERR_UNSUPPORTED, "activation statistics are collected on the CPU only");
        }
        ctx.cuda->decode(n, seq_ids, positions, tokens, rows.data(), n_out, ctx.logits_next.data());
    } else {
        forward_batch(ctx, n, seq_ids, positions, tokens, rows.data(), n_out, ctx.logits_next.data());
    }

    // Commit: lengths, then the new logits.
    for (size_t s = 0; s < ctx.seqs.size(); ++s) {
        if (next_pos[s] >= 0) ctx.seqs[s].n_pos = next_pos[s];
    }
    std::swap(ctx.logits, ctx.logits_next);
    std::swap(ctx.logits_row, ctx.logits_row_next);
}

void context_seq_clear(gpt2_context &ctx, int32_t seq_id) {
    context_check_seq(ctx, seq_id);
    ctx.seqs[(size_t)seq_id].n_pos = 0;
}

namespace {
void require_cpu_caches(const gpt2_context &ctx, const char *what) {
    if (ctx.cuda) {
        throw Error(GPT2_ERR_UNSUPPORTED, std::string(what) + " is not available on a CUDA context (its caches live on the GPU)");
    }
}

void require_n_pos(int32_t n_pos, int32_t limit, const std::string &limit_name) {
    require_arg(n_pos >= 0 && n_pos <= limit,
                "n_pos = " + str(n_pos) + " must be in [0, " + limit_name + " = " + str(limit) + "]");
}
}  // namespace

void context_seq_keep(gpt2_context &ctx, int32_t seq_id, int32_t n_pos) {
    context_check_seq(ctx, seq_id);
    SeqCache &sc = ctx.seqs[(size_t)seq_id];
    require_n_pos(n_pos, sc.n_pos, "the sequence's length");
    // positions past n_pos stay in memory but are never read: attention reads [0, n_pos) and a decode writes
    // position p before it attends over it
    sc.n_pos = n_pos;
}

void context_seq_copy(gpt2_context &ctx, int32_t src, int32_t dst, int32_t n_pos) {
    context_check_seq(ctx, src);
    context_check_seq(ctx, dst);
    require_n_pos(n_pos, ctx.seqs[(size_t)src].n_pos, "the source's length");
    if (src == dst) {
        context_seq_keep(ctx, dst, n_pos);
        return;
    }
    require_cpu_caches(ctx, "gpt2_context_seq_copy");
    SeqCache &d = ctx.seqs[(size_t)dst];
    if (n_pos > 0) {
        kv_ensure(ctx.kv, d);   // may throw bad_alloc: nothing changed yet
        kv_copy_prefix(ctx.kv, ctx.seqs[(size_t)src], d, n_pos);
    }
    d.n_pos = n_pos;
}

std::unique_ptr<KvSnapshot> context_seq_save(const gpt2_context &ctx, int32_t seq_id, int32_t n_pos) {
    context_check_seq(ctx, seq_id);
    require_cpu_caches(ctx, "gpt2_kv_snapshot_save");
    const SeqCache &sc = ctx.seqs[(size_t)seq_id];
    require_n_pos(n_pos, sc.n_pos, "the sequence's length");
    auto snap = std::make_unique<KvSnapshot>();
    kv_snapshot_save(ctx.kv, sc, n_pos, *snap);
    snap->model = ctx.model;
    return snap;
}

void context_seq_restore(gpt2_context &ctx, int32_t seq_id, const KvSnapshot &snap, int32_t n_pos) {
    context_check_seq(ctx, seq_id);
    require_cpu_caches(ctx, "gpt2_kv_snapshot_restore");
    require_arg(snap.model == ctx.model, "the snapshot comes from a context of another model");
    const KvLayout &a = snap.layout, &b = ctx.kv;
    require_arg(a.type == b.type, std::string("the snapshot holds ") + gpt2_kv_type_name(kv_type_api(a.type)) +
                                      " keys and values, this context's cache is " +
                                      gpt2_kv_type_name(kv_type_api(b.type)));
    if (a.n_layer != b.n_layer || a.n_head != b.n_head || a.hs != b.hs) {
        throw Error(GPT2_ERR_INTERNAL, "snapshot layout differs from the context's for the same model");
    }
    require_n_pos(n_pos, snap.n_pos, "the snapshot's positions");
    require_n_pos(n_pos, ctx.n_ctx, "n_ctx");
    SeqCache &sc = ctx.seqs[(size_t)seq_id];
    if (n_pos > 0) {
        kv_ensure(ctx.kv, sc);
        kv_snapshot_restore(ctx.kv, snap, n_pos, sc);
    }
    sc.n_pos = n_pos;
}

const float *context_logits(const gpt2_context &ctx, int32_t i) {
    if (!(i >= 0 && i < (int32_t)ctx.logits_row.size())) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, "i = " + str(i) + " must be in [0, " +
                                                   str((int64_t)ctx.logits_row.size()) +
                                                   ") (the entries of the last gpt2_decode)");
    }
    const int32_t row = ctx.logits_row[(size_t)i];
    if (row < 0) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT,
                    "batch entry " + str(i) + " of the last gpt2_decode did not ask for logits");
    }
    return ctx.logits.data() + (size_t)row * (size_t)ctx.model->hparams.n_vocab;
}

}  // namespace gpt2
