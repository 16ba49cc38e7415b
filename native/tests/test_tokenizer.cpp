// test_tokenizer.cpp — the GPT-2 tokenizer against an independent implementation's ids (fixtures made by
// fixtures/tokgen/generate.mjs), byte-exact round trips (also of invalid UTF-8), special-token parsing,
// the pre-tokenizer's regex semantics, the fast BPE loop against the naive one, long-run performance,
// vocab reading errors, and the tokenizer section of the C API on a gpt2-random model.
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "util/error.h"
#include "check.h"
#include "gpt2.h"
#include "tokenizer/bpe.h"
#include "tokenizer/hf_vocab.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode_tables.h"
#include "util/json.h"

namespace {

// A linear-time tokenizer does 100k characters in milliseconds; a quadratic one takes minutes. 5 s leaves
// room for sanitizer builds and a busy machine while still catching a blowup.
constexpr double LONG_RUN_LIMIT_S = 5.0;
constexpr size_t LONG_RUN_CHARS = 100000;
constexpr int32_t EOT = 50256;  // <|endoftext|> in GPT-2's vocabulary

const std::string k_src = GPT2_SOURCE_DIR;
const std::string k_bin = GPT2_BINARY_DIR;

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string &path, const std::string &data) {
    std::ofstream out(path, std::ios::binary);
    out << data;
}

