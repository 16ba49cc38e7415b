// support.cpp — see support.h.
#include "support.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <vector>

#include "util/error.h"
#include "convert/gpt2_gguf.h"
#include "convert/random_model.h"
#include "gguf/gguf.h"
#include "model/model.h"

namespace fuzz {

MemFile::MemFile(const char *name) {
    fd_ = memfd_create(name, MFD_CLOEXEC);
    if (fd_ < 0) {
        std::perror("memfd_create");
        std::abort();   // the harness itself cannot run: not a finding about the input
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemFile::~MemFile() { close(fd_); }

void MemFile::write(const uint8_t *data, size_t size) {
    if (ftruncate(fd_, 0) != 0 || (size > 0 && pwrite(fd_, data, size, 0) != (ssize_t)size)) {
        std::perror("memfd write");
        std::abort();
    }
}

uint8_t Bytes::u8() {
    if (left_ == 0) return 0;
    --left_;
    return *p_++;
}

uint32_t Bytes::u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= (uint32_t)u8() << (8 * i);
    return v;
}

uint64_t Bytes::u64() {
    const uint64_t lo = u32();
    return lo | ((uint64_t)u32() << 32);
}

float Bytes::any_float(float lo, float hi) {
    const uint8_t mode = u8();
    switch (mode % 16) {
        case 0: { const uint32_t bits = u32(); float f; std::memcpy(&f, &bits, 4); return f; }
        case 1: return std::numeric_limits<float>::quiet_NaN();
        case 2: return std::numeric_limits<float>::infinity();
        case 3: return -std::numeric_limits<float>::infinity();
        case 4: return lo;
        case 5: return hi;
        case 6: return -0.0f;
        case 7: return std::numeric_limits<float>::denorm_min();
        case 8: return std::nextafter(lo, -std::numeric_limits<float>::infinity());
        case 9: return std::nextafter(hi, std::numeric_limits<float>::infinity());
        default: return lo + (hi - lo) * (float)u32() / 4294967295.0f;
    }
}

int32_t Bytes::any_int(int32_t lo, int32_t hi) {
    const uint8_t mode = u8();
    if (mode % 8 == 0) return (int32_t)u32();
    const uint64_t span = (uint64_t)((int64_t)hi - (int64_t)lo) + 1;
    return (int32_t)((int64_t)lo + (int64_t)(u32() % span));
}

std::string Bytes::str(size_t max_len) {
    const size_t n = std::min<size_t>(u8() % (max_len + 1), left_);
    std::string s(reinterpret_cast<const char *>(p_), n);
    p_ += n;
    left_ -= n;
    return s;
}

std::string Bytes::rest() {
    std::string s(reinterpret_cast<const char *>(p_), left_);
    p_ += left_;
    left_ = 0;
    return s;
}

bool valid_utf8(const std::string &s) {
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = (unsigned char)s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return false;
        if (i + n >= s.size()) return false;   // the continuation bytes run past the end
        for (size_t k = 1; k <= n; ++k) {
            const unsigned char d = (unsigned char)s[i + k];
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        const uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}


namespace {

// GPT-2's byte -> printable code point map, each code point as UTF-8: the byte-level token strings.
std::vector<std::string> byte_level_tokens() {
    std::vector<int> cp(256, -1);
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) cp[b] = b;
    }
    int next = 256;
    for (int b = 0; b < 256; ++b) {
        if (cp[b] < 0) cp[b] = next++;
    }
    std::vector<std::string> out(256);
    for (int b = 0; b < 256; ++b) {
        if (cp[b] < 0x80) {
            out[b] = std::string(1, (char)cp[b]);
        } else {
            out[b] = {(char)(0xC0 | (cp[b] >> 6)), (char)(0x80 | (cp[b] & 0x3F))};
        }
    }
    return out;
}

}  // namespace

void write_tiny_model(const std::string &path) {
    gpt2::VocabData vocab;
    vocab.tokens = byte_level_tokens();
    for (const char *t : {"he", "ll", "hell", "<|endoftext|>"}) vocab.tokens.push_back(t);
    vocab.merges = {"h e", "l l", "he ll"};
    vocab.token_types.assign(vocab.tokens.size(), 1);
    vocab.token_types.back() = 3;
    vocab.eot = (int32_t)vocab.tokens.size() - 1;

    gpt2::HParams hp;
    hp.n_embd = 8;
    hp.n_layer = 1;
    hp.n_head = 2;
    hp.n_ctx = 8;
    hp.n_ff = 4 * hp.n_embd;
    hp.n_vocab = (int32_t)vocab.tokens.size();
    const int64_t C = hp.n_embd, V = hp.n_vocab, F = hp.n_ff, T = hp.n_ctx;
    const std::vector<std::pair<std::string, std::vector<int64_t>>> defs = {
        {"token_embd.weight", {C, V}},        {"position_embd.weight", {C, T}},
        {"blk.0.attn_norm.weight", {C}},      {"blk.0.attn_norm.bias", {C}},
        {"blk.0.attn_qkv.weight", {C, 3 * C}}, {"blk.0.attn_qkv.bias", {3 * C}},
        {"blk.0.attn_output.weight", {C, C}}, {"blk.0.attn_output.bias", {C}},
        {"blk.0.ffn_norm.weight", {C}},       {"blk.0.ffn_norm.bias", {C}},
        {"blk.0.ffn_up.weight", {C, F}},      {"blk.0.ffn_up.bias", {F}},
        {"blk.0.ffn_down.weight", {F, C}},    {"blk.0.ffn_down.bias", {C}},
        {"output_norm.weight", {C}},          {"output_norm.bias", {C}},
    };
    gpt2::gguf_write_file(path, [&](gpt2::GgufWriter &w) {
        gpt2::gpt2_gguf_set_metadata(w, hp, "fuzz-tiny", GPT2_TYPE_F32, vocab);
        for (const auto &d : defs) w.add_tensor(d.first, GPT2_TYPE_F32, d.second);
        w.write_header();
        gpt2::SplitMix64 rng{7};
        for (size_t i = 0; i < defs.size(); ++i) {
            int64_t n = 1;
            for (int64_t x : defs[i].second) n *= x;
            std::vector<float> x((size_t)n);
            gpt2::fill_normal(rng, x.data(), n, 0.0f, 0.5f);
            gpt2::gguf_write_tensor_encoded(w, i, x, defs[i].second[0], GPT2_TYPE_F32);
        }
    });
}

}  // namespace fuzz
