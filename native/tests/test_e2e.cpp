// test_e2e.cpp — the whole native path as a user drives it: model file on disk -> gpt2-generate --json, with
// greedy tokens checked token for token against the float64 reference (reference_forward.h), plus the
// converter round trip (HF directory -> GGUF -> reference logits == runtime logits).
//
// Runs on a deterministic random model always, and on ../shared/models/tiny-shakespeare (a small trained GPT-2)
// when it is present (skipped with a message otherwise).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "gpt2.h"
#include "reference_forward.h"

namespace {

// f32 weights: the runtime's logits must match float64 to this (the bar).
constexpr double kLogitTolerance = 1e-3;
// When the reference's best and second-best logits are closer than this, f32 rounding may legitimately pick
// either, so the greedy comparison stops there (it is reported, and the test requires some steps compared).
constexpr double kTieMargin = 1e-4;
// The float64 oracle recomputes the whole sequence per token; under the sanitizers (10x slower) fewer steps.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kGreedySteps = 4;
#else
constexpr int kGreedySteps = 12;
#endif

std::string bin(const char *tool) { return std::string(GPT2_BINARY_DIR) + "/" + tool; }

std::string run(const std::string &cmd, int *status) {
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) { *status = -1; return out; }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    *status = pclose(p);
    return out;
}

std::string shell_quote(const std::string &s) {
    std::string q = "'";
    for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Pulls the integer array after "key": from a flat JSON object (the tool's output is ours, a simple scan is fine).
std::vector<int32_t> json_int_array(const std::string &json, const std::string &key) {
    std::vector<int32_t> out;
    size_t at = json.find("\"" + key + "\"");
    if (at == std::string::npos) return out;
    at = json.find('[', at);
    size_t end = json.find(']', at);
    if (at == std::string::npos || end == std::string::npos) return out;
    const char *p = json.c_str() + at + 1;
    while (p < json.c_str() + end) {
        char *next = nullptr;
        long v = std::strtol(p, &next, 10);
        if (next == p) { ++p; continue; }
        out.push_back((int32_t)v);
        p = next;
    }
    return out;
}

// Greedy continuation by the float64 reference; stops early (returning fewer tokens) at a near-tie.
std::vector<int32_t> reference_greedy(const gpt2_model &m, std::vector<int32_t> tokens, int n) {
    std::vector<int32_t> out;
    const int64_t V = m.hparams.n_vocab;
    for (int i = 0; i < n; ++i) {
        std::vector<double> logits = reference::forward(m, tokens);
        const double *last = logits.data() + (tokens.size() - 1) * V;
        int32_t best = 0, second = -1;
        for (int64_t v = 1; v < V; ++v) {
            if (last[v] > last[best]) { second = best; best = (int32_t)v; }
            else if (second < 0 || last[v] > last[second]) second = (int32_t)v;
        }
        if (last[best] - last[second] < kTieMargin) {
            std::printf("  reference near-tie at step %d (gap %.2e): comparison stops here\n", i,
                        last[best] - last[second]);
            break;
        }
        out.push_back(best);
        tokens.push_back(best);
    }
    return out;
}

// Runtime logits of the last prompt position vs the reference, max |diff|.
double max_logit_diff(gpt2_model *model, const gpt2_model &m, const std::vector<int32_t> &tokens) {
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_threads = 2;
    gpt2_context *ctx = nullptr;
    if (gpt2_context_create(model, &cp, &ctx) != GPT2_OK) return 1e9;
    std::vector<int32_t> seq(tokens.size(), 0), pos(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) pos[i] = (int32_t)i;
    double worst = 1e9;
    if (gpt2_decode(ctx, (int32_t)tokens.size(), seq.data(), pos.data(), tokens.data(), nullptr) == GPT2_OK) {
        const float *got = gpt2_get_logits(ctx, (int32_t)tokens.size() - 1);
        std::vector<double> ref = reference::forward(m, tokens);
        const int64_t V = m.hparams.n_vocab;
        worst = 0;
        for (int64_t v = 0; v < V && got; ++v)
            worst = std::max(worst, std::fabs((double)got[v] - ref[(tokens.size() - 1) * V + v]));
    }
    gpt2_context_free(ctx);
    return worst;
}

// gpt2-generate --temp 0 --json on MODEL_PATH equals the reference's greedy tokens for each prompt.
void check_greedy_cli(const std::string &model_path, const std::vector<std::string> &prompts, int n_tokens) {
    gpt2_model *model = nullptr;
    CHECK_MSG(gpt2_model_load(model_path.c_str(), nullptr, &model) == GPT2_OK, "load %s: %s", model_path.c_str(),
              gpt2_last_error());
    if (!model) return;
    int compared = 0;
    for (const std::string &prompt : prompts) {
        int status = 0;
        std::string json = run(bin("gpt2-generate") + " -m " + shell_quote(model_path) + " -p " +
                                   shell_quote(prompt) + " -n " + std::to_string(n_tokens) +
                                   " --temp 0 --ignore-eos -t 2 --json 2>/dev/null",
                               &status);
        CHECK_MSG(status == 0, "gpt2-generate failed for prompt '%s'", prompt.c_str());
        std::vector<int32_t> prompt_ids = json_int_array(json, "prompt_tokens");
        std::vector<int32_t> got = json_int_array(json, "tokens");
        CHECK_MSG(!prompt_ids.empty() && (int)got.size() == n_tokens, "'%s': %zu prompt ids, %zu tokens",
                  prompt.c_str(), prompt_ids.size(), got.size());
        if (prompt_ids.empty()) continue;

        std::vector<int32_t> mine(prompt_ids.size() + 1);
        int32_t n_mine = 0;
        gpt2_tokenize(model, prompt.data(), (int32_t)prompt.size(), 0, mine.data(), (int32_t)mine.size(), &n_mine);
        mine.resize((size_t)n_mine);
        CHECK_MSG(mine == prompt_ids, "'%s': CLI prompt ids differ from gpt2_tokenize", prompt.c_str());

        const double diff = max_logit_diff(model, *model, prompt_ids);
        CHECK_MSG(diff <= kLogitTolerance, "'%s': max |logit diff| %.3g > %.0e", prompt.c_str(), diff,
                  kLogitTolerance);

        std::vector<int32_t> want = reference_greedy(*model, prompt_ids, n_tokens);
        for (size_t i = 0; i < want.size() && i < got.size(); ++i)
            CHECK_MSG(got[i] == want[i], "'%s': token %zu is %d, float64 reference says %d", prompt.c_str(), i,
                      got[i], want[i]);
        compared += (int)want.size();
        std::printf("  '%s': max |logit diff| %.2e, %zu greedy tokens equal the float64 reference\n",
                    prompt.c_str(), diff, want.size());
    }
    CHECK_MSG(compared >= n_tokens, "too few greedy steps compared (%d)", compared);
    gpt2_model_free(model);
}

std::string temp_dir() {
    char tmpl[] = "/tmp/gpt2_e2e_XXXXXX";
    const char *d = mkdtemp(tmpl);
    return d ? d : "/tmp";
}

bool exists(const std::string &path) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (f) std::fclose(f);
    return f != nullptr;
}

}  // namespace

