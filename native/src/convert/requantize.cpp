// requantize.cpp — GGUF -> GGUF with a new matrix type (see requantize.h). Same tensor type rule as the
// converter (gpt2_gguf.h); tensors keep their names, shapes and order.
#include "convert/requantize.h"

#include <vector>

#include "util/error.h"
#include "convert/error_feedback.h"
#include "convert/gpt2_gguf.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "tensor/tensor.h"

namespace gpt2 {

namespace {

// How much of a tied token embedding's column importances comes from the imatrix, per type. The tensor has two
// roles and the imatrix measured one: the head's inputs. Its other role, the lookup whose errors land in the
// residual stream, counts every column alike. The share was chosen on the trained model's KL in two folds
// (bench/quant-quality.sh's text with the imatrix of the rest, and the rest with an imatrix of the first 50,000
// bytes; sum of the two KLs against 0 / 0.5 / 1 share, "none" = without an imatrix):
//   all head (1):  iq4_nl .0060 vs .0070 / .0078 (none .0087); q5_0 .0016 vs .0027 / .0028 (.0023);
//                  q5_K .0013 vs .0015 / .0015 (.0016); q6_K .00049 vs .00055 / .00060 (.00060)
//   half (0.5):    q4_K .0039 vs .0049 (1) / .0052 (0) (.0049); q4_1 .0040 vs .0112 / .0050 (.0056);
//                  q5_1 .00120 vs .00127 / .00120 (.00130)
//   none (0):      the embedding quantized as without an imatrix. q2_K .0686 vs .0978 (0.5) (.0877); q3_K
//                  .0162 vs .0213 (0.5) (.0164); q4_0, whose ggml rounding (largest weight kept exact) beat
//                  every weighted fit on the embedding (.0073 without, .0097 all head, .0111 half).
// The default 0 serves the "none" types above and those whose quantizers take no column weights (q8_0, bf16).
double tied_head_share(gpt2_type type) {
    switch (type) {
        case GPT2_TYPE_IQ4_NL: case GPT2_TYPE_Q5_0: case GPT2_TYPE_Q5_K: case GPT2_TYPE_Q6_K: return 1.0;
        case GPT2_TYPE_Q4_K: case GPT2_TYPE_Q4_1: case GPT2_TYPE_Q5_1: return 0.5;
        default: return 0.0;
    }
}

// The column importances for a tied token embedding under an imatrix: tied_head_share of the head's (normalised
// to mean 1), the rest all alike. Returns null (no weighting) where that share is 0, and when the file has its
// own head, whose inputs this entry was not.
const float *tied_embedding_weights(const float *qw, int64_t K, bool separate_head, gpt2_type type,
                                    std::vector<float> *out) {
    const double share = tied_head_share(type);
    if (!qw || separate_head || share <= 0) return nullptr;
    double mean = 0;
    for (int64_t k = 0; k < K; ++k) mean += qw[k];
    mean /= (double)K;
    out->resize((size_t)K);
    for (int64_t k = 0; k < K; ++k) (*out)[(size_t)k] = (float)(mean > 0 ? share * qw[k] / mean + (1 - share) : 1.0);
    return out->data();
}

// Whether the rows of an output head of TYPE get their scales rescaled to keep each row's projection onto itself
// (unbias_row_scales): for the types our own quantizers write; q8_0 and q4_0 keep ggml's reference rounding
// bit for bit. On the trained model (bench/quant-quality.sh) this lowered KL for q2_K 0.0467 -> 0.0451, q3_K
// 0.00884 -> 0.00875, q5_K 0.00101 -> 0.00097, q4_K 0.00268 -> 0.00256, and on the calibration part of the
// text alike; applied to every matrix it raised q2_K's to 0.0497 (a linear layer's least-squares shrinkage
// lowers its output error; only the head feeds a softmax, where a shrunk row is a bias shared by all positions).
bool unbias_head(gpt2_type type) {
    return type != GPT2_TYPE_Q4_0 && type != GPT2_TYPE_Q8_0;
}

// The damping of the lookup Fisher before error feedback (error_feedback_factor, relative to its mean
// diagonal): its small eigenvalues are noise of the finite differences and of one window of calibration text.
// KL on the trained model, the two folds of tied_head_share summed, damping 0.001 / 0.003 / 0.01: q4_0
// .00247 / .00264 / .00261, q3_K .0101 / .0108 / .0104, q2_K .0319 / .0297, q4_K .00182 / .00152, iq4_nl
// .00174 / .00172, q4_1 .00147 / .00140 — flat within the noise (with the column statistics alone, before:
// q4_0 .0073, q3_K .0162, q2_K .0631). 1e-5 is below the noise: the factorisation needed more.
constexpr double kLookupDamp = 1e-3;

}  // namespace

void gguf_requantize(const std::string &in_path, const std::string &out_path, gpt2_type type) {
    QuantRecipe recipe;
    if (!recipe_from_name(type_name(type) ? type_name(type) : "", &recipe)) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, std::string("gguf_requantize: cannot write type ") +
                                                   (type_name(type) ? type_name(type) : std::to_string(type)));
    }
    gguf_requantize(in_path, out_path, recipe);
}

