// hf_vocab.cpp — reads Hugging Face's vocab.json (a flat JSON object "token": id, parsed by util/json) and
// merges.txt into the id-ordered token list and ranked merge list.
#include "tokenizer/hf_vocab.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "util/error.h"
#include "util/json.h"

namespace gpt2 {

namespace {

// Bounds the files read into memory (GPT-2's vocab.json is 1 MB, merges.txt 0.5 MB).
constexpr size_t HF_VOCAB_MAX_BYTES = (size_t)64 << 20;

// The token id VALUE of KEY: a non-negative integer literal that fits int32 ("-0" and 1.0 are not ids).
int64_t token_id_of(const JsonValue &value, const std::string &key, const std::string &path) {
    if (value.kind != JsonValue::NUMBER || !value.is_int || value.i < 0 || std::signbit(value.num))
        throw Error(GPT2_ERR_FORMAT, path + ": the id of \"" + key + "\" is not a non-negative integer");
    if (value.i > INT32_MAX) throw Error(GPT2_ERR_FORMAT, path + ": token id of \"" + key + "\" is too large");
    return value.i;
}

}  // namespace

void read_hf_vocab(const std::string &vocab_json, const std::string &merges_txt,
                   std::vector<std::string> *tokens, std::vector<std::string> *merges) {
    require_arg(tokens != nullptr && merges != nullptr, "read_hf_vocab: tokens and merges must not be null");
    JsonValue doc = json_parse_file(vocab_json, HF_VOCAB_MAX_BYTES);
    if (doc.kind != JsonValue::OBJECT)
        throw Error(GPT2_ERR_FORMAT, vocab_json + ": expected one JSON object of \"token\": id");

    std::vector<std::pair<int64_t, std::string>> entries;
    entries.reserve(doc.obj.size());
    for (auto &kv : doc.obj) entries.emplace_back(token_id_of(kv.second, kv.first, vocab_json), std::move(kv.first));
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

    const std::string mtext = read_text_file(merges_txt, HF_VOCAB_MAX_BYTES);
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
