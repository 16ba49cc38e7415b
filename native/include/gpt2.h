/*
 * gpt2.h — the one public C API of the GPT-2 runtime: the contract between the native library and every
 * host (the Java binding, the CLI tools, any C program). No C++ types cross it.
 *
 * Conventions
 *   - Every fallible call returns a gpt2_status: GPT2_OK (0) or a negative code. On failure the calling
 *     thread's last error message says what went wrong (gpt2_last_error()); it names the file, field or
 *     argument at fault. Nothing in this library aborts or exits on bad input.
 *   - Objects are opaque handles created by *_create / *_load into an out-pointer and released by *_free
 *     (NULL is accepted by every *_free). Handles returned through out-pointers are owned by the caller.
 *   - Sizes use n_ prefixes, times carry their unit (_ms, _us), byte counts end in _bytes.
 *   - Strings are UTF-8, passed as (pointer, length) where they may hold NUL or be cut mid-character.
 *   - Size queries: a call that fills a caller buffer writes the needed count to *n_out; when the buffer is
 *     too small it returns GPT2_ERR_BUFFER_TOO_SMALL and writes nothing else, so call again with *n_out.
 *
 * Thread safety
 *   - gpt2_model is immutable after load and may be shared by any number of threads and contexts.
 *   - gpt2_context and gpt2_sampler are used by one thread at a time (callers serialise); distinct
 *     contexts may run concurrently on one model.
 *   - gpt2_last_error() is thread-local.
 */
#ifndef GPT2_H
#define GPT2_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GPT2_API __declspec(dllexport)
#else
#define GPT2_API __attribute__((visibility("default")))
#endif

#define GPT2_API_VERSION 1          /* bumped on any incompatible change of this header */
#define GPT2_MAX_TOP_N 20           /* most alternatives a sampler reports per token (top_n_tokens / logprobs) */
#define GPT2_MAX_STOP 16            /* most stop strings per sampler (gpt2_sampler_add_stop) */
#define GPT2_MAX_STOP_BYTES 256     /* longest stop string, in UTF-8 bytes */

/* ---------------------------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------------------------- */
typedef enum gpt2_status {
    GPT2_OK                    =  0,
    GPT2_ERR_INVALID_ARGUMENT  = -1,  /* a NULL handle, out-of-range parameter, bad token id, ...        */
    GPT2_ERR_IO                = -2,  /* file missing, unreadable, mmap failed                              */
    GPT2_ERR_FORMAT            = -3,  /* malformed or unsupported model file (GGUF, safetensors, json)      */
    GPT2_ERR_OUT_OF_MEMORY     = -4,
    GPT2_ERR_CONTEXT_FULL      = -5,  /* a sequence would grow past n_ctx                                   */
    GPT2_ERR_BUFFER_TOO_SMALL  = -6,  /* caller buffer too small; *n_out holds the size needed              */
    GPT2_ERR_CANCELLED         = -7,  /* the per-token callback asked to stop                               */
    GPT2_ERR_UNSUPPORTED       = -8,  /* valid request this build cannot serve (e.g. CUDA not compiled in)  */
    GPT2_ERR_INTERNAL          = -9   /* a bug: please report with the message                              */
} gpt2_status;

/* Message of the last failed call on this thread ("" if none). Valid until the next call on this thread. */
GPT2_API const char * gpt2_last_error(void);
/* Static name of a status code, e.g. "GPT2_ERR_FORMAT". */
GPT2_API const char * gpt2_status_name(int32_t status);
/* GPT2_API_VERSION of the library actually loaded, and a human-readable build string (version, CPU
 * features detected at run time, CUDA or not). */
GPT2_API int32_t      gpt2_api_version(void);
GPT2_API const char * gpt2_build_info(void);

/* ---------------------------------------------------------------------------------------------------------
 * Model: an immutable GGUF file (llama.cpp's gpt2 architecture) plus its tokenizer, copied into memory
 * (default) or mapped (use_mmap = 1).
 * ------------------------------------------------------------------------------------------------------- */
