package dev.gpt2;

/**
 * The prompt (after truncation) alone does not fit the context: at least one position must remain for a generated
 * token, so promptTokens must be below contextSize. Status is GPT2_ERR_CONTEXT_FULL (-5).
 */
public final class ContextOverflowException extends Gpt2Exception {
    /** gpt2_status GPT2_ERR_CONTEXT_FULL. */
    public static final int STATUS_CONTEXT_FULL = -5;

    private final int promptTokens;
    private final int maxNewTokens;
    private final int contextSize;

    public ContextOverflowException(int promptTokens, int maxNewTokens, int contextSize) {
        super(STATUS_CONTEXT_FULL, "prompt does not fit the context: n_prompt_tokens=" + promptTokens
                + " must be < n_ctx=" + contextSize + " (max_new_tokens=" + maxNewTokens + ")");
        this.promptTokens = promptTokens;
        this.maxNewTokens = maxNewTokens;
        this.contextSize = contextSize;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    public int contextSize() {
        return contextSize;
    }
}
