package dev.gpt2.examples;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import dev.gpt2.langchain4j.Gpt2LanguageModel;
import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.output.Response;

/**
 * GPT-2 as a LangChain4j {@link LanguageModel} (and StreamingLanguageModel), in process: once blocking, once
 * streamed. Usage: LangChain4jExample MODEL.gguf [PROMPT]
 */
public final class LangChain4jExample {
    private LangChain4jExample() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LangChain4jExample MODEL.gguf [PROMPT]");
            System.exit(2);
        }
        String prompt = args.length > 1 ? args[1] : "The meaning of life is";
        try (Gpt2LanguageModel gpt2 = Gpt2LanguageModel.builder()
                .modelPath(Path.of(args[0]))
                .maxNewTokens(24).temperature(0.8f).topK(40).seed(42)
                .build()) {
            Response<String> answer = gpt2.generate(prompt);
            System.out.println("langchain4j: " + answer.content().replace('\n', ' ')
                    + "  [" + answer.finishReason() + ", " + answer.tokenUsage().outputTokenCount() + " tokens]");

            CompletableFuture<Response<String>> done = new CompletableFuture<>();
            System.out.print("langchain4j streamed: ");
            gpt2.generate(prompt, new StreamingResponseHandler<>() {
                @Override
                public void onNext(String token) {
                    System.out.print(token.replace('\n', ' '));
                }

                @Override
                public void onComplete(Response<String> response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            System.out.println("  [" + done.join().finishReason() + "]");
        }
    }
}
