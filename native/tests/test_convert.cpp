// test_convert.cpp — HF -> GGUF conversion: gpt2-random's HF directory converts to exactly the same f32
// tensors (after the Conv1D transpose) and to the same bytes as the tool's own GGUF; f16/q8_0/q4_0 within
// their quantization bounds; sharded checkpoints with an index, BF16/F16 inputs, "transformer."-prefixed
// names, tied and untied lm_head; malformed safetensors/config/index files fail with clear errors; the
// quantizer re-encodes with metadata kept. Converts ../shared/models/tiny-shakespeare when present.
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "util/error.h"
#include "check.h"
#include "convert/gpt2_gguf.h"
#include "convert/hf_convert.h"
#include "convert/random_model.h"
#include "convert/recipes.h"
#include "convert/requantize.h"
#include "convert/safetensors.h"
#include "gguf/gguf.h"
#include "gpt2.h"
#include "model/model.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"
#include "tokenizer/tokenizer.h"
#include "util/json.h"

using namespace gpt2;

namespace {

const std::string DIR = std::string(GPT2_BINARY_DIR) + "/test_convert_files";
const std::string VOCAB = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";

// f16: round-to-nearest keeps the relative error within 2^-11 (plus the subnormal step).
constexpr double F16_REL_TOL = 1.0 / 2048.0;
constexpr double F16_ABS_TOL = 6.0e-8;
// Per block of 32: q8_0 error <= half a step (amax/127/2) — allow a full step for the fp16 scale;
// q4_0 error <= one step (amax/8) when clamped — allow 1.05 steps for the fp16 scale.
constexpr double Q8_STEPS = 1.0 / 127.0;
constexpr double Q4_STEPS = 1.05 / 8.0;

void write_text(const std::string &p, const std::string &s) {
    std::FILE *f = std::fopen(p.c_str(), "wb");
    std::fwrite(s.data(), 1, s.size(), f);
    std::fclose(f);
}

bool exists(const std::string &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0;
}

void copy_tokenizer_and_config(const std::string &from, const std::string &to) {
    mkdir(to.c_str(), 0755);
    for (const char *f : {"/config.json", "/vocab.json", "/merges.txt"}) {
        write_text(to + f, read_text_file(from + f, (size_t)64 << 20));
    }
}

struct StEntry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

// Writes a safetensors file from raw entries (any dtype).
void write_st(const std::string &path, const std::vector<StEntry> &entries, const std::string &header_override = "") {
    std::string h = "{\"__metadata__\": {\"format\": \"pt\"}";
    uint64_t off = 0;
    for (const StEntry &e : entries) {
        h += ", ";
        json_append_string(h, e.name);
        h += ": {\"dtype\": \"" + e.dtype + "\", \"shape\": [";
        for (size_t i = 0; i < e.shape.size(); ++i) h += (i ? ", " : "") + std::to_string(e.shape[i]);
        h += "], \"data_offsets\": [" + std::to_string(off) + ", " + std::to_string(off + e.bytes.size()) + "]}";
        off += e.bytes.size();
    }
    h += "}";
    if (!header_override.empty()) h = header_override;
    while (h.size() % 8) h += ' ';
    std::FILE *f = std::fopen(path.c_str(), "wb");
    const uint64_t n = h.size();
    std::fwrite(&n, 8, 1, f);
    std::fwrite(h.data(), 1, h.size(), f);
    for (const StEntry &e : entries) {
        if (!e.bytes.empty()) std::fwrite(e.bytes.data(), 1, e.bytes.size(), f);   // data() of an empty vector may be null
    }
    std::fclose(f);
}

// All tensors of an HF safetensors file as F32 raw entries (in file order by name).
std::vector<StEntry> read_entries(const std::string &path) {
    std::vector<StEntry> out;
    auto f = SafetensorsFile::open(path);
    for (const auto &kv : f->entries()) {
        StEntry e{kv.first, kv.second.dtype, kv.second.shape, {}};
        e.bytes.assign(kv.second.data, kv.second.data + (kv.second.end - kv.second.begin));
        out.push_back(std::move(e));
    }
    return out;
}

// GGUF name -> (HF name, Conv1D transposed?)
std::pair<std::string, bool> hf_name_of(const std::string &g) {
    static const std::map<std::string, std::pair<std::string, bool>> top = {
        {"token_embd.weight", {"wte.weight", false}},   {"position_embd.weight", {"wpe.weight", false}},
        {"output_norm.weight", {"ln_f.weight", false}}, {"output_norm.bias", {"ln_f.bias", false}},
        {"output.weight", {"lm_head.weight", false}}};
    auto it = top.find(g);
    if (it != top.end()) return it->second;
    const size_t dot = g.find('.', 4);
    const std::string layer = g.substr(4, dot - 4), rest = g.substr(dot + 1);
    static const std::map<std::string, std::pair<std::string, bool>> blk = {
        {"attn_norm.weight", {"ln_1.weight", false}},        {"attn_norm.bias", {"ln_1.bias", false}},
        {"attn_qkv.weight", {"attn.c_attn.weight", true}},   {"attn_qkv.bias", {"attn.c_attn.bias", false}},
        {"attn_output.weight", {"attn.c_proj.weight", true}}, {"attn_output.bias", {"attn.c_proj.bias", false}},
        {"ffn_norm.weight", {"ln_2.weight", false}},         {"ffn_norm.bias", {"ln_2.bias", false}},
        {"ffn_up.weight", {"mlp.c_fc.weight", true}},        {"ffn_up.bias", {"mlp.c_fc.bias", false}},
        {"ffn_down.weight", {"mlp.c_proj.weight", true}},    {"ffn_down.bias", {"mlp.c_proj.bias", false}}};
    const auto &m = blk.at(rest);
    return {"h." + layer + "." + m.first, m.second};
}

// The HF tensor in ggml row order, as floats.
std::vector<float> hf_rows(const SafetensorsFile &st, const std::string &gguf_name) {
    const auto hn = hf_name_of(gguf_name);
    const SafetensorsEntry *e = st.find(hn.first);
    if (!e) e = st.find("transformer." + hn.first);
    if (!e) return {};
    std::vector<float> x = safetensors_read_f32(*e, st.path());
    if (!hn.second) return x;
    const int64_t in = e->shape[0], out = e->shape[1];
    std::vector<float> t(x.size());
    for (int64_t i = 0; i < in; ++i)
        for (int64_t o = 0; o < out; ++o) t[(size_t)(o * in + i)] = x[(size_t)(i * out + o)];
    return t;
}

// Runs FN and returns the gpt2::Error status (0 if none); MSG receives the message.
int32_t status_of(const std::function<void()> &fn, std::string *msg) {
    try {
        fn();
    } catch (const Error &e) {
        *msg = e.what();
        return e.status();
    }
    msg->clear();
    return GPT2_OK;
}

void expect_convert_error(const std::string &dir, int32_t status, const std::string &names, const char *substr) {
    std::string msg;
    const std::string out = dir + "/out.gguf";
    const int32_t st = status_of([&] { hf_convert(dir, out, GPT2_TYPE_F32); }, &msg);
    CHECK_MSG(st == status, "%s: status %s, expected %s (%s)", dir.c_str(), gpt2_status_name(st), gpt2_status_name(status),
              msg.c_str());
    CHECK_MSG(msg.find(names) != std::string::npos, "message does not name %s: %s", names.c_str(), msg.c_str());
    if (substr) CHECK_MSG(msg.find(substr) != std::string::npos, "'%s' not in: %s", substr, msg.c_str());
    CHECK_MSG(!exists(out) && !exists(out + ".tmp"), "%s: partial output left behind", dir.c_str());
}

// Compares every tensor of GGUF_PATH with the HF checkpoint: exact for f32 matrices/vectors, within the
// quantization bound otherwise. Returns the number of tensors compared.
int compare_with_hf(const std::string &gguf_path, const SafetensorsFile &st, gpt2_type type, bool mask_bf16 = false) {
    auto g = GgufFile::open(gguf_path, true);
    int compared = 0, wrong_type = 0, bad = 0;
    for (const GgufTensorInfo &t : g->tensors) {
        const std::vector<float> ref = hf_rows(st, t.name);
        if (ref.empty()) {
            ++bad;
            continue;
        }
        const gpt2_type want = gpt2_tensor_is_matrix(t.name) ? type : GPT2_TYPE_F32;
        wrong_type += (gpt2_type)t.type != want;
        const int64_t rows = t.ne[1] * t.ne[2] * t.ne[3];
        const std::vector<float> y = tensor_decode(t.data, (gpt2_type)t.type, t.ne[0], rows);
        if (y.size() != ref.size()) {
            ++bad;
            continue;
        }
        for (size_t b = 0; b < y.size(); b += 32) {
            double amax = 0;
            for (size_t j = b; j < b + 32 && j < y.size(); ++j) amax = std::fmax(amax, std::fabs(ref[j]));
            for (size_t j = b; j < b + 32 && j < y.size(); ++j) {
                float r = ref[j];
                if (mask_bf16) {
                    uint32_t u;
                    std::memcpy(&u, &r, 4);
                    u &= 0xFFFF0000u;
                    std::memcpy(&r, &u, 4);
                }
                const double err = std::fabs((double)y[j] - r);
                double tol = 0;
                switch ((gpt2_type)t.type) {
                    case GPT2_TYPE_F32: tol = 0; break;
                    case GPT2_TYPE_F16: tol = std::fabs(r) * F16_REL_TOL + F16_ABS_TOL; break;
                    case GPT2_TYPE_Q8_0: tol = amax * Q8_STEPS; break;
                    case GPT2_TYPE_Q4_0: tol = amax * Q4_STEPS; break;
                    default: tol = -1; break;   // the converter writes no other type: always a mismatch
                }
                bad += err > tol;
            }
        }
        ++compared;
    }
    CHECK_MSG(bad == 0, "%s: %d mismatches", gguf_path.c_str(), bad);
    CHECK_EQ(wrong_type, 0);
    return compared;
}

bool same_tensors(const std::string &a, const std::string &b) {
    auto fa = GgufFile::open(a, true), fb = GgufFile::open(b, true);
    if (fa->tensors.size() != fb->tensors.size()) return false;
    for (const GgufTensorInfo &t : fa->tensors) {
        const GgufTensorInfo *u = fb->find_tensor(t.name);
        if (!u || u->type != t.type || u->nbytes != t.nbytes || std::memcmp(u->data, t.data, t.nbytes) != 0) return false;
    }
    return true;
}

const int C = 64, L = 2, T = 32;
const int N_TENSORS = 2 + 12 * L + 2;

void test_round_trip() {
    RandomModelOptions o;
    o.vocab_dir = VOCAB;
    o.n_embd = C;
    o.n_layer = L;
    o.n_head = 2;
    o.n_ctx = T;
    o.seed = 11;
    o.hf_dir = DIR + "/hf";
    mkdir(o.hf_dir.c_str(), 0755);
    random_model_write(DIR + "/rand_f32.gguf", o);
    o.hf_dir.clear();
    o.type = GPT2_TYPE_Q8_0;
    random_model_write(DIR + "/rand_q8_0.gguf", o);

    auto st = SafetensorsFile::open(DIR + "/hf/model.safetensors");
    const HParams hp = hf_config_read(DIR + "/hf/config.json");
    CHECK(hp.n_embd == C && hp.n_layer == L && hp.n_ctx == T && hp.n_head == 2 && hp.n_ff == 4 * C && hp.n_vocab == 50257);
    CHECK(st->find("h.0.attn.c_attn.weight") && st->find("h.0.attn.c_attn.weight")->shape == std::vector<int64_t>({C, 3 * C}));

    for (gpt2_type type : {GPT2_TYPE_F32, GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0}) {
        const std::string out = DIR + "/conv_" + type_name(type) + ".gguf";
        std::string msg;
        CHECK_MSG(status_of([&] { hf_convert(DIR + "/hf", out, type); }, &msg) == GPT2_OK, "%s", msg.c_str());
        CHECK_EQ(compare_with_hf(out, *st, type), N_TENSORS);
        auto g = GgufFile::open(out, true);
        CHECK_EQ(g->find("general.file_type")->u64, (uint64_t)llama_ftype_of(type));
        CHECK(g->find("general.name")->str == "hf");
        CHECK(g->find("output.weight") == nullptr && g->find_tensor("output.weight") == nullptr);
        gpt2_model *m = nullptr;
        CHECK_MSG(gpt2_model_load(out.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
        if (m) {
            CHECK_EQ(gpt2_model_type(m), (int32_t)type);
            CHECK_EQ(gpt2_model_n_embd(m), C);
            CHECK_EQ(gpt2_model_n_vocab(m), 50257);
            gpt2_model_free(m);
        }
    }
    // converter and random tool produce the same bytes for the same weights
    CHECK(same_tensors(DIR + "/conv_f32.gguf", DIR + "/rand_f32.gguf"));
    CHECK(same_tensors(DIR + "/conv_q8_0.gguf", DIR + "/rand_q8_0.gguf"));
}

void test_variants() {
    auto st = SafetensorsFile::open(DIR + "/hf/model.safetensors");
    const std::vector<StEntry> entries = read_entries(DIR + "/hf/model.safetensors");
    std::string msg;

    // sharded + index json, first shard with "transformer." prefixes, plus the attn.bias buffers
    const std::string sh = DIR + "/sharded";
    copy_tokenizer_and_config(DIR + "/hf", sh);
    std::vector<StEntry> s1, s2;
    std::string idx = "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {";
    for (size_t i = 0; i < entries.size(); ++i) {
        StEntry e = entries[i];
        const bool first = i < entries.size() / 2;
        if (first) e.name = "transformer." + e.name;
        idx += (i ? ", " : "") + std::string("\"") + e.name + "\": \"" +
               (first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors") + "\"";
        (first ? s1 : s2).push_back(std::move(e));
    }
    StEntry mask{"h.0.attn.bias", "F32", {1, 1, T, T}, std::vector<uint8_t>((size_t)T * T * 4, 0)};
    s2.push_back(mask);
    idx += ", \"h.0.attn.bias\": \"model-00002-of-00002.safetensors\"}}";
    write_st(sh + "/model-00001-of-00002.safetensors", s1);
    write_st(sh + "/model-00002-of-00002.safetensors", s2);
    write_text(sh + "/model.safetensors.index.json", idx);
    CHECK_MSG(status_of([&] { hf_convert(sh, DIR + "/sharded.gguf", GPT2_TYPE_F32); }, &msg) == GPT2_OK, "%s", msg.c_str());
    CHECK(same_tensors(DIR + "/sharded.gguf", DIR + "/conv_f32.gguf"));

    // BF16 and F16 inputs
    for (const char *dtype : {"BF16", "F16"}) {
        const std::string d = DIR + "/" + dtype;
        copy_tokenizer_and_config(DIR + "/hf", d);
        std::vector<StEntry> e16;
        for (const StEntry &e : entries) {
            StEntry x{e.name, dtype, e.shape, std::vector<uint8_t>(e.bytes.size() / 2)};
            for (size_t i = 0; i < e.bytes.size() / 4; ++i) {
                float f;
                std::memcpy(&f, &e.bytes[i * 4], 4);
                uint32_t u;
                std::memcpy(&u, &f, 4);
                const uint16_t h = std::strcmp(dtype, "BF16") == 0 ? (uint16_t)(u >> 16) : fp32_to_fp16(f);
                std::memcpy(&x.bytes[i * 2], &h, 2);
            }
            e16.push_back(std::move(x));
        }
        write_st(d + "/model.safetensors", e16);
        const std::string out = d + ".gguf";
        CHECK_MSG(status_of([&] { hf_convert(d, out, GPT2_TYPE_F32); }, &msg) == GPT2_OK, "%s", msg.c_str());
        if (std::strcmp(dtype, "BF16") == 0) {
            CHECK_EQ(compare_with_hf(out, *st, GPT2_TYPE_F32, true), N_TENSORS);   // bf16 = truncated f32, exact
        } else {
            auto in16 = SafetensorsFile::open(d + "/model.safetensors");
            CHECK_EQ(compare_with_hf(out, *in16, GPT2_TYPE_F32), N_TENSORS);       // exact widening of the f16 input
        }
    }

    // vocab_size above the vocab.json size (checkpoints padded to a multiple of 64): "[PAD<id>]" tokens
    {
        const int extra = 7;
        const std::string d = DIR + "/padded_vocab";
        copy_tokenizer_and_config(DIR + "/hf", d);
        std::vector<StEntry> e = entries;
        for (StEntry &x : e) {
            if (x.name == "wte.weight") {
                x.shape[0] += extra;
                x.bytes.resize(x.bytes.size() + (size_t)extra * C * 4, 0);
            }
        }
        write_st(d + "/model.safetensors", e);
        std::string cfg = read_text_file(d + "/config.json", (size_t)1 << 20);
        const std::string key = "\"vocab_size\": 50257";
        const size_t at = cfg.find(key);
        CHECK(at != std::string::npos);
        if (at != std::string::npos) cfg.replace(at, key.size(), "\"vocab_size\": " + std::to_string(50257 + extra));
        write_text(d + "/config.json", cfg);
        const std::string out = d + ".gguf";
        CHECK_MSG(status_of([&] { hf_convert(d, out, GPT2_TYPE_Q8_0); }, &msg) == GPT2_OK, "%s", msg.c_str());
        gpt2_model *m = nullptr;
        CHECK_MSG(gpt2_model_load(out.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
        if (m) {
            CHECK_EQ(gpt2_model_n_vocab(m), 50257 + extra);
            CHECK_EQ(gpt2_model_token_eos(m), 50256);
            CHECK_EQ(m->tokenizer->find("[PAD50263]"), 50263);
            gpt2_model_free(m);
        }
    }

    // lm_head equal to wte -> tied (no output.weight); different -> output.weight = lm_head
    for (int untied = 0; untied < 2; ++untied) {
        const std::string d = DIR + (untied ? "/lm_untied" : "/lm_tied");
        copy_tokenizer_and_config(DIR + "/hf", d);
        std::vector<StEntry> e = entries;
        StEntry head;
        for (const StEntry &x : entries) {
            if (x.name == "wte.weight") head = x;
        }
        head.name = "lm_head.weight";
        if (untied) {
            for (size_t i = 0; i < head.bytes.size(); i += 4) head.bytes[i + 3] ^= 0x40;
        }
        e.push_back(head);
        write_st(d + "/model.safetensors", e);
        const std::string out = d + ".gguf";
        CHECK_MSG(status_of([&] { hf_convert(d, out, GPT2_TYPE_F32); }, &msg) == GPT2_OK, "%s", msg.c_str());
        auto with_head = SafetensorsFile::open(d + "/model.safetensors");
        CHECK_EQ(compare_with_hf(out, *with_head, GPT2_TYPE_F32), N_TENSORS + untied);
        gpt2_model *m = nullptr;
        CHECK_MSG(gpt2_model_load(out.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
        if (m) {
            CHECK_EQ(m->weights.output.data == m->weights.token_embd.data, untied == 0);
            gpt2_model_free(m);
        }
    }
}

void test_errors() {
    const std::vector<StEntry> entries = read_entries(DIR + "/hf/model.safetensors");
    int n = 0;
    auto fresh = [&](const std::string &tag) {
        const std::string d = DIR + "/bad_" + std::to_string(n++) + "_" + tag;
        copy_tokenizer_and_config(DIR + "/hf", d);
        return d;
    };
    std::string d;

    d = fresh("no_weights");
    expect_convert_error(d, GPT2_ERR_IO, d, "no model.safetensors");
    d = fresh("no_config");
    std::remove((d + "/config.json").c_str());
    expect_convert_error(d, GPT2_ERR_IO, d + "/config.json", nullptr);
    d = fresh("config_json");
    write_text(d + "/config.json", "{\"n_embd\": 64, ");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/config.json", "invalid JSON");
    d = fresh("config_field");
    write_text(d + "/config.json", "{\"n_layer\": 2, \"n_head\": 2, \"n_positions\": 32, \"vocab_size\": 50257}");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/config.json", "n_embd");
    d = fresh("config_type");
    write_text(d + "/config.json", "{\"n_embd\": \"64\", \"n_layer\": 2, \"n_head\": 2, \"n_positions\": 32, \"vocab_size\": 50257}");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/config.json", "n_embd");
    d = fresh("config_heads");
    write_text(d + "/config.json", "{\"n_embd\": 64, \"n_layer\": 2, \"n_head\": 3, \"n_positions\": 32, \"vocab_size\": 50257}");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/config.json", "n_head");
    d = fresh("config_arch");
    write_text(d + "/config.json", "{\"model_type\": \"llama\", \"n_embd\": 64, \"n_layer\": 2, \"n_head\": 2, \"n_positions\": 32, \"vocab_size\": 50257}");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/config.json", "llama");
    d = fresh("config_vs_weights");
    write_st(d + "/model.safetensors", entries);
    write_text(d + "/config.json", "{\"n_embd\": 64, \"n_layer\": 2, \"n_head\": 2, \"n_positions\": 64, \"vocab_size\": 50257}");
    expect_convert_error(d, GPT2_ERR_FORMAT, "wpe.weight", "shape");
    d = fresh("small_vocab_size");
    write_st(d + "/model.safetensors", entries);
    write_text(d + "/config.json", "{\"n_embd\": 64, \"n_layer\": 2, \"n_head\": 2, \"n_positions\": 32, \"vocab_size\": 50000}");
    expect_convert_error(d, GPT2_ERR_FORMAT, "vocab.json", "vocab_size");

    d = fresh("header_size");
    {
        const std::string p = d + "/model.safetensors";
        write_st(p, entries);
        std::FILE *f = std::fopen(p.c_str(), "r+b");
        const uint64_t huge = (uint64_t)1 << 40;
        std::fwrite(&huge, 8, 1, f);
        std::fclose(f);
        expect_convert_error(d, GPT2_ERR_FORMAT, p, "header size");
    }
    d = fresh("header_json");
    write_st(d + "/model.safetensors", entries, "{\"wte.weight\": {\"dtype\": \"F32\", ");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/model.safetensors", "invalid JSON");
    d = fresh("header_array");
    write_st(d + "/model.safetensors", entries, "[1, 2, 3]");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/model.safetensors", "not a JSON object");
    d = fresh("dtype");
    {
        std::vector<StEntry> e = entries;
        e[0].dtype = "Q9";
        write_st(d + "/model.safetensors", e);
        expect_convert_error(d, GPT2_ERR_FORMAT, d + "/model.safetensors", "unknown dtype");
    }
    d = fresh("dtype_int");
    {
        std::vector<StEntry> e = entries;
        for (StEntry &x : e) {
            if (x.name == "ln_f.bias") x.dtype = "I32";
        }
        write_st(d + "/model.safetensors", e);
        expect_convert_error(d, GPT2_ERR_FORMAT, "ln_f.bias", "dtype");
    }
    d = fresh("range");
    {
        std::vector<StEntry> e = entries;
        e[1].shape.back() += 1;   // shape no longer matches its byte range
        write_st(d + "/model.safetensors", e);
        expect_convert_error(d, GPT2_ERR_FORMAT, d + "/model.safetensors", "does not match");
    }
    d = fresh("beyond");
    write_st(d + "/model.safetensors", {}, "{\"wte.weight\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 16]}}");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/model.safetensors", "outside the data section");
    d = fresh("negative_shape");
    write_st(d + "/model.safetensors", {}, "{\"wte.weight\": {\"dtype\": \"F32\", \"shape\": [-2, 2], \"data_offsets\": [0, 0]}}");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/model.safetensors", "shape");
    d = fresh("tiny_file");
    write_text(d + "/model.safetensors", "abc");
    expect_convert_error(d, GPT2_ERR_FORMAT, d + "/model.safetensors", nullptr);
    d = fresh("missing_tensor");
    {
        std::vector<StEntry> e;
        for (const StEntry &x : entries) {
            if (x.name != "h.1.ln_2.bias") e.push_back(x);
        }
        write_st(d + "/model.safetensors", e);
        expect_convert_error(d, GPT2_ERR_FORMAT, d, "h.1.ln_2.bias");
    }
    d = fresh("index_missing_shard");
    write_text(d + "/model.safetensors.index.json", "{\"weight_map\": {\"wte.weight\": \"model-00001-of-00002.safetensors\"}}");
    expect_convert_error(d, GPT2_ERR_IO, "model-00001-of-00002.safetensors", nullptr);
    d = fresh("index_escape");
    write_text(d + "/model.safetensors.index.json", "{\"weight_map\": {\"wte.weight\": \"../hf/model.safetensors\"}}");
    expect_convert_error(d, GPT2_ERR_FORMAT, "model.safetensors.index.json", "weight_map");
    d = fresh("index_json");
    write_text(d + "/model.safetensors.index.json", "{\"weight_map\": ");
    expect_convert_error(d, GPT2_ERR_FORMAT, "model.safetensors.index.json", "invalid JSON");
    d = fresh("no_vocab");
    write_st(d + "/model.safetensors", entries);
    std::remove((d + "/vocab.json").c_str());
    expect_convert_error(d, GPT2_ERR_IO, "vocab.json", nullptr);
}

// The logits of one decode step of token 11 at position 0 (empty if the model does not load).
std::vector<float> first_token_logits(const std::string &path) {
    gpt2_model *m = nullptr;
    if (gpt2_model_load(path.c_str(), nullptr, &m) != GPT2_OK) return {};
    gpt2_context *ctx = nullptr;
    std::vector<float> out;
    if (gpt2_context_create(m, nullptr, &ctx) == GPT2_OK) {
        const int32_t seq = 0, pos = 0, tok = 11;
        if (gpt2_decode(ctx, 1, &seq, &pos, &tok, nullptr) == GPT2_OK) {
            const float *l = gpt2_get_logits(ctx, 0);
            if (l) out.assign(l, l + gpt2_model_n_vocab(m));
        }
        gpt2_context_free(ctx);
    }
    gpt2_model_free(m);
    return out;
}

void test_requantize() {
    std::string msg;
    const std::string q8 = DIR + "/requant_q8_0.gguf", back = DIR + "/requant_f32.gguf", q4 = DIR + "/requant_q4_0.gguf";
    CHECK_MSG(status_of([&] { gguf_requantize(DIR + "/rand_f32.gguf", q8, GPT2_TYPE_Q8_0); }, &msg) == GPT2_OK, "%s", msg.c_str());
    CHECK(same_tensors(q8, DIR + "/rand_q8_0.gguf"));   // same rounding as quantizing at conversion time
    CHECK_MSG(status_of([&] { gguf_requantize(q8, back, GPT2_TYPE_F32); }, &msg) == GPT2_OK, "%s", msg.c_str());
    CHECK_MSG(status_of([&] { gguf_requantize(back, q4, GPT2_TYPE_Q4_0); }, &msg) == GPT2_OK, "%s", msg.c_str());
    gpt2_model *m = nullptr;
    CHECK_MSG(gpt2_model_load(q4.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
    if (m) {
        CHECK_EQ(gpt2_model_type(m), GPT2_TYPE_Q4_0);
        const char *desc = gpt2_model_meta_str(m, "general.description");
        CHECK(desc && std::strstr(desc, "seed 11") != nullptr);
        gpt2_model_free(m);
    }
    auto g = GgufFile::open(q4, true);
    CHECK_EQ(g->find("general.file_type")->u64, (uint64_t)2);
    // dequantized q8 -> f32 equals the q8 values
    auto a = GgufFile::open(q8, true), b = GgufFile::open(back, true);
    const GgufTensorInfo *ta = a->find_tensor("blk.1.ffn_down.weight"), *tb = b->find_tensor("blk.1.ffn_down.weight");
    CHECK(ta && tb && tb->type == GPT2_TYPE_F32);
    if (ta && tb) {
        const std::vector<float> x = tensor_decode(ta->data, (gpt2_type)ta->type, ta->ne[0], ta->ne[1]);
        CHECK(std::memcmp(x.data(), tb->data, tb->nbytes) == 0);
    }
    // --output-tensor: the tied head written out as its own tensor gives the very same logits
    QuantRecipe tied, untied;
    CHECK(recipe_from_name("q8_0", &tied) && recipe_from_name("q8_0", &untied));
    untied.output_type = GPT2_TYPE_Q8_0;
    const std::string qt = DIR + "/requant_tied.gguf", qu = DIR + "/requant_untied.gguf";
    CHECK_MSG(status_of([&] { gguf_requantize(DIR + "/rand_f32.gguf", qt, tied); }, &msg) == GPT2_OK, "%s", msg.c_str());
    CHECK_MSG(status_of([&] { gguf_requantize(DIR + "/rand_f32.gguf", qu, untied); }, &msg) == GPT2_OK, "%s", msg.c_str());
    {
        auto ft = GgufFile::open(qt, true), fu = GgufFile::open(qu, true);
        CHECK(ft->find_tensor("output.weight") == nullptr);
        const GgufTensorInfo *out = fu->find_tensor("output.weight");
        CHECK(out && out->type == GPT2_TYPE_Q8_0);
        const GgufTensorInfo *e = ft->find_tensor("token_embd.weight");
        CHECK(out && e && out->nbytes == e->nbytes && std::memcmp(out->data, e->data, e->nbytes) == 0);
    }
    const std::vector<float> lt = first_token_logits(qt), lu = first_token_logits(qu);
    CHECK(!lt.empty() && lt == lu);
    // our quantizers rescale the head's rows (the tied embedding, or output.weight) to keep each row's projection
    // onto itself (unbias_row_scales); the other matrices, a lookup-only embedding and q4_0 are rounded as usual
    {
        QuantRecipe q51, q51_head, q40;
        CHECK(recipe_from_name("q5_1", &q51) && recipe_from_name("q5_1", &q51_head) && recipe_from_name("q4_0", &q40));
        q51_head.output_type = GPT2_TYPE_Q5_1;
        const std::string ft = DIR + "/requant_q5_1.gguf", fu = DIR + "/requant_q5_1_head.gguf",
                          f4 = DIR + "/requant_q4_0_tied.gguf";
        CHECK_MSG(status_of([&] { gguf_requantize(DIR + "/rand_f32.gguf", ft, q51); }, &msg) == GPT2_OK, "%s", msg.c_str());
        CHECK_MSG(status_of([&] { gguf_requantize(DIR + "/rand_f32.gguf", fu, q51_head); }, &msg) == GPT2_OK, "%s",
                  msg.c_str());
        CHECK_MSG(status_of([&] { gguf_requantize(DIR + "/rand_f32.gguf", f4, q40); }, &msg) == GPT2_OK, "%s", msg.c_str());
        auto src = GgufFile::open(DIR + "/rand_f32.gguf", true);
        auto plain_bytes = [&](const std::string &name, gpt2_type t, bool head) {
            const GgufTensorInfo *x = src->find_tensor(name);
            return tensor_encode(reinterpret_cast<const float *>(x->data), x->ne[0], x->ne[1], t, nullptr, head);
        };
        auto same = [](const GgufTensorInfo *t, const std::vector<uint8_t> &b) {
            return t && t->nbytes == b.size() && std::memcmp(t->data, b.data(), b.size()) == 0;
        };
        auto a = GgufFile::open(ft, true), b = GgufFile::open(fu, true), c = GgufFile::open(f4, true);
        CHECK(same(a->find_tensor("token_embd.weight"), plain_bytes("token_embd.weight", GPT2_TYPE_Q5_1, true)));
        CHECK(!same(a->find_tensor("token_embd.weight"), plain_bytes("token_embd.weight", GPT2_TYPE_Q5_1, false)));
        CHECK(same(a->find_tensor("blk.0.ffn_up.weight"), plain_bytes("blk.0.ffn_up.weight", GPT2_TYPE_Q5_1, false)));
        CHECK(same(b->find_tensor("token_embd.weight"), plain_bytes("token_embd.weight", GPT2_TYPE_Q5_1, false)));
        CHECK(same(b->find_tensor("output.weight"), plain_bytes("token_embd.weight", GPT2_TYPE_Q5_1, true)));
        CHECK(same(c->find_tensor("token_embd.weight"), plain_bytes("token_embd.weight", GPT2_TYPE_Q4_0, false)));
    }
    // mixed recipes: the tensors that matter most get q6_K, the rest the base type (rows of 64: q5_0 fallback)
    QuantRecipe mixed;
    CHECK(recipe_from_name("Q4_K_M", &mixed) && mixed.mixed && mixed.llama_ftype == 15);
    CHECK_EQ(recipe_tensor_type(mixed, "token_embd.weight", 256, 12), GPT2_TYPE_Q6_K);
    CHECK_EQ(recipe_tensor_type(mixed, "blk.0.ffn_down.weight", 1024, 12), GPT2_TYPE_Q6_K);
    CHECK_EQ(recipe_tensor_type(mixed, "blk.1.ffn_down.weight", 1024, 12), GPT2_TYPE_Q4_K);
    CHECK_EQ(recipe_tensor_type(mixed, "blk.11.ffn_down.weight", 1024, 12), GPT2_TYPE_Q6_K);
    // llama.cpp's Q4_K_M layers in q6_K: {0, 3, 6, 9, 10, 11} of 12 and {2, 3} of 4, for attn_qkv and ffn_down
    for (int l = 0; l < 12; ++l) {
        const bool six = l == 0 || l == 3 || l == 6 || l == 9 || l == 10 || l == 11;
        const std::string b = "blk." + std::to_string(l);
        CHECK_EQ(recipe_tensor_type(mixed, b + ".attn_qkv.weight", 256, 12), six ? GPT2_TYPE_Q6_K : GPT2_TYPE_Q4_K);
        CHECK_EQ(recipe_tensor_type(mixed, b + ".ffn_down.weight", 1024, 12), six ? GPT2_TYPE_Q6_K : GPT2_TYPE_Q4_K);
        CHECK_EQ(recipe_tensor_type(mixed, b + ".ffn_up.weight", 256, 12), GPT2_TYPE_Q4_K);
        CHECK_EQ(recipe_tensor_type(mixed, b + ".attn_output.weight", 256, 12), GPT2_TYPE_Q4_K);
    }
    for (int l = 0; l < 4; ++l) {
        const std::string b = "blk." + std::to_string(l);
        CHECK_EQ(recipe_tensor_type(mixed, b + ".attn_qkv.weight", 256, 4), l >= 2 ? GPT2_TYPE_Q6_K : GPT2_TYPE_Q4_K);
    }
    CHECK_EQ(recipe_tensor_type(mixed, "blk.4.attn_qkv.weight", 64, 12), GPT2_TYPE_Q5_0);
    CHECK_EQ(recipe_tensor_type(mixed, "blk.3.attn_norm.weight", 256, 12), GPT2_TYPE_F32);
    CHECK(!recipe_from_name("q3_k_m", nullptr) && recipe_from_name("q2_K", nullptr) && !recipe_from_name("iq2_xxs", nullptr));
    write_text(DIR + "/not_a_model.gguf", "hello");
    CHECK_EQ(status_of([&] { gguf_requantize(DIR + "/not_a_model.gguf", DIR + "/x.gguf", GPT2_TYPE_F16); }, &msg), GPT2_ERR_FORMAT);
    CHECK(!exists(DIR + "/x.gguf") && !exists(DIR + "/x.gguf.tmp"));
}

void test_tiny_shakespeare() {
    const std::string src = std::string(GPT2_SOURCE_DIR) + "/../shared/models/tiny-shakespeare";
    if (!exists(src + "/config.json")) {
        std::printf("test_convert: %s absent, skipping the tiny-shakespeare conversion\n", src.c_str());
        return;
    }
    const std::string out = DIR + "/tiny-shakespeare-q8_0.gguf";
    std::string msg;
    CHECK_MSG(status_of([&] { hf_convert(src, out, GPT2_TYPE_Q8_0); }, &msg) == GPT2_OK, "%s", msg.c_str());
    gpt2_model *m = nullptr;
    CHECK_MSG(gpt2_model_load(out.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
    if (!m) return;
    CHECK_EQ(gpt2_model_n_layer(m), 4);
    CHECK_EQ(gpt2_model_n_head(m), 3);
    CHECK_EQ(gpt2_model_n_embd(m), 192);
    CHECK_EQ(gpt2_model_n_ctx_train(m), 256);
    CHECK_EQ(gpt2_model_n_vocab(m), 50257);
    CHECK_EQ(gpt2_model_token_eos(m), 50256);
    CHECK(std::strcmp(gpt2_model_name(m), "tiny-shakespeare") == 0);
    CHECK(m->weights.output.data == m->weights.token_embd.data);
    CHECK(m->weights.layers[3].ffn_up_w.ne[0] == 192 && m->weights.layers[3].ffn_up_w.ne[1] == 768);
    gpt2_model_free(m);
    auto st = SafetensorsFile::open(src + "/model.safetensors");
    CHECK_EQ(compare_with_hf(out, *st, GPT2_TYPE_Q8_0), 2 + 12 * 4 + 2);
}

}  // namespace

// Fuzz finding (fuzz_safetensors, UBSan): a zero-element F32 tensor was read with memcpy(nullptr, ..., 0).
void test_empty_tensor_reads() {
    const std::string path = DIR + "/empty.safetensors";
    write_st(path, {StEntry{"ln_f.bias", "F32", {0}, {}}, StEntry{"wte.weight", "F32", {1}, {0, 0, 128, 63}}});
    auto st = SafetensorsFile::open(path);
    const SafetensorsEntry *e = st->find("ln_f.bias");
    CHECK(e != nullptr && e->n_elements() == 0);
    if (e) CHECK(safetensors_read_f32(*e, path).empty());
    const SafetensorsEntry *w = st->find("wte.weight");
    CHECK(w != nullptr && safetensors_read_f32(*w, path) == std::vector<float>({1.0f}));
}

int main() {
    mkdir(DIR.c_str(), 0755);
    test_empty_tensor_reads();
    test_round_trip();
    test_variants();
    test_errors();
    test_requantize();
    test_tiny_shakespeare();
    return check_summary("test_convert");
}
