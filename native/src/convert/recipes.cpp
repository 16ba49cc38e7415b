// recipes.cpp — per-tensor types of gpt2-quantize's plain types and mixed recipes (see recipes.h).
#include "convert/recipes.h"

#include <cctype>
#include <cstdlib>

#include "convert/gpt2_gguf.h"
#include "tensor/tensor.h"

namespace gpt2 {

namespace {

gpt2_type narrow_fallback(gpt2_type t) {
    switch (t) {
        case GPT2_TYPE_Q4_K: return GPT2_TYPE_Q5_0;
        case GPT2_TYPE_Q5_K: return GPT2_TYPE_Q5_1;
        case GPT2_TYPE_Q6_K: return GPT2_TYPE_Q8_0;
        case GPT2_TYPE_Q2_K:
        case GPT2_TYPE_Q3_K: return GPT2_TYPE_Q4_0;
        default: return GPT2_TYPE_F16;
    }
}

// blk.N.<SUFFIX> -> N; -1 for other names
int layer_of(const std::string &name, const std::string &suffix) {
    const std::string pre = "blk.";
    if (name.compare(0, pre.size(), pre) != 0 || name.size() <= pre.size() + suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return -1;
    }
    return std::atoi(name.c_str() + pre.size());
}

// The layers whose attn_qkv and ffn_down a _k_m recipe keeps in q6_K: the first eighth, the last eighth and every
// third layer between (counted from the end of the first eighth), in integer eighths — the layers llama.cpp's
// Q4_K_M / Q5_K_M files hold in q6_K (read from its quantizer's output for 4 and 12 layers: {2, 3} and
// {0, 3, 6, 9, 10, 11}), so that both recipes store the same tensor types.
bool more_bits_layer(int layer, int n_layer) {
    const int eighth = n_layer / 8;
    return layer < eighth || layer >= 7 * n_layer / 8 || (layer - eighth) % 3 == 2;
}

}  // namespace

bool recipe_from_name(const std::string &name, QuantRecipe *out) {
    std::string lower;
    for (char c : name) lower += (char)std::tolower((unsigned char)c);
    QuantRecipe r;
    if (lower == "q4_k_m" || lower == "q5_k_m") {
        r.name = lower;
        r.base = lower == "q4_k_m" ? GPT2_TYPE_Q4_K : GPT2_TYPE_Q5_K;
        r.mixed = true;
        r.llama_ftype = lower == "q4_k_m" ? 15 : 17;
    } else {
        const gpt2_type writable[] = {GPT2_TYPE_F32,  GPT2_TYPE_F16,  GPT2_TYPE_BF16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0,
                                      GPT2_TYPE_Q4_1, GPT2_TYPE_Q5_0, GPT2_TYPE_Q5_1, GPT2_TYPE_IQ4_NL, GPT2_TYPE_Q2_K,
                                      GPT2_TYPE_Q3_K, GPT2_TYPE_Q4_K, GPT2_TYPE_Q5_K, GPT2_TYPE_Q6_K};
        bool found = false;
        for (gpt2_type t : writable) {
            std::string tn = type_name(t);
            for (char &c : tn) c = (char)std::tolower((unsigned char)c);
            if (tn == lower) {
                r.name = type_name(t);
                r.base = t;
                r.llama_ftype = llama_ftype_of(t);   // as llama.cpp would describe the file
                found = true;
            }
        }
        if (!found) return false;
    }
    if (out) *out = r;
    return true;
}

gpt2_type recipe_tensor_type(const QuantRecipe &recipe, const std::string &gguf_name, int64_t ne0, int n_layer) {
    if (!gpt2_tensor_is_matrix(gguf_name)) return GPT2_TYPE_F32;
    gpt2_type t = recipe.base;
    if (recipe.mixed) {
        int layer = layer_of(gguf_name, ".ffn_down.weight");
        if (layer < 0) layer = layer_of(gguf_name, ".attn_qkv.weight");
        if (gguf_name == "token_embd.weight" || gguf_name == "output.weight" ||
            (layer >= 0 && more_bits_layer(layer, n_layer))) {
            t = GPT2_TYPE_Q6_K;
        }
    }
    if (ne0 % type_block_size(t) != 0) t = narrow_fallback(t);
    if (ne0 % type_block_size(t) != 0) t = GPT2_TYPE_F16;
    return t;
}

const char *recipe_names() {
    return "f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 iq4_nl q2_K q3_K q4_K q5_K q6_K q4_k_m q5_k_m";
}

}  // namespace gpt2