bool is_file(const std::string &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string ids_str(const std::vector<int32_t> &ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
    return s + "]";
}

std::unique_ptr<gpt2::Tokenizer> load_gpt2_tokenizer(std::vector<std::string> *tokens_out) {
    std::vector<std::string> tokens, merges;
    gpt2::read_hf_vocab(k_src + "/weights/tokenizer/vocab.json", k_src + "/weights/tokenizer/merges.txt", &tokens,
                        &merges);
    CHECK_EQ(tokens.size(), (size_t)50257);
    CHECK_EQ(merges.size(), (size_t)50000);
    CHECK(tokens[EOT] == "<|endoftext|>");
    CHECK(tokens[15496] == "Hello");
    CHECK(merges[0] == "\xC4\xA0 t");  // "Ġ t"
    *tokens_out = tokens;
    return std::make_unique<gpt2::Tokenizer>(std::move(tokens), std::vector<int32_t>{}, merges);
}

std::vector<std::string> pieces_of(const std::string &text) {
    std::vector<std::pair<size_t, size_t>> ranges;
    gpt2::pretokenize(text, &ranges);
    std::vector<std::string> out;
    for (auto &r : ranges) out.push_back(text.substr(r.first, r.second - r.first));
    return out;
}

void test_unicode_classes() {
    using namespace gpt2;
    CHECK_EQ(unicode_char_class('a'), CHAR_LETTER);
    CHECK_EQ(unicode_char_class('7'), CHAR_NUMBER);
    CHECK_EQ(unicode_char_class('\''), CHAR_OTHER);
    CHECK_EQ(unicode_char_class(0x0B), CHAR_SPACE);     // \v
    CHECK_EQ(unicode_char_class(0x1C), CHAR_OTHER);     // not White_Space (Python's isspace says yes)
    CHECK_EQ(unicode_char_class(0x85), CHAR_SPACE);     // NEL is White_Space (JS \s says no)
    CHECK_EQ(unicode_char_class(0xA0), CHAR_SPACE);
    CHECK_EQ(unicode_char_class(0xC9), CHAR_LETTER);    // É
    CHECK_EQ(unicode_char_class(0x0301), CHAR_OTHER);   // combining acute: Mn, not a letter
    CHECK_EQ(unicode_char_class(0x0663), CHAR_NUMBER);  // Arabic-Indic three
    CHECK_EQ(unicode_char_class(0x00BD), CHAR_NUMBER);  // ½ (No)
    CHECK_EQ(unicode_char_class(0x2163), CHAR_NUMBER);  // Ⅳ (Nl)
    CHECK_EQ(unicode_char_class(0x3000), CHAR_SPACE);
    CHECK_EQ(unicode_char_class(0x4E2D), CHAR_LETTER);  // 中
    CHECK_EQ(unicode_char_class(0xFEFF), CHAR_OTHER);   // BOM is not White_Space (JS \s says yes)
    CHECK_EQ(unicode_char_class(0x1F600), CHAR_OTHER);  // 😀
    CHECK_EQ(unicode_char_class(0x20000), CHAR_LETTER); // CJK extension B
    CHECK_EQ(unicode_char_class(0x110000), CHAR_OTHER);
    for (size_t i = 1; i < k_n_unicode_ranges; ++i) CHECK(k_unicode_ranges[i - 1].last < k_unicode_ranges[i].first);
}

void test_pretokenize() {
    using V = std::vector<std::string>;
    CHECK(pieces_of("") == V{});
    CHECK((pieces_of("Hello world") == V{"Hello", " world"}));
    CHECK((pieces_of("I'm I'M don't") == V{"I", "'m", " I", "'", "M", " don", "'t"}));
    CHECK((pieces_of("'s'S 'll") == V{"'s", "'", "S", " '", "ll"}));
    CHECK((pieces_of("   hello") == V{"  ", " hello"}));
    CHECK((pieces_of("\t\thello") == V{"\t", "\t", "hello"}));
    CHECK((pieces_of("a   ") == V{"a", "   "}));
    CHECK((pieces_of("a \n b") == V{"a", " \n", " b"}));
    CHECK((pieces_of("x123 456!!") == V{"x", "123", " 456", "!!"}));
    CHECK((pieces_of(" !!'s") == V{" !!'", "s"}));
    // \s is Unicode White_Space: NEL (U+0085) is a space, BOM (U+FEFF) is not (JavaScript's \s has it reversed).
    CHECK((pieces_of("a \xC2\x85" "b") == V{"a", " ", "\xC2\x85", "b"}));
    CHECK((pieces_of(" \xEF\xBB\xBF" "a") == V{" \xEF\xBB\xBF", "a"}));
    // Invalid UTF-8 bytes are "other" characters; a truncated sequence does not swallow the next letter.
    CHECK((pieces_of("a\xFF\xFE b") == V{"a", "\xFF\xFE", " b"}));
    CHECK((pieces_of("\xE4\xB8z") == V{"\xE4\xB8", "z"}));
    CHECK((pieces_of("caf\xC3\xA9!") == V{"caf\xC3\xA9", "!"}));
    uint32_t cp = 0;
    CHECK_EQ(gpt2::utf8_decode_char("\xED\xA0\x80", 0, &cp), (size_t)0);  // surrogate
    CHECK_EQ(gpt2::utf8_decode_char("\xC0\xAF", 0, &cp), (size_t)0);      // overlong
    CHECK_EQ(gpt2::utf8_decode_char("\xF4\x90\x80\x80", 0, &cp), (size_t)0);
    CHECK_EQ(gpt2::utf8_decode_char("\xF0\x9F\x98\x80", 0, &cp), (size_t)4);
    CHECK_EQ(cp, (uint32_t)0x1F600);
}

void test_fixtures(const gpt2::Tokenizer &tok) {
    const std::string path = k_src + "/native/tests/fixtures/tokenizer_cases.jsonl";
    std::istringstream lines(read_file(path));
    CHECK_MSG(lines.str().size() > 0, "%s is missing or empty", path.c_str());
    std::string line;
    int n_cases = 0, n_bad = 0;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        const gpt2::JsonValue v = gpt2::json_parse(line, path);
        const std::string &text = v.get("text")->str;
        std::vector<int32_t> want;
        for (const auto &x : v.get("ids")->arr) want.push_back((int32_t)x.i);
        const bool special = v.get("special") != nullptr && v.get("special")->b;
        const std::vector<int32_t> got = tok.encode(text, special);
        ++n_cases;
        if (got != want) {
            ++n_bad;
            std::fprintf(stderr, "fixture mismatch (special=%d) for %s\n  want %s\n  got  %s\n", (int)special,
                         line.substr(0, 200).c_str(), ids_str(want).c_str(), ids_str(got).c_str());
        }
        CHECK(tok.decode(want.data(), want.size()) == text);
    }
    CHECK_MSG(n_cases >= 300, "only %d fixture cases", n_cases);
    CHECK_MSG(n_bad == 0, "%d of %d fixture cases differ", n_bad, n_cases);
}

