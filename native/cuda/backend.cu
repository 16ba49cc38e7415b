// backend.cu — libgpt2_cuda.so: the gpt2_cuda_api of gpt2_cuda_abi.h. Uploads the weights once, owns the
// device KV caches and activations of a context, and runs one decode step: the step's ids go in with one
// copy, its logits rows come out with one copy, and the launches in between are replayed from a CUDA graph
// captured per batch size (decode steps, every entry wanting logits) or issued one by one (prefill, partial
// logits, or when a capture fails).
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "gpt2_cuda_abi.h"
#include "kernels.cuh"

namespace gpt2cuda {
namespace {

// gpt2_status values the ABI returns (gpt2.h; this library does not include it to stay self-contained).
constexpr int32_t kOk = 0;
constexpr int32_t kErrInvalidArgument = -1;
constexpr int32_t kErrOutOfMemory = -4;
constexpr int32_t kErrUnsupported = -8;
constexpr int32_t kErrInternal = -9;

constexpr int kGraphMaxBatch = 256;          // decode steps up to this many entries are captured as graphs
constexpr size_t kMaxSmemBytes = 48 * 1024;  // dynamic shared memory a kernel gets without opting in

// Thrown inside this file only; every ABI entry point catches it and fills ERR.
struct Failure {
    int32_t status;
    std::string message;
};

[[noreturn]] void fail(int32_t status, const std::string &message) { throw Failure{status, message}; }

void check(cudaError_t e, const char *what) {
    if (e == cudaSuccess) return;
    const int32_t status = e == cudaErrorMemoryAllocation ? kErrOutOfMemory : kErrInternal;
    fail(status, std::string("CUDA: ") + what + ": " + cudaGetErrorString(e));
}

void write_err(char *err, size_t err_size, const std::string &message) {
    if (!err || err_size == 0) return;
    std::snprintf(err, err_size, "%s", message.c_str());
}

// Runs FN, turning a Failure (or any exception) into a status and message.
template <typename Fn>
int32_t guarded(char *err, size_t err_size, Fn &&fn) noexcept {
    try {
        fn();
        return kOk;
    } catch (const Failure &f) {
        write_err(err, err_size, f.message);
        return f.status;
    } catch (const std::bad_alloc &) {
        write_err(err, err_size, "out of host memory");
        return kErrOutOfMemory;
    } catch (...) {
        write_err(err, err_size, "internal error in libgpt2_cuda");
        return kErrInternal;
    }
}

struct Layer {
    const float *attn_norm_w, *attn_norm_b, *attn_qkv_b, *attn_out_b, *ffn_norm_w, *ffn_norm_b, *ffn_up_b, *ffn_down_b;
    DevMatrix attn_qkv_w, attn_out_w, ffn_up_w, ffn_down_w;
};

struct Model {
    int device = 0;
    std::string device_name;
    int32_t n_vocab = 0, n_ctx = 0, C = 0, F = 0, L = 0, NH = 0;
    float eps = 1e-5f;
    DevMatrix wte, wpe, head;
    const float *out_norm_w = nullptr, *out_norm_b = nullptr;
    std::vector<Layer> layers;
    std::vector<void *> allocations;
    std::map<const void *, const uint8_t *> uploaded;   // host data -> device copy (a tied head is uploaded once)

    ~Model() {
        cudaSetDevice(device);
        for (void *p : allocations) cudaFree(p);
    }

    const uint8_t *upload(const gpt2_cuda_weight &w, const char *name) {
        auto it = uploaded.find(w.data);
        if (it != uploaded.end()) return it->second;
        if (!w.data || w.nbytes == 0) fail(kErrInvalidArgument, std::string("weight ") + name + " has no data");
        void *d = nullptr;
        check(cudaMalloc(&d, w.nbytes), (std::string("allocating ") + name).c_str());
        allocations.push_back(d);
        check(cudaMemcpy(d, w.data, w.nbytes, cudaMemcpyHostToDevice), (std::string("uploading ") + name).c_str());
        uploaded[w.data] = (const uint8_t *)d;
        return (const uint8_t *)d;
    }

    const float *vec(const gpt2_cuda_weight &w, int64_t n, const char *name) {
        if (w.type != kTypeF32 || w.ne0 != n || w.ne1 != 1 || w.nbytes != (size_t)n * 4) {
            fail(kErrInvalidArgument, std::string("weight ") + name + " must be an f32 vector of " + std::to_string(n));
        }
        return (const float *)upload(w, name);
    }

