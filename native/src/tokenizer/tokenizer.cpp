// tokenizer.cpp — the Tokenizer: builds the id tables from GGUF-style data (tokens, types, merges), then
// encodes by special-token split -> pre-tokenization -> byte tokens -> BPE, and decodes ids to raw bytes.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <utility>

#include "util/error.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_map.h"
#include "tokenizer/pretokenize.h"

namespace gpt2 {

namespace {
constexpr int32_t TOKEN_TYPE_CONTROL = 3;      // ggml's LLAMA_TOKEN_TYPE_CONTROL
const char *const END_OF_TEXT = "<|endoftext|>";  // GPT-2's only special token, special whatever its type
constexpr uint32_t N_BYTE_STANDIN_CPS = 0x144;   // byte stand-ins are all below U+0144
// Pieces up to this many bytes use the allocation-free quadratic merge loop (same result, faster when short).
constexpr size_t SHORT_PIECE_BYTES = 16;
}  // namespace

struct Tokenizer::Impl {
    std::vector<std::string> tokens;        // GGUF text by id
    std::vector<std::string> bytes;         // raw bytes by id
    std::vector<bool> special;              // control token by id
    std::unordered_map<std::string, int32_t> id_of;  // GGUF text -> id (first id wins)
    int32_t byte_token[256];                // id of the single-byte token of each byte
    BpeMergeTable merges;
    std::string empty;                      // what token_bytes returns for an out-of-range id
    std::vector<int32_t> specials_by_length;  // special ids, longest text first (split on the longest match)

    void encode_ordinary(std::string_view text, std::vector<int32_t> *out) const;
};

Tokenizer::Tokenizer(std::vector<std::string> tokens, std::vector<int32_t> token_types,
                     const std::vector<std::string> &merges)
    : impl_(nullptr) {
    auto impl = std::make_unique<Impl>();
    Impl &m = *impl;
    const size_t n = tokens.size();
    if (n == 0) throw Error(GPT2_ERR_FORMAT, "tokenizer has no tokens");
    if (n > (size_t)INT32_MAX) throw Error(GPT2_ERR_FORMAT, "tokenizer has too many tokens");
    if (!token_types.empty() && token_types.size() != n)
        throw Error(GPT2_ERR_FORMAT, "token_type has " + std::to_string(token_types.size()) + " entries for " +
                                         std::to_string(n) + " tokens");
    m.tokens = std::move(tokens);

    int32_t cp_byte[N_BYTE_STANDIN_CPS];
    std::fill(std::begin(cp_byte), std::end(cp_byte), -1);
    for (int b = 0; b < 256; ++b) cp_byte[byte_to_codepoint((uint8_t)b)] = b;

    m.bytes.resize(n);
    m.special.assign(n, false);
    m.id_of.reserve(n * 2);
    for (size_t id = 0; id < n; ++id) {
        const std::string &text = m.tokens[id];
        m.id_of.emplace(text, (int32_t)id);
        m.special[id] = (!token_types.empty() && token_types[id] == TOKEN_TYPE_CONTROL) || text == END_OF_TEXT;
        if (m.special[id]) {
            m.bytes[id] = text;  // control tokens are written as themselves, not in the byte-level alphabet
            if (!text.empty()) m.specials_by_length.push_back((int32_t)id);
            continue;
        }
        std::string &out = m.bytes[id];
        for (size_t pos = 0; pos < text.size();) {
            uint32_t cp = 0;
            const size_t len = utf8_decode_char(text, pos, &cp);
            if (len == 0) {  // not UTF-8: keep the byte as it is
                out.push_back(text[pos++]);
                continue;
            }
            if (cp < N_BYTE_STANDIN_CPS && cp_byte[cp] >= 0) out.push_back((char)cp_byte[cp]);
            else out.append(text, pos, len);  // outside the byte alphabet: keep the character's own UTF-8
            pos += len;
        }
    }
    std::stable_sort(m.specials_by_length.begin(), m.specials_by_length.end(), [&](int32_t a, int32_t b) {
        return m.tokens[(size_t)a].size() > m.tokens[(size_t)b].size();
    });

    for (int b = 0; b < 256; ++b) {
        std::string text;
        const uint32_t cp = byte_to_codepoint((uint8_t)b);
        if (cp < 0x80) text.push_back((char)cp);
        else { text.push_back((char)(0xC0 | (cp >> 6))); text.push_back((char)(0x80 | (cp & 0x3F))); }
        const auto it = m.id_of.find(text);
        if (it == m.id_of.end())
            throw Error(GPT2_ERR_FORMAT, "tokens has no token for byte " + std::to_string(b) + " (\"" + text + "\")");
        m.byte_token[b] = it->second;
    }

    m.merges.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const std::string &line = merges[rank];
        const size_t sp = line.find(' ');
        if (sp == std::string::npos || sp == 0 || sp + 1 == line.size() || line.find(' ', sp + 1) != std::string::npos)
            throw Error(GPT2_ERR_FORMAT, "merges[" + std::to_string(rank) + "] \"" + line + "\" is not of the form \"a b\"");
        const std::string left = line.substr(0, sp), right = line.substr(sp + 1);
        const auto l = m.id_of.find(left), r = m.id_of.find(right), lr = m.id_of.find(left + right);
        if (l == m.id_of.end() || r == m.id_of.end() || lr == m.id_of.end())
            throw Error(GPT2_ERR_FORMAT, "merges[" + std::to_string(rank) + "] \"" + line +
                                             "\" names a token that is not in tokens");
        if (rank > (size_t)INT32_MAX) throw Error(GPT2_ERR_FORMAT, "too many merges");
        m.merges.add(l->second, r->second, (int32_t)rank, lr->second);
    }
    impl_ = impl.release();
}

