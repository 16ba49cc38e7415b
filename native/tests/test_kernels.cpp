// test_kernels.cpp — every fast kernel against its scalar reference: matmul for each weight type (odd row
// counts, token counts 1..17, threads 1..3, every kernel path this CPU can run), GELU, attention, the
// thread pool and the CPU path switch.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.h"
#include "convert/gpt2_gguf.h"
#include "kernels/attention.h"
#include "kernels/cpu_features.h"
#include "kernels/gelu.h"
#include "kernels/matmul.h"
#include "kernels/matmul_unpacked.h"
#include "kernels/thread_pool.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

using namespace gpt2;

namespace {

// f32 accumulation against the float64 reference: the error grows with K * eps * sum|w x|; 1e-5 of that
// sum is ~10x the worst case for K <= 288 (and well above the random-sign growth of the 8224-long quantized
// rows) yet far below any indexing mistake (which is O(sum|w x|)).
constexpr double kMatmulRelTol = 1e-5;
// Vector exp-based tanh vs std::tanh: a few float ulps of the output.
constexpr double kGeluTol = 2e-6;
// Attention: f32 dots of <= 64 terms and a softmax over <= 40 positions vs float64 dots.
constexpr double kAttentionTol = 1e-5;

std::vector<CpuPath> fast_paths() {
    std::vector<CpuPath> paths;
    if (cpu_path_supported(CpuPath::avx2)) paths.push_back(CpuPath::avx2);
    if (cpu_path_supported(CpuPath::avx512)) paths.push_back(CpuPath::avx512);
    return paths;
}

struct Weights {
    std::vector<uint8_t> bytes;
    std::vector<float> f32;  // the dequantized values, (N, K)
};

Weights make_weights(gpt2_type type, int64_t N, int64_t K, std::mt19937 &rng) {
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    Weights w;
    std::vector<float> src((size_t)(N * K));
    for (float &v : src) v = u(rng);
    const size_t row_bytes = type_row_bytes(type, K);
    w.bytes.resize(row_bytes * (size_t)N);
    for (int64_t n = 0; n < N; ++n) {
        void *dst = w.bytes.data() + (size_t)n * row_bytes;
        const float *s = src.data() + n * K;
        switch (type) {
            case GPT2_TYPE_F32: std::copy(s, s + K, (float *)dst); break;
            case GPT2_TYPE_F16: convert_row_f32_to_f16(s, (uint16_t *)dst, K); break;
            case GPT2_TYPE_Q8_0: quantize_row_q8_0_ref(s, (block_q8_0 *)dst, K); break;
            case GPT2_TYPE_Q4_0: quantize_row_q4_0_ref(s, (block_q4_0 *)dst, K); break;
            case GPT2_TYPE_BF16:
                for (int64_t k = 0; k < K; ++k) {
                    uint32_t u;
                    std::memcpy(&u, s + k, 4);
                    ((uint16_t *)dst)[k] = (uint16_t)(u >> 16);
                }
                break;
            default: {
                const std::vector<uint8_t> enc = tensor_encode(s, K, 1, type);   // our quantizers
                std::memcpy(dst, enc.data(), enc.size());
            }
        }
    }
    w.f32.resize((size_t)(N * K));
    for (int64_t n = 0; n < N; ++n) dequantize_row(type, w.bytes.data() + (size_t)n * row_bytes, w.f32.data() + n * K, K);
    return w;
}

void test_matmul() {
    std::mt19937 rng(1234);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    ThreadPool pools[3] = {ThreadPool(1), ThreadPool(2), ThreadPool(3)};
    const gpt2_type types[] = {GPT2_TYPE_F32,  GPT2_TYPE_F16,  GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0, GPT2_TYPE_Q4_1,
                               GPT2_TYPE_Q5_0, GPT2_TYPE_Q5_1, GPT2_TYPE_Q4_K, GPT2_TYPE_Q5_K, GPT2_TYPE_Q6_K,
                               GPT2_TYPE_BF16, GPT2_TYPE_Q2_K, GPT2_TYPE_Q3_K, GPT2_TYPE_IQ4_NL};
    for (gpt2_type type : types) {
        const bool quant = matmul_takes_q8_0(type), unpacked = matmul_takes_unpacked(type);
        const int64_t block = type_block_size(type);
        // Q8_0/Q4_0 also with rows longer than the gemm's stack tables (257 blocks): the stream loop then serves
        // every token count.
        const std::vector<int64_t> Ks = block == QK_K ? std::vector<int64_t>{256, 512}
                                        : quant       ? std::vector<int64_t>{32, 160, 288, 32 * 257}
                                        : block == 32 ? std::vector<int64_t>{32, 160, 288}
                                                      : std::vector<int64_t>{8, 37, 160};
        for (int64_t K : Ks) {
            for (int64_t N : {1, 5, 7, 33}) {
                Weights w = make_weights(type, N, K, rng);
                TensorView tv;
                tv.name = "w";
                tv.type = type;
                tv.n_dims = 2;
                tv.ne[0] = K;
                tv.ne[1] = N;
                tv.data = w.bytes.data();
                tv.nbytes = w.bytes.size();
                std::vector<float> bias((size_t)N);
                for (float &b : bias) b = u(rng);
                // Q8_0/Q4_0 switch gemms at 24 tokens (sign trick below, int16 from there): both sides of it.
                const int64_t T_max = quant ? 26 : 17;
                std::vector<int64_t> Ts;
                for (int64_t T = 1; T <= T_max; ++T) {
                    if (T <= 17 || T >= 24) Ts.push_back(T);
                }
                std::vector<float> x((size_t)(T_max * K));
                for (float &v : x) v = u(rng);
                // Reference on exactly the activations the fast kernel sees (Q8_0 blocks for quantized types).
                std::vector<block_q8_0> xq;
                if (quant) {
                    xq.resize((size_t)(T_max * K / 32));
                    for (int64_t t = 0; t < T_max; ++t) quantize_row_q8_0_ref(x.data() + t * K, xq.data() + t * K / 32, K);
                }
                const ActivationsQ8_0 xq8{xq.data(), nullptr, nullptr};
                const void *xin = quant ? (const void *)&xq8 : (const void *)x.data();
                std::vector<float> ref((size_t)(T_max * N));
                // Dequantized activations (what the quantized types' kernels multiply).
                std::vector<float> xs(x);
                if (quant) {
                    for (int64_t t = 0; t < T_max; ++t) dequantize_row_q8_0(xq.data() + t * K / 32, xs.data() + t * K, K);
                }
                if (unpacked) {
                    std::vector<int8_t> aq((size_t)K);
                    std::vector<float> ad((size_t)K / 32);
                    for (int64_t t = 0; t < T_max; ++t) {
                        quantize_activations(type, x.data() + t * K, K, aq.data(), ad.data());
                        for (int64_t k = 0; k < K; ++k) xs[t * K + k] = ad[k / 32] * aq[k];
                    }
                }
                const bool own_ref = type == GPT2_TYPE_F32 || type == GPT2_TYPE_F16 || type == GPT2_TYPE_Q8_0 ||
                                     type == GPT2_TYPE_Q4_0;
                if (own_ref) {
                    matmul_kernel(type, CpuPath::scalar)(ref.data(), xin, w.bytes.data(), bias.data(), T_max, K, N, 0, N);
                } else {
                    // the unpacked and bf16 types: an independent float64 product of the dequantized weights and
                    // activations (their scalar kernels are under test here too)
                    for (int64_t t = 0; t < T_max; ++t)
                        for (int64_t n = 0; n < N; ++n) {
                            double acc = bias[n];
                            for (int64_t k = 0; k < K; ++k) acc += (double)w.f32[n * K + k] * xs[t * K + k];
                            ref[t * N + n] = (float)acc;
                        }
                }
                // Error scale per output: sum |w x|.
                std::vector<CpuPath> paths = fast_paths();
                paths.push_back(CpuPath::scalar);  // the dispatch + threading of the fallback path too
                for (CpuPath path : paths) {
                    // Each token alone (T = 1), with and without the bias: a batch must give every token exactly
                    // these bits, whatever its size, the token's place in it and the thread count (so a sequence's
                    // output does not depend on what shares its batch).
                    std::vector<float> alone((size_t)(T_max * N)), alone_nb((size_t)(T_max * N));
                    for (int64_t t = 0; t < T_max; ++t) {
                        MatmulScratch scratch;
                        matmul_forward_path(alone.data() + t * N, x.data() + t * K, tv, bias.data(), 1, pools[0],
                                            scratch, path);
                        matmul_forward_path(alone_nb.data() + t * N, x.data() + t * K, tv, nullptr, 1, pools[0],
                                            scratch, path);
                    }
                    for (int64_t T : Ts) {
                        for (int th = 0; th < 3; ++th) {
                            std::vector<float> y((size_t)(T * N), NAN);
                            MatmulScratch scratch;
                            matmul_forward_path(y.data(), x.data(), tv, (T % 3 == 0) ? nullptr : bias.data(), T,
                                                pools[th], scratch, path);
                            const std::vector<float> &same = (T % 3 == 0) ? alone_nb : alone;
                            CHECK_MSG(std::memcmp(y.data(), same.data(), (size_t)(T * N) * sizeof(float)) == 0,
                                      "matmul %s path %s K=%lld N=%lld T=%lld threads=%d: a token's output depends "
                                      "on its batch", type_name(type), cpu_path_name(path), (long long)K,
                                      (long long)N, (long long)T, th + 1);
                            double worst = 0.0;
                            for (int64_t t = 0; t < T; ++t)
                                for (int64_t n = 0; n < N; ++n) {
                                    double scale = 1.0;
                                    for (int64_t k = 0; k < K; ++k) scale += std::fabs(w.f32[n * K + k] * xs[t * K + k]);
                                    const double expect = ref[t * N + n] - ((T % 3 == 0) ? bias[n] : 0.f);
                                    const double err = std::fabs(y[t * N + n] - expect) / scale;
                                    if (!(err <= worst)) worst = std::isnan(err) ? INFINITY : err;
                                }
                            CHECK_MSG(worst <= kMatmulRelTol, "matmul %s path %s K=%lld N=%lld T=%lld threads=%d: rel err %g",
                                      type_name(type), cpu_path_name(path), (long long)K, (long long)N, (long long)T,
                                      th + 1, worst);
                        }
                    }
                }
            }
        }
    }
}

// The AVX2 unpackers against the scalar ones, bit for bit, on random bytes (every bit pattern of quants, high
// bits and packed scales; only the fp16 scales are kept finite so the f32 scales compare as bits).
void test_unpack_paths() {
    if (!cpu_path_supported(CpuPath::avx2)) return;
    std::mt19937 rng(99);
    for (gpt2_type type : {GPT2_TYPE_Q4_K, GPT2_TYPE_Q5_K, GPT2_TYPE_Q6_K, GPT2_TYPE_Q5_0}) {
        const UnpackRowFn fast = unpack_row_kernel(type, CpuPath::avx2), ref = unpack_row_fn(type);
        CHECK(fast != ref && ref != nullptr);
        const int64_t n = 4 * QK_K;
        const size_t bytes = type_row_bytes(type, n);
        for (int rep = 0; rep < 50; ++rep) {
            std::vector<uint8_t> row(bytes);
            for (uint8_t &b : row) b = (uint8_t)rng();
            // fp16 fields: d (and dmin) sit at the block start for q4_K/q5_K/q5_0, at the end for q6_K
            const size_t bb = type_block_bytes(type);
            for (size_t blk = 0; blk < bytes / bb; ++blk) {
                uint8_t *p = row.data() + blk * bb;
                if (type == GPT2_TYPE_Q6_K) p[bb - 1] &= 0xbb;   // exponent < 16: finite, either sign
                else {
                    p[1] &= 0xbb;
                    if (type != GPT2_TYPE_Q5_0) p[3] &= 0xbb;
                }
            }
            std::vector<int8_t> q0((size_t)n), q1((size_t)n);
            std::vector<float> s0((size_t)n / 16), s1(s0.size()), m0(s0.size(), 7.f), m1(s0.size(), 7.f);
            ref(row.data(), n, q0.data(), s0.data(), m0.data());
            fast(row.data(), n, q1.data(), s1.data(), m1.data());
            CHECK_MSG(std::memcmp(q0.data(), q1.data(), q0.size()) == 0, "unpack %s: quants differ", type_name(type));
            CHECK_MSG(std::memcmp(s0.data(), s1.data(), s0.size() * 4) == 0, "unpack %s: scales differ", type_name(type));
            CHECK_MSG(std::memcmp(m0.data(), m1.data(), m0.size() * 4) == 0, "unpack %s: mins differ", type_name(type));
        }
    }
}

// Activations are rounded as llama.cpp rounds them per weight type: for the k-quants one f32 scale per 256
// (ggml's Q8_K: the signed value of largest magnitude becomes exactly -127), for the 32-blocks types Q8_0's
// values (fp16 scale per 32).
void test_activation_rounding() {
    std::vector<float> x(512);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (float &v : x) v = u(rng);
    x[17] = 2.5f;     // the largest of the first 256, positive
    x[300] = -3.0f;   // the largest of the second, negative
    std::vector<int8_t> q(512);
    std::vector<float> d(16);
    quantize_activations(GPT2_TYPE_Q4_K, x.data(), 512, q.data(), d.data());
    CHECK(q[17] == -127 && q[300] == -127);
    CHECK(d[0] == 1.f / (-127.f / 2.5f) && d[7] == d[0] && d[8] == 1.f / (-127.f / -3.0f) && d[15] == d[8]);
    for (int k = 0; k < 512; ++k) CHECK(std::fabs(d[k / 32] * q[k] - x[k]) <= 0.5001 * std::fabs(d[k / 32]));
    quantize_activations(GPT2_TYPE_Q5_0, x.data(), 512, q.data(), d.data());
    std::vector<block_q8_0> b(16);
    quantize_row_q8_0_ref(x.data(), b.data(), 512);
    for (int k = 0; k < 512; ++k) CHECK(q[k] == b[k / 32].qs[k % 32] && d[k / 32] == fp16_to_fp32(b[k / 32].d));
}

// The AVX2 rounding of activations to Q8_0 against the reference, byte for byte: random blocks, blocks whose
// values land exactly on .5 after scaling (the tie rule), all-zero blocks, tiny and huge magnitudes, and blocks
// holding NaN or inf (handed to the reference).
void test_quantize_q8_0_paths() {
    if (!cpu_path_supported(CpuPath::avx2)) return;
    std::mt19937 rng(77);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    const int64_t n = 32 * 64;
    for (int rep = 0; rep < 200; ++rep) {
        std::vector<float> x((size_t)n);
        const float scale = std::ldexp(1.f, (int)(rng() % 200) - 100);
        for (float &v : x) v = u(rng) * scale;
        for (int64_t b = 0; b < n / 32; ++b) {
            float *xb = x.data() + b * 32;
            switch ((b + rep) % 8) {
                case 0:   // ties: amax 127 makes d = 1, so k + 0.5 stays a tie
                    for (int k = 0; k < 32; ++k) xb[k] = (float)((int)(rng() % 254) - 127) + (k % 2 ? 0.5f : -0.5f);
                    xb[0] = 127.f;
                    break;
                case 1: std::fill(xb, xb + 32, 0.f); break;
                case 2: xb[rng() % 32] = NAN; break;
                case 3: xb[rng() % 32] = (rng() % 2) ? INFINITY : -INFINITY; break;
                case 4: xb[rng() % 32] = 3.0e38f; break;
                case 5: for (int k = 0; k < 32; ++k) xb[k] = u(rng) * 1e-40f; break;   // subnormal inputs
                default: break;
            }
        }
        std::vector<block_q8_0> ref((size_t)n / 32), fast((size_t)n / 32);
        quantize_row_q8_0_ref(x.data(), ref.data(), n);
        quantize_row_q8_0_avx2(x.data(), fast.data(), n);
        CHECK_MSG(std::memcmp(ref.data(), fast.data(), ref.size() * sizeof(block_q8_0)) == 0,
                  "quantize_row_q8_0_avx2 differs from the reference (rep %d)", rep);
    }
}

void test_matmul_rejects_bad_k() {
    ThreadPool pool(1);
    std::vector<uint8_t> bytes(34 * 2);
    TensorView tv;
    tv.name = "bad";
    tv.type = GPT2_TYPE_Q8_0;
    tv.ne[0] = 48;
    tv.ne[1] = 1;
    tv.data = bytes.data();
    std::vector<float> x(48), y(1);
    MatmulScratch scratch;
    bool threw = false;
    try {
        matmul_forward_path(y.data(), x.data(), tv, nullptr, 1, pool, scratch, CpuPath::scalar);
    } catch (const std::exception &) {
        threw = true;
    }
    CHECK(threw);
}

void test_gelu() {
    std::vector<float> x;
    for (float v = -12.f; v <= 12.f; v += 0.00731f) x.push_back(v);
    x.push_back(0.f);
    x.push_back(-100.f);
    x.push_back(100.f);
    std::vector<float> ref(x.size()), y(x.size());
    gelu_forward_ref(ref.data(), x.data(), (int64_t)x.size());
    for (CpuPath path : fast_paths()) {
        gelu_kernel(path)(y.data(), x.data(), (int64_t)x.size());
        double worst = 0.0;
        for (size_t i = 0; i < x.size(); ++i) {
            const double err = std::fabs((double)y[i] - ref[i]) / std::max(1.0, std::fabs((double)x[i]));
            if (!(err <= worst)) worst = std::isnan(err) ? INFINITY : err;
        }
        CHECK_MSG(worst <= kGeluTol, "gelu path %s: err %g", cpu_path_name(path), worst);
    }
    CHECK(gelu_kernel(CpuPath::scalar) == gelu_forward_ref);
}

// The largest difference, over n_pos = 1..N_MAX, between RUN(out, n_pos, scores) (a kernel under test) and the f32
// reference on Q and the keys and values KW, VW as the kernel sees them (f32 rows STRIDE apart).
template <typename Run>
double attention_error(const std::vector<float> &q, const float *kw, const float *vw, int64_t stride, int64_t n_max,
                       Run run) {
    const int64_t hs = (int64_t)q.size();
    double worst = 0.0;
    for (int64_t n_pos = 1; n_pos <= n_max; ++n_pos) {
        std::vector<float> ref((size_t)hs), out((size_t)hs), s1((size_t)n_pos), s2((size_t)n_pos);
        attention_head_ref(ref.data(), q.data(), kw, vw, stride, n_pos, hs, 0.125f, s1.data());
        run(out.data(), n_pos, s2.data());
        for (int64_t i = 0; i < hs; ++i) {
            const double err = std::fabs((double)out[i] - ref[i]);
            if (!(err <= worst)) worst = std::isnan(err) ? INFINITY : err;
        }
    }
    return worst;
}

void test_attention() {
    std::mt19937 rng(99);
    std::uniform_real_distribution<float> u(-2.f, 2.f);
    std::vector<CpuPath> all_paths = fast_paths();
    all_paths.push_back(CpuPath::scalar);
    for (int64_t hs : {64, 48, 20}) {
        const int64_t stride = hs * 3 + 5, n_max = 40;
        std::vector<float> q((size_t)hs), k((size_t)(n_max * stride)), v((size_t)(n_max * stride));
        for (float &f : q) f = u(rng);
        for (float &f : k) f = u(rng);
        for (float &f : v) f = u(rng);
        for (CpuPath path : fast_paths()) {
            const double worst = attention_error(q, k.data() + 3, v.data() + 3, stride, n_max,
                                                 [&](float *out, int64_t n_pos, float *scores) {
                attention_head_kernel(path)(out, q.data(), k.data() + 3, v.data() + 3, stride, n_pos, hs, 0.125f,
                                            scores);
            });
            CHECK_MSG(worst <= kAttentionTol, "attention path %s hs=%lld: err %g", cpu_path_name(path),
                      (long long)hs, worst);
        }
        // Keys and values stored as f16 (the KV cache of non-f32 models): every path, the scalar one included,
        // against the f32 reference on the same values widened back to f32.
        std::vector<uint16_t> k16(k.size()), v16(v.size());
        convert_row_f32_to_f16(k.data(), k16.data(), (int64_t)k.size());
        convert_row_f32_to_f16(v.data(), v16.data(), (int64_t)v.size());
        std::vector<float> kw(k.size()), vw(v.size());
        convert_row_f16_to_f32(k16.data(), kw.data(), (int64_t)k.size());
        convert_row_f16_to_f32(v16.data(), vw.data(), (int64_t)v.size());
        for (CpuPath path : all_paths) {
            const double worst = attention_error(q, kw.data() + 3, vw.data() + 3, stride, n_max,
                                                 [&](float *out, int64_t n_pos, float *scores) {
                attention_head_f16_kernel(path)(out, q.data(), k16.data() + 3, v16.data() + 3, stride, n_pos, hs,
                                                0.125f, scores);
            });
            CHECK_MSG(worst <= kAttentionTol, "f16 attention path %s hs=%lld: err %g", cpu_path_name(path),
                      (long long)hs, worst);
        }
    }
    // Keys and values stored as q8_0 rows (a q8_0 KV cache; head sizes multiples of 32, rows a block apart): every
    // path against the f32 reference on the same values dequantized.
    for (int64_t hs : {64, 32, 96}) {
        const int64_t nb = hs / 32, stride = nb + 1, n_max = 40;
        std::vector<float> q((size_t)hs), row((size_t)hs);
        for (float &f : q) f = u(rng);
        std::vector<block_q8_0> k8((size_t)(n_max * stride)), v8((size_t)(n_max * stride));
        std::vector<float> kw((size_t)(n_max * hs)), vw((size_t)(n_max * hs));
        for (int64_t p = 0; p < n_max; ++p) {
            for (float &f : row) f = u(rng);
            quantize_row_q8_0_ref(row.data(), k8.data() + p * stride, hs);
            dequantize_row_q8_0(k8.data() + p * stride, kw.data() + p * hs, hs);
            for (float &f : row) f = u(rng);
            quantize_row_q8_0_ref(row.data(), v8.data() + p * stride, hs);
            dequantize_row_q8_0(v8.data() + p * stride, vw.data() + p * hs, hs);
        }
        for (CpuPath path : all_paths) {
            const double worst = attention_error(q, kw.data(), vw.data(), hs, n_max,
                                                 [&](float *out, int64_t n_pos, float *scores) {
                attention_head_q8_0_kernel(path)(out, q.data(), k8.data(), v8.data(), stride, n_pos, hs, 0.125f,
                                                 scores);
            });
            CHECK_MSG(worst <= kAttentionTol, "q8_0 attention path %s hs=%lld: err %g", cpu_path_name(path),
                      (long long)hs, worst);
        }
    }
    // The F16C row conversion of the KV stores against the reference rounding, bit for bit (ties, subnormals,
    // overflow to inf, NaN).
    if (cpu_path_supported(CpuPath::avx2)) {
        std::vector<float> x;
        for (int i = 0; i < 4000; ++i) x.push_back(std::ldexp(u(rng), (int)(rng() % 40) - 28));
        x.push_back(65519.f);
        x.push_back(65520.f);
        x.push_back(1.0f + 1.0f / 2048.0f);   // a tie: rounds to even
        x.push_back(NAN);
        x.push_back(-INFINITY);
        x.push_back(3e-8f);
        std::vector<uint16_t> a(x.size()), b(x.size());
        convert_row_f32_to_f16(x.data(), a.data(), (int64_t)x.size());
        convert_row_f32_to_f16_avx2(x.data(), b.data(), (int64_t)x.size());
        CHECK_MSG(a == b, "convert_row_f32_to_f16_avx2 differs from the reference");
    }
    // Softmax sanity of the reference itself: one position returns its value row exactly.
    std::vector<float> q(4, 1.f), k(4, 3.f), v = {1.f, 2.f, 3.f, 4.f}, out(4), s(1);
    attention_head_ref(out.data(), q.data(), k.data(), v.data(), 4, 1, 4, 0.5f, s.data());
    CHECK_NEAR(out[2], 3.f, 1e-7);
}

void test_thread_pool() {
    for (int n : {1, 2, 3, 5}) {
        ThreadPool pool(n);
        std::vector<int> hits((size_t)n, 0);
        for (int rep = 0; rep < 200; ++rep) {
            pool.run([&](int ith, int nth) {
                if (nth == n) ++hits[(size_t)ith];
            });
        }
        bool all = true;
        for (int h : hits) all = all && h == 200;
        CHECK_MSG(all, "pool of %d: every thread runs every task once", n);
        bool caught = false;
        try {
            pool.run([&](int ith, int) {
                if (ith == n - 1) throw std::runtime_error("boom");
            });
        } catch (const std::runtime_error &) {
            caught = true;
        }
        CHECK_MSG(caught, "pool of %d rethrows a task's exception", n);
        int after = 0;
        pool.run([&](int ith, int) {
            if (ith == 0) after = 1;
        });
        CHECK(after == 1);
    }
    int64_t b, e, covered = 0;
    for (int i = 0; i < 3; ++i) {
        split_range(37, i, 3, 16, &b, &e);
        CHECK(b % 16 == 0 && e >= b);
        covered += e - b;
    }
    CHECK_EQ(covered, 37);
}

void test_cpu_path() {
    const CpuPath best = cpu_best_path();
    std::printf("cpu features: %s; best path %s\n", cpu_features_string().c_str(), cpu_path_name(best));
    CHECK(cpu_set_path(CpuPath::scalar));
    CHECK(cpu_active_path() == CpuPath::scalar);
    if (best != CpuPath::avx512) CHECK(!cpu_set_path(CpuPath::avx512));
    CHECK(cpu_set_path(best));
    CHECK(cpu_active_path() == best);
}

}  // namespace

int main() {
    test_cpu_path();
    test_thread_pool();
    test_matmul();
    test_unpack_paths();
    test_activation_rounding();
    test_quantize_q8_0_paths();
    test_matmul_rejects_bad_k();
    test_gelu();
    test_attention();
    return check_summary("test_kernels");
}
