// unicode_class.cpp — code point -> CharClass: ASCII by direct comparison, the rest by binary search in the
// generated range table (unicode_tables.cpp).
#include "tokenizer/unicode_tables.h"

namespace gpt2 {

CharClass unicode_char_class(uint32_t cp) {
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return CHAR_LETTER;
        if (cp >= '0' && cp <= '9') return CHAR_NUMBER;
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return CHAR_SPACE;
        return CHAR_OTHER;
    }
    size_t lo = 0, hi = k_n_unicode_ranges;  // first range with last >= cp lies in [lo, hi)
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (k_unicode_ranges[mid].last < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo < k_n_unicode_ranges && k_unicode_ranges[lo].first <= cp) return k_unicode_ranges[lo].cls;
    return CHAR_OTHER;
}

}  // namespace gpt2
