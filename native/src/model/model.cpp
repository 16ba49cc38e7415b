// model.cpp — construction and destruction of gpt2_model. Out of line so the unique_ptr members see the
// complete GgufFile and Tokenizer types; loading lives in model_load.cpp.
#include "model/model.h"

#include "device/cuda_device.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

gpt2_model::gpt2_model() = default;
gpt2_model::~gpt2_model() = default;

namespace gpt2 {

gpt2_model_params model_default_params() {
    gpt2_model_params p;
    p.use_mmap = 0;   // copy on load: the running model is immune to later changes of the file (gpt2.h)
    p.device = GPT2_DEVICE_CPU;
    p.device_index = 0;
    return p;
}

}  // namespace gpt2
