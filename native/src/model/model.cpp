// model.cpp — construction and destruction of gpt2_model. Out of line so the unique_ptr members see the
// complete GgufFile and Tokenizer types; loading lives in model_load.cpp.
#include "model/model.h"

#include "device/cuda_device.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

gpt2_model::gpt2_model() = default;
gpt2_model::~gpt2_model() = default;
