// pretokenize.cpp — the GPT-2 pre-tokenization matcher. The text is first decoded into characters (byte
// offset + class); the regex's alternatives are then tried in order at each piece start, exactly as a
// backtracking engine would resolve them (first alternative that matches wins, quantifiers greedy).
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

void pretokenize(std::string_view text, std::vector<std::pair<size_t, size_t>> *pieces) {
    // Characters: cls[i] and start offset off[i]; off[n] = text.size().
    std::vector<CharClass> cls;
    std::vector<size_t> off;
    cls.reserve(text.size());
    off.reserve(text.size() + 1);
    for (size_t pos = 0; pos < text.size();) {
        uint32_t cp = 0;
        const size_t len = utf8_decode_char(text, pos, &cp);
        off.push_back(pos);
        cls.push_back(len == 0 ? CHAR_OTHER : unicode_char_class(cp));
        pos += len == 0 ? 1 : len;
    }
    const size_t n = cls.size();
    off.push_back(text.size());

    size_t i = 0;
    while (i < n) {
        const size_t b = off[i];
        // 's|'t|'re|'ve|'m|'ll|'d — ASCII bytes are always whole characters, so bytes can be compared.
        size_t suffix = 0;
        if (text[b] == '\'' && contraction_suffix(text, b + 1, &suffix)) {
            pieces->emplace_back(b, b + 1 + suffix);
            i += 1 + suffix;
            continue;
        }
        //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ — an optional U+0020 then a run of one class.
        size_t j = i;
        if (text[b] == ' ' && i + 1 < n && cls[i + 1] != CHAR_SPACE) j = i + 1;
        if (cls[j] != CHAR_SPACE) {
            const CharClass c = cls[j];
            size_t k = j + 1;
            while (k < n && cls[k] == c) ++k;
            pieces->emplace_back(b, off[k]);
            i = k;
            continue;
        }
        // \s+(?!\S) | \s+ — a whitespace run; before a non-space it leaves its last character to the next piece.
        size_t k = i + 1;
        while (k < n && cls[k] == CHAR_SPACE) ++k;
        if (k < n && k - i >= 2) --k;
        pieces->emplace_back(b, off[k]);
        i = k;
    }
}

}  // namespace gpt2
