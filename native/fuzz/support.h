// support.h — what the libFuzzer targets of native/fuzz share: an in-memory file (memfd) so file readers
// run on fuzz bytes without touching the disk, a reader that turns fuzz bytes into typed values, the
// finding check (a violated property aborts, which libFuzzer reports with the input), and the tiny GPT-2
// model the sampler target and the seed corpus use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// A property every input must satisfy; on violation prints WHAT and aborts (libFuzzer saves the input).
#define FUZZ_REQUIRE(cond, ...)                                                              \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            std::fprintf(stderr, "%s:%d: fuzz property failed: %s: ", __FILE__, __LINE__, #cond); \
            std::fprintf(stderr, __VA_ARGS__);                                              \
            std::fputc('\n', stderr);                                                       \
            std::abort();                                                                   \
        }                                                                                   \
    } while (0)

namespace fuzz {

// An anonymous in-memory file reachable by path (/proc/self/fd/N), rewritten for every input.
class MemFile {
public:
    explicit MemFile(const char *name);
    ~MemFile();
    MemFile(const MemFile &) = delete;
    MemFile &operator=(const MemFile &) = delete;
    // Replaces the whole content with DATA[0..size).
    void write(const uint8_t *data, size_t size);
    const std::string &path() const { return path_; }

private:
    int fd_ = -1;
    std::string path_;
};

// Consumes fuzz bytes front to back; once they run out every take returns zeros.
class Bytes {
public:
    Bytes(const uint8_t *data, size_t size) : p_(data), left_(size) {}
    size_t left() const { return left_; }
    uint8_t u8();
    uint32_t u32();
    uint64_t u64();
    // Mostly values inside [LO, HI] (where the interesting behaviour is), sometimes the edges, NaN, +-inf,
    // -0, denormals or any raw bit pattern.
    float any_float(float lo, float hi);
    // Mostly in [LO, HI], sometimes any int32.
    int32_t any_int(int32_t lo, int32_t hi);
    // Up to MAX_LEN raw bytes.
    std::string str(size_t max_len);
    // Everything that is left.
    std::string rest();

private:
    const uint8_t *p_;
    size_t left_;
};

// True if S is well-formed UTF-8 (shortest forms, no surrogates, at most U+10FFFF).
bool valid_utf8(const std::string &s);

// Writes a valid GPT-2 GGUF of a few KB to PATH: 256 byte tokens + 3 merges + <|endoftext|> (260 tokens),
// 1 layer, 2 heads, n_embd 8, n_ctx 8, F32, deterministic weights. Throws gpt2::Error.
void write_tiny_model(const std::string &path);

}  // namespace fuzz
