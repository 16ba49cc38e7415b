// json.cpp — strict recursive-descent JSON reader (RFC 8259) with a nesting limit, and a string escaper.
#include "util/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace gpt2 {

namespace {

constexpr int JSON_MAX_DEPTH = 64;

struct Parser {
    const std::string &s;
    const std::string &source;
    size_t pos = 0;

    [[noreturn]] void fail(const std::string &what) const {
        throw Error(GPT2_ERR_FORMAT, source + ": invalid JSON at byte " + std::to_string(pos) + ": " + what);
    }
    void ws() {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
    }
    bool lit(const char *w) {
        const size_t n = std::strlen(w);
        if (s.compare(pos, n, w) == 0) {
            pos += n;
            return true;
        }
        return false;
    }
    static void put_utf8(std::string &out, uint32_t cp) {
        if (cp < 0x80) {
            out += (char)cp;
        } else if (cp < 0x800) {
            out += (char)(0xC0 | (cp >> 6));
            out += (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += (char)(0xE0 | (cp >> 12));
            out += (char)(0x80 | ((cp >> 6) & 0x3F));
            out += (char)(0x80 | (cp & 0x3F));
        } else {
            out += (char)(0xF0 | (cp >> 18));
            out += (char)(0x80 | ((cp >> 12) & 0x3F));
            out += (char)(0x80 | ((cp >> 6) & 0x3F));
            out += (char)(0x80 | (cp & 0x3F));
        }
    }
    uint32_t hex4() {
        if (pos + 4 > s.size()) fail("truncated \\u escape");
        uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
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
        if (pos >= s.size() || s[pos] != '"') fail("expected a string");
        ++pos;
        std::string out;
        while (true) {
            if (pos >= s.size()) fail("unterminated string");
            const char c = s[pos++];
            if (c == '"') break;
            if ((unsigned char)c < 0x20) fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos >= s.size()) fail("unterminated escape");
            const char e = s[pos++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00) {
                        if (pos + 6 <= s.size() && s[pos] == '\\' && s[pos + 1] == 'u') {
                            pos += 2;
                            const uint32_t lo = hex4();
                            if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate in \\u escape");
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        } else {
                            fail("unpaired surrogate in \\u escape");
                        }
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("unpaired surrogate in \\u escape");
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: fail(std::string("bad escape \\") + e);
            }
        }
        return out;
    }
    void number(JsonValue &v) {
        const size_t start = pos;
        if (pos < s.size() && s[pos] == '-') ++pos;
        if (pos >= s.size() || !(s[pos] >= '0' && s[pos] <= '9')) fail("bad number");
        if (s[pos] == '0') ++pos;
        else while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        bool integral = true;
        if (pos < s.size() && s[pos] == '.') {
            integral = false;
            ++pos;
            if (pos >= s.size() || !(s[pos] >= '0' && s[pos] <= '9')) fail("bad number fraction");
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        }
        if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
            integral = false;
            ++pos;
            if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
            if (pos >= s.size() || !(s[pos] >= '0' && s[pos] <= '9')) fail("bad number exponent");
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        }
        const std::string lit_text = s.substr(start, pos - start);
        v.kind = JsonValue::NUMBER;
        v.num = std::strtod(lit_text.c_str(), nullptr);
        if (integral) {
            errno = 0;
            const long long x = std::strtoll(lit_text.c_str(), nullptr, 10);
            if (errno == 0) {
                v.is_int = true;
                v.i = (int64_t)x;
            }
        }
    }
    void value(JsonValue &v, int depth) {
        if (depth > JSON_MAX_DEPTH) fail("nesting deeper than " + std::to_string(JSON_MAX_DEPTH));
        ws();
        if (pos >= s.size()) fail("unexpected end of input");
        const char c = s[pos];
        if (c == '{') {
            ++pos;
            v.kind = JsonValue::OBJECT;
            ws();
            if (pos < s.size() && s[pos] == '}') {
                ++pos;
                return;
            }
            while (true) {
                ws();
                std::string key = string();
                ws();
                if (pos >= s.size() || s[pos] != ':') fail("expected ':'");
                ++pos;
                v.obj.emplace_back(std::move(key), JsonValue());
                value(v.obj.back().second, depth + 1);
                ws();
                if (pos < s.size() && s[pos] == ',') { ++pos; continue; }
                if (pos < s.size() && s[pos] == '}') { ++pos; return; }
                fail("expected ',' or '}'");
            }
        } else if (c == '[') {
            ++pos;
            v.kind = JsonValue::ARRAY;
            ws();
            if (pos < s.size() && s[pos] == ']') {
                ++pos;
                return;
            }
            while (true) {
                v.arr.emplace_back();
                value(v.arr.back(), depth + 1);
                ws();
                if (pos < s.size() && s[pos] == ',') { ++pos; continue; }
                if (pos < s.size() && s[pos] == ']') { ++pos; return; }
                fail("expected ',' or ']'");
            }
        } else if (c == '"') {
            v.kind = JsonValue::STRING;
            v.str = string();
        } else if (c == 't' && lit("true")) {
            v.kind = JsonValue::BOOL;
            v.b = true;
        } else if (c == 'f' && lit("false")) {
            v.kind = JsonValue::BOOL;
        } else if (c == 'n' && lit("null")) {
            v.kind = JsonValue::NUL;
        } else if (c == 'N' && lit("NaN")) {
            v.kind = JsonValue::NUMBER;   // Python's json.dump writes NaN / Infinity; accept them as values
            v.num = std::nan("");
        } else if (c == 'I' && lit("Infinity")) {
            v.kind = JsonValue::NUMBER;
            v.num = INFINITY;
        } else if (c == '-' && lit("-Infinity")) {
            v.kind = JsonValue::NUMBER;
            v.num = -INFINITY;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            number(v);
        } else {
            fail(std::string("unexpected character '") + c + "'");
        }
    }
};

}  // namespace

const JsonValue *JsonValue::get(const std::string &key) const {
    if (kind != OBJECT) return nullptr;
    for (const auto &kv : obj) {
        if (kv.first == key) return &kv.second;
    }
    return nullptr;
}

JsonValue json_parse(const std::string &text, const std::string &source) {
    Parser p{text, source};
    JsonValue v;
    p.value(v, 0);
    p.ws();
    if (p.pos != text.size()) p.fail("trailing characters after the document");
    return v;
}

std::string read_text_file(const std::string &path, size_t max_bytes) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(GPT2_ERR_IO, path + ": cannot open: " + std::strerror(errno));
    std::string out;
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
        if (out.size() > max_bytes) {
            std::fclose(f);
            throw Error(GPT2_ERR_FORMAT, path + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
        }
    }
    const bool err = std::ferror(f) != 0;
    std::fclose(f);
    if (err) throw Error(GPT2_ERR_IO, path + ": read failed");
    return out;
}

JsonValue json_parse_file(const std::string &path, size_t max_bytes) {
    return json_parse(read_text_file(path, max_bytes), path);
}

void json_append_string(std::string &out, const std::string &s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) {
                    char b[8];
                    std::snprintf(b, sizeof b, "\\u%04x", c);
                    out += b;
                } else {
                    out += (char)c;
                }
        }
    }
    out += '"';
}

}  // namespace gpt2
