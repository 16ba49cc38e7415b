package dev.gpt2;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One submitted generation: what was asked (tokens, params, seed, listener) and, once admitted, its engine-side
 * state (slot, positions fed, sampler, text so far). Engine-side fields are touched only by the engine thread;
 * {@link #cancelled} is the one field other threads write.
 */
final class Request implements Generation {
    final long id;
    final int[] promptTokens;
    final GenerationParams params;
    final long seed;
    final GenerationListener listener;
    final Engine engine;
    final long submitNanos;
    final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    volatile boolean cancelled;
    /** Set before submit by Gpt2Model.pinPrompt: its cached positions are kept in the prompt cache, never evicted. */
    boolean pin;
    /** Why a pin request's prefix could not be kept (set by the engine before the result completes); null if kept. */
    volatile String pinFailure;
    /** Test hook: added to this sequence's positions, so that gpt2_decode rejects its entries. */
    volatile int positionSkewForTest;

    // ---- engine thread only ----
    int slot = -1;
    NativeSampler sampler;
    SpeculativeState spec;  // null: not speculative
    int nPast;              // positions cached for this sequence
    int nPromptFed;         // prompt tokens decoded so far
    int lastToken;          // sampled token to decode next
    final List<TokenInfo> tokens = new ArrayList<>();
    /** Prompt tokens scored so far (params.promptLogprobs()); null when not asked for. */
    final List<PromptToken> promptScores;
    boolean promptScoresSent;   // listener.onPromptScored has run
    final StringBuilder text = new StringBuilder();
    long admitNanos;
    long firstTokenNanos;
    double promptMs;
    double decodeMs;

    Request(long id, int[] promptTokens, GenerationParams params, long seed, GenerationListener listener,
            Engine engine) {
        this.id = id;
        this.promptTokens = promptTokens;
        this.params = params;
        this.seed = seed;
        this.listener = listener;
        this.engine = engine;
        this.submitNanos = System.nanoTime();
        this.promptScores = params.promptLogprobs() ? new ArrayList<>() : null;
    }

    /** Token of cached position I (< nPast): a prompt token, then the generated ones. */
    int cachedToken(int i) {
        return i < promptTokens.length ? promptTokens[i] : tokens.get(i - promptTokens.length).id();
    }

    /** Whether the last prompt token's logits are sampled (false for a scoring-only request, maxNewTokens 0). */
    boolean samples() {
        return params.maxNewTokens() > 0;
    }

    boolean prefilling() {
        return nPromptFed < promptTokens.length;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public void cancel() {
        if (!cancelled && !result.isDone()) {
            cancelled = true;
            engine.cancelled(this);
        }
    }

    @Override
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    @Override
    public String toString() {
        return "Generation#" + id;
    }
}
