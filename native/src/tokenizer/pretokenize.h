// pretokenize.h — GPT-2's pre-tokenization: splits text into the pieces its regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// matches, by a hand-written matcher over full Unicode (\s = White_Space). Contractions are
// case-sensitive, as in GPT-2. Bytes that are not valid UTF-8 count as one "other" character each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace gpt2 {

// Walks TEXT's pre-tokens in order without materialising them (constant memory, each byte decoded at most
// twice). TEXT must outlive the iterator.
class PretokenIterator {
public:
    explicit PretokenIterator(std::string_view text) : text_(text) {}
    // The next pre-token's [*begin, *end) byte range; false when the text is exhausted.
    bool next(size_t *begin, size_t *end);

private:
    std::string_view text_;
    size_t pos_ = 0;
};

// Appends the [begin, end) byte ranges of TEXT's pre-tokens to PIECES, in order; they tile TEXT exactly.
void pretokenize(std::string_view text, std::vector<std::pair<size_t, size_t>> *pieces);

// Length in bytes of the well-formed UTF-8 character at TEXT[pos] (1..4) with its code point in *cp, or 0
// when the bytes there are not well-formed UTF-8 (overlong, surrogate, > U+10FFFF, truncated, stray).
size_t utf8_decode_char(std::string_view text, size_t pos, uint32_t *cp);

}  // namespace gpt2
