// test_gguf.cpp — GGUF writer + model loader round trip, and the loader's defences: truncation at every
// header byte, byte flips, garbage, bad magic/version/counts/lengths/types/offsets/shapes, missing tensors
// and keys, wrong architecture. Every failure must be an error code with a message naming the file.
// Uses a tiny vocabulary (256 byte tokens + 3 merges + <|endoftext|>) so each load takes microseconds.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "check.h"
#include "convert/gpt2_gguf.h"
#include "convert/random_model.h"
#include "gguf/gguf.h"
#include "gpt2.h"
#include "model/model.h"
#include "tensor/quant.h"
#include "tensor/tensor.h"

using namespace gpt2;

namespace {

const std::string DIR = std::string(GPT2_BINARY_DIR) + "/test_gguf_files";

// gpt2-random draws weights from N(0, 0.02); over 32x96 q8_0 values the sample std lands well within 10%
// (sampling error ~1.3%, q8_0 rounding adds < 1%).
constexpr double RANDOM_WEIGHT_STDDEV = 0.02;
constexpr double RANDOM_STDDEV_TOL = 0.002;
// Byte flips inside token/merge strings legitimately still load; flips in counts, lengths, types, shapes
// and offsets must not. About 3/4 are rejected today; fewer than 1/4 would mean checks went missing.
constexpr double MIN_FLIP_REJECT_FRACTION = 0.25;

// GPT-2's byte -> printable code point map (bytes_to_unicode), as UTF-8 strings.
std::vector<std::string> byte_tokens() {
    std::vector<int> cps(256, -1);
    for (int b = 0; b < 256; ++b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) cps[b] = b;
    }
    int n = 0;
    for (int b = 0; b < 256; ++b) {
        if (cps[b] < 0) cps[b] = 256 + n++;
    }
    std::vector<std::string> out;
    for (int b = 0; b < 256; ++b) {
        const int cp = cps[b];
        std::string s;
        if (cp < 0x80) s += (char)cp;
        else {
            s += (char)(0xC0 | (cp >> 6));
            s += (char)(0x80 | (cp & 0x3F));
        }
        out.push_back(s);
    }
    return out;
}

VocabData small_vocab() {
    VocabData v;
    v.tokens = byte_tokens();
    v.tokens.push_back("he");
    v.tokens.push_back("ll");
    v.tokens.push_back("hell");
    v.tokens.push_back("<|endoftext|>");
    v.merges = {"h e", "l l", "he ll"};
    v.token_types.assign(v.tokens.size(), 1);
    v.token_types.back() = 3;
    v.eot = (int32_t)v.tokens.size() - 1;
    return v;
}

struct Spec {
    int C = 32, L = 1, H = 2, T = 16;
    gpt2_type type = GPT2_TYPE_F32;
    gpt2_type norm_type = GPT2_TYPE_F32;
    std::string arch = "gpt2";
    std::string skip;                // tensor to leave out
    std::string grow;                // tensor whose last dim is one larger than expected
    bool with_output = false;        // untied head
    std::function<void(GgufWriter &)> tweak;
};

