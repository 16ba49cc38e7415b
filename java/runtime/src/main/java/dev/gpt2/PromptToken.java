package dev.gpt2;

import java.util.List;

/**
 * One prompt token as scored by the model (prompt logprobs, {@link GenerationParams#promptLogprobs()}): id, its
 * bytes as lossy UTF-8 text, its log-probability given the tokens before it (null for the first token, which has
 * no context), and the most likely alternatives at its position (topNTokens of them; empty for the first token).
 */
public record PromptToken(int id, String text, Float logprob, List<TopToken> top) {
    public PromptToken {
        top = List.copyOf(top);
    }
}
