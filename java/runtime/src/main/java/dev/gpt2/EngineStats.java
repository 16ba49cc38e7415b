package dev.gpt2;

/**
 * A snapshot of the engine's state and counters since the model was loaded. Prompt cache: requests that reused a
 * cached prefix (hits) or found none (misses), prompt tokens taken from the cache instead of computed, and the bytes
 * its kept snapshots hold (all 0 when it is off). draftedTokens / acceptedDraftTokens: speculative decoding's
 * verified drafts and, of them, the accepted ones.
 */
public record EngineStats(int activeSequences, int queuedRequests, int batchSlots, int queueCapacity,
                          long requestsCompleted, long requestsCancelled, long requestsRejected, long tokensGenerated,
                          long promptTokensProcessed, long promptCacheHits, long promptCacheMisses,
                          long promptCacheReusedTokens, long promptCacheBytes, long draftedTokens,
                          long acceptedDraftTokens) {
    /** acceptedDraftTokens / draftedTokens; 0 before any draft. */
    public double draftAcceptanceRate() {
        return draftedTokens == 0 ? 0.0 : (double) acceptedDraftTokens / draftedTokens;
    }
}
