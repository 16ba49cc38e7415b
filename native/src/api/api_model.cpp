// api_model.cpp — the gpt2_model_* functions of the C API: load/free and the read-only getters. Every
// body runs inside gpt2::guard; a NULL model gives 0 / -1 / NULL with the last error set, never a crash.
#include <string>

#include "util/error.h"
#include "device/cuda_device.h"
#include "gpt2.h"
#include "model/model.h"

namespace {

// Runs GET on a non-NULL model; on NULL sets the last error and returns FALLBACK.
template <typename T, typename Fn>
T model_get(const gpt2_model *model, const char *fn_name, T fallback, Fn get) {
    if (!model) {
        gpt2::set_last_error(GPT2_ERR_INVALID_ARGUMENT, std::string(fn_name) + ": model is NULL");
        return fallback;
    }
    return get(*model);
}

}  // namespace

extern "C" {

GPT2_API gpt2_model_params gpt2_model_default_params(void) { return gpt2::model_default_params(); }

GPT2_API int32_t gpt2_model_load(const char *path, const gpt2_model_params *params, gpt2_model **out) {
    if (out) *out = nullptr;
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(out != nullptr, "gpt2_model_load: out is NULL");
        gpt2::require_arg(path != nullptr, "gpt2_model_load: path is NULL");
        gpt2::require_arg(path[0] != '\0', "gpt2_model_load: path is empty");
        const gpt2_model_params p = params ? *params : gpt2_model_default_params();
        std::unique_ptr<gpt2_model> m = gpt2::model_load(path, p);
        *out = m.release();
        return GPT2_OK;
    });
}

GPT2_API void gpt2_model_free(gpt2_model *model) { delete model; }

GPT2_API int32_t gpt2_model_n_vocab(const gpt2_model *model) {
    return model_get(model, "gpt2_model_n_vocab", (int32_t)0, [](const gpt2_model &m) { return m.hparams.n_vocab; });
}
GPT2_API int32_t gpt2_model_n_ctx_train(const gpt2_model *model) {
    return model_get(model, "gpt2_model_n_ctx_train", (int32_t)0, [](const gpt2_model &m) { return m.hparams.n_ctx; });
}
GPT2_API int32_t gpt2_model_n_embd(const gpt2_model *model) {
    return model_get(model, "gpt2_model_n_embd", (int32_t)0, [](const gpt2_model &m) { return m.hparams.n_embd; });
}
GPT2_API int32_t gpt2_model_n_layer(const gpt2_model *model) {
    return model_get(model, "gpt2_model_n_layer", (int32_t)0, [](const gpt2_model &m) { return m.hparams.n_layer; });
}
GPT2_API int32_t gpt2_model_n_head(const gpt2_model *model) {
    return model_get(model, "gpt2_model_n_head", (int32_t)0, [](const gpt2_model &m) { return m.hparams.n_head; });
}
GPT2_API int32_t gpt2_model_type(const gpt2_model *model) {
    return model_get(model, "gpt2_model_type", (int32_t)-1, [](const gpt2_model &m) { return (int32_t)m.ftype; });
}
GPT2_API int64_t gpt2_model_n_params(const gpt2_model *model) {
    return model_get(model, "gpt2_model_n_params", (int64_t)0, [](const gpt2_model &m) { return m.n_params; });
}
GPT2_API int64_t gpt2_model_file_size_bytes(const gpt2_model *model) {
    return model_get(model, "gpt2_model_file_size_bytes", (int64_t)0,
                     [](const gpt2_model &m) { return m.file_size_bytes; });
}
GPT2_API int32_t gpt2_model_token_eos(const gpt2_model *model) {
    return model_get(model, "gpt2_model_token_eos", (int32_t)-1, [](const gpt2_model &m) { return m.token_eos; });
}
GPT2_API int32_t gpt2_model_token_bos(const gpt2_model *model) {
    return model_get(model, "gpt2_model_token_bos", (int32_t)-1, [](const gpt2_model &m) { return m.token_bos; });
}
GPT2_API int32_t gpt2_device_parse(const char *device, int32_t *kind, int32_t *index) {
    return gpt2::guard([&]() -> int32_t {
        gpt2::require_arg(device != nullptr, "gpt2_device_parse: device is NULL");
        gpt2::require_arg(kind != nullptr && index != nullptr, "gpt2_device_parse: kind or index is NULL");
        gpt2::device_parse(device, kind, index);
        return GPT2_OK;
    });
}
GPT2_API const char *gpt2_model_device(const gpt2_model *model) {
    return model_get(model, "gpt2_model_device", (const char *)nullptr,
                     [](const gpt2_model &m) { return m.device.c_str(); });
}
GPT2_API const char *gpt2_model_device_name(const gpt2_model *model) {
    return model_get(model, "gpt2_model_device_name", (const char *)nullptr,
                     [](const gpt2_model &m) { return m.device_name.c_str(); });
}
GPT2_API const char *gpt2_model_name(const gpt2_model *model) {
    return model_get(model, "gpt2_model_name", (const char *)nullptr,
                     [](const gpt2_model &m) { return m.name.c_str(); });
}
GPT2_API const char *gpt2_model_meta_str(const gpt2_model *model, const char *key) {
    if (!key) {
        gpt2::set_last_error(GPT2_ERR_INVALID_ARGUMENT, "gpt2_model_meta_str: key is NULL");
        return nullptr;
    }
    return model_get(model, "gpt2_model_meta_str", (const char *)nullptr, [key](const gpt2_model &m) -> const char * {
        auto it = m.meta_str.find(key);
        return it == m.meta_str.end() ? nullptr : it->second.c_str();
    });
}

}  // extern "C"
