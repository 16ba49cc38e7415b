// fuzz_json.cpp — libFuzzer target for util/json: any bytes through json_parse (strict, depth-limited).
// Properties: no crash / sanitizer report / stack overflow; rejections are gpt2::Error(FORMAT) naming the
// source; and the escaper round-trips: json_parse(json_append_string(s)) gives back s for every input
// that is valid UTF-8 (the escaper passes bytes >= 0x80 through, so only valid UTF-8 is promised).
#include <string>

#include "util/error.h"
#include "support.h"
#include "util/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    try {
        (void)gpt2::json_parse(text, "fuzz.json");
    } catch (const gpt2::Error &e) {
        FUZZ_REQUIRE(e.status() == GPT2_ERR_FORMAT, "status %d: %s", (int)e.status(), e.what());
        FUZZ_REQUIRE(std::string(e.what()).find("fuzz.json") != std::string::npos, "message lacks the source: %s",
                     e.what());
    }
    if (fuzz::valid_utf8(text)) {
        std::string quoted;
        gpt2::json_append_string(quoted, text);
        gpt2::JsonValue v;
        try {
            v = gpt2::json_parse(quoted, "escaped");
        } catch (const gpt2::Error &e) {
            FUZZ_REQUIRE(false, "the escaped form of valid UTF-8 does not parse: %s", e.what());
        }
        FUZZ_REQUIRE(v.kind == gpt2::JsonValue::STRING && v.str == text, "escape/parse round trip changed the string");
    }
    return 0;
}
