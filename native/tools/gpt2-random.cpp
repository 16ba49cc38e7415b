// gpt2-random — writes a deterministic random-weight GPT-2 GGUF (demo/test model; not trained), and with
// --hf-dir the same weights as a Hugging Face directory.
// Usage: gpt2-random OUT.gguf [--layers L] [--heads H] [--embd C] [--ctx N] [--ff F] [--seed S]
//                             [--type f32|f16|q8_0|q4_0] [--vocab-dir DIR] [--hf-dir DIR]
// The vocabulary defaults to weights/tokenizer, searched from the current directory and from the
// executable's directory upwards.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "convert/random_model.h"
#include "tensor/tensor.h"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: gpt2-random OUT.gguf [--layers L] [--heads H] [--embd C] [--ctx N] [--ff F] [--seed S]\n"
                 "                   [--type f32|f16|q8_0|q4_0] [--vocab-dir DIR] [--hf-dir DIR]\n"
                 "defaults: 2 layers, 2 heads, embd 64, ctx 128, ff 4*embd, seed 42, f32, vocab weights/tokenizer\n");
    return 2;
}

bool is_file(const std::string &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// First DIR/weights/tokenizer holding vocab.json, walking up from START.
std::string find_vocab_up(std::string start) {
    while (!start.empty()) {
        const std::string cand = start + "/weights/tokenizer";
        if (is_file(cand + "/vocab.json") && is_file(cand + "/merges.txt")) return cand;
        const size_t s = start.rfind('/');
        if (s == std::string::npos) break;
        start = start.substr(0, s);
    }
    return "";
}

std::string default_vocab_dir() {
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof buf)) {
        const std::string d = find_vocab_up(buf);
        if (!d.empty()) return d;
    }
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        std::string exe = buf;
        const std::string d = find_vocab_up(exe.substr(0, exe.rfind('/')));
        if (!d.empty()) return d;
    }
    return "";
}

bool parse_int(const char *s, long long lo, long long hi, long long *out) {
    char *end = nullptr;
    const long long v = std::strtoll(s, &end, 10);
    if (!end || *end != '\0' || end == s || v < lo || v > hi) return false;
    *out = v;
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    gpt2::RandomModelOptions opt;
    std::string out;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_val = i + 1 < argc;
        long long v = 0;
        auto int_opt = [&](long long lo, long long hi, int32_t *dst) {
            if (!has_val || !parse_int(argv[++i], lo, hi, &v)) return false;
            *dst = (int32_t)v;
            return true;
        };
        bool ok = true;
        if (a == "--layers") ok = int_opt(1, 1024, &opt.n_layer);
        else if (a == "--heads") ok = int_opt(1, 65536, &opt.n_head);
        else if (a == "--embd") ok = int_opt(1, 65536, &opt.n_embd);
        else if (a == "--ctx") ok = int_opt(1, 1 << 22, &opt.n_ctx);
        else if (a == "--ff") ok = int_opt(1, 1 << 20, &opt.n_ff);
        else if (a == "--seed") {
            char *end = nullptr;
            ok = has_val;
            if (ok) {
                opt.seed = std::strtoull(argv[++i], &end, 10);
                ok = end && *end == '\0';
            }
        } else if (a == "--type") ok = has_val && gpt2::type_from_name(argv[++i], &opt.type);
        else if (a == "--vocab-dir") ok = has_val && (opt.vocab_dir = argv[++i], true);
        else if (a == "--hf-dir") ok = has_val && (opt.hf_dir = argv[++i], true);
        else if (a == "-h" || a == "--help") return usage();
        else if (out.empty() && a[0] != '-') out = a;
        else ok = false;
        if (!ok) {
            std::fprintf(stderr, "gpt2-random: bad argument '%s'\n", a.c_str());
            return usage();
        }
    }
    if (out.empty()) return usage();
    if (opt.vocab_dir.empty()) opt.vocab_dir = default_vocab_dir();
    if (opt.vocab_dir.empty()) {
        std::fprintf(stderr, "gpt2-random: cannot find weights/tokenizer (vocab.json + merges.txt); pass --vocab-dir\n");
        return 2;
    }
    if (!opt.hf_dir.empty()) mkdir(opt.hf_dir.c_str(), 0755);
    try {
        gpt2::random_model_write(out, opt);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-random: %s\n", e.what());
        return 1;
    }
    std::printf("wrote %s\n", out.c_str());
    return 0;
}