    DevMatrix mat(const gpt2_cuda_weight &w, int64_t K, int64_t N, const char *name) {
        if (!type_supported(w.type)) {
            fail(kErrUnsupported, std::string("weight ") + name + ": type id " + std::to_string(w.type) +
                                      " is not computed on CUDA (libgpt2 converts it to f16 first)");
        }
        if ((w.type == kTypeQ8_0 || w.type == kTypeQ4_0) && K % 32 != 0) {
            fail(kErrInvalidArgument,
                 std::string("weight ") + name + ": rows of a block type must be a multiple of 32");
        }
        DevMatrix m;
        m.type = w.type;
        m.K = K;
        m.N = N;
        m.row_bytes = type_row_bytes(w.type, K);
        if (w.ne0 != K || w.ne1 != N || w.nbytes != m.row_bytes * (size_t)N) {
            fail(kErrInvalidArgument, std::string("weight ") + name + " has an unexpected shape or size");
        }
        m.data = upload(w, name);
        return m;
    }
};

struct Context {
    Model *m = nullptr;
    int32_t n_ctx = 0, n_seq_max = 0, n_batch = 0;
    cudaStream_t stream = nullptr;
    // Activations for `capacity` entries and logits for `logits_capacity` rows (grown on demand, apart: a long
    // prompt needs few logits rows; growing drops the graphs, which hold the pointers).
    int32_t capacity = 0, logits_capacity = 0;
    float *x = nullptr, *ln = nullptr, *qkv = nullptr, *atty = nullptr, *fc = nullptr, *lnf = nullptr,
          *logits = nullptr;
    // Per-step inputs: seq | pos | token | logits source row, `capacity` ints each; a pinned host mirror.
    int32_t *d_in = nullptr, *h_in = nullptr;
    // KV caches: one (L, n_ctx, C) f32 K and V allocation per sequence, made on its first decode; the tables
    // hold their device pointers so a captured graph serves any mix of sequences.
    std::vector<float *> k_seq, v_seq;
    float **k_table = nullptr, **v_table = nullptr;
    std::map<int32_t, cudaGraphExec_t> graphs;
    bool graphs_ok = true;   // false after a failed capture: plain launches from then on

    ~Context() {
        cudaSetDevice(m->device);
        drop_graphs();
        free_activations();
        cudaFree(logits);
        for (float *p : k_seq) cudaFree(p);
        for (float *p : v_seq) cudaFree(p);
        cudaFree(k_table);
        cudaFree(v_table);
        if (stream) cudaStreamDestroy(stream);
    }

    void drop_graphs() {
        for (auto &g : graphs) cudaGraphExecDestroy(g.second);
        graphs.clear();
    }

    void free_activations() {
        for (float *p : {x, ln, qkv, atty, fc, lnf}) cudaFree(p);
        cudaFree(d_in);
        cudaFreeHost(h_in);
        x = ln = qkv = atty = fc = lnf = nullptr;
        d_in = h_in = nullptr;
        capacity = 0;
    }

    static int32_t grown(int32_t n, int32_t limit) {
        int32_t cap = 8;
        while (cap < n) cap *= 2;
        return cap < limit ? cap : limit;
    }

    // Room for N entries of which N_OUT want logits.
    void reserve(int32_t n, int32_t n_out) {
        if (n > capacity) {
            drop_graphs();
            free_activations();
            const int32_t cap = grown(n, n_batch);
            const size_t T = (size_t)cap, C = (size_t)m->C, F = (size_t)m->F;
            auto alloc = [&](float **p, size_t floats) {
                check(cudaMalloc((void **)p, floats * sizeof(float)), "allocating activations");
            };
            alloc(&x, T * C);
            alloc(&ln, T * C);
            alloc(&qkv, T * 3 * C);
            alloc(&atty, T * C);
            alloc(&fc, T * F);
            alloc(&lnf, T * C);
            check(cudaMalloc((void **)&d_in, 4 * T * sizeof(int32_t)), "allocating the step inputs");
            check(cudaMallocHost((void **)&h_in, 4 * T * sizeof(int32_t)), "allocating pinned step inputs");
            capacity = cap;
        }
        if (n_out > logits_capacity) {
            drop_graphs();
            cudaFree(logits);
            logits = nullptr;
            logits_capacity = 0;
            const int32_t cap = grown(n_out, n_batch);
            check(cudaMalloc((void **)&logits, (size_t)cap * (size_t)m->n_vocab * sizeof(float)),
                  "allocating the logits");
            logits_capacity = cap;
        }
    }

