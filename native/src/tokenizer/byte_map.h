// byte_map.h — GPT-2's bytes_to_unicode: the 256 bytes <-> 256 printable code points that byte-level
// token strings are written in (printable Latin-1 bytes map to themselves, the other 68 to U+0100..U+0143).
#pragma once

#include <cstdint>

namespace gpt2 {

// Code point standing for byte B.
uint32_t byte_to_codepoint(uint8_t b);
// Byte that code point CP stands for, or -1 if CP is not one of the 256 stand-ins.
int32_t codepoint_to_byte(uint32_t cp);

}  // namespace gpt2
