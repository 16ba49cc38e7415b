// hf_convert.cpp — HF GPT-2 -> GGUF converter (see hf_convert.h and gpt2_gguf.h for the mapping).
// Names are accepted with or without the "transformer." prefix; attn.bias / attn.masked_bias buffers are
// ignored; lm_head.weight becomes output.weight only if it differs from wte (GPT-2 ties them). Conv1D
// weights (c_attn, c_proj, c_fc; stored (in, out)) are transposed to ggml's ne = {in, out} row layout.
// A vocabulary smaller than vocab_size is padded with "[PAD<id>]" tokens (type UNUSED), as llama.cpp does.
#include "convert/hf_convert.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "util/error.h"
#include "convert/gpt2_gguf.h"
#include "convert/safetensors.h"
#include "gguf/gguf.h"
#include "tensor/tensor.h"
#include "util/json.h"

namespace gpt2 {

namespace {

constexpr int32_t TOKEN_TYPE_UNUSED = 5;

int64_t config_int(const JsonValue &cfg, const std::string &path, std::initializer_list<const char *> keys,
                   bool required, int64_t dflt, int64_t lo, int64_t hi) {
    for (const char *k : keys) {
        const JsonValue *v = cfg.get(k);
        if (!v || v->kind == JsonValue::NUL) continue;
        if (v->kind != JsonValue::NUMBER || !v->is_int) {
            throw Error(GPT2_ERR_FORMAT, path + ": field '" + k + "' must be an integer");
        }
        if (v->i < lo || v->i > hi) {
            throw Error(GPT2_ERR_FORMAT, path + ": field '" + k + "' = " + std::to_string(v->i) + " is out of range [" +
                                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
        }
        return v->i;
    }
    if (required) throw Error(GPT2_ERR_FORMAT, path + ": missing field '" + *keys.begin() + "'");
    return dflt;
}

bool file_exists(const std::string &p) {
    std::FILE *f = std::fopen(p.c_str(), "rb");
    if (!f) return false;
    std::fclose(f);
    return true;
}

std::string base_name(std::string dir) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const size_t s = dir.rfind('/');
    return s == std::string::npos ? dir : dir.substr(s + 1);
}

// All safetensors shards of a directory and a name -> entry lookup over them.
struct Checkpoint {
    std::vector<std::unique_ptr<SafetensorsFile>> files;
    std::map<std::string, const SafetensorsEntry *> by_name;   // names without "transformer."
    std::map<std::string, std::string> file_of;                // name -> shard path (for messages)

    void add_file(std::unique_ptr<SafetensorsFile> f) {
        for (const auto &kv : f->entries()) {
            std::string n = kv.first;
            if (n.compare(0, 12, "transformer.") == 0) n = n.substr(12);
            if (by_name.count(n)) throw Error(GPT2_ERR_FORMAT, f->path() + ": tensor '" + kv.first + "' appears twice");
            by_name[n] = &kv.second;
            file_of[n] = f->path();
        }
        files.push_back(std::move(f));
    }

    const SafetensorsEntry *find(const std::string &n) const {
        auto it = by_name.find(n);
        return it == by_name.end() ? nullptr : it->second;
    }

