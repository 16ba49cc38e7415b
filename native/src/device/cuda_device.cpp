// cuda_device.cpp — loading libgpt2_cuda.so on demand and driving it through gpt2_cuda_api (see cuda_device.h).
//
// Where the backend is looked for: $GPT2_CUDA_LIBRARY if set (a full path), else libgpt2_cuda.so in the directory
// of the binary holding this code (libgpt2.so, or a tool / test linking the static core). The library is
// opened once per process and never closed (contexts of many models share it).
#include "device/cuda_device.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "util/error.h"
#include "gpt2_cuda_abi.h"
#include "model/model.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

namespace gpt2 {

namespace {

constexpr size_t kErrSize = 1024;

std::string str(int64_t v) { return std::to_string(v); }

// The directory of the binary this function is in ("" if unknown).
std::string own_directory() {
    Dl_info info{};
    if (dladdr((const void *)&own_directory, &info) == 0 || !info.dli_fname) return "";
    char *real = realpath(info.dli_fname, nullptr);   // "./tool" -> an absolute path, for the messages
    const std::string path = real ? real : info.dli_fname;
    std::free(real);
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

struct Backend {
    std::once_flag once;
    const gpt2_cuda_api *api = nullptr;
    std::string error;   // why it could not be loaded
};

Backend &backend() {
    static Backend b;
    return b;
}

void load_backend(Backend &b) {
    const char *env = std::getenv("GPT2_CUDA_LIBRARY");
    const std::string dir = own_directory();
    const std::string path = env && *env ? std::string(env) : dir + "/libgpt2_cuda.so";
    void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        b.error = env && *env ? "GPT2_CUDA_LIBRARY=" + path + " cannot be loaded: " + (why ? why : "?")
                              : "libgpt2_cuda.so not found next to " + (dir.empty() ? std::string("libgpt2") : dir) +
                                    "/libgpt2.so (build with -DGPT2_CUDA=ON): " + (why ? why : "?");
        return;
    }
    auto get = (gpt2_cuda_get_api_fn)dlsym(lib, "gpt2_cuda_get_api");
    const gpt2_cuda_api *api = get ? get() : nullptr;
    if (!api) {
        b.error = path + " does not export gpt2_cuda_get_api";
        return;
    }
    if (api->abi_version != GPT2_CUDA_ABI_VERSION) {
        b.error = path + " speaks backend ABI " + str(api->abi_version) + ", this libgpt2 needs " +
                  str(GPT2_CUDA_ABI_VERSION) + " (rebuild both from one tree)";
        return;
    }
    b.api = api;
}

const gpt2_cuda_api &require_backend() {
    Backend &b = backend();
    std::call_once(b.once, [&] { load_backend(b); });
    if (!b.api) throw Error(GPT2_ERR_UNSUPPORTED, b.error);
    return *b.api;
}

// Throws the backend's failure as a gpt2::Error (its status values are gpt2_status values).
void check_backend(int32_t status, const char *err, const std::string &what) {
    if (status == GPT2_OK) return;
    const gpt2_status s = status >= GPT2_ERR_INTERNAL && status < 0 ? (gpt2_status)status : GPT2_ERR_INTERNAL;
    throw Error(s, what.empty() ? std::string(err) : what + ": " + err);
}

bool computed_natively(gpt2_type t) {
    return t == GPT2_TYPE_F32 || t == GPT2_TYPE_F16 || t == GPT2_TYPE_Q8_0 || t == GPT2_TYPE_Q4_0;
}

// Weight descriptors for the upload; tensors of other types are converted to f16 into `converted` (kept
// alive until the upload returns). f16 holds their dequantized values to ~3 significant digits, closer than
// any of those types' own rounding.
struct WeightTable {
    std::vector<std::vector<uint16_t>> converted;

    gpt2_cuda_weight operator()(const TensorView &t) {
        gpt2_cuda_weight w{};
        w.ne0 = t.ne[0];
        w.ne1 = t.n_dims >= 2 ? t.ne[1] : 1;
        if (computed_natively(t.type)) {
            w.type = (int32_t)t.type;
            w.data = t.data;
            w.nbytes = t.nbytes;
            return w;
        }
        std::vector<uint16_t> &half = converted.emplace_back((size_t)(w.ne0 * w.ne1));
        std::vector<float> row((size_t)w.ne0);
        const size_t row_bytes = type_row_bytes(t.type, w.ne0);
        for (int64_t r = 0; r < w.ne1; ++r) {
            dequantize_row(t.type, (const char *)t.data + (size_t)r * row_bytes, row.data(), w.ne0);
            convert_row_f32_to_f16(row.data(), half.data() + (size_t)r * (size_t)w.ne0, w.ne0);
        }
        w.type = (int32_t)GPT2_TYPE_F16;
        w.data = half.data();
        w.nbytes = half.size() * sizeof(uint16_t);
        return w;
    }
};

}  // namespace

void device_parse(const std::string &text, int32_t *kind, int32_t *index) {
    if (text == "cpu") {
        *kind = GPT2_DEVICE_CPU;
        *index = 0;
        return;
    }
    if (text == "cuda") {
        *kind = GPT2_DEVICE_CUDA;
        *index = 0;
        return;
    }
    if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() <= 9) {
        int32_t n = 0;
        bool digits = true;
        for (size_t i = 5; i < text.size(); ++i) {
            digits = digits && text[i] >= '0' && text[i] <= '9';
            n = n * 10 + (text[i] - '0');
        }
        if (digits) {
            *kind = GPT2_DEVICE_CUDA;
            *index = n;
            return;
        }
    }
    throw Error(GPT2_ERR_INVALID_ARGUMENT, "device '" + text + "' is not one of cpu, cuda, cuda:N");
}

