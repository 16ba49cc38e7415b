// fuzz_gguf.cpp — libFuzzer target: any bytes as a GGUF model file through gpt2_model_load (the GGUF
// reader, then the GPT-2 checks of model_load and the tokenizer built from the file's metadata).
// Properties: no crash / sanitizer report; a failure is GPT2_ERR_FORMAT (or OUT_OF_MEMORY) with *out NULL
// and a message naming the file; a model that loads answers its getters, tokenizes and detokenizes, and
// runs one forward step on a 1-thread context.
#include <cstring>
#include <vector>

#include "support.h"
#include "gpt2.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fuzz::MemFile file("fuzz_gguf");
    file.write(data, size);

    gpt2_model *model = reinterpret_cast<gpt2_model *>(0x1);
    const int32_t st = gpt2_model_load(file.path().c_str(), nullptr, &model);
    if (st != GPT2_OK) {
        FUZZ_REQUIRE(model == nullptr, "a failed load left *out set");
        FUZZ_REQUIRE(st == GPT2_ERR_FORMAT || st == GPT2_ERR_OUT_OF_MEMORY, "status %s: %s", gpt2_status_name(st),
                     gpt2_last_error());
        FUZZ_REQUIRE(std::strstr(gpt2_last_error(), file.path().c_str()) != nullptr, "message does not name the file: %s",
                     gpt2_last_error());
        return 0;
    }

    const int32_t n_vocab = gpt2_model_n_vocab(model);
    FUZZ_REQUIRE(n_vocab > 0 && gpt2_model_n_ctx_train(model) > 0 && gpt2_model_n_embd(model) > 0, "bad hparams");
    const int32_t eos = gpt2_model_token_eos(model);
    FUZZ_REQUIRE(eos >= -1 && eos < n_vocab, "eos %d outside the vocabulary of %d", eos, n_vocab);
    (void)gpt2_model_name(model);

    const char text[] = "hello <|endoftext|> world \xc3\xa9\xff";
    std::vector<int32_t> ids(64);
    int32_t n_ids = 0;
    const int32_t tst = gpt2_tokenize(model, text, (int32_t)sizeof text - 1, 1, ids.data(), (int32_t)ids.size(), &n_ids);
    FUZZ_REQUIRE(tst == GPT2_OK || tst == GPT2_ERR_BUFFER_TOO_SMALL, "tokenize: %s", gpt2_last_error());
    if (tst == GPT2_OK) {
        std::vector<char> back(256);
        int32_t n_back = 0;
        const int32_t dst = gpt2_detokenize(model, ids.data(), n_ids, back.data(), (int32_t)back.size(), &n_back);
        FUZZ_REQUIRE(dst == GPT2_OK || dst == GPT2_ERR_BUFFER_TOO_SMALL, "detokenize: %s", gpt2_last_error());
    }

    gpt2_context_params cp = gpt2_context_default_params();
    cp.n_ctx = gpt2_model_n_ctx_train(model) < 4 ? gpt2_model_n_ctx_train(model) : 4;
    cp.n_batch = 4;
    cp.n_threads = 1;
    gpt2_context *ctx = nullptr;
    const int32_t cst = gpt2_context_create(model, &cp, &ctx);
    FUZZ_REQUIRE(cst == GPT2_OK || cst == GPT2_ERR_OUT_OF_MEMORY, "context: %s", gpt2_last_error());
    if (cst == GPT2_OK) {
        const int32_t seq = 0, pos = 0, tok = n_ids > 0 ? ids[0] : 0;
        const int32_t dst = gpt2_decode(ctx, 1, &seq, &pos, &tok, nullptr);
        FUZZ_REQUIRE(dst == GPT2_OK, "decode: %s", gpt2_last_error());
        FUZZ_REQUIRE(gpt2_get_logits(ctx, 0) != nullptr, "no logits: %s", gpt2_last_error());
        gpt2_context_free(ctx);
    }
    gpt2_model_free(model);
    return 0;
}