void test_round_trip_random_bytes(const gpt2::Tokenizer &tok) {
    std::mt19937 rng(1234);
    const std::vector<std::string> frags = {"a", "Z", " ", "  ", "\n", "\t", "'", "'s", "9", "\xC3\xA9", "\xE4\xB8\xAD",
                                            "\xF0\x9F\x98\x80", "\xE2\x80\x8D", "\xC2\xA0", "<|endoftext|>"};
    int failures = 0;
    for (int n = 0; n < 500; ++n) {
        std::string s;
        const int len = (int)(rng() % 40);
        for (int i = 0; i < len; ++i) {
            if (rng() % 3 == 0) s.push_back((char)(rng() & 0xFF));  // any byte: often invalid UTF-8
            else s += frags[rng() % frags.size()];
        }
        const std::vector<int32_t> ids = tok.encode(s, false);
        if (tok.decode(ids.data(), ids.size()) != s) ++failures;
        const std::vector<int32_t> ids_sp = tok.encode(s, true);
        if (tok.decode(ids_sp.data(), ids_sp.size()) != s) ++failures;
    }
    CHECK_MSG(failures == 0, "%d random byte strings did not round-trip", failures);
    // Every single byte, alone, is one token and decodes to itself.
    for (int b = 0; b < 256; ++b) {
        const std::string s(1, (char)b);
        const std::vector<int32_t> ids = tok.encode(s, false);
        CHECK(ids.size() == 1 && tok.token_bytes(ids[0]) == s);
    }
}

void test_special_tokens(const gpt2::Tokenizer &tok) {
    CHECK(tok.encode("", false).empty());
    CHECK(tok.encode("", true).empty());
    CHECK((tok.encode("<|endoftext|>", true) == std::vector<int32_t>{EOT}));
    const std::vector<int32_t> plain = tok.encode("<|endoftext|>", false);
    CHECK(plain.size() > 1);
    for (int32_t id : plain) CHECK(id != EOT);
    CHECK((tok.encode("Hello<|endoftext|>", true) == std::vector<int32_t>{15496, EOT}));
    CHECK(tok.is_special(EOT));
    CHECK(!tok.is_special(15496));
    CHECK(!tok.is_special(-1));
    CHECK(!tok.is_special(50257));
    CHECK(tok.token_bytes(EOT) == "<|endoftext|>");
    CHECK(tok.token_bytes(50257).empty());
    CHECK(tok.token_bytes(-5).empty());
    CHECK_EQ(tok.find("Hello"), 15496);
    CHECK_EQ(tok.find("\xC4\xA0world"), 995);  // "Ġworld"
    CHECK_EQ(tok.find("no such token here"), -1);
    CHECK_EQ(tok.n_vocab(), 50257);
    const int32_t bad[] = {15496, 50257};
    bool threw = false;
    try { tok.decode(bad, 2); } catch (const gpt2::Error &e) { threw = e.status() == GPT2_ERR_INVALID_ARGUMENT; }
    CHECK(threw);
}

void test_bpe_fast_equals_naive() {
    // Random merge tables over a 4-symbol alphabet (many equal-rank ties and overlapping pairs), random inputs.
    std::mt19937 rng(99);
    int mismatches = 0;
    for (int t = 0; t < 200; ++t) {
        gpt2::BpeMergeTable table;
        int32_t n_syms = 4;
        const int n_merges = 1 + (int)(rng() % 12);
        for (int r = 0; r < n_merges; ++r) {
            const int32_t a = (int32_t)(rng() % n_syms), b = (int32_t)(rng() % n_syms);
            if (table.add(a, b, r, n_syms)) ++n_syms;
        }
        std::vector<int32_t> in(rng() % 60);
        for (auto &x : in) x = (int32_t)(rng() % 4);
        std::vector<int32_t> fast = in, naive = in;
        gpt2::bpe_merge(table, &fast);
        gpt2::bpe_merge_naive(table, &naive);
        if (fast != naive) ++mismatches;
    }
    CHECK_MSG(mismatches == 0, "bpe_merge differs from bpe_merge_naive in %d cases", mismatches);
}

void test_long_runs(const gpt2::Tokenizer &tok) {
    const std::vector<std::string> units = {"a", " ", "\n", "!", "7", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "ab", " a"};
    for (const std::string &u : units) {
        std::string s;
        while (s.size() < LONG_RUN_CHARS) s += u;
        const auto t0 = std::chrono::steady_clock::now();
        const std::vector<int32_t> ids = tok.encode(s, true);
        const double dt_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        CHECK_MSG(dt_s < LONG_RUN_LIMIT_S, "%zu bytes of \"%s\" took %.2f s", s.size(), u.c_str(), dt_s);
        CHECK(tok.decode(ids.data(), ids.size()) == s);
        std::printf("long run of \"%s\" (%zu bytes): %zu tokens in %.1f ms\n", u == "\n" ? "\\n" : u.c_str(), s.size(),
                    ids.size(), dt_s * 1e3);
    }
}

