// model_load.cpp — turns a validated GgufFile into a gpt2_model: checks the architecture and every
// hyper-parameter, binds each expected tensor by its llama.cpp name with its exact shape (ggml order,
// ne = {in, out}), reads the tokenizer metadata and builds the Tokenizer. Weights stay in the mapping.
//
// Tensor types accepted: 1-D tensors (norms, biases) must be F32 (as llama.cpp's converter writes them);
// 2-D tensors (token/position embeddings and matrices) may be F32, F16, Q8_0 or Q4_0. Extra tensors are
// ignored. Without output.weight the head is tied to token_embd.
#include <cmath>
#include <string>
#include <vector>

#include "util/error.h"
#include "device/cuda_device.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "tensor/tensor.h"
#include "tokenizer/tokenizer.h"

namespace gpt2 {

namespace {

constexpr int64_t MAX_N_EMBD = 1 << 16;
constexpr int64_t MAX_N_LAYER = 1024;
constexpr int64_t MAX_N_CTX = 1 << 22;
constexpr int64_t MAX_N_FF = 1 << 20;

struct Loader {
    const GgufFile &f;
    const std::string &path;

    [[noreturn]] void fail(const std::string &what) const { throw Error(GPT2_ERR_FORMAT, path + ": " + what); }

    const GgufValue *get(const std::string &key, bool required) const {
        const GgufValue *v = f.find(key);
        if (!v && required) fail("missing metadata key '" + key + "'");
        return v;
    }

    std::string get_str(const std::string &key, bool required, const std::string &dflt = "") const {
        const GgufValue *v = get(key, required);
        if (!v) return dflt;
        if (v->type != GgufType::STRING) fail("metadata '" + key + "' must be a string, is " + gguf_type_name(v->type));
        return v->str;
    }

    // An integer key of any integer type, checked against [lo, hi].
    int64_t get_int(const std::string &key, bool required, int64_t dflt, int64_t lo, int64_t hi) const {
        const GgufValue *v = get(key, required);
        if (!v) return dflt;
        if (!v->is_int()) fail("metadata '" + key + "' must be an integer, is " + gguf_type_name(v->type));
        if (v->type == GgufType::UINT64 && v->u64 > (uint64_t)INT64_MAX) fail("metadata '" + key + "' is out of range");
        if (v->i64 < lo || v->i64 > hi) {
            fail("metadata '" + key + "' = " + std::to_string(v->i64) + " is out of range [" + std::to_string(lo) +
                 ", " + std::to_string(hi) + "]");
        }
        return v->i64;
    }

    const GgufValue *get_array(const std::string &key, bool required, bool strings) const {
        const GgufValue *v = get(key, required);
        if (!v) return nullptr;
        const bool ok = v->type == GgufType::ARRAY &&
                        (strings ? v->arr_type == GgufType::STRING
                                 : (v->arr_type != GgufType::STRING && v->arr_type != GgufType::FLOAT32 &&
                                    v->arr_type != GgufType::FLOAT64));
        if (!ok) fail("metadata '" + key + "' must be an array of " + (strings ? "strings" : "integers"));
        return v;
    }

