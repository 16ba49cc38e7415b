// hf_vocab.h — reads a Hugging Face GPT-2 tokenizer (vocab.json + merges.txt) into the GGUF-style lists
// the Tokenizer is built from. Only the subset of JSON that vocab.json uses (one flat object of
// string -> integer) is accepted.
#pragma once

#include <string>
#include <vector>

namespace gpt2 {

// vocab_json / merges_txt: file paths. tokens: filled ordered by id with the vocab's byte-level string form
// (e.g. "Ġhello"); ids must be dense 0..n-1. merges: the "a b" lines after the "#version" header, by rank.
// Throws gpt2::Error: GPT2_ERR_IO (missing/unreadable file) or GPT2_ERR_FORMAT (bad content), naming the file.
void read_hf_vocab(const std::string &vocab_json, const std::string &merges_txt,
                   std::vector<std::string> *tokens, std::vector<std::string> *merges);

}  // namespace gpt2
