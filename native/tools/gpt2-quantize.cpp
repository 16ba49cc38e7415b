// gpt2-quantize — re-encodes a GPT-2 GGUF with another matrix type or a mixed recipe (convert/recipes.h), copying
// its metadata. The input may be any type this runtime reads (a llama.cpp k-quant file too).
// Usage: gpt2-quantize IN.gguf OUT.gguf TYPE|RECIPE [--output-tensor TYPE]
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "convert/requantize.h"

int main(int argc, char **argv) {
    gpt2::QuantRecipe recipe, output;
    const bool with_output = argc == 6 && std::string(argv[4]) == "--output-tensor";
    if ((argc != 4 && !with_output) || !gpt2::recipe_from_name(argv[3], &recipe) ||
        (with_output && (!gpt2::recipe_from_name(argv[5], &output) || output.mixed))) {
        std::fprintf(stderr, "usage: gpt2-quantize IN.gguf OUT.gguf TYPE|RECIPE [--output-tensor TYPE]\n"
                             "  TYPE|RECIPE: %s\n"
                             "  --output-tensor TYPE: write the output head as its own tensor of TYPE (a tied head\n"
                             "  becomes an explicit copy of token_embd)\n", gpt2::recipe_names());
        return 2;
    }
    if (with_output) recipe.output_type = output.base;
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
