// gpt2-quantize — re-encodes a GPT-2 GGUF with another matrix type, copying its metadata.
// Usage: gpt2-quantize IN.gguf OUT.gguf f32|f16|q8_0|q4_0
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "convert/requantize.h"
#include "tensor/tensor.h"

int main(int argc, char **argv) {
    gpt2_type type;
    if (argc != 4 || !gpt2::type_from_name(argv[3], &type)) {
        std::fprintf(stderr, "usage: gpt2-quantize IN.gguf OUT.gguf f32|f16|q8_0|q4_0\n");
        return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    try {
        gpt2::gguf_requantize(argv[1], argv[2], type);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-quantize: %s\n", e.what());
        return 1;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s (%s) in %.0f ms\n", argv[2], gpt2::type_name(type), ms);
    return 0;
}
