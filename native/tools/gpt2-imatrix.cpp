// gpt2-imatrix — computes an importance matrix: runs a calibration text through the model in consecutive
// windows of CTX tokens and records, for every weight matrix, the mean square of each input column
// (model/activation_stats.h), written in llama.cpp's GGUF imatrix layout (convert/imatrix.h). The output head
// is included (its input is the final norm of every position). gpt2-quantize --imatrix then weights rounding
// errors by it. Use text like what the model will see, and not the text you evaluate on.
// Besides, over the first --lookup-tokens tokens of the text, the Fisher information of the next-token
// distributions with respect to the input embedding (model/lookup_fisher.h), which gpt2-quantize uses to round
// the token embedding (its lookup role, which no column statistic sees). It costs 2 n_embd + 1 forward passes
// per window: seconds for a 256-wide model, minutes for gpt2 (768).
// Usage: gpt2-imatrix -m MODEL.gguf -f TEXT -o OUT.imatrix.gguf [-c CTX] [-t THREADS] [--max-tokens N]
//                     [--lookup-tokens N] [--special]
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "convert/imatrix.h"
#include "gpt2.h"
#include "util/cli.h"
#include "model/context.h"
#include "model/lookup_fisher.h"

namespace {

struct Options {
    std::string model_path, text_path, out_path;
    int32_t n_ctx = 256;
    int32_t n_threads = 0;
    int64_t max_tokens = 0;
    int64_t lookup_tokens = 256;
    bool special = false;
};

int usage() {
    std::fprintf(stderr,
                 "usage: gpt2-imatrix -m MODEL.gguf -f TEXT -o OUT.imatrix.gguf [-c CTX] [-t THREADS]\n"
                 "                    [--max-tokens N] [--lookup-tokens N] [--special]\n"
                 "  -c CTX            tokens per window (default 256, at most the model's context)\n"
                 "  -t THREADS        compute threads (default 0 = all cores)\n"
                 "  --max-tokens N    only the first N tokens of the text (default: all)\n"
                 "  --lookup-tokens N measure the token embedding's lookup Fisher over the first N tokens\n"
                 "                    (default 256; 0 = not at all)\n"
                 "  --special         \"<|endoftext|>\" in the text becomes the special token\n");
    return 2;
}

void ok(int32_t status, const std::string &what) {
    if (status != GPT2_OK) throw std::runtime_error(what + ": " + gpt2_status_name(status) + ": " + gpt2_last_error());
}

std::string base_name(const std::string &path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char **argv) {
    Options o;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--special") { o.special = true; continue; }
            if (i + 1 >= argc) return usage();
            if (a == "-m") o.model_path = argv[++i];
            else if (a == "-f") o.text_path = argv[++i];
            else if (a == "-o") o.out_path = argv[++i];
            else if (a == "-c") o.n_ctx = (int32_t)gpt2::cli_int(a, argv[++i], 2, 1 << 20);
            else if (a == "-t") o.n_threads = (int32_t)gpt2::cli_int(a, argv[++i], 0, 1024);
            else if (a == "--max-tokens") o.max_tokens = gpt2::cli_int(a, argv[++i], 2, INT32_MAX);
            else if (a == "--lookup-tokens") o.lookup_tokens = gpt2::cli_int(a, argv[++i], 0, INT32_MAX);
            else return usage();
        }
        if (o.model_path.empty() || o.text_path.empty() || o.out_path.empty()) return usage();

        std::ifstream in(o.text_path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open text file '" + o.text_path + "'");
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.size() > (size_t)INT32_MAX) throw std::runtime_error("the text file is larger than 2 GiB");

        gpt2_model *model = nullptr;
        ok(gpt2_model_load(o.model_path.c_str(), nullptr, &model), "loading '" + o.model_path + "'");
        if (o.n_ctx > gpt2_model_n_ctx_train(model))
            throw std::runtime_error("-c " + std::to_string(o.n_ctx) + " exceeds the model's context " +
                                     std::to_string(gpt2_model_n_ctx_train(model)));
        int32_t n = 0;
        const int32_t st = gpt2_tokenize(model, text.data(), (int32_t)text.size(), o.special, nullptr, 0, &n);
        if (st != GPT2_OK && st != GPT2_ERR_BUFFER_TOO_SMALL) ok(st, "tokenizing");
        std::vector<int32_t> tokens((size_t)n);
        ok(gpt2_tokenize(model, text.data(), (int32_t)text.size(), o.special, tokens.data(), n, &n), "tokenizing");
        if (o.max_tokens > 0 && (int64_t)tokens.size() > o.max_tokens) tokens.resize((size_t)o.max_tokens);
        if ((int64_t)tokens.size() < o.n_ctx)
            throw std::runtime_error("the text has " + std::to_string(tokens.size()) + " tokens, fewer than one window of " +
                                     std::to_string(o.n_ctx));

        gpt2_context_params p = gpt2_context_default_params();
        p.n_ctx = o.n_ctx;
        p.n_seq_max = 1;
        p.n_batch = o.n_ctx;
        p.n_threads = o.n_threads;
        gpt2_context *ctx = nullptr;
        ok(gpt2_context_create(model, &p, &ctx), "creating context");
        gpt2::ActivationStats stats;
        ctx->activation_stats = &stats;

        const auto t0 = std::chrono::steady_clock::now();
        std::vector<int32_t> seq((size_t)o.n_ctx, 0), pos((size_t)o.n_ctx);
        std::vector<int8_t> want((size_t)o.n_ctx, 1);   // the head's inputs count too
        for (int32_t i = 0; i < o.n_ctx; ++i) pos[(size_t)i] = i;
        uint32_t chunks = 0;
        for (size_t start = 0; start + (size_t)o.n_ctx <= tokens.size(); start += (size_t)o.n_ctx, ++chunks) {
            ok(gpt2_context_seq_clear(ctx, 0), "clearing the sequence");
            ok(gpt2_decode(ctx, o.n_ctx, seq.data(), pos.data(), tokens.data() + start, want.data()), "decoding");
        }
        ctx->activation_stats = nullptr;
        // the lookup Fisher over windows from the start of the text (the last one may be shorter)
        gpt2::LookupFisher lookup;
        const size_t lookup_end = std::min(tokens.size(), (size_t)o.lookup_tokens);
        for (size_t start = 0; start + 2 <= lookup_end; start += (size_t)o.n_ctx) {
            const int32_t T = (int32_t)std::min((size_t)o.n_ctx, lookup_end - start);
            gpt2::lookup_fisher_add_window(*ctx, tokens.data() + start, T, 1 + start, lookup);
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        gpt2::imatrix_save(o.out_path, stats, {base_name(o.text_path)}, chunks, (uint32_t)o.n_ctx, &lookup);
        std::printf("wrote %s: %zu matrices, %u windows x %d tokens of %s, lookup Fisher over %lld positions, in "
                    "%.1f s\n", o.out_path.c_str(), stats.entries.size(), chunks, o.n_ctx,
                    base_name(o.text_path).c_str(), (long long)lookup.positions, s);
        gpt2_context_free(ctx);
        gpt2_model_free(model);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-imatrix: %s\n", e.what());
        return 1;
    }
    return 0;
}