// Writes a small GPT-2 GGUF; returns every tensor's bytes by name.
std::map<std::string, std::vector<uint8_t>> write_model(const std::string &path, const Spec &s) {
    HParams hp;
    hp.n_embd = s.C;
    hp.n_layer = s.L;
    hp.n_head = s.H;
    hp.n_ctx = s.T;
    hp.n_ff = 4 * s.C;
    const VocabData vocab = small_vocab();
    hp.n_vocab = (int32_t)vocab.tokens.size();
    GgufWriter w(path);
    gpt2_gguf_set_metadata(w, hp, "test-small", s.type, vocab);
    w.set_str("general.architecture", s.arch);
    w.set_str("general.description", "unit test model");
    if (s.tweak) s.tweak(w);
    const int64_t C = s.C, V = hp.n_vocab, F = hp.n_ff;
    std::vector<std::pair<std::string, std::vector<int64_t>>> defs = {{"token_embd.weight", {C, V}},
                                                                      {"position_embd.weight", {C, s.T}}};
    for (int il = 0; il < s.L; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        defs.push_back({b + "attn_norm.weight", {C}});
        defs.push_back({b + "attn_norm.bias", {C}});
        defs.push_back({b + "attn_qkv.weight", {C, 3 * C}});
        defs.push_back({b + "attn_qkv.bias", {3 * C}});
        defs.push_back({b + "attn_output.weight", {C, C}});
        defs.push_back({b + "attn_output.bias", {C}});
        defs.push_back({b + "ffn_norm.weight", {C}});
        defs.push_back({b + "ffn_norm.bias", {C}});
        defs.push_back({b + "ffn_up.weight", {C, F}});
        defs.push_back({b + "ffn_up.bias", {F}});
        defs.push_back({b + "ffn_down.weight", {F, C}});
        defs.push_back({b + "ffn_down.bias", {C}});
    }
    defs.push_back({"output_norm.weight", {C}});
    defs.push_back({"output_norm.bias", {C}});
    if (s.with_output) defs.push_back({"output.weight", {C, V}});

    std::vector<gpt2_type> types;
    std::vector<std::vector<int64_t>> shapes;
    for (auto &d : defs) {
        if (d.first == s.skip) continue;
        if (d.first == s.grow) d.second.back() += 1;
        gpt2_type t = gpt2_tensor_type(d.first, d.second[0], s.type);
        if (d.second.size() == 1 && d.first.find("norm") != std::string::npos) t = s.norm_type;
        types.push_back(t);
        shapes.push_back(d.second);
        w.add_tensor(d.first, t, d.second);
    }
    w.write_header();
    std::map<std::string, std::vector<uint8_t>> out;
    size_t i = 0;
    SplitMix64 rng{99};
    for (const auto &d : defs) {
        if (d.first == s.skip) continue;
        int64_t n = 1;
        for (int64_t x : shapes[i]) n *= x;
        std::vector<float> x((size_t)n);
        fill_normal(rng, x.data(), n, 0.0f, 0.5f);
        std::vector<uint8_t> bytes = tensor_encode(x.data(), shapes[i][0], n / shapes[i][0], types[i]);
        w.write_tensor_data(i, bytes.data(), bytes.size());
        out[d.first] = std::move(bytes);
        ++i;
    }
    w.finish();
    return out;
}

std::vector<uint8_t> read_all(const std::string &p) {
    std::vector<uint8_t> b;
    std::FILE *f = std::fopen(p.c_str(), "rb");
    if (!f) return b;
    std::fseek(f, 0, SEEK_END);
    b.resize((size_t)std::ftell(f));
    std::fseek(f, 0, SEEK_SET);
    if (!b.empty() && std::fread(b.data(), 1, b.size(), f) != b.size()) b.clear();
    std::fclose(f);
    return b;
}

void write_all(const std::string &p, const uint8_t *d, size_t n) {
    std::FILE *f = std::fopen(p.c_str(), "wb");
    if (n) std::fwrite(d, 1, n, f);
    std::fclose(f);
}

// Loads PATH; returns the status and frees any model. On failure the message must name the file.
int32_t try_load(const std::string &path, bool *names_file, int use_mmap = 1) {
    gpt2_model_params p = gpt2_model_default_params();
    p.use_mmap = use_mmap;
    gpt2_model *m = reinterpret_cast<gpt2_model *>(0x1);
    const int32_t st = gpt2_model_load(path.c_str(), &p, &m);
    if (st == GPT2_OK) {
        gpt2_model_free(m);
        *names_file = true;
    } else {
        *names_file = m == nullptr && std::strstr(gpt2_last_error(), path.c_str()) != nullptr;
    }
    return st;
}

void expect_error(const std::string &path, int32_t status, const char *substr) {
    bool named = false;
    const int32_t st = try_load(path, &named);
    CHECK_MSG(st == status, "%s: status %s, expected %s (%s)", path.c_str(), gpt2_status_name(st),
              gpt2_status_name(status), gpt2_last_error());
    CHECK_MSG(named, "%s: message does not name the file: %s", path.c_str(), gpt2_last_error());
    if (substr) CHECK_MSG(std::strstr(gpt2_last_error(), substr) != nullptr, "'%s' not in: %s", substr, gpt2_last_error());
}

// Where the thousands of short-lived corrupted copies go: /dev/shm when there is one (no disk traffic on a
// busy build machine), else the test's own directory.
std::string scratch_dir() {
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0) return "/dev/shm";
    return DIR;
}

void put_u32(std::vector<uint8_t> &b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }
void put_u64(std::vector<uint8_t> &b, size_t at, uint64_t v) { std::memcpy(&b[at], &v, 8); }

// Offset just past a gguf_string equal to S (length prefix + bytes).
size_t after_string(const std::vector<uint8_t> &b, const std::string &s) {
    std::string pat(8, '\0');
    const uint64_t n = s.size();
    std::memcpy(&pat[0], &n, 8);
    pat += s;
    const std::string hay(b.begin(), b.end());
    const size_t at = hay.find(pat);
    return at == std::string::npos ? 0 : at + pat.size();
}

