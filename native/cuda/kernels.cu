// kernels.cu — the forward pass's CUDA kernels (see kernels.cuh). Written to be obviously right first:
// one warp per output row of a matmul, one block per row of a LayerNorm, one block per (entry, head) of
// attention. Decode of a model this small is bound by launches and weight reads, and both are handled
// elsewhere (CUDA graphs in backend.cu; every weight byte is read once per 8 batch entries here).
#include "kernels.cuh"

#include <cuda_fp16.h>

#include "dequant.cuh"
#include "matmul_lane.cuh"

namespace gpt2cuda {

bool type_supported(int32_t type) {
    return type == kTypeF32 || type == kTypeF16 || type == kTypeQ8_0 || type == kTypeQ4_0;
}

size_t type_row_bytes(int32_t type, int64_t K) {
    switch (type) {
        case kTypeF32: return (size_t)K * 4;
        case kTypeF16: return (size_t)K * 2;
        case kTypeQ8_0: return (size_t)(K / 32) * 34;   // fp16 d + 32 x int8
        case kTypeQ4_0: return (size_t)(K / 32) * 18;   // fp16 d + 16 bytes of nibbles
        default: return 0;
    }
}

namespace {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum (or max) over the block; every thread gets the result. blockDim.x is a multiple of 32; RED holds 32
// floats of shared memory.
template <bool MAX>
__device__ float block_reduce(float v, float *red) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, n_warps = blockDim.x / 32;
    v = MAX ? warp_max(v) : warp_sum(v);
    __syncthreads();  // RED may still be read by a previous reduction
    if (lane == 0) red[warp] = v;
    __syncthreads();
    v = lane < n_warps ? red[lane] : (MAX ? -INFINITY : 0.f);
    return MAX ? warp_max(v) : warp_sum(v);
}


// ---- embedding ------------------------------------------------------------------------------------------
__global__ void embed_kernel(float *x, const int32_t *token, const int32_t *pos, DevMatrix wte, DevMatrix wpe,
                             int C) {
    const int t = blockIdx.x;
    const uint8_t *te = wte.data + (size_t)token[t] * wte.row_bytes;
    const uint8_t *pe = wpe.data + (size_t)pos[t] * wpe.row_bytes;
    for (int i = threadIdx.x; i < C; i += blockDim.x) {
        x[(size_t)t * C + i] = load_elem(wte.type, te, i) + load_elem(wpe.type, pe, i);
    }
}

// ---- LayerNorm: biased variance, eps inside the sqrt (native/src/kernels/layernorm.cpp) ----------------
__global__ void layernorm_kernel(float *out, const float *inp, const float *weight, const float *bias,
                                 const int32_t *src, int C, float eps) {
    __shared__ float red[32];
    const int r = blockIdx.x;
    const float *x = inp + (size_t)(src ? src[r] : r) * C;
    float s = 0.f;
    for (int i = threadIdx.x; i < C; i += blockDim.x) s += x[i];
    const float mean = block_reduce<false>(s, red) / (float)C;
    float v = 0.f;
    for (int i = threadIdx.x; i < C; i += blockDim.x) {
        const float d = x[i] - mean;
        v += d * d;
    }
    const float rstd = rsqrtf(block_reduce<false>(v, red) / (float)C + eps);
    float *o = out + (size_t)r * C;
    for (int i = threadIdx.x; i < C; i += blockDim.x) o[i] = (x[i] - mean) * rstd * weight[i] + bias[i];
}

// ---- matmul: one warp per output n, MM_TT entries per block (the lanes' share: matmul_lane.cuh) ------------
constexpr int MM_WARPS = 4;

template <int32_t TYPE>
__global__ void matmul_kernel(float *out, const float *x, DevMatrix w, const float *bias, int T, Epilogue epi) {
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int64_t n = (int64_t)blockIdx.x * MM_WARPS + warp;
    if (n >= w.N) return;   // the whole warp leaves together; no block-wide barrier below
    const uint8_t *row = w.data + (size_t)n * w.row_bytes;
    const float b = bias ? bias[n] : 0.f;
    for (int64_t t0 = (int64_t)blockIdx.y * MM_TT; t0 < T; t0 += (int64_t)gridDim.y * MM_TT) {
        const int nt = (int)min((int64_t)MM_TT, (int64_t)T - t0);
        float acc[MM_TT];
        matmul_lane_partial<TYPE>(row, x, w.K, t0, nt, lane, acc);
#pragma unroll
        for (int t = 0; t < MM_TT; ++t) {
            if (t < nt) {   // nt is the same for the whole warp, so every lane joins the shuffles
                const float y = warp_sum(acc[t]);
                if (lane == 0) matmul_store(out + (size_t)(t0 + t) * (size_t)w.N + n, y, b, epi);
            }
        }
    }
}

// ---- KV store and attention -----------------------------------------------------------------------------
__global__ void kv_store_kernel(const float *qkv, const int32_t *seq, const int32_t *pos, float *const *k_table,
                                float *const *v_table, int layer, int C, int n_ctx) {
    const int t = blockIdx.x;
    const size_t off = ((size_t)layer * (size_t)n_ctx + (size_t)pos[t]) * (size_t)C;
    float *k = k_table[seq[t]] + off;
    float *v = v_table[seq[t]] + off;
    const float *src = qkv + (size_t)t * 3 * C;
    for (int i = threadIdx.x; i < C; i += blockDim.x) {
        k[i] = src[C + i];
        v[i] = src[2 * C + i];
    }
}

// Block (h, t) of ATT_THREADS threads: scores over positions 0..pos[t] in shared memory, softmax, then the
// weighted sum of V: warp w sums the positions p = w (mod ATT_WARPS) with its lanes on consecutive dimensions
// (each V row read coalesced), and the warps' partial sums are added at the end.
constexpr int ATT_WARPS = 4;
constexpr int ATT_THREADS = 32 * ATT_WARPS;

__global__ void attention_kernel(float *atty, const float *qkv, const int32_t *seq, const int32_t *pos,
                                 float *const *k_table, float *const *v_table, int layer, int C, int NH,
                                 int n_ctx) {
    extern __shared__ float smem[];
    const int h = blockIdx.x, t = blockIdx.y;
    const int hs = C / NH;
    float *red = smem;               // 32
    float *q = smem + 32;            // hs
    float *scores = q + hs;          // n_ctx
    float *part = scores + n_ctx;    // ATT_WARPS * hs
    const int n_pos = pos[t] + 1;
    const size_t layer_off = (size_t)layer * (size_t)n_ctx * (size_t)C + (size_t)h * hs;
    const float *k = k_table[seq[t]] + layer_off;
    const float *v = v_table[seq[t]] + layer_off;
    const float scale = rsqrtf((float)hs);

    for (int i = threadIdx.x; i < hs; i += blockDim.x) q[i] = qkv[(size_t)t * 3 * C + (size_t)h * hs + i];
    __syncthreads();
    float local_max = -INFINITY;
    for (int p = threadIdx.x; p < n_pos; p += blockDim.x) {
        const float *kp = k + (size_t)p * C;
        float dot = 0.f;
        for (int i = 0; i < hs; ++i) dot += q[i] * kp[i];
        scores[p] = dot * scale;
        local_max = fmaxf(local_max, scores[p]);
    }
    const float max_score = block_reduce<true>(local_max, red);
    float local_sum = 0.f;
    for (int p = threadIdx.x; p < n_pos; p += blockDim.x) {
        scores[p] = __expf(scores[p] - max_score);
        local_sum += scores[p];
    }
    const float inv = 1.f / block_reduce<false>(local_sum, red);  // also orders the scores writes before reads
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    for (int i = lane; i < hs; i += 32) {
        float acc = 0.f;
        for (int p = warp; p < n_pos; p += ATT_WARPS) acc += scores[p] * v[(size_t)p * C + i];
        part[warp * hs + i] = acc;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < hs; i += blockDim.x) {
        float acc = 0.f;
#pragma unroll
        for (int w = 0; w < ATT_WARPS; ++w) acc += part[w * hs + i];
        atty[(size_t)t * C + (size_t)h * hs + i] = acc * inv;
    }
}

int grid_y_for(int T) {
    const int chunks = (T + MM_TT - 1) / MM_TT;
    return chunks < 65535 ? chunks : 65535;   // the kernel loops when T needs more
}

}  // namespace

