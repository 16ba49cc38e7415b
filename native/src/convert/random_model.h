// random_model.h — deterministic random GPT-2 weights (a demo/test model, not a trained one), written as
// GGUF and optionally also as a Hugging Face directory holding the SAME weights (for converter tests).
#pragma once

#include <cstdint>
#include <string>

#include "gpt2.h"

namespace gpt2 {

struct RandomModelOptions {
    int32_t n_layer = 2;
    int32_t n_head = 2;
    int32_t n_embd = 64;
    int32_t n_ctx = 128;
    int32_t n_ff = 0;            // 0 = 4 n_embd
    uint64_t seed = 42;
    gpt2_type type = GPT2_TYPE_F32;
    std::string vocab_dir;       // holds vocab.json + merges.txt
    std::string hf_dir;          // if not empty: also write config.json, model.safetensors, vocab.json, merges.txt
};

// Writes OUT_PATH (via OUT_PATH.tmp + rename, so a failure leaves no partial model) and hf_dir. Same
// options -> byte-identical files. Throws gpt2::Error.
void random_model_write(const std::string &out_path, const RandomModelOptions &opt);

// splitmix64 stream and a Box-Muller normal built on it (portable, unlike std::normal_distribution).
struct SplitMix64 {
    uint64_t state;
    uint64_t next();
    double uniform();            // (0, 1]
};
void fill_normal(SplitMix64 &rng, float *x, int64_t n, float mean, float stddev);

}  // namespace gpt2
