package dev.gpt2;

import java.util.List;

/**
 * One generated token: id, its own bytes as lossy UTF-8 text (a token may hold part of a character), its logprob
 * under the model, whether it is a special token, and the most likely alternatives (empty unless topNTokens > 0).
 */
public record TokenInfo(int id, String text, float logprob, boolean special, List<TopToken> top) {
    public TokenInfo {
        top = List.copyOf(top);
    }
}
