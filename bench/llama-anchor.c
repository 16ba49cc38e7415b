/* llama-anchor.c — the speed anchor: times llama.cpp on a GGUF file the way gpt2-bench times this runtime, so
 * both figures come from one run on one machine. It is this project's own harness, compiled against llama.cpp's
 * public header and linked to a llama.cpp built or installed elsewhere (bench/throughput.sh does both, given
 * LLAMA_LIB_DIR and LLAMA_INCLUDE_DIRS; nothing is downloaded or built from llama.cpp's sources here).
 *
 * Measures (best of R repetitions, wall time):
 *   pp N   one sequence's N-token prompt decoded as one batch            -> tokens/s
 *   tg N   one sequence decoding N tokens one step at a time            -> tokens/s
 *   bN     B sequences (prompt 32 each) stepping together, N steps      -> aggregate tokens/s
 * Usage: llama-anchor MODEL THREADS N_PROMPT N_GEN BATCH REPS
 * Output: one line per figure, "anchor pp252 812.3" etc. Token ids are fixed pseudo-random values. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llama.h"
#include "ggml-backend.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t rng_state = 12345;
static llama_token next_token(int n_vocab) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (llama_token)((rng_state >> 8) % (uint32_t)n_vocab);
}

/* Appends (token, pos, seq) to BATCH; logits only where asked. */
static void batch_add(struct llama_batch *b, llama_token tok, llama_pos pos, llama_seq_id seq, int logits) {
    const int i = b->n_tokens++;
    b->token[i] = tok;
    b->pos[i] = pos;
    b->n_seq_id[i] = 1;
    b->seq_id[i][0] = seq;
    b->logits[i] = (int8_t)logits;
}

static int decode_or_report(struct llama_context *ctx, struct llama_batch b, const char *what) {
    const int32_t st = llama_decode(ctx, b);
    if (st != 0) fprintf(stderr, "llama-anchor: llama_decode (%s) returned %d\n", what, st);
    return st == 0;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: llama-anchor MODEL THREADS N_PROMPT N_GEN BATCH REPS\n");
        return 2;
    }
    const char *path = argv[1];
    const int threads = atoi(argv[2]), n_prompt = atoi(argv[3]), n_gen = atoi(argv[4]);
    const int n_seq = atoi(argv[5]), reps = atoi(argv[6]);
    if (threads < 1 || n_prompt < 1 || n_gen < 1 || n_seq < 1 || reps < 1) {
        fprintf(stderr, "llama-anchor: every number must be >= 1\n");
        return 2;
    }
    const char *lib_dir = getenv("LLAMA_LIB_DIR");
    if (lib_dir) ggml_backend_load_all_from_path(lib_dir);
    else ggml_backend_load_all();
    llama_backend_init();

    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model) {
        fprintf(stderr, "llama-anchor: cannot load %s\n", path);
        return 1;
    }
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    const int per_seq = (n_prompt > 32 ? n_prompt : 32) + n_gen + 8;
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(per_seq * n_seq);
    cp.n_batch = cp.n_ubatch = (uint32_t)(n_prompt > 512 ? n_prompt : 512);
    cp.n_seq_max = (uint32_t)n_seq;
    cp.n_threads = cp.n_threads_batch = threads;
    cp.no_perf = true;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "llama-anchor: cannot create a context\n");
        return 1;
    }
    llama_memory_t mem = llama_get_memory(ctx);
    struct llama_batch batch = llama_batch_init(cp.n_batch > (uint32_t)n_seq ? (int32_t)cp.n_batch : n_seq, 0, 1);

    double best_pp = 1e30, best_tg = 1e30, best_b = 1e30;
    for (int r = 0; r < reps; ++r) {
        /* pp: the whole prompt in one decode */
        llama_memory_clear(mem, true);
        batch.n_tokens = 0;
        for (int i = 0; i < n_prompt; ++i) batch_add(&batch, next_token(n_vocab), i, 0, i == n_prompt - 1);
        double t0 = now_ms();
        if (!decode_or_report(ctx, batch, "prompt")) return 1;
        double ms = now_ms() - t0;
        if (ms < best_pp) best_pp = ms;

        /* tg: one token per step after a 1-token start */
        llama_memory_clear(mem, true);
        batch.n_tokens = 0;
        batch_add(&batch, next_token(n_vocab), 0, 0, 1);
        if (!decode_or_report(ctx, batch, "start")) return 1;
        t0 = now_ms();
        for (int i = 1; i <= n_gen; ++i) {
            batch.n_tokens = 0;
            batch_add(&batch, next_token(n_vocab), i, 0, 1);
            if (!decode_or_report(ctx, batch, "generate")) return 1;
        }
        ms = now_ms() - t0;
        if (ms < best_tg) best_tg = ms;

        /* batched: n_seq prompts of 32 tokens, then n_gen steps of n_seq entries */
        if (n_seq > 1) {
            llama_memory_clear(mem, true);
            for (int s = 0; s < n_seq; ++s) {
                batch.n_tokens = 0;
                for (int i = 0; i < 32; ++i) batch_add(&batch, next_token(n_vocab), i, s, i == 31);
                if (!decode_or_report(ctx, batch, "batched prompt")) return 1;
            }
            t0 = now_ms();
            for (int i = 0; i < n_gen; ++i) {
                batch.n_tokens = 0;
                for (int s = 0; s < n_seq; ++s) batch_add(&batch, next_token(n_vocab), 32 + i, s, 1);
                if (!decode_or_report(ctx, batch, "batched step")) return 1;
            }
            ms = now_ms() - t0;
            if (ms < best_b) best_b = ms;
        }
    }
    printf("anchor pp%d %.1f\n", n_prompt, n_prompt * 1000.0 / best_pp);
    printf("anchor tg%d %.1f\n", n_gen, n_gen * 1000.0 / best_tg);
    if (n_seq > 1) printf("anchor b%d %.1f\n", n_seq, (double)n_seq * n_gen * 1000.0 / best_b);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
