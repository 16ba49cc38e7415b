// fuzz_safetensors.cpp — libFuzzer target: any bytes as a .safetensors file through SafetensorsFile::open
// (the u64 header length, the JSON header, every entry's dtype/shape/offsets) and, for each entry it
// accepts, safetensors_read_f32. Properties: no crash / sanitizer report; rejections are gpt2::Error with
// FORMAT (IO only for an empty mapping) naming the file; accepted entries lie inside the file.
#include <string>

#include "util/error.h"
#include "convert/safetensors.h"
#include "support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fuzz::MemFile file("fuzz_safetensors");
    file.write(data, size);
    std::unique_ptr<gpt2::SafetensorsFile> st;
    try {
        st = gpt2::SafetensorsFile::open(file.path());
    } catch (const gpt2::Error &e) {
        FUZZ_REQUIRE(e.status() == GPT2_ERR_FORMAT || e.status() == GPT2_ERR_IO, "status %d: %s", (int)e.status(),
                     e.what());
        FUZZ_REQUIRE(std::string(e.what()).find(file.path()) != std::string::npos, "message does not name the file: %s",
                     e.what());
        return 0;
    }
    for (const auto &kv : st->entries()) {
        const gpt2::SafetensorsEntry &e = kv.second;
        FUZZ_REQUIRE(e.begin <= e.end && e.end <= size, "entry '%s' [%llu, %llu) outside %zu bytes", kv.first.c_str(),
                     (unsigned long long)e.begin, (unsigned long long)e.end, size);
        try {
            const std::vector<float> x = gpt2::safetensors_read_f32(e, file.path());
            FUZZ_REQUIRE((int64_t)x.size() == e.n_elements(), "entry '%s': %zu floats for %lld elements",
                         kv.first.c_str(), x.size(), (long long)e.n_elements());
        } catch (const gpt2::Error &err) {
            FUZZ_REQUIRE(err.status() == GPT2_ERR_FORMAT, "read_f32 status %d: %s", (int)err.status(), err.what());
        }
    }
    return 0;
}