int32_t status_of(const std::function<void()> &fn) {
    try {
        fn();
    } catch (const gpt2::Error &e) {
        return e.status();
    }
    return GPT2_OK;
}

void test_vocab_reading_errors() {
    const std::string dir = k_bin + "/test_tokenizer_tmp";
    std::string cmd = "mkdir -p '" + dir + "'";
    CHECK(std::system(cmd.c_str()) == 0);
    const std::string vj = dir + "/vocab.json", mt = dir + "/merges.txt";
    std::vector<std::string> tokens, merges;
    write_file(mt, "#version: 0.2\na b\n\xC4\xA0 t\r\n");

    // Escapes, including a surrogate pair (U+1F600) and \u0120 ("Ġ"); ids out of order in the file.
    write_file(vj, "{ \"\\u0120t\": 2, \"a\\\"b\": 0 ,\"\\ud83d\\ude00\\n\\/\": 1 }\n");
    CHECK_EQ(status_of([&] { gpt2::read_hf_vocab(vj, mt, &tokens, &merges); }), GPT2_OK);
    CHECK((tokens == std::vector<std::string>{"a\"b", "\xF0\x9F\x98\x80\n/", "\xC4\xA0t"}));
    CHECK((merges == std::vector<std::string>{"a b", "\xC4\xA0 t"}));

    CHECK_EQ(status_of([&] { gpt2::read_hf_vocab(dir + "/missing.json", mt, &tokens, &merges); }), GPT2_ERR_IO);
    CHECK_EQ(status_of([&] { gpt2::read_hf_vocab(vj, dir + "/missing.txt", &tokens, &merges); }), GPT2_ERR_IO);
    const std::vector<std::string> bad_vocabs = {"", "{", "{\"a\": 0", "{\"a\": 1}", "{\"a\": 0, \"b\": 0}",
                                                 "{\"a\": -1}", "{\"\\ud83d\": 0}", "{\"a\": 0} x", "[]", "{}",
                                                 "{\"a\" 0}", "{\"\\q\": 0}"};
    for (const std::string &bad : bad_vocabs) {
        write_file(vj, bad);
        int32_t st = GPT2_OK;
        std::string msg;
        try { gpt2::read_hf_vocab(vj, mt, &tokens, &merges); } catch (const gpt2::Error &e) { st = e.status(); msg = e.what(); }
        CHECK_MSG(st == GPT2_ERR_FORMAT && msg.find(vj) != std::string::npos, "vocab '%s' gave %d '%s'", bad.c_str(), st,
                  msg.c_str());
    }
    write_file(vj, "{\"a\": 0}");
    write_file(mt, "#version: 0.2\nab\n");
    CHECK_EQ(status_of([&] { gpt2::read_hf_vocab(vj, mt, &tokens, &merges); }), GPT2_ERR_FORMAT);
}

