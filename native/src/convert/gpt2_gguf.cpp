// gpt2_gguf.cpp — GPT-2 GGUF writing conventions shared by gpt2-convert, gpt2-quantize and gpt2-random
// (documented in gpt2_gguf.h), plus whole-tensor encode/decode helpers and the tmp-then-rename file write.
#include "convert/gpt2_gguf.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

#include "util/error.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"
#include "tokenizer/hf_vocab.h"

namespace gpt2 {

namespace {
constexpr int32_t TOKEN_TYPE_NORMAL = 1;
constexpr int32_t TOKEN_TYPE_CONTROL = 3;
constexpr uint32_t GGML_QUANTIZATION_VERSION = 2;
}  // namespace

uint32_t llama_ftype_of(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_F32: return 0;
        case GPT2_TYPE_F16: return 1;
        case GPT2_TYPE_Q4_0: return 2;
        case GPT2_TYPE_Q4_1: return 3;
        case GPT2_TYPE_Q8_0: return 7;
        case GPT2_TYPE_Q5_0: return 8;
        case GPT2_TYPE_Q5_1: return 9;
        case GPT2_TYPE_Q2_K: return 10;
        case GPT2_TYPE_Q3_K: return 11;   // Q3_K_S: mostly q3_K
        case GPT2_TYPE_Q4_K: return 14;   // Q4_K_S: mostly q4_K
        case GPT2_TYPE_Q5_K: return 16;   // Q5_K_S
        case GPT2_TYPE_Q6_K: return 18;
        case GPT2_TYPE_IQ4_NL: return 25;
        case GPT2_TYPE_BF16: return 32;
        default: return 0;
    }
}

VocabData vocab_read_hf(const std::string &vocab_json, const std::string &merges_txt) {
    VocabData v;
    read_hf_vocab(vocab_json, merges_txt, &v.tokens, &v.merges);
    v.token_types.assign(v.tokens.size(), TOKEN_TYPE_NORMAL);
    for (size_t i = 0; i < v.tokens.size(); ++i) {
        if (v.tokens[i] == "<|endoftext|>") {
            v.token_types[i] = TOKEN_TYPE_CONTROL;
            v.eot = (int32_t)i;
        }
    }
    return v;
}

void gpt2_gguf_set_metadata(GgufWriter &w, const HParams &hp, const std::string &name, gpt2_type ftype,
                            const VocabData &vocab) {
    w.set_str("general.architecture", "gpt2");
    w.set_str("general.name", name);
    w.set_u32("general.file_type", llama_ftype_of(ftype));
    w.set_u32("general.quantization_version", GGML_QUANTIZATION_VERSION);
    w.set_u32("gpt2.context_length", (uint32_t)hp.n_ctx);
    w.set_u32("gpt2.embedding_length", (uint32_t)hp.n_embd);
    w.set_u32("gpt2.feed_forward_length", (uint32_t)hp.n_ff);
    w.set_u32("gpt2.block_count", (uint32_t)hp.n_layer);
    w.set_u32("gpt2.attention.head_count", (uint32_t)hp.n_head);
    w.set_f32("gpt2.attention.layer_norm_epsilon", hp.norm_eps);
    w.set_str("tokenizer.ggml.model", "gpt2");
    w.set_str("tokenizer.ggml.pre", "gpt-2");
    w.set_arr_str("tokenizer.ggml.tokens", vocab.tokens);
    w.set_arr_i32("tokenizer.ggml.token_type", vocab.token_types);
    w.set_arr_str("tokenizer.ggml.merges", vocab.merges);
    if (vocab.eot >= 0) {
        w.set_u32("tokenizer.ggml.bos_token_id", (uint32_t)vocab.eot);
        w.set_u32("tokenizer.ggml.eos_token_id", (uint32_t)vocab.eot);
    }
}

bool gpt2_tensor_is_matrix(const std::string &n) {
    auto ends_with = [&](const char *suffix) {
        const size_t k = std::strlen(suffix);
        return n.size() >= k && n.compare(n.size() - k, k, suffix) == 0;
    };
    return n == "token_embd.weight" || n == "output.weight" || ends_with(".attn_qkv.weight") ||
           ends_with(".attn_output.weight") || ends_with(".ffn_up.weight") || ends_with(".ffn_down.weight");
}

gpt2_type gpt2_tensor_type(const std::string &gguf_name, int64_t ne0, gpt2_type target) {
    if (!gpt2_tensor_is_matrix(gguf_name)) return GPT2_TYPE_F32;
    if (ne0 % type_block_size(target) != 0) return GPT2_TYPE_F16;
    return target;
}

namespace {

bool encodable(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_F32: case GPT2_TYPE_F16: case GPT2_TYPE_Q8_0: case GPT2_TYPE_Q4_0: case GPT2_TYPE_Q4_1:
        case GPT2_TYPE_Q5_0: case GPT2_TYPE_Q5_1: case GPT2_TYPE_Q4_K: case GPT2_TYPE_Q5_K: case GPT2_TYPE_Q6_K:
        case GPT2_TYPE_Q2_K: case GPT2_TYPE_Q3_K: case GPT2_TYPE_IQ4_NL: case GPT2_TYPE_BF16: return true;
        default: return false;
    }
}

