/* llama_quantize.c — runs llama.cpp's own quantizer (llama_model_quantize from the prebuilt libllama that
 * node-llama-cpp ships) on a GGUF file: the "their files" side of the interop test. Test tooling only: it is
 * compiled in a scratch directory against the header of the same llama.cpp release, never into the project.
 * usage: llama_quantize IN.gguf OUT.gguf FTYPE [pure]   (FTYPE: llama_ftype number, e.g. 15 = Q4_K_M;
 *        pure: every matrix in that type, without llama.cpp's per-tensor choices, as gpt2-quantize's plain types) */
#include <stdio.h>
#include <stdlib.h>

#include "llama.h"

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s IN.gguf OUT.gguf FTYPE [pure]\n", argv[0]);
        return 2;
    }
    llama_backend_init();
    llama_model_quantize_params params = llama_model_quantize_default_params();
    params.ftype = (enum llama_ftype)atoi(argv[3]);
    params.nthread = 2;
    params.pure = argc == 5;
    const uint32_t rc = llama_model_quantize(argv[1], argv[2], &params);
    llama_backend_free();
    if (rc != 0) {
        fprintf(stderr, "llama_model_quantize failed (%u)\n", rc);
        return 1;
    }
    return 0;
}
