// sampler.h — defines the opaque `gpt2_sampler` of the C API: one sequence's sampling state (parameters,
// RNG, penalty counts, reusable buffers) and stopping state (max tokens, EOS, stop strings, context limit,
// UTF-8-safe text stream). Independent of the model file so it can be tested with made-up vocabularies.
//
// Order of operations for each token (Hugging Face's generate order):
//   1. log-softmax of the RAW logits -> logprob of the chosen token and the top-n alternatives;
//   2. on a copy: repetition penalty (prompt + generated), then presence / frequency penalties (generated);
//   3. temperature == 0: argmax (ties -> lowest id), filters skipped;
//      else temperature -> top-k -> top-p -> min-p -> typical-p -> draw from the softmax of what is left.
//   4. stopping: EOS (unless ignore_eos) > stop string > max_tokens (LENGTH) > n_ctx (CONTEXT).
//
// Speculative decoding needs nothing of its own here: the host samples each drafted position with sample() and
// a draft is accepted iff it equals the token sample() picked. Drafts are deterministic (a point-mass proposal q),
// and for such a proposal this coupling is a valid form of speculative sampling: the token is exactly a plain
// sample, so it follows p, the draft d is accepted with probability p(d), and the RNG advances as in plain
// decoding, so output is token for token the same with and without speculation (greedy and seeded sampling).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gpt2.h"
#include "sampler/filters.h"
#include "sampler/penalties.h"
#include "sampler/rng.h"
#include "sampler/text_stream.h"

namespace gpt2 {

// Raw bytes of a token id (0 <= id < n_vocab).
using TokenBytesFn = std::function<std::string_view(int32_t)>;

// Throws Error(GPT2_ERR_INVALID_ARGUMENT) naming the first field out of its documented range (or NaN/inf).
void sampler_params_validate(const gpt2_sampler_params &params);

// Fills top_tokens / top_logprobs (descending, ties -> lower id) of RESULT with the N best of LOGITS under
// LOG_Z (log of the softmax normaliser). One pass with an insertion list of at most n entries.
void logits_top_n(const float *logits, int32_t n_vocab, double log_z, int32_t n, gpt2_sample_result &result);

// log Z of the softmax of LOGITS (n_vocab raw logits): the normaliser every reported logprob is taken under.
// Throws GPT2_ERR_INVALID_ARGUMENT for a NaN or +inf logit or all -inf. SCRATCH holds n_vocab floats.
double logits_log_z(const float *logits, int32_t n_vocab, float *scratch);

// Exact scoring: the logprob of TOKEN under LOGITS and, with n_top > 0, the n_top most likely tokens, into
// RESULT (token, logprob, n_top, top_*; finish, n_generated, text_len = 0), by the very computation that gives a
// sampled token's gpt2_sample_result.logprob. SCRATCH holds n_vocab floats.
void score_token(const float *logits, int32_t n_vocab, int32_t token, int32_t n_top, float *scratch,
                 gpt2_sample_result &result);

}  // namespace gpt2

struct gpt2_sampler {
    // Validates PARAMS (throws). TOKEN_EOS may be -1 (none).
    gpt2_sampler(const gpt2_sampler_params &params, int32_t n_vocab, int32_t token_eos,
                 gpt2::TokenBytesFn token_bytes);

    void add_stop(const char *stop, int32_t stop_len);
    void set_prompt(const int32_t *tokens, int32_t n_tokens, int32_t n_ctx);
    // Picks the next token from LOGITS (n_vocab floats), updates all state, fills *result.
    void sample(const float *logits, gpt2_sample_result &result);
    // Releases held-back text (cancellation) into text() and finishes the stream. Repeated calls keep
    // text() as the first call left it (so a caller can retry with a bigger buffer); after a finish
    // reported by sample() nothing is held, and the first flush leaves text() empty.
    void flush();

    const std::string &text() const { return stream_.text(); }
    bool finished() const { return finish_ != GPT2_FINISH_NONE || stream_.finished(); }
    int32_t n_vocab() const { return n_vocab_; }
    const gpt2_sampler_params &params() const { return params_; }

private:
    gpt2_sampler_params params_;
    int32_t n_vocab_;
    int32_t token_eos_;
    gpt2::TokenBytesFn token_bytes_;
    gpt2::Rng rng_;
    gpt2::PenaltyState penalties_;
    gpt2::CandidateSet candidates_;
    std::vector<float> work_;       // penalised logits, reused
    gpt2::TextStream stream_;
    int32_t n_prompt_ = 0;
    int32_t n_ctx_ = 0;             // 0 = not known (set_prompt not called): no context limit
    int32_t n_generated_ = 0;
    int32_t finish_ = GPT2_FINISH_NONE;
    bool flushed_ = false;

    // Speculative sampling's accept / reject of DRAFT over the filtered candidates (temperature > 0).

};
