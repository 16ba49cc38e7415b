/* ggml_dequant_check.c — compares, tensor by tensor, ggml's own dequantization (type traits to_float) of a GGUF
 * file with the f32 values this project's gpt2-quantize wrote from the same file. Prints one line per tensor
 * type and fails if any value differs by more than 1e-6 relative to the tensor's largest magnitude (the two
 * compute the same products; only float contraction may differ).
 * usage: ggml_dequant_check THEIRS.gguf OURS_F32.gguf */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "gguf.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s THEIRS.gguf OURS_F32.gguf\n", argv[0]);
        return 2;
    }
    struct ggml_context *ta = NULL, *tb = NULL;
    struct gguf_init_params pa = {false, &ta}, pb = {false, &tb};
    struct gguf_context *a = gguf_init_from_file(argv[1], pa);
    struct gguf_context *b = gguf_init_from_file(argv[2], pb);
    if (!a || !b) {
        fprintf(stderr, "cannot read %s\n", !a ? argv[1] : argv[2]);
        return 1;
    }
    int bad = 0, checked = 0;
    double worst_by_type[64] = {0};
    int count_by_type[64] = {0};
    for (int64_t i = 0; i < gguf_get_n_tensors(a); ++i) {
        const char *name = gguf_get_tensor_name(a, i);
        struct ggml_tensor *x = ggml_get_tensor(ta, name), *y = ggml_get_tensor(tb, name);
        if (!y) {
            fprintf(stderr, "%s: missing in %s\n", name, argv[2]);
            bad = 1;
            continue;
        }
        const int64_t n = ggml_nelements(x);
        if (y->type != GGML_TYPE_F32 || ggml_nelements(y) != n) {
            fprintf(stderr, "%s: ours is not f32 of %lld elements\n", name, (long long)n);
            bad = 1;
            continue;
        }
        float *v = malloc((size_t)n * sizeof(float));
        if (x->type == GGML_TYPE_F32) memcpy(v, x->data, (size_t)n * sizeof(float));
        else ggml_get_type_traits(x->type)->to_float(x->data, v, n);
        const float *w = (const float *)y->data;
        double maxabs = 0, maxdiff = 0;
        for (int64_t k = 0; k < n; ++k) {
            if (fabs(v[k]) > maxabs) maxabs = fabs(v[k]);
            const double d = fabs((double)v[k] - w[k]);
            if (d > maxdiff || d != d) maxdiff = d;
        }
        const double rel = maxabs > 0 ? maxdiff / maxabs : maxdiff;
        if (!(rel <= 1e-6)) {
            fprintf(stderr, "%s (%s): max |ggml - ours| = %g (%.3g relative)\n", name, ggml_type_name(x->type),
                    maxdiff, rel);
            bad = 1;
        }
        if (x->type < 64) {
            if (rel > worst_by_type[x->type]) worst_by_type[x->type] = rel;
            count_by_type[x->type]++;
        }
        checked++;
        free(v);
    }
    for (int t = 0; t < 64; ++t) {
        if (count_by_type[t]) {
            printf("  %-7s %3d tensors, max relative difference %.2g\n", ggml_type_name((enum ggml_type)t),
                   count_by_type[t], worst_by_type[t]);
        }
    }
    printf("%s: %d tensors compared, %s\n", argv[1], checked, bad ? "MISMATCH" : "all equal");
    gguf_free(a);
    gguf_free(b);
    ggml_free(ta);
    ggml_free(tb);
    return bad;
}
