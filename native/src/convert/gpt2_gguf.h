// gpt2_gguf.h — what a GPT-2 GGUF written by this runtime contains, shared by the converter, the
// quantizer and the random-model tool, matching llama.cpp's convert_hf_to_gguf.py (GPT2Model):
//   KV: general.architecture "gpt2", general.name, general.file_type (LLAMA_FTYPE), general.quantization_version,
//       gpt2.{context_length, embedding_length, feed_forward_length, block_count} (u32),
//       gpt2.attention.head_count (u32), gpt2.attention.layer_norm_epsilon (f32),
//       tokenizer.ggml.{model "gpt2", pre "gpt-2", tokens, token_type (i32), merges, bos/eos_token_id (u32)}
//   tensors (ne = {in, out}; HF Conv1D weights, stored (in, out), are transposed):
//       token_embd.weight {C, V}, position_embd.weight {C, T}, output_norm.{weight,bias} {C},
//       blk.N.attn_norm.{weight,bias} {C}, blk.N.attn_qkv.weight {C, 3C} + bias {3C},
//       blk.N.attn_output.weight {C, C} + bias {C}, blk.N.ffn_norm.{weight,bias} {C},
//       blk.N.ffn_up.weight {C, F} + bias {F}, blk.N.ffn_down.weight {F, C} + bias {C},
//       output.weight {C, V} only when the head is not tied to token_embd.
// Tensor types: the 2-D matrices (token_embd, attn_qkv, attn_output, ffn_up, ffn_down, output) take the
// requested type; position_embd, norms and biases stay F32 (llama.cpp keeps POS_EMBD and 1-D tensors F32).
// A matrix whose row length is not a multiple of 32 falls back to F16 for q8_0/q4_0, as llama.cpp does.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "gpt2.h"
#include "model/model.h"

namespace gpt2 {

// llama.cpp's LLAMA_FTYPE for a file whose matrices are mostly TYPE (ALL_F32=0, MOSTLY_F16=1, Q4_0=2, Q8_0=7,
// Q4_K -> Q4_K_S=14, ...); 0 for a type llama.cpp has no file type for. The one table of these numbers.
uint32_t llama_ftype_of(gpt2_type type);

// Vocabulary as written to tokenizer.ggml.*: byte-level token strings, ggml token types (1 normal,
// 3 control for "<|endoftext|>"), merges "a b" by rank.
struct VocabData {
    std::vector<std::string> tokens;
    std::vector<int32_t> token_types;
    std::vector<std::string> merges;
    int32_t eot = -1;   // id of "<|endoftext|>" (-1 if absent)
};

// Reads vocab.json + merges.txt (Hugging Face files) via read_hf_vocab.
VocabData vocab_read_hf(const std::string &vocab_json, const std::string &merges_txt);

// Writes the GPT-2 metadata keys above. NAME -> general.name.
void gpt2_gguf_set_metadata(GgufWriter &w, const HParams &hp, const std::string &name, gpt2_type ftype,
                            const VocabData &vocab);

// True for the names of the quantizable 2-D matrices.
bool gpt2_tensor_is_matrix(const std::string &gguf_name);

// Type a tensor is stored as when the file's matrix type is TARGET (see the rule above).
gpt2_type gpt2_tensor_type(const std::string &gguf_name, int64_t ne0, gpt2_type target);

// Encodes ROWS rows of NE0 floats as TYPE (row by row, ggml reference rounding).
// QW (NE0 floats, or null): the importance of each column for the quantizers (convert/imatrix.h).
// HEAD_ROWS: the rows are an output head's; each row's scales are then rescaled so that it keeps its projection
// onto itself (unbias_row_scales, tensor/quant.h), for the types that have per-block fp16 scales.
std::vector<uint8_t> tensor_encode(const float *x, int64_t ne0, int64_t rows, gpt2_type type,
                                   const float *qw = nullptr, bool head_rows = false);

// Decodes a whole tensor of TYPE to floats.
std::vector<float> tensor_decode(const void *data, gpt2_type type, int64_t ne0, int64_t rows);

// Encodes X (whole rows of NE0 floats) as TYPE and writes it as tensor INDEX of W (see tensor_encode).
void gguf_write_tensor_encoded(GgufWriter &w, size_t index, const std::vector<float> &x, int64_t ne0,
                               gpt2_type type, const float *qw = nullptr, bool head_rows = false);

// Writes a GGUF at OUT_PATH through OUT_PATH.tmp: WRITE sets the metadata, adds the tensors, writes the
// header and every tensor's data; this then finishes the file and renames it into place. On any error the
// temporary file is removed and the error rethrown (GPT2_ERR_IO if the rename fails).
void gguf_write_file(const std::string &out_path, const std::function<void(GgufWriter &)> &write);

}  // namespace gpt2
