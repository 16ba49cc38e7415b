// test_steady_state.cpp — once a context has run a batch of a given shape, further decode steps of that shape
// allocate nothing on the heap (every global operator new in this process is counted), for prompts, for
// continuous-batching decode steps, and on 1 and 2 threads. And a sequence's logits are the same bits whether
// its prompt ran in one batch or in chunks, alone or beside other sequences (batch-invariant kernels), for every
// weight type.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "check.h"
#include "test_models.h"
#include "convert/requantize.h"
#include "gpt2.h"

namespace {
std::atomic<long> g_allocations{0};
}

void *operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void *operator new[](std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// every replaceable form that allocates (the nothrow ones are used by std::stable_sort's buffer), so that no
// allocation comes from another allocator than the one ours are freed to
void *operator new(std::size_t n, const std::nothrow_t &) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }

namespace {

const std::string kBin = GPT2_BINARY_DIR;
constexpr int32_t kSeqs = 4;

struct Batch {
    std::vector<int32_t> seq, pos, tok;
    void add(int32_t s, int32_t p, int32_t t) { seq.push_back(s); pos.push_back(p); tok.push_back(t); }
    int32_t n() const { return (int32_t)seq.size(); }
};

int32_t decode(gpt2_context *ctx, const Batch &b) {
    return gpt2_decode(ctx, b.n(), b.seq.data(), b.pos.data(), b.tok.data(), nullptr);
}

void test_no_allocation_per_step(gpt2_model *model, int threads, gpt2_type type) {
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_seq_max = kSeqs;
    cp.n_threads = threads;
    cp.n_ctx = 64;
    gpt2_context *ctx = nullptr;
    CHECK(gpt2_context_create(model, &cp, &ctx) == GPT2_OK);
    if (!ctx) return;
    // Prompts of 8 tokens for every sequence, one decode each. The first round allocates each sequence's KV
    // cache and sizes the scratch; after seq_clear (which keeps the caches) the second round must not allocate.
    std::vector<Batch> prompts((size_t)kSeqs);
    for (int32_t s = 0; s < kSeqs; ++s) {
        for (int32_t p = 0; p < 8; ++p) prompts[(size_t)s].add(s, p, 100 + 13 * s + p);
    }
    for (int round = 0; round < 2; ++round) {
        for (int32_t s = 0; s < kSeqs; ++s) {
            CHECK(gpt2_context_seq_clear(ctx, s) == GPT2_OK);
            g_allocations.store(0);
            CHECK(decode(ctx, prompts[(size_t)s]) == GPT2_OK);
            const long counted = g_allocations.load();
            if (round == 1) {
                CHECK_MSG(counted == 0, "%s, %d threads: prompt of sequence %d allocated %ld times",
                          gpt2_type_name(type), threads, s, counted);
            }
        }
    }
    // Continuous-batching steps: one entry per sequence. The first two steps size both logits buffers
    // (the last decode's and the next one's).
    Batch step;
    for (int32_t s = 0; s < kSeqs; ++s) step.add(s, 8, 7 + s);
    for (int32_t i = 0; i < 20; ++i) {
        for (int32_t s = 0; s < kSeqs; ++s) {
            step.pos[(size_t)s] = 8 + i;
            step.tok[(size_t)s] = (7 + s * 31 + i * 17) % 50000;
        }
        g_allocations.store(0);
        CHECK(decode(ctx, step) == GPT2_OK);
        CHECK(gpt2_get_logits(ctx, kSeqs - 1) != nullptr);
        const long counted = g_allocations.load();
        if (i >= 2) {
            CHECK_MSG(counted == 0, "%s, %d threads: decode step %d allocated %ld times", gpt2_type_name(type),
                      threads, i, counted);
        }
    }
    gpt2_context_free(ctx);
}

// Sequence 0's prompt of 20 tokens run (a) in one batch alone, (b) in chunks of 3 beside other sequences'
// prompts of other lengths placed before it: the last logits must be bit-identical.
void test_logits_ignore_batching(gpt2_model *model, int threads) {
    const int32_t n_vocab = gpt2_model_n_vocab(model);
    std::vector<int32_t> prompt;
    for (int32_t p = 0; p < 20; ++p) prompt.push_back((p * 977 + 11) % n_vocab);
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_seq_max = 3;
    cp.n_threads = threads;
    cp.n_ctx = 64;
    gpt2_context *a = nullptr, *b = nullptr;
    CHECK(gpt2_context_create(model, &cp, &a) == GPT2_OK && gpt2_context_create(model, &cp, &b) == GPT2_OK);
    if (!a || !b) return;
    Batch one;
    for (int32_t p = 0; p < 20; ++p) one.add(0, p, prompt[(size_t)p]);
    CHECK(decode(a, one) == GPT2_OK);
    std::vector<float> alone((size_t)n_vocab);
    std::memcpy(alone.data(), gpt2_get_logits(a, 19), alone.size() * sizeof(float));

    for (int32_t p0 = 0; p0 < 20; p0 += 3) {
        Batch chunk;   // batch mates first (1..5 tokens each, so seq 0 sits at varying offsets), then seq 0's chunk
        const int32_t mate_len = p0 % 5 + 1;
        for (int32_t s = 1; s < 3; ++s) {
            for (int32_t j = 0; j < mate_len; ++j) chunk.add(s, gpt2_context_seq_len(b, s) + j, (j * 31 + s) % n_vocab);
        }
        for (int32_t p = p0; p < p0 + 3 && p < 20; ++p) chunk.add(0, p, prompt[(size_t)p]);
        CHECK(decode(b, chunk) == GPT2_OK);
        if (p0 + 3 >= 20) {
            const float *l = gpt2_get_logits(b, chunk.n() - 1);
            CHECK(l != nullptr);
            if (l) {
                CHECK_MSG(std::memcmp(l, alone.data(), alone.size() * sizeof(float)) == 0,
                          "%d threads: logits of a prompt run in chunks beside other sequences differ from alone",
                          threads);
            }
        }
    }
    gpt2_context_free(a);
    gpt2_context_free(b);
}

}  // namespace

