// forward.cpp — GPT-2 forward over a batch with KV cache: embeddings, L pre-norm blocks (attention + MLP),
// final norm and the tied output head for the entries that asked for logits. One plain function per pass.
//
// Legend: T = batch entries, C = n_embd, NH = n_head, hs = C / NH, F = n_ff, V = n_vocab.
#include "model/forward.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/error.h"
#include "kernels/attention.h"
#include "kernels/gelu.h"
#include "kernels/layernorm.h"
#include "kernels/matmul.h"
#include "tensor/quant.h"

namespace gpt2 {

namespace {

constexpr int64_t kSerialElements = 16384;  // element-wise passes below this size skip the pool

// Runs fn(r0, r1) over [0, rows) split across the pool, or inline when the work is small.
template <typename Fn>
void parallel_rows(ThreadPool &pool, int64_t rows, int64_t row_elements, Fn &&fn) {
    if (rows * row_elements < kSerialElements || pool.n_threads() == 1) {
        fn((int64_t)0, rows);
        return;
    }
    pool.run([&](int ith, int nth) {
        int64_t r0, r1;
        split_range(rows, ith, nth, 1, &r0, &r1);
        if (r1 > r0) fn(r0, r1);
    });
}

const float *f32_data(const TensorView &t) {
    if (t.type != GPT2_TYPE_F32) {
        throw Error(GPT2_ERR_INTERNAL, "tensor '" + t.name + "' must be f32 for the forward pass");
    }
    return (const float *)t.data;
}

void encoder_forward(float *x, const int32_t *token, const int32_t *pos, const TensorView &wte,
                     const TensorView &wpe, int64_t T, int64_t C, std::vector<float> &row) {
    // x is (T, C); wte is (V, C), wpe is (n_ctx, C), any weight type
    row.resize((size_t)C);
    const size_t te_row_bytes = type_row_bytes(wte.type, C), pe_row_bytes = type_row_bytes(wpe.type, C);
    for (int64_t t = 0; t < T; ++t) {
        float *xt = x + t * C;
        dequantize_row(wte.type, (const char *)wte.data + te_row_bytes * (size_t)token[t], xt, C);
        dequantize_row(wpe.type, (const char *)wpe.data + pe_row_bytes * (size_t)pos[t], row.data(), C);
        for (int64_t i = 0; i < C; ++i) xt[i] += row[(size_t)i];
    }
}

void layernorm_pass(ThreadPool &pool, float *out, const float *inp, const TensorView &w, const TensorView &b,
                    int64_t T, int64_t C, float eps) {
    // out is (T, C), inp is (T, C)
    const float *wd = f32_data(w), *bd = f32_data(b);
    parallel_rows(pool, T, C, [&](int64_t t0, int64_t t1) {
        layernorm_forward(out + t0 * C, inp + t0 * C, wd, bd, t1 - t0, C, eps);
    });
}

void residual_pass(ThreadPool &pool, float *x, const float *delta, int64_t T, int64_t C) {
    // x (T, C) += delta (T, C)
    parallel_rows(pool, T, C, [&](int64_t t0, int64_t t1) {
        for (int64_t i = t0 * C; i < t1 * C; ++i) x[i] += delta[i];
    });
}

void gelu_pass(ThreadPool &pool, float *h, int64_t T, int64_t F) {
    // h is (T, F), in place
    const GeluFn gelu = gelu_kernel(cpu_active_path());
    parallel_rows(pool, T, F, [&](int64_t t0, int64_t t1) { gelu(h + t0 * F, h + t0 * F, (t1 - t0) * F); });
}

void attention_pass(gpt2_context &ctx, int layer, const float *qkv, float *atty, int64_t T, const int32_t *seq,
                    const int32_t *pos) {
    // qkv is (T, 3C) = q | k | v; atty is (T, C); the caches are head-major (model/kv_cache.h)
    const HParams &hp = ctx.model->hparams;
    const int64_t C = hp.n_embd, NH = hp.n_head, hs = C / NH, n_ctx = ctx.n_ctx;
    const KvLayout &kv = ctx.kv;
    const CpuPath path = cpu_active_path();
    for (int64_t t = 0; t < T; ++t) {  // write every entry's K and V first: later entries attend to them
        kv_store(kv, ctx.seqs[(size_t)seq[t]], layer, pos[t], qkv + t * 3 * C + C, qkv + t * 3 * C + 2 * C, path);
    }
    const AttentionHeadFn head_f32 = attention_head_kernel(path);
    const AttentionHeadF16Fn head_f16 = attention_head_f16_kernel(path);
    const AttentionHeadQ8Fn head_q8 = attention_head_q8_0_kernel(path);
    const float scale = 1.0f / std::sqrt((float)hs);
    float *scores = ctx.scratch.scores.data();
    auto work = [&](int ith, int nth) {
        float *my_scores = scores + (size_t)ith * (size_t)n_ctx;
        for (int64_t task = ith; task < T * NH; task += nth) {
            const int64_t t = task / NH, h = task % NH;
            const SeqCache &sc = ctx.seqs[(size_t)seq[t]];
            const unsigned char *k = sc.k.get() + kv.head_offset(layer, h), *v = sc.v.get() + kv.head_offset(layer, h);
            float *out = atty + t * C + h * hs;
            const float *q = qkv + t * 3 * C + h * hs;
            const int64_t n_pos = (int64_t)pos[t] + 1;
            if (kv.type == KvType::f16) {
                head_f16(out, q, (const uint16_t *)k, (const uint16_t *)v, hs, n_pos, hs, scale, my_scores);
            } else if (kv.type == KvType::q8_0) {
                head_q8(out, q, (const block_q8_0 *)k, (const block_q8_0 *)v, hs / 32, n_pos, hs, scale, my_scores);
            } else {
                head_f32(out, q, (const float *)k, (const float *)v, hs, n_pos, hs, scale, my_scores);
            }
        }
    };
    if (T * NH == 1) work(0, 1);
    else ctx.pool->run(work);
}

// The weight's matmul inputs, for an importance matrix being collected.
void observe(gpt2_context &ctx, const TensorView &w, const float *x, int64_t T) {
    if (ctx.activation_stats) ctx.activation_stats->record(w.name, x, T, w.ne[0]);
}

}  // namespace

void forward_batch(gpt2_context &ctx, int32_t T_, const int32_t *seq, const int32_t *pos, const int32_t *token,
                   const int32_t *out_row, int32_t n_out, float *logits) {
    const gpt2_model &m = *ctx.model;
    const HParams &hp = m.hparams;
    const Weights &w = m.weights;
    const int64_t T = T_, C = hp.n_embd, F = hp.n_ff;
    ThreadPool &pool = *ctx.pool;
    ForwardScratch &s = ctx.scratch;

    // Grow scratch and allocate the caches this batch touches (before any cache write).
    auto grow = [](std::vector<float> &v, int64_t n) {
        if ((int64_t)v.size() < n) v.resize((size_t)n);
    };
    grow(s.x, T * C);
    grow(s.ln, T * C);
    grow(s.qkv, T * 3 * C);
    grow(s.atty, T * C);
    grow(s.proj, T * C);
    grow(s.fc, T * F);
    grow(s.lnf, (int64_t)n_out * C);
    grow(s.scores, (int64_t)pool.n_threads() * ctx.n_ctx);
    for (int64_t t = 0; t < T; ++t) kv_ensure(ctx.kv, ctx.seqs[(size_t)seq[t]]);

    encoder_forward(s.x.data(), token, pos, w.token_embd, w.position_embd, T, C, s.row);
    if (ctx.embedding_probe && ctx.embedding_probe->input_delta) {
        const float *delta = ctx.embedding_probe->input_delta;
        for (int64_t i = 0; i < T * C; ++i) s.x[(size_t)i] += delta[i];
    }

    for (int l = 0; l < hp.n_layer; ++l) {
        const LayerWeights &lw = w.layers[(size_t)l];
        layernorm_pass(pool, s.ln.data(), s.x.data(), lw.attn_norm_w, lw.attn_norm_b, T, C, hp.norm_eps);
        observe(ctx, lw.attn_qkv_w, s.ln.data(), T);
        matmul_forward(s.qkv.data(), s.ln.data(), lw.attn_qkv_w, f32_data(lw.attn_qkv_b), T, pool, s.mm);
        attention_pass(ctx, l, s.qkv.data(), s.atty.data(), T, seq, pos);
        observe(ctx, lw.attn_out_w, s.atty.data(), T);
        matmul_forward(s.proj.data(), s.atty.data(), lw.attn_out_w, f32_data(lw.attn_out_b), T, pool, s.mm);
        residual_pass(pool, s.x.data(), s.proj.data(), T, C);

        layernorm_pass(pool, s.ln.data(), s.x.data(), lw.ffn_norm_w, lw.ffn_norm_b, T, C, hp.norm_eps);
        observe(ctx, lw.ffn_up_w, s.ln.data(), T);
        matmul_forward(s.fc.data(), s.ln.data(), lw.ffn_up_w, f32_data(lw.ffn_up_b), T, pool, s.mm);
        gelu_pass(pool, s.fc.data(), T, F);
        observe(ctx, lw.ffn_down_w, s.fc.data(), T);
        matmul_forward(s.proj.data(), s.fc.data(), lw.ffn_down_w, f32_data(lw.ffn_down_b), T, pool, s.mm);
        residual_pass(pool, s.x.data(), s.proj.data(), T, C);
    }

    if (ctx.embedding_probe && ctx.embedding_probe->final_norm) {
        layernorm_forward(ctx.embedding_probe->final_norm, s.x.data(), f32_data(w.output_norm_w),
                          f32_data(w.output_norm_b), T, C, hp.norm_eps);
    }
    if (n_out == 0) return;
    // Final norm and the output head only for the rows that want logits (the head is the largest matmul).
    const float *nw = f32_data(w.output_norm_w), *nb = f32_data(w.output_norm_b);
    for (int64_t t = 0; t < T; ++t) {
        if (out_row[t] < 0) continue;
        layernorm_forward(s.lnf.data() + (int64_t)out_row[t] * C, s.x.data() + t * C, nw, nb, 1, C, hp.norm_eps);
    }
    observe(ctx, w.output, s.lnf.data(), n_out);   // the head's name: output.weight, or token_embd.weight if tied
    matmul_forward(logits, s.lnf.data(), w.output, nullptr, n_out, pool, s.mm);
}

}  // namespace gpt2