    void ensure_cache(int32_t s) {
        if (k_seq[(size_t)s]) return;
        const size_t bytes = (size_t)m->L * (size_t)n_ctx * (size_t)m->C * sizeof(float);
        float *k = nullptr, *v = nullptr;
        check(cudaMalloc((void **)&k, bytes), "allocating a KV cache");
        const cudaError_t e = cudaMalloc((void **)&v, bytes);
        if (e != cudaSuccess) cudaFree(k);
        check(e, "allocating a KV cache");
        k_seq[(size_t)s] = k;
        v_seq[(size_t)s] = v;
        // on the context's stream, so the step's kernels (same stream) see the new entries
        check(cudaMemcpyAsync(k_table + s, &k_seq[(size_t)s], sizeof(float *), cudaMemcpyHostToDevice, stream),
              "updating the KV table");
        check(cudaMemcpyAsync(v_table + s, &v_seq[(size_t)s], sizeof(float *), cudaMemcpyHostToDevice, stream),
              "updating the KV table");
    }

    // Every launch of one step over T entries, N_OUT of which want logits; reads the inputs from d_in.
    void launch_forward(int32_t T, int32_t n_out) {
        const int32_t *seq = d_in, *pos = d_in + capacity, *tok = d_in + 2 * (size_t)capacity,
                      *src = d_in + 3 * (size_t)capacity;
        const int C = m->C;
        cudaStream_t st = stream;
        embed_cuda(x, tok, pos, m->wte, m->wpe, T, C, st);
        for (int l = 0; l < m->L; ++l) {
            const Layer &w = m->layers[(size_t)l];
            layernorm_cuda(ln, x, w.attn_norm_w, w.attn_norm_b, nullptr, T, C, m->eps, st);
            matmul_cuda(qkv, ln, w.attn_qkv_w, w.attn_qkv_b, T, Epilogue::store, st);
            kv_store_cuda(qkv, seq, pos, k_table, v_table, l, T, C, n_ctx, st);
            attention_cuda(atty, qkv, seq, pos, k_table, v_table, l, T, C, m->NH, n_ctx, st);
            matmul_cuda(x, atty, w.attn_out_w, w.attn_out_b, T, Epilogue::add, st);
            layernorm_cuda(ln, x, w.ffn_norm_w, w.ffn_norm_b, nullptr, T, C, m->eps, st);
            matmul_cuda(fc, ln, w.ffn_up_w, w.ffn_up_b, T, Epilogue::gelu, st);
            matmul_cuda(x, fc, w.ffn_down_w, w.ffn_down_b, T, Epilogue::add, st);
        }
        if (n_out > 0) {
            layernorm_cuda(lnf, x, m->out_norm_w, m->out_norm_b, src, n_out, C, m->eps, st);
            matmul_cuda(logits, lnf, m->head, nullptr, n_out, Epilogue::store, st);
        }
    }

    // The graph of a T-entry decode step (all entries wanting logits), captured on first use; null when
    // capture does not work here (then graphs_ok turns false and the caller launches directly).
    cudaGraphExec_t graph_for(int32_t T) {
        auto it = graphs.find(T);
        if (it != graphs.end()) return it->second;
        cudaGraph_t graph = nullptr;
        cudaGraphExec_t exec = nullptr;
        cudaError_t e = cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
        if (e == cudaSuccess) {
            launch_forward(T, T);
            e = cudaStreamEndCapture(stream, &graph);   // always ends the capture, even after a failed launch
        }
        if (e == cudaSuccess) e = cudaGraphInstantiate(&exec, graph, 0);
        if (graph) cudaGraphDestroy(graph);
        if (e != cudaSuccess) {
            (void)cudaGetLastError();   // clear the non-sticky capture error
            if (exec) cudaGraphExecDestroy(exec);
            graphs_ok = false;
            return nullptr;
        }
        graphs[T] = exec;
        return exec;
    }

