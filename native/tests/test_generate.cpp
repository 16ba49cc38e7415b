// test_generate.cpp — end to end on a small random-weight model made by gpt2-random: gpt2_generate greedy
// is deterministic and equals a manual decode loop over the sampler API; seeded sampling reproduces;
// stop strings, cancellation, context limits, chunked prefill, the empty prompt; C API argument errors;
// and the gpt2-generate CLI (--json parses and matches gpt2_generate; bad arguments exit 1).
// Skips (exit 0, with a message) while gpt2-random is not built.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "gpt2.h"
#include "sampler/text_stream.h"
#include "util/json.h"

namespace {

const std::string kBin = GPT2_BINARY_DIR;
const std::string kModel = kBin + "/test_generate_model.gguf";
constexpr int32_t kCtx = 64;
// Chunked vs one-batch prefill: same math, different float summation order in the matmuls; 1e-3 nats is
// far above that rounding and far below any real difference.
constexpr double kChunkLogprobTol = 1e-3;
// The CLI prints logprobs with 9 significant digits.
constexpr double kJsonLogprobTol = 1e-5;

bool file_exists(const std::string &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0;
}

// Runs a shell command; returns its exit status (or -1).
int shell(const std::string &cmd) {
    const int rc = std::system(cmd.c_str());
    return rc == -1 ? -1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
}

std::string slurp(const std::string &path) {
    std::string s;
    if (FILE *f = std::fopen(path.c_str(), "rb")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
        std::fclose(f);
    }
    return s;
}

struct Gen {
    int32_t status = 0;
    std::vector<int32_t> tokens;
    std::vector<float> logprobs;
    std::string text;
    gpt2_generate_stats stats{};
    int cancel_after = -1;  // callback returns 1 after this many tokens
    int broken_pieces = 0;  // pieces that were not whole, valid UTF-8
};

bool valid_utf8(const char *s, size_t n) {
    std::string clean;
    return gpt2::utf8_append_valid(clean, s, n, true) == n && clean == std::string(s, n);
}

int32_t on_token(int32_t token, const char *piece, int32_t piece_len, float logprob, void *ud) {
    Gen *g = static_cast<Gen *>(ud);
    g->tokens.push_back(token);
    g->logprobs.push_back(logprob);
    g->text.append(piece, (size_t)piece_len);
    if (!valid_utf8(piece, (size_t)piece_len)) ++g->broken_pieces;
    return g->cancel_after >= 0 && (int)g->tokens.size() >= g->cancel_after ? 1 : 0;
}

Gen generate(gpt2_context *ctx, const std::string &prompt, const gpt2_sampler_params &p,
             std::vector<const char *> stops = {}, int cancel_after = -1) {
    Gen g;
    g.cancel_after = cancel_after;
    g.status = gpt2_generate(ctx, prompt.data(), (int32_t)prompt.size(), &p, stops.data(), (int32_t)stops.size(),
                             on_token, &g, &g.stats);
    return g;
}

gpt2_sampler_params greedy(int32_t max_tokens) {
    gpt2_sampler_params p = gpt2_sampler_default_params();
    p.temperature = 0.0f;
    p.max_tokens = max_tokens;
    p.ignore_eos = 1;
    return p;
}

gpt2_context *make_ctx(gpt2_model *model, int32_t n_batch) {
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = kCtx;
    cp.n_threads = 1;
    cp.n_batch = n_batch;
    gpt2_context *ctx = nullptr;
    const int32_t st = gpt2_context_create(model, &cp, &ctx);
    CHECK_MSG(st == GPT2_OK, "context_create: %s", gpt2_last_error());
    return ctx;
}

// The same generation done by hand: tokenize, prefill, sample_ctx / decode one token at a time.
Gen manual_loop(gpt2_model *model, gpt2_context *ctx, const std::string &prompt, const gpt2_sampler_params &p) {
    Gen g;
    std::vector<int32_t> ids(256);
    int32_t n = 0;
    CHECK_EQ(gpt2_tokenize(model, prompt.data(), (int32_t)prompt.size(), 0, ids.data(), (int32_t)ids.size(), &n),
             GPT2_OK);
    ids.resize((size_t)n);
    CHECK_EQ(gpt2_context_seq_clear(ctx, 0), GPT2_OK);
    std::vector<int32_t> seq((size_t)n, 0), pos((size_t)n);
    for (int32_t i = 0; i < n; ++i) pos[(size_t)i] = i;
    CHECK_EQ(gpt2_decode(ctx, n, seq.data(), pos.data(), ids.data(), nullptr), GPT2_OK);
    gpt2_sampler *s = nullptr;
    CHECK_EQ(gpt2_sampler_create(model, &p, &s), GPT2_OK);
    CHECK_EQ(gpt2_sampler_set_prompt(s, ids.data(), n, gpt2_context_n_ctx(ctx)), GPT2_OK);
    int32_t logits_i = n - 1;
    for (;;) {
        gpt2_sample_result r{};
        if (gpt2_sampler_sample_ctx(s, ctx, logits_i, &r) != GPT2_OK) {
            CHECK_MSG(false, "sample_ctx: %s", gpt2_last_error());
            break;
        }
        g.tokens.push_back(r.token);
        g.logprobs.push_back(r.logprob);
        char buf[1024];
        int32_t len = 0;
        CHECK_EQ(gpt2_sampler_text(s, buf, sizeof buf, &len), GPT2_OK);
        CHECK_EQ(len, r.text_len);
        g.text.append(buf, (size_t)len);
        g.stats.finish = r.finish;
        if (r.finish != GPT2_FINISH_NONE) break;
        int32_t seq0 = 0, p0 = n + r.n_generated - 1;
        CHECK_EQ(gpt2_decode(ctx, 1, &seq0, &p0, &r.token, nullptr), GPT2_OK);
        logits_i = 0;
    }
    gpt2_sampler_free(s);
    return g;
}

void test_greedy_and_manual(gpt2_model *model, gpt2_context *ctx) {
    const std::string prompt = "Hello world, this is";
    Gen a = generate(ctx, prompt, greedy(20));
    CHECK_MSG(a.status == GPT2_OK, "generate: %s", gpt2_last_error());
    Gen b = generate(ctx, prompt, greedy(20));
    CHECK_EQ(a.tokens.size(), (size_t)20);
    CHECK(a.tokens == b.tokens);
    CHECK_EQ(a.text, b.text);
    CHECK_EQ(a.stats.finish, GPT2_FINISH_LENGTH);
    CHECK_EQ(a.stats.n_generated, 20);
    CHECK_EQ(a.broken_pieces, 0);
    CHECK_EQ(a.stats.n_prompt_tokens, 5);  // "Hello", " world", ",", " this", " is"
    CHECK(a.stats.prompt_ms > 0.0 && a.stats.decode_ms > 0.0);
    Gen m = manual_loop(model, ctx, prompt, greedy(20));
    CHECK(a.tokens == m.tokens);
    CHECK(a.logprobs == m.logprobs);
    CHECK_EQ(a.text, m.text);
    // The text is the detokenized output (made UTF-8 safe; compare when it is already valid ASCII).
    std::vector<char> buf(4096);
    int32_t n = 0;
    CHECK_EQ(gpt2_detokenize(model, a.tokens.data(), (int32_t)a.tokens.size(), buf.data(), (int32_t)buf.size(), &n),
             GPT2_OK);
    std::string raw(buf.data(), (size_t)n);
    bool ascii = true;
    for (unsigned char c : raw) ascii = ascii && c < 0x80;
    if (ascii) CHECK_EQ(a.text, raw);
    for (float lp : a.logprobs) CHECK(lp <= 0.0f);
}

void test_seeded(gpt2_context *ctx) {
    gpt2_sampler_params p = gpt2_sampler_default_params();
    p.temperature = 1.0f; p.top_k = 40; p.top_p = 0.95f; p.seed = 123; p.max_tokens = 16; p.ignore_eos = 1;
    Gen a = generate(ctx, "Once upon a time", p);
    Gen b = generate(ctx, "Once upon a time", p);
    p.seed = 124;
    Gen c = generate(ctx, "Once upon a time", p);
    CHECK_EQ(a.status, GPT2_OK);
    CHECK(a.tokens == b.tokens);
    CHECK(a.tokens != c.tokens);
    // Plain sampling over the whole vocabulary (random weights: near-uniform) hits byte tokens that split
    // characters; every piece handed to the callback must still be whole UTF-8.
    gpt2_sampler_params wide = gpt2_sampler_default_params();
    wide.seed = 9; wide.max_tokens = 0; wide.ignore_eos = 1;  // to the context limit: 60 tokens
    Gen w = generate(ctx, "Once upon a time", wide);
    CHECK_EQ(w.status, GPT2_OK);
    CHECK_EQ(w.broken_pieces, 0);
    CHECK(valid_utf8(w.text.data(), w.text.size()));
}

void test_stop(gpt2_context *ctx) {
    Gen full = generate(ctx, "Hello world, this is", greedy(20));
    // A 3-byte ASCII slice from the middle of the greedy text as the stop string.
    size_t k = 6;
    while (k + 3 <= full.text.size() &&
           !((unsigned char)full.text[k] < 0x80 && (unsigned char)full.text[k + 1] < 0x80 &&
             (unsigned char)full.text[k + 2] < 0x80))
        ++k;
    if (k + 3 > full.text.size()) {
        std::printf("test_stop: no ASCII slice in the greedy text, skipped\n");
        return;
    }
    const std::string stop = full.text.substr(k, 3);
    Gen s = generate(ctx, "Hello world, this is", greedy(20), {stop.c_str(), "\x01never"});
    CHECK_EQ(s.status, GPT2_OK);
    CHECK_EQ(s.stats.finish, GPT2_FINISH_STOP);
    CHECK_EQ(s.text, full.text.substr(0, full.text.find(stop)));
    CHECK(s.tokens.size() <= full.tokens.size());
    CHECK(std::equal(s.tokens.begin(), s.tokens.end(), full.tokens.begin()));
}

void test_cancel_and_limits(gpt2_model *model, gpt2_context *ctx) {
    Gen c = generate(ctx, "Hello", greedy(20), {}, 3);
    CHECK_EQ(c.status, GPT2_ERR_CANCELLED);
    CHECK_EQ(c.stats.n_generated, 3);
    CHECK_EQ(c.tokens.size(), (size_t)3);

    // max_tokens 0: runs until the context is full; the last token is emitted but not decoded.
    Gen f = generate(ctx, "Hello world, this is", greedy(0));
    CHECK_EQ(f.status, GPT2_OK);
    CHECK_EQ(f.stats.finish, GPT2_FINISH_CONTEXT);
    CHECK_EQ(f.stats.n_prompt_tokens + f.stats.n_generated, kCtx);

    std::string long_prompt;
    for (int i = 0; i < kCtx; ++i) long_prompt += " a";  // 64 tokens: no room left
    Gen l = generate(ctx, long_prompt, greedy(5));
    CHECK_EQ(l.status, GPT2_ERR_CONTEXT_FULL);
    CHECK(l.tokens.empty());
    CHECK_EQ(l.stats.n_prompt_tokens, kCtx);
    CHECK_EQ(l.stats.n_generated, 0);
    CHECK(std::strstr(gpt2_last_error(), "n_ctx") != nullptr);

    // Empty prompt: starts from <|endoftext|>.
    Gen e = generate(ctx, "", greedy(4));
    CHECK_EQ(e.status, GPT2_OK);
    CHECK_EQ(e.stats.n_prompt_tokens, 1);
    CHECK_EQ(e.tokens.size(), (size_t)4);

    // Prefill in chunks of 4 gives the same first tokens as one batch.
    gpt2_context *small = make_ctx(model, 4);
    if (small) {
        const std::string prompt = "The quick brown fox jumps over the lazy dog";
        Gen one = generate(ctx, prompt, greedy(3));
        Gen chunked = generate(small, prompt, greedy(3));
        CHECK_EQ(chunked.status, GPT2_OK);
        CHECK(one.tokens == chunked.tokens);
        if (!one.logprobs.empty() && !chunked.logprobs.empty())
            CHECK_NEAR(one.logprobs[0], chunked.logprobs[0], kChunkLogprobTol);
        gpt2_context_free(small);
    }

    // Bad arguments come back as statuses with messages.
    gpt2_sampler_params bad = greedy(4);
    bad.top_p = 1.5f;
    Gen b = generate(ctx, "Hello", bad);
    CHECK_EQ(b.status, GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(std::string(gpt2_last_error()), std::string("top_p must be in (0, 1], got 1.5"));
    CHECK_EQ(gpt2_generate(nullptr, "x", 1, &bad, nullptr, 0, nullptr, nullptr, nullptr), GPT2_ERR_INVALID_ARGUMENT);
    const std::string too_long(300, 'x');
    Gen tl = generate(ctx, "Hello", greedy(4), {too_long.c_str()});
    CHECK_EQ(tl.status, GPT2_ERR_INVALID_ARGUMENT);
}

void test_sampler_c_api(gpt2_model *model, gpt2_context *ctx) {
    gpt2_sampler *s = nullptr;
    gpt2_sampler_params p = gpt2_sampler_default_params();
    CHECK_EQ(gpt2_sampler_create(nullptr, &p, &s), GPT2_ERR_INVALID_ARGUMENT);
    CHECK(std::strstr(gpt2_last_error(), "model") != nullptr);
    p.min_p = NAN;
    CHECK_EQ(gpt2_sampler_create(model, &p, &s), GPT2_ERR_INVALID_ARGUMENT);
    CHECK(s == nullptr);
    CHECK_EQ(std::string(gpt2_last_error()), std::string("min_p must be in [0, 1], got nan"));
    p = greedy(0);
    CHECK_EQ(gpt2_sampler_create(model, &p, &s), GPT2_OK);
    CHECK_EQ(gpt2_sampler_add_stop(s, "", 0), GPT2_ERR_INVALID_ARGUMENT);
    int32_t prompt[2] = {15496, 1};
    CHECK_EQ(gpt2_sampler_set_prompt(s, prompt, 2, kCtx), GPT2_OK);
    int32_t bad_prompt[1] = {gpt2_model_n_vocab(model)};
    CHECK_EQ(gpt2_sampler_set_prompt(s, bad_prompt, 1, kCtx), GPT2_ERR_INVALID_ARGUMENT);
    // Logits where token 257 (" t"... any id) dominates; its text must come back through the size query.
    std::vector<float> logits((size_t)gpt2_model_n_vocab(model), 0.0f);
    logits[464] = 5.0f;  // "The"
    gpt2_sample_result r{};
    CHECK_EQ(gpt2_sampler_sample(s, logits.data(), &r), GPT2_OK);
    CHECK_EQ(r.token, 464);
    int32_t need = -1;
    CHECK_EQ(gpt2_sampler_text(s, nullptr, 0, &need), GPT2_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(need, 3);
    char buf[8];
    CHECK_EQ(gpt2_sampler_text(s, buf, sizeof buf, &need), GPT2_OK);
    CHECK_EQ(std::string(buf, (size_t)need), std::string("The"));
    CHECK_EQ(gpt2_sampler_flush(s, buf, sizeof buf, &need), GPT2_OK);
    CHECK_EQ(need, 0);
    CHECK_EQ(gpt2_sampler_sample(s, logits.data(), &r), GPT2_ERR_INVALID_ARGUMENT);  // flushed = finished
    CHECK_EQ(gpt2_sampler_sample_ctx(nullptr, ctx, 0, &r), GPT2_ERR_INVALID_ARGUMENT);
    gpt2_sampler_free(s);
    gpt2_sampler_free(nullptr);
}

// gpt2_sample_batch: 5 sequences decoded in one batch on 2 threads, sampled in one call, give exactly the results
// of sampling each with gpt2_sampler_sample_ctx (twin samplers, same params and seed); a failing item fails alone.
void test_sample_batch(gpt2_model *model) {
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = kCtx;
    cp.n_threads = 2;
    cp.n_seq_max = 5;
    gpt2_context *ctx = nullptr;
    CHECK_EQ(gpt2_context_create(model, &cp, &ctx), GPT2_OK);
    if (!ctx) return;
    const int32_t n = 5;
    std::vector<int32_t> seq, pos, tok;
    for (int32_t s = 0; s < n; ++s) {
        for (int32_t p = 0; p <= s; ++p) {   // prompts of 1..5 tokens
            seq.push_back(s);
            pos.push_back(p);
            tok.push_back(100 + 37 * s + p);
        }
    }
    CHECK_EQ(gpt2_decode(ctx, (int32_t)seq.size(), seq.data(), pos.data(), tok.data(), nullptr), GPT2_OK);
    std::vector<gpt2_sampler *> batch((size_t)n), twin((size_t)n);
    std::vector<int32_t> entries((size_t)n), statuses((size_t)n, 99);
    for (int32_t s = 0, e = -1; s < n; ++s) {
        e += s + 1;   // the last entry of sequence s
        entries[(size_t)s] = e;
        gpt2_sampler_params p = gpt2_sampler_default_params();
        p.temperature = s % 2 ? 0.9f : 0.0f;
        p.top_k = 50;
        p.seed = 77 + (uint64_t)s;
        p.n_top = 3;
        CHECK_EQ(gpt2_sampler_create(model, &p, &batch[(size_t)s]), GPT2_OK);
        CHECK_EQ(gpt2_sampler_create(model, &p, &twin[(size_t)s]), GPT2_OK);
    }
    std::vector<gpt2_sample_result> got((size_t)n), want((size_t)n);
    CHECK_EQ(gpt2_sample_batch(ctx, batch.data(), entries.data(), n, got.data(), statuses.data()), GPT2_OK);
    for (int32_t s = 0; s < n; ++s) {
        CHECK_EQ(statuses[(size_t)s], GPT2_OK);
        CHECK_EQ(gpt2_sampler_sample_ctx(twin[(size_t)s], ctx, entries[(size_t)s], &want[(size_t)s]), GPT2_OK);
        CHECK(got[(size_t)s].token == want[(size_t)s].token && got[(size_t)s].logprob == want[(size_t)s].logprob &&
              got[(size_t)s].n_top == 3 && got[(size_t)s].top_tokens[2] == want[(size_t)s].top_tokens[2] &&
              got[(size_t)s].text_len == want[(size_t)s].text_len);
    }
    // an entry without logits fails its item only; the message names it
    std::vector<int32_t> bad(entries);
    bad[2] = 3;   // sequence 2's first prompt entry: it asked for no logits
    CHECK_EQ(gpt2_sample_batch(ctx, batch.data(), bad.data(), n, got.data(), statuses.data()),
             GPT2_ERR_INVALID_ARGUMENT);
    CHECK(statuses[2] == GPT2_ERR_INVALID_ARGUMENT && statuses[0] == GPT2_OK && statuses[4] == GPT2_OK);
    CHECK(std::strstr(gpt2_last_error(), "item 2") != nullptr && std::strstr(gpt2_last_error(), "logits") != nullptr);
    // the same sampler twice, and a count past the last decode's entries, are refused outright
    std::vector<gpt2_sampler *> dup(batch);
    dup[3] = dup[1];
    CHECK_EQ(gpt2_sample_batch(ctx, dup.data(), entries.data(), n, got.data(), statuses.data()),
             GPT2_ERR_INVALID_ARGUMENT);
    CHECK(std::strstr(gpt2_last_error(), "same sampler") != nullptr);
    CHECK_EQ(gpt2_sample_batch(ctx, batch.data(), entries.data(), 99, got.data(), statuses.data()),
             GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_sample_batch(nullptr, batch.data(), entries.data(), n, got.data(), statuses.data()),
             GPT2_ERR_INVALID_ARGUMENT);
    for (int32_t s = 0; s < n; ++s) {
        gpt2_sampler_free(batch[(size_t)s]);
        gpt2_sampler_free(twin[(size_t)s]);
    }
    gpt2_context_free(ctx);
}

void test_cli(gpt2_context *ctx) {
    const std::string cli = kBin + "/gpt2-generate";
    if (!file_exists(cli)) {
        std::printf("test_generate: %s not built, CLI checks skipped\n", cli.c_str());
        return;
    }
    const std::string out = kBin + "/test_generate_cli.json", err = kBin + "/test_generate_cli.err";
    const std::string base = cli + " -m " + kModel + " -c 64 -t 1 ";
    const std::string prompt = "Hello world, this is";
    // Greedy.
    int rc = shell(base + "-p '" + prompt + "' -n 8 --temp 0 --ignore-eos --top-n 3 --json > " + out + " 2> " + err);
    CHECK_EQ(rc, 0);
    Gen g = generate(ctx, prompt, greedy(8));
    try {
        gpt2::JsonValue j = gpt2::json_parse(slurp(out), "cli stdout");
        const gpt2::JsonValue *tokens = j.get("tokens");
        CHECK(tokens && tokens->kind == gpt2::JsonValue::ARRAY && tokens->arr.size() == g.tokens.size());
        for (size_t i = 0; tokens && i < tokens->arr.size() && i < g.tokens.size(); ++i)
            CHECK_EQ(tokens->arr[i].i, (int64_t)g.tokens[i]);
        CHECK(j.get("text") && j.get("text")->str == g.text);
        CHECK(j.get("finish_reason") && j.get("finish_reason")->str == "length");
        CHECK(j.get("n_generated") && j.get("n_generated")->i == 8);
        CHECK(j.get("n_prompt_tokens") && j.get("n_prompt_tokens")->i == 5);
        CHECK(j.get("prompt_tokens") && j.get("prompt_tokens")->arr.size() == 5);
        CHECK(j.get("n_threads") && j.get("n_threads")->i == 1);
        CHECK(j.get("top_logprobs") && j.get("top_logprobs")->arr.size() == 8 &&
              j.get("top_logprobs")->arr[0].arr.size() == 3);
        const gpt2::JsonValue *lp = j.get("logprobs");
        CHECK(lp && lp->arr.size() == 8);
        if (lp && lp->arr.size() == 8) CHECK_NEAR(lp->arr[0].num, g.logprobs[0], kJsonLogprobTol);
        for (const char *key : {"seed", "load_ms", "prompt_ms_per_token", "decode_ms_per_token", "prompt_ms",
                                "decode_ms"})
            CHECK_MSG(j.get(key) && j.get(key)->kind == gpt2::JsonValue::NUMBER, "missing %s", key);
    } catch (const std::exception &e) {
        CHECK_MSG(false, "CLI JSON does not parse: %s", e.what());
    }
    // Seeded sampling with the CLI defaults (top-k 40, top-p 0.9, temp 0.9) equals gpt2_generate's.
    rc = shell(base + "-p 'Once upon' -n 6 --seed 77 --ignore-eos --stop '\"q\\' --json > " + out + " 2> " + err);
    CHECK_EQ(rc, 0);
    gpt2_sampler_params p = gpt2_sampler_default_params();
    p.temperature = 0.9f; p.top_k = 40; p.top_p = 0.9f; p.seed = 77; p.max_tokens = 6; p.ignore_eos = 1;
    Gen s = generate(ctx, "Once upon", p, {"\"q\\"});
    try {
        gpt2::JsonValue j = gpt2::json_parse(slurp(out), "cli stdout");
        CHECK(j.get("seed") && j.get("seed")->i == 77);
        CHECK(j.get("text") && j.get("text")->str == s.text);
        const gpt2::JsonValue *tokens = j.get("tokens");
        CHECK(tokens && tokens->arr.size() == s.tokens.size());
        for (size_t i = 0; tokens && i < tokens->arr.size() && i < s.tokens.size(); ++i)
            CHECK_EQ(tokens->arr[i].i, (int64_t)s.tokens[i]);
    } catch (const std::exception &e) {
        CHECK_MSG(false, "CLI JSON does not parse: %s", e.what());
    }
    // Bad invocations: exit 1 with a message, nothing on stdout in --json mode.
    const std::pair<std::string, const char *> bad[] = {
        {cli + " -m " + kBin + "/no_such_model.gguf -p hi --json", "no_such_model"},
        {base + "-p hi -n abc", "-n"},
        {base + "-p hi --frobnicate", "unknown argument"},
        {base + "-p hi --top-p 1.5 --json", "top_p must be in (0, 1], got 1.5"},
        {base + "-p hi --temp nan", "--temp"},
        {base + "-p hi --seed -3", "--seed"},
        {base + "-p hi -n", "needs a value"},
        {cli + " -p hi", "-m MODEL is required"},
    };
    for (const auto &[cmd, want] : bad) {
        rc = shell(cmd + " > " + out + " 2> " + err);
        CHECK_MSG(rc == 1, "'%s' exited %d", cmd.c_str(), rc);
        CHECK_MSG(slurp(err).find(want) != std::string::npos, "'%s' stderr lacks '%s'", cmd.c_str(), want);
        CHECK_MSG(slurp(out).empty(), "'%s' wrote to stdout", cmd.c_str());
    }
}

}  // namespace

int main() {
    const std::string tool = kBin + "/gpt2-random";
    if (!file_exists(tool)) {
        std::printf("test_generate: SKIPPED: %s is not built yet\n", tool.c_str());
        return 0;
    }
    const std::string make = tool + " " + kModel + " --layers 2 --heads 2 --embd 64 --ctx 64 --seed 7 --vocab-dir " +
                             GPT2_SOURCE_DIR + "/weights/tokenizer > /dev/null";
    if (shell(make) != 0) {
        CHECK_MSG(false, "gpt2-random failed: %s", make.c_str());
        return check_summary("test_generate");
    }
    gpt2_model *model = nullptr;
    if (gpt2_model_load(kModel.c_str(), nullptr, &model) != GPT2_OK) {
        CHECK_MSG(false, "model_load: %s", gpt2_last_error());
        return check_summary("test_generate");
    }
    gpt2_context *ctx = make_ctx(model, 0);
    if (ctx) {
        test_greedy_and_manual(model, ctx);
        test_seeded(ctx);
        test_stop(ctx);
        test_cancel_and_limits(model, ctx);
        test_sampler_c_api(model, ctx);
        test_sample_batch(model);
        test_cli(ctx);
        gpt2_context_free(ctx);
    }
    gpt2_model_free(model);
    return check_summary("test_generate");
}