int main() {
    const gpt2_type types[] = {GPT2_TYPE_F32, GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0};
    for (gpt2_type type : types) {
        gpt2_model *model = test_model_write_load("test_steady_state", test_model_options(type, 64));
        if (!model) continue;
        for (int threads : {1, 2}) {
            test_no_allocation_per_step(model, threads, type);
            test_logits_ignore_batching(model, threads);
        }
        gpt2_model_free(model);
    }
    // Every other weight type (the k-quants need rows of 256): requantized from a 256-wide f32 model. Their matmuls
    // run through other kernels (dequantized tiles), which must be batch-invariant too.
    const std::string wide = kBin + "/test_steady_state_wide_f32.gguf";
    gpt2::random_model_write(wide, test_model_options(GPT2_TYPE_F32, 64, 256));
    const gpt2_type others[] = {GPT2_TYPE_BF16, GPT2_TYPE_Q4_1, GPT2_TYPE_Q5_0, GPT2_TYPE_Q5_1, GPT2_TYPE_Q2_K,
                                GPT2_TYPE_Q3_K, GPT2_TYPE_Q4_K, GPT2_TYPE_Q5_K, GPT2_TYPE_Q6_K, GPT2_TYPE_IQ4_NL};
    for (gpt2_type type : others) {
        const std::string path = kBin + "/test_steady_state_wide_" + gpt2_type_name(type) + ".gguf";
        gpt2::gguf_requantize(wide, path, type);
        gpt2_model *model = nullptr;
        CHECK_MSG(gpt2_model_load(path.c_str(), nullptr, &model) == GPT2_OK, "load: %s", gpt2_last_error());
        if (!model) continue;
        for (int threads : {1, 2}) {
            test_no_allocation_per_step(model, threads, type);
            test_logits_ignore_batching(model, threads);
        }
        gpt2_model_free(model);
    }
    return check_summary("test_steady_state");
}