void embed_cuda(float *x, const int32_t *token, const int32_t *pos, const DevMatrix &wte, const DevMatrix &wpe,
                int T, int C, cudaStream_t stream) {
    embed_kernel<<<T, 256, 0, stream>>>(x, token, pos, wte, wpe, C);
}

void layernorm_cuda(float *out, const float *inp, const float *weight, const float *bias, const int32_t *src, int R,
                    int C, float eps, cudaStream_t stream) {
    layernorm_kernel<<<R, 256, 0, stream>>>(out, inp, weight, bias, src, C, eps);
}

void matmul_cuda(float *out, const float *x, const DevMatrix &w, const float *bias, int T, Epilogue epilogue,
                 cudaStream_t stream) {
    const dim3 grid((unsigned)((w.N + MM_WARPS - 1) / MM_WARPS), (unsigned)grid_y_for(T));
    const dim3 block(32 * MM_WARPS);
    switch (w.type) {
        case kTypeF32: matmul_kernel<kTypeF32><<<grid, block, 0, stream>>>(out, x, w, bias, T, epilogue); break;
        case kTypeF16: matmul_kernel<kTypeF16><<<grid, block, 0, stream>>>(out, x, w, bias, T, epilogue); break;
        case kTypeQ8_0: matmul_kernel<kTypeQ8_0><<<grid, block, 0, stream>>>(out, x, w, bias, T, epilogue); break;
        case kTypeQ4_0: matmul_kernel<kTypeQ4_0><<<grid, block, 0, stream>>>(out, x, w, bias, T, epilogue); break;
        default: break;   // unreachable: model_upload admits only the four types
    }
}

void kv_store_cuda(const float *qkv, const int32_t *seq, const int32_t *pos, float *const *k_table,
                   float *const *v_table, int layer, int T, int C, int n_ctx, cudaStream_t stream) {
    kv_store_kernel<<<T, 256, 0, stream>>>(qkv, seq, pos, k_table, v_table, layer, C, n_ctx);
}

size_t attention_smem_bytes(int n_ctx, int hs) {
    return (size_t)(32 + hs + n_ctx + ATT_WARPS * hs) * sizeof(float);
}

void attention_cuda(float *atty, const float *qkv, const int32_t *seq, const int32_t *pos, float *const *k_table,
                    float *const *v_table, int layer, int T, int C, int NH, int n_ctx, cudaStream_t stream) {
    constexpr int kMaxGridY = 65535;
    for (int t0 = 0; t0 < T; t0 += kMaxGridY) {   // entries past the grid's y limit in further launches
        const int nt = T - t0 < kMaxGridY ? T - t0 : kMaxGridY;
        const dim3 grid((unsigned)NH, (unsigned)nt);
        attention_kernel<<<grid, ATT_THREADS, attention_smem_bytes(n_ctx, C / NH), stream>>>(
            atty + (size_t)t0 * C, qkv + (size_t)t0 * 3 * C, seq + t0, pos + t0, k_table, v_table, layer, C, NH,
            n_ctx);
    }
}

}  // namespace gpt2cuda
