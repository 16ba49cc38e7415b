package dev.gpt2;

import java.util.concurrent.CompletableFuture;

/** Handle of a submitted request. */
public interface Generation {
    /** Engine-unique id, increasing in submit order. */
    long id();

    /** Stops the generation at the next engine step; its slot is freed and the result completes with CANCELLED. */
    void cancel();

    /** Completes with the result (also when cancelled), or exceptionally with the failure. */
    CompletableFuture<GenerationResult> result();
}
