// byte_map.cpp — GPT-2's bytes_to_unicode table, computed by the same rule as OpenAI's encoder.py: bytes
// '!'..'~', 0xA1..0xAC and 0xAE..0xFF keep their own code point; the rest, in byte order, get 256, 257, ...
#include "tokenizer/byte_map.h"

namespace gpt2 {

namespace {
constexpr uint32_t FIRST_SHIFTED_CP = 256;   // where the non-printable bytes are moved to
constexpr uint32_t N_SHIFTED = 68;           // 33 controls/space + 0x7F..0xA0 (34) + 0xAD

bool keeps_own_codepoint(uint32_t b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}
}  // namespace

uint32_t byte_to_codepoint(uint8_t b) {
    if (keeps_own_codepoint(b)) return b;
    uint32_t n = 0;  // rank of b among the shifted bytes
    for (uint32_t x = 0; x < b; ++x)
        if (!keeps_own_codepoint(x)) ++n;
    return FIRST_SHIFTED_CP + n;
}

int32_t codepoint_to_byte(uint32_t cp) {
    if (cp < 256) return keeps_own_codepoint(cp) ? (int32_t)cp : -1;
    if (cp >= FIRST_SHIFTED_CP + N_SHIFTED) return -1;
    uint32_t n = cp - FIRST_SHIFTED_CP;
    for (uint32_t x = 0; x < 256; ++x) {
        if (keeps_own_codepoint(x)) continue;
        if (n == 0) return (int32_t)x;
        --n;
    }
    return -1;
}

}  // namespace gpt2
