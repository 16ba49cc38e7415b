// A request's prompt string (or token ids) -> the tokens the engine gets, by the library's one rule (dev.gpt2.PromptPolicy: empty =
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

    /** A prompt given as token ids (OpenAI's array-of-integers prompt): each an id of the vocabulary, same rule. */
    static int[] prepareTokens(Gpt2Model model, int[] tokens, GenerationParams params, String field) {
        int vocab = model.info().vocabSize();
        for (int t : tokens) {
            if (t < 0 || t >= vocab) {
                throw ApiException.invalid(field, "'" + field + "' token ids must be in [0, " + vocab + "), got " + t);
            }
        }
        return dev.gpt2.PromptPolicy.apply(tokens, params, model.info().contextSize(), model.eosToken());
    }
}
