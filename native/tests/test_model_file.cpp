// test_model_file.cpp — what a loaded model depends on after gpt2_model_load returns. By default (use_mmap
// = 0) the file is copied into the process, so truncating it, or rewriting it in place, under a running
// model changes nothing: a forward pass after either gives bit-identical logits. The mmap opt-in loads the
// same weights (same logits); its hazard (SIGBUS on a truncated file) is documented in gpt2.h, not tested,
// because the host process would die.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.h"
#include "check.h"
#include "convert/random_model.h"
#include "gpt2.h"

namespace {

const std::string kDir = GPT2_BINARY_DIR;
const std::string kModel = kDir + "/test_model_file_model.gguf";
const std::vector<int32_t> kPrompt = {464, 3616, 286, 1204, 318};   // "The meaning of life is"

// Logits of the last prompt token on a fresh context of MODEL (empty on any failure, which is CHECKed).
std::vector<float> prompt_logits(const gpt2_model *model) {
    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = 32;
    cp.n_threads = 1;
    gpt2_context *ctx = nullptr;
    const int32_t st = gpt2_context_create(model, &cp, &ctx);
    CHECK_MSG(st == GPT2_OK, "context: %s", gpt2_last_error());
    if (st != GPT2_OK) return {};
    const int32_t n = (int32_t)kPrompt.size();
    std::vector<int32_t> seq(n, 0), pos(n);
    for (int32_t i = 0; i < n; ++i) pos[i] = i;
    std::vector<float> out;
    const int32_t dst = gpt2_decode(ctx, n, seq.data(), pos.data(), kPrompt.data(), nullptr);
    CHECK_MSG(dst == GPT2_OK, "decode: %s", gpt2_last_error());
    if (dst == GPT2_OK) {
        const float *l = gpt2_get_logits(ctx, n - 1);
        CHECK(l != nullptr);
        if (l) out.assign(l, l + gpt2_model_n_vocab(model));
    }
    gpt2_context_free(ctx);
    return out;
}

gpt2_model *load(const std::string &path, int use_mmap) {
    gpt2_model_params p = gpt2_model_default_params();
    p.use_mmap = use_mmap;
    gpt2_model *m = nullptr;
    const int32_t st = gpt2_model_load(path.c_str(), &p, &m);
    CHECK_MSG(st == GPT2_OK, "load %s (mmap %d): %s", path.c_str(), use_mmap, gpt2_last_error());
    return m;
}

bool copy_file(const std::string &from, const std::string &to) {
    std::FILE *in = std::fopen(from.c_str(), "rb");
    std::FILE *out = std::fopen(to.c_str(), "wb");
    bool ok = in && out;
    char buf[1 << 16];
    size_t n;
    while (ok && (n = std::fread(buf, 1, sizeof buf, in)) > 0) ok = std::fwrite(buf, 1, n, out) == n;
    if (in) std::fclose(in);
    if (out) ok = std::fclose(out) == 0 && ok;
    return ok;
}

off_t file_size(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

void test_default_is_copy() { CHECK_EQ(gpt2_model_default_params().use_mmap, 0); }

// Truncating to zero under a loaded (default) model: the next forward pass is unaffected.
void test_truncate_under_default_model(const std::vector<float> &want) {
    const std::string path = kDir + "/test_model_file_truncated.gguf";
    CHECK(copy_file(kModel, path));
    gpt2_model *m = load(path, 0);
    if (!m) return;
    CHECK(prompt_logits(m) == want);
    CHECK_EQ(truncate(path.c_str(), 0), 0);
    CHECK_EQ(file_size(path), (off_t)0);
    CHECK_MSG(prompt_logits(m) == want, "logits changed after the file was truncated");
    gpt2_model_free(m);
    // The truncated file itself is now rejected cleanly (an error naming it, no crash).
    gpt2_model *again = reinterpret_cast<gpt2_model *>(0x1);
    CHECK_EQ(gpt2_model_load(path.c_str(), nullptr, &again), (int32_t)GPT2_ERR_FORMAT);
    CHECK(again == nullptr);
    CHECK(std::strstr(gpt2_last_error(), path.c_str()) != nullptr);
    unlink(path.c_str());
}

// Overwriting every byte in place (same size, so no SIGBUS even with mmap) under a default model.
void test_rewrite_under_default_model(const std::vector<float> &want) {
    const std::string path = kDir + "/test_model_file_rewritten.gguf";
    CHECK(copy_file(kModel, path));
    gpt2_model *m = load(path, 0);
    if (!m) return;
    const off_t size = file_size(path);
    const int fd = open(path.c_str(), O_WRONLY);
    CHECK(fd >= 0);
    if (fd >= 0) {
        const std::vector<char> junk(1 << 16, (char)0x7f);   // 0x7f7f7f7f as f32 is a huge finite value
        for (off_t at = 0; at < size; at += (off_t)junk.size()) {
            const size_t n = (size_t)std::min<off_t>((off_t)junk.size(), size - at);
            CHECK_EQ(pwrite(fd, junk.data(), n, at), (ssize_t)n);
        }
        close(fd);
    }
    CHECK_MSG(prompt_logits(m) == want, "logits changed after the file was rewritten");
    gpt2_model_free(m);
    unlink(path.c_str());
}

// The opt-in mapping serves the same weights.
void test_mmap_opt_in(const std::vector<float> &want) {
    gpt2_model *m = load(kModel, 1);
    if (!m) return;
    CHECK(prompt_logits(m) == want);
    gpt2_model_free(m);
}

}  // namespace

int main() {
    gpt2::RandomModelOptions opt;
    opt.n_layer = 1;
    opt.n_embd = 32;
    opt.n_ctx = 32;
    opt.seed = 11;
    opt.vocab_dir = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";
    try {
        gpt2::random_model_write(kModel, opt);
    } catch (const gpt2::Error &e) {
        std::fprintf(stderr, "cannot write the test model: %s\n", e.what());
        return 1;
    }
    test_default_is_copy();
    gpt2_model *ref = load(kModel, 0);
    if (!ref) return check_summary("model_file");
    const std::vector<float> want = prompt_logits(ref);
    gpt2_model_free(ref);
    CHECK(!want.empty());
    test_truncate_under_default_model(want);
    test_rewrite_under_default_model(want);
    test_mmap_opt_in(want);
    return check_summary("model_file");
}
