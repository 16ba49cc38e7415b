// requantize.h — re-encodes an existing GPT-2 GGUF with another matrix type (f32/f16/q8_0/q4_0 -> any),
// copying all metadata except general.file_type; tensors are dequantized to f32 and re-encoded one at a time.
#pragma once

#include <string>

#include "convert/imatrix.h"
#include "convert/recipes.h"
#include "gpt2.h"

namespace gpt2 {

// Validates IN_PATH as a GPT-2 model first. Writes OUT_PATH via OUT_PATH.tmp + rename. Throws gpt2::Error.
void gguf_requantize(const std::string &in_path, const std::string &out_path, gpt2_type type);
// Same with the per-tensor types of RECIPE (recipes.h). With IMATRIX, each quantized matrix that has an entry
// weights its rounding errors by it (a tied head or an --output-tensor copy uses token_embd.weight's), and the
// file records it as llama.cpp does (quantize.imatrix.file / .dataset / .entries_count / .chunks_count). Where
// the imatrix holds a lookup Fisher, the token embedding's levels are then re-rounded against it
// (convert/error_feedback.h), its scales kept.
// Throws GPT2_ERR_INVALID_ARGUMENT when an entry's width does not match its tensor.
void gguf_requantize(const std::string &in_path, const std::string &out_path, const QuantRecipe &recipe,
                     const ImportanceMatrix *imatrix = nullptr, const std::string &imatrix_path = "");

}  // namespace gpt2
