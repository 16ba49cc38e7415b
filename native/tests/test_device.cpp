// test_device.cpp — choosing the device at load time, on any host: gpt2_device_parse, the params checks, and
// that asking for CUDA where it cannot run (no libgpt2_cuda.so in this build, no driver, no such device) is
// GPT2_ERR_UNSUPPORTED naming what is missing, with the CPU path still working in the same process. The GPU
// itself is exercised by test_cuda.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "check.h"
#include "convert/random_model.h"
#include "gpt2.h"

namespace {

const std::string DIR = GPT2_BINARY_DIR;

bool contains(const char *s, const char *part) { return s && std::strstr(s, part) != nullptr; }

bool exists(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

void test_parse() {
    int32_t kind = -1, index = -1;
    CHECK_EQ(gpt2_device_parse("cpu", &kind, &index), GPT2_OK);
    CHECK(kind == GPT2_DEVICE_CPU && index == 0);
    CHECK_EQ(gpt2_device_parse("cuda", &kind, &index), GPT2_OK);
    CHECK(kind == GPT2_DEVICE_CUDA && index == 0);
    CHECK_EQ(gpt2_device_parse("cuda:3", &kind, &index), GPT2_OK);
    CHECK(kind == GPT2_DEVICE_CUDA && index == 3);
    for (const char *bad : {"", "gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda:99999", "cpu:0"}) {
        kind = index = -7;
        CHECK_MSG(gpt2_device_parse(bad, &kind, &index) == GPT2_ERR_INVALID_ARGUMENT, "'%s' was accepted", bad);
        CHECK_MSG(contains(gpt2_last_error(), ("'" + std::string(bad) + "'").c_str()), "message: %s",
                  gpt2_last_error());
        CHECK(kind == -7 && index == -7);
    }
    CHECK_EQ(gpt2_device_parse(nullptr, &kind, &index), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_device_parse("cpu", nullptr, &index), GPT2_ERR_INVALID_ARGUMENT);
}

// The CPU path on MODEL: one prompt decoded, logits finite.
void check_cpu_decodes(gpt2_model *model) {
    gpt2_context *ctx = nullptr;
    CHECK_EQ(gpt2_context_create(model, nullptr, &ctx), GPT2_OK);
    const int32_t seq[3] = {0, 0, 0}, pos[3] = {0, 1, 2}, tok[3] = {464, 3290, 318};
    CHECK_EQ(gpt2_decode(ctx, 3, seq, pos, tok, nullptr), GPT2_OK);
    const float *logits = gpt2_get_logits(ctx, 2);
    CHECK(logits != nullptr);
    bool finite = logits != nullptr;
    for (int32_t i = 0; finite && i < gpt2_model_n_vocab(model); ++i) finite = std::isfinite(logits[i]);
    CHECK(finite);
    gpt2_context_free(ctx);
}

void test_load(const std::string &path) {
    const gpt2_model_params dflt = gpt2_model_default_params();
    CHECK(dflt.device == GPT2_DEVICE_CPU && dflt.device_index == 0);

    gpt2_model *m = (gpt2_model *)0x1;
    gpt2_model_params p = dflt;
    p.device = 5;
    CHECK_EQ(gpt2_model_load(path.c_str(), &p, &m), GPT2_ERR_INVALID_ARGUMENT);
    CHECK(m == nullptr);
    CHECK_MSG(contains(gpt2_last_error(), "params.device"), "%s", gpt2_last_error());
    p = dflt;
    p.device_index = 1;   // an index means nothing for the CPU
    CHECK_EQ(gpt2_model_load(path.c_str(), &p, &m), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_MSG(contains(gpt2_last_error(), "device_index"), "%s", gpt2_last_error());

    // CUDA: loads on a GPU host with the backend built; anywhere else a clear GPT2_ERR_UNSUPPORTED.
    const bool backend_built = exists(DIR + "/libgpt2_cuda.so");
    p = dflt;
    p.device = GPT2_DEVICE_CUDA;
    const int32_t st = gpt2_model_load(path.c_str(), &p, &m);
    const std::string msg = gpt2_last_error();
    std::printf("test_device: cuda:0 -> %s %s\n", gpt2_status_name(st), msg.c_str());
    if (st == GPT2_OK) {
        CHECK(backend_built);
        CHECK(std::strcmp(gpt2_model_device(m), "cuda:0") == 0);
        CHECK(std::strlen(gpt2_model_device_name(m)) > 0);
        gpt2_model_free(m);
    } else {
        CHECK_EQ(st, GPT2_ERR_UNSUPPORTED);
        CHECK(m == nullptr);
        CHECK_MSG(contains(msg.c_str(), "cuda:0"), "%s", msg.c_str());
        if (!backend_built) {
            CHECK_MSG(contains(msg.c_str(), "libgpt2_cuda.so not found") && contains(msg.c_str(), "-DGPT2_CUDA=ON"),
                      "%s", msg.c_str());
        } else {
            CHECK_MSG(contains(msg.c_str(), "libcuda.so.1") || contains(msg.c_str(), "no CUDA device") ||
                          contains(msg.c_str(), "CUDA unavailable"),
                      "%s", msg.c_str());
        }
    }
    p.device_index = 4095;   // never exists
    CHECK_EQ(gpt2_model_load(path.c_str(), &p, &m), GPT2_ERR_UNSUPPORTED);
    CHECK(m == nullptr);
    if (st == GPT2_OK) CHECK_MSG(contains(gpt2_last_error(), "cuda:4095 does not exist"), "%s", gpt2_last_error());

    // The CPU path in the same process, after the failed (or successful) CUDA loads.
    CHECK_EQ(gpt2_model_load(path.c_str(), nullptr, &m), GPT2_OK);
    CHECK(std::strcmp(gpt2_model_device(m), "cpu") == 0);
    CHECK(std::strcmp(gpt2_model_device_name(m), "cpu") == 0);
    check_cpu_decodes(m);
    gpt2_model_free(m);
    CHECK(gpt2_model_device(nullptr) == nullptr);
    CHECK(contains(gpt2_build_info(), "cuda: "));
}

}  // namespace

int main() {
    test_parse();
    gpt2::RandomModelOptions o;
    o.n_layer = 1;
    o.n_head = 2;
    o.n_embd = 64;
    o.n_ctx = 32;
    o.vocab_dir = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";
    const std::string path = DIR + "/test_device.gguf";
    gpt2::random_model_write(path, o);
    test_load(path);
    std::remove(path.c_str());
    return check_summary("test_device");
}
