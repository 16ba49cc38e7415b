// gpt2-quantize — re-encodes a GPT-2 GGUF with another matrix type or a mixed recipe (convert/recipes.h), copying
// its metadata. The input may be any type this runtime reads (a llama.cpp k-quant file too). With --imatrix the
// quantizers weight each weight's rounding error by its input column's mean square (gpt2-imatrix, imatrix.h), and
// the token embedding is rounded against the file's lookup Fisher where it has one (error_feedback.h).
// Usage: gpt2-quantize IN.gguf OUT.gguf TYPE|RECIPE [--output-tensor TYPE] [--imatrix FILE]
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "convert/imatrix.h"
#include "convert/requantize.h"

namespace {

int usage() {
    std::fprintf(stderr, "usage: gpt2-quantize IN.gguf OUT.gguf TYPE|RECIPE [--output-tensor TYPE] [--imatrix FILE]\n"
                         "  TYPE|RECIPE: %s\n"
                         "  --output-tensor TYPE: write the output head as its own tensor of TYPE (a tied head\n"
                         "  becomes an explicit copy of token_embd)\n"
                         "  --imatrix FILE: an importance matrix (gpt2-imatrix, or llama-imatrix's GGUF output)\n",
                 gpt2::recipe_names());
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 4) return usage();
    gpt2::QuantRecipe recipe, output;
    if (!gpt2::recipe_from_name(argv[3], &recipe)) return usage();
    std::string imatrix_path;
    for (int i = 4; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        if (a == "--output-tensor") {
            if (!gpt2::recipe_from_name(argv[++i], &output) || output.mixed) return usage();
            recipe.output_type = output.base;
        } else if (a == "--imatrix") {
            imatrix_path = argv[++i];
        } else {
            return usage();
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    try {
        gpt2::ImportanceMatrix imatrix;
        if (!imatrix_path.empty()) imatrix = gpt2::imatrix_load(imatrix_path);
        gpt2::gguf_requantize(argv[1], argv[2], recipe, imatrix_path.empty() ? nullptr : &imatrix, imatrix_path);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-quantize: %s\n", e.what());
        return 1;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s (%s%s) in %.0f ms\n", argv[2], recipe.name.c_str(),
                imatrix_path.empty() ? "" : ", importance-weighted", ms);
    return 0;
}
