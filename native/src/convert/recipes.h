// recipes.h — what gpt2-quantize writes for each matrix: one type everywhere ("q4_K"), or a named mix
// ("q4_k_m", "q5_k_m") that keeps the tensors whose errors cost the most in more precise types.
//
//   q4_k_m: q4_K, except token_embd (the input embedding and, tied, the output head) and attn_qkv and ffn_down
//           of the first and last eighth of the layers and of every third layer between, which are q6_K
//           (the tensor types of llama.cpp's Q4_K_M for GPT-2: layers {2, 3} of 4, {0, 3, 6, 9, 10, 11} of 12).
//   q5_k_m: the same with q5_K as the base type.
// Rows that are not a multiple of a k-quant's 256 fall back to the 32-wide type of about the same precision
// (q4_K -> q5_0, q5_K -> q5_1, q6_K -> q8_0, q2_K/q3_K -> q4_0), as llama.cpp does for narrow models.
#pragma once

#include <string>

#include "gpt2.h"

namespace gpt2 {

struct QuantRecipe {
    std::string name;             // "q4_K" or "q4_k_m" ...
    gpt2_type base = GPT2_TYPE_F32;
    bool mixed = false;           // the _m rules above
    uint32_t llama_ftype = 0;     // general.file_type llama.cpp would write for it
    // --output-tensor: write the output head as its own tensor of this type (a tied head becomes an explicit
    // output.weight copy of token_embd, as builds of llama.cpp before mid-2024 wanted); -1 = as in the input
    int output_type = -1;
};

// NAME (case-insensitive for plain types): a writable type or a recipe; false if unknown.
bool recipe_from_name(const std::string &name, QuantRecipe *out);

// The type of tensor GGUF_NAME (ne0 = row length) in a model of N_LAYER layers under RECIPE.
gpt2_type recipe_tensor_type(const QuantRecipe &recipe, const std::string &gguf_name, int64_t ne0, int n_layer);

// "f32 f16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_K q5_K q6_K q4_k_m q5_k_m": for usage lines.
const char *recipe_names();

}  // namespace gpt2
