// tensor.cpp — sizes and names of the element types the runtime reads (ggml's ids and block layouts).
#include "tensor/tensor.h"

#include <cctype>

#include "tensor/quant.h"

namespace gpt2 {

int64_t type_block_size(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_Q8_0: return QK8_0;
        case GPT2_TYPE_Q4_0: return QK4_0;
        case GPT2_TYPE_Q4_1: return QK4_1;
        case GPT2_TYPE_Q5_0: return QK5_0;
        case GPT2_TYPE_Q5_1: return QK5_1;
        case GPT2_TYPE_IQ4_NL: return QK4_NL;
        case GPT2_TYPE_Q2_K:
        case GPT2_TYPE_Q3_K:
        case GPT2_TYPE_Q4_K:
        case GPT2_TYPE_Q5_K:
        case GPT2_TYPE_Q6_K: return QK_K;
        default: return 1;
    }
}

size_t type_block_bytes(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_F32: return 4;
        case GPT2_TYPE_F16: return 2;
        case GPT2_TYPE_BF16: return 2;
        case GPT2_TYPE_Q8_0: return sizeof(block_q8_0);
        case GPT2_TYPE_Q4_0: return sizeof(block_q4_0);
        case GPT2_TYPE_Q4_1: return sizeof(block_q4_1);
        case GPT2_TYPE_Q5_0: return sizeof(block_q5_0);
        case GPT2_TYPE_Q5_1: return sizeof(block_q5_1);
        case GPT2_TYPE_IQ4_NL: return sizeof(block_iq4_nl);
        case GPT2_TYPE_Q2_K: return sizeof(block_q2_K);
        case GPT2_TYPE_Q3_K: return sizeof(block_q3_K);
        case GPT2_TYPE_Q4_K: return sizeof(block_q4_K);
        case GPT2_TYPE_Q5_K: return sizeof(block_q5_K);
        case GPT2_TYPE_Q6_K: return sizeof(block_q6_K);
    }
    return 0;
}

size_t type_row_bytes(gpt2_type type, int64_t n) {
    return (size_t)(n / type_block_size(type)) * type_block_bytes(type);
}

// By integer id: a GGUF's tensor type field may hold any number, and an out-of-range gpt2_type value would be
// undefined behaviour (found by fuzz_gguf under UBSan), so ids are only turned into gpt2_type once known.
const char *type_name_of_id(uint32_t id) {
    switch (id) {
        case GPT2_TYPE_F32: return "f32";
        case GPT2_TYPE_F16: return "f16";
        case GPT2_TYPE_Q8_0: return "q8_0";
        case GPT2_TYPE_Q4_0: return "q4_0";
        case GPT2_TYPE_Q4_1: return "q4_1";
        case GPT2_TYPE_Q5_0: return "q5_0";
        case GPT2_TYPE_Q5_1: return "q5_1";
        case GPT2_TYPE_IQ4_NL: return "iq4_nl";
        case GPT2_TYPE_Q2_K: return "q2_K";
        case GPT2_TYPE_Q3_K: return "q3_K";
        case GPT2_TYPE_Q4_K: return "q4_K";
        case GPT2_TYPE_Q5_K: return "q5_K";
        case GPT2_TYPE_Q6_K: return "q6_K";
        case GPT2_TYPE_BF16: return "bf16";
        default: return nullptr;
    }
}

const char *type_name(gpt2_type type) { return type_name_of_id((uint32_t)type); }

bool type_from_name(const std::string &name, gpt2_type *out) {
    std::string s;
    for (char c : name) s += (char)std::tolower((unsigned char)c);
    // the types this project can write (gpt2-quantize); the others are read and computed only
    const gpt2_type all[] = {GPT2_TYPE_F32, GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0};
    for (gpt2_type t : all) {
        std::string tn = type_name(t);
        for (char &c : tn) c = (char)std::tolower((unsigned char)c);
        if (s == tn) {
            if (out) *out = t;
            return true;
        }
    }
    return false;
}

bool type_is_supported(uint32_t ggml_type) { return type_name_of_id(ggml_type) != nullptr; }

}  // namespace gpt2
