/*
 * gpt2_cuda_abi.h — the internal C ABI between libgpt2 (which never links CUDA) and libgpt2_cuda.so (the CUDA
 * backend, built with -DGPT2_CUDA=ON). libgpt2 dlopen()s the backend only when a model is loaded with
 * device = GPT2_DEVICE_CUDA, looks up the one exported symbol gpt2_cuda_get_api and checks abi_version; a
 * CPU-only host never loads it.
 *
 * Division of work: libgpt2 parses and validates the GGUF file, validates every decode batch and keeps the
 * sequences' lengths (gpt2_context); the backend only owns device memory (weights, KV caches, activations)
 * and runs the forward pass. Every call returns a gpt2_status value (0 = OK) and, on failure, writes a
 * NUL-terminated message into the caller's ERR buffer (ERR_SIZE bytes). Nothing here aborts or exits.
 *
 * Weight types the backend computes natively: f32, f16, q8_0, q4_0 (ggml block layouts, native/src/tensor/
 * quant.h). libgpt2 converts every other type to f16 before the upload (gpt2_cuda_weight never carries one).
 * 1-D tensors (norms, biases) are always f32.
 */
#ifndef GPT2_CUDA_ABI_H
#define GPT2_CUDA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GPT2_CUDA_ABI_VERSION 1   /* bumped on any change of the structs or functions below */

/* One weight tensor in host memory: ne0 = elements per row (in features), ne1 = rows (out features; 1 for a
 * 1-D tensor). TYPE is a gpt2_type id (0 f32, 1 f16, 2 q4_0, 8 q8_0). The backend copies it during
 * model_upload; the host memory may be freed afterwards. */
typedef struct gpt2_cuda_weight {
    int32_t      type;
    int64_t      ne0, ne1;
    const void * data;
    size_t       nbytes;
} gpt2_cuda_weight;

typedef struct gpt2_cuda_layer {
    gpt2_cuda_weight attn_norm_w, attn_norm_b, attn_qkv_w, attn_qkv_b, attn_out_w, attn_out_b;
    gpt2_cuda_weight ffn_norm_w, ffn_norm_b, ffn_up_w, ffn_up_b, ffn_down_w, ffn_down_b;
} gpt2_cuda_layer;

typedef struct gpt2_cuda_model_desc {
    int32_t n_vocab, n_ctx, n_embd, n_ff, n_layer, n_head;
    float   norm_eps;
    gpt2_cuda_weight token_embd, position_embd, output_norm_w, output_norm_b;
    gpt2_cuda_weight output;            /* the head; same data as token_embd when tied (uploaded once)   */
    const gpt2_cuda_layer * layers;     /* n_layer entries                                                 */
} gpt2_cuda_model_desc;

typedef struct gpt2_cuda_api {
    int32_t abi_version;                /* GPT2_CUDA_ABI_VERSION the library was built with */

    /* Number of CUDA devices, after initialising the driver. Fails (GPT2_ERR_UNSUPPORTED) with a message
     * naming what is missing when there is no driver (libcuda.so.1) or the driver is too old. */
    int32_t (*device_count)(int32_t * n_out, char * err, size_t err_size);

    /* Uploads every weight to DEVICE (an index < device_count) into *model_out. */
    int32_t (*model_upload)(int32_t device, const gpt2_cuda_model_desc * desc, void ** model_out,
                            char * err, size_t err_size);
    void    (*model_free)(void * model);
    /* "NVIDIA H100 80GB HBM3": the device's name; valid for the model's lifetime. */
    const char * (*model_device_name)(const void * model);

    /* KV caches (f32, allocated per sequence on its first decode) and activations for up to N_BATCH entries
     * per decode. n_ctx * 4 bytes of attention scores must fit one block's 48 KiB of shared memory (n_ctx up
     * to about 11,900 with 64-wide heads; longer is GPT2_ERR_UNSUPPORTED). */
    int32_t (*context_create)(void * model, int32_t n_ctx, int32_t n_seq_max, int32_t n_batch, void ** ctx_out,
                              char * err, size_t err_size);
    void    (*context_free)(void * ctx);

    /* One already-validated batch, as forward_batch (native/src/model/forward.h): entry i appends TOKEN[i] at
     * POS[i] to sequence SEQ[i]; OUT_ROW[i] >= 0 copies that entry's logits (n_vocab floats) into row
     * OUT_ROW[i] of the host buffer LOGITS (n_out rows). Writes K/V only at positions >= the sequences'
     * lengths; returns after the logits are on the host. */
    int32_t (*decode)(void * ctx, int32_t n, const int32_t * seq, const int32_t * pos, const int32_t * token,
                      const int32_t * out_row, int32_t n_out, float * logits, char * err, size_t err_size);
} gpt2_cuda_api;

/* The one symbol libgpt2_cuda.so exports. */
typedef const gpt2_cuda_api * (*gpt2_cuda_get_api_fn)(void);
#if defined(_WIN32)
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
const gpt2_cuda_api * gpt2_cuda_get_api(void);

#ifdef __cplusplus
}
#endif

#endif /* GPT2_CUDA_ABI_H */
