// gpt2-generate — generates text from a GGUF GPT-2 model, streaming it to stdout, with timings in ms on
// stderr (like ggml's gpt-2 example). --json prints one JSON object on stdout instead.
//
// Defaults follow ggml's gpt-2 example: -n 200, --top-k 40, --top-p 0.9, --temp 0.9; the other filters
// and penalties are off. --temp 0 is greedy. Without --seed a random seed is drawn and printed.
// "tokens" in --json holds every generated id, including a final EOS (as Hugging Face generate() output
// ids do) and the token that completed a stop string; "text" holds neither the EOS nor the stop string.
// An empty prompt starts from <|endoftext|>. Errors: a message on stderr and exit status 1.
#include <chrono>
#include <cinttypes>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "util/error.h"
#include "gpt2.h"
#include "sampler/generate.h"
#include "sampler/rng.h"
#include "sampler/sampler.h"
#include "util/json.h"

namespace {

struct Options {
    std::string model_path;
    std::string prompt;
    int32_t n_predict = 200;
    int32_t n_threads = 0;
    int32_t n_ctx = 0;
    bool seed_given = false;
    bool json = false;
    bool mmap = false;
    std::string device = "cpu";
    gpt2_sampler_params params{};
    std::vector<std::string> stops;
};

class UsageError : public std::exception {
public:
    explicit UsageError(std::string m) : msg_(std::move(m)) {}
    const char *what() const noexcept override { return msg_.c_str(); }
private:
    std::string msg_;
};

void print_usage(FILE *f) {
    std::fprintf(f,
        "usage: gpt2-generate -m MODEL [-p PROMPT] [options]\n"
        "  -m, --model PATH           GGUF model file (required)\n"
        "  -p, --prompt TEXT          prompt (default: empty = start from <|endoftext|>)\n"
        "  -n, --n-predict N          tokens to generate (default 200; -1 = until EOS or context full)\n"
        "  -t, --threads N            CPU threads (default 0 = all cores)\n"
        "  -c, --ctx-size N           context positions (default 0 = the model's)\n"
        "  --temp T                   temperature, 0 = greedy (default 0.9)\n"
        "  --top-k K                  top-k, 0 = off (default 40)\n"
        "  --top-p P                  nucleus mass, 1 = off (default 0.9)\n"
        "  --min-p P                  min-p, 0 = off (default 0)\n"
        "  --typical-p P              typical-p mass, 1 = off (default 1)\n"
        "  --repeat-penalty R         HF repetition penalty, 1 = off (default 1)\n"
        "  --presence-penalty X       OpenAI presence penalty (default 0)\n"
        "  --frequency-penalty X      OpenAI frequency penalty (default 0)\n"
        "  --seed S                   64-bit RNG seed (default: random, printed)\n"
        "  --stop STR                 stop string (repeatable, at most 16)\n"
        "  --top-n N                  report N most likely alternatives per token in --json (0..20)\n"
        "  --ignore-eos               keep generating past <|endoftext|>\n"
        "  --json                     print one JSON object on stdout instead of streaming text\n"
        "  --mmap                     map the model file instead of copying it (faster start; the file must\n"
        "                             not be truncated or rewritten while this runs)\n"
        "  --device D                 cpu (default), cuda or cuda:N (needs a -DGPT2_CUDA=ON build and a GPU)\n");
}

int64_t parse_int(const std::string &flag, const char *s, int64_t lo, int64_t hi) {
    errno = 0;
    char *end = nullptr;
    const long long v = std::strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE) throw UsageError(flag + ": not an integer: '" + s + "'");
    if (v < lo || v > hi) {
        throw UsageError(flag + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + s);
    }
    return v;
}

float parse_float(const std::string &flag, const char *s) {
    errno = 0;
    char *end = nullptr;
    const float v = std::strtof(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
        throw UsageError(flag + ": not a finite number: '" + s + "'");
    }
    return v;
}

uint64_t parse_u64(const std::string &flag, const char *s) {
    errno = 0;
    char *end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (*s == '\0' || *s == '-' || *end != '\0' || errno == ERANGE) {
        throw UsageError(flag + ": not an unsigned 64-bit integer: '" + s + "'");
    }
    return v;
}

