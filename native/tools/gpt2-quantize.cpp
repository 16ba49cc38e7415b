// gpt2-quantize — re-encodes a GPT-2 GGUF with another matrix type or a mixed recipe (convert/recipes.h), copying
// its metadata. The input may be any type this runtime reads (a llama.cpp k-quant file too).
// Usage: gpt2-quantize IN.gguf OUT.gguf TYPE|RECIPE
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "convert/requantize.h"

int main(int argc, char **argv) {
    gpt2::QuantRecipe recipe;
    if (argc != 4 || !gpt2::recipe_from_name(argv[3], &recipe)) {
        std::fprintf(stderr, "usage: gpt2-quantize IN.gguf OUT.gguf TYPE|RECIPE\n  one of: %s\n",
                     gpt2::recipe_names());
        return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    try {
        gpt2::gguf_requantize(argv[1], argv[2], recipe);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-quantize: %s\n", e.what());
        return 1;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s (%s) in %.0f ms\n", argv[2], recipe.name.c_str(), ms);
    return 0;
}
