// random_model.cpp — generates a GPT-2 with weights ~ N(0, 0.02) (GPT-2's init scale), LayerNorm weights
// 1 + N(0, 0.02), biases N(0, 0.01), from a splitmix64 stream seeded per tensor (seed + tensor name), so
// every tensor is independent of the output type and of the order it is written in.
#include "convert/random_model.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "util/error.h"
#include "convert/gpt2_gguf.h"
#include "convert/safetensors.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "util/json.h"

namespace gpt2 {

namespace {

constexpr float WEIGHT_STDDEV = 0.02f;   // GPT-2 initializer_range
constexpr float BIAS_STDDEV = 0.01f;
constexpr float NORM_NOISE_STDDEV = 0.02f;
constexpr double TWO_PI = 6.283185307179586476925286766559;

uint64_t fnv1a(const std::string &s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

enum class Init { WEIGHT, BIAS, NORM };

struct TensorDef {
    std::string gguf_name, hf_name;
    std::vector<int64_t> ne;   // ggml order
    bool conv1d;               // HF stores it transposed: (in, out)
    Init init;
};

std::vector<float> generate(const TensorDef &d, uint64_t seed) {
    int64_t n = 1;
    for (int64_t x : d.ne) n *= x;
    std::vector<float> v((size_t)n);
    SplitMix64 rng{seed ^ fnv1a(d.gguf_name)};
    switch (d.init) {
        case Init::WEIGHT: fill_normal(rng, v.data(), n, 0.0f, WEIGHT_STDDEV); break;
        case Init::BIAS: fill_normal(rng, v.data(), n, 0.0f, BIAS_STDDEV); break;
        case Init::NORM: fill_normal(rng, v.data(), n, 1.0f, NORM_NOISE_STDDEV); break;
    }
    return v;
}

void copy_file(const std::string &from, const std::string &to) {
    const std::string data = read_text_file(from, (size_t)64 << 20);
    std::FILE *f = std::fopen(to.c_str(), "wb");
    if (!f) throw Error(GPT2_ERR_IO, to + ": cannot create: " + std::strerror(errno));
    const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
    if (std::fclose(f) != 0 || !ok) throw Error(GPT2_ERR_IO, to + ": write failed");
}

void write_text(const std::string &path, const std::string &text) {
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) throw Error(GPT2_ERR_IO, path + ": cannot create: " + std::strerror(errno));
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) throw Error(GPT2_ERR_IO, path + ": write failed");
}

}  // namespace

uint64_t SplitMix64::next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double SplitMix64::uniform() { return (double)((next() >> 11) + 1) * (1.0 / 9007199254740992.0); }

void fill_normal(SplitMix64 &rng, float *x, int64_t n, float mean, float stddev) {
    // Box-Muller in float (fast enough for GPT-2-124M in a few seconds); one 64-bit draw gives both
    // uniforms: 24 bits for u1 in (0, 1] and 24 bits for the angle.
    constexpr float INV_2_24 = 1.0f / 16777216.0f;
    for (int64_t i = 0; i < n; i += 2) {
        const uint64_t z = rng.next();
        const float u1 = (float)((z >> 40) + 1) * INV_2_24;
        const float u2 = (float)((z >> 16) & 0xFFFFFFu) * INV_2_24;
        const float r = std::sqrt(-2.0f * std::log(u1));
        const float t = (float)TWO_PI * u2;
        x[i] = mean + stddev * (r * std::cos(t));
        if (i + 1 < n) x[i + 1] = mean + stddev * (r * std::sin(t));
    }
}

