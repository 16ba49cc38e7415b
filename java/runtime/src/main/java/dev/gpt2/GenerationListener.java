package dev.gpt2;

/**
 * Receives the events of a submitted generation. Methods run on the engine thread: they must return quickly and
 * not block. Exactly one of {@link #onComplete} / {@link #onError} is called, last. Exceptions thrown here are
 * caught and do not affect the engine.
 */
public interface GenerationListener {
    default void onToken(StreamEvent event) {
    }

    default void onComplete(GenerationResult result) {
    }

    default void onError(Throwable error) {
    }
}