void gguf_requantize(const std::string &in_path, const std::string &out_path, const QuantRecipe &recipe,
                     const ImportanceMatrix *imatrix, const std::string &imatrix_path) {
    gpt2_model_params params = model_default_params();
    params.use_mmap = 1;
    const std::unique_ptr<gpt2_model> model = model_load(in_path, params);   // full validation
    const GgufFile &in = *model->file;

    gguf_write_file(out_path, [&](GgufWriter &w) {
        for (const auto &kv : in.kv) {
            if (kv.first == "general.alignment") continue;   // the writer always uses the default (32)
            w.set_value(kv.first, kv.second);
        }
        w.set_u32("general.file_type", recipe.llama_ftype);
        if (imatrix) {
            w.set_str("quantize.imatrix.file", imatrix_path);
            if (!imatrix->datasets.empty()) w.set_str("quantize.imatrix.dataset", imatrix->datasets.front());
            w.set_i32("quantize.imatrix.entries_count", (int32_t)imatrix->mean_sq.size());
            w.set_i32("quantize.imatrix.chunks_count", (int32_t)imatrix->chunk_count);
        }
        std::vector<gpt2_type> types;
        const GgufTensorInfo *embd = nullptr;
        bool has_output = false;
        for (const GgufTensorInfo &t : in.tensors) {
            const bool is_2d = t.n_dims == 2;
            types.push_back(is_2d ? recipe_tensor_type(recipe, t.name, t.ne[0], model->hparams.n_layer) : (gpt2_type)t.type);
            if (is_2d && !gpt2_tensor_is_matrix(t.name)) types.back() = (gpt2_type)t.type;  // e.g. position_embd
            if (t.name == "output.weight") {
                has_output = true;
                if (recipe.output_type >= 0) types.back() = (gpt2_type)recipe.output_type;
            }
            if (t.name == "token_embd.weight") embd = &t;
            w.add_tensor(t.name, types.back(), std::vector<int64_t>(t.ne, t.ne + t.n_dims));
        }
        const bool add_output = recipe.output_type >= 0 && !has_output && embd != nullptr;
        if (add_output) {
            require_arg(embd->ne[0] % type_block_size((gpt2_type)recipe.output_type) == 0,
                        "--output-tensor: the embedding width is not a multiple of that type's block");
            w.add_tensor("output.weight", (gpt2_type)recipe.output_type, {embd->ne[0], embd->ne[1]});
        }
        w.write_header();
        for (size_t i = 0; i < in.tensors.size(); ++i) {
            const GgufTensorInfo &t = in.tensors[i];
            if ((gpt2_type)t.type == types[i]) {
                w.write_tensor_data(i, t.data, t.nbytes);   // already the target type: copied as is
                continue;
            }
            const int64_t rows = t.ne[1] * t.ne[2] * t.ne[3];
            const float *qw = imatrix && t.n_dims == 2 ? imatrix->find(t.name, t.ne[0]) : nullptr;
            std::vector<float> tied;
            if (t.name == "token_embd.weight") {
                qw = tied_embedding_weights(qw, t.ne[0], has_output || add_output, types[i], &tied);
            }
            // the head: output.weight, or the token embedding while it is also the (tied) head
            const bool head = t.name == "output.weight" || (t.name == "token_embd.weight" && !has_output && !add_output);
            const std::vector<float> x = tensor_decode(t.data, (gpt2_type)t.type, t.ne[0], rows);
            std::vector<uint8_t> bytes = tensor_encode(x.data(), t.ne[0], rows, types[i], qw, head && unbias_head(types[i]));
            if (t.name == "token_embd.weight" && imatrix && !imatrix->lookup_fisher.empty() &&
                error_feedback_supported(types[i])) {
                require_arg((int64_t)imatrix->lookup_fisher.size() == t.ne[0] * t.ne[0],
                            "the imatrix's lookup Fisher does not match the embedding width: an importance matrix of "
                            "another model?");
                error_feedback_rows(types[i], x.data(), bytes.data(), t.ne[0], rows,
                                    error_feedback_factor(imatrix->lookup_fisher.data(), t.ne[0], kLookupDamp));
            }
            w.write_tensor_data(i, bytes.data(), bytes.size());
        }
        if (add_output) {
            const float *qw = imatrix ? imatrix->find("output.weight", embd->ne[0]) : nullptr;
            if (imatrix && !qw) qw = imatrix->find("token_embd.weight", embd->ne[0]);
            gguf_write_tensor_encoded(w, in.tensors.size(), tensor_decode(embd->data, (gpt2_type)embd->type,
                                                                          embd->ne[0], embd->ne[1]),
                                      embd->ne[0], (gpt2_type)recipe.output_type, qw,
                                      unbias_head((gpt2_type)recipe.output_type));
        }
    });
}

}  // namespace gpt2