Options parse_args(int argc, char **argv) {
    Options o;
    o.params = gpt2_sampler_default_params();
    o.params.temperature = 0.9f;
    o.params.top_k = 40;
    o.params.top_p = 0.9f;
    bool have_model = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char * {
            if (i + 1 >= argc) throw UsageError(a + " needs a value");
            return argv[++i];
        };
        if (a == "-m" || a == "--model") { o.model_path = value(); have_model = true; }
        else if (a == "-p" || a == "--prompt") o.prompt = value();
        else if (a == "-n" || a == "--n-predict") o.n_predict = (int32_t)parse_int(a, value(), -1, INT32_MAX);
        else if (a == "-t" || a == "--threads") o.n_threads = (int32_t)parse_int(a, value(), 0, 1024);
        else if (a == "-c" || a == "--ctx-size") o.n_ctx = (int32_t)parse_int(a, value(), 0, INT32_MAX);
        else if (a == "--temp") o.params.temperature = parse_float(a, value());
        else if (a == "--top-k") o.params.top_k = (int32_t)parse_int(a, value(), 0, INT32_MAX);
        else if (a == "--top-p") o.params.top_p = parse_float(a, value());
        else if (a == "--min-p") o.params.min_p = parse_float(a, value());
        else if (a == "--typical-p") o.params.typical_p = parse_float(a, value());
        else if (a == "--repeat-penalty") o.params.repetition_penalty = parse_float(a, value());
        else if (a == "--presence-penalty") o.params.presence_penalty = parse_float(a, value());
        else if (a == "--frequency-penalty") o.params.frequency_penalty = parse_float(a, value());
        else if (a == "--seed") { o.params.seed = parse_u64(a, value()); o.seed_given = true; }
        else if (a == "--stop") {
            const char *s = value();
            const size_t n = std::strlen(s);
            if (n == 0 || n > 256) throw UsageError("--stop must be 1..256 bytes, got " + std::to_string(n));
            if (o.stops.size() >= 16) throw UsageError("--stop given more than 16 times");
            o.stops.emplace_back(s);
        }
        else if (a == "--top-n") o.params.n_top = (int32_t)parse_int(a, value(), 0, GPT2_MAX_TOP_N);
        else if (a == "--ignore-eos") o.params.ignore_eos = 1;
        else if (a == "--json") o.json = true;
        else if (a == "--mmap") o.mmap = true;
        else if (a == "--device") o.device = value();
        else throw UsageError("unknown argument: " + a);
    }
    if (!have_model || o.model_path.empty()) throw UsageError("-m MODEL is required");
    o.params.max_tokens = o.n_predict == -1 ? 0 : o.n_predict;
    if (o.n_predict == 0) throw UsageError("-n must be >= 1 (or -1 for until EOS / context full), got 0");
    try {
        gpt2::sampler_params_validate(o.params);  // names the field: "top_p must be in (0, 1], got 1.5"
    } catch (const gpt2::Error &e) {
        throw UsageError(e.what());
    }
    return o;
}

uint64_t random_seed() {
    std::random_device rd;
    uint64_t s = ((uint64_t)rd() << 32) ^ rd() ^
                 (uint64_t)std::chrono::high_resolution_clock::now().time_since_epoch().count();
    return gpt2::splitmix64_next(&s);
}

void json_number(std::string &out, double v, const char *fmt) {
    if (!std::isfinite(v)) { out += "null"; return; }
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    out += buf;
}

template <typename T, typename F>
void json_array(std::string &out, const std::vector<T> &v, F each) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        each(v[i]);
    }
    out += ']';
}

const char *finish_name(int32_t finish) {
    switch (finish) {
        case GPT2_FINISH_LENGTH: return "length";
        case GPT2_FINISH_EOS: return "eos";
        case GPT2_FINISH_STOP: return "stop";
        case GPT2_FINISH_CONTEXT: return "context";
        default: return "none";
    }
}

struct Step {
    int32_t token;
    float logprob;
    std::vector<std::pair<int32_t, float>> top;
};

