// pretokenize.cpp — the GPT-2 pre-tokenization matcher: at each piece start the regex's alternatives are
// tried in order, exactly as a backtracking engine resolves them (the first alternative that matches wins,
// quantifiers are greedy, \s+(?!\S) gives back one character before a non-space).
#include "tokenizer/pretokenize.h"

#include <cstdint>

#include "tokenizer/unicode_tables.h"

namespace gpt2 {

size_t utf8_decode_char(std::string_view text, size_t pos, uint32_t *cp) {
    const size_t n = text.size() - pos;
    const auto b = [&](size_t i) { return (uint8_t)text[pos + i]; };
    const auto cont = [&](size_t i) { return i < n && (b(i) & 0xC0) == 0x80; };
    const uint8_t b0 = b(0);
    if (b0 < 0x80) { *cp = b0; return 1; }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (!cont(1)) return 0;
        *cp = ((uint32_t)(b0 & 0x1F) << 6) | (b(1) & 0x3F);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (b0 == 0xE0 && b(1) < 0xA0) return 0;   // overlong
        if (b0 == 0xED && b(1) > 0x9F) return 0;   // surrogate
        *cp = ((uint32_t)(b0 & 0x0F) << 12) | ((uint32_t)(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (b0 == 0xF0 && b(1) < 0x90) return 0;   // overlong
        if (b0 == 0xF4 && b(1) > 0x8F) return 0;   // > U+10FFFF
        *cp = ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(b(1) & 0x3F) << 12) | ((uint32_t)(b(2) & 0x3F) << 6) |
              (b(3) & 0x3F);
        return 4;
    }
    return 0;
}

namespace {

// True if the ASCII contraction suffix at TEXT[pos..] is one of s t m d re ve ll; *n_bytes gets its length.
bool contraction_suffix(std::string_view text, size_t pos, size_t *n_bytes) {
    if (pos >= text.size()) return false;
    const char c1 = text[pos];
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') { *n_bytes = 1; return true; }
    if (pos + 1 >= text.size()) return false;
    const char c2 = text[pos + 1];
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) { *n_bytes = 2; return true; }
    return false;
}

}  // namespace

bool PretokenIterator::next(size_t *begin, size_t *end) {
    const std::string_view text = text_;
    const size_t n = text.size();
    const size_t b = pos_;
    if (b >= n) return false;
    // Class and byte length of the character at P (an invalid byte is one CHAR_OTHER character).
    const auto char_at = [&](size_t p, size_t *len) {
        uint32_t cp = 0;
        *len = utf8_decode_char(text, p, &cp);
        if (*len == 0) { *len = 1; return CHAR_OTHER; }
        return unicode_char_class(cp);
    };
    *begin = b;

    // 's|'t|'re|'ve|'m|'ll|'d — ASCII bytes are always whole characters, so bytes can be compared.
    size_t suffix = 0;
    if (text[b] == '\'' && contraction_suffix(text, b + 1, &suffix)) {
        pos_ = *end = b + 1 + suffix;
        return true;
    }
    size_t len0 = 0;
    const CharClass c0 = char_at(b, &len0);

    //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ — an optional U+0020, then a run of one class.
    size_t run = b;
    CharClass c = c0;
    size_t len = len0;
    if (text[b] == ' ' && b + 1 < n) {
        size_t len1 = 0;
        const CharClass c1 = char_at(b + 1, &len1);
        if (c1 != CHAR_SPACE) { run = b + 1; c = c1; len = len1; }
    }
    if (c != CHAR_SPACE) {
        size_t k = run + len;
        while (k < n) {
            size_t l = 0;
            if (char_at(k, &l) != c) break;
            k += l;
        }
        pos_ = *end = k;
        return true;
    }

    // \s+(?!\S) | \s+ — a whitespace run; before a non-space it leaves its last character to the next piece.
    size_t last = b, k = b + len0;
    while (k < n) {
        size_t l = 0;
        if (char_at(k, &l) != CHAR_SPACE) break;
        last = k;
        k += l;
    }
    if (k < n && last > b) k = last;
    pos_ = *end = k;
    return true;
}

void pretokenize(std::string_view text, std::vector<std::pair<size_t, size_t>> *pieces) {
    PretokenIterator it(text);
    size_t begin = 0, end = 0;
    while (it.next(&begin, &end)) pieces->emplace_back(begin, end);
}

}  // namespace gpt2
