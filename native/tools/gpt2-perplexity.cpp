// gpt2-perplexity — measures how well a model predicts a text: the mean negative log-likelihood of each
// next token (nats/token) and its perplexity, over consecutive non-overlapping windows of CTX tokens, each
// run as one prompt batch with logits at every position (the first token of a window is context only).
// With --kl-base it also runs a base model (e.g. the f32 file) on the same windows and reports the mean
// KL(base || model) per token and how often both pick the same most likely token — the cost of a
// quantized type. Each mean comes with its standard error, estimated from the spread of the per-window means
// (positions inside a window share their context and are not independent; windows nearly are), and --json
// lists the per-window figures so that two models on the same windows can be compared pairwise
// (bench/quant-quality.sh does). All maths in double. Errors go to stderr with exit status 1.
// Usage: gpt2-perplexity -m MODEL -f TEXT_FILE [-c CTX] [-t THREADS] [--max-tokens N] [--kl-base BASE]
//                        [--special] [--json]
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpt2.h"
#include "util/cli.h"
#include "util/json.h"

namespace {

struct Options {
    std::string model_path, text_path, base_path;
    int32_t n_ctx = 0;          // 0 = the model's context
    int32_t n_threads = 0;      // 0 = all cores
    int64_t max_tokens = 0;     // 0 = the whole file
    int32_t kv_type = GPT2_KV_AUTO;
    bool special = false;       // "<|endoftext|>" in the text is the special token
    bool json = false;
};

// What the windows measured; every total is derived from the per-window figures.
struct Totals {
    int64_t n_tokens_text = 0;          // tokens in the file (before --max-tokens)
    std::vector<int32_t> window_n;      // predicted positions per window
    std::vector<double> window_nll;     // per window: sum of -log p(next token), nats
    std::vector<double> window_kl;      // per window: sum of KL(base || model), nats
    int64_t n_agree = 0;                // positions where both argmaxes are equal
    double ms = 0;

    int64_t n_eval() const {            // predicted positions
        int64_t n = 0;
        for (int32_t k : window_n) n += k;
        return n;
    }
};

struct Estimate {
    double mean;     // sum / N
    double std_error;  // its standard error; NaN with fewer than 2 windows
};

// The mean of per-window SUMS over their N_W predictions, and its standard error. The windows are the independent
// units (positions inside one share their context), so the error is the spread of S_w - mean * n_w over them (the
// ratio estimator's variance): sqrt(W / (W - 1) * sum_w (S_w - mean n_w)^2) / N.
Estimate window_estimate(const std::vector<double> &sums, const std::vector<int32_t> &n) {
    const size_t w = sums.size();
    double total = 0, count = 0;
    for (size_t i = 0; i < w; ++i) {
        total += sums[i];
        count += n[i];
    }
    const double mean = total / count;
    if (w < 2) return {mean, NAN};
    double ss = 0;
    for (size_t i = 0; i < w; ++i) ss += (sums[i] - mean * n[i]) * (sums[i] - mean * n[i]);
    return {mean, std::sqrt((double)w / (double)(w - 1) * ss) / count};
}

using ModelPtr = std::unique_ptr<gpt2_model, void (*)(gpt2_model *)>;
using ContextPtr = std::unique_ptr<gpt2_context, void (*)(gpt2_context *)>;

int usage() {
    std::fprintf(stderr,
                 "usage: gpt2-perplexity -m MODEL.gguf -f TEXT_FILE [-c CTX] [-t THREADS] [--max-tokens N]\n"
                 "                       [--kl-base BASE.gguf] [--kv-type auto|f32|f16|q8_0] [--special] [--json]\n"
                 "  -c CTX            window length in tokens (default: the model's context)\n"
                 "  -t THREADS        compute threads (default 0 = all cores)\n"
                 "  --max-tokens N    only the first N tokens of the file (default: all)\n"
                 "  --kl-base BASE    also report KL(BASE || MODEL) per token and top-1 agreement\n"
                 "  --kv-type T       MODEL's KV cache type (default auto; BASE always uses auto)\n"
                 "  --special         \"<|endoftext|>\" in the text becomes the special token (default: plain text)\n"
                 "  --json            print one JSON object instead of text\n");
    return 1;
}

Options parse_args(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--json") o.json = true;
        else if (a == "--special") o.special = true;
        else if (!has_value && (a == "-m" || a == "-f" || a == "-c" || a == "-t" || a == "--max-tokens" ||
                                a == "--kl-base" || a == "--kv-type"))
            throw std::runtime_error(a + " needs a value");
        else if (a == "-m" || a == "--model") o.model_path = argv[++i];
        else if (a == "-f" || a == "--file") o.text_path = argv[++i];
        else if (a == "--kl-base") o.base_path = argv[++i];
        else if (a == "-c" || a == "--ctx") o.n_ctx = (int32_t)gpt2::cli_int(a, argv[++i], 2, 1 << 20);
        else if (a == "-t" || a == "--threads") o.n_threads = (int32_t)gpt2::cli_int(a, argv[++i], 0, 1024);
        else if (a == "--max-tokens") o.max_tokens = gpt2::cli_int(a, argv[++i], 2, INT32_MAX);
        else if (a == "--kv-type") {
            if (gpt2_kv_type_parse(argv[++i], &o.kv_type) != GPT2_OK) throw std::runtime_error(gpt2_last_error());
        }
        else throw std::runtime_error("unknown argument '" + a + "'");
    }
    if (o.model_path.empty()) throw std::runtime_error("-m MODEL is required");
    if (o.text_path.empty()) throw std::runtime_error("-f TEXT_FILE is required");
    return o;
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open text file '" + path + "'");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("cannot read text file '" + path + "'");
    return s;
}

