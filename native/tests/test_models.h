// test_models.h — the small generated GPT-2s the native tests run on, written at test time with the project's own
// generator (same options, same bytes), so every test is self-contained on a fresh machine.
#pragma once

#include <string>

#include "check.h"
#include "convert/random_model.h"
#include "gpt2.h"

// Options of a small model of TYPE with the project's tokenizer: 2 layers, 2 heads, N_EMBD wide, N_CTX positions.
inline gpt2::RandomModelOptions test_model_options(gpt2_type type, int32_t n_ctx, int32_t n_embd = 64) {
    gpt2::RandomModelOptions opt;
    opt.n_layer = 2;
    opt.n_head = 2;
    opt.n_embd = n_embd;
    opt.n_ctx = n_ctx;
    opt.type = type;
    opt.vocab_dir = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";
    return opt;
}

// Writes OPT's model as <build dir>/<STEM>_<type>.gguf and loads it; NULL, with a failed check, if it does not load.
inline gpt2_model *test_model_write_load(const std::string &stem, const gpt2::RandomModelOptions &opt) {
    const std::string path = std::string(GPT2_BINARY_DIR) + "/" + stem + "_" + gpt2_type_name(opt.type) + ".gguf";
    gpt2::random_model_write(path, opt);
    gpt2_model *model = nullptr;
    CHECK_MSG(gpt2_model_load(path.c_str(), nullptr, &model) == GPT2_OK, "load %s: %s", path.c_str(),
              gpt2_last_error());
    return model;
}
