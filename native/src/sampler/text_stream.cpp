// text_stream.cpp — UTF-8 validation with streaming holdback, and the stop-string matcher.
#include "sampler/text_stream.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace gpt2 {

namespace {
const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
}

size_t utf8_append_valid(std::string &out, const char *data, size_t len, bool final) {
    size_t i = 0;
    while (i < len) {
        const uint8_t b = (uint8_t)data[i];
        if (b < 0x80) {
            out.push_back((char)b);
            ++i;
            continue;
        }
        // Continuation bytes needed and the allowed range of the first one (Unicode Table 3-7).
        int need = 0;
        uint8_t lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) need = 1;
        else if (b == 0xE0) { need = 2; lo = 0xA0; }
        else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) need = 2;
        else if (b == 0xED) { need = 2; hi = 0x9F; }
        else if (b == 0xF0) { need = 3; lo = 0x90; }
        else if (b >= 0xF1 && b <= 0xF3) need = 3;
        else if (b == 0xF4) { need = 3; hi = 0x8F; }
        if (need == 0) {  // 0x80..0xC1, 0xF5..0xFF: never a valid lead byte
            out.append(kReplacement);
            ++i;
            continue;
        }
        size_t j = i + 1;
        int got = 0;
        while (got < need && j < len) {
            const uint8_t c = (uint8_t)data[j];
            const uint8_t l = got == 0 ? lo : 0x80, h = got == 0 ? hi : 0xBF;
            if (c < l || c > h) break;
            ++j;
            ++got;
        }
        if (got == need) {
            out.append(data + i, j - i);
        } else if (j == len && !final) {
            return i;  // may still complete with the next bytes
        } else {
            out.append(kReplacement);
        }
        i = j;
    }
    return len;
}

bool TextStream::push(std::string_view bytes) {
    if (finished_) return false;
    pending_.append(bytes.data(), bytes.size());

    // A stop can only start inside pending_: any released text was not a prefix of a stop string.
    size_t match = std::string::npos;
    for (const std::string &stop : stops_) match = std::min(match, pending_.find(stop));
    if (match != std::string::npos) {
        utf8_append_valid(text_, pending_.data(), match, true);
        pending_.clear();
        finished_ = true;
        return true;
    }

    size_t hold = 0;
    for (const std::string &stop : stops_) {
        for (size_t k = std::min(stop.size() - 1, pending_.size()); k > hold; --k) {
            if (std::memcmp(pending_.data() + pending_.size() - k, stop.data(), k) == 0) {
                hold = k;
                break;
            }
        }
    }
    const size_t used = utf8_append_valid(text_, pending_.data(), pending_.size() - hold, false);
    pending_.erase(0, used);
    return false;
}

void TextStream::finish() {
    utf8_append_valid(text_, pending_.data(), pending_.size(), true);
    pending_.clear();
    finished_ = true;
}

}  // namespace gpt2
