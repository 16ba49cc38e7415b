package dev.gpt2.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.gpt2.ContextOverflowException;
import dev.gpt2.GenerationParams;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;
import dev.gpt2.ParameterException;
import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.language.StreamingLanguageModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The adapter on a tiny random GPT-2 made at test time with the project's gpt2-random. */
class Gpt2LanguageModelTest {
    private static Path modelFile;
    private static Gpt2LanguageModel greedy;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Path.of(System.getProperty("gpt2.test.out.dir", "target"), "test-models");
        Files.createDirectories(dir);
        modelFile = dir.resolve("tiny.gguf");
        if (!Files.exists(modelFile)) {
            Path tool = Path.of(System.getProperty("gpt2.tools.dir", "../../build/release"), "gpt2-random");
            Process p = new ProcessBuilder(tool.toString(), modelFile.toString(), "--layers", "2", "--heads", "2",
                    "--embd", "64", "--ctx", "128", "--seed", "11").redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "gpt2-random failed: " + log);
        }
        greedy = Gpt2LanguageModel.builder().modelPath(modelFile)
                .modelOptions(ModelOptions.builder().batchSlots(4).build())
                .defaults(GenerationParams.builder().temperature(0f).maxNewTokens(12).ignoreEos(true).build())
                .build();
    }

    @AfterAll
    static void close() {
        greedy.close();
    }

    @Test
    void generatesAsALanguageModel() {
        LanguageModel lm = greedy;
        Response<String> a = lm.generate("The meaning of life is");
        assertFalse(a.content().isEmpty());
        assertEquals(12, a.tokenUsage().outputTokenCount());
        assertEquals(greedy.model().tokenize("The meaning of life is").length, a.tokenUsage().inputTokenCount());
        assertEquals(FinishReason.LENGTH, a.finishReason());
        assertEquals(a.content(), lm.generate("The meaning of life is").content(), "greedy is deterministic");
    }

    @Test
    void streamsTheSameTextPieceByPiece() throws Exception {
        StreamingLanguageModel slm = greedy;
        List<String> pieces = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        CompletableFuture<Response<String>> done = new CompletableFuture<>();
        slm.generate("The meaning of life is", new StreamingResponseHandler<>() {
            @Override
            public void onNext(String token) {
                pieces.add(token);
                threads.add(Thread.currentThread().getName());
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
        Response<String> streamed = done.get(60, TimeUnit.SECONDS);
        assertTrue(pieces.size() > 1, "more than one piece: " + pieces);
        assertEquals(String.join("", pieces), streamed.content());
        assertEquals(greedy.generate("The meaning of life is").content(), streamed.content());
        assertEquals(FinishReason.LENGTH, streamed.finishReason());
        assertTrue(threads.stream().allMatch(t -> t.equals("gpt2-langchain4j-stream")), "handler thread: " + threads);
    }

    @Test
    void streamingErrorsGoToOnError() throws Exception {
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        greedy.generate("word ".repeat(300), new StreamingResponseHandler<>() {
            @Override
            public void onNext(String token) {
                failed.completeExceptionally(new AssertionError("no token expected"));
            }

            @Override
            public void onError(Throwable error) {
                failed.complete(error);
            }
        });
        assertInstanceOf(ContextOverflowException.class, failed.get(30, TimeUnit.SECONDS));
    }

    @Test
    void builderValidatesAndSharesAModel() {
        assertThrows(ParameterException.class, () -> Gpt2LanguageModel.builder().model(greedy.model()).topK(-1).build());
        assertThrows(IllegalStateException.class, () -> Gpt2LanguageModel.builder().build());
        // a sampled adapter over the same loaded model: seeded, so repeatable, and different from greedy
        try (Gpt2LanguageModel sampled = Gpt2LanguageModel.builder().model(greedy.model())
                .maxNewTokens(12).temperature(1.5f).seed(42).build()) {
            String a = sampled.generate("The meaning of life is").content();
            assertEquals(a, sampled.generate("The meaning of life is").content());
            assertNotEquals(greedy.generate("The meaning of life is").content(), a);
        }
        Gpt2Model shared = greedy.model();
        assertEquals(12, greedy.generate("still open").tokenUsage().outputTokenCount(), "shared model not closed");
        assertTrue(shared.info().contextSize() > 0);
    }
}