    // Binds tensor NAME, requiring exactly the shape NE (ggml order) and a type allowed for its rank.
    TensorView bind(const std::string &name, std::vector<int64_t> ne, bool required = true) const {
        TensorView t;
        const GgufTensorInfo *ti = f.find_tensor(name);
        if (!ti) {
            if (required) fail("missing tensor '" + name + "'");
            return t;
        }
        bool shape_ok = ti->n_dims == ne.size();
        for (size_t i = 0; shape_ok && i < ne.size(); ++i) shape_ok = ti->ne[i] == ne[i];
        if (!shape_ok) {
            std::string want, got;
            for (size_t i = 0; i < ne.size(); ++i) want += (i ? ", " : "") + std::to_string(ne[i]);
            for (uint32_t i = 0; i < ti->n_dims; ++i) got += (i ? ", " : "") + std::to_string(ti->ne[i]);
            fail("tensor '" + name + "' has shape {" + got + "}, expected {" + want + "} from the hyper-parameters");
        }
        if (ne.size() == 1 && ti->type != GPT2_TYPE_F32) {
            fail("tensor '" + name + "' must be f32, is " + type_name((gpt2_type)ti->type));
        }
        t.name = name;
        t.type = (gpt2_type)ti->type;
        t.n_dims = (int)ti->n_dims;
        for (uint32_t i = 0; i < ti->n_dims; ++i) t.ne[i] = ti->ne[i];
        t.data = ti->data;
        t.nbytes = ti->nbytes;
        return t;
    }
};

}  // namespace

std::unique_ptr<gpt2_model> model_load(const std::string &path, const gpt2_model_params &params) {
    // The device request is checked before the file is read, so a bad one fails fast.
    if (params.device != GPT2_DEVICE_CPU && params.device != GPT2_DEVICE_CUDA) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, "params.device = " + std::to_string(params.device) +
                                                   " is not a gpt2_device_kind (0 cpu, 1 cuda)");
    }
    if (params.device_index < 0 || (params.device == GPT2_DEVICE_CPU && params.device_index != 0)) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, "params.device_index = " + std::to_string(params.device_index) +
                                                   " must be >= 0 for cuda and 0 for cpu");
    }
    std::unique_ptr<GgufFile> file = GgufFile::open(path, params.use_mmap != 0);
    const Loader ld{*file, path};

    const std::string arch = ld.get_str("general.architecture", true);
    if (arch != "gpt2") ld.fail("architecture '" + arch + "' is not supported (expected 'gpt2')");

    auto m = std::make_unique<gpt2_model>();
    m->path = path;
    m->name = ld.get_str("general.name", false);
    HParams &hp = m->hparams;
    hp.n_ctx = (int32_t)ld.get_int("gpt2.context_length", true, 0, 1, MAX_N_CTX);
    hp.n_embd = (int32_t)ld.get_int("gpt2.embedding_length", true, 0, 1, MAX_N_EMBD);
    hp.n_layer = (int32_t)ld.get_int("gpt2.block_count", true, 0, 1, MAX_N_LAYER);
    hp.n_head = (int32_t)ld.get_int("gpt2.attention.head_count", true, 0, 1, MAX_N_EMBD);
    hp.n_ff = (int32_t)ld.get_int("gpt2.feed_forward_length", false, 4 * (int64_t)hp.n_embd, 1, MAX_N_FF);
    if (const GgufValue *eps = ld.get("gpt2.attention.layer_norm_epsilon", false)) {
        if (!eps->is_float()) ld.fail("metadata 'gpt2.attention.layer_norm_epsilon' must be a float");
        if (!(eps->f64 > 0.0 && eps->f64 < 1.0)) {
            ld.fail("metadata 'gpt2.attention.layer_norm_epsilon' = " + std::to_string(eps->f64) + " is not in (0, 1)");
        }
        hp.norm_eps = (float)eps->f64;
    }
    if (hp.n_embd % hp.n_head != 0) {
        ld.fail("embedding_length " + std::to_string(hp.n_embd) + " is not a multiple of head_count " +
                std::to_string(hp.n_head));
    }

    // tokenizer metadata
    const std::string tok_model = ld.get_str("tokenizer.ggml.model", true);
    if (tok_model != "gpt2") ld.fail("tokenizer.ggml.model '" + tok_model + "' is not supported (expected 'gpt2')");
    const GgufValue *tokens = ld.get_array("tokenizer.ggml.tokens", true, true);
    const GgufValue *merges = ld.get_array("tokenizer.ggml.merges", true, true);
    const GgufValue *ttypes = ld.get_array("tokenizer.ggml.token_type", false, false);
    if (tokens->arr_str.empty()) ld.fail("tokenizer.ggml.tokens is empty");
    if (tokens->arr_str.size() > (size_t)INT32_MAX) ld.fail("tokenizer.ggml.tokens is too large");
    if (ttypes && ttypes->arr_int.size() != tokens->arr_str.size()) {
        ld.fail("tokenizer.ggml.token_type has " + std::to_string(ttypes->arr_int.size()) + " entries but there are " +
                std::to_string(tokens->arr_str.size()) + " tokens");
    }
    hp.n_vocab = (int32_t)tokens->arr_str.size();

    // weights
    const int64_t C = hp.n_embd, V = hp.n_vocab, F = hp.n_ff;
    Weights &w = m->weights;
    w.token_embd = ld.bind("token_embd.weight", {C, V});
    w.position_embd = ld.bind("position_embd.weight", {C, hp.n_ctx});
    w.output_norm_w = ld.bind("output_norm.weight", {C});
    w.output_norm_b = ld.bind("output_norm.bias", {C});
    w.output = ld.bind("output.weight", {C, V}, false);
    const bool tied = w.output.data == nullptr;
    if (tied) w.output = w.token_embd;
    w.layers.resize((size_t)hp.n_layer);
    for (int32_t il = 0; il < hp.n_layer; ++il) {
        const std::string p = "blk." + std::to_string(il) + ".";
        LayerWeights &l = w.layers[(size_t)il];
        l.attn_norm_w = ld.bind(p + "attn_norm.weight", {C});
        l.attn_norm_b = ld.bind(p + "attn_norm.bias", {C});
        l.attn_qkv_w = ld.bind(p + "attn_qkv.weight", {C, 3 * C});
        l.attn_qkv_b = ld.bind(p + "attn_qkv.bias", {3 * C});
        l.attn_out_w = ld.bind(p + "attn_output.weight", {C, C});
        l.attn_out_b = ld.bind(p + "attn_output.bias", {C});
        l.ffn_norm_w = ld.bind(p + "ffn_norm.weight", {C});
        l.ffn_norm_b = ld.bind(p + "ffn_norm.bias", {C});
        l.ffn_up_w = ld.bind(p + "ffn_up.weight", {C, F});
        l.ffn_up_b = ld.bind(p + "ffn_up.bias", {F});
        l.ffn_down_w = ld.bind(p + "ffn_down.weight", {F, C});
        l.ffn_down_b = ld.bind(p + "ffn_down.bias", {C});
    }
    m->ftype = w.layers[0].attn_qkv_w.type;

    int64_t n_params = w.token_embd.n_elements() + w.position_embd.n_elements() + 2 * C;
    if (!tied) n_params += w.output.n_elements();
    for (const LayerWeights &l : w.layers) {
        for (const TensorView *t : {&l.attn_norm_w, &l.attn_norm_b, &l.attn_qkv_w, &l.attn_qkv_b, &l.attn_out_w,
                                    &l.attn_out_b, &l.ffn_norm_w, &l.ffn_norm_b, &l.ffn_up_w, &l.ffn_up_b,
                                    &l.ffn_down_w, &l.ffn_down_b}) {
            n_params += t->n_elements();
        }
    }
    m->n_params = n_params;
    m->file_size_bytes = (int64_t)file->file_size_bytes;

    // special tokens: explicit ids, else <|endoftext|>
    int32_t eot = -1;
    for (size_t i = tokens->arr_str.size(); i-- > 0;) {
        if (tokens->arr_str[i] == "<|endoftext|>") {
            eot = (int32_t)i;
            break;
        }
    }
    m->token_bos = (int32_t)ld.get_int("tokenizer.ggml.bos_token_id", false, eot, 0, V - 1);
    m->token_eos = (int32_t)ld.get_int("tokenizer.ggml.eos_token_id", false, eot, 0, V - 1);

    for (const auto &kv : file->kv) {
        if (kv.second.type == GgufType::STRING) m->meta_str[kv.first] = kv.second.str;
    }

    std::vector<int32_t> types;
    if (ttypes) {
        types.reserve(ttypes->arr_int.size());
        for (int64_t t : ttypes->arr_int) {
            if (t < INT32_MIN || t > INT32_MAX) ld.fail("tokenizer.ggml.token_type holds an out-of-range value");
            types.push_back((int32_t)t);
        }
    }
    try {
        m->tokenizer = std::make_unique<Tokenizer>(tokens->arr_str, std::move(types), merges->arr_str);
    } catch (const Error &e) {
        if (e.status() == GPT2_ERR_FORMAT) throw Error(GPT2_ERR_FORMAT, path + ": tokenizer: " + e.what());
        throw;
    }
    m->file = std::move(file);

    m->device_kind = params.device;
    m->device_index = params.device_index;
    m->device = device_string(params.device, params.device_index);
    if (params.device == GPT2_DEVICE_CUDA) {
        try {
            m->cuda = CudaModel::upload(*m, params.device_index);
        } catch (const Error &e) {
            throw Error(e.status(), "cannot load " + path + " on " + m->device + ": " + e.what());
        }
        m->device_name = m->cuda->device_name();
    }
    return m;
}

}  // namespace gpt2