// Writes a patched copy of GOOD and expects STATUS.
void patched(const std::vector<uint8_t> &good, const std::string &name, std::function<void(std::vector<uint8_t> &)> fn,
             int32_t status, const char *substr) {
    std::vector<uint8_t> b = good;
    fn(b);
    const std::string p = DIR + "/" + name + ".gguf";
    write_all(p, b.data(), b.size());
    expect_error(p, status, substr);
}

void test_round_trip() {
    for (gpt2_type type : {GPT2_TYPE_F32, GPT2_TYPE_F16, GPT2_TYPE_Q8_0, GPT2_TYPE_Q4_0}) {
        for (int use_mmap : {1, 0}) {
            Spec s;
            s.type = type;
            s.L = 2;
            s.with_output = type == GPT2_TYPE_F16;
            const std::string path = DIR + "/good_" + type_name(type) + ".gguf";
            const auto tensors = write_model(path, s);
            gpt2_model_params p = gpt2_model_default_params();
            CHECK_EQ(p.use_mmap, 0);   // copy on load is the default (gpt2.h)
            p.use_mmap = use_mmap;
            gpt2_model *m = nullptr;
            const int32_t st = gpt2_model_load(path.c_str(), &p, &m);
            CHECK_MSG(st == GPT2_OK, "%s", gpt2_last_error());
            if (st != GPT2_OK) continue;
            CHECK_EQ(gpt2_model_n_vocab(m), 260);
            CHECK_EQ(gpt2_model_n_ctx_train(m), 16);
            CHECK_EQ(gpt2_model_n_embd(m), 32);
            CHECK_EQ(gpt2_model_n_layer(m), 2);
            CHECK_EQ(gpt2_model_n_head(m), 2);
            CHECK_EQ(gpt2_model_type(m), (int32_t)type);
            CHECK_EQ(gpt2_model_token_eos(m), 259);
            CHECK_EQ(gpt2_model_token_bos(m), 259);
            CHECK_EQ(gpt2_model_file_size_bytes(m), (int64_t)read_all(path).size());
            CHECK(std::strcmp(gpt2_model_name(m), "test-small") == 0);
            CHECK(std::strcmp(gpt2_model_meta_str(m, "general.description"), "unit test model") == 0);
            CHECK(std::strcmp(gpt2_model_meta_str(m, "tokenizer.ggml.pre"), "gpt-2") == 0);
            CHECK(gpt2_model_meta_str(m, "no.such.key") == nullptr);
            CHECK(gpt2_model_meta_str(m, "gpt2.block_count") == nullptr);   // not a string
            const int64_t C = 32, V = 260, T = 16, F = 128;
            int64_t expect_params = V * C + T * C + 2 * C + 2 * (4 * C + 3 * C * C + 3 * C + C * C + C + C * F + F + F * C + C);
            if (s.with_output) expect_params += V * C;
            CHECK_EQ(gpt2_model_n_params(m), expect_params);
            // every view holds exactly the bytes written
            int mismatched = 0, seen = 0;
            auto cmp = [&](const TensorView &v) {
                ++seen;
                auto it = tensors.find(v.name);
                if (it == tensors.end() || it->second.size() != v.nbytes ||
                    std::memcmp(it->second.data(), v.data, v.nbytes) != 0) {
                    ++mismatched;
                }
            };
            const Weights &w = m->weights;
            cmp(w.token_embd);
            cmp(w.position_embd);
            cmp(w.output_norm_w);
            cmp(w.output_norm_b);
            cmp(w.output);
            for (const LayerWeights &l : w.layers) {
                for (const TensorView *t : {&l.attn_norm_w, &l.attn_norm_b, &l.attn_qkv_w, &l.attn_qkv_b, &l.attn_out_w,
                                            &l.attn_out_b, &l.ffn_norm_w, &l.ffn_norm_b, &l.ffn_up_w, &l.ffn_up_b,
                                            &l.ffn_down_w, &l.ffn_down_b}) {
                    cmp(*t);
                }
            }
            CHECK_EQ(seen, 5 + 24);
            CHECK_EQ(mismatched, 0);
            CHECK(w.layers[1].ffn_down_w.ne[0] == F && w.layers[1].ffn_down_w.ne[1] == C);
            CHECK(w.layers[0].attn_qkv_w.type == type && w.position_embd.type == GPT2_TYPE_F32);
            CHECK_EQ((uintptr_t)w.layers[0].attn_qkv_w.data % 32, (uintptr_t)0);
            if (s.with_output) CHECK(w.output.data != w.token_embd.data && w.output.name == "output.weight");
            else CHECK(w.output.data == w.token_embd.data);
            CHECK(m->tokenizer != nullptr);
            gpt2_model_free(m);
        }
    }
}

