// json.h — a small strict JSON reader and string escaper, shared by the converter (config.json, safetensors
// headers, model.safetensors.index.json), the tokenizer (vocab.json) and the tools. Whole document in
// memory; depth-limited; throws gpt2::Error(FORMAT) with the source name and byte offset of the first
// defect. Not a general-purpose library.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gpt2 {

struct JsonValue {
    enum Kind { NUL, BOOL, NUMBER, STRING, ARRAY, OBJECT };
    Kind kind = NUL;
    bool b = false;
    double num = 0.0;
    bool is_int = false;     // the literal had no fraction/exponent and fits int64
    int64_t i = 0;
    std::string str;
    std::vector<JsonValue> arr;
    std::vector<std::pair<std::string, JsonValue>> obj;   // in document order

    // Member of an object by key; nullptr if absent (or not an object).
    const JsonValue *get(const std::string &key) const;
};

// Parses TEXT (SOURCE names it in error messages). Throws gpt2::Error(GPT2_ERR_FORMAT).
JsonValue json_parse(const std::string &text, const std::string &source);

// Reads and parses a whole file (GPT2_ERR_IO if unreadable; MAX_BYTES bounds its size).
JsonValue json_parse_file(const std::string &path, size_t max_bytes = (size_t)64 << 20);

// Reads a whole (small) file into memory; GPT2_ERR_IO if missing/unreadable or larger than MAX_BYTES.
std::string read_text_file(const std::string &path, size_t max_bytes);

// Appends the JSON encoding of S (quoted, escaped) to OUT. Bytes >= 0x80 pass through unchanged (callers
// hand it UTF-8); control characters use the short escapes where JSON has one, else \u00XX.
void json_append_string(std::string &out, const std::string &s);

}  // namespace gpt2
