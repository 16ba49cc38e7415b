package dev.gpt2;

/** Speculative decoding's figures of one request: tokens drafted and verified, and of them the accepted ones. */
public record SpeculationStats(long draftedTokens, long acceptedTokens) {
    /** A request that did not speculate. */
    public static final SpeculationStats NONE = new SpeculationStats(0, 0);

    /** acceptedTokens / draftedTokens; 0 when nothing was drafted. */
    public double acceptanceRate() {
        return draftedTokens == 0 ? 0.0 : (double) acceptedTokens / draftedTokens;
    }
}