    const SafetensorsEntry &require(const std::string &n, const std::vector<int64_t> &shape, const std::string &dir) const {
        const SafetensorsEntry *e = find(n);
        if (!e) throw Error(GPT2_ERR_FORMAT, dir + ": checkpoint has no tensor '" + n + "' (or 'transformer." + n + "')");
        if (e->shape != shape) {
            std::string got, want;
            for (size_t i = 0; i < e->shape.size(); ++i) got += (i ? ", " : "") + std::to_string(e->shape[i]);
            for (size_t i = 0; i < shape.size(); ++i) want += (i ? ", " : "") + std::to_string(shape[i]);
            throw Error(GPT2_ERR_FORMAT, file_of.at(n) + ": tensor '" + n + "' has shape [" + got + "], config.json implies [" +
                                             want + "]");
        }
        return *e;
    }
};

Checkpoint open_checkpoint(const std::string &dir) {
    Checkpoint ck;
    const std::string single = dir + "/model.safetensors";
    const std::string index = dir + "/model.safetensors.index.json";
    if (file_exists(single)) {
        ck.add_file(SafetensorsFile::open(single));
        return ck;
    }
    if (!file_exists(index)) {
        throw Error(GPT2_ERR_IO, dir + ": no model.safetensors or model.safetensors.index.json");
    }
    const JsonValue doc = json_parse_file(index);
    const JsonValue *map = doc.get("weight_map");
    if (!map || map->kind != JsonValue::OBJECT) throw Error(GPT2_ERR_FORMAT, index + ": missing object 'weight_map'");
    std::set<std::string> shards;
    for (const auto &kv : map->obj) {
        if (kv.second.kind != JsonValue::STRING || kv.second.str.empty() || kv.second.str.find('/') != std::string::npos ||
            kv.second.str == "..") {
            throw Error(GPT2_ERR_FORMAT, index + ": weight_map entry '" + kv.first + "' must name a file in the directory");
        }
        shards.insert(kv.second.str);
    }
    for (const std::string &s : shards) ck.add_file(SafetensorsFile::open(dir + "/" + s));
    for (const auto &kv : map->obj) {
        std::string n = kv.first;
        if (n.compare(0, 12, "transformer.") == 0) n = n.substr(12);
        auto it = ck.file_of.find(n);
        if (it == ck.file_of.end() || base_name(it->second) != kv.second.str) {
            throw Error(GPT2_ERR_FORMAT, index + ": tensor '" + kv.first + "' is not in " + kv.second.str);
        }
    }
    return ck;
}

// One output tensor: where it comes from and how it is laid out.
struct Spec {
    std::string gguf_name;
    std::string hf_name;
    std::vector<int64_t> hf_shape;   // numpy order as stored
    bool transpose;                  // HF Conv1D (in, out) -> rows of `in`
    std::vector<int64_t> ne;         // ggml order
};

// Floats of SPEC's tensor in ggml row order (transposed if needed).
std::vector<float> load_rows(const Checkpoint &ck, const Spec &s) {
    const SafetensorsEntry *e = ck.find(s.hf_name);
    std::vector<float> x = safetensors_read_f32(*e, ck.file_of.at(s.hf_name));
    if (!s.transpose) return x;
    const int64_t in = s.hf_shape[0], out = s.hf_shape[1];
    std::vector<float> t(x.size());
    for (int64_t i = 0; i < in; ++i) {
        for (int64_t o = 0; o < out; ++o) t[(size_t)(o * in + i)] = x[(size_t)(i * out + o)];
    }
    return t;
}

}  // namespace

HParams hf_config_read(const std::string &path) {
    const JsonValue cfg = json_parse_file(path, (size_t)1 << 20);
    if (cfg.kind != JsonValue::OBJECT) throw Error(GPT2_ERR_FORMAT, path + ": not a JSON object");
    if (const JsonValue *mt = cfg.get("model_type")) {
        if (mt->kind == JsonValue::STRING && mt->str != "gpt2") {
            throw Error(GPT2_ERR_FORMAT, path + ": model_type '" + mt->str + "' is not gpt2");
        }
    }
    HParams hp;
    hp.n_embd = (int32_t)config_int(cfg, path, {"n_embd", "hidden_size"}, true, 0, 1, 1 << 16);
    hp.n_layer = (int32_t)config_int(cfg, path, {"n_layer", "num_hidden_layers"}, true, 0, 1, 1024);
    hp.n_head = (int32_t)config_int(cfg, path, {"n_head", "num_attention_heads"}, true, 0, 1, 1 << 16);
    hp.n_ctx = (int32_t)config_int(cfg, path, {"n_positions", "n_ctx", "max_position_embeddings"}, true, 0, 1, 1 << 22);
    hp.n_vocab = (int32_t)config_int(cfg, path, {"vocab_size"}, true, 0, 1, 1 << 24);
    hp.n_ff = (int32_t)config_int(cfg, path, {"n_inner"}, false, 4 * (int64_t)hp.n_embd, 1, 1 << 20);
    if (const JsonValue *eps = cfg.get("layer_norm_epsilon")) {
        if (eps->kind != JsonValue::NUMBER || !(eps->num > 0.0 && eps->num < 1.0)) {
            throw Error(GPT2_ERR_FORMAT, path + ": field 'layer_norm_epsilon' must be a number in (0, 1)");
        }
        hp.norm_eps = (float)eps->num;
    }
    if (hp.n_embd % hp.n_head != 0) {
        throw Error(GPT2_ERR_FORMAT, path + ": n_embd " + std::to_string(hp.n_embd) + " is not a multiple of n_head " +
                                         std::to_string(hp.n_head));
    }
    return hp;
}

void hf_convert(const std::string &hf_dir, const std::string &out_path, gpt2_type type) {
    const HParams hp = hf_config_read(hf_dir + "/config.json");
    VocabData vocab = vocab_read_hf(hf_dir + "/vocab.json", hf_dir + "/merges.txt");
    if (vocab.tokens.size() > (size_t)hp.n_vocab) {
        throw Error(GPT2_ERR_FORMAT, hf_dir + "/vocab.json: " + std::to_string(vocab.tokens.size()) +
                                         " tokens but config.json vocab_size is " + std::to_string(hp.n_vocab));
    }
    for (size_t i = vocab.tokens.size(); i < (size_t)hp.n_vocab; ++i) {
        vocab.tokens.push_back("[PAD" + std::to_string(i) + "]");
        vocab.token_types.push_back(TOKEN_TYPE_UNUSED);
    }
    const Checkpoint ck = open_checkpoint(hf_dir);

    const int64_t C = hp.n_embd, V = hp.n_vocab, T = hp.n_ctx, F = hp.n_ff;
    std::vector<Spec> specs;
    specs.push_back({"token_embd.weight", "wte.weight", {V, C}, false, {C, V}});
    specs.push_back({"position_embd.weight", "wpe.weight", {T, C}, false, {C, T}});
    for (int32_t il = 0; il < hp.n_layer; ++il) {
        const std::string h = "h." + std::to_string(il) + ".", b = "blk." + std::to_string(il) + ".";
        specs.push_back({b + "attn_norm.weight", h + "ln_1.weight", {C}, false, {C}});
        specs.push_back({b + "attn_norm.bias", h + "ln_1.bias", {C}, false, {C}});
        specs.push_back({b + "attn_qkv.weight", h + "attn.c_attn.weight", {C, 3 * C}, true, {C, 3 * C}});
        specs.push_back({b + "attn_qkv.bias", h + "attn.c_attn.bias", {3 * C}, false, {3 * C}});
        specs.push_back({b + "attn_output.weight", h + "attn.c_proj.weight", {C, C}, true, {C, C}});
        specs.push_back({b + "attn_output.bias", h + "attn.c_proj.bias", {C}, false, {C}});
        specs.push_back({b + "ffn_norm.weight", h + "ln_2.weight", {C}, false, {C}});
        specs.push_back({b + "ffn_norm.bias", h + "ln_2.bias", {C}, false, {C}});
        specs.push_back({b + "ffn_up.weight", h + "mlp.c_fc.weight", {C, F}, true, {C, F}});
        specs.push_back({b + "ffn_up.bias", h + "mlp.c_fc.bias", {F}, false, {F}});
        specs.push_back({b + "ffn_down.weight", h + "mlp.c_proj.weight", {F, C}, true, {F, C}});
        specs.push_back({b + "ffn_down.bias", h + "mlp.c_proj.bias", {C}, false, {C}});
    }
    specs.push_back({"output_norm.weight", "ln_f.weight", {C}, false, {C}});
    specs.push_back({"output_norm.bias", "ln_f.bias", {C}, false, {C}});
    for (const Spec &s : specs) ck.require(s.hf_name, s.hf_shape, hf_dir);

    // An untied lm_head becomes output.weight.
    if (ck.find("lm_head.weight")) {
        const Spec head{"output.weight", "lm_head.weight", {V, C}, false, {C, V}};
        ck.require(head.hf_name, head.hf_shape, hf_dir);
        const std::vector<float> a = load_rows(ck, specs[0]), bvec = load_rows(ck, head);
        if (std::memcmp(a.data(), bvec.data(), a.size() * sizeof(float)) != 0) specs.push_back(head);
    }

    gguf_write_file(out_path, [&](GgufWriter &w) {
        gpt2_gguf_set_metadata(w, hp, base_name(hf_dir), type, vocab);
        std::vector<gpt2_type> types;
        for (const Spec &s : specs) {
            types.push_back(gpt2_tensor_type(s.gguf_name, s.ne[0], type));
            w.add_tensor(s.gguf_name, types.back(), s.ne);
        }
        w.write_header();
        for (size_t i = 0; i < specs.size(); ++i)
            gguf_write_tensor_encoded(w, i, load_rows(ck, specs[i]), specs[i].ne[0], types[i]);
    });
}

}  // namespace gpt2
