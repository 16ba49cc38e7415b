// context.h — defines the opaque gpt2_context of the C API: per-sequence KV caches, the forward pass's
// scratch buffers, the logits of the last decode, and the thread pool. Used by one thread at a time.
//
// KV cache memory: per sequence, K and V each hold (L, n_ctx, C) values, f16 unless the model is f32 (see
// model/kv_cache.h): GPT-2 124M at n_ctx 1024 holds 2 * 12 * 1024 * 768 * 2 bytes = 36 MiB per sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "device/cuda_device.h"
#include "gpt2.h"
#include "kernels/matmul.h"
#include "kernels/thread_pool.h"
#include "model/activation_stats.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace gpt2 {

// Activations of one forward pass, sized for the largest batch seen so far (grown, never shrunk).
struct ForwardScratch {
    std::vector<float> x;       // (T, C) residual stream
    std::vector<float> ln;      // (T, C) layernorm output
    std::vector<float> qkv;     // (T, 3C)
    std::vector<float> atty;    // (T, C) attention output before the projection
    std::vector<float> proj;    // (T, C) projection outputs before the residual add
    std::vector<float> fc;      // (T, F) MLP hidden
    std::vector<float> lnf;     // (R, C) final-norm rows that want logits
    std::vector<float> scores;  // (n_threads, n_ctx) attention scores per thread
    std::vector<float> row;     // (C) one position-embedding row
    MatmulScratch mm;
};

}  // namespace gpt2

struct gpt2_context {
    const gpt2_model *model = nullptr;
    int32_t n_ctx = 0;
    int32_t n_seq_max = 1;
    int32_t n_batch = 512;
    int32_t n_threads = 1;
    gpt2::KvLayout kv;                            // layout and type of every sequence's K/V cache
    std::vector<gpt2::SeqCache> seqs;             // n_seq_max entries
    std::unique_ptr<gpt2::ThreadPool> pool;
    gpt2::ForwardScratch scratch;
    // Logits of the last successful decode: logits_row[i] = row of `logits` for batch entry i, or -1.
    std::vector<float> logits;                    // (R, V)
    std::vector<int32_t> logits_row;              // (n of the last decode)
    std::vector<float> logits_next;               // filled by a decode, swapped in on success
    std::vector<int32_t> logits_row_next;         // likewise for logits_row
    std::vector<int32_t> check_next_pos, check_last_entry;   // (n_seq_max) validation tables of context_decode
    std::vector<std::string> sample_errors;       // per item of gpt2_sample_batch (messages of failed items)
    // When set (gpt2-imatrix), every decode adds the inputs of each matrix product to it. Not owned.
    gpt2::ActivationStats *activation_stats = nullptr;
    // When set (gpt2-imatrix's lookup Fisher, model/lookup_fisher.h), every decode adds a perturbation to the
    // input embeddings and copies out the final norm of every batch row. Not owned.
    gpt2::EmbeddingProbe *embedding_probe = nullptr;
    // The caches and activations on the GPU when the model runs there (then `seqs` keeps only the lengths
    // and forward_batch is not used).
    std::unique_ptr<gpt2::CudaContext> cuda;
};

namespace gpt2 {

// Creates a context (validates params; names the field at fault).
std::unique_ptr<gpt2_context> context_create(const gpt2_model &model, const gpt2_context_params &params);
// Validates the batch completely (see gpt2_decode in gpt2.h), then runs it. On any error nothing changed:
// sequence lengths and the previous logits stay as they were.
void context_decode(gpt2_context &ctx, int32_t n, const int32_t *seq_ids, const int32_t *positions,
                    const int32_t *tokens, const int8_t *want_logits);
// Logits of batch entry I of the last decode; throws GPT2_ERR_INVALID_ARGUMENT if it has none.
const float *context_logits(const gpt2_context &ctx, int32_t i);
void context_check_seq(const gpt2_context &ctx, int32_t seq_id);
// Forgets SEQ_ID's cached positions (its cache memory is kept for the next sequence in that slot).
void context_seq_clear(gpt2_context &ctx, int32_t seq_id);
// Keeps SEQ_ID's first n_pos positions (0 <= n_pos <= its length) and forgets the rest.
void context_seq_keep(gpt2_context &ctx, int32_t seq_id, int32_t n_pos);
// DST := the first n_pos positions of SRC (CPU contexts).
void context_seq_copy(gpt2_context &ctx, int32_t src, int32_t dst, int32_t n_pos);
// The first n_pos positions of SEQ_ID, packed into a snapshot of their own (CPU contexts).
std::unique_ptr<KvSnapshot> context_seq_save(const gpt2_context &ctx, int32_t seq_id, int32_t n_pos);
// SEQ_ID := the first n_pos positions of SNAP, which must come from a context of the same model (CPU contexts).
void context_seq_restore(gpt2_context &ctx, int32_t seq_id, const KvSnapshot &snap, int32_t n_pos);

}  // namespace gpt2