typedef struct gpt2_model   gpt2_model;
typedef struct gpt2_context gpt2_context;
typedef struct gpt2_sampler gpt2_sampler;

/* Tensor / file types; values are ggml's type ids so a GGUF's numbers can be printed as-is. */
typedef enum gpt2_type {
    GPT2_TYPE_F32    = 0,
    GPT2_TYPE_F16    = 1,
    GPT2_TYPE_Q4_0   = 2,
    GPT2_TYPE_Q4_1   = 3,
    GPT2_TYPE_Q5_0   = 6,
    GPT2_TYPE_Q5_1   = 7,
    GPT2_TYPE_Q8_0   = 8,
    GPT2_TYPE_Q2_K   = 10,
    GPT2_TYPE_Q3_K   = 11,
    GPT2_TYPE_Q4_K   = 12,
    GPT2_TYPE_Q5_K   = 13,
    GPT2_TYPE_Q6_K   = 14,
    GPT2_TYPE_IQ4_NL = 20,
    GPT2_TYPE_BF16   = 30
} gpt2_type;

/* Static name of a tensor type ("f32", "q4_K", ...), as llama.cpp prints it; NULL for an unknown id. */
GPT2_API const char * gpt2_type_name(int32_t type);

/* Where a model's forward pass runs (gpt2_model_params.device). */
typedef enum gpt2_device_kind {
    GPT2_DEVICE_CPU  = 0,   /* the CPU kernels of this library (always available)                       */
    GPT2_DEVICE_CUDA = 1    /* an NVIDIA GPU through libgpt2_cuda.so, loaded on demand from the directory of
                             * libgpt2.so (build with -DGPT2_CUDA=ON); needs the driver's libcuda.so.1     */
} gpt2_device_kind;

typedef struct gpt2_model_params {
    int32_t use_mmap;   /* 0 (default): read the file into anonymous memory, so truncating or rewriting the
                         *   file later cannot affect the loaded model.
                         * 1: map it read-only: faster start, and processes mapping one file share its page
                         *   cache, but the file must not be truncated or rewritten while the model is loaded
                         *   (a read past a truncated end is a SIGBUS, which kills the host process). */
    int32_t device;       /* gpt2_device_kind; 0 (default) = GPT2_DEVICE_CPU. With GPT2_DEVICE_CUDA the weights
                           *   are uploaded once at load and every context of the model decodes on that GPU
                           *   (sampling stays on the CPU: logits rows come back). A missing libgpt2_cuda.so,
                           *   driver or device is GPT2_ERR_UNSUPPORTED naming what is missing.        */
    int32_t device_index; /* which CUDA device (the N of "cuda:N"); 0 (default) = the first. Must be 0 for
                           *   the CPU.                                                                 */
} gpt2_model_params;

GPT2_API gpt2_model_params gpt2_model_default_params(void);

/* Parses a device name as the tools and hosts accept it: "cpu", "cuda" (= "cuda:0") or "cuda:N", into
 * *kind (gpt2_device_kind) and *index. GPT2_ERR_INVALID_ARGUMENT naming the text for anything else. Only
 * parses: whether the device exists is known at gpt2_model_load. */
GPT2_API int32_t gpt2_device_parse(const char * device, int32_t * kind, int32_t * index);

/* Loads and fully validates PATH. On error *out is set to NULL. params may be NULL (defaults). */
GPT2_API int32_t gpt2_model_load(const char * path, const gpt2_model_params * params, gpt2_model ** out);
GPT2_API void    gpt2_model_free(gpt2_model * model);

GPT2_API int32_t gpt2_model_n_vocab(const gpt2_model * model);
GPT2_API int32_t gpt2_model_n_ctx_train(const gpt2_model * model);   /* gpt2.context_length          */
GPT2_API int32_t gpt2_model_n_embd(const gpt2_model * model);
GPT2_API int32_t gpt2_model_n_layer(const gpt2_model * model);
GPT2_API int32_t gpt2_model_n_head(const gpt2_model * model);
GPT2_API int32_t gpt2_model_type(const gpt2_model * model);          /* gpt2_type of the big matrices */
GPT2_API int64_t gpt2_model_n_params(const gpt2_model * model);
GPT2_API int64_t gpt2_model_file_size_bytes(const gpt2_model * model);
GPT2_API int32_t gpt2_model_token_eos(const gpt2_model * model);     /* <|endoftext|> for GPT-2       */
GPT2_API int32_t gpt2_model_token_bos(const gpt2_model * model);
/* The device the model runs on: "cpu" or "cuda:N"; and its name: "cpu" or the GPU's (e.g. "NVIDIA H100 80GB
 * HBM3"). Pointers valid for the model's lifetime; NULL for a NULL model. */
