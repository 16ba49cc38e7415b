// tensor.cpp — sizes and names of the element types the runtime reads (ggml's ids and block layouts).
#include "tensor/tensor.h"

#include <cctype>

#include "tensor/quant.h"

namespace gpt2 {

int64_t type_block_size(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_Q8_0: return QK8_0;
        case GPT2_TYPE_Q4_0: return QK4_0;
        default: return 1;
    }
}

size_t type_block_bytes(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_F32: return 4;
        case GPT2_TYPE_F16: return 2;
        case GPT2_TYPE_Q8_0: return sizeof(block_q8_0);
        case GPT2_TYPE_Q4_0: return sizeof(block_q4_0);
    }
    return 0;
}

size_t type_row_bytes(gpt2_type type, int64_t n) {
    return (size_t)(n / type_block_size(type)) * type_block_bytes(type);
}

const char *type_name(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_F32: return "f32";
        case GPT2_TYPE_F16: return "f16";
        case GPT2_TYPE_Q8_0: return "q8_0";
        case GPT2_TYPE_Q4_0: return "q4_0";
    }
    return nullptr;
}

bool type_from_name(const std::string &name, gpt2_type *out) {
    std::string s;
    for (char c : name) s += (char)std::tolower((unsigned char)c);
    const gpt2_type all[] = {GPT2_TYPE_F32, GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0};
    for (gpt2_type t : all) {
        if (s == type_name(t)) {
            if (out) *out = t;
            return true;
        }
    }
    return false;
}

bool type_is_supported(uint32_t ggml_type) {
    return ggml_type == GPT2_TYPE_F32 || ggml_type == GPT2_TYPE_F16 || ggml_type == GPT2_TYPE_Q8_0 ||
           ggml_type == GPT2_TYPE_Q4_0;
}

}  // namespace gpt2
