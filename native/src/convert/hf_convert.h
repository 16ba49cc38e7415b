// hf_convert.h — Hugging Face GPT-2 directory (config.json, model.safetensors or sharded safetensors +
// model.safetensors.index.json, vocab.json, merges.txt) -> GGUF, one tensor at a time.
#pragma once

#include <string>

#include "gpt2.h"
#include "model/model.h"

namespace gpt2 {

// Reads the hyper-parameters of a GPT-2 config.json (n_embd, n_layer, n_head, n_positions or n_ctx,
// layer_norm_epsilon, vocab_size, n_inner (null -> 4 n_embd)). n_vocab is config's vocab_size.
HParams hf_config_read(const std::string &config_json_path);

// Writes OUT_PATH (via OUT_PATH.tmp + rename, so a failure leaves no partial file). TYPE is the type of
// the matrices (see gpt2_gguf.h). general.name = the directory's base name. Throws gpt2::Error.
void hf_convert(const std::string &hf_dir, const std::string &out_path, gpt2_type type);

}  // namespace gpt2
