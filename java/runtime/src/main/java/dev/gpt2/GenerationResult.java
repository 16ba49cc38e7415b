package dev.gpt2;

import java.util.List;

/**
 * The outcome of one generation. {@code seed} is the one used (chosen by the engine when none was given).
 * {@code promptLogprobs}: every prompt token scored (first one's logprob null) when {@link
 * GenerationParams#promptLogprobs()} asked for it, else empty. {@code speculation} counts its drafted and accepted
 * tokens (zero when it did not speculate).
 */
public record GenerationResult(String text, List<TokenInfo> tokens, FinishReason finishReason, int promptTokens,
                               int generatedTokens, long seed, Timings timings, int[] promptTokenIds,
                               List<PromptToken> promptLogprobs, SpeculationStats speculation) {
    public GenerationResult {
        tokens = List.copyOf(tokens);
        promptTokenIds = promptTokenIds.clone();
        promptLogprobs = List.copyOf(promptLogprobs);
    }

    @Override
    public int[] promptTokenIds() {
        return promptTokenIds.clone();
    }

    /** Ids of the generated tokens, in order. */
    public int[] tokenIds() {
        return tokens.stream().mapToInt(TokenInfo::id).toArray();
    }
}
