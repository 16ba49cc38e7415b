// fuzz_tokenizer.cpp — libFuzzer target for the GPT-2 byte-level BPE with the real 50257-token vocabulary
// (weights/tokenizer/vocab.json + merges.txt of this source tree). Properties: no crash / sanitizer report
// on any bytes; every id is in the vocabulary; and decode(encode(s)) == s, with and without special-token
// parsing. gpt2.h promises that invalid UTF-8 is encoded byte by byte, so the round trip is checked on
// every input, valid UTF-8 or not.
#include <memory>
#include <string>
#include <vector>

#include "support.h"
#include "tokenizer/hf_vocab.h"
#include "tokenizer/tokenizer.h"

namespace {

std::unique_ptr<gpt2::Tokenizer> g_tok;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    const std::string dir = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";
    std::vector<std::string> tokens, merges;
    gpt2::read_hf_vocab(dir + "/vocab.json", dir + "/merges.txt", &tokens, &merges);
    std::vector<int32_t> types(tokens.size(), 1);
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] == "<|endoftext|>") types[i] = 3;   // ggml CONTROL, as the converter writes it
    }
    g_tok = std::make_unique<gpt2::Tokenizer>(std::move(tokens), std::move(types), merges);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    const int32_t n_vocab = g_tok->n_vocab();
    for (bool special : {false, true}) {
        const std::vector<int32_t> ids = g_tok->encode(text, special);
        for (int32_t id : ids) FUZZ_REQUIRE(id >= 0 && id < n_vocab, "id %d outside the vocabulary", id);
        FUZZ_REQUIRE(ids.size() <= size, "%zu ids for %zu bytes", ids.size(), size);
        const std::string back = g_tok->decode(ids.data(), ids.size());
        FUZZ_REQUIRE(back == text, "round trip (parse_special %d) changed %zu bytes into %zu", (int)special, size,
                     back.size());
    }
    return 0;
}