GPT2_API const char * gpt2_model_device(const gpt2_model * model);
GPT2_API const char * gpt2_model_device_name(const gpt2_model * model);
/* general.name from the file ("" if absent); pointer valid for the model's lifetime. */
GPT2_API const char * gpt2_model_name(const gpt2_model * model);
/* Any string metadata value by GGUF key (e.g. "general.description"); NULL if absent or not a string. */
GPT2_API const char * gpt2_model_meta_str(const gpt2_model * model, const char * key);

/* ---------------------------------------------------------------------------------------------------------
 * Tokenizer: byte-level BPE exactly as Hugging Face GPT-2. Thread-safe (the model is immutable).
 * ------------------------------------------------------------------------------------------------------- */

/* Encodes TEXT (TEXT_LEN bytes of UTF-8; invalid bytes are encoded as their byte tokens, never rejected).
 * parse_special = 0: "<|endoftext|>" in the text is plain text; 1: it becomes the special token.
 * Writes up to n_tokens_max ids to tokens and the count (needed size) to *n_out. */
GPT2_API int32_t gpt2_tokenize(const gpt2_model * model, const char * text, int32_t text_len,
                               int32_t parse_special, int32_t * tokens, int32_t n_tokens_max,
                               int32_t * n_out);

/* Raw bytes of one token (may be a partial UTF-8 character). Writes *n_out bytes (no NUL terminator). */
GPT2_API int32_t gpt2_token_to_bytes(const gpt2_model * model, int32_t token, char * buf, int32_t buf_size,
                                     int32_t * n_out);

/* Concatenated bytes of TOKENS; the result may end mid-character. No NUL terminator. */
GPT2_API int32_t gpt2_detokenize(const gpt2_model * model, const int32_t * tokens, int32_t n_tokens,
                                 char * buf, int32_t buf_size, int32_t * n_out);

/* 1 if TOKEN is a special/control token (token_type CONTROL), else 0. */
GPT2_API int32_t gpt2_token_is_special(const gpt2_model * model, int32_t token);

/* ---------------------------------------------------------------------------------------------------------
 * Context: KV caches for up to n_seq_max sequences, scratch buffers, a thread pool, and the logits of the
 * last decode. One thread at a time. The caches hold f16 keys and values by default (f32 for a model whose
 * matrices are f32): 2 * n_layer * n_ctx * n_embd * 2 bytes per sequence, allocated on its first decode.
 * ------------------------------------------------------------------------------------------------------- */

/* Element type of a context's key/value caches. AUTO: f32 for a model whose matrices are f32 (its logits stay
 * those of an all-f32 forward pass), f16 otherwise. Q8_0 (CPU only; blocks of 32 along each head, so the head
 * size must be a multiple of 32, as in every GPT-2) takes 17/32 of f16's bytes: a long context costs about half
 * the memory and each decode step reads about half as many cache bytes, for a small loss of precision. */
typedef enum gpt2_kv_type {
    GPT2_KV_AUTO = 0,
    GPT2_KV_F32  = 1,
    GPT2_KV_F16  = 2,
    GPT2_KV_Q8_0 = 3
} gpt2_kv_type;

typedef struct gpt2_context_params {
    int32_t n_ctx;      /* positions per sequence; 0 = the model's context_length; must be <= it      */
    int32_t n_seq_max;  /* sequences held at once (ids 0..n_seq_max-1); 0 = 1                          */
    int32_t n_batch;    /* most tokens one gpt2_decode call may carry; 0 = 512                         */
    int32_t n_threads;  /* CPU threads for the forward pass; 0 = hardware concurrency                   */
    int32_t kv_type;    /* gpt2_kv_type of the K/V caches; 0 = GPT2_KV_AUTO; CUDA contexts take only AUTO */
} gpt2_context_params;

