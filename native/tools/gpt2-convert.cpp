// gpt2-convert — converts a Hugging Face GPT-2 directory to a GGUF file llama.cpp and this runtime load.
// Usage: gpt2-convert HF_DIR OUT.gguf [--type f32|f16|q8_0|q4_0]   (default f16)
// HF_DIR holds config.json, vocab.json, merges.txt and model.safetensors (or model-*-of-*.safetensors shards
// with model.safetensors.index.json; F32/F16/BF16). --type applies to the 2-D matrices (token_embd, attn_qkv,
// attn_output, ffn_up, ffn_down, an untied output); position_embd, the norms and all biases stay F32, as
// llama.cpp's converter keeps them; a matrix whose rows are not a multiple of 32 falls back to f16.
// Writes OUT.gguf.tmp and renames it, so a failed run leaves no partial file.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "util/error.h"
#include "convert/hf_convert.h"
#include "tensor/tensor.h"

static int usage() {
    std::fprintf(stderr, "usage: gpt2-convert HF_DIR OUT.gguf [--type f32|f16|q8_0|q4_0]  (default f16)\n");
    return 2;
}

int main(int argc, char **argv) {
    std::string in, out;
    gpt2_type type = GPT2_TYPE_F16;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--type" && i + 1 < argc) {
            if (!gpt2::type_from_name(argv[++i], &type)) {
                std::fprintf(stderr, "gpt2-convert: unknown --type '%s'\n", argv[i]);
                return usage();
            }
        } else if (a == "-h" || a == "--help") {
            return usage();
        } else if (in.empty()) {
            in = a;
        } else if (out.empty()) {
            out = a;
        } else {
            return usage();
        }
    }
    if (in.empty() || out.empty()) return usage();
    const auto t0 = std::chrono::steady_clock::now();
    try {
        gpt2::hf_convert(in, out, type);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "gpt2-convert: %s\n", e.what());
        return 1;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wrote %s (%s) in %.0f ms\n", out.c_str(), gpt2::type_name(type), ms);
    return 0;
}
