package dev.gpt2;

/**
 * Receives the events of a submitted generation. Methods run on the engine thread: they must return quickly and
 * not block. Exactly one of {@link #onComplete} / {@link #onError} is called, last. Exceptions thrown here are
 * caught and do not affect the engine.
 */
public interface GenerationListener {
    /**
     * Once, when the whole prompt is in and scored, before the first {@link #onToken} (and before onComplete for
     * a scoring-only request): only for requests with {@link GenerationParams#promptLogprobs()}. PROMPT_LOGPROBS
     * is what {@link GenerationResult#promptLogprobs()} will hold (the first token's logprob null).
     */
    default void onPromptScored(java.util.List<PromptToken> promptLogprobs) {
    }

    default void onToken(StreamEvent event) {
    }

    default void onComplete(GenerationResult result) {
    }

    default void onError(Throwable error) {
    }
}
