// Turns a prompt string into the tokens the engine gets: tokenize, apply `truncate` (keep the last N), and
// refuse up front (TGI-style) when prompt + max new tokens cannot fit the context.
package dev.gpt2.server;

import java.util.Arrays;

import dev.gpt2.Gpt2Model;

final class Prompts {
    private Prompts() {
    }

    /**
     * @param field       the prompt's API name ("inputs", "prompt")
     * @param maxField    the max-tokens API name ("max_new_tokens", "max_tokens")
     * @param truncate    0 = off; N > 0 keeps the last N tokens
     */
    static int[] prepare(Gpt2Model model, String prompt, boolean parseSpecial, int truncate, int maxNewTokens,
                         String field, String maxField) {
        if (prompt == null) {
            throw ApiException.invalid(field, "'" + field + "' is required");
        }
        if (prompt.isEmpty()) {
            throw ApiException.invalid(field, "'" + field + "' must not be empty");
        }
        int[] tokens = model.tokenize(prompt, parseSpecial);
        if (tokens.length == 0) {
            throw ApiException.invalid(field, "'" + field + "' produced no tokens");
        }
        if (truncate > 0 && tokens.length > truncate) {
            tokens = Arrays.copyOfRange(tokens, tokens.length - truncate, tokens.length);
        }
        int nCtx = model.info().contextSize();
        if ((long) tokens.length + maxNewTokens > nCtx) {
            throw ApiException.invalid(field, "'" + field + "' tokens + '" + maxField + "' must be <= n_ctx: "
                    + "n_prompt_tokens=" + tokens.length + ", " + maxField + "=" + maxNewTokens + ", n_ctx=" + nCtx
                    + " (shorten the prompt, lower " + maxField + (field.equals("inputs") ? ", or set truncate)"
                    : ", or set truncate)"));
        }
        return tokens;
    }
}