// Rows R0..R1 of X into OUT (a type encodable() accepts).
void encode_rows(const float *x, int64_t ne0, int64_t r0, int64_t r1, gpt2_type type, const float *qw, bool head_rows,
                 uint8_t *out) {
    const size_t row_bytes = type_row_bytes(type, ne0);
    for (int64_t r = r0; r < r1; ++r) {
        const float *xr = x + r * ne0;
        uint8_t *yr = out + (size_t)r * row_bytes;
        switch (type) {
            case GPT2_TYPE_F32: std::memcpy(yr, xr, row_bytes); break;
            case GPT2_TYPE_F16: convert_row_f32_to_f16(xr, reinterpret_cast<uint16_t *>(yr), ne0); break;
            case GPT2_TYPE_Q8_0: quantize_row_q8_0_ref(xr, reinterpret_cast<block_q8_0 *>(yr), ne0); break;
            case GPT2_TYPE_Q4_0:
                if (qw) quantize_row_q4_0_weighted(xr, reinterpret_cast<block_q4_0 *>(yr), ne0, qw);
                else quantize_row_q4_0_ref(xr, reinterpret_cast<block_q4_0 *>(yr), ne0);
                break;
            case GPT2_TYPE_Q4_1: quantize_row_q4_1_ref(xr, reinterpret_cast<block_q4_1 *>(yr), ne0, qw); break;
            case GPT2_TYPE_Q5_0: quantize_row_q5_0_ref(xr, reinterpret_cast<block_q5_0 *>(yr), ne0, qw); break;
            case GPT2_TYPE_Q5_1: quantize_row_q5_1_ref(xr, reinterpret_cast<block_q5_1 *>(yr), ne0, qw); break;
            case GPT2_TYPE_Q4_K: quantize_row_q4_K_ref(xr, reinterpret_cast<block_q4_K *>(yr), ne0, qw); break;
            case GPT2_TYPE_Q5_K: quantize_row_q5_K_ref(xr, reinterpret_cast<block_q5_K *>(yr), ne0, qw); break;
            case GPT2_TYPE_Q6_K: quantize_row_q6_K_ref(xr, reinterpret_cast<block_q6_K *>(yr), ne0, qw); break;
            case GPT2_TYPE_Q2_K: quantize_row_q2_K_ref(xr, reinterpret_cast<block_q2_K *>(yr), ne0, qw); break;
            case GPT2_TYPE_Q3_K: quantize_row_q3_K_ref(xr, reinterpret_cast<block_q3_K *>(yr), ne0, qw); break;
            case GPT2_TYPE_IQ4_NL: quantize_row_iq4_nl_ref(xr, reinterpret_cast<block_iq4_nl *>(yr), ne0, qw); break;
            case GPT2_TYPE_BF16:
                for (int64_t k = 0; k < ne0; ++k) {
                    // round to nearest even on the dropped 16 bits (NaN kept quiet)
                    uint32_t u;
                    std::memcpy(&u, xr + k, 4);
                    const uint16_t h = (u & 0x7fffffffu) > 0x7f800000u
                                           ? (uint16_t)((u >> 16) | 0x40u)
                                           : (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
                    std::memcpy(yr + 2 * k, &h, 2);
                }
                break;
            default: break;   // excluded by encodable()
        }
        if (head_rows) unbias_row_scales(type, xr, yr, ne0);
    }
}

}  // namespace

std::vector<uint8_t> tensor_encode(const float *x, int64_t ne0, int64_t rows, gpt2_type type, const float *qw,
                                   bool head_rows) {
    require_arg(ne0 % type_block_size(type) == 0, "tensor_encode: row length not a multiple of the block size");
    if (!encodable(type)) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, std::string("tensor_encode: writing ") + type_name(type) +
                                                   " is not supported");
    }
    std::vector<uint8_t> out(type_row_bytes(type, ne0) * (size_t)rows);
    // rows are independent: the searching quantizers (q2_K, q3_K, ...) take seconds per large matrix on one core
    const int64_t n_threads = std::min<int64_t>(std::max(1u, std::thread::hardware_concurrency()), rows / 64 + 1);
    // an exception must not leave a worker thread (std::terminate would end the host process): each part keeps
    // its own, and the first is rethrown on the calling thread after every worker has joined
    std::vector<std::exception_ptr> errors((size_t)n_threads);
    auto part = [&](int64_t t) {
        try {
            encode_rows(x, ne0, rows * t / n_threads, rows * (t + 1) / n_threads, type, qw, head_rows, out.data());
        } catch (...) {
            errors[(size_t)t] = std::current_exception();
        }
    };
    std::vector<std::thread> workers;
    for (int64_t t = 1; t < n_threads; ++t) workers.emplace_back(part, t);
    part(0);
    for (std::thread &w : workers) w.join();
    for (const std::exception_ptr &e : errors) {
        if (e) std::rethrow_exception(e);
    }
    return out;
}

std::vector<float> tensor_decode(const void *data, gpt2_type type, int64_t ne0, int64_t rows) {
    std::vector<float> out((size_t)(ne0 * rows));
    const size_t row_bytes = type_row_bytes(type, ne0);
    for (int64_t r = 0; r < rows; ++r) {
        dequantize_row(type, static_cast<const uint8_t *>(data) + (size_t)r * row_bytes, out.data() + r * ne0, ne0);
    }
    return out;
}

void gguf_write_tensor_encoded(GgufWriter &w, size_t index, const std::vector<float> &x, int64_t ne0,
                               gpt2_type type, const float *qw, bool head_rows) {
    const int64_t rows = (int64_t)x.size() / ne0;
    const std::vector<uint8_t> bytes = tensor_encode(x.data(), ne0, rows, type, qw, head_rows);
    w.write_tensor_data(index, bytes.data(), bytes.size());
}

void gguf_write_file(const std::string &out_path, const std::function<void(GgufWriter &)> &write) {
    const std::string tmp = out_path + ".tmp";
    try {
        GgufWriter w(tmp);
        write(w);
        w.finish();
    } catch (...) {
        std::remove(tmp.c_str());
        throw;
    }
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(GPT2_ERR_IO, out_path + ": cannot rename the finished file into place");
    }
}

}  // namespace gpt2
