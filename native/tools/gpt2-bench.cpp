// gpt2-bench — measures the forward pass of a GGUF model through the C API: prompt ms/token (the prompt
// decoded as one matrix per sequence), then decode ms/token with B sequences stepping together (one batch
// of B entries per step), and tokens/s. Prints figures only; token ids are fixed pseudo-random values.
// Usage: gpt2-bench -m MODEL [-t THREADS] [-p N_PROMPT] [-n N_DECODE] [--batch B] [--reps R] [--device D]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "gpt2.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

int usage() {
    std::fprintf(stderr, "usage: gpt2-bench -m MODEL [-t THREADS] [-p N_PROMPT] [-n N_DECODE] [--batch B] [--reps R]\n"
                         "                  [--device cpu|cuda|cuda:N] [--kv-type auto|f32|f16|q8_0]\n"
                         "defaults: threads = hardware, prompt 128, decode 64, batch 1, reps 1 (best of R is printed),\n"
                         "device cpu, kv-type auto\n");
    return 2;
}

bool parse_int(const char *s, int *out) {
    char *end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 0 || v > 1000000) return false;
    *out = (int)v;
    return true;
}

bool ok(int32_t st, const char *what) {
    if (st == GPT2_OK) return true;
    std::fprintf(stderr, "gpt2-bench: %s failed: %s: %s\n", what, gpt2_status_name(st), gpt2_last_error());
    return false;
}

// Wall ms, plus process CPU ms (all threads): on a shared, oversubscribed machine the CPU figure at one
// thread shows what the work costs when the thread is not waiting for a core.
struct Figures {
    double prompt_ms = 0, decode_ms = 0;
    double prompt_cpu_ms = 0, decode_cpu_ms = 0;
};

double cpu_ms() { return 1000.0 * (double)std::clock() / CLOCKS_PER_SEC; }