void random_model_write(const std::string &out_path, const RandomModelOptions &opt) {
    HParams hp;
    hp.n_layer = opt.n_layer;
    hp.n_head = opt.n_head;
    hp.n_embd = opt.n_embd;
    hp.n_ctx = opt.n_ctx;
    hp.n_ff = opt.n_ff > 0 ? opt.n_ff : 4 * opt.n_embd;
    require_arg(hp.n_layer >= 1 && hp.n_layer <= 1024, "--layers must be in 1..1024");
    require_arg(hp.n_head >= 1 && hp.n_embd >= 1 && hp.n_embd <= 65536, "--heads and --embd must be positive (embd <= 65536)");
    require_arg(hp.n_embd % hp.n_head == 0, "--embd must be a multiple of --heads");
    require_arg(hp.n_ctx >= 1 && hp.n_ctx <= (1 << 22), "--ctx must be in 1..4194304");
    require_arg(hp.n_ff >= 1 && hp.n_ff <= (1 << 20), "--ff must be in 1..1048576");

    const VocabData vocab = vocab_read_hf(opt.vocab_dir + "/vocab.json", opt.vocab_dir + "/merges.txt");
    hp.n_vocab = (int32_t)vocab.tokens.size();
    const int64_t C = hp.n_embd, V = hp.n_vocab, T = hp.n_ctx, F = hp.n_ff;

    std::vector<TensorDef> defs;
    defs.push_back({"token_embd.weight", "wte.weight", {C, V}, false, Init::WEIGHT});
    defs.push_back({"position_embd.weight", "wpe.weight", {C, T}, false, Init::WEIGHT});
    for (int32_t il = 0; il < hp.n_layer; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".", h = "h." + std::to_string(il) + ".";
        defs.push_back({b + "attn_norm.weight", h + "ln_1.weight", {C}, false, Init::NORM});
        defs.push_back({b + "attn_norm.bias", h + "ln_1.bias", {C}, false, Init::BIAS});
        defs.push_back({b + "attn_qkv.weight", h + "attn.c_attn.weight", {C, 3 * C}, true, Init::WEIGHT});
        defs.push_back({b + "attn_qkv.bias", h + "attn.c_attn.bias", {3 * C}, false, Init::BIAS});
        defs.push_back({b + "attn_output.weight", h + "attn.c_proj.weight", {C, C}, true, Init::WEIGHT});
        defs.push_back({b + "attn_output.bias", h + "attn.c_proj.bias", {C}, false, Init::BIAS});
        defs.push_back({b + "ffn_norm.weight", h + "ln_2.weight", {C}, false, Init::NORM});
        defs.push_back({b + "ffn_norm.bias", h + "ln_2.bias", {C}, false, Init::BIAS});
        defs.push_back({b + "ffn_up.weight", h + "mlp.c_fc.weight", {C, F}, true, Init::WEIGHT});
        defs.push_back({b + "ffn_up.bias", h + "mlp.c_fc.bias", {F}, false, Init::BIAS});
        defs.push_back({b + "ffn_down.weight", h + "mlp.c_proj.weight", {F, C}, true, Init::WEIGHT});
        defs.push_back({b + "ffn_down.bias", h + "mlp.c_proj.bias", {C}, false, Init::BIAS});
    }
    defs.push_back({"output_norm.weight", "ln_f.weight", {C}, false, Init::NORM});
    defs.push_back({"output_norm.bias", "ln_f.bias", {C}, false, Init::BIAS});

    gguf_write_file(out_path, [&](GgufWriter &w) {
        const std::string name = "gpt2-random-" + std::to_string(C) + "x" + std::to_string(hp.n_layer);
        gpt2_gguf_set_metadata(w, hp, name, opt.type, vocab);
        w.set_str("general.description", "Random weights: deterministic demo model (seed " + std::to_string(opt.seed) +
                                             ") generated by gpt2-random; not a trained model");
        std::vector<gpt2_type> types;
        for (const TensorDef &d : defs) {
            types.push_back(gpt2_tensor_type(d.gguf_name, d.ne[0], opt.type));
            w.add_tensor(d.gguf_name, types.back(), d.ne);
        }
        w.write_header();
        for (size_t i = 0; i < defs.size(); ++i)
            gguf_write_tensor_encoded(w, i, generate(defs[i], opt.seed), defs[i].ne[0], types[i]);
    });

    if (opt.hf_dir.empty()) return;
    const std::string &dir = opt.hf_dir;
    std::string cfg = "{\n  \"architectures\": [\"GPT2LMHeadModel\"],\n  \"model_type\": \"gpt2\",\n";
    cfg += "  \"activation_function\": \"gelu_new\",\n";
    cfg += "  \"n_ctx\": " + std::to_string(T) + ",\n  \"n_positions\": " + std::to_string(T) + ",\n";
    cfg += "  \"n_embd\": " + std::to_string(C) + ",\n  \"n_head\": " + std::to_string(hp.n_head) + ",\n";
    cfg += "  \"n_layer\": " + std::to_string(hp.n_layer) + ",\n";
    cfg += "  \"n_inner\": " + (F == 4 * C ? std::string("null") : std::to_string(F)) + ",\n";
    cfg += "  \"vocab_size\": " + std::to_string(V) + ",\n  \"layer_norm_epsilon\": 1e-05,\n";
    cfg += "  \"bos_token_id\": " + std::to_string(vocab.eot) + ",\n  \"eos_token_id\": " + std::to_string(vocab.eot) + "\n}\n";
    write_text(dir + "/config.json", cfg);
    copy_file(opt.vocab_dir + "/vocab.json", dir + "/vocab.json");
    copy_file(opt.vocab_dir + "/merges.txt", dir + "/merges.txt");

    SafetensorsWriter st(dir + "/model.safetensors");
    for (const TensorDef &d : defs) {
        if (d.ne.size() == 1) st.add(d.hf_name, {d.ne[0]});
        else if (d.conv1d) st.add(d.hf_name, {d.ne[0], d.ne[1]});   // (in, out)
        else st.add(d.hf_name, {d.ne[1], d.ne[0]});                  // (rows, cols) = ggml bytes
    }
    st.write_header();
    for (const TensorDef &d : defs) {
        std::vector<float> x = generate(d, opt.seed);
        if (d.conv1d) {
            const int64_t in = d.ne[0], out = d.ne[1];
            std::vector<float> t(x.size());
            for (int64_t o = 0; o < out; ++o) {
                for (int64_t i = 0; i < in; ++i) t[(size_t)(i * out + o)] = x[(size_t)(o * in + i)];
            }
            x.swap(t);
        }
        st.write(d.hf_name, x.data(), (int64_t)x.size());
    }
    st.finish();
}

}  // namespace gpt2
