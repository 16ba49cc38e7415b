// A request's prompt string -> the tokens the engine gets, by the library's one rule (dev.gpt2.PromptPolicy: empty =
// end-of-text, truncate keeps the last N, the prompt must leave room for one token; max new tokens beyond the
// context end the generation there, finish_reason "length"). A prompt that cannot fit answers the API's
// validation error (ErrorDialect maps ContextOverflowException, naming n_prompt_tokens and n_ctx).
package dev.gpt2.server;

import dev.gpt2.GenerationParams;
import dev.gpt2.Gpt2Model;

final class Prompts {
    private Prompts() {
    }

    /** @param field the prompt's API name ("inputs", "prompt"), for the error when it is missing */
    static int[] prepare(Gpt2Model model, String prompt, GenerationParams params, String field) {
        if (prompt == null) {
            throw ApiException.invalid(field, "'" + field + "' is required");
        }
        return model.preparePrompt(prompt, params);
    }
}
