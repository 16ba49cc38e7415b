// gpt2-tokenize — prints the GPT-2 token ids of the UTF-8 text on stdin as a JSON array, e.g. [15496, 995].
// The tokenizer comes from a GGUF model (-m, through the C API) or from a Hugging Face vocab.json +
// merges.txt directory (--vocab-dir). Errors go to stderr with exit status 1.
// Usage: gpt2-tokenize (-m MODEL.gguf | --vocab-dir DIR) [--special]
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/error.h"
#include "gpt2.h"
#include "tokenizer/hf_vocab.h"
#include "tokenizer/tokenizer.h"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: gpt2-tokenize (-m MODEL.gguf | --vocab-dir DIR) [--special] < text\n"
                 "  -m MODEL.gguf     take the tokenizer from a GGUF model\n"
                 "  --vocab-dir DIR   take it from DIR/vocab.json and DIR/merges.txt (Hugging Face files)\n"
                 "  --special         \"<|endoftext|>\" in the text becomes the special token (default: plain text)\n");
    return 1;
}

std::vector<int32_t> tokenize_with_model(const std::string &path, const std::string &text, bool special) {
    gpt2_model *model = nullptr;
    if (gpt2_model_load(path.c_str(), nullptr, &model) != GPT2_OK)
        throw std::runtime_error(gpt2_last_error());
    std::unique_ptr<gpt2_model, void (*)(gpt2_model *)> owner(model, gpt2_model_free);
    if (text.size() > (size_t)INT32_MAX) throw std::runtime_error("input is larger than 2 GiB");
    int32_t n = 0;
    int32_t st = gpt2_tokenize(model, text.data(), (int32_t)text.size(), special, nullptr, 0, &n);
    if (st != GPT2_OK && st != GPT2_ERR_BUFFER_TOO_SMALL) throw std::runtime_error(gpt2_last_error());
    std::vector<int32_t> ids((size_t)n);
    st = gpt2_tokenize(model, text.data(), (int32_t)text.size(), special, ids.data(), n, &n);
    if (st != GPT2_OK) throw std::runtime_error(gpt2_last_error());
    return ids;
}

std::vector<int32_t> tokenize_with_vocab(const std::string &dir, const std::string &text, bool special) {
    std::vector<std::string> tokens, merges;
    gpt2::read_hf_vocab(dir + "/vocab.json", dir + "/merges.txt", &tokens, &merges);
    const gpt2::Tokenizer tok(std::move(tokens), {}, merges);
    return tok.encode(text, special);
}

}  // namespace

int main(int argc, char **argv) {
    std::string model_path, vocab_dir;
    bool special = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "-m" || a == "--model") && i + 1 < argc) model_path = argv[++i];
        else if (a == "--vocab-dir" && i + 1 < argc) vocab_dir = argv[++i];
        else if (a == "--special") special = true;
        else if (a == "-h" || a == "--help") return usage();
        else {
            std::fprintf(stderr, "gpt2-tokenize: unknown or incomplete argument '%s'\n", a.c_str());
            return usage();
        }
    }
    if (model_path.empty() == vocab_dir.empty()) {
        std::fprintf(stderr, "gpt2-tokenize: give exactly one of -m MODEL.gguf and --vocab-dir DIR\n");
        return usage();
    }
    std::freopen(nullptr, "rb", stdin);
    const std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    try {
        const std::vector<int32_t> ids = model_path.empty() ? tokenize_with_vocab(vocab_dir, text, special)
                                                            : tokenize_with_model(model_path, text, special);
        std::string out = "[";
        for (size_t i = 0; i < ids.size(); ++i) {
            if (i) out += ", ";
            out += std::to_string(ids[i]);
        }
        out += "]\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-tokenize: %s\n", e.what());
        return 1;
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
