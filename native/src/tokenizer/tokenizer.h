// tokenizer.h — GPT-2 byte-level BPE, exactly as Hugging Face's GPT2Tokenizer (and tiktoken r50k_base):
// pre-tokenization by GPT-2's regex over full Unicode, bytes mapped to the 256 printable stand-ins,
// then BPE by merge rank. Built from the GGUF tokenizer metadata (tokens, token_type, merges).
// Immutable after construction: encode/decode are safe from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpt2 {

class Tokenizer {
public:
    // tokens: the GGUF `tokenizer.ggml.tokens` strings (byte-level "Ġhello" form); token_types: ggml's
    // token types (1 normal, 3 control, ...; may be empty = all normal); merges: "Ġ t" pairs by rank.
    // Throws gpt2::Error(GPT2_ERR_FORMAT) on inconsistent data.
    Tokenizer(std::vector<std::string> tokens, std::vector<int32_t> token_types,
              const std::vector<std::string> &merges);
    ~Tokenizer();

    // UTF-8 text -> ids. Invalid UTF-8 never fails: its bytes are encoded like any other bytes.
    // parse_special: "<|endoftext|>" (and other control tokens) in the text become their ids.
    std::vector<int32_t> encode(std::string_view text, bool parse_special) const;

    // Raw bytes of one token (decoded from the byte-level form); empty for an out-of-range id.
    const std::string &token_bytes(int32_t id) const;
    std::string decode(const int32_t *ids, size_t n) const;

    int32_t n_vocab() const;
    bool is_special(int32_t id) const;
    int32_t find(std::string_view token_text) const;  // id of a token by its GGUF text, -1 if none

private:
    struct Impl;
    Impl *impl_;
};

}  // namespace gpt2