GPT2_API gpt2_context_params gpt2_context_default_params(void);

/* Parses a KV cache type as the tools and hosts accept it: "auto", "f32", "f16" or "q8_0", into *kv_type;
 * GPT2_ERR_INVALID_ARGUMENT naming the text for anything else. gpt2_kv_type_name is the inverse (static string;
 * "unknown" for other values). */
GPT2_API int32_t gpt2_kv_type_parse(const char * name, int32_t * kv_type);
GPT2_API const char * gpt2_kv_type_name(int32_t kv_type);

GPT2_API int32_t gpt2_context_create(const gpt2_model * model, const gpt2_context_params * params,
                                     gpt2_context ** out);
GPT2_API void    gpt2_context_free(gpt2_context * ctx);

GPT2_API int32_t gpt2_context_n_ctx(const gpt2_context * ctx);
GPT2_API int32_t gpt2_context_n_seq_max(const gpt2_context * ctx);
GPT2_API int32_t gpt2_context_n_batch(const gpt2_context * ctx);
GPT2_API int32_t gpt2_context_n_threads(const gpt2_context * ctx);
/* The K/V caches' gpt2_kv_type as resolved at creation (never AUTO); -1 for a NULL context. */
GPT2_API int32_t gpt2_context_kv_type(const gpt2_context * ctx);

/* Forgets everything cached for SEQ_ID so the id can start a new sequence at position 0. */
GPT2_API int32_t gpt2_context_seq_clear(gpt2_context * ctx, int32_t seq_id);
/* Number of positions cached for SEQ_ID (the position its next token must have). */
GPT2_API int32_t gpt2_context_seq_len(const gpt2_context * ctx, int32_t seq_id);

/* Keeps the first N_POS cached positions of SEQ_ID and forgets the rest (0 <= n_pos <= seq_len): rolls a
 * sequence back, e.g. past drafted tokens that speculative decoding rejected. Every device. */
GPT2_API int32_t gpt2_context_seq_keep(gpt2_context * ctx, int32_t seq_id, int32_t n_pos);

/* Makes sequence DST hold the first N_POS cached positions of SRC (0 <= n_pos <= seq_len(src)); DST's previous
 * positions are forgotten, SRC is unchanged (src == dst is gpt2_context_seq_keep). A request whose prompt starts
 * with another sequence's tokens then decodes only the rest: the copied keys and values are the same bits the
 * prefix would compute again. CPU contexts only (GPT2_ERR_UNSUPPORTED on CUDA). */
GPT2_API int32_t gpt2_context_seq_copy(gpt2_context * ctx, int32_t src, int32_t dst, int32_t n_pos);

/* A KV snapshot: the first n_pos cached positions of a sequence in a buffer of their own (exactly n_pos times
 * the bytes of one position, see gpt2_kv_snapshot_bytes), so a prompt's cache outlives its slot (prompt cache).
 * Restorable into any sequence of any context of the same model. CPU contexts only (GPT2_ERR_UNSUPPORTED on
 * CUDA). A snapshot is immutable: one may be restored by several threads at once into distinct contexts. */
typedef struct gpt2_kv_snapshot gpt2_kv_snapshot;

GPT2_API int32_t gpt2_kv_snapshot_save(const gpt2_context * ctx, int32_t seq_id, int32_t n_pos,
                                       gpt2_kv_snapshot ** out);
/* SEQ_ID := the first N_POS positions of SNAP (n_pos <= gpt2_kv_snapshot_n_pos and <= n_ctx); what SEQ_ID held is
 * forgotten. GPT2_ERR_INVALID_ARGUMENT for a snapshot of another model. */
GPT2_API int32_t gpt2_kv_snapshot_restore(gpt2_context * ctx, int32_t seq_id, const gpt2_kv_snapshot * snap,
                                          int32_t n_pos);
