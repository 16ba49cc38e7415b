package dev.gpt2;

import java.util.Arrays;

/**
 * The one rule for what a prompt becomes before it is generated from, used by {@link Gpt2Model} for every submit and
 * by the server before it answers (so both agree):
 * <ul>
 *   <li>an empty prompt (no tokens) is the end-of-text token alone, as GPT-2 was trained to start a text;</li>
 *   <li>{@code truncate} N &gt; 0 keeps the last N tokens;</li>
 *   <li>the prompt must leave room for one generated token ({@code promptTokens < contextSize}; with
 *       {@code maxNewTokens} 0, a scoring-only request, {@code promptTokens <= contextSize}), else
 *       {@link ContextOverflowException}; {@code maxNewTokens} beyond the room left is not an error: the generation
 *       ends at the context's end with {@link FinishReason#CONTEXT_LENGTH}.</li>
 * </ul>
 */
public final class PromptPolicy {
    private PromptPolicy() {
    }

    /** The tokens to generate from: TOKENS after the rules above (a new array when they change it). */
    public static int[] apply(int[] tokens, GenerationParams params, int contextSize, int eosToken) {
        int[] out = tokens.length == 0 ? new int[] {eosToken} : tokens;
        if (params.truncate() > 0 && out.length > params.truncate()) {
            out = Arrays.copyOfRange(out, out.length - params.truncate(), out.length);
        }
        // a scoring-only request (maxNewTokens 0) may fill the whole context: nothing is generated after it
        if (out.length > contextSize || (out.length == contextSize && params.maxNewTokens() > 0)) {
            throw new ContextOverflowException(out.length, params.maxNewTokens(), contextSize);
        }
        return out;
    }
}
