// model.h — the loaded GPT-2 model: hyper-parameters, the weight views into the mapped GGUF file, the
// tokenizer, and string metadata. Defines the opaque `gpt2_model` of the C API. Immutable after load.
//
// Legend (as in llm.c): V = n_vocab, T = positions, C = n_embd, NH = n_head, L = n_layer, F = n_ff (4C).
// Every matrix is stored as ggml does it (see tensor.h): ne = {in, out}, i.e. row n holds the `in` weights
// of output n. Shapes below are written (out, in) = numpy order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gpt2.h"
#include "tensor/tensor.h"

namespace gpt2 {

class Tokenizer;   // tokenizer/tokenizer.h
class CudaModel;   // device/cuda_device.h (the weights on a GPU)
struct GgufFile;   // gguf/gguf.h (owns the mapping the views point into)

struct HParams {
    int32_t n_vocab = 0;      // rows of token_embd
    int32_t n_ctx   = 0;      // gpt2.context_length
    int32_t n_embd  = 0;      // gpt2.embedding_length
    int32_t n_ff    = 0;      // gpt2.feed_forward_length
    int32_t n_layer = 0;      // gpt2.block_count
    int32_t n_head  = 0;      // gpt2.attention.head_count
    float   norm_eps = 1e-5f; // gpt2.attention.layer_norm_epsilon
};

struct LayerWeights {
    TensorView attn_norm_w, attn_norm_b;  // (C), (C)            f32
    TensorView attn_qkv_w,  attn_qkv_b;   // (3C, C), (3C)       q|k|v stacked along out
    TensorView attn_out_w,  attn_out_b;   // (C, C), (C)
    TensorView ffn_norm_w,  ffn_norm_b;   // (C), (C)            f32
    TensorView ffn_up_w,    ffn_up_b;     // (F, C), (F)
    TensorView ffn_down_w,  ffn_down_b;   // (C, F), (C)
};

struct Weights {
    TensorView token_embd;     // (V, C)
    TensorView position_embd;  // (n_ctx, C)
    std::vector<LayerWeights> layers;
    TensorView output_norm_w, output_norm_b;  // (C), (C)
    TensorView output;         // (V, C); == token_embd when the file has no output.weight (tied head)
};

}  // namespace gpt2

struct gpt2_model {
    std::string path;
    std::string name;                         // general.name
    gpt2::HParams hparams;
    gpt2::Weights weights;
    gpt2_type ftype = GPT2_TYPE_F32;          // type of the big matrices (attn_qkv of layer 0)
    int64_t n_params = 0;
    int64_t file_size_bytes = 0;
    int32_t token_bos = -1, token_eos = -1;
    std::map<std::string, std::string> meta_str;   // every string-valued metadata key
    std::unique_ptr<gpt2::GgufFile> file;          // keeps the mapping alive
    std::unique_ptr<gpt2::Tokenizer> tokenizer;
    int32_t device_kind = GPT2_DEVICE_CPU;         // gpt2_device_kind the forward pass runs on
    int32_t device_index = 0;
    std::string device = "cpu";                    // "cpu" / "cuda:N" (gpt2_model_device)
    std::string device_name = "cpu";               // the GPU's name (gpt2_model_device_name)
    std::unique_ptr<gpt2::CudaModel> cuda;         // set when device_kind == GPT2_DEVICE_CUDA

    gpt2_model();
    ~gpt2_model();
};

namespace gpt2 {
// Loads and validates a GGUF model (throws gpt2::Error with a message naming the path). Implemented in
// model_load.cpp; the C API wraps it.
std::unique_ptr<gpt2_model> model_load(const std::string &path, const gpt2_model_params &params);
// gpt2_model_default_params(): copy the file into memory, CPU.
gpt2_model_params model_default_params();
}  // namespace gpt2