int run(const Options &o) {
    using Clock = std::chrono::steady_clock;
    const auto t_start = Clock::now();
    gpt2_model *model = nullptr;
    gpt2_model_params mp = gpt2_model_default_params();
    mp.use_mmap = o.mmap ? 1 : 0;
    if (gpt2_device_parse(o.device.c_str(), &mp.device, &mp.device_index) != GPT2_OK) {
        std::fprintf(stderr, "gpt2-generate: error: --device: %s\n", gpt2_last_error());
        return 2;
    }
    if (gpt2_model_load(o.model_path.c_str(), &mp, &model) != GPT2_OK) {
        std::fprintf(stderr, "gpt2-generate: error: cannot load model '%s': %s\n", o.model_path.c_str(),
                     gpt2_last_error());
        return 1;
    }
    const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_start).count();
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = o.n_ctx;
    cp.n_threads = o.n_threads;
    cp.n_seq_max = 1;
    gpt2_context *ctx = nullptr;
    if (gpt2_context_create(model, &cp, &ctx) != GPT2_OK) {
        std::fprintf(stderr, "gpt2-generate: error: cannot create context: %s\n", gpt2_last_error());
        gpt2_model_free(model);
        return 1;
    }
    std::fprintf(stderr, "main: seed = %" PRIu64 "\n", o.params.seed);
    std::fprintf(stderr, "main: model = %s, n_ctx = %d, n_threads = %d, device = %s (%s)\n", o.model_path.c_str(),
                 gpt2_context_n_ctx(ctx), gpt2_context_n_threads(ctx), gpt2_model_device(model),
                 gpt2_model_device_name(model));

    gpt2::GenerateRequest req;
    req.prompt = o.prompt;
    req.params = o.params;
    req.stops = o.stops;
    std::vector<Step> steps;
    std::string text;
    if (!o.json) {
        std::fwrite(o.prompt.data(), 1, o.prompt.size(), stdout);
        std::fflush(stdout);
    }
    auto on_step = [&](const gpt2_sample_result &r, std::string_view piece) -> int32_t {
        Step s{r.token, r.logprob, {}};
        for (int32_t i = 0; i < r.n_top; ++i) s.top.emplace_back(r.top_tokens[i], r.top_logprobs[i]);
        steps.push_back(std::move(s));
        text.append(piece.data(), piece.size());
        if (!o.json && !piece.empty()) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
        }
        return 0;
    };
    gpt2::GenerateOutput out;
    int rc = 0;
    try {
        gpt2::generate(ctx, req, on_step, out);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%sgpt2-generate: error: %s\n", o.json ? "" : "\n", e.what());
        rc = 1;
    }
    const int32_t n_threads = gpt2_context_n_threads(ctx);
    gpt2_context_free(ctx);
    gpt2_model_free(model);
    if (rc != 0) return rc;

    const gpt2_generate_stats &st = out.stats;
    const double prompt_per = st.n_prompt_tokens > 0 ? st.prompt_ms / st.n_prompt_tokens : 0.0;
    const double decode_per = st.n_generated > 0 ? st.decode_ms / st.n_generated : 0.0;
    if (o.json) {
        std::string j = "{\"prompt_tokens\": ";
        json_array(j, out.prompt_tokens, [&](int32_t t) { j += std::to_string(t); });
        j += ", \"tokens\": ";
        json_array(j, steps, [&](const Step &s) { j += std::to_string(s.token); });
        j += ", \"text\": ";
        gpt2::json_append_string(j, text);   // UTF-8 passes through (the text stream only emits valid UTF-8)
        j += ", \"finish_reason\": \"";
        j += finish_name(st.finish);
        j += "\", \"seed\": " + std::to_string(o.params.seed) + ", \"logprobs\": ";
        json_array(j, steps, [&](const Step &s) { json_number(j, s.logprob, "%.9g"); });
        if (o.params.n_top > 0) {
            j += ", \"top_logprobs\": ";
            json_array(j, steps, [&](const Step &s) {
                json_array(j, s.top, [&](const std::pair<int32_t, float> &t) {
                    j += "{\"token\": " + std::to_string(t.first) + ", \"logprob\": ";
                    json_number(j, t.second, "%.9g");
                    j += '}';
                });
            });
        }
        j += ", \"n_prompt_tokens\": " + std::to_string(st.n_prompt_tokens);
        j += ", \"n_generated\": " + std::to_string(st.n_generated);
        j += ", \"load_ms\": "; json_number(j, load_ms, "%.3f");
        j += ", \"prompt_ms_per_token\": "; json_number(j, prompt_per, "%.4f");
        j += ", \"decode_ms_per_token\": "; json_number(j, decode_per, "%.4f");
        j += ", \"prompt_ms\": "; json_number(j, st.prompt_ms, "%.3f");
        j += ", \"decode_ms\": "; json_number(j, st.decode_ms, "%.3f");
        j += ", \"n_threads\": " + std::to_string(n_threads) + "}\n";
        std::fwrite(j.data(), 1, j.size(), stdout);
    } else {
        std::fputc('\n', stdout);
        std::fflush(stdout);
        std::fprintf(stderr, "\nmain: finish reason = %s\n", finish_name(st.finish));
        std::fprintf(stderr, "main:     load time = %8.2f ms\n", load_ms);
        std::fprintf(stderr, "main:   prompt time = %8.2f ms / %d tokens (%.2f ms per token)\n", st.prompt_ms,
                     st.n_prompt_tokens, prompt_per);
        std::fprintf(stderr, "main:  predict time = %8.2f ms / %d tokens (%.2f ms per token)\n", st.decode_ms,
                     st.n_generated, decode_per);
        const double total_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_start).count();
        std::fprintf(stderr, "main:    total time = %8.2f ms\n", total_ms);
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            print_usage(stdout);
            return 0;
        }
    }
    try {
        Options o = parse_args(argc, argv);
        if (!o.seed_given) o.params.seed = random_seed();
        return run(o);
    } catch (const UsageError &e) {
        std::fprintf(stderr, "gpt2-generate: error: %s\n", e.what());
        print_usage(stderr);
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-generate: error: %s\n", e.what());
        return 1;
    }
}