void test_c_api_args() {
    gpt2_model *m = reinterpret_cast<gpt2_model *>(0x1);
    CHECK_EQ(gpt2_model_load(nullptr, nullptr, &m), GPT2_ERR_INVALID_ARGUMENT);
    CHECK(m == nullptr);
    CHECK_EQ(gpt2_model_load((DIR + "/good_f32.gguf").c_str(), nullptr, nullptr), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_model_load("", nullptr, &m), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_model_n_vocab(nullptr), 0);
    CHECK(std::strlen(gpt2_last_error()) > 0);
    CHECK_EQ(gpt2_model_n_layer(nullptr), 0);
    CHECK_EQ(gpt2_model_type(nullptr), -1);
    CHECK_EQ(gpt2_model_token_eos(nullptr), -1);
    CHECK_EQ(gpt2_model_n_params(nullptr), 0);
    CHECK(gpt2_model_name(nullptr) == nullptr);
    CHECK(gpt2_model_meta_str(nullptr, "general.name") == nullptr);
    gpt2_model_free(nullptr);
    CHECK_EQ(gpt2_model_load((DIR + "/good_f32.gguf").c_str(), nullptr, &m), GPT2_OK);
    CHECK(gpt2_model_meta_str(m, nullptr) == nullptr);
    gpt2_model_free(m);
}