    void decode(int32_t n, const int32_t *seq, const int32_t *pos, const int32_t *token, const int32_t *out_row,
                int32_t n_out, float *host_logits) {
        check(cudaSetDevice(m->device), "selecting the device");
        reserve(n, n_out);
        bool identity = n_out == n;
        for (int32_t i = 0; i < n; ++i) identity = identity && out_row[i] == i;
        // Capture (first use of this size) before anything of this step is queued: the capture then starts on an
        // idle stream and records only the forward pass, which reads whatever d_in holds when it is replayed.
        cudaGraphExec_t g = identity && graphs_ok && n <= kGraphMaxBatch ? graph_for(n) : nullptr;
        for (int32_t i = 0; i < n; ++i) ensure_cache(seq[i]);
        for (int32_t i = 0; i < n; ++i) {
            h_in[i] = seq[i];
            h_in[capacity + i] = pos[i];
            h_in[2 * capacity + i] = token[i];
            if (out_row[i] >= 0) h_in[3 * capacity + out_row[i]] = i;
        }
        check(cudaMemcpyAsync(d_in, h_in, 4 * (size_t)capacity * sizeof(int32_t), cudaMemcpyHostToDevice, stream),
              "copying the step inputs");
        if (g) check(cudaGraphLaunch(g, stream), "launching the decode graph");
        else launch_forward(n, n_out);
        check(cudaGetLastError(), "launching the forward pass");
        if (n_out > 0) {
            check(cudaMemcpyAsync(host_logits, logits, (size_t)n_out * (size_t)m->n_vocab * sizeof(float),
                                  cudaMemcpyDeviceToHost, stream),
                  "copying the logits");
        }
        check(cudaStreamSynchronize(stream), "running the forward pass");
    }
};

// ---- the ABI ---------------------------------------------------------------------------------------------

int32_t device_count(int32_t *n_out, char *err, size_t err_size) {
    return guarded(err, err_size, [&] {
        if (!n_out) fail(kErrInvalidArgument, "n_out is NULL");
        *n_out = 0;
        int n = 0;
        const cudaError_t e = cudaGetDeviceCount(&n);
        if (e == cudaErrorNoDevice) return;   // a driver, no device: 0
        if (e == cudaErrorInsufficientDriver) {
            fail(kErrUnsupported, "no CUDA driver (libcuda.so.1) or one too old for this build's CUDA runtime: " +
                                      std::string(cudaGetErrorString(e)));
        }
        if (e != cudaSuccess) fail(kErrUnsupported, std::string("CUDA unavailable: ") + cudaGetErrorString(e));
        *n_out = n;
    });
}

int32_t model_upload(int32_t device, const gpt2_cuda_model_desc *d, void **model_out, char *err, size_t err_size) {
    return guarded(err, err_size, [&] {
        if (!d || !model_out) fail(kErrInvalidArgument, "desc or model_out is NULL");
        *model_out = nullptr;
        check(cudaSetDevice(device), ("selecting device " + std::to_string(device)).c_str());
        auto m = std::make_unique<Model>();
        m->device = device;
        cudaDeviceProp prop{};
        check(cudaGetDeviceProperties(&prop, device), "reading the device properties");
        m->device_name = prop.name;
        m->n_vocab = d->n_vocab;
        m->n_ctx = d->n_ctx;
        m->C = d->n_embd;
        m->F = d->n_ff;
        m->L = d->n_layer;
        m->NH = d->n_head;
        m->eps = d->norm_eps;
        if (m->C <= 0 || m->NH <= 0 || m->C % m->NH != 0 || m->L <= 0 || !d->layers) {
            fail(kErrInvalidArgument, "bad model shape");
        }
        const int64_t C = m->C, F = m->F, V = m->n_vocab;
        m->wte = m->mat(d->token_embd, C, V, "token_embd.weight");
        m->wpe = m->mat(d->position_embd, C, m->n_ctx, "position_embd.weight");
        m->out_norm_w = m->vec(d->output_norm_w, C, "output_norm.weight");
        m->out_norm_b = m->vec(d->output_norm_b, C, "output_norm.bias");
        m->head = m->mat(d->output, C, V, "output.weight");
        m->layers.resize((size_t)m->L);
        for (int l = 0; l < m->L; ++l) {
            const gpt2_cuda_layer &h = d->layers[l];
            Layer &w = m->layers[(size_t)l];
            w.attn_norm_w = m->vec(h.attn_norm_w, C, "attn_norm.weight");
            w.attn_norm_b = m->vec(h.attn_norm_b, C, "attn_norm.bias");
            w.attn_qkv_w = m->mat(h.attn_qkv_w, C, 3 * C, "attn_qkv.weight");
            w.attn_qkv_b = m->vec(h.attn_qkv_b, 3 * C, "attn_qkv.bias");
            w.attn_out_w = m->mat(h.attn_out_w, C, C, "attn_output.weight");
            w.attn_out_b = m->vec(h.attn_out_b, C, "attn_output.bias");
            w.ffn_norm_w = m->vec(h.ffn_norm_w, C, "ffn_norm.weight");
            w.ffn_norm_b = m->vec(h.ffn_norm_b, C, "ffn_norm.bias");
            w.ffn_up_w = m->mat(h.ffn_up_w, C, F, "ffn_up.weight");
            w.ffn_up_b = m->vec(h.ffn_up_b, F, "ffn_up.bias");
            w.ffn_down_w = m->mat(h.ffn_down_w, F, C, "ffn_down.weight");
            w.ffn_down_b = m->vec(h.ffn_down_b, C, "ffn_down.bias");
        }
        m->uploaded.clear();   // host pointers are the caller's; do not keep them
        *model_out = m.release();
    });
}

void model_free(void *model) { delete (Model *)model; }

const char *model_device_name(const void *model) {
    return model ? ((const Model *)model)->device_name.c_str() : "";
}

int32_t context_create(void *model, int32_t n_ctx, int32_t n_seq_max, int32_t n_batch, void **ctx_out, char *err,
                       size_t err_size) {
    return guarded(err, err_size, [&] {
        if (!model || !ctx_out) fail(kErrInvalidArgument, "model or ctx_out is NULL");
        *ctx_out = nullptr;
        Model *m = (Model *)model;
        if (n_ctx <= 0 || n_ctx > m->n_ctx || n_seq_max <= 0 || n_batch <= 0) fail(kErrInvalidArgument, "bad sizes");
        if (attention_smem_bytes(n_ctx, m->C / m->NH) > kMaxSmemBytes) {
            fail(kErrUnsupported, "n_ctx = " + std::to_string(n_ctx) + " is too long for the CUDA attention kernel " +
                                      "(its scores must fit 48 KiB of shared memory)");
        }
        check(cudaSetDevice(m->device), "selecting the device");
        auto c = std::make_unique<Context>();
        c->m = m;
        c->n_ctx = n_ctx;
        c->n_seq_max = n_seq_max;
        c->n_batch = n_batch;
        c->k_seq.assign((size_t)n_seq_max, nullptr);
        c->v_seq.assign((size_t)n_seq_max, nullptr);
        check(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), "creating a stream");
        check(cudaMalloc((void **)&c->k_table, (size_t)n_seq_max * sizeof(float *)), "allocating the KV table");
        check(cudaMalloc((void **)&c->v_table, (size_t)n_seq_max * sizeof(float *)), "allocating the KV table");
        check(cudaMemset(c->k_table, 0, (size_t)n_seq_max * sizeof(float *)), "clearing the KV table");
        check(cudaMemset(c->v_table, 0, (size_t)n_seq_max * sizeof(float *)), "clearing the KV table");
        *ctx_out = c.release();
    });
}

void context_free(void *ctx) { delete (Context *)ctx; }

int32_t decode(void *ctx, int32_t n, const int32_t *seq, const int32_t *pos, const int32_t *token,
               const int32_t *out_row, int32_t n_out, float *logits, char *err, size_t err_size) {
    return guarded(err, err_size, [&] {
        Context *c = (Context *)ctx;
        if (!c || n <= 0 || n > c->n_batch || !seq || !pos || !token || !out_row || (n_out > 0 && !logits)) {
            fail(kErrInvalidArgument, "bad decode arguments");
        }
        c->decode(n, seq, pos, token, out_row, n_out, logits);
    });
}

const gpt2_cuda_api kApi = {
    GPT2_CUDA_ABI_VERSION, device_count, model_upload, model_free, model_device_name,
    context_create,        context_free, decode,
};

}  // namespace
}  // namespace gpt2cuda

extern "C" const gpt2_cuda_api *gpt2_cuda_get_api(void) { return &gpt2cuda::kApi; }
