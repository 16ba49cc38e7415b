// lookup_fisher.cpp — the Fisher information of the next-token distributions with respect to the input
// embedding, by finite differences (see lookup_fisher.h).
#include "model/lookup_fisher.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "model/context.h"
#include "model/model.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"
#include "util/error.h"

namespace gpt2 {

namespace {

constexpr double kEpsRelative = 1e-3;   // eps = this x the RMS of the window's token embedding values
constexpr double kMass = 0.999;         // tokens kept per output position: the likeliest, up to this probability
constexpr size_t kMaxTokens = 4096;     // ... and at most this many

void dequantize_rows(const TensorView &w, int64_t rows, int64_t C, std::vector<float> &out) {
    out.resize((size_t)(rows * C));
    const size_t row_bytes = type_row_bytes(w.type, C);
    for (int64_t r = 0; r < rows; ++r)
        dequantize_row(w.type, (const uint8_t *)w.data + (size_t)r * row_bytes, out.data() + r * C, C);
}

// The likeliest tokens of one output position and their probabilities (softmax of LOGITS, V entries).
void likely_tokens(const float *logits, int64_t V, std::vector<int32_t> &tok, std::vector<float> &p) {
    const float mx = *std::max_element(logits, logits + V);
    std::vector<double> e((size_t)V);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += e[(size_t)v] = std::exp((double)logits[v] - mx);
    std::vector<int32_t> order((size_t)V);
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min(kMaxTokens, (size_t)V);
    std::partial_sort(order.begin(), order.begin() + (ptrdiff_t)k, order.end(),
                      [&](int32_t a, int32_t b) { return e[(size_t)a] > e[(size_t)b]; });
    tok.clear();
    p.clear();
    double mass = 0;
    for (size_t i = 0; i < k && mass < kMass; ++i) {
        const double pi = e[(size_t)order[i]] / sum;
        tok.push_back(order[i]);
        p.push_back((float)pi);
        mass += pi;
    }
}

}  // namespace

void lookup_fisher_add_window(gpt2_context &ctx, const int32_t *tokens, int32_t T, uint64_t seed,
                              LookupFisher &acc) {
    const gpt2_model &m = *ctx.model;
    require_arg(!ctx.cuda, "lookup Fisher: needs a CPU context");
    require_arg(T >= 2 && T <= ctx.n_ctx && T <= ctx.n_batch, "lookup Fisher: the window does not fit the context");
    const int64_t C = m.hparams.n_embd, V = m.hparams.n_vocab;
    if (acc.n_embd == 0) {
        acc.n_embd = C;
        acc.sum.assign((size_t)(C * C), 0.0);
    }
    require_arg(acc.n_embd == C, "lookup Fisher: windows of another model");
    if (acc.head.empty()) {
        dequantize_rows(m.weights.output, V, C, acc.head);
        // the mean row and the mean outer product of all rows: the unlikely tokens' share (see below); V C^2 / 2
        // products, split over the pool's threads by rows of the vocabulary
        const int nth = ctx.pool->n_threads();
        std::vector<std::vector<double>> second((size_t)nth, std::vector<double>((size_t)(C * C), 0.0));
        ctx.pool->run([&](int ith, int nthr) {
            std::vector<double> &S = second[(size_t)ith];
            for (int64_t v = ith; v < V; v += nthr) {
                const float *e = acc.head.data() + v * C;
                for (int64_t i = 0; i < C; ++i) {
                    const double ei = e[i];
                    double *si = S.data() + i * C;
                    for (int64_t j = 0; j <= i; ++j) si[j] += ei * e[j];
                }
            }
        });
        acc.head_mean.assign((size_t)C, 0.0);
        acc.head_second.assign((size_t)(C * C), 0.0);
        for (int64_t v = 0; v < V; ++v)
            for (int64_t i = 0; i < C; ++i) acc.head_mean[(size_t)i] += acc.head[(size_t)(v * C + i)];
        for (int64_t i = 0; i < C; ++i) {
            acc.head_mean[(size_t)i] /= (double)V;
            for (int64_t j = 0; j <= i; ++j) {
                double sum = 0;
                for (const std::vector<double> &S : second) sum += S[(size_t)(i * C + j)];
                acc.head_second[(size_t)(i * C + j)] = acc.head_second[(size_t)(j * C + i)] = sum / (double)V;
            }
        }
    }

    const int64_t n_out = T - 1;   // the outputs that predict a token of the window
    std::vector<int32_t> seq((size_t)T, 0), pos((size_t)T);
    std::iota(pos.begin(), pos.end(), 0);

    // The unperturbed distributions: the likely tokens of each output position.
    std::vector<int8_t> want((size_t)T, 1);
    context_seq_clear(ctx, 0);
    context_decode(ctx, T, seq.data(), pos.data(), tokens, want.data());
    std::vector<std::vector<int32_t>> tok((size_t)n_out);
    std::vector<std::vector<float>> prob((size_t)n_out);
    for (int64_t t = 0; t < n_out; ++t) likely_tokens(context_logits(ctx, (int32_t)t), V, tok[(size_t)t], prob[(size_t)t]);

    // eps from the size of the embedding values the window looks up
    double sq = 0;
    {
        std::vector<float> row((size_t)C);
        const size_t row_bytes = type_row_bytes(m.weights.token_embd.type, C);
        for (int32_t t = 0; t < T; ++t) {
            dequantize_row(m.weights.token_embd.type,
                           (const uint8_t *)m.weights.token_embd.data + (size_t)tokens[t] * row_bytes, row.data(), C);
            for (float v : row) sq += (double)v * v;
        }
    }
    const float eps = (float)(kEpsRelative * std::sqrt(sq / (double)(T * C)));
    require_arg(eps > 0, "lookup Fisher: the window's embeddings are all zero");

    std::mt19937_64 rng(seed);
    std::vector<float> sign((size_t)T);
    for (float &s : sign) s = (rng() & 1) ? 1.0f : -1.0f;

    // J[t][i][c]: the change of final-norm value c at output t per unit of input dimension i (all positions)
    std::vector<float> J((size_t)(n_out * C * C));
    std::vector<float> delta((size_t)(T * C), 0.0f), plus((size_t)(T * C)), minus((size_t)(T * C));
    std::fill(want.begin(), want.end(), 0);
    EmbeddingProbe probe;
    ctx.embedding_probe = &probe;
    try {
        for (int64_t i = 0; i < C; ++i) {
            for (int32_t t = 0; t < T; ++t) delta[(size_t)(t * C + i)] = sign[(size_t)t] * eps;
            probe.input_delta = delta.data();
            probe.final_norm = plus.data();
            context_seq_clear(ctx, 0);
            context_decode(ctx, T, seq.data(), pos.data(), tokens, want.data());
            for (float &d : delta) d = -d;
            probe.final_norm = minus.data();
            context_seq_clear(ctx, 0);
            context_decode(ctx, T, seq.data(), pos.data(), tokens, want.data());
            for (int32_t t = 0; t < T; ++t) delta[(size_t)(t * C + i)] = 0.0f;
            for (int64_t t = 0; t < n_out; ++t)
                for (int64_t c = 0; c < C; ++c)
                    J[(size_t)((t * C + i) * C + c)] = (plus[(size_t)(t * C + c)] - minus[(size_t)(t * C + c)]) / (2 * eps);
        }
    } catch (...) {
        ctx.embedding_probe = nullptr;
        throw;
    }
    ctx.embedding_probe = nullptr;

    // Per output position t, with J_t (C x C) and the softmax's Fisher diag(p) - p p^T over the head's rows E_v:
    // F_t = J_t (sum_v p_v E_v E_v^T - m m^T) J_t^T, m = sum_v p_v E_v. The likely tokens count exactly (Z = J_t E_k^T
    // scaled by sqrt(p_k)); the rest, holding mass r, count as r times the mean outer product (and r times the mean
    // row in m) of all rows: a flat tail spreads over rows alike, and a full sum would cost V C^2 per position.
    // Spread over the pool's threads, each with its own sum.
    const int nth = ctx.pool->n_threads();
    std::vector<std::vector<double>> part((size_t)nth, std::vector<double>((size_t)(C * C), 0.0));
    ctx.pool->run([&](int ith, int nthr) {
        std::vector<float> Z, E;
        std::vector<double> a((size_t)C), JS((size_t)(C * C));
        std::vector<double> &F = part[(size_t)ith];
        for (int64_t t = ith; t < n_out; t += nthr) {
            const std::vector<int32_t> &tk = tok[(size_t)t];
            const std::vector<float> &p = prob[(size_t)t];
            const int64_t K = (int64_t)tk.size();
            double r = 1;
            for (float pk : p) r -= pk;
            r = std::max(r, 0.0);
            E.resize((size_t)(K * C));
            for (int64_t k = 0; k < K; ++k)
                std::copy_n(acc.head.data() + (size_t)tk[(size_t)k] * C, C, E.data() + k * C);
            Z.assign((size_t)(C * K), 0.0f);
            const float *Jt = J.data() + (size_t)(t * C * C);
            for (int64_t i = 0; i < C; ++i) {
                const float *ji = Jt + i * C;
                double ai = 0;
                for (int64_t c = 0; c < C; ++c) ai += r * ji[c] * acc.head_mean[(size_t)c];
                for (int64_t k = 0; k < K; ++k) {
                    const float *ek = E.data() + k * C;
                    float z = 0;
                    for (int64_t c = 0; c < C; ++c) z += ji[c] * ek[c];
                    ai += (double)p[(size_t)k] * z;
                    Z[(size_t)(i * K + k)] = std::sqrt(p[(size_t)k]) * z;
                }
                a[(size_t)i] = ai;
                if (r > 0) {   // row i of J_t S
                    double *jsi = JS.data() + i * C;
                    std::fill(jsi, jsi + C, 0.0);
                    for (int64_t c = 0; c < C; ++c) {
                        const double jc = ji[c];
                        const double *sc = acc.head_second.data() + c * C;
                        for (int64_t d = 0; d < C; ++d) jsi[d] += jc * sc[d];
                    }
                }
            }
            for (int64_t i = 0; i < C; ++i) {
                const float *zi = Z.data() + i * K;
                for (int64_t j = i; j < C; ++j) {
                    const float *zj = Z.data() + j * K;
                    float s = 0;
                    for (int64_t k = 0; k < K; ++k) s += zi[k] * zj[k];
                    double tail = 0;
                    if (r > 0) {
                        const double *jsi = JS.data() + i * C;
                        const float *jj = Jt + j * C;
                        for (int64_t d = 0; d < C; ++d) tail += jsi[d] * jj[d];
                    }
                    F[(size_t)(i * C + j)] += (double)s + r * tail - a[(size_t)i] * a[(size_t)j];
                }
            }
        }
    });
    for (const std::vector<double> &F : part)
        for (int64_t i = 0; i < C; ++i)
            for (int64_t j = i; j < C; ++j) acc.sum[(size_t)(i * C + j)] += F[(size_t)(i * C + j)];
    for (int64_t i = 0; i < C; ++i)
        for (int64_t j = 0; j < i; ++j) acc.sum[(size_t)(i * C + j)] = acc.sum[(size_t)(j * C + i)];
    acc.positions += n_out;
}

}  // namespace gpt2
