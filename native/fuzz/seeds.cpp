// seeds.cpp — gpt2-fuzz-seeds OUT_DIR: writes the small starting corpus of every fuzz target into
// OUT_DIR/<target>/ (gguf: the tiny GPT-2 model; safetensors: a two-tensor file; json, tokenizer and
// sampler: a few inputs each). Generated at build/test time so nothing binary is committed.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "util/error.h"
#include "convert/safetensors.h"
#include "support.h"

namespace {

void put(const std::string &dir, const std::string &name, const std::string &bytes) {
    mkdir(dir.c_str(), 0755);
    const std::string path = dir + "/" + name;
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        throw gpt2::Error(GPT2_ERR_IO, path + ": cannot write");
    }
}

void write_seeds(const std::string &out) {
    mkdir(out.c_str(), 0755);
    mkdir((out + "/gguf").c_str(), 0755);
    fuzz::write_tiny_model(out + "/gguf/tiny.gguf");

    mkdir((out + "/safetensors").c_str(), 0755);
    gpt2::SafetensorsWriter w(out + "/safetensors/two.safetensors");
    w.add("wte.weight", {3, 2});
    w.add("ln_f.bias", {2});
    w.write_header();
    const float a[6] = {1, -2, 3.5f, 0, 1e-3f, 7}, b[2] = {0.5f, -0.25f};
    w.write("wte.weight", a, 6);
    w.write("ln_f.bias", b, 2);
    w.finish();

    put(out + "/json", "config.json",
        "{\"n_embd\": 768, \"n_layer\": 12, \"n_head\": 12, \"n_positions\": 1024, \"layer_norm_epsilon\": 1e-05,"
        " \"architectures\": [\"GPT2LMHeadModel\"], \"tie\": true, \"none\": null}");
    put(out + "/json", "vocab.json", "{\"!\": 0, \"\\u0120the\": 262, \"caf\\u00e9\": 7, \"\\ud83d\\ude00\": 9}");
    put(out + "/json", "nested.json", "[[[{\"a\": [1, -2.5e+3, \"x\\n\\t\\\"\"]}]], {}, [], \"\", 0]");

    put(out + "/tokenizer", "english.txt", "The meaning of life is 42, isn't it? Hello   world!\n\n");
    put(out + "/tokenizer", "unicode.txt", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 \xd0\x9f\xd1\x80\xd0\xb8");
    put(out + "/tokenizer", "special.txt", "a<|endoftext|>b <|endoftext|><|endoftext|> <|endoftext");
    static const char invalid[] = "\xff\xfe ok \xc3 \xe2\x82 \xed\xa0\x80 \x00 end";   // NUL inside too
    put(out + "/tokenizer", "invalid.txt", std::string(invalid, sizeof invalid - 1));

    // Sampler inputs: every float selector 10+ (an in-range value) with varied payloads, then a few edges.
    std::string in_range;
    for (int i = 0; i < 120; ++i) in_range += (char)(10 + (i * 37) % 200);
    put(out + "/sampler", "in_range.bin", in_range);
    put(out + "/sampler", "zeros.bin", std::string(96, '\0'));
    std::string edges;
    for (int i = 0; i < 120; ++i) edges += (char)(i % 10);
    put(out + "/sampler", "edges.bin", edges);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: gpt2-fuzz-seeds OUT_DIR\n");
        return 2;
    }
    try {
        write_seeds(argv[1]);
    } catch (const gpt2::Error &e) {
        std::fprintf(stderr, "gpt2-fuzz-seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