int main() {
    const std::string dir = temp_dir();
    const std::vector<std::string> prompts = {"Hello, my name is", "ROMEO:\nWhat light", "The 3 kings said: \"",
                                              "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80 emoji"};
    int status = 0;

    // 1. A random model written as an HF directory, converted by gpt2-convert: the full user path.
    std::printf("random model, HF dir -> gpt2-convert -> gpt2-generate:\n");
    run(bin("gpt2-random") + " " + dir + "/random.gguf --layers 2 --heads 3 --embd 96 --ctx 64 --seed 7 --hf-dir " +
            dir + "/random-hf > /dev/null 2>&1",
        &status);
    CHECK_MSG(status == 0, "gpt2-random failed");
    run(bin("gpt2-convert") + " " + dir + "/random-hf " + dir + "/converted.gguf --type f32 > /dev/null 2>&1",
        &status);
    CHECK_MSG(status == 0, "gpt2-convert failed");
    if (status == 0) check_greedy_cli(dir + "/converted.gguf", prompts, kGreedySteps);

    // 2. The trained tiny-shakespeare model (peaked distributions: a real greedy path).
    const std::string shared = std::string(GPT2_SOURCE_DIR) + "/../shared/models/tiny-shakespeare";
    if (!exists(shared + "/model.safetensors")) {
        std::printf("SKIP tiny-shakespeare part: %s not present\n", shared.c_str());
    } else {
        std::printf("tiny-shakespeare, gpt2-convert f32 -> gpt2-generate:\n");
        run(bin("gpt2-convert") + " " + shell_quote(shared) + " " + dir + "/shakespeare.gguf --type f32 > /dev/null 2>&1",
            &status);
        CHECK_MSG(status == 0, "gpt2-convert of tiny-shakespeare failed");
        if (status == 0) check_greedy_cli(dir + "/shakespeare.gguf", prompts, kGreedySteps);
    }

    run("rm -rf " + dir, &status);
    return check_summary("test_e2e");
}