GPT2_API int32_t gpt2_kv_snapshot_n_pos(const gpt2_kv_snapshot * snap);   /* -1 for NULL */
GPT2_API int64_t gpt2_kv_snapshot_bytes(const gpt2_kv_snapshot * snap);   /* memory held; -1 for NULL */
GPT2_API void    gpt2_kv_snapshot_free(gpt2_kv_snapshot * snap);

/* One forward step over a batch of N entries, possibly from several sequences (continuous batching).
 * Entry i appends token tokens[i] at position positions[i] to sequence seq_ids[i]. Within a sequence the
 * entries must be consecutive positions starting at gpt2_context_seq_len(seq) (a prompt is passed as many
 * entries at once and runs as a matrix). want_logits[i] != 0 asks for logits of entry i (typically the
 * last entry of each sequence); want_logits may be NULL = logits for the last entry of each sequence.
 * Validates everything before touching the caches: on error nothing changed.
 * GPT2_ERR_CONTEXT_FULL if a sequence would pass n_ctx; GPT2_ERR_INVALID_ARGUMENT for n > n_batch,
 * bad ids, tokens or positions. */
GPT2_API int32_t gpt2_decode(gpt2_context * ctx, int32_t n, const int32_t * seq_ids,
                             const int32_t * positions, const int32_t * tokens, const int8_t * want_logits);

/* Logits (n_vocab floats) of batch entry I of the last gpt2_decode; NULL (with last error set) if that
 * entry did not ask for logits. Valid until the next gpt2_decode on this context. */
GPT2_API const float * gpt2_get_logits(gpt2_context * ctx, int32_t i);
/* Same, copied into a caller buffer of n_vocab floats. */
GPT2_API int32_t gpt2_copy_logits(gpt2_context * ctx, int32_t i, float * out, int32_t n_vocab);

/* ---------------------------------------------------------------------------------------------------------
 * Sampler: turns one sequence's logits into its next token, and owns that sequence's stopping state
 * (max tokens, EOS, stop strings, context limit) and its UTF-8-safe text stream. One per sequence.
 *
 * Per generated token the host calls gpt2_sampler_sample (picks the token, updates the text stream) and
 * reads the result struct. All penalties and filters run on the sampler's own copy of the logits.
 * Determinism: the same seed, parameters and prompt give the same tokens whatever shares the batch.
 * ------------------------------------------------------------------------------------------------------- */
typedef struct gpt2_sampler_params {
    float    temperature;        /* 0 = greedy (argmax); > 0 scales logits. Range [0, 100]. Default 1.0     */
    int32_t  top_k;              /* keep the k most likely; <= 0 = disabled. Default 0                      */
    float    top_p;              /* nucleus: smallest set with mass >= top_p; 1.0 = disabled. (0, 1]         */
    float    min_p;              /* drop tokens with p < min_p * p_max; 0 = disabled. [0, 1]                 */
    float    typical_p;          /* locally typical sampling mass; 1.0 = disabled. (0, 1]                    */
    float    repetition_penalty; /* Hugging Face semantics over prompt + generated tokens; 1.0 = off. (0, 10] */
    float    presence_penalty;   /* OpenAI semantics over generated tokens; 0 = off. [-2, 2]                 */
    float    frequency_penalty;  /* OpenAI semantics over generated tokens; 0 = off. [-2, 2]                 */
    uint64_t seed;               /* RNG seed (64-bit); every value is valid                                  */
    int32_t  n_top;              /* alternatives to report per token, 0..GPT2_MAX_TOP_N. Default 0           */
    int32_t  max_tokens;         /* stop after this many generated tokens; <= 0 = until context full          */
    int32_t  ignore_eos;         /* 1: EOS is sampled like any token and does not stop. Default 0             */
} gpt2_sampler_params;

GPT2_API gpt2_sampler_params gpt2_sampler_default_params(void);