Tokenizer::~Tokenizer() { delete impl_; }

void Tokenizer::Impl::encode_ordinary(std::string_view text, std::vector<int32_t> *out) const {
    PretokenIterator pieces(text);
    size_t begin = 0, end = 0;
    std::vector<int32_t> ids;
    while (pieces.next(&begin, &end)) {
        ids.clear();
        for (size_t i = begin; i < end; ++i) ids.push_back(byte_token[(uint8_t)text[i]]);
        if (ids.size() <= SHORT_PIECE_BYTES) bpe_merge_naive(merges, &ids);
        else bpe_merge(merges, &ids);
        out->insert(out->end(), ids.begin(), ids.end());
    }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
    std::vector<int32_t> out;
    if (!parse_special || impl_->specials_by_length.empty()) {
        impl_->encode_ordinary(text, &out);
        return out;
    }
    // Next occurrence of each special token at or after the cursor (npos = none left).
    const std::vector<int32_t> &sp = impl_->specials_by_length;
    std::vector<size_t> next_at(sp.size());
    for (size_t k = 0; k < sp.size(); ++k) next_at[k] = text.find(impl_->tokens[(size_t)sp[k]]);
    size_t cursor = 0;
    while (true) {
        size_t best_at = std::string_view::npos;
        size_t best = 0;
        for (size_t k = 0; k < sp.size(); ++k) {
            if (next_at[k] != std::string_view::npos && next_at[k] < cursor)
                next_at[k] = text.find(impl_->tokens[(size_t)sp[k]], cursor);
            if (next_at[k] < best_at) { best_at = next_at[k]; best = k; }  // ties: the longer (earlier k) wins
        }
        if (best_at == std::string_view::npos) {
            impl_->encode_ordinary(text.substr(cursor), &out);
            break;
        }
        impl_->encode_ordinary(text.substr(cursor, best_at - cursor), &out);
        out.push_back(sp[best]);
        cursor = best_at + impl_->tokens[(size_t)sp[best]].size();
    }
    return out;
}

const std::string &Tokenizer::token_bytes(int32_t id) const {
    if (id < 0 || (size_t)id >= impl_->bytes.size()) return impl_->empty;
    return impl_->bytes[(size_t)id];
}

std::string Tokenizer::decode(const int32_t *ids, size_t n) const {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || (size_t)ids[i] >= impl_->bytes.size())
            throw Error(GPT2_ERR_INVALID_ARGUMENT, "tokens[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                                                       " is not a token id (n_vocab " + std::to_string(n_vocab()) + ")");
        out += impl_->bytes[(size_t)ids[i]];
    }
    return out;
}

int32_t Tokenizer::n_vocab() const { return (int32_t)impl_->tokens.size(); }

bool Tokenizer::is_special(int32_t id) const {
    return id >= 0 && (size_t)id < impl_->special.size() && impl_->special[(size_t)id];
}

int32_t Tokenizer::find(std::string_view token_text) const {
    const auto it = impl_->id_of.find(std::string(token_text));
    return it == impl_->id_of.end() ? -1 : it->second;
}

}  // namespace gpt2
