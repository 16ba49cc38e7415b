// cuda_device.h — libgpt2's side of the optional CUDA backend: finds and dlopen()s libgpt2_cuda.so (only when a
// model asks for a CUDA device; libgpt2 never links CUDA), converts the model's weights to the types the
// backend computes, and wraps the backend's model and context handles (native/cuda/gpt2_cuda_abi.h).
// Everything throws gpt2::Error; a missing library, driver or device is GPT2_ERR_UNSUPPORTED naming it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

struct gpt2_model;
struct gpt2_cuda_api;

namespace gpt2 {

// "cpu" / "cuda" / "cuda:N" -> kind (gpt2_device_kind) and index; throws GPT2_ERR_INVALID_ARGUMENT.
void device_parse(const std::string &text, int32_t *kind, int32_t *index);
// The canonical name: "cpu" or "cuda:N".
std::string device_string(int32_t kind, int32_t index);

// The weights of one model on one CUDA device.
class CudaModel {
public:
    // Loads the backend (once per process), checks DEVICE exists and uploads MODEL's weights to it.
    static std::unique_ptr<CudaModel> upload(const gpt2_model &model, int32_t device);
    ~CudaModel();
    CudaModel(const CudaModel &) = delete;
    CudaModel &operator=(const CudaModel &) = delete;

    const std::string &device_name() const { return device_name_; }
    const gpt2_cuda_api *api() const { return api_; }
    void *handle() const { return handle_; }

private:
    CudaModel() = default;
    const gpt2_cuda_api *api_ = nullptr;
    void *handle_ = nullptr;
    std::string device_name_;
};

// A context's KV caches and activations on the model's device.
class CudaContext {
public:
    static std::unique_ptr<CudaContext> create(const CudaModel &model, int32_t n_ctx, int32_t n_seq_max,
                                               int32_t n_batch);
    ~CudaContext();
    CudaContext(const CudaContext &) = delete;
    CudaContext &operator=(const CudaContext &) = delete;

    // forward_batch's contract (native/src/model/forward.h), on the GPU.
    void decode(int32_t T, const int32_t *seq, const int32_t *pos, const int32_t *token, const int32_t *out_row,
                int32_t n_out, float *logits);

private:
    CudaContext() = default;
    const gpt2_cuda_api *api_ = nullptr;
    void *handle_ = nullptr;
};

}  // namespace gpt2