typedef enum gpt2_finish {
    GPT2_FINISH_NONE    = 0,  /* still generating                                                       */
    GPT2_FINISH_LENGTH  = 1,  /* max_tokens reached                                                     */
    GPT2_FINISH_EOS     = 2,  /* the EOS token was sampled (it is not part of the text)                  */
    GPT2_FINISH_STOP    = 3,  /* a stop string matched (it and all after it are not part of the text)     */
    GPT2_FINISH_CONTEXT = 4   /* the sequence filled n_ctx                                               */
} gpt2_finish;

/* What one gpt2_sampler_sample call produced. */
typedef struct gpt2_sample_result {
    int32_t token;                          /* the chosen token id                                          */
    float   logprob;                        /* its log-probability under the model's distribution (log-softmax
                                               of the raw logits, before temperature/filters/penalties)     */
    int32_t n_top;                          /* alternatives reported (params.n_top, fewer if vocab smaller)  */
    int32_t top_tokens[GPT2_MAX_TOP_N];     /* most likely tokens, descending, same distribution as logprob */
    float   top_logprobs[GPT2_MAX_TOP_N];
    int32_t finish;                         /* gpt2_finish: != NONE means the sequence is done and the host
                                               must not decode the chosen token. LENGTH / CONTEXT: the token
                                               is counted and its text emitted. EOS / STOP: the token is
                                               counted in n_generated but is not text. On any finish the text
                                               buffer also releases everything held back (a partial stop
                                               string that never completed; a broken UTF-8 tail as U+FFFD). */
    int32_t n_generated;                    /* tokens generated so far, this one included                   */
    int32_t text_len;                       /* bytes of new text now safe to emit (see gpt2_sampler_text)   */
} gpt2_sample_result;

GPT2_API int32_t gpt2_sampler_create(const gpt2_model * model, const gpt2_sampler_params * params,
                                     gpt2_sampler ** out);
GPT2_API void    gpt2_sampler_free(gpt2_sampler * sampler);

/* Adds a stop string (UTF-8, 1..GPT2_MAX_STOP_BYTES bytes); at most GPT2_MAX_STOP per sampler. Matched on the decoded text across
 * token boundaries; text that may be the start of a stop string is held back until it cannot be. */
GPT2_API int32_t gpt2_sampler_add_stop(gpt2_sampler * sampler, const char * stop, int32_t stop_len);

/* Feeds the prompt tokens (for repetition_penalty, and so the context limit is known). Call once, before
 * the first sample. n_ctx is the context's positions per sequence. */
GPT2_API int32_t gpt2_sampler_set_prompt(gpt2_sampler * sampler, const int32_t * tokens, int32_t n_tokens,
                                         int32_t n_ctx);

/* Samples the next token from LOGITS (n_vocab floats, e.g. gpt2_get_logits), records it, advances the
 * stopping state and fills *result. The new safe text is fetched with gpt2_sampler_text. */
GPT2_API int32_t gpt2_sampler_sample(gpt2_sampler * sampler, const float * logits, gpt2_sample_result * result);

/* Same, reading the logits of batch entry I of CTX's last decode directly (one call per sequence per step). */
GPT2_API int32_t gpt2_sampler_sample_ctx(gpt2_sampler * sampler, gpt2_context * ctx, int32_t i,
                                         gpt2_sample_result * result);

/* Speculative decoding: a host that decoded a sequence's last token + drafted tokens d_1..d_K (logits on every entry)
 * samples entries 0..K in order with gpt2_sampler_sample_ctx and stops at the first token that is not its draft
 * (or that finishes); the tokens sampled are the sequence's, the KV positions past them are dropped with
 * gpt2_context_seq_keep. With deterministic drafts (prompt lookup, a draft model's greedy tokens) this coupling is
 * lossless speculative sampling: each token is exactly what plain decoding samples (same RNG draws), so greedy
 * and seeded outputs do not change, and a draft d is accepted with probability p(d). */

/* Samples N sequences in one call, spread over CTX's threads (the sequences of one continuous-batching step):
 * samplers[i] (all distinct) reads the logits of batch entry entries[i] of CTX's last decode and fills
 * results[i], exactly as gpt2_sampler_sample_ctx would; statuses[i] receives that item's status. Returns GPT2_OK
 * when every item succeeded, else the first failing item's status, with its message as the last error (the other
 * items are still sampled). Each sampler's result is independent of N and of the thread it ran on. */