void test_crafted(const std::vector<uint8_t> &good) {
    expect_error(DIR + "/does-not-exist.gguf", GPT2_ERR_IO, "cannot open");
    expect_error(DIR, GPT2_ERR_IO, nullptr);
    write_all(DIR + "/empty.gguf", nullptr, 0);
    expect_error(DIR + "/empty.gguf", GPT2_ERR_FORMAT, nullptr);
    std::vector<uint8_t> garbage(4096);
    SplitMix64 rng{5};
    for (uint8_t &g : garbage) g = (uint8_t)rng.next();
    write_all(DIR + "/garbage.gguf", garbage.data(), garbage.size());
    expect_error(DIR + "/garbage.gguf", GPT2_ERR_FORMAT, "magic");
    // garbage behind a valid magic + version
    std::memcpy(garbage.data(), good.data(), 8);
    write_all(DIR + "/garbage2.gguf", garbage.data(), garbage.size());
    expect_error(DIR + "/garbage2.gguf", GPT2_ERR_FORMAT, nullptr);

    patched(good, "magic", [](std::vector<uint8_t> &b) { b[3] = 'G'; }, GPT2_ERR_FORMAT, "magic");
    patched(good, "version1", [](std::vector<uint8_t> &b) { put_u32(b, 4, 1); }, GPT2_ERR_FORMAT, "version");
    patched(good, "version4", [](std::vector<uint8_t> &b) { put_u32(b, 4, 4); }, GPT2_ERR_FORMAT, "version");
    patched(good, "big_endian", [](std::vector<uint8_t> &b) { put_u32(b, 4, 0x03000000u); }, GPT2_ERR_FORMAT, "big-endian");
    patched(good, "n_tensors", [](std::vector<uint8_t> &b) { put_u64(b, 8, (uint64_t)1 << 60); }, GPT2_ERR_FORMAT, "tensor count");
    patched(good, "n_kv", [](std::vector<uint8_t> &b) { put_u64(b, 16, (uint64_t)1 << 60); }, GPT2_ERR_FORMAT, "metadata count");
    patched(good, "n_kv_small", [](std::vector<uint8_t> &b) { put_u64(b, 16, 3); }, GPT2_ERR_FORMAT, nullptr);
    patched(good, "key_len", [](std::vector<uint8_t> &b) { put_u64(b, 24, (uint64_t)1 << 62); }, GPT2_ERR_FORMAT, "length");
    patched(good, "kv_type", [](std::vector<uint8_t> &b) {
        uint64_t n;
        std::memcpy(&n, &b[24], 8);
        put_u32(b, 32 + (size_t)n, 13);
    }, GPT2_ERR_FORMAT, "invalid value type");
    patched(good, "array_len", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "tokenizer.ggml.tokens");
        put_u64(b, at + 8, (uint64_t)1 << 61);
    }, GPT2_ERR_FORMAT, "array length");
    patched(good, "nested_array", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "tokenizer.ggml.tokens");
        put_u32(b, at + 4, 9);
    }, GPT2_ERR_FORMAT, "nested");
    patched(good, "token_string_len", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "tokenizer.ggml.tokens");
        put_u64(b, at + 16, (uint64_t)-1);
    }, GPT2_ERR_FORMAT, nullptr);
    patched(good, "tensor_type", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "token_embd.weight");
        put_u32(b, at + 4 + 16, 16);   // IQ2_XXS: a ggml type this runtime does not read
    }, GPT2_ERR_FORMAT, "unsupported tensor type");
    // ids past gpt2_type's range: naming them once was undefined behaviour (fuzz_gguf under UBSan)
    patched(good, "tensor_type_past_enum", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "token_embd.weight");
        put_u32(b, at + 4 + 16, 40);
    }, GPT2_ERR_FORMAT, "unsupported tensor type");
    patched(good, "tensor_type_huge", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "token_embd.weight");
        put_u32(b, at + 4 + 16, 0xFFFFFFFFu);
    }, GPT2_ERR_FORMAT, "unsupported tensor type");
    patched(good, "n_dims0", [](std::vector<uint8_t> &b) { put_u32(b, after_string(b, "token_embd.weight"), 0); },
            GPT2_ERR_FORMAT, "n_dims");
    patched(good, "n_dims5", [](std::vector<uint8_t> &b) { put_u32(b, after_string(b, "token_embd.weight"), 5); },
            GPT2_ERR_FORMAT, "n_dims");
    patched(good, "ne_zero", [](std::vector<uint8_t> &b) { put_u64(b, after_string(b, "token_embd.weight") + 4, 0); },
            GPT2_ERR_FORMAT, "invalid size");
    patched(good, "ne_negative", [](std::vector<uint8_t> &b) { put_u64(b, after_string(b, "token_embd.weight") + 4, (uint64_t)-5); },
            GPT2_ERR_FORMAT, "invalid size");
    patched(good, "ne_huge", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "token_embd.weight");
        put_u64(b, at + 4, (uint64_t)1 << 40);
        put_u64(b, at + 12, (uint64_t)1 << 40);
    }, GPT2_ERR_FORMAT, nullptr);
    patched(good, "offset_unaligned", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "blk.0.attn_qkv.weight") + 4 + 16 + 4;
        uint64_t off;
        std::memcpy(&off, &b[at], 8);
        put_u64(b, at, off + 4);
    }, GPT2_ERR_FORMAT, "aligned");
    patched(good, "offset_past_end", [](std::vector<uint8_t> &b) {
        put_u64(b, after_string(b, "blk.0.attn_qkv.weight") + 4 + 16 + 4, (uint64_t)1 << 40);
    }, GPT2_ERR_FORMAT, "truncated");
    patched(good, "offset_overflow", [](std::vector<uint8_t> &b) {
        put_u64(b, after_string(b, "blk.0.attn_qkv.weight") + 4 + 16 + 4, ~(uint64_t)31);
    }, GPT2_ERR_FORMAT, nullptr);
    patched(good, "dup_tensor", [](std::vector<uint8_t> &b) {
        const size_t at = after_string(b, "blk.0.ffn_norm.bias");   // same length as blk.0.attn_qkv.bias
        std::memcpy(&b[at - 19], "blk.0.attn_qkv.bias", 19);
    }, GPT2_ERR_FORMAT, "duplicate tensor");
    patched(good, "renamed_tensor", [](std::vector<uint8_t> &b) {
        b[after_string(b, "blk.0.ffn_up.bias") - 1] = 'x';
    }, GPT2_ERR_FORMAT, "missing tensor 'blk.0.ffn_up.bias'");

    Spec s;
    auto spec_case = [&](const std::string &name, const Spec &sp, const char *substr) {
        const std::string p = DIR + "/" + name + ".gguf";
        write_model(p, sp);
        expect_error(p, GPT2_ERR_FORMAT, substr);
    };
    s.arch = "llama";
    spec_case("arch", s, "architecture 'llama'");
    s = Spec();
    s.skip = "blk.0.ffn_down.weight";
    spec_case("missing_tensor", s, "missing tensor 'blk.0.ffn_down.weight'");
    s = Spec();
    s.skip = "output_norm.bias";
    spec_case("missing_tensor2", s, "missing tensor 'output_norm.bias'");
    s = Spec();
    s.grow = "position_embd.weight";
    spec_case("shape", s, "position_embd.weight' has shape");
    s = Spec();
    s.grow = "token_embd.weight";
    spec_case("shape_vocab", s, "token_embd.weight' has shape");
    s = Spec();
    s.grow = "blk.0.attn_qkv.bias";
    spec_case("shape_bias", s, "attn_qkv.bias' has shape");
    s = Spec();
    s.H = 3;
    spec_case("heads", s, "not a multiple of head_count");
    s = Spec();
    s.norm_type = GPT2_TYPE_F16;
    spec_case("norm_f16", s, "must be f32");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_str("gpt2.block_count", "one"); };
    spec_case("kv_wrong_type", s, "gpt2.block_count' must be an integer");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_u32("gpt2.block_count", 0); };
    spec_case("kv_zero_layers", s, "out of range");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_u32("gpt2.block_count", 2); };
    spec_case("kv_more_layers", s, "missing tensor 'blk.1.");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_arr_i32("tokenizer.ggml.tokens", {1, 2, 3}); };
    spec_case("tokens_ints", s, "tokenizer.ggml.tokens' must be an array of strings");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_arr_i32("tokenizer.ggml.token_type", {1, 1}); };
    spec_case("token_types", s, "token_type");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_u32("tokenizer.ggml.eos_token_id", 100000); };
    spec_case("eos", s, "eos_token_id");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_str("tokenizer.ggml.model", "llama"); };
    spec_case("tok_model", s, "tokenizer.ggml.model");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_u32("general.alignment", 64); };
    write_model(DIR + "/align64.gguf", s);
    const std::vector<uint8_t> a64 = read_all(DIR + "/align64.gguf");
    for (uint32_t bad : {33u, 0u, 48u}) {   // the value sits after the key and its u32 type tag
        patched(a64, "alignment" + std::to_string(bad),
                [bad](std::vector<uint8_t> &b) { put_u32(b, after_string(b, "general.alignment") + 4, bad); },
                GPT2_ERR_FORMAT, "general.alignment");
    }
    patched(a64, "alignment_type", [](std::vector<uint8_t> &b) { put_u32(b, after_string(b, "general.alignment"), 5); },
            GPT2_ERR_FORMAT, "general.alignment must be u32");
    s = Spec();
    s.tweak = [](GgufWriter &w) { w.set_f32("gpt2.attention.layer_norm_epsilon", -1.0f); };
    spec_case("eps", s, "layer_norm_epsilon");
    s = Spec();
    s.C = 48;
    s.H = 2;
    s.type = GPT2_TYPE_Q8_0;   // 48 % 32 != 0: matrices fall back to f16 and the file still loads
    write_model(DIR + "/q8_odd_width.gguf", s);
    bool named;
    CHECK_EQ(try_load(DIR + "/q8_odd_width.gguf", &named), GPT2_OK);

    // GGUF v2 has the same layout and is accepted
    std::vector<uint8_t> v2 = good;
    put_u32(v2, 4, 2);
    write_all(DIR + "/v2.gguf", v2.data(), v2.size());
    CHECK_EQ(try_load(DIR + "/v2.gguf", &named), GPT2_OK);
}

