// requantize.cpp — GGUF -> GGUF with a new matrix type (see requantize.h). Same tensor type rule as the
// converter (gpt2_gguf.h); tensors keep their names, shapes and order.
#include "convert/requantize.h"

#include <vector>

#include "api/error.h"
#include "convert/gpt2_gguf.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "tensor/tensor.h"

namespace gpt2 {

void gguf_requantize(const std::string &in_path, const std::string &out_path, gpt2_type type) {
    QuantRecipe recipe;
    if (!recipe_from_name(type_name(type) ? type_name(type) : "", &recipe)) {
        throw Error(GPT2_ERR_INVALID_ARGUMENT, std::string("gguf_requantize: cannot write type ") +
                                                   (type_name(type) ? type_name(type) : std::to_string(type)));
    }
    gguf_requantize(in_path, out_path, recipe);
}

void gguf_requantize(const std::string &in_path, const std::string &out_path, const QuantRecipe &recipe) {
    gpt2_model_params params;
    params.use_mmap = 1;
    const std::unique_ptr<gpt2_model> model = model_load(in_path, params);   // full validation
    const GgufFile &in = *model->file;

    gguf_write_file(out_path, [&](GgufWriter &w) {
        for (const auto &kv : in.kv) {
            if (kv.first == "general.alignment") continue;   // the writer always uses the default (32)
            w.set_value(kv.first, kv.second);
        }
        w.set_u32("general.file_type", recipe.llama_ftype);
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
            gguf_write_tensor_encoded(w, i, tensor_decode(t.data, (gpt2_type)t.type, t.ne[0], rows), t.ne[0], types[i]);
        }
        if (add_output) {
            gguf_write_tensor_encoded(w, in.tensors.size(), tensor_decode(embd->data, (gpt2_type)embd->type,
                                                                          embd->ne[0], embd->ne[1]),
                                      embd->ne[0], (gpt2_type)recipe.output_type);
        }
    });
}

}  // namespace gpt2