void ok(int32_t status, const char *what) {
    if (status != GPT2_OK)
        throw std::runtime_error(std::string(what) + ": " + gpt2_status_name(status) + ": " + gpt2_last_error());
}

ModelPtr load_model(const std::string &path) {
    gpt2_model *m = nullptr;
    ok(gpt2_model_load(path.c_str(), nullptr, &m), ("loading '" + path + "'").c_str());
    return ModelPtr(m, gpt2_model_free);
}

ContextPtr make_context(const gpt2_model *model, int32_t n_ctx, int32_t n_threads, int32_t kv_type) {
    gpt2_context_params p = gpt2_context_default_params();
    p.n_ctx = n_ctx;
    p.n_seq_max = 1;
    p.n_batch = n_ctx;      // a whole window runs as one batch
    p.n_threads = n_threads;
    p.kv_type = kv_type;
    gpt2_context *c = nullptr;
    ok(gpt2_context_create(model, &p, &c), "creating context");
    return ContextPtr(c, gpt2_context_free);
}

std::vector<int32_t> tokenize(const gpt2_model *model, const std::string &text, bool special) {
    if (text.size() > (size_t)INT32_MAX) throw std::runtime_error("text file is larger than 2 GiB");
    int32_t n = 0;
    const int32_t st = gpt2_tokenize(model, text.data(), (int32_t)text.size(), special, nullptr, 0, &n);
    if (st != GPT2_OK && st != GPT2_ERR_BUFFER_TOO_SMALL) ok(st, "tokenizing");
    std::vector<int32_t> ids((size_t)n);
    ok(gpt2_tokenize(model, text.data(), (int32_t)text.size(), special, ids.data(), n, &n), "tokenizing");
    ids.resize((size_t)n);
    return ids;
}

// Runs TOKENS (one window) from position 0 of sequence 0 with logits at every position.
void decode_window(gpt2_context *ctx, const int32_t *tokens, int32_t n) {
    ok(gpt2_context_seq_clear(ctx, 0), "clearing the sequence");
    std::vector<int32_t> seq((size_t)n, 0), pos((size_t)n);
    std::vector<int8_t> want((size_t)n, 1);
    for (int32_t i = 0; i < n; ++i) pos[(size_t)i] = i;
    ok(gpt2_decode(ctx, n, seq.data(), pos.data(), tokens, want.data()), "decoding");
}

