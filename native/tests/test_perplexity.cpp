// test_perplexity.cpp — gpt2-perplexity as a user runs it: its JSON is sane (finite perplexity > 1, a model's
// KL against itself is 0 with 100% top-1 agreement), its NLL equals one computed here through the C API
// (gpt2_decode + gpt2_get_logits, log-softmax in double), its per-window figures and standard errors agree with
// each other and with a recomputation here, and bad arguments fail cleanly with exit 1.
//
// Runs on a deterministic random model always, and on ../shared/models/tiny-shakespeare (a small trained GPT-2)
// when it is present (skipped with a message otherwise).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "gpt2.h"

namespace {

// The tool prints NLL with 9 decimals and sums in a different grouping than the check here: 1e-7 covers both.
constexpr double kNllTolerance = 1e-7;
// KL of a model against itself: identical logits give exactly 0 (up to double rounding of the sum).
constexpr double kSelfKlTolerance = 1e-9;
// tiny-shakespeare, first 2048 tokens of heldout.txt, 256-token windows: 5.796907 nats/token, computed by an
// independent float64 numpy forward from model.safetensors. f32 weights move it by far less than 1e-3.
constexpr double kShakespeareNll = 5.796907;
constexpr double kShakespeareTolerance = 1e-3;
// TRAINING.md's held-out loss. heldout.txt drops the <|endoftext|> section markers the trainer evaluated with
// (blank lines take their place), which the model never saw: that costs ~0.44 nats/token on these 2048 tokens.
constexpr double kTrainerNll = 5.358;
constexpr double kTrainerGap = 0.5;

const std::string kBin = GPT2_BINARY_DIR;
const std::string kDir = kBin + "/test_perplexity_files";

std::string run(const std::string &cmd, int *exit_code) {
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) { *exit_code = -1; return out; }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

// The number after "key": in the tool's flat JSON object; NaN if absent.
double json_number(const std::string &json, const std::string &key) {
    const size_t at = json.find("\"" + key + "\":");
    if (at == std::string::npos) return NAN;
    return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

// The numbers of the array after "key": in the tool's JSON; empty if absent.
std::vector<double> json_array(const std::string &json, const std::string &key) {
    std::vector<double> out;
    size_t at = json.find("\"" + key + "\":[");
    if (at == std::string::npos) return out;
    const char *p = json.c_str() + at + key.size() + 4;
    while (*p && *p != ']') {
        char *end = nullptr;
        out.push_back(std::strtod(p, &end));
        if (end == p) return {};
        p = *end == ',' ? end + 1 : end;
    }
    return out;
}

// The standard error the tool should report for the per-window MEANS of N predictions each, computed here
// the plain way: windows are the independent units, their sums spread around mean * n.
double expected_block_stderr(const std::vector<double> &means, const std::vector<double> &n) {
    double total = 0, count = 0;
    for (size_t i = 0; i < means.size(); ++i) {
        total += means[i] * n[i];
        count += n[i];
    }
    double ss = 0;
    for (size_t i = 0; i < means.size(); ++i) ss += std::pow(means[i] * n[i] - total / count * n[i], 2);
    return std::sqrt(ss * (double)means.size() / (double)(means.size() - 1)) / count;
}

bool exists(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

void write_file(const std::string &path, const std::string &text) {
    std::ofstream(path, std::ios::binary) << text;
}

// Mean NLL of the next token over one window (all of TEXT's first N_TOKENS tokens), through the C API only.
double api_window_nll(const std::string &model_path, const std::string &text, int32_t n_tokens) {
    gpt2_model *model = nullptr;
    if (gpt2_model_load(model_path.c_str(), nullptr, &model) != GPT2_OK) return NAN;
    std::vector<int32_t> tokens(text.size() + 1);
    int32_t n = 0;
    gpt2_tokenize(model, text.data(), (int32_t)text.size(), 0, tokens.data(), (int32_t)tokens.size(), &n);
    n = n < n_tokens ? n : n_tokens;
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = n;
    cp.n_batch = n;
    cp.n_threads = 1;
    gpt2_context *ctx = nullptr;
    double nll = NAN;
    if (gpt2_context_create(model, &cp, &ctx) == GPT2_OK) {
        std::vector<int32_t> seq((size_t)n, 0), pos((size_t)n);
        std::vector<int8_t> want((size_t)n, 1);
        for (int32_t i = 0; i < n; ++i) pos[(size_t)i] = i;
        if (gpt2_decode(ctx, n, seq.data(), pos.data(), tokens.data(), want.data()) == GPT2_OK) {
            const int32_t n_vocab = gpt2_model_n_vocab(model);
            double sum = 0;
            for (int32_t i = 0; i + 1 < n; ++i) {
                const float *l = gpt2_get_logits(ctx, i);
                double max = l[0], z = 0;
                for (int32_t v = 1; v < n_vocab; ++v) max = l[v] > max ? l[v] : max;
                for (int32_t v = 0; v < n_vocab; ++v) z += std::exp((double)l[v] - max);
                sum -= (double)l[tokens[(size_t)i + 1]] - max - std::log(z);
            }
            nll = sum / (n - 1);
        }
    }
    gpt2_context_free(ctx);
    gpt2_model_free(model);
    return nll;
}

void test_random_model() {
    const std::string model = kDir + "/random.gguf", text_path = kDir + "/text.txt";
    int code = 0;
    run(kBin + "/gpt2-random " + model + " --layers 2 --heads 2 --embd 64 --ctx 64 --seed 5 2>&1", &code);
    CHECK_MSG(code == 0 && exists(model), "gpt2-random failed (exit %d)", code);
    const std::string text =
        "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
        "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n"
        "First Citizen:\nFirst, you know Caius Marcius is chief enemy to the people.\n";
    write_file(text_path, text);
    const std::string tool = kBin + "/gpt2-perplexity -t 1 -m " + model + " -f " + text_path;

    // Several windows (32 tokens), the last one partial; against itself as the base.
    const std::string json = run(tool + " -c 32 --kl-base " + model + " --json", &code);
    CHECK_MSG(code == 0, "exit %d: %s", code, json.c_str());
    const double ppl = json_number(json, "perplexity"), nll = json_number(json, "nll_nats_per_token");
    CHECK_MSG(std::isfinite(ppl) && ppl > 1, "perplexity %g", ppl);
    CHECK_NEAR(ppl, std::exp(nll), 1e-6 * ppl);
    CHECK_NEAR(json_number(json, "kl_nats_per_token"), 0.0, kSelfKlTolerance);
    CHECK_NEAR(json_number(json, "top1_agreement_pct"), 100.0, 1e-12);
    CHECK(json_number(json, "n_windows") >= 2);
    CHECK(json_number(json, "n_tokens_evaluated") > 32);
    CHECK_NEAR(json_number(json, "kl_stderr"), 0.0, kSelfKlTolerance);

    // The per-window figures: one per window, their token-weighted mean is the reported mean, the first window's
    // NLL is the C API's over the first 32 tokens, and the standard error is the spread of the window sums.
    const std::vector<double> n_w = json_array(json, "window_tokens"), nll_w = json_array(json, "window_nll");
    CHECK_EQ((double)n_w.size(), json_number(json, "n_windows"));
    CHECK_EQ(nll_w.size(), n_w.size());
    CHECK_EQ(json_array(json, "window_kl").size(), n_w.size());
    if (n_w.size() >= 2 && nll_w.size() == n_w.size()) {
        double sum = 0, count = 0;
        for (size_t i = 0; i < n_w.size(); ++i) {
            sum += nll_w[i] * n_w[i];
            count += n_w[i];
        }
        CHECK_EQ(count, json_number(json, "n_tokens_evaluated"));
        CHECK_NEAR(sum / count, nll, kNllTolerance);
        CHECK_EQ(n_w[0], 31.0);
        CHECK_NEAR(nll_w[0], api_window_nll(model, text, 32), kNllTolerance);
        const double se = json_number(json, "nll_stderr");
        CHECK_MSG(se > 0, "nll_stderr %g", se);
        CHECK_NEAR(se, expected_block_stderr(nll_w, n_w), 1e-6 * se);
    }

    // A quantized copy against the f32 model: a KL above 0 with a standard error from the window spread.
    const std::string q4 = kDir + "/random-q4_0.gguf";
    run(kBin + "/gpt2-quantize " + model + " " + q4 + " q4_0 2>&1", &code);
    CHECK_MSG(code == 0 && exists(q4), "gpt2-quantize failed (exit %d)", code);
    const std::string qj = run(kBin + "/gpt2-perplexity -t 1 -m " + q4 + " -f " + text_path + " -c 32 --kl-base " +
                                   model + " --json", &code);
    CHECK_MSG(code == 0, "exit %d: %s", code, qj.c_str());
    const double qkl = json_number(qj, "kl_nats_per_token"), qse = json_number(qj, "kl_stderr");
    CHECK_MSG(qkl > 0 && qse > 0 && std::isfinite(qse), "KL %g +- %g", qkl, qse);
    const std::vector<double> kl_w = json_array(qj, "window_kl");
    if (kl_w.size() == n_w.size()) CHECK_NEAR(qse, expected_block_stderr(kl_w, n_w), 1e-6 * qse);

    // Exactly one window: the same NLL as the C API gives here, independently.
    const std::string one = run(tool + " -c 24 --max-tokens 24 --json", &code);
    CHECK_MSG(code == 0, "exit %d: %s", code, one.c_str());
    CHECK_EQ(json_number(one, "n_tokens_evaluated"), 23.0);
    CHECK_MSG(one.find("\"nll_stderr\":null") != std::string::npos, "one window has no error estimate: %s",
              one.c_str());
    const double api_nll = api_window_nll(model, text, 24);
    CHECK_NEAR(json_number(one, "nll_nats_per_token"), api_nll, kNllTolerance);
    CHECK_NEAR(json_number(one, "perplexity"), std::exp(api_nll), kNllTolerance * std::exp(api_nll));

    // Clean failures: exit 1 with a message, never a crash.
    const char *bad[] = {" --bogus", " -c abc", " -c 0", " -c 100000", " --max-tokens", " -t -3"};
    for (const char *args : bad) {
        const std::string err = run(tool + args + " 2>&1", &code);
        CHECK_MSG(code == 1 && err.find("gpt2-perplexity:") != std::string::npos, "'%s': exit %d: %s", args,
                  code, err.c_str());
    }
    std::string err = run(kBin + "/gpt2-perplexity -m " + kDir + "/missing.gguf -f " + text_path + " 2>&1", &code);
    CHECK_MSG(code == 1 && err.find("missing.gguf") != std::string::npos, "exit %d: %s", code, err.c_str());
    err = run(kBin + "/gpt2-perplexity -m " + model + " -f " + kDir + "/missing.txt 2>&1", &code);
    CHECK_MSG(code == 1 && err.find("missing.txt") != std::string::npos, "exit %d: %s", code, err.c_str());
    write_file(kDir + "/one.txt", "Hi");
    err = run(kBin + "/gpt2-perplexity -m " + model + " -f " + kDir + "/one.txt 2>&1", &code);
    CHECK_MSG(code == 1 && err.find("fewer than 2 tokens") != std::string::npos, "exit %d: %s", code, err.c_str());
}

void test_tiny_shakespeare() {
    const std::string hf = std::string(GPT2_SOURCE_DIR) + "/../shared/models/tiny-shakespeare";
    if (!exists(hf + "/model.safetensors") || !exists(hf + "/heldout.txt")) {
        std::printf("test_perplexity: %s not present, trained-model check skipped\n", hf.c_str());
        return;
    }
    const std::string model = kDir + "/tiny-shakespeare-f32.gguf";
    int code = 0;
    const std::string conv = run(kBin + "/gpt2-convert " + hf + " " + model + " --type f32 2>&1", &code);
    CHECK_MSG(code == 0, "gpt2-convert: exit %d: %s", code, conv.c_str());
    const std::string json = run(kBin + "/gpt2-perplexity -m " + model + " -f " + hf +
                                     "/heldout.txt --max-tokens 2048 --json", &code);
    CHECK_MSG(code == 0, "exit %d: %s", code, json.c_str());
    const double nll = json_number(json, "nll_nats_per_token");
    CHECK_EQ(json_number(json, "n_tokens_evaluated"), 2040.0);   // 8 windows of 256, 255 predictions each
    CHECK_NEAR(nll, kShakespeareNll, kShakespeareTolerance);
    CHECK_NEAR(nll, kTrainerNll, kTrainerGap);
    std::printf("test_perplexity: tiny-shakespeare f32, first 2048 heldout tokens: %.6f nats/token\n", nll);
    std::remove(model.c_str());
}

}  // namespace

int main() {
    mkdir(kDir.c_str(), 0755);
    test_random_model();
    test_tiny_shakespeare();
    return check_summary("test_perplexity");
}