GPT2_API int32_t gpt2_sample_batch(gpt2_context * ctx, gpt2_sampler * const * samplers, const int32_t * entries,
                                   int32_t n, gpt2_sample_result * results, int32_t * statuses);

/* Exact scoring (prompt logprobs, evaluation harnesses' loglikelihood): for each i < N, the log-probability of
 * TOKENS[i] under the logits of batch entry ENTRIES[i] of CTX's last decode (the token that followed that entry),
 * i.e. the log-softmax of the raw logits computed exactly as gpt2_sample_result.logprob is, and with N_TOP > 0 the
 * N_TOP most likely tokens as a sampler with n_top reports them. Fills results[i]: token = tokens[i], logprob,
 * n_top, top_tokens / top_logprobs; finish, n_generated and text_len are 0. No sampler state is involved or
 * changed. Spread over CTX's threads; each result is independent of N and of the thread it ran on.
 * n_top in [0, GPT2_MAX_TOP_N]; every entry must have asked for logits and every token be a token id (otherwise
 * GPT2_ERR_INVALID_ARGUMENT naming the item, and results are unspecified). */
GPT2_API int32_t gpt2_score_tokens(gpt2_context * ctx, const int32_t * entries, const int32_t * tokens, int32_t n,
                                   int32_t n_top, gpt2_sample_result * results);

/* Copies the text made safe by the last sample (result.text_len bytes, whole UTF-8 characters, no partial
 * stop string) into BUF. *n_out = bytes written (needed). No NUL terminator. */
GPT2_API int32_t gpt2_sampler_text(const gpt2_sampler * sampler, char * buf, int32_t buf_size, int32_t * n_out);

/* Ends the stream early (e.g. cancellation): moves any held-back text that is not a stop-string match
 * into the text buffer (invalid UTF-8 tail replaced by U+FFFD) and returns it like gpt2_sampler_text. */
GPT2_API int32_t gpt2_sampler_flush(gpt2_sampler * sampler, char * buf, int32_t buf_size, int32_t * n_out);

/* ---------------------------------------------------------------------------------------------------------
 * High-level generation for single-sequence hosts (CLI, simple embedders): tokenize, prefill, then sample
 * and decode until a finish condition, calling ON_TOKEN after every sampled token. The continuous-batching
 * engine of the Java library does not use this; it drives gpt2_decode + gpt2_sampler_sample_ctx itself.
 * ------------------------------------------------------------------------------------------------------- */

/* Per-token callback: TOKEN id, the UTF-8-safe text piece it made emittable (may be empty, never a broken
 * character or a partial stop string), its logprob. Return 0 to continue, non-zero to cancel
 * (gpt2_generate then returns GPT2_ERR_CANCELLED). */
typedef int32_t (*gpt2_token_callback)(int32_t token, const char * piece, int32_t piece_len, float logprob,
                                       void * user_data);

typedef struct gpt2_generate_stats {
    int32_t n_prompt_tokens;
    int32_t n_generated;
    int32_t finish;           /* gpt2_finish */
    double  prompt_ms;        /* total prefill time                                     */
    double  decode_ms;        /* total time of sampled-token decode steps + sampling    */
} gpt2_generate_stats;

/* Runs on sequence 0 of CTX, which is cleared first. PROMPT is tokenized with parse_special = 0.
 * GPT2_ERR_CONTEXT_FULL (no tokens generated) if the prompt alone does not fit n_ctx. Stop strings are
 * given as an array of n_stop NUL-terminated strings. callback may be NULL. stats may be NULL. */
GPT2_API int32_t gpt2_generate(gpt2_context * ctx, const char * prompt, int32_t prompt_len,
                               const gpt2_sampler_params * params, const char * const * stops, int32_t n_stop,
                               gpt2_token_callback callback, void * user_data, gpt2_generate_stats * stats);

#ifdef __cplusplus
}
#endif

#endif /* GPT2_H */
