// text_stream.h — turns a sequence's token bytes into text that is safe to hand out piece by piece:
// only whole UTF-8 characters, never a byte of a stop string, never anything after a stop string.
//
// Bytes of each token are appended to a pending buffer. The first push that completes a stop string ends
// the stream (if several complete in that push, the earliest start wins; as OpenAI and vLLM, a longer stop
// that began earlier but is not yet complete does not delay it): the text before it is released and the stop and everything after are dropped.
// Otherwise the longest pending suffix that is a proper prefix of some stop string is held back, and of
// the rest only whole characters are released; bytes that can never become valid UTF-8 are replaced by
// U+FFFD at once (maximal invalid subpart, as Python's errors="replace"). finish() releases everything
// still held, an incomplete tail becoming U+FFFD.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2.h"

namespace gpt2 {

constexpr size_t kMaxStopBytes = GPT2_MAX_STOP_BYTES;   // longest stop string (the limits are gpt2.h's)
constexpr size_t kMaxStopStrings = GPT2_MAX_STOP;       // stop strings per stream

// Appends the valid UTF-8 of DATA[0, len) to OUT, invalid bytes as U+FFFD. With final = false, a trailing
// incomplete-but-so-far-valid sequence is not consumed. Returns the number of bytes consumed.
size_t utf8_append_valid(std::string &out, const char *data, size_t len, bool final);

class TextStream {
public:
    // The caller checks the limits (1..kMaxStopBytes bytes, at most kMaxStopStrings).
    void add_stop(std::string_view stop) { stops_.emplace_back(stop); }
    size_t n_stops() const { return stops_.size(); }

    // Forgets the text released so far (call before each step).
    void clear_text() { text_.clear(); }
    // Appends BYTES and releases what became safe into text(). Returns true when a stop string matched
    // (the stream is then finished).
    bool push(std::string_view bytes);
    // Releases everything held back into text(); the stream is finished.
    void finish();

    const std::string &text() const { return text_; }
    size_t pending_bytes() const { return pending_.size(); }
    bool finished() const { return finished_; }

private:
    std::vector<std::string> stops_;
    std::string pending_;   // appended, not yet released
    std::string text_;      // released by the last push/finish calls since clear_text
    bool finished_ = false;
};

}  // namespace gpt2