// Tokenizers built from a made-up vocabulary: GPT-2's 256 byte tokens (ids 0..255 of its vocab) + EXTRA.
void test_custom_vocab(const std::vector<std::string> &gpt2_tokens) {
    const std::vector<std::string> bytes_only(gpt2_tokens.begin(), gpt2_tokens.begin() + 256);
    const auto build = [&](const std::vector<std::string> &extra, const std::vector<int32_t> &extra_types,
                           const std::vector<std::string> &merges) {
        std::vector<std::string> toks = bytes_only;
        toks.insert(toks.end(), extra.begin(), extra.end());
        std::vector<int32_t> types(256, 1);
        types.insert(types.end(), extra_types.begin(), extra_types.end());
        return gpt2::Tokenizer(std::move(toks), std::move(types), merges);
    };
    // ids: 256 "<|a|>" (control), 257 "<|a|>b" (control, longer), 258 "hi" (normal), 259 "<|user|>" (type 4: text)
    const gpt2::Tokenizer t = build({"<|a|>", "<|a|>b", "hi", "<|user|>"}, {3, 3, 1, 4}, {"h i"});
    const int32_t x = t.find("x"), h = t.find("h"), b = t.find("b");
    CHECK((t.encode("hi", false) == std::vector<int32_t>{258}));
    CHECK((t.encode("x<|a|>x", true) == std::vector<int32_t>{x, 256, x}));
    CHECK((t.encode("<|a|>b<|a|>", true) == std::vector<int32_t>{257, 256}));   // the longer special wins
    CHECK((t.encode("<|a|>hi<|a|>", true) == std::vector<int32_t>{256, 258, 256}));
    const std::vector<int32_t> plain = t.encode("<|a|>", false);
    CHECK(plain.size() == 5 && plain[0] == t.find("<"));
    CHECK(t.encode("<|user|>", true).size() == 8);  // not a control token: plain text even with parse_special
    CHECK(t.is_special(256) && t.is_special(257) && !t.is_special(258) && !t.is_special(259));
    CHECK(t.token_bytes(258) == "hi");
    CHECK((t.encode("h b", false) == std::vector<int32_t>{h, t.find("\xC4\xA0"), b}));

    CHECK_EQ(status_of([&] { build({"hi"}, {1}, {"h i"}); }), GPT2_OK);
    CHECK_EQ(status_of([&] { build({"hi"}, {1}, {"h j"}); }), GPT2_ERR_FORMAT);     // "hj" missing
    CHECK_EQ(status_of([&] { build({}, {}, {"h i"}); }), GPT2_ERR_FORMAT);           // "hi" missing
    CHECK_EQ(status_of([&] { build({"hi"}, {1}, {"hi"}); }), GPT2_ERR_FORMAT);       // not "a b"
    CHECK_EQ(status_of([&] { build({"hi"}, {1}, {"zz i"}); }), GPT2_ERR_FORMAT);     // "zz" missing
    CHECK_EQ(status_of([&] { gpt2::Tokenizer({"a"}, {}, {}); }), GPT2_ERR_FORMAT);   // byte tokens missing
    CHECK_EQ(status_of([&] { gpt2::Tokenizer({}, {}, {}); }), GPT2_ERR_FORMAT);
    CHECK_EQ(status_of([&] { gpt2::Tokenizer(bytes_only, {1, 1}, {}); }), GPT2_ERR_FORMAT);  // types size
}

// The tokenizer is immutable: threads encoding at once get the same ids as one thread alone.
void test_concurrent_encode(const gpt2::Tokenizer &tok) {
    const std::string text = "Concurrent café 😀 don't 1,000\n\n   x " + std::string(300, 'a');
    const std::vector<int32_t> want = tok.encode(text, true);
    std::vector<int> bad(4, 0);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < bad.size(); ++t)
        threads.emplace_back([&, t] {
            for (int r = 0; r < 200; ++r)
                if (tok.encode(text, true) != want) ++bad[t];
        });
    for (auto &th : threads) th.join();
    for (int b : bad) CHECK_EQ(b, 0);
}

