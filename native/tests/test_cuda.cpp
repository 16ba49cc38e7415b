// test_cuda.cpp — the CUDA backend against the CPU path (the oracle) on one process: logits per weight type,
// greedy parity on the trained tiny-shakespeare model (when ../shared is present), batched == unbatched, many
// sequences at different positions (the graph-replayed decode step and the plain launches), cancellation and
// reuse of sequence slots, and a rejected batch changing nothing.
//
// Skips (exit 77, ctest SKIP_RETURN_CODE) with the reason when CUDA cannot run here: a build without
// -DGPT2_CUDA=ON, no driver, or no device.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "check.h"
#include "convert/hf_convert.h"
#include "convert/random_model.h"
#include "convert/requantize.h"
#include "gpt2.h"

namespace {

const std::string DIR = std::string(GPT2_BINARY_DIR) + "/test_cuda_models";

// Tolerances on |logit_gpu - logit_cpu| as a fraction of max(1, max |logit_cpu|). Every type is checked twice:
//
// Against the CPU f32 path on the file's "f32 twin" (the same weights dequantized to f32): exactly what the GPU
// multiplies, with f32 activations on both sides, so only the summation order differs for the types the GPU
// computes in their own layout (f32, f16, q8_0, q4_0: f32 rounding over K <= 1024 terms, ~1e-6 relative per
// sum, grown through the layers: 1e-3 is ample). The other types reach the GPU as an f16 copy of their
// dequantized weights, which moves the logits like an f16 model vs its f32 original: measured rms 1.9e-4 and
// max 6e-4 of the scale on this model, so 5e-3.
double twin_tolerance(gpt2_type t) {
    switch (t) {
        case GPT2_TYPE_F32:
        case GPT2_TYPE_F16:
        case GPT2_TYPE_Q8_0:
        case GPT2_TYPE_Q4_0: return 1e-3;
        default: return 5e-3;
    }
}
// Against the CPU on the quantized file itself: for quantized types the CPU rounds every activation to 8 bits
// (Q8_0 / Q8_K, as ggml does) and the GPU does not; on this model that moves the CPU's logits from its f32
// twin's by max 1.3e-2 .. 2.0e-2 of the scale (measured per type: q8_0 1.35e-2, q4_K and q6_K 2.0e-2). f32/f16:
// the twin check's bound. A wrong kernel is off by the logit scale itself (100 %).
double tolerance(gpt2_type t) {
    switch (t) {
        case GPT2_TYPE_F32:
        case GPT2_TYPE_F16: return 1e-3;
        case GPT2_TYPE_BF16: return 5e-3;
        default: return 5e-2;
    }
}

bool exists(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

gpt2_model *load(const std::string &path, int32_t device) {
    gpt2_model_params p = gpt2_model_default_params();
    p.device = device;
    gpt2_model *m = nullptr;
    const int32_t st = gpt2_model_load(path.c_str(), &p, &m);
    CHECK_MSG(st == GPT2_OK, "load %s on %d: %s", path.c_str(), device, gpt2_last_error());
    return m;
}

gpt2_context *context(gpt2_model *m, int32_t n_seq_max, int32_t n_ctx = 0) {
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_seq_max = n_seq_max;
    cp.n_ctx = n_ctx;
    gpt2_context *c = nullptr;
    CHECK_MSG(gpt2_context_create(m, &cp, &c) == GPT2_OK, "context: %s", gpt2_last_error());
    return c;
}

// Decodes the batch and returns the logits of every entry that asked for them (WANT null = the C API default:
// the last entry of each sequence), concatenated in entry order. V = the model's n_vocab.
std::vector<float> decode(gpt2_context *c, int32_t V, const std::vector<int32_t> &seq, const std::vector<int32_t> &pos,
                          const std::vector<int32_t> &tok, const std::vector<int8_t> *want = nullptr) {
    const int32_t n = (int32_t)seq.size();
    std::vector<float> out;
    const int32_t st = gpt2_decode(c, n, seq.data(), pos.data(), tok.data(), want ? want->data() : nullptr);
    CHECK_MSG(st == GPT2_OK, "decode: %s", gpt2_last_error());
    if (st != GPT2_OK) return out;
    for (int32_t i = 0; i < n; ++i) {
        bool wanted = want ? (*want)[(size_t)i] != 0 : true;
        if (!want) {
            for (int32_t j = i + 1; j < n; ++j) wanted = wanted && seq[(size_t)j] != seq[(size_t)i];
        }
        if (!wanted) continue;
        const float *l = gpt2_get_logits(c, i);
        CHECK(l != nullptr);
        if (l) out.insert(out.end(), l, l + V);
    }
    return out;
}

// max |a - b| / max(1, max |a|); prints it under LABEL and checks it against TOL.
double compare(const char *label, const std::vector<float> &cpu, const std::vector<float> &gpu, double tol) {
    CHECK_MSG(cpu.size() == gpu.size() && !cpu.empty(), "%s: %zu vs %zu logits", label, cpu.size(), gpu.size());
    if (cpu.size() != gpu.size() || cpu.empty()) return INFINITY;
    double scale = 1.0, diff = 0.0;
    for (size_t i = 0; i < cpu.size(); ++i) {
        scale = std::max(scale, (double)std::fabs(cpu[i]));
        const double d = std::fabs((double)cpu[i] - (double)gpu[i]);
        diff = std::isfinite(d) ? std::max(diff, d) : INFINITY;
    }
    const double rel = diff / scale;
    std::printf("  %-40s max |diff| %.3g of scale %.3g (%.2e, tol %.0e)\n", label, diff, scale, rel, tol);
    CHECK_MSG(rel <= tol, "%s: %.3g > %.3g", label, rel, tol);
    return rel;
}

int32_t argmax(const float *l, int32_t V) { return (int32_t)(std::max_element(l, l + V) - l); }

std::vector<int32_t> tokens_of(int32_t n, int32_t salt) {
    std::vector<int32_t> t((size_t)n);
    for (int32_t i = 0; i < n; ++i) t[(size_t)i] = (int32_t)((i * 7919 + salt * 104729 + 13) % 50000);
    return t;
}

// 1. Logits of one weight type (file PATH, its f32 twin TWIN): an 8-token prompt (every entry's logits), then
// 3 decode steps, against the CPU on the twin and on the file itself.
void test_type(const std::string &path, const std::string &twin, gpt2_type type) {
    gpt2_model *cpu = load(path, GPT2_DEVICE_CPU), *ref = load(twin, GPT2_DEVICE_CPU),
               *gpu = load(path, GPT2_DEVICE_CUDA);
    if (cpu && ref && gpu) {
        const int32_t V = gpt2_model_n_vocab(cpu);
        gpt2_context *cc = context(cpu, 1), *rc = context(ref, 1), *gc = context(gpu, 1);
        std::vector<int32_t> seq(8, 0), pos(8), tok = tokens_of(8, 1);
        for (int32_t i = 0; i < 8; ++i) pos[(size_t)i] = i;
        const std::vector<int8_t> all(8, 1);
        const std::string name = std::string(gpt2_type_name(type));
        std::vector<float> g = decode(gc, V, seq, pos, tok, &all);
        compare((name + " prompt vs f32 twin").c_str(), decode(rc, V, seq, pos, tok, &all), g, twin_tolerance(type));
        compare((name + " prompt vs cpu " + name).c_str(), decode(cc, V, seq, pos, tok, &all), g, tolerance(type));
        for (int32_t step = 0; step < 3; ++step) {
            const std::vector<int32_t> s1{0}, p1{8 + step}, t1{(step * 31 + 5) % V};
            g = decode(gc, V, s1, p1, t1);
            compare((name + " step " + std::to_string(step) + " vs f32 twin").c_str(), decode(rc, V, s1, p1, t1), g,
                    twin_tolerance(type));
            compare((name + " step " + std::to_string(step) + " vs cpu " + name).c_str(), decode(cc, V, s1, p1, t1), g,
                    tolerance(type));
        }
        gpt2_context_free(cc);
        gpt2_context_free(rc);
        gpt2_context_free(gc);
    }
    gpt2_model_free(cpu);
    gpt2_model_free(ref);
    gpt2_model_free(gpu);
}

// 2. Batched == unbatched, many sequences at different positions, graph replay vs plain launches, a rejected
// batch, and reuse of a cleared slot: all on the f32 model against the CPU.
void test_batching(const std::string &path) {
    gpt2_model *cpu = load(path, GPT2_DEVICE_CPU), *gpu = load(path, GPT2_DEVICE_CUDA);
    if (!cpu || !gpu) return;
    const int32_t V = gpt2_model_n_vocab(cpu);
    const double tol = tolerance(GPT2_TYPE_F32);

    {   // three prompts in one batch == each alone (the GPU against itself: same per-row arithmetic)
        const int32_t lens[3] = {5, 9, 3};
        std::vector<int32_t> seq, pos, tok;
        for (int32_t s = 0; s < 3; ++s) {
            const std::vector<int32_t> t = tokens_of(lens[s], 10 + s);
            for (int32_t i = 0; i < lens[s]; ++i) {
                seq.push_back(s);
                pos.push_back(i);
                tok.push_back(t[(size_t)i]);
            }
        }
        gpt2_context *batched = context(gpu, 3);
        const std::vector<float> together = decode(batched, V, seq, pos, tok);
        std::vector<float> alone;
        for (int32_t s = 0; s < 3; ++s) {
            gpt2_context *c = context(gpu, 1);
            const std::vector<int32_t> t = tokens_of(lens[s], 10 + s);
            std::vector<int32_t> s0((size_t)lens[s], 0), p0((size_t)lens[s]);
            for (int32_t i = 0; i < lens[s]; ++i) p0[(size_t)i] = i;
            const std::vector<float> l = decode(c, V, s0, p0, t);
            alone.insert(alone.end(), l.begin(), l.end());
            gpt2_context_free(c);
        }
        compare("batched == unbatched", alone, together, 1e-5);
        gpt2_context_free(batched);
    }

    {   // 32 sequences at 32 different positions stepping together, against the CPU doing the same
        const int32_t S = 32;
        gpt2_context *cc = context(cpu, S, 64), *gc = context(gpu, S, 64);
        std::vector<int32_t> next((size_t)S), len((size_t)S);
        for (int32_t s = 0; s < S; ++s) {   // prompts of 1..32 tokens, one decode each
            len[(size_t)s] = 1 + s;
            const std::vector<int32_t> t = tokens_of(len[(size_t)s], 100 + s);
            std::vector<int32_t> sq((size_t)len[(size_t)s], s), ps((size_t)len[(size_t)s]);
            for (int32_t i = 0; i < len[(size_t)s]; ++i) ps[(size_t)i] = i;
            const std::vector<float> lc = decode(cc, V, sq, ps, t), lg = decode(gc, V, sq, ps, t);
            if (s % 8 == 0) compare(("prefill of sequence " + std::to_string(s)).c_str(), lc, lg, tol);
            next[(size_t)s] = lc.empty() ? 0 : argmax(lc.data(), V);
        }
        for (int32_t step = 0; step < 4; ++step) {
            std::vector<int32_t> sq((size_t)S), ps((size_t)S), tk((size_t)S);
            for (int32_t s = 0; s < S; ++s) {
                sq[(size_t)s] = s;
                ps[(size_t)s] = len[(size_t)s]++;
                tk[(size_t)s] = next[(size_t)s];
            }
            // steps 0, 2: every entry wants logits (the captured graph); 1, 3: every other one (plain launches)
            std::vector<int8_t> want((size_t)S, 1);
            if (step % 2 == 1) {
                for (int32_t s = 0; s < S; s += 2) want[(size_t)s] = 0;
            }
            const std::vector<float> lc = decode(cc, V, sq, ps, tk, &want), lg = decode(gc, V, sq, ps, tk, &want);
            compare(("32 sequences, step " + std::to_string(step) + (step % 2 ? " (plain)" : " (graph)")).c_str(), lc,
                    lg, tol);
            for (int32_t s = 0, r = 0; s < S; ++s) {
                if (!want[(size_t)s]) continue;
                if (lc.size() >= (size_t)(r + 1) * V) next[(size_t)s] = argmax(lc.data() + (size_t)r * V, V);
                ++r;
            }
        }
        // a rejected batch (wrong position for sequence 3) changes nothing on the GPU either
        const std::vector<int32_t> bad_seq{2, 3}, bad_pos{len[2], len[3] + 1}, bad_tok{1, 2};
        CHECK_EQ(gpt2_decode(gc, 2, bad_seq.data(), bad_pos.data(), bad_tok.data(), nullptr),
                 GPT2_ERR_INVALID_ARGUMENT);
        CHECK_EQ(gpt2_context_seq_len(gc, 3), len[3]);
        // slot reuse: clear sequence 5, run a new prompt in it; == a fresh context on the same prompt
        CHECK_EQ(gpt2_context_seq_clear(gc, 5), GPT2_OK);
        const std::vector<int32_t> t = tokens_of(6, 999);
        std::vector<int32_t> sq(6, 5), ps(6);
        for (int32_t i = 0; i < 6; ++i) ps[(size_t)i] = i;
        const std::vector<float> reused = decode(gc, V, sq, ps, t);
        gpt2_context *fresh = context(gpu, 6, 64);
        compare("reused slot == fresh context", decode(fresh, V, sq, ps, t), reused, 1e-5);
        gpt2_context_free(fresh);
        gpt2_context_free(cc);
        gpt2_context_free(gc);
    }
    gpt2_model_free(cpu);
    gpt2_model_free(gpu);
}

struct Collect {
    std::vector<int32_t> tokens;
    int32_t cancel_after = -1;
};

int32_t collect(int32_t token, const char *, int32_t, float, void *user) {
    Collect *c = (Collect *)user;
    c->tokens.push_back(token);
    return c->cancel_after >= 0 && (int32_t)c->tokens.size() >= c->cancel_after ? 1 : 0;
}

std::vector<int32_t> greedy(gpt2_context *ctx, const std::string &prompt, int32_t n, int32_t cancel_after = -1,
                            int32_t *status = nullptr) {
    gpt2_sampler_params sp = gpt2_sampler_default_params();
    sp.temperature = 0.f;
    sp.max_tokens = n;
    sp.ignore_eos = 1;
    Collect c;
    c.cancel_after = cancel_after;
    const int32_t st = gpt2_generate(ctx, prompt.data(), (int32_t)prompt.size(), &sp, nullptr, 0, collect, &c, nullptr);
    if (status) *status = st;
    else CHECK_MSG(st == GPT2_OK, "generate: %s", gpt2_last_error());
    return c.tokens;
}

// 3. Greedy generation: GPU == CPU token for token on a trained model (peaked distributions; a random model's
// near-ties make its greedy path a coin toss between any two correct implementations), and a cancelled
// generation leaves the slot reusable.
void test_greedy(const std::string &path, const char *label, bool trained) {
    gpt2_model *cpu = load(path, GPT2_DEVICE_CPU), *gpu = load(path, GPT2_DEVICE_CUDA);
    if (!cpu || !gpu) return;
    gpt2_context *cc = context(cpu, 1), *gc = context(gpu, 1);
    const char *prompts[] = {"ROMEO:\n", "First Citizen:\nBefore we proceed any further, hear me speak.",
                             "KING HENRY:\nOnce more unto the", "To be, or not to be"};
    if (trained) {
        int matches = 0;
        for (const char *p : prompts) {
            const std::vector<int32_t> a = greedy(cc, p, 32), b = greedy(gc, p, 32);
            const bool same = a == b && a.size() == 32;
            CHECK_MSG(same, "%s: greedy tokens differ for prompt '%s'", label, p);
            matches += same;
        }
        std::printf("  greedy parity %-24s %d/4 prompts x 32 tokens identical\n", label, matches);
    }
    const std::vector<int32_t> full = greedy(gc, prompts[1], 32);
    int32_t st = 0;
    const std::vector<int32_t> cut = greedy(gc, prompts[1], 32, 5, &st);
    CHECK_EQ(st, GPT2_ERR_CANCELLED);
    CHECK_EQ((int)cut.size(), 5);
    CHECK(std::equal(cut.begin(), cut.end(), full.begin()));
    CHECK(greedy(gc, prompts[1], 32) == full);   // the slot is reused after the cancel, from position 0
    gpt2_context_free(cc);
    gpt2_context_free(gc);
    gpt2_model_free(cpu);
    gpt2_model_free(gpu);
}

}  // namespace

int main() {
    mkdir(DIR.c_str(), 0755);
    gpt2::RandomModelOptions o;
    o.n_layer = 2;
    o.n_head = 4;
    o.n_embd = 256;   // a multiple of 256, so every k-quant type applies
    o.n_ctx = 128;
    o.vocab_dir = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";
    const std::string f32 = DIR + "/random-f32.gguf";
    gpt2::random_model_write(f32, o);

    gpt2_model_params p = gpt2_model_default_params();
    p.device = GPT2_DEVICE_CUDA;
    gpt2_model *probe = nullptr;
    const int32_t st = gpt2_model_load(f32.c_str(), &p, &probe);
    if (st == GPT2_ERR_UNSUPPORTED) {
        std::printf("test_cuda: skipped: %s\n", gpt2_last_error());
        return 77;
    }
    CHECK_MSG(st == GPT2_OK, "%s", gpt2_last_error());
    if (probe) std::printf("test_cuda: on %s (%s)\n", gpt2_model_device(probe), gpt2_model_device_name(probe));
    gpt2_model_free(probe);

    const gpt2_type types[] = {GPT2_TYPE_F32,  GPT2_TYPE_F16,  GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0, GPT2_TYPE_Q4_1,
                               GPT2_TYPE_Q5_0, GPT2_TYPE_Q4_K, GPT2_TYPE_Q6_K, GPT2_TYPE_IQ4_NL, GPT2_TYPE_BF16};
    for (gpt2_type t : types) {
        std::string path = f32, twin = f32;
        if (t != GPT2_TYPE_F32) {
            path = DIR + "/random-" + gpt2_type_name(t) + ".gguf";
            twin = DIR + "/random-" + gpt2_type_name(t) + "-as-f32.gguf";
            gpt2::gguf_requantize(f32, path, t);
            gpt2::gguf_requantize(path, twin, GPT2_TYPE_F32);   // its weights, dequantized
        }
        test_type(path, twin, t);
    }
    test_batching(f32);

    // $GPT2_TINY_SHAKESPEARE: the model's directory where ../shared is not beside the checkout (a GPU machine)
    const char *env = std::getenv("GPT2_TINY_SHAKESPEARE");
    const std::string shared = env && *env ? std::string(env)
                                           : std::string(GPT2_SOURCE_DIR) + "/../shared/models/tiny-shakespeare";
    if (!exists(shared + "/model.safetensors")) {
        std::printf("test_cuda: %s absent, skipping greedy parity on the trained model\n", shared.c_str());
        test_greedy(f32, "random f32", false);
    } else {
        for (gpt2_type t : {GPT2_TYPE_F32, GPT2_TYPE_F16}) {
            const std::string path = DIR + "/tiny-shakespeare-" + gpt2_type_name(t) + ".gguf";
            gpt2::hf_convert(shared, path, t);
            test_greedy(path, (std::string("tiny-shakespeare ") + gpt2_type_name(t)).c_str(), true);
        }
    }
    return check_summary("test_cuda");
}