// One run: every sequence's prompt (one decode each), then n_decode steps of B entries.
bool run_once(gpt2_context *ctx, int n_vocab, int n_prompt, int n_decode, int batch, Figures &f) {
    std::vector<int32_t> seq, pos, tok;
    uint32_t rng = 12345;
    auto next_token = [&]() {
        rng = rng * 1664525u + 1013904223u;
        return (int32_t)((rng >> 8) % (uint32_t)n_vocab);
    };
    for (int s = 0; s < batch; ++s) {
        if (!ok(gpt2_context_seq_clear(ctx, s), "seq_clear")) return false;
    }
    f = Figures{};
    for (int s = 0; s < batch; ++s) {
        seq.assign((size_t)n_prompt, s);
        pos.resize((size_t)n_prompt);
        tok.resize((size_t)n_prompt);
        for (int i = 0; i < n_prompt; ++i) {
            pos[(size_t)i] = i;
            tok[(size_t)i] = next_token();
        }
        const auto t0 = Clock::now();
        const double c0 = cpu_ms();
        if (!ok(gpt2_decode(ctx, n_prompt, seq.data(), pos.data(), tok.data(), nullptr), "prompt decode")) return false;
        f.prompt_ms += ms_since(t0);
        f.prompt_cpu_ms += cpu_ms() - c0;
    }
    seq.resize((size_t)batch);
    pos.resize((size_t)batch);
    tok.resize((size_t)batch);
    for (int step = 0; step < n_decode; ++step) {
        for (int s = 0; s < batch; ++s) {
            seq[(size_t)s] = s;
            pos[(size_t)s] = n_prompt + step;
            tok[(size_t)s] = next_token();
        }
        const auto t0 = Clock::now();
        const double c0 = cpu_ms();
        if (!ok(gpt2_decode(ctx, batch, seq.data(), pos.data(), tok.data(), nullptr), "decode")) return false;
        f.decode_ms += ms_since(t0);
        f.decode_cpu_ms += cpu_ms() - c0;
    }
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    std::string model_path;
    gpt2_model_params mp = gpt2_model_default_params();
    int n_threads = 0, n_prompt = 128, n_decode = 64, batch = 1, reps = 1;
    int32_t kv_type = GPT2_KV_AUTO;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "-m" && has_value) model_path = argv[++i];
        else if (a == "-t" && has_value && parse_int(argv[i + 1], &n_threads)) ++i;
        else if (a == "-p" && has_value && parse_int(argv[i + 1], &n_prompt)) ++i;
        else if (a == "-n" && has_value && parse_int(argv[i + 1], &n_decode)) ++i;
        else if (a == "--batch" && has_value && parse_int(argv[i + 1], &batch)) ++i;
        else if (a == "--reps" && has_value && parse_int(argv[i + 1], &reps)) ++i;
        else if (a == "--device" && has_value) {
            if (!ok(gpt2_device_parse(argv[++i], &mp.device, &mp.device_index), "--device")) return 2;
        } else if (a == "--kv-type" && has_value) {
            if (!ok(gpt2_kv_type_parse(argv[++i], &kv_type), "--kv-type")) return 2;
        }
        else return usage();
    }
    if (model_path.empty() || n_prompt < 1 || batch < 1 || reps < 1) return usage();

    std::printf("%s\n", gpt2_build_info());
    gpt2_model *model = nullptr;
    if (!ok(gpt2_model_load(model_path.c_str(), &mp, &model), "model load")) return 1;
    const int n_vocab = gpt2_model_n_vocab(model);
    gpt2_context_params p = gpt2_context_default_params();
    p.n_ctx = std::min(gpt2_model_n_ctx_train(model), n_prompt + n_decode);
    p.n_seq_max = batch;
    p.n_batch = std::max(n_prompt, batch);
    p.n_threads = n_threads;
    p.kv_type = kv_type;
    gpt2_context *ctx = nullptr;
    if (n_prompt + n_decode > gpt2_model_n_ctx_train(model)) {
        std::fprintf(stderr, "gpt2-bench: -p + -n = %d exceeds the model's context %d\n", n_prompt + n_decode,
                     gpt2_model_n_ctx_train(model));
        gpt2_model_free(model);
        return 1;
    }
    if (!ok(gpt2_context_create(model, &p, &ctx), "context create")) {
        gpt2_model_free(model);
        return 1;
    }
    std::printf("model %s: type %d, %d layers, embd %d, vocab %d; device %s (%s); threads %d, prompt %d, decode %d, "
                "batch %d, kv %s\n",
                model_path.c_str(), gpt2_model_type(model), gpt2_model_n_layer(model), gpt2_model_n_embd(model),
                n_vocab, gpt2_model_device(model), gpt2_model_device_name(model), gpt2_context_n_threads(ctx), n_prompt,
                n_decode, batch, gpt2_kv_type_name(gpt2_context_kv_type(ctx)));

    Figures best;
    bool have = false;
    for (int r = 0; r < reps; ++r) {
        Figures f;
        if (!run_once(ctx, n_vocab, n_prompt, n_decode, batch, f)) {
            gpt2_context_free(ctx);
            gpt2_model_free(model);
            return 1;
        }
        if (!have || f.prompt_ms < best.prompt_ms) { best.prompt_ms = f.prompt_ms; best.prompt_cpu_ms = f.prompt_cpu_ms; }
        if (!have || f.decode_ms < best.decode_ms) { best.decode_ms = f.decode_ms; best.decode_cpu_ms = f.decode_cpu_ms; }
        have = true;
    }
    const double prompt_tokens = (double)n_prompt * batch, decode_tokens = (double)n_decode * batch;
    std::printf("prompt: %8.3f ms/token  %9.1f tokens/s  (%d x %d tokens in %.1f ms; cpu %.3f ms/token)\n",
                best.prompt_ms / prompt_tokens, 1000.0 * prompt_tokens / best.prompt_ms, batch, n_prompt, best.prompt_ms,
                best.prompt_cpu_ms / prompt_tokens);
    if (n_decode > 0) {
        std::printf("decode: %8.3f ms/token  %9.1f tokens/s  (%d steps x %d sequences in %.1f ms; %.3f ms/step; "
                    "cpu %.3f ms/token)\n",
                    best.decode_ms / decode_tokens, 1000.0 * decode_tokens / best.decode_ms, n_decode, batch,
                    best.decode_ms, best.decode_ms / n_decode, best.decode_cpu_ms / decode_tokens);
    }
    gpt2_context_free(ctx);
    gpt2_model_free(model);
    return 0;
}
