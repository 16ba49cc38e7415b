// kernels.cuh — the CUDA kernels of the forward pass, each `<op>_kernel` launched by its `<op>_cuda` on a
// caller's stream (no allocation, no synchronisation: the launches of one decode step can be captured in a
// CUDA graph). Shapes as in native/src/model/forward.cpp: T = batch entries, C = n_embd, NH = n_head,
// hs = C / NH, F = n_ff. Activations are row-major f32 (T, width). Every weight matrix is ggml's (N, K): row n
// holds the K inputs of output n in the weight's type; `row_bytes` apart.
//
// The CPU path is the oracle: native/tests/test_cuda.cpp compares these kernels' logits with it per type.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

namespace gpt2cuda {

// gpt2_type ids of the weight types computed natively (the ABI's contract: nothing else reaches a kernel).
constexpr int32_t kTypeF32 = 0;
constexpr int32_t kTypeF16 = 1;
constexpr int32_t kTypeQ4_0 = 2;
constexpr int32_t kTypeQ8_0 = 8;

// True for the four types above.
bool type_supported(int32_t type);
// Bytes of one row of K elements (K % 32 == 0 for q8_0 / q4_0); 0 for an unsupported type.
size_t type_row_bytes(int32_t type, int64_t K);

// A weight matrix on the device.
struct DevMatrix {
    int32_t type = kTypeF32;
    int64_t K = 0, N = 0;           // in, out
    const uint8_t *data = nullptr;
    size_t row_bytes = 0;
};

// What a matmul does with y = x W^T + b before it is stored.
enum class Epilogue : int32_t {
    store = 0,   // out = y
    gelu = 1,    // out = gelu(y) (tanh form, as GPT-2)
    add = 2      // out += y (the residual add)
};

// x (T, C) = wte[token[t]] + wpe[pos[t]] (either table in any supported type).
void embed_cuda(float *x, const int32_t *token, const int32_t *pos, const DevMatrix &wte, const DevMatrix &wpe,
                int T, int C, cudaStream_t stream);

// out row r = LayerNorm(inp row src[r]) (src == nullptr: row r), for R rows of C.
void layernorm_cuda(float *out, const float *inp, const float *weight, const float *bias, const int32_t *src, int R,
                    int C, float eps, cudaStream_t stream);

// out (T, N) <- x (T, K) W^T + bias (bias may be null), through the epilogue.
void matmul_cuda(float *out, const float *x, const DevMatrix &w, const float *bias, int T, Epilogue epilogue,
                 cudaStream_t stream);

// Writes the K and V of every entry (qkv is (T, 3C) = q | k | v) into its sequence's cache of LAYER:
// k_table[seq[t]] + (layer * n_ctx + pos[t]) * C.
void kv_store_cuda(const float *qkv, const int32_t *seq, const int32_t *pos, float *const *k_table,
                   float *const *v_table, int layer, int T, int C, int n_ctx, cudaStream_t stream);

// atty (T, C): causal attention of every entry over its sequence's cached positions 0..pos[t] of LAYER.
// Needs (32 + hs + n_ctx + 4 hs) floats of shared memory per block (attention_smem_bytes).
void attention_cuda(float *atty, const float *qkv, const int32_t *seq, const int32_t *pos, float *const *k_table,
                    float *const *v_table, int layer, int T, int C, int NH, int n_ctx, cudaStream_t stream);
size_t attention_smem_bytes(int n_ctx, int hs);

}  // namespace gpt2cuda
