// imatrix.cpp — reading and writing importance matrix files (see imatrix.h), through the GGUF reader/writer.
#include "convert/imatrix.h"

#include <cmath>
#include <cstring>

#include "util/error.h"
#include "convert/gpt2_gguf.h"
#include "gguf/gguf.h"

namespace gpt2 {

namespace {

const std::string kSums = ".in_sum2", kCounts = ".counts";
const std::string kLookup = "token_embd.weight.lookup_fisher", kLookupCounts = "token_embd.weight.lookup_counts";

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void bad(const std::string &path, const std::string &what) {
    throw Error(GPT2_ERR_FORMAT, "imatrix '" + path + "': " + what);
}

std::vector<float> f32_values(const std::string &path, const GgufTensorInfo &t) {
    if (t.type != GPT2_TYPE_F32) bad(path, "tensor '" + t.name + "' is not f32");
    std::vector<float> v(t.nbytes / sizeof(float));
    std::memcpy(v.data(), t.data, v.size() * sizeof(float));
    for (float x : v) {
        if (!std::isfinite(x) || x < 0) bad(path, "tensor '" + t.name + "' holds a negative or non-finite value");
    }
    return v;
}

}  // namespace

const float *ImportanceMatrix::find(const std::string &name, int64_t K) const {
    const auto it = mean_sq.find(name);
    if (it == mean_sq.end()) return nullptr;
    if ((int64_t)it->second.size() != K) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, "imatrix entry '" + name + "' has " +
                                                   std::to_string(it->second.size()) + " columns, the tensor " +
                                                   std::to_string(K) + ": an importance matrix of another model?");
    }
    return it->second.data();
}

void imatrix_save(const std::string &path, const ActivationStats &stats, const std::vector<std::string> &datasets,
                  uint32_t chunk_count, uint32_t chunk_size, const LookupFisher *lookup) {
    const bool with_lookup = lookup && lookup->positions > 0;
    gguf_write_file(path, [&](GgufWriter &w) {
        w.set_str("general.type", "imatrix");
        w.set_arr_str("imatrix.datasets", datasets);
        w.set_u32("imatrix.chunk_count", chunk_count);
        w.set_u32("imatrix.chunk_size", chunk_size);
        for (const auto &e : stats.entries) {
            w.add_tensor(e.first + kSums, GPT2_TYPE_F32, {(int64_t)e.second.sum_sq.size(), 1});
            w.add_tensor(e.first + kCounts, GPT2_TYPE_F32, {1, 1});
        }
        if (with_lookup) {
            w.add_tensor(kLookup, GPT2_TYPE_F32, {lookup->n_embd, lookup->n_embd});
            w.add_tensor(kLookupCounts, GPT2_TYPE_F32, {1, 1});
        }
        w.write_header();
        size_t i = 0;
        for (const auto &e : stats.entries) {
            const std::vector<float> sums(e.second.sum_sq.begin(), e.second.sum_sq.end());
            const float count = (float)e.second.count;
            w.write_tensor_data(i++, sums.data(), sums.size() * sizeof(float));
            w.write_tensor_data(i++, &count, sizeof count);
        }
        if (with_lookup) {
            const std::vector<float> sum(lookup->sum.begin(), lookup->sum.end());
            const float count = (float)lookup->positions;
            w.write_tensor_data(i++, sum.data(), sum.size() * sizeof(float));
            w.write_tensor_data(i++, &count, sizeof count);
        }
    });
}

ImportanceMatrix imatrix_load(const std::string &path) {
    const std::unique_ptr<GgufFile> f = GgufFile::open(path, false);
    const GgufValue *type = f->find("general.type");
    if (type && (type->type != GgufType::STRING || type->str != "imatrix"))
        bad(path, "general.type is not \"imatrix\" (a model file?)");
    ImportanceMatrix m;
    if (const GgufValue *d = f->find("imatrix.datasets"); d && d->type == GgufType::ARRAY) m.datasets = d->arr_str;
    if (const GgufValue *c = f->find("imatrix.chunk_count"); c && c->is_int()) m.chunk_count = (uint32_t)c->i64;
    if (const GgufValue *c = f->find("imatrix.chunk_size"); c && c->is_int()) m.chunk_size = (uint32_t)c->i64;
    if (const GgufTensorInfo *lt = f->find_tensor(kLookup)) {
        const GgufTensorInfo *ct = f->find_tensor(kLookupCounts);
        if (!ct) bad(path, "'" + kLookup + "' has no " + kLookupCounts);
        if (lt->type != GPT2_TYPE_F32 || ct->type != GPT2_TYPE_F32) bad(path, "the lookup Fisher is not f32");
        const int64_t C = lt->ne[0];
        if (lt->n_dims != 2 || lt->ne[1] != C || C <= 0 || ct->nbytes != sizeof(float))
            bad(path, "'" + kLookup + "' is not a square matrix with one count");
        float count;
        std::memcpy(&count, ct->data, sizeof count);
        if (!(count > 0) || !std::isfinite(count)) bad(path, "'" + kLookupCounts + "' is not a positive count");
        std::vector<float> F((size_t)(C * C));
        std::memcpy(F.data(), lt->data, F.size() * sizeof(float));
        for (int64_t i = 0; i < C; ++i) {
            if (!(F[(size_t)(i * C + i)] >= 0)) bad(path, "the lookup Fisher has a negative or non-finite diagonal");
            for (int64_t j = 0; j < C; ++j) {
                const float a = F[(size_t)(i * C + j)], b = F[(size_t)(j * C + i)];
                if (!std::isfinite(a) || a != b) bad(path, "the lookup Fisher is not finite and symmetric");
            }
        }
        for (float &v : F) v /= count;
        m.lookup_fisher = std::move(F);
    }
    for (const GgufTensorInfo &t : f->tensors) {
        if (ends_with(t.name, kCounts)) {
            const std::string name = t.name.substr(0, t.name.size() - kCounts.size());
            if (!f->find_tensor(name + kSums)) bad(path, "'" + t.name + "' has no " + name + kSums);
            continue;
        }
        if (!ends_with(t.name, kSums)) continue;   // e.g. a hessian file's Grams: not used here
        const std::string name = t.name.substr(0, t.name.size() - kSums.size());
        const GgufTensorInfo *ct = f->find_tensor(name + kCounts);
        if (!ct) bad(path, "'" + t.name + "' has no " + name + kCounts);
        const std::vector<float> sums = f32_values(path, t), counts = f32_values(path, *ct);
        // llama.cpp keeps one row per expert (ne[1] > 1); GPT-2 has none, so one row and one count
        if (t.ne[1] != 1 || counts.size() != 1) bad(path, "'" + name + "' has more than one row (a MoE file?)");
        if (!(counts[0] > 0)) bad(path, "'" + name + "' was never seen (count 0)");
        std::vector<float> mean(sums.size());
        for (size_t k = 0; k < sums.size(); ++k) mean[k] = sums[k] / counts[0];
        m.mean_sq[name] = std::move(mean);
    }
    if (m.mean_sq.empty()) bad(path, "no .in_sum2 tensors: not an importance matrix");
    return m;
}

}  // namespace gpt2
