package dev.gpt2;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exact scoring (GenerationParams.promptLogprobs): the summed prompt logprobs of a text equal gpt2-perplexity's
 * figure for it (one window, first token context only) to 1e-4 nats, on a generated model and on the trained
 * tiny-shakespeare model (skipped when ../shared is absent), also when the prompt cache served part of the text (a
 * cached prefix carries its scores; one without them is not used); scores are the same bits whatever shares the
 * batch; maxNewTokens 0 scores without generating.
 */
class PromptLogprobsTest {
    private static final double TOLERANCE = 1e-4;
    private static final String TEXT = "The quick brown fox jumps over the lazy dog. It was the best of times, it was"
            + " the worst of times, it was the age of wisdom, it was the age of foolishness, and so on for a while.";

    private static GenerationParams scoring(int top) {
        return GenerationParams.builder().maxNewTokens(0).promptLogprobs(true).topNTokens(top).build();
    }

    /** nll_nats_per_token x n_tokens_evaluated of gpt2-perplexity --json over TEXT in windows of CTX. */
    private static double perplexitySum(Path model, String text, int ctx) throws Exception {
        Path file = TestModels.tempDir().resolve("ppl-" + System.nanoTime() + ".txt");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        TestModels.Result r = TestModels.run(List.of(TestModels.tool("gpt2-perplexity").toString(), "-m",
                model.toString(), "-f", file.toString(), "-c", Integer.toString(ctx), "-t", "1", "--json"), null);
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(1, (int) number(r.stdout(), "n_windows"), "the text must fit one window: " + r.stdout());
        return number(r.stdout(), "nll_nats_per_token") * number(r.stdout(), "n_tokens_evaluated");
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    /** Minus the sum of the prompt logprobs (the first token, which has none, excluded). */
    private static double nllSum(GenerationResult r) {
        double sum = 0;
        for (PromptToken t : r.promptLogprobs().subList(1, r.promptLogprobs().size())) {
            sum -= t.logprob();
        }
        return sum;
    }

    private static void checkShape(GenerationResult r, int top) {
        int[] ids = r.promptTokenIds();
        List<PromptToken> scores = r.promptLogprobs();
        assertEquals(ids.length, scores.size());
        assertNull(scores.get(0).logprob());
        assertTrue(scores.get(0).top().isEmpty());
        for (int i = 0; i < ids.length; i++) {
            PromptToken t = scores.get(i);
            assertEquals(ids[i], t.id());
            if (i > 0) {
                assertTrue(t.logprob() <= 0, "logprob " + t.logprob());
                assertEquals(top, t.top().size());
                if (top > 0) {
                    assertTrue(t.top().get(0).logprob() >= t.logprob());
                    for (int j = 1; j < top; j++) {
                        assertTrue(t.top().get(j - 1).logprob() >= t.top().get(j).logprob());
                    }
                }
            }
        }
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(0, r.generatedTokens());
        assertEquals("", r.text());
    }

    private static float[] bits(GenerationResult r) {
        float[] out = new float[r.promptLogprobs().size() - 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = r.promptLogprobs().get(i + 1).logprob();
        }
        return out;
    }

    @Test
    void generatedModelMatchesPerplexityAndBatchMatesChangeNothing() throws Exception {
        Path file = TestModels.smallModel();
        double expected = perplexitySum(file, TEXT, 128);
        GenerationResult alone;
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(1).promptCacheMb(0).build())) {
            alone = model.generate(TEXT, scoring(3));
            checkShape(alone, 3);
            assertEquals(expected, nllSum(alone), TOLERANCE);
            // maxNewTokens 0 without scoring: nothing generated, finish LENGTH
            GenerationResult none = model.generate(TEXT, GenerationParams.builder().maxNewTokens(0).build());
            assertEquals(FinishReason.LENGTH, none.finishReason());
            assertEquals(0, none.generatedTokens());
            assertTrue(none.promptLogprobs().isEmpty());
        }
        // small steps beside a generating batch mate, with the prompt cache holding a prefix of the text: the same
        // bits, and the generation after the prompt is the same as without scoring
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(2).batchSlots(3).batchTokens(9)
                .prefillChunkTokens(4).build())) {
            model.generate(TEXT.substring(0, TEXT.length() / 2), GenerationParams.greedy(3));
            Generation mate = model.submit("Another request", GenerationParams.builder().temperature(0)
                    .maxNewTokens(40).ignoreEos(true).build(), new GenerationListener() { });
            Generation scored = model.submit(TEXT, scoring(3), new GenerationListener() { });
            GenerationResult r = scored.result().get(120, TimeUnit.SECONDS);
            mate.result().get(120, TimeUnit.SECONDS);
            checkShape(r, 3);
            assertArrayEquals(bits(alone), bits(r));
            assertEquals(expected, nllSum(r), TOLERANCE);
            GenerationResult both = model.generate(TEXT, GenerationParams.builder().temperature(0).maxNewTokens(6)
                    .ignoreEos(true).promptLogprobs(true).build());
            assertArrayEquals(bits(alone), bits(both));
            assertArrayEquals(model.generate(TEXT, GenerationParams.builder().temperature(0).maxNewTokens(6)
                    .ignoreEos(true).build()).tokenIds(), both.tokenIds());
            assertTrue(model.stats().promptCacheHits() >= 1, model.stats().toString());
        }
    }

    @Test
    void scoresComeFromTheCacheWhenItHoldsThem() throws Exception {
        Path file = TestModels.smallModel();
        double expected = perplexitySum(file, TEXT, 128);
        GenerationResult alone;
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(1).promptCacheMb(0).build())) {
            alone = model.generate(TEXT, scoring(3));
        }
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(2).batchSlots(2).build())) {
            // a generation's prefix carries no scores: the scoring request computes its prompt in full
            model.generate(TEXT.substring(0, 60), GenerationParams.greedy(2));
            GenerationResult full = model.generate(TEXT, scoring(3));
            assertArrayEquals(bits(alone), bits(full));
            long reused = model.stats().promptCacheReusedTokens();
            assertEquals(0, reused, model.stats().toString());
            // now the cache holds TEXT's scores (3 alternatives): a longer text starting with it reuses them, and so
            // does a request for fewer alternatives; one for more computes its own
            GenerationResult longer = model.generate(TEXT + " And then some more words.", scoring(3));
            int n = alone.promptLogprobs().size();
            assertArrayEquals(bits(alone), java.util.Arrays.copyOf(bits(longer), n - 1));
            assertEquals(alone.promptLogprobs(), longer.promptLogprobs().subList(0, n));
            assertTrue(model.stats().promptCacheReusedTokens() >= reused + n - 1, model.stats().toString());
            GenerationResult fewer = model.generate(TEXT, scoring(2));
            checkShape(fewer, 2);
            assertArrayEquals(bits(alone), bits(fewer));
            for (int i = 1; i < n; i++) {
                assertEquals(alone.promptLogprobs().get(i).top().subList(0, 2), fewer.promptLogprobs().get(i).top());
            }
            assertEquals(expected, nllSum(fewer), TOLERANCE);
            long before = model.stats().promptCacheReusedTokens();
            GenerationResult more = model.generate(TEXT, scoring(5));
            checkShape(more, 5);
            assertArrayEquals(bits(alone), bits(more));
            assertEquals(before, model.stats().promptCacheReusedTokens(), "5 alternatives are not cached");
        }
    }

    @Test
    void aScoringRequestMayFillTheWholeContext() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().threads(1)
                .contextSize(32).build())) {
            int[] p = new int[32];
            for (int i = 0; i < p.length; i++) {
                p[i] = (i * 101 + 7) % 50000;
            }
            GenerationResult r = model.generate(p, scoring(0));
            checkShape(r, 0);
            assertThrows(ContextOverflowException.class, () -> model.generate(p, GenerationParams.greedy(1)));
        }
    }

    private static void assertThrows(Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(type, e);
    }

    @Test
    void trainedModelMatchesPerplexity() throws Exception {
        Path hf = TestModels.toolsDir().resolve("../../../shared/models/tiny-shakespeare").normalize();
        Assumptions.assumeTrue(Files.isDirectory(hf), "no ../shared/models/tiny-shakespeare: skipped");
        Path file = TestModels.tempDir().resolve("tiny-shakespeare-f32.gguf");
        TestModels.Result conv = TestModels.run(List.of(TestModels.tool("gpt2-convert").toString(), hf.toString(),
                file.toString(), "--type", "f32"), null);
        assertEquals(0, conv.exit(), conv.stderr());
        String heldout = Files.readString(hf.resolve("heldout.txt"), StandardCharsets.UTF_8);
        String text = heldout.substring(0, 700);
        double expected = perplexitySum(file, text, 256);
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(2).build())) {
            model.generate(heldout.substring(0, 300), scoring(5));   // a cached prefix, with its scores
            GenerationResult r = model.generate(text, scoring(5));
            checkShape(r, 5);
            assertTrue(model.stats().promptCacheReusedTokens() > 50, "the cache served part of the text: "
                    + model.stats());
            System.out.printf("tiny-shakespeare: %d prompt tokens scored, sum %.6f nats, gpt2-perplexity %.6f, "
                    + "difference %.2e%n", r.promptTokens() - 1, nllSum(r), expected, Math.abs(nllSum(r) - expected));
            assertEquals(expected, nllSum(r), TOLERANCE);
            // a trained model predicts its own text far better than uniform (ln 50257 = 10.8 nats)
            assertTrue(nllSum(r) / (r.promptTokens() - 1) < 7.0, "nll " + nllSum(r) / (r.promptTokens() - 1));
        }
    }

    @Test
    void logprobsOfTheTopAlternativesAreTheSamplersOwn() throws Exception {
        // greedy picks the most likely token; with the prompt extended by it, its prompt score is the sampled logprob
        try (Gpt2Model model = Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().threads(1).build())) {
            GenerationResult g = model.generate(TEXT, GenerationParams.builder().temperature(0).maxNewTokens(1)
                    .topNTokens(4).build());
            int[] prompt = g.promptTokenIds();
            int[] extended = java.util.Arrays.copyOf(prompt, prompt.length + 1);
            extended[prompt.length] = g.tokens().get(0).id();
            GenerationResult s = model.generate(extended, scoring(4));
            PromptToken last = s.promptLogprobs().get(prompt.length);
            assertEquals(g.tokens().get(0).logprob(), last.logprob().floatValue(), 0f);
            List<TopToken> top = new ArrayList<>(last.top());
            assertEquals(g.tokens().get(0).top(), top);
        }
    }
}
