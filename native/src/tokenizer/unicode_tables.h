// unicode_tables.h — the character classes of GPT-2's pre-tokenization regex (\p{L}, \p{N}, \s as Unicode
// White_Space, everything else) and the generated range table behind them (unicode_tables.cpp, made by
// gen_unicode_tables.mjs).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gpt2 {

enum CharClass : uint8_t { CHAR_OTHER = 0, CHAR_LETTER = 1, CHAR_NUMBER = 2, CHAR_SPACE = 3 };

struct UnicodeRange {
    uint32_t first, last;  // inclusive code points
    CharClass cls;
};

extern const UnicodeRange k_unicode_ranges[];  // sorted by first, disjoint
extern const size_t k_n_unicode_ranges;

// Class of code point CP (any value; out-of-range and surrogates are CHAR_OTHER).
CharClass unicode_char_class(uint32_t cp);

}  // namespace gpt2