std::string device_string(int32_t kind, int32_t index) {
    return kind == GPT2_DEVICE_CUDA ? "cuda:" + str(index) : "cpu";
}

std::unique_ptr<CudaModel> CudaModel::upload(const gpt2_model &model, int32_t device) {
    const gpt2_cuda_api &api = require_backend();
    char err[kErrSize] = "";
    int32_t n_devices = 0;
    check_backend(api.device_count(&n_devices, err, sizeof err), err, "");
    if (n_devices == 0) throw Error(GPT2_ERR_UNSUPPORTED, "no CUDA device: the driver reports 0 devices");
    if (device < 0 || device >= n_devices) {
        throw Error(GPT2_ERR_UNSUPPORTED, "device cuda:" + str(device) + " does not exist (" + str(n_devices) +
                                              (n_devices == 1 ? " device)" : " devices)"));
    }

    const HParams &hp = model.hparams;
    const Weights &w = model.weights;
    WeightTable table;
    std::vector<gpt2_cuda_layer> layers(w.layers.size());
    for (size_t l = 0; l < w.layers.size(); ++l) {
        const LayerWeights &s = w.layers[l];
        gpt2_cuda_layer &d = layers[l];
        d.attn_norm_w = table(s.attn_norm_w);
        d.attn_norm_b = table(s.attn_norm_b);
        d.attn_qkv_w = table(s.attn_qkv_w);
        d.attn_qkv_b = table(s.attn_qkv_b);
        d.attn_out_w = table(s.attn_out_w);
        d.attn_out_b = table(s.attn_out_b);
        d.ffn_norm_w = table(s.ffn_norm_w);
        d.ffn_norm_b = table(s.ffn_norm_b);
        d.ffn_up_w = table(s.ffn_up_w);
        d.ffn_up_b = table(s.ffn_up_b);
        d.ffn_down_w = table(s.ffn_down_w);
        d.ffn_down_b = table(s.ffn_down_b);
    }
    gpt2_cuda_model_desc desc{};
    desc.n_vocab = hp.n_vocab;
    desc.n_ctx = hp.n_ctx;
    desc.n_embd = hp.n_embd;
    desc.n_ff = hp.n_ff;
    desc.n_layer = hp.n_layer;
    desc.n_head = hp.n_head;
    desc.norm_eps = hp.norm_eps;
    desc.token_embd = table(w.token_embd);
    desc.position_embd = table(w.position_embd);
    desc.output_norm_w = table(w.output_norm_w);
    desc.output_norm_b = table(w.output_norm_b);
    // A tied head reuses token_embd's descriptor, so its (possibly converted) data is uploaded only once.
    desc.output = w.output.data == w.token_embd.data ? desc.token_embd : table(w.output);
    desc.layers = layers.data();

    std::unique_ptr<CudaModel> m(new CudaModel());
    m->api_ = &api;
    check_backend(api.model_upload(device, &desc, &m->handle_, err, sizeof err), err, "uploading the weights");
    m->device_name_ = api.model_device_name(m->handle_);
    return m;
}

CudaModel::~CudaModel() {
    if (handle_) api_->model_free(handle_);
}

std::unique_ptr<CudaContext> CudaContext::create(const CudaModel &model, int32_t n_ctx, int32_t n_seq_max,
                                                 int32_t n_batch) {
    std::unique_ptr<CudaContext> c(new CudaContext());
    c->api_ = model.api();
    char err[kErrSize] = "";
    check_backend(c->api_->context_create(model.handle(), n_ctx, n_seq_max, n_batch, &c->handle_, err, sizeof err),
                  err, "creating the CUDA context");
    return c;
}

CudaContext::~CudaContext() {
    if (handle_) api_->context_free(handle_);
}

void CudaContext::decode(int32_t T, const int32_t *seq, const int32_t *pos, const int32_t *token,
                         const int32_t *out_row, int32_t n_out, float *logits) {
    char err[kErrSize] = "";
    check_backend(api_->decode(handle_, T, seq, pos, token, out_row, n_out, logits, err, sizeof err), err,
                  "CUDA decode");
}

}  // namespace gpt2
