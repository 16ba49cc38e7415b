// tensor.h — a non-owning view of one weight tensor (usually inside the mmap'd GGUF file) and the
// properties of the element types the runtime supports.
//
// Dimension order is ggml's: ne[0] is the innermost (contiguous) dimension. A weight matrix W used as
// y = W x has ne[0] = in_features (K) and ne[1] = out_features (N): row n of W is K contiguous elements
// (for quantized types, K/32 blocks). Token embeddings: ne = {n_embd, n_vocab}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gpt2.h"

namespace gpt2 {

struct TensorView {
    std::string name;
    gpt2_type   type  = GPT2_TYPE_F32;
    int         n_dims = 0;
    int64_t     ne[4] = {1, 1, 1, 1};  // elements per dimension, ne[0] innermost
    const void *data  = nullptr;       // not owned
    size_t      nbytes = 0;

    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
};

// Elements per block (1 for plain types, 32 for Q8_0/Q4_0) and bytes per block.
int64_t type_block_size(gpt2_type type);
size_t  type_block_bytes(gpt2_type type);
// Bytes for one row of n elements (n must be a multiple of the block size).
size_t  type_row_bytes(gpt2_type type, int64_t n);
// "f32", "f16", "q8_0", "q4_0"; nullptr if unknown.
const char *type_name(gpt2_type type);
// The same by a raw id (any uint32 from a file); nullptr for an id this runtime does not read.
const char *type_name_of_id(uint32_t id);
// Parses a type name as above (case-insensitive); returns false if unknown.
bool type_from_name(const std::string &name, gpt2_type *out);
// True for the ggml type ids this runtime can read.
bool type_is_supported(uint32_t ggml_type);

}  // namespace gpt2
