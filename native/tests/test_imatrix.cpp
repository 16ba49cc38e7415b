// test_imatrix.cpp — the importance matrix end to end: the forward pass's collector sees every matrix product
// with the right widths and token counts; the file round-trips in llama.cpp's GGUF layout and malformed files
// fail with clear errors; every quantizer lowers the importance-weighted error when given an importance; the
// requantizer applies an imatrix, records it in the file, and refuses one of another model; the tools' exits.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "util/error.h"
#include "check.h"
#include "convert/gpt2_gguf.h"
#include "convert/imatrix.h"
#include "convert/random_model.h"
#include "convert/requantize.h"
#include "gguf/gguf.h"
#include "gpt2.h"
#include "model/context.h"
#include "model/lookup_fisher.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

using namespace gpt2;

namespace {

const std::string DIR = std::string(GPT2_BINARY_DIR) + "/test_imatrix_files";
const std::string VOCAB = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";

int32_t status_of(const std::function<void()> &fn, std::string *msg) {
    try {
        fn();
    } catch (const Error &e) {
        *msg = e.what();
        return e.status();
    }
    msg->clear();
    return GPT2_OK;
}

void test_record() {
    ActivationStats s;
    const float x[6] = {1, -2, 3, 0.5f, 0, -1};   // 2 tokens of 3
    s.record("w", x, 2, 3);
    s.record("w", x, 1, 3);
    const ActivationStats::Entry &e = s.entries.at("w");
    CHECK_EQ(e.count, (int64_t)3);
    CHECK(e.sum_sq.size() == 3 && e.sum_sq[0] == 2.25 && e.sum_sq[1] == 8.0 && e.sum_sq[2] == 19.0);
    std::string msg;
    CHECK(status_of([&] { s.record("w", x, 1, 2); }, &msg) == GPT2_ERR_INTERNAL);   // another width
}

// A random 256-wide model run with a collector attached: one entry per matrix, each with its input width and
// the number of tokens it multiplied; a second identical batch doubles every sum.
void test_collect(const std::string &model_path) {
    gpt2_model *m = nullptr;
    CHECK_MSG(gpt2_model_load(model_path.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
    if (!m) return;
    gpt2_context_params p = gpt2_context_default_params();
    p.n_ctx = 32;
    p.n_threads = 2;
    gpt2_context *ctx = nullptr;
    CHECK(gpt2_context_create(m, &p, &ctx) == GPT2_OK);
    ActivationStats stats;
    ctx->activation_stats = &stats;
    const int32_t T = 12;
    std::vector<int32_t> seq(T, 0), pos(T), tok(T);
    std::vector<int8_t> want(T, 0);
    for (int32_t i = 0; i < T; ++i) {
        pos[(size_t)i] = i;
        tok[(size_t)i] = 100 + 7 * i;
    }
    want[T - 1] = 1;
    want[3] = 1;   // the head multiplies only the rows that want logits
    CHECK(gpt2_decode(ctx, T, seq.data(), pos.data(), tok.data(), want.data()) == GPT2_OK);
    CHECK_EQ(stats.entries.size(), (size_t)(2 * 4 + 1));
    for (int l = 0; l < 2; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        for (const char *n : {"attn_qkv.weight", "attn_output.weight", "ffn_up.weight", "ffn_down.weight"}) {
            const auto it = stats.entries.find(b + n);
            CHECK_MSG(it != stats.entries.end(), "no entry %s%s", b.c_str(), n);
            if (it == stats.entries.end()) continue;
            CHECK_EQ(it->second.count, (int64_t)T);
            CHECK_EQ(it->second.sum_sq.size(), (size_t)(std::strcmp(n, "ffn_down.weight") == 0 ? 1024 : 256));
            for (double v : it->second.sum_sq) CHECK_MSG(v >= 0 && std::isfinite(v), "%s%s: %g", b.c_str(), n, v);
        }
    }
    const auto head = stats.entries.find("token_embd.weight");   // tied head
    CHECK(head != stats.entries.end() && head->second.count == 2 && head->second.sum_sq.size() == 256);
    const ActivationStats once = stats;
    CHECK(gpt2_context_seq_clear(ctx, 0) == GPT2_OK);
    CHECK(gpt2_decode(ctx, T, seq.data(), pos.data(), tok.data(), want.data()) == GPT2_OK);
    bool doubled = true;
    for (const auto &e : stats.entries) {
        const ActivationStats::Entry &a = once.entries.at(e.first);
        doubled = doubled && e.second.count == 2 * a.count;
        for (size_t k = 0; k < a.sum_sq.size(); ++k)   // the same inputs again; only the summation order differs
            doubled = doubled && std::fabs(e.second.sum_sq[k] - 2 * a.sum_sq[k]) <= 1e-12 * (1 + a.sum_sq[k]);
    }
    CHECK(doubled);
    ctx->activation_stats = nullptr;
    gpt2_context_free(ctx);
    gpt2_model_free(m);
}

void test_file() {
    ActivationStats s;
    const float x[8] = {1, 2, 3, 4, -1, 0, 2, 1};
    s.record("blk.0.attn_qkv.weight", x, 2, 4);
    s.record("token_embd.weight", x, 1, 8);
    const std::string path = DIR + "/round.imatrix.gguf";
    imatrix_save(path, s, {"calib.txt"}, 3, 2);
    {
        auto f = GgufFile::open(path, false);   // llama.cpp's layout
        CHECK(f->find("general.type") && f->find("general.type")->str == "imatrix");
        CHECK(f->find("imatrix.chunk_count") && f->find("imatrix.chunk_count")->i64 == 3);
        const GgufTensorInfo *t = f->find_tensor("blk.0.attn_qkv.weight.in_sum2");
        CHECK(t && t->type == GPT2_TYPE_F32 && t->ne[0] == 4 && t->ne[1] == 1);
        const GgufTensorInfo *c = f->find_tensor("blk.0.attn_qkv.weight.counts");
        CHECK(c && c->nbytes == 4 && *(const float *)c->data == 2.0f);
    }
    const ImportanceMatrix m = imatrix_load(path);
    CHECK(m.datasets.size() == 1 && m.datasets[0] == "calib.txt" && m.chunk_count == 3 && m.chunk_size == 2);
    const float *q = m.find("blk.0.attn_qkv.weight", 4);
    CHECK(q && q[0] == 1.0f && q[1] == 2.0f && q[2] == 6.5f && q[3] == 8.5f);   // (1+1)/2, (4+0)/2, (9+4)/2, (16+1)/2
    CHECK(m.find("blk.1.ffn_up.weight", 4) == nullptr);
    std::string msg;
    CHECK(status_of([&] { m.find("token_embd.weight", 16); }, &msg) == GPT2_ERR_INVALID_ARGUMENT &&
          msg.find("token_embd.weight") != std::string::npos);

    // malformed files: each fails with FORMAT and says what is wrong
    struct Bad { const char *name; std::function<void(GgufWriter &)> write; const char *says; };
    const float one = 1.0f, zero = 0.0f, neg[2] = {1.0f, -1.0f};
    const Bad bads[] = {
        {"no_counts", [&](GgufWriter &w) {
             w.add_tensor("a.in_sum2", GPT2_TYPE_F32, {2, 1});
             w.write_header();
             w.write_tensor_data(0, neg, 8);
         }, "has no a.counts"},
        {"zero_count", [&](GgufWriter &w) {
             w.add_tensor("a.in_sum2", GPT2_TYPE_F32, {1, 1});
             w.add_tensor("a.counts", GPT2_TYPE_F32, {1, 1});
             w.write_header();
             w.write_tensor_data(0, &one, 4);
             w.write_tensor_data(1, &zero, 4);
         }, "never seen"},
        {"negative", [&](GgufWriter &w) {
             w.add_tensor("a.in_sum2", GPT2_TYPE_F32, {2, 1});
             w.add_tensor("a.counts", GPT2_TYPE_F32, {1, 1});
             w.write_header();
             w.write_tensor_data(0, neg, 8);
             w.write_tensor_data(1, &one, 4);
         }, "negative"},
        {"model_type", [&](GgufWriter &w) {
             w.set_str("general.type", "model");
             w.write_header();
         }, "not \"imatrix\""},
        {"empty", [&](GgufWriter &w) { w.write_header(); }, "no .in_sum2"},
    };
    for (const Bad &b : bads) {
        const std::string p = DIR + "/" + b.name + ".imatrix.gguf";
        gguf_write_file(p, b.write);
        const int32_t st = status_of([&] { imatrix_load(p); }, &msg);
        CHECK_MSG(st == GPT2_ERR_FORMAT && msg.find(b.says) != std::string::npos, "%s: %s (%s)", b.name,
                  gpt2_status_name(st), msg.c_str());
    }
    CHECK(status_of([&] { imatrix_load(DIR + "/absent.gguf"); }, &msg) != GPT2_OK);

    // the lookup Fisher: saved as a sum with its count (our extension), loaded as the mean per position
    LookupFisher lf;
    lf.n_embd = 2;
    lf.sum = {4.0, 1.0, 1.0, 2.0};
    lf.positions = 2;
    const std::string lpath = DIR + "/lookup.imatrix.gguf";
    imatrix_save(lpath, s, {"calib.txt"}, 3, 2, &lf);
    {
        auto f = GgufFile::open(lpath, false);
        const GgufTensorInfo *t = f->find_tensor("token_embd.weight.lookup_fisher");
        CHECK(t && t->type == GPT2_TYPE_F32 && t->ne[0] == 2 && t->ne[1] == 2);
        const GgufTensorInfo *c = f->find_tensor("token_embd.weight.lookup_counts");
        CHECK(c && c->nbytes == 4 && *(const float *)c->data == 2.0f);
    }
    const ImportanceMatrix ml = imatrix_load(lpath);
    CHECK(ml.lookup_fisher == std::vector<float>({2.0f, 0.5f, 0.5f, 1.0f}) && ml.mean_sq.size() == 2);
    CHECK(m.lookup_fisher.empty());
    auto lookup_file = [&](const float *f4, const float *count) {
        return [=](GgufWriter &w) {
            w.add_tensor("a.in_sum2", GPT2_TYPE_F32, {1, 1});
            w.add_tensor("a.counts", GPT2_TYPE_F32, {1, 1});
            w.add_tensor("token_embd.weight.lookup_fisher", GPT2_TYPE_F32, {2, 2});
            if (count) w.add_tensor("token_embd.weight.lookup_counts", GPT2_TYPE_F32, {1, 1});
            w.write_header();
            w.write_tensor_data(0, &one, 4);
            w.write_tensor_data(1, &one, 4);
            w.write_tensor_data(2, f4, 16);
            if (count) w.write_tensor_data(3, count, 4);
        };
    };
    static const float asym[4] = {1, 2, 3, 1}, negdiag[4] = {-1, 0, 0, 1}, fine[4] = {1, 0, 0, 1};
    const struct { const char *name; const float *f; const float *count; const char *says; } lbads[] = {
        {"lookup_asym", asym, &one, "symmetric"},
        {"lookup_negdiag", negdiag, &one, "negative"},
        {"lookup_nocount", fine, nullptr, "has no token_embd.weight.lookup_counts"},
        {"lookup_zerocount", fine, &zero, "positive count"},
    };
    for (const auto &b : lbads) {
        const std::string p = DIR + "/" + b.name + ".imatrix.gguf";
        gguf_write_file(p, lookup_file(b.f, b.count));
        const int32_t st = status_of([&] { imatrix_load(p); }, &msg);
        CHECK_MSG(st == GPT2_ERR_FORMAT && msg.find(b.says) != std::string::npos, "%s: %s (%s)", b.name,
                  gpt2_status_name(st), msg.c_str());
    }
}

// Given column importances spanning 4 decades, every quantizer's importance-weighted squared error is lower
// than without them (by at least 5%: weighting moves the scales towards the columns that count).
void test_weighted_quantizers() {
    SplitMix64 rng{7};
    const int64_t n = 4 * QK_K;
    std::vector<float> x((size_t)n), qw((size_t)n), y((size_t)n);
    fill_normal(rng, x.data(), n, 0.0f, 0.02f);
    for (int64_t i = 0; i < n; ++i) qw[(size_t)i] = std::pow(10.0f, (float)(4.0 * rng.uniform() - 2.0));
    const gpt2_type types[] = {GPT2_TYPE_Q4_0, GPT2_TYPE_Q4_1, GPT2_TYPE_Q5_0, GPT2_TYPE_Q5_1, GPT2_TYPE_IQ4_NL,
                               GPT2_TYPE_Q2_K, GPT2_TYPE_Q3_K, GPT2_TYPE_Q4_K, GPT2_TYPE_Q5_K, GPT2_TYPE_Q6_K};
    for (gpt2_type t : types) {
        double err[2];
        for (int with = 0; with < 2; ++with) {
            const std::vector<uint8_t> enc = tensor_encode(x.data(), n, 1, t, with ? qw.data() : nullptr);
            dequantize_row(t, enc.data(), y.data(), n);
            err[with] = 0;
            for (int64_t i = 0; i < n; ++i) err[with] += qw[(size_t)i] * (y[(size_t)i] - x[(size_t)i]) * (y[(size_t)i] - x[(size_t)i]);
        }
        CHECK_MSG(err[1] < 0.95 * err[0], "%s: weighted error %g with the importances, %g without", type_name(t),
                  err[1], err[0]);
    }
}

void test_requantize_with_imatrix(const std::string &model_path) {
    // an imatrix of this model (its own activations), then q4_K with and without it
    gpt2_model *m = nullptr;
    CHECK(gpt2_model_load(model_path.c_str(), nullptr, &m) == GPT2_OK);
    if (!m) return;
    gpt2_context_params p = gpt2_context_default_params();
    p.n_ctx = 32;
    gpt2_context *ctx = nullptr;
    CHECK(gpt2_context_create(m, &p, &ctx) == GPT2_OK);
    ActivationStats stats;
    ctx->activation_stats = &stats;
    std::vector<int32_t> seq(32, 0), pos(32), tok(32);
    std::vector<int8_t> want(32, 1);
    for (int32_t i = 0; i < 32; ++i) {
        pos[(size_t)i] = i;
        tok[(size_t)i] = (i * 977) % 50000;
    }
    CHECK(gpt2_decode(ctx, 32, seq.data(), pos.data(), tok.data(), want.data()) == GPT2_OK);
    gpt2_context_free(ctx);
    gpt2_model_free(m);
    const std::string im = DIR + "/model.imatrix.gguf", weighted = DIR + "/im_q4_K.gguf";   // q4_K below
    imatrix_save(im, stats, {"tokens"}, 1, 32);
    const ImportanceMatrix imatrix = imatrix_load(im);
    QuantRecipe r;
    std::string msg;
    // q4_K weights the tied embedding by half the head's columns: it changes; q2_K quantizes it as without an
    // imatrix (any head share raised its KL): the same bytes, while its layers still change
    for (const char *type : {"q2_K", "q4_K"}) {
        const bool embd_weighted = std::string(type) == "q4_K";
        const std::string p0 = DIR + "/plain_" + type + ".gguf", p1 = DIR + "/im_" + type + ".gguf";
        CHECK(recipe_from_name(type, &r));
        CHECK_MSG(status_of([&] { gguf_requantize(model_path, p0, r); }, &msg) == GPT2_OK, "%s", msg.c_str());
        CHECK_MSG(status_of([&] { gguf_requantize(model_path, p1, r, &imatrix, im); }, &msg) == GPT2_OK, "%s",
                  msg.c_str());
        auto a = GgufFile::open(p0, false), b = GgufFile::open(p1, false);
        CHECK(b->find("quantize.imatrix.file") && b->find("quantize.imatrix.file")->str == im);
        CHECK(b->find("quantize.imatrix.entries_count") && b->find("quantize.imatrix.entries_count")->i64 == 9);
        CHECK(a->find("quantize.imatrix.file") == nullptr);
        for (const char *t : {"blk.0.ffn_down.weight", "token_embd.weight"}) {
            const bool changes = embd_weighted || std::string(t) != "token_embd.weight";
            const GgufTensorInfo *ta = a->find_tensor(t), *tb = b->find_tensor(t);
            CHECK_MSG(ta && tb && ta->nbytes == tb->nbytes && (std::memcmp(ta->data, tb->data, ta->nbytes) != 0) == changes,
                      "%s %s: the imatrix %s", type, t, changes ? "changed nothing" : "changed it");
        }
    }
    // with a lookup Fisher in the file, the embedding's levels are re-rounded against it (error feedback): the
    // layers stay as with the column statistics alone, the embedding's error in the Fisher's metric falls
    {
        gpt2_model *mm = nullptr;
        CHECK(gpt2_model_load(model_path.c_str(), nullptr, &mm) == GPT2_OK);
        gpt2_context_params cp = gpt2_context_default_params();
        cp.n_ctx = 32;
        gpt2_context *c2 = nullptr;
        CHECK(gpt2_context_create(mm, &cp, &c2) == GPT2_OK);
        LookupFisher lf;
        lookup_fisher_add_window(*c2, tok.data(), 4, 1, lf);
        gpt2_context_free(c2);
        gpt2_model_free(mm);
        const std::string iml = DIR + "/model-lookup.imatrix.gguf";
        imatrix_save(iml, stats, {"tokens"}, 1, 32, &lf);
        const ImportanceMatrix with_lookup = imatrix_load(iml);
        const int64_t C = lf.n_embd;
        for (const char *type : {"q4_0", "q3_K"}) {
            const std::string p1 = DIR + "/im_" + type + ".gguf", p2 = DIR + "/iml_" + type + ".gguf";
            CHECK(recipe_from_name(type, &r));
            CHECK_MSG(status_of([&] { gguf_requantize(model_path, p1, r, &imatrix, im); }, &msg) == GPT2_OK, "%s", msg.c_str());
            CHECK_MSG(status_of([&] { gguf_requantize(model_path, p2, r, &with_lookup, iml); }, &msg) == GPT2_OK, "%s", msg.c_str());
            auto f0 = GgufFile::open(model_path, false), f1 = GgufFile::open(p1, false), f2 = GgufFile::open(p2, false);
            const GgufTensorInfo *l1 = f1->find_tensor("blk.1.ffn_up.weight"), *l2 = f2->find_tensor("blk.1.ffn_up.weight");
            CHECK(l1 && l2 && l1->nbytes == l2->nbytes && std::memcmp(l1->data, l2->data, l1->nbytes) == 0);
            const GgufTensorInfo *e0 = f0->find_tensor("token_embd.weight"), *e1 = f1->find_tensor("token_embd.weight"),
                                 *e2 = f2->find_tensor("token_embd.weight");
            const int64_t rows = e0->ne[1];
            const std::vector<float> x = tensor_decode(e0->data, (gpt2_type)e0->type, C, rows),
                                     y1 = tensor_decode(e1->data, (gpt2_type)e1->type, C, rows),
                                     y2 = tensor_decode(e2->data, (gpt2_type)e2->type, C, rows);
            double q1 = 0, q2 = 0;
            for (int64_t row = 0; row < rows; row += 97) {   // a sample of rows
                for (int64_t i = 0; i < C; ++i) {
                    for (int64_t j = 0; j < C; ++j) {
                        const double f = with_lookup.lookup_fisher[(size_t)(i * C + j)];
                        const size_t a = (size_t)(row * C + i), b = (size_t)(row * C + j);
                        q1 += (x[a] - y1[a]) * f * (x[b] - y1[b]);
                        q2 += (x[a] - y2[a]) * f * (x[b] - y2[b]);
                    }
                }
            }
            std::printf("  %s embedding: lookup Fisher error %.4g -> %.4g\n", type, q1, q2);
            CHECK_MSG(q2 < 0.5 * q1, "%s: error feedback left the embedding's Fisher error at %g of %g", type, q2, q1);
        }
        // a lookup Fisher of another width is refused
        LookupFisher narrow;
        narrow.n_embd = 2;
        narrow.sum = {1, 0, 0, 1};
        narrow.positions = 1;
        imatrix_save(DIR + "/narrow.imatrix.gguf", stats, {"tokens"}, 1, 32, &narrow);
        const ImportanceMatrix nm = imatrix_load(DIR + "/narrow.imatrix.gguf");
        CHECK(status_of([&] { gguf_requantize(model_path, DIR + "/narrow.gguf", r, &nm, "narrow"); }, &msg) ==
                  GPT2_ERR_INVALID_ARGUMENT && msg.find("lookup Fisher") != std::string::npos);
    }
    gpt2_model *q = nullptr;
    CHECK_MSG(gpt2_model_load(weighted.c_str(), nullptr, &q) == GPT2_OK, "%s", gpt2_last_error());
    if (q) gpt2_model_free(q);
    // an imatrix of another model (other widths) is refused, naming the entry
    ActivationStats other;
    const std::vector<float> x(512, 1.0f);
    other.record("blk.0.attn_qkv.weight", x.data(), 1, 512);
    imatrix_save(DIR + "/other.imatrix.gguf", other, {}, 1, 1);
    const ImportanceMatrix wrong = imatrix_load(DIR + "/other.imatrix.gguf");
    CHECK(status_of([&] { gguf_requantize(model_path, DIR + "/wrong.gguf", r, &wrong, "other"); }, &msg) ==
              GPT2_ERR_INVALID_ARGUMENT &&
          msg.find("blk.0.attn_qkv.weight") != std::string::npos);
    struct stat st;
    CHECK(stat((DIR + "/wrong.gguf").c_str(), &st) != 0);   // nothing half-written left behind
}

// The tools as a user runs them: gpt2-imatrix writes a file gpt2-quantize --imatrix takes; bad input exits 1
// with one line, bad usage 2.
void test_cli(const std::string &model_path) {
    const std::string bin = std::string(GPT2_BINARY_DIR) + "/", text = DIR + "/calib.txt", im = DIR + "/cli.imatrix.gguf";
    std::string words;
    for (int i = 0; i < 300; ++i) words += "the king and the queen walked " + std::to_string(i) + " miles. ";
    if (std::FILE *f = std::fopen(text.c_str(), "wb")) {
        std::fwrite(words.data(), 1, words.size(), f);
        std::fclose(f);
    }
    const std::string quiet = " >/dev/null 2>" + DIR + "/cli.err";
    CHECK_EQ(std::system((bin + "gpt2-imatrix -m " + model_path + " -f " + text + " -o " + im + " -c 64 -t 2 --lookup-tokens 0" + quiet).c_str()), 0);
    ImportanceMatrix m;
    std::string msg;
    CHECK_MSG(status_of([&] { m = imatrix_load(im); }, &msg) == GPT2_OK, "%s", msg.c_str());
    CHECK(m.lookup_fisher.empty());
    CHECK_EQ(std::system((bin + "gpt2-imatrix -m " + model_path + " -f " + text + " -o " + im + " -c 64 -t 2 --lookup-tokens 4" + quiet).c_str()), 0);
    CHECK_MSG(status_of([&] { m = imatrix_load(im); }, &msg) == GPT2_OK, "%s", msg.c_str());
    CHECK_EQ(m.lookup_fisher.size(), (size_t)(256 * 256));
    CHECK_EQ(m.mean_sq.size(), (size_t)9);
    CHECK(m.chunk_size == 64 && m.chunk_count >= 10 && m.datasets.size() == 1 && m.datasets[0] == "calib.txt");
    CHECK_EQ(std::system((bin + "gpt2-quantize " + model_path + " " + DIR + "/cli_q4_K.gguf q4_K --imatrix " + im + quiet).c_str()), 0);
    auto status = [](int rc) { return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1; };
    CHECK_EQ(status(std::system((bin + "gpt2-imatrix -m " + model_path + " -f " + text + quiet).c_str())), 2);   // no -o
    CHECK_EQ(status(std::system((bin + "gpt2-imatrix -m " + model_path + " -f " + text + " -o " + im + " -c 9999" + quiet).c_str())), 1);
    CHECK_EQ(status(std::system((bin + "gpt2-quantize " + model_path + " " + DIR + "/x.gguf q4_K --imatrix " + model_path + quiet).c_str())), 1);
}

}  // namespace

int main() {
    mkdir(DIR.c_str(), 0755);
    RandomModelOptions o;
    o.n_layer = 2;
    o.n_head = 4;
    o.n_embd = 256;
    o.n_ctx = 64;
    o.seed = 21;
    o.vocab_dir = VOCAB;
    const std::string model = DIR + "/rand256.gguf";
    random_model_write(model, o);
    test_record();
    test_collect(model);
    test_file();
    test_weighted_quantizers();
    test_requantize_with_imatrix(model);
    test_cli(model);
    return check_summary("test_imatrix");
}
