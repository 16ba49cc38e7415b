// cli.h — command-line helpers shared by the tools.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace gpt2 {

// The integer value S of option FLAG, which must lie in [LO, HI]; throws std::runtime_error naming the flag.
inline int64_t cli_int(const std::string &flag, const char *s, int64_t lo, int64_t hi) {
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        throw std::runtime_error(flag + " wants an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                 "], got '" + s + "'");
    return v;
}

}  // namespace gpt2
