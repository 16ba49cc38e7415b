package dev.gpt2.examples;

import dev.gpt2.GenerationListener;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelInfo;
import dev.gpt2.StreamEvent;

import java.nio.file.Path;

/**
 * Loads a GGUF GPT-2 model and generates text: once blocking, once streamed token by token.
 * Usage: Example MODEL.gguf [PROMPT] [MAX_NEW_TOKENS]
 */
public final class Example {
    private Example() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Example MODEL.gguf [PROMPT] [MAX_NEW_TOKENS]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        String prompt = args.length > 1 ? args[1] : "The meaning of life is";
        int maxNewTokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;

        try (Gpt2Model gpt2 = Gpt2Model.load(model)) {
            ModelInfo info = gpt2.info();
            System.out.printf("loaded %s (%s, %d layers, %,d parameters)%n", info.path(), info.type(), info.layers(),
                    info.parameterCount());

            GenerationResult greedy = gpt2.generate(prompt, GenerationParams.greedy(maxNewTokens));
            System.out.println("greedy: " + prompt + greedy.text());
            System.out.printf("  %d tokens, finish %s, %.1f ms to first token%n", greedy.generatedTokens(),
                    greedy.finishReason(), greedy.timings().timeToFirstTokenMs());

            GenerationParams sampled = GenerationParams.builder().temperature(0.8f).topK(40).seed(42)
                    .maxNewTokens(maxNewTokens).build();
            System.out.print("streamed: " + prompt);
            GenerationResult streamed = gpt2.submit(prompt, sampled, new GenerationListener() {
                @Override
                public void onToken(StreamEvent event) {
                    System.out.print(event.text());
                    System.out.flush();
                }
            }).result().join();
            System.out.printf("%n  %d tokens, finish %s, seed %d%n", streamed.generatedTokens(),
                    streamed.finishReason(), streamed.seed());
        }
    }
}