// logits (n_vocab) -> log-softmax in double into out; returns the argmax.
int32_t log_softmax(const float *logits, int32_t n_vocab, std::vector<double> *out) {
    out->resize((size_t)n_vocab);
    int32_t best = 0;
    for (int32_t v = 1; v < n_vocab; ++v)
        if (logits[v] > logits[best]) best = v;
    const double max = logits[best];
    double sum = 0;
    for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp((double)logits[v] - max);
    const double log_z = max + std::log(sum);
    for (int32_t v = 0; v < n_vocab; ++v) (*out)[(size_t)v] = (double)logits[v] - log_z;
    return best;
}

const float *logits_at(gpt2_context *ctx, int32_t i) {
    const float *l = gpt2_get_logits(ctx, i);
    if (!l) throw std::runtime_error(std::string("no logits: ") + gpt2_last_error());
    return l;
}

Totals evaluate(const Options &o, const gpt2_model *model, const gpt2_model *base) {
    Totals t;
    std::vector<int32_t> tokens = tokenize(model, read_file(o.text_path), o.special);
    t.n_tokens_text = (int64_t)tokens.size();
    if (o.max_tokens > 0 && (int64_t)tokens.size() > o.max_tokens) tokens.resize((size_t)o.max_tokens);
    if (tokens.size() < 2) throw std::runtime_error("the text has fewer than 2 tokens: nothing to predict");

    const int32_t n_ctx = o.n_ctx > 0 ? o.n_ctx : gpt2_model_n_ctx_train(model);
    if (n_ctx > gpt2_model_n_ctx_train(model))
        throw std::runtime_error("-c " + std::to_string(n_ctx) + " exceeds the model's context " +
                                 std::to_string(gpt2_model_n_ctx_train(model)));
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    ContextPtr ctx = make_context(model, n_ctx, o.n_threads, o.kv_type);
    ContextPtr base_ctx(nullptr, gpt2_context_free);
    if (base) {
        if (gpt2_model_n_vocab(base) != n_vocab)
            throw std::runtime_error("the base model's vocabulary differs from the model's");
        if (gpt2_model_n_ctx_train(base) < n_ctx)
            throw std::runtime_error("the base model's context is shorter than the window");
        base_ctx = make_context(base, n_ctx, o.n_threads, GPT2_KV_AUTO);
    }

    std::vector<double> lp, lp_base;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t start = 0; start + 1 < tokens.size(); start += (size_t)n_ctx) {
        const int32_t n = (int32_t)std::min((size_t)n_ctx, tokens.size() - start);
        if (n < 2) break;
        const int32_t *win = tokens.data() + start;
        decode_window(ctx.get(), win, n);
        if (base) decode_window(base_ctx.get(), win, n);
        double nll_w = 0, kl_w = 0;
        for (int32_t i = 0; i + 1 < n; ++i) {
            const int32_t top = log_softmax(logits_at(ctx.get(), i), n_vocab, &lp);
            nll_w -= lp[(size_t)win[i + 1]];
            if (base) {
                const int32_t top_base = log_softmax(logits_at(base_ctx.get(), i), n_vocab, &lp_base);
                double kl = 0;
                for (int32_t v = 0; v < n_vocab; ++v)
                    kl += std::exp(lp_base[(size_t)v]) * (lp_base[(size_t)v] - lp[(size_t)v]);
                kl_w += kl;
                t.n_agree += top == top_base;
            }
        }
        t.window_n.push_back(n - 1);
        t.window_nll.push_back(nll_w);
        t.window_kl.push_back(kl_w);
    }
    t.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return t;
}

std::string json_string(const std::string &s) {
    std::string out;
    gpt2::json_append_string(out, s);
    return out;
}

// A JSON number, or null for NaN (a standard error of one window).
std::string json_number(double v, const char *format) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

// "[s0/n0,s1/n1,...]": the per-window means
std::string json_window_means(const std::vector<double> &sums, const std::vector<int32_t> &n) {
    std::string out = "[";
    for (size_t i = 0; i < sums.size(); ++i) out += (i ? "," : "") + json_number(sums[i] / n[i], "%.9g");
    return out + "]";
}

