/* llama_quantize.c — runs llama.cpp's own quantizer (llama_model_quantize from the prebuilt libllama that
 * node-llama-cpp ships) on a GGUF file: the "their files" side of the interop test. Test tooling only: it is
 * compiled in a scratch directory against the header of the same llama.cpp release, never into the project.
 * usage: llama_quantize IN.gguf OUT.gguf FTYPE [pure] [IMATRIX.gguf]
 *        FTYPE: llama_ftype number, e.g. 15 = Q4_K_M; pure: every matrix in that type, without llama.cpp's
 *        per-tensor choices, as gpt2-quantize's plain types; IMATRIX: an importance matrix in the GGUF imatrix
 *        layout (NAME.in_sum2 and NAME.counts, as gpt2-imatrix and llama-imatrix write it), handed to the
 *        quantizer as llama-quantize --imatrix does: each column's mean square = in_sum2 / counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "gguf.h"
#include "llama.h"

/* Reads the imatrix file into a name-terminated array of per-column mean squares; NULL on a bad file. */
static struct llama_model_imatrix_data *read_imatrix(const char *path) {
    struct ggml_context *tensors = NULL;
    struct gguf_init_params params = {false, &tensors};
    struct gguf_context *file = gguf_init_from_file(path, params);
    if (!file) return NULL;
    const int64_t n = gguf_get_n_tensors(file);
    struct llama_model_imatrix_data *out = calloc((size_t)n + 1, sizeof *out);
    int64_t used = 0;
    for (int64_t i = 0; i < n; ++i) {
        const char *name = gguf_get_tensor_name(file, i);
        const size_t len = strlen(name);
        const char *suffix = ".in_sum2";
        if (len <= strlen(suffix) || strcmp(name + len - strlen(suffix), suffix) != 0) continue;
        char counts_name[512];
        snprintf(counts_name, sizeof counts_name, "%.*s.counts", (int)(len - strlen(suffix)), name);
        struct ggml_tensor *sums = ggml_get_tensor(tensors, name), *counts = ggml_get_tensor(tensors, counts_name);
        if (!counts || sums->type != GGML_TYPE_F32 || counts->type != GGML_TYPE_F32 || ggml_nelements(counts) != 1) {
            fprintf(stderr, "%s: %s has no single f32 count\n", path, name);
            return NULL;
        }
        const int64_t k = ggml_nelements(sums);
        const float count = ((const float *)counts->data)[0];
        float *mean = malloc((size_t)k * sizeof *mean);
        for (int64_t j = 0; j < k; ++j) mean[j] = count > 0 ? ((const float *)sums->data)[j] / count : 1.0f;
        char *entry = malloc(len - strlen(suffix) + 1);
        memcpy(entry, name, len - strlen(suffix));
        entry[len - strlen(suffix)] = '\0';
        out[used].name = entry;
        out[used].data = mean;
        out[used].size = (size_t)k;
        ++used;
    }
    return out; /* the process ends after one quantization: nothing is freed */
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: %s IN.gguf OUT.gguf FTYPE [pure] [IMATRIX.gguf]\n", argv[0]);
        return 2;
    }
    llama_backend_init();
    llama_model_quantize_params params = llama_model_quantize_default_params();
    params.ftype = (enum llama_ftype)atoi(argv[3]);
    params.nthread = 2;
    for (int i = 4; i < argc; ++i) {
        if (strcmp(argv[i], "pure") == 0) {
            params.pure = true;
        } else if (!(params.imatrix = read_imatrix(argv[i]))) {
            fprintf(stderr, "cannot read the imatrix %s\n", argv[i]);
            return 1;
        }
    }
    const uint32_t rc = llama_model_quantize(argv[1], argv[2], &params);
    llama_backend_free();
    if (rc != 0) {
        fprintf(stderr, "llama_model_quantize failed (%u)\n", rc);
        return 1;
    }
    return 0;
}
