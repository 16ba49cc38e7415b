// api_tokenize.cpp — the tokenizer section of the C API (gpt2.h): argument checks, then the model's
// Tokenizer. Buffer-filling calls write the needed size to *n_out and fail with
// GPT2_ERR_BUFFER_TOO_SMALL (writing nothing else) when the caller's buffer is short.
#include <cstring>
#include <string>

#include "util/error.h"
#include "gpt2.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace {

const gpt2::Tokenizer &tokenizer_of(const gpt2_model *model) {
    gpt2::require_arg(model != nullptr, "model is NULL");
    gpt2::require_arg(model->tokenizer != nullptr, "model has no tokenizer");
    return *model->tokenizer;
}

void require_token(const gpt2::Tokenizer &tok, int32_t token, const char *what) {
    gpt2::require_arg(token >= 0 && token < tok.n_vocab(), std::string(what) + " " + std::to_string(token) +
                                                               " is out of range [0, " + std::to_string(tok.n_vocab()) + ")");
}

// Copies BYTES into BUF (BUF_SIZE bytes) after writing the needed size to *n_out.
int32_t copy_out(const std::string &bytes, char *buf, int32_t buf_size, int32_t *n_out) {
    gpt2::require_arg(bytes.size() <= (size_t)INT32_MAX, "result is larger than 2 GiB");
    *n_out = (int32_t)bytes.size();
    if ((int32_t)bytes.size() > buf_size)
        throw gpt2::Error(GPT2_ERR_BUFFER_TOO_SMALL, "buf_size " + std::to_string(buf_size) + " is too small: " +
                                                         std::to_string(bytes.size()) + " bytes needed");
    if (!bytes.empty()) std::memcpy(buf, bytes.data(), bytes.size());
    return GPT2_OK;
}

// gpt2::guard, with the C function's name put in front of any error message.
template <typename Fn>
int32_t api_call(const char *fn_name, Fn &&fn) {
    return gpt2::guard([&]() -> int32_t {
        try {
            return fn();
        } catch (const gpt2::Error &e) {
            throw gpt2::Error(e.status(), std::string(fn_name) + ": " + e.what());
        }
    });
}

}  // namespace

extern "C" {

GPT2_API int32_t gpt2_tokenize(const gpt2_model *model, const char *text, int32_t text_len, int32_t parse_special,
                      int32_t *tokens, int32_t n_tokens_max, int32_t *n_out) {
    return api_call("gpt2_tokenize", [&]() -> int32_t {
        const gpt2::Tokenizer &tok = tokenizer_of(model);
        gpt2::require_arg(n_out != nullptr, "n_out is NULL");
        gpt2::require_arg(text_len >= 0, "text_len " + std::to_string(text_len) + " is negative");
        gpt2::require_arg(text != nullptr || text_len == 0, "text is NULL but text_len is " + std::to_string(text_len));
        gpt2::require_arg(n_tokens_max >= 0, "n_tokens_max " + std::to_string(n_tokens_max) + " is negative");
        gpt2::require_arg(tokens != nullptr || n_tokens_max == 0, "tokens is NULL but n_tokens_max is " +
                                                                      std::to_string(n_tokens_max));
        const std::vector<int32_t> ids =
            tok.encode(std::string_view(text_len > 0 ? text : "", (size_t)text_len), parse_special != 0);
        *n_out = (int32_t)ids.size();
        if ((int32_t)ids.size() > n_tokens_max)
            throw gpt2::Error(GPT2_ERR_BUFFER_TOO_SMALL, "n_tokens_max " + std::to_string(n_tokens_max) +
                                                             " is too small: " + std::to_string(ids.size()) +
                                                             " tokens needed");
        if (!ids.empty()) std::memcpy(tokens, ids.data(), ids.size() * sizeof(int32_t));
        return GPT2_OK;
    });
}

GPT2_API int32_t gpt2_token_to_bytes(const gpt2_model *model, int32_t token, char *buf, int32_t buf_size, int32_t *n_out) {
    return api_call("gpt2_token_to_bytes", [&]() -> int32_t {
        const gpt2::Tokenizer &tok = tokenizer_of(model);
        gpt2::require_arg(n_out != nullptr, "n_out is NULL");
        gpt2::require_arg(buf_size >= 0, "buf_size " + std::to_string(buf_size) + " is negative");
        gpt2::require_arg(buf != nullptr || buf_size == 0, "buf is NULL but buf_size is " + std::to_string(buf_size));
        require_token(tok, token, "token");
        return copy_out(tok.token_bytes(token), buf, buf_size, n_out);
    });
}

GPT2_API int32_t gpt2_detokenize(const gpt2_model *model, const int32_t *tokens, int32_t n_tokens, char *buf,
                        int32_t buf_size, int32_t *n_out) {
    return api_call("gpt2_detokenize", [&]() -> int32_t {
        const gpt2::Tokenizer &tok = tokenizer_of(model);
        gpt2::require_arg(n_out != nullptr, "n_out is NULL");
        gpt2::require_arg(n_tokens >= 0, "n_tokens " + std::to_string(n_tokens) + " is negative");
        gpt2::require_arg(tokens != nullptr || n_tokens == 0, "tokens is NULL but n_tokens is " + std::to_string(n_tokens));
        gpt2::require_arg(buf_size >= 0, "buf_size " + std::to_string(buf_size) + " is negative");
        gpt2::require_arg(buf != nullptr || buf_size == 0, "buf is NULL but buf_size is " + std::to_string(buf_size));
        return copy_out(tok.decode(tokens, (size_t)n_tokens), buf, buf_size, n_out);
    });
}

GPT2_API int32_t gpt2_token_is_special(const gpt2_model *model, int32_t token) {
    if (model == nullptr || model->tokenizer == nullptr) {
        gpt2::set_last_error(GPT2_ERR_INVALID_ARGUMENT, "gpt2_token_is_special: model is NULL or has no tokenizer");
        return 0;
    }
    return model->tokenizer->is_special(token) ? 1 : 0;
}

}  // extern "C"