void report(const Options &o, const gpt2_model *model, int32_t n_ctx, const Totals &t, bool with_base) {
    const int64_t n_eval = t.n_eval();
    const int32_t n_windows = (int32_t)t.window_n.size();
    const Estimate nll_est = window_estimate(t.window_nll, t.window_n);
    const Estimate kl_est = with_base ? window_estimate(t.window_kl, t.window_n) : Estimate{0, NAN};
    const double nll = nll_est.mean, nll_se = nll_est.std_error, kl = kl_est.mean, kl_se = kl_est.std_error;
    const double ppl = std::exp(nll);
    const double agree_pct = with_base ? 100.0 * (double)t.n_agree / (double)n_eval : 0;
    const int64_t file_bytes = gpt2_model_file_size_bytes(model);
    if (o.json) {
        std::printf("{\"model\":%s,\"type\":%d,\"file_size_bytes\":%lld,\"text\":%s,\"n_ctx\":%d,"
                    "\"n_tokens_text\":%lld,\"n_windows\":%d,\"n_tokens_evaluated\":%lld,"
                    "\"nll_nats_per_token\":%.9f,\"nll_stderr\":%s,\"perplexity\":%.9f,"
                    "\"window_tokens\":[",
                    json_string(o.model_path).c_str(), gpt2_model_type(model), (long long)file_bytes,
                    json_string(o.text_path).c_str(), n_ctx, (long long)t.n_tokens_text, n_windows,
                    (long long)n_eval, nll, json_number(nll_se, "%.9f").c_str(), ppl);
        for (size_t i = 0; i < t.window_n.size(); ++i) std::printf("%s%d", i ? "," : "", t.window_n[i]);
        std::printf("],\"window_nll\":%s", json_window_means(t.window_nll, t.window_n).c_str());
        if (with_base)
            std::printf(",\"kl_base\":%s,\"kl_nats_per_token\":%.12g,\"kl_stderr\":%s,\"window_kl\":%s,"
                        "\"top1_agreement_pct\":%.6f",
                        json_string(o.base_path).c_str(), kl, json_number(kl_se, "%.12g").c_str(),
                        json_window_means(t.window_kl, t.window_n).c_str(), agree_pct);
        std::printf(",\"ms\":%.1f}\n", t.ms);
        return;
    }
    std::printf("model               %s (%lld bytes)\n", o.model_path.c_str(), (long long)file_bytes);
    std::printf("text                %s: %lld tokens, %lld evaluated in %d windows of <= %d\n",
                o.text_path.c_str(), (long long)t.n_tokens_text, (long long)n_eval, n_windows, n_ctx);
    // the standard error needs two windows or more
    auto pm = [](double se, const char *format) { return std::isfinite(se) ? " +- " + json_number(se, format) : std::string(); };
    std::printf("nll_nats_per_token  %.6f%s\n", nll, pm(nll_se, "%.6f").c_str());
    std::printf("perplexity          %.4f\n", ppl);
    if (with_base) {
        std::printf("kl_nats_per_token   %.8f%s (vs %s)\n", kl, pm(kl_se, "%.8f").c_str(), o.base_path.c_str());
        std::printf("top1_agreement      %.3f %%\n", agree_pct);
    }
    std::printf("ms                  %.1f (%.1f tokens/s)\n", t.ms, t.ms > 0 ? 1000.0 * (double)n_eval / t.ms : 0);
}

}  // namespace

int main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") return usage();
    }
    try {
        const Options o = parse_args(argc, argv);
        ModelPtr model = load_model(o.model_path);
        ModelPtr base(nullptr, gpt2_model_free);
        if (!o.base_path.empty()) base = load_model(o.base_path);
        const Totals t = evaluate(o, model.get(), base.get());
        const int32_t n_ctx = o.n_ctx > 0 ? o.n_ctx : gpt2_model_n_ctx_train(model.get());
        report(o, model.get(), n_ctx, t, base != nullptr);
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-perplexity: %s\n", e.what());
        return 1;
    }
}