// What llama.cpp's writers may add: a non-default general.alignment, an untied output.weight, and keys of
// every scalar/array type. Offsets must also be the consecutive padded sizes ggml's reader insists on.
void test_layout_and_kv_types() {
    for (uint32_t align : {32u, 64u}) {
        Spec s;
        s.with_output = true;
        s.tweak = [align](GgufWriter &w) {
            if (align != GGUF_DEFAULT_ALIGNMENT) w.set_u32("general.alignment", align);
            w.set_str("general.type", "model");
            w.set_arr_str("general.tags", {"text-generation", "gpt2"});
            w.set_u64("x.u64", (uint64_t)1 << 40);
            w.set_bool("x.bool", true);
            w.set_i32("x.i32", -9);
            w.set_arr_f32("x.f32s", {1.5f, -2.0f});
            GgufValue v;
            v.type = GgufType::FLOAT64;
            v.f64 = 0.25;
            w.set_value("x.f64", v);
            v = GgufValue();
            v.type = GgufType::UINT8;
            v.i64 = 200;
            v.u64 = 200;
            w.set_value("x.u8", v);
            v = GgufValue();
            v.type = GgufType::INT16;
            v.i64 = -300;
            v.u64 = (uint64_t)(int64_t)-300;
            w.set_value("x.i16", v);
            v = GgufValue();
            v.type = GgufType::INT64;
            v.i64 = -((int64_t)1 << 50);
            v.u64 = (uint64_t)v.i64;
            w.set_value("x.i64", v);
        };
        const std::string path = DIR + "/layout_" + std::to_string(align) + ".gguf";
        write_model(path, s);
        std::unique_ptr<GgufFile> f = GgufFile::open(path, true);
        CHECK_EQ(f->alignment, align);
        CHECK_EQ(f->data_offset % align, (uint64_t)0);
        uint64_t expect_offset = 0;
        int bad_offsets = 0, misaligned = 0;
        for (const GgufTensorInfo &t : f->tensors) {
            bad_offsets += t.offset != expect_offset;
            misaligned += ((uintptr_t)t.data % align) != 0;
            expect_offset += (t.nbytes + align - 1) / align * align;
        }
        CHECK_EQ(bad_offsets, 0);
        CHECK_EQ(misaligned, 0);
        CHECK_EQ(f->file_size_bytes, f->data_offset + expect_offset);   // the last tensor is padded too
        CHECK(f->find("x.u64") && f->find("x.u64")->u64 == ((uint64_t)1 << 40));
        CHECK(f->find("x.bool") && f->find("x.bool")->type == GgufType::BOOL && f->find("x.bool")->i64 == 1);
        CHECK(f->find("x.i32") && f->find("x.i32")->i64 == -9);
        CHECK(f->find("x.f64") && f->find("x.f64")->f64 == 0.25);
        CHECK(f->find("x.u8") && f->find("x.u8")->i64 == 200);
        CHECK(f->find("x.i16") && f->find("x.i16")->i64 == -300);
        CHECK(f->find("x.i64") && f->find("x.i64")->i64 == -((int64_t)1 << 50));
        const GgufValue *fl = f->find("x.f32s");
        CHECK(fl && fl->arr_float.size() == 2 && fl->arr_float[0] == 1.5 && fl->arr_float[1] == -2.0);
        const GgufValue *tags = f->find("general.tags");
        CHECK(tags && tags->arr_str.size() == 2 && tags->arr_str[1] == "gpt2");
        gpt2_model *m = nullptr;
        CHECK_MSG(gpt2_model_load(path.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
        if (m) {
            CHECK(m->weights.output.data != m->weights.token_embd.data);
            CHECK(std::strcmp(gpt2_model_meta_str(m, "general.type"), "model") == 0);
            gpt2_model_free(m);
        }
    }
}

void test_truncation_and_flips(const std::string &good_path, const std::vector<uint8_t> &good) {
    std::unique_ptr<GgufFile> gf = GgufFile::open(good_path, true);
    uint64_t needed = gf->data_offset;
    for (const GgufTensorInfo &t : gf->tensors) needed = std::max<uint64_t>(needed, gf->data_offset + t.offset + t.nbytes);
    const size_t header = (size_t)gf->data_offset;
    const std::string p = scratch_dir() + "/gpt2_test_gguf_cut.gguf";
    int wrong = 0, unnamed = 0, n = 0;
    for (size_t cut = 0; cut < good.size(); cut += cut < header + 64 ? 1 : 509) {
        write_all(p, good.data(), cut);
        bool named = false;
        const int32_t st = try_load(p, &named, (cut % 2) ? 1 : 0);
        ++n;
        if (cut < needed && st != GPT2_ERR_FORMAT) {
            ++wrong;
            std::fprintf(stderr, "cut at %zu: %s %s\n", cut, gpt2_status_name(st), gpt2_last_error());
        }
        if (!named) ++unnamed;
    }
    CHECK_EQ(wrong, 0);
    CHECK_EQ(unnamed, 0);
    std::printf("truncation: %d cuts (header %zu bytes, file %zu bytes)\n", n, header, good.size());

    // flips: every header byte with 0xFF, every 3rd with 0x01 and 0x80, some data bytes
    const std::string fp = scratch_dir() + "/gpt2_test_gguf_flip.gguf";
    int loads = 0, errors = 0, bad_status = 0;
    unnamed = 0;
    std::vector<uint8_t> b = good;
    auto flip_at = [&](size_t pos, uint8_t mask) {
        b[pos] ^= mask;
        write_all(fp, b.data(), b.size());
        b[pos] ^= mask;
        bool named = false;
        const int32_t st = try_load(fp, &named);
        ++loads;
        if (st != GPT2_OK) {
            ++errors;
            if (st != GPT2_ERR_FORMAT && st != GPT2_ERR_OUT_OF_MEMORY) {
                ++bad_status;
                std::fprintf(stderr, "flip %zu^%02x: %s %s\n", pos, mask, gpt2_status_name(st), gpt2_last_error());
            }
        }
        if (!named) {
            ++unnamed;
            std::fprintf(stderr, "flip %zu^%02x: message does not name the file: %s\n", pos, mask, gpt2_last_error());
        }
    };
    for (size_t pos = 0; pos < header; ++pos) {
        flip_at(pos, 0xFF);
        if (pos % 3 == 0) {
            flip_at(pos, 0x01);
            flip_at(pos, 0x80);
        }
    }
    for (size_t pos = header; pos < good.size(); pos += 1021) flip_at(pos, 0xFF);
    CHECK_EQ(bad_status, 0);
    CHECK_EQ(unnamed, 0);
    CHECK(errors > loads * MIN_FLIP_REJECT_FRACTION);
    std::printf("flips: %d loads, %d rejected\n", loads, errors);
    std::remove(p.c_str());
    std::remove(fp.c_str());
}

void test_random_tool() {
    RandomModelOptions o;
    o.vocab_dir = std::string(GPT2_SOURCE_DIR) + "/weights/tokenizer";
    o.n_embd = 32;
    o.n_ctx = 16;
    o.n_layer = 1;
    o.seed = 7;
    o.type = GPT2_TYPE_Q8_0;
    random_model_write(DIR + "/rand_a.gguf", o);
    random_model_write(DIR + "/rand_b.gguf", o);
    o.seed = 8;
    random_model_write(DIR + "/rand_c.gguf", o);
    const auto a = read_all(DIR + "/rand_a.gguf"), b = read_all(DIR + "/rand_b.gguf"), c = read_all(DIR + "/rand_c.gguf");
    CHECK(!a.empty() && a == b);
    CHECK(a.size() == c.size() && a != c);
    gpt2_model *m = nullptr;
    CHECK_MSG(gpt2_model_load((DIR + "/rand_a.gguf").c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
    if (!m) return;
    CHECK(std::strcmp(gpt2_model_name(m), "gpt2-random-32x1") == 0);
    CHECK(std::strcmp(gpt2_model_meta_str(m, "general.description"),
                      "Random weights: deterministic demo model (seed 7) generated by gpt2-random; not a trained model") == 0);
    CHECK_EQ(gpt2_model_n_vocab(m), 50257);
    CHECK_EQ(gpt2_model_token_eos(m), 50256);
    CHECK_EQ(gpt2_model_type(m), GPT2_TYPE_Q8_0);
    // weights look like N(0, 0.02): check the std of the first layer's qkv matrix
    const TensorView &q = m->weights.layers[0].attn_qkv_w;
    const std::vector<float> x = tensor_decode(q.data, q.type, q.ne[0], q.ne[1]);
    double ss = 0;
    for (float v : x) ss += (double)v * v;
    CHECK_NEAR(std::sqrt(ss / (double)x.size()), RANDOM_WEIGHT_STDDEV, RANDOM_STDDEV_TOL);
    gpt2_model_free(m);
}

// The gpt2-random executable itself: finds weights/tokenizer on its own (walking up from the build
// directory), is byte-for-byte deterministic per seed, and rejects bad arguments with a non-zero exit.
void test_random_cli() {
    const std::string tool = std::string(GPT2_BINARY_DIR) + "/gpt2-random";
    struct stat st;
    if (stat(tool.c_str(), &st) != 0) {
        std::printf("test_gguf: %s not built, skipping the CLI checks\n", tool.c_str());
        return;
    }
    const std::string a = DIR + "/cli_a.gguf", b = DIR + "/cli_b.gguf", hf = DIR + "/cli_hf";
    const std::string args = " --layers 1 --heads 2 --embd 32 --ctx 16 --seed 3 --type f16 > /dev/null";
    CHECK_EQ(std::system((tool + " " + a + args + " --hf-dir " + hf).c_str()), 0);
    CHECK_EQ(std::system((tool + " " + b + args).c_str()), 0);
    const std::vector<uint8_t> fa = read_all(a), fb = read_all(b);
    CHECK(!fa.empty() && fa == fb);
    CHECK(stat((hf + "/model.safetensors").c_str(), &st) == 0 && stat((hf + "/config.json").c_str(), &st) == 0);
    gpt2_model *m = nullptr;
    CHECK_MSG(gpt2_model_load(a.c_str(), nullptr, &m) == GPT2_OK, "%s", gpt2_last_error());
    if (m) {
        CHECK_EQ(gpt2_model_type(m), GPT2_TYPE_F16);
        CHECK(std::strcmp(gpt2_model_name(m), "gpt2-random-32x1") == 0);
        gpt2_model_free(m);
    }
    const std::string quiet = " > /dev/null 2>&1";
    CHECK(std::system((tool + " " + DIR + "/cli_bad.gguf --heads 3 --embd 32" + quiet).c_str()) != 0);
    CHECK(std::system((tool + " " + DIR + "/cli_bad.gguf --type q5_0" + quiet).c_str()) != 0);
    CHECK(std::system((tool + " " + DIR + "/cli_bad.gguf --layers" + quiet).c_str()) != 0);
    CHECK(std::system((tool + " " + DIR + "/cli_bad.gguf --vocab-dir " + DIR + "/nowhere" + quiet).c_str()) != 0);
    CHECK(stat((DIR + "/cli_bad.gguf").c_str(), &st) != 0);
}

}  // namespace

int main() {
    mkdir(DIR.c_str(), 0755);
    test_round_trip();
    test_c_api_args();
    const std::string good_path = DIR + "/good_f32.gguf";
    Spec s;
    write_model(good_path, s);
    const std::vector<uint8_t> good = read_all(good_path);
    test_crafted(good);
    test_layout_and_kv_types();
    test_truncation_and_flips(good_path, good);
    test_random_tool();
    test_random_cli();
    return check_summary("test_gguf");
}