// The C API's tokenizer functions on a tiny random model with GPT-2's vocabulary (made by gpt2-random).
void test_c_api() {
    const std::string tool = k_bin + "/gpt2-random";
    if (!is_file(tool)) {
        std::printf("SKIP C API part: %s is not built (cmake --build ... --target gpt2-random)\n", tool.c_str());
        return;
    }
    const std::string model_path = k_bin + "/test_tokenizer_tmp/random.gguf";
    const std::string cmd = "'" + tool + "' '" + model_path + "' --layers 1 --heads 2 --embd 32 --ctx 32 --vocab-dir '" +
                            k_src + "/weights/tokenizer' > /dev/null";
    CHECK_MSG(std::system(cmd.c_str()) == 0, "%s failed", cmd.c_str());
    gpt2_model *model = nullptr;
    CHECK_EQ(gpt2_model_load(model_path.c_str(), nullptr, &model), GPT2_OK);
    if (!model) return;

    const std::string text = "Hello world<|endoftext|>";
    int32_t ids[16] = {0};
    int32_t n = -1;
    CHECK_EQ(gpt2_tokenize(model, text.data(), (int32_t)text.size(), 1, ids, 16, &n), GPT2_OK);
    CHECK_EQ(n, 3);
    CHECK(ids[0] == 15496 && ids[1] == 995 && ids[2] == EOT);
    CHECK_EQ(gpt2_tokenize(model, text.data(), (int32_t)text.size(), 0, ids, 16, &n), GPT2_OK);
    CHECK(n > 3);
    int32_t small[2] = {-7, -7};
    CHECK_EQ(gpt2_tokenize(model, text.data(), (int32_t)text.size(), 1, small, 2, &n), GPT2_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 3 && small[0] == -7 && small[1] == -7);
    CHECK(std::string(gpt2_last_error()).find("gpt2_tokenize") != std::string::npos);
    CHECK_EQ(gpt2_tokenize(model, text.data(), (int32_t)text.size(), 1, nullptr, 0, &n), GPT2_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(n, 3);
    CHECK_EQ(gpt2_tokenize(model, nullptr, 0, 0, nullptr, 0, &n), GPT2_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(gpt2_tokenize(nullptr, "a", 1, 0, ids, 16, &n), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_tokenize(model, "a", -1, 0, ids, 16, &n), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_tokenize(model, nullptr, 3, 0, ids, 16, &n), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_tokenize(model, "a", 1, 0, ids, 16, nullptr), GPT2_ERR_INVALID_ARGUMENT);
    const char invalid[] = "a\xFF\xC3";  // invalid UTF-8 is encoded, not rejected
    CHECK_EQ(gpt2_tokenize(model, invalid, 3, 0, ids, 16, &n), GPT2_OK);
    CHECK_EQ(n, 3);

    char buf[64];
    CHECK_EQ(gpt2_token_to_bytes(model, 995, buf, sizeof buf, &n), GPT2_OK);
    CHECK(n == 6 && std::string(buf, 6) == " world");
    CHECK_EQ(gpt2_token_to_bytes(model, 995, buf, 3, &n), GPT2_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(n, 6);
    CHECK_EQ(gpt2_token_to_bytes(model, 50257, buf, sizeof buf, &n), GPT2_ERR_INVALID_ARGUMENT);
    CHECK_EQ(gpt2_token_to_bytes(model, -1, buf, sizeof buf, &n), GPT2_ERR_INVALID_ARGUMENT);
    const int32_t seq[] = {15496, 995, EOT};
    CHECK_EQ(gpt2_detokenize(model, seq, 3, buf, sizeof buf, &n), GPT2_OK);
    CHECK(std::string(buf, (size_t)n) == text);
    CHECK_EQ(gpt2_detokenize(model, seq, 3, nullptr, 0, &n), GPT2_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(n, (int32_t)text.size());
    CHECK_EQ(gpt2_detokenize(model, nullptr, 0, nullptr, 0, &n), GPT2_OK);
    CHECK_EQ(n, 0);
    const int32_t bad_seq[] = {1, 99999};
    CHECK_EQ(gpt2_detokenize(model, bad_seq, 2, buf, sizeof buf, &n), GPT2_ERR_INVALID_ARGUMENT);
    CHECK(std::string(gpt2_last_error()).find("tokens[1]") != std::string::npos);
    CHECK_EQ(gpt2_token_is_special(model, EOT), 1);
    CHECK_EQ(gpt2_token_is_special(model, 15496), 0);
    CHECK_EQ(gpt2_token_is_special(model, 50257), 0);
    CHECK_EQ(gpt2_token_is_special(nullptr, EOT), 0);
    gpt2_model_free(model);
}

// The gpt2-tokenize tool, when built: JSON array output, exit status 1 on errors.
void test_tool() {
    const std::string tool = k_bin + "/gpt2-tokenize";
    if (!is_file(tool)) {
        std::printf("SKIP gpt2-tokenize part: %s is not built\n", tool.c_str());
        return;
    }
    const std::string out = k_bin + "/test_tokenizer_tmp/tool_out.txt";
    std::string cmd = "printf 'Hello world<|endoftext|>' | '" + tool + "' --vocab-dir '" + k_src +
                      "/weights/tokenizer' --special > '" + out + "'";
    CHECK_EQ(std::system(cmd.c_str()), 0);
    CHECK(read_file(out) == "[15496, 995, 50256]\n");
    cmd = "printf '' | '" + tool + "' --vocab-dir '" + k_src + "/weights/tokenizer' > '" + out + "'";
    CHECK_EQ(std::system(cmd.c_str()), 0);
    CHECK(read_file(out) == "[]\n");
    cmd = "printf 'x' | '" + tool + "' --vocab-dir '" + k_bin + "/no-such-dir' > /dev/null 2>&1";
    const int rc = std::system(cmd.c_str());
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
}

}  // namespace

int main() {
    test_unicode_classes();
    test_pretokenize();
    test_bpe_fast_equals_naive();
    test_vocab_reading_errors();
    std::vector<std::string> gpt2_tokens;
    std::unique_ptr<gpt2::Tokenizer> tok = load_gpt2_tokenizer(&gpt2_tokens);
    test_custom_vocab(gpt2_tokens);
    test_fixtures(*tok);
    test_round_trip_random_bytes(*tok);
    test_special_tokens(*tok);
    test_long_runs(*tok);
    test_concurrent_encode(*tok);
    test_c_api();
    test_tool();
    return check_summary("test_tokenizer");
}
