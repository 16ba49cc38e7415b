// hf_vocab.cpp — reads Hugging Face's vocab.json (a flat JSON object "token": id) and merges.txt into the
// id-ordered token list and ranked merge list. A small JSON reader for exactly that shape: strings with all
// escapes (\uXXXX incl. surrogate pairs), non-negative integer values, whitespace anywhere JSON allows it.
#include "tokenizer/hf_vocab.h"

#include <cstdint>
#include <fstream>
#include <sstream>

#include "api/error.h"

namespace gpt2 {

namespace {

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(GPT2_ERR_IO, path + ": cannot open for reading");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw Error(GPT2_ERR_IO, path + ": read failed");
    return ss.str();
}

void append_utf8(uint32_t cp, std::string *out) {
    if (cp < 0x80) {
        out->push_back((char)cp);
    } else if (cp < 0x800) {
        out->push_back((char)(0xC0 | (cp >> 6)));
        out->push_back((char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->push_back((char)(0xE0 | (cp >> 12)));
        out->push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back((char)(0x80 | (cp & 0x3F)));
    } else {
        out->push_back((char)(0xF0 | (cp >> 18)));
        out->push_back((char)(0x80 | ((cp >> 12) & 0x3F)));
        out->push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back((char)(0x80 | (cp & 0x3F)));
    }
}

// Cursor over the vocab.json text; every failure names the file and byte offset.
struct JsonCursor {
    const std::string &path;
    const std::string &s;
    size_t pos = 0;

    [[noreturn]] void fail(const std::string &what) const {
        throw Error(GPT2_ERR_FORMAT, path + ": " + what + " at byte " + std::to_string(pos));
    }
    void skip_ws() {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
    }
    void expect(char c) {
        skip_ws();
        if (pos >= s.size() || s[pos] != c) fail(std::string("expected '") + c + "'");
        ++pos;
    }
    uint32_t hex4() {
        if (pos + 4 > s.size()) fail("truncated \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s[pos++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
            else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
            else fail("bad hex digit in \\u escape");
        }
        return v;
    }
    std::string string() {
        expect('"');
        std::string out;
        while (true) {
            if (pos >= s.size()) fail("unterminated string");
            const unsigned char c = (unsigned char)s[pos++];
            if (c == '"') return out;
            if (c < 0x20) fail("control character in string");
            if (c != '\\') { out.push_back((char)c); continue; }
            if (pos >= s.size()) fail("unterminated escape");
            const char e = s[pos++];
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {
                    uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (pos + 2 > s.size() || s[pos] != '\\' || s[pos + 1] != 'u') fail("unpaired high surrogate");
                        pos += 2;
                        const uint32_t lo = hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) fail("high surrogate not followed by a low surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("unpaired low surrogate");
                    }
                    append_utf8(cp, &out);
                    break;
                }
                default: fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }
    int64_t integer() {
        skip_ws();
        const size_t start = pos;
        int64_t v = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            v = v * 10 + (s[pos++] - '0');
            if (v > INT32_MAX) fail("token id too large");
        }
        if (pos == start) fail("expected a non-negative integer token id");
        return v;
    }
};

}  // namespace

void read_hf_vocab(const std::string &vocab_json, const std::string &merges_txt,
                   std::vector<std::string> *tokens, std::vector<std::string> *merges) {
    require_arg(tokens != nullptr && merges != nullptr, "read_hf_vocab: tokens and merges must not be null");
    const std::string text = read_file(vocab_json);
    JsonCursor cur{vocab_json, text};

    std::vector<std::pair<int64_t, std::string>> entries;
    cur.expect('{');
    cur.skip_ws();
    if (cur.pos < text.size() && text[cur.pos] == '}') {
        ++cur.pos;
    } else {
        while (true) {
            std::string key = cur.string();
            cur.expect(':');
            const int64_t id = cur.integer();
            entries.emplace_back(id, std::move(key));
            cur.skip_ws();
            if (cur.pos < text.size() && text[cur.pos] == ',') { ++cur.pos; continue; }
            cur.expect('}');
            break;
        }
    }
    cur.skip_ws();
    if (cur.pos != text.size()) cur.fail("trailing content after the vocabulary object");
    if (entries.empty()) throw Error(GPT2_ERR_FORMAT, vocab_json + ": the vocabulary is empty");

    std::vector<std::string> by_id(entries.size());
    std::vector<bool> seen(entries.size(), false);
    for (auto &e : entries) {
        if (e.first >= (int64_t)entries.size())
            throw Error(GPT2_ERR_FORMAT, vocab_json + ": token id " + std::to_string(e.first) + " of \"" + e.second +
                                             "\" is out of range: ids must be dense 0.." +
                                             std::to_string(entries.size() - 1));
        if (seen[(size_t)e.first])
            throw Error(GPT2_ERR_FORMAT, vocab_json + ": token id " + std::to_string(e.first) + " is used twice");
        seen[(size_t)e.first] = true;
        by_id[(size_t)e.first] = std::move(e.second);
    }

    const std::string mtext = read_file(merges_txt);
    std::vector<std::string> ms;
    size_t line_start = 0;
    size_t line_no = 0;
    while (line_start < mtext.size()) {
        size_t line_end = mtext.find('\n', line_start);
        if (line_end == std::string::npos) line_end = mtext.size();
        std::string line = mtext.substr(line_start, line_end - line_start);
        line_start = line_end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line_no == 1 && line.rfind("#version", 0) == 0) continue;
        if (line.empty()) continue;
        const size_t sp = line.find(' ');
        if (sp == std::string::npos || sp == 0 || sp + 1 == line.size() || line.find(' ', sp + 1) != std::string::npos)
            throw Error(GPT2_ERR_FORMAT, merges_txt + ": line " + std::to_string(line_no) +
                                             " is not a merge of the form \"a b\"");
        ms.push_back(std::move(line));
    }

    *tokens = std::move(by_id);
    *merges = std::move(ms);
}

}  // namespace gpt2
