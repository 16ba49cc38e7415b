package dev.gpt2;

/** A snapshot of the engine's state and counters since the model was loaded. */
public record EngineStats(int activeSequences, int queuedRequests, int batchSlots, int queueCapacity,
                          long requestsCompleted, long requestsCancelled, long requestsRejected, long tokensGenerated,
                          long promptTokensProcessed) {
}
