package dev.gpt2;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Speculative decoding is lossless: greedy output is token for token the plain output (alone, amid batch mates that
 * speculate or not, f32 and q8_0), seeded sampling gives the tokens it gives without speculation, whatever shares the batch, and
 * stop strings, token limits, cancellation and the end of the context that fall inside a run of drafted tokens end
 * the sequence exactly where plain decoding ends it. The prompts repeat a pattern, and greedy decoding of the random
 * models loops, so prompt lookup drafts often and both accepted and rejected drafts are exercised (asserted).
 */
class SpeculativeDecodingTest {
    private static final int N = 4;
    private static Path f32;

    @BeforeAll
    static void models() throws Exception {
        f32 = model("f32");
    }

    private static Path model(String type) throws Exception {
        return TestModels.randomModel("speculative-" + type + ".gguf", "--layers", "2", "--heads", "2", "--embd", "64",
                "--ctx", "128", "--seed", "5", "--type", type);
    }

    /** A prompt that repeats a pattern of 3 + i tokens, so lookup finds matches at once. */
    private static int[] prompt(int i) {
        int period = 3 + i;
        int[] p = new int[12 + 5 * i];
        for (int j = 0; j < p.length; j++) {
            p[j] = ((j % period) * 977 + i * 4099 + 11) % 50000;
        }
        return p;
    }

    private static GenerationParams.Builder greedy(int i) {
        return GenerationParams.builder().temperature(0).maxNewTokens(20 + 7 * i).ignoreEos(true);
    }

    private static GenerationResult[] run(Path file, ModelOptions options, GenerationParams[] params) throws Exception {
        try (Gpt2Model model = Gpt2Model.load(file, options)) {
            List<Generation> gens = new ArrayList<>();
            for (int i = 0; i < params.length; i++) {
                gens.add(model.submit(prompt(i), params[i], new GenerationListener() {
                }));
            }
            GenerationResult[] out = new GenerationResult[params.length];
            for (int i = 0; i < params.length; i++) {
                out[i] = gens.get(i).result().get(120, TimeUnit.SECONDS);
            }
            return out;
        }
    }

    private static GenerationParams[] all(java.util.function.IntFunction<GenerationParams> f) {
        GenerationParams[] p = new GenerationParams[N];
        Arrays.setAll(p, f);
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "q8_0"})
    void greedyOutputIsThePlainOutput(String type) throws Exception {
        Path file = type.equals("f32") ? f32 : model(type);
        ModelOptions alone = ModelOptions.builder().threads(1).batchSlots(1).build();
        GenerationResult[] plain = run(file, alone, all(i -> greedy(i).speculate(0).build()));
        GenerationResult[] spec = run(file, alone, all(i -> greedy(i).speculate(6).build()));
        // amid batch mates: odd requests speculate, even ones do not; a small batch clamps the drafts
        GenerationResult[] mixed = run(file, ModelOptions.builder().threads(2).batchSlots(4).batchTokens(12)
                .prefillChunkTokens(4).build(), all(i -> greedy(i).speculate(i % 2 == 1 ? 4 : 0).build()));
        // the engine's default (speculate = -1 takes ModelOptions.speculativeTokens)
        GenerationResult[] byDefault = run(file, ModelOptions.builder().threads(2).batchSlots(4)
                .speculativeTokens(8).build(), all(i -> greedy(i).build()));
        long drafted = 0, accepted = 0;
        for (int i = 0; i < N; i++) {
            assertArrayEquals(plain[i].tokenIds(), spec[i].tokenIds(), type + " request " + i + " alone");
            assertEquals(plain[i].text(), spec[i].text());
            assertArrayEquals(plain[i].tokenIds(), mixed[i].tokenIds(), type + " request " + i + " amid mates");
            assertArrayEquals(plain[i].tokenIds(), byDefault[i].tokenIds(), type + " request " + i + " by default");
            assertEquals(SpeculationStats.NONE, plain[i].speculation());
            drafted += spec[i].speculation().draftedTokens();
            accepted += spec[i].speculation().acceptedTokens();
        }
        assertTrue(drafted > accepted && accepted > 0, "drafted " + drafted + ", accepted " + accepted);
    }

    @Test
    void seededSamplingIsThePlainOutput() throws Exception {
        java.util.function.IntFunction<GenerationParams.Builder> sampled = i -> GenerationParams.builder()
                .temperature(0.7f).topK(3).seed(77 + i).maxNewTokens(30).ignoreEos(true);
        GenerationResult[] plain = run(f32, ModelOptions.builder().threads(1).batchSlots(1).build(),
                all(i -> sampled.apply(i).speculate(0).build()));
        GenerationParams[] params = all(i -> sampled.apply(i).speculate(5).build());
        GenerationResult[] a = run(f32, ModelOptions.builder().threads(1).batchSlots(1).build(), params);
        GenerationResult[] b = run(f32, ModelOptions.builder().threads(2).batchSlots(4).batchTokens(16).build(),
                params);
        long drafted = 0, accepted = 0;
        for (int i = 0; i < N; i++) {
            assertArrayEquals(plain[i].tokenIds(), a[i].tokenIds(), "request " + i + " alone");
            assertArrayEquals(plain[i].tokenIds(), b[i].tokenIds(), "request " + i + " amid batch mates");
            drafted += a[i].speculation().draftedTokens();
            accepted += a[i].speculation().acceptedTokens();
        }
        assertTrue(drafted > accepted && accepted > 0, "drafted " + drafted + ", accepted " + accepted);
    }

    @Test
    void stopStringsAndTokenLimitsInsideADraftEndWherePlainDecodingEnds() throws Exception {
        ModelOptions o = ModelOptions.builder().threads(1).batchSlots(2).build();
        GenerationResult[] plain = run(f32, o, all(i -> greedy(i).speculate(0).build()));
        for (int i = 0; i < N; i++) {
            String text = plain[i].text();
            // a stop string from the middle of the plain text, and limits at every length up to 12
            String stop = text.substring(text.length() / 2, Math.min(text.length(), text.length() / 2 + 3));
            if (stop.isEmpty()) {
                continue;
            }
            final int req = i;
            GenerationResult[] plainStop = run(f32, o, all(j -> greedy(j).speculate(0).stop(stop).build()));
            GenerationResult[] specStop = run(f32, o, all(j -> greedy(j).speculate(6).stop(stop).build()));
            assertEquals(plainStop[req].text(), specStop[req].text(), "stop " + stop);
            assertArrayEquals(plainStop[req].tokenIds(), specStop[req].tokenIds());
            assertEquals(FinishReason.STOP_SEQUENCE, specStop[req].finishReason());
        }
        for (int limit = 1; limit <= 12; limit += 3) {
            final int l = limit;
            GenerationResult[] spec = run(f32, o, all(i -> greedy(i).maxNewTokens(l).speculate(8).build()));
            for (int i = 0; i < N; i++) {
                assertArrayEquals(Arrays.copyOf(plain[i].tokenIds(), l), spec[i].tokenIds(), "limit " + l);
                assertEquals(FinishReason.LENGTH, spec[i].finishReason());
            }
        }
    }

    @Test
    void theContextEndInsideADraftIsNotPassed() throws Exception {
        // context 40: the prompts (12..27 tokens) leave 13..28 positions, less than the token limits
        ModelOptions small = ModelOptions.builder().threads(1).batchSlots(2).contextSize(40).build();
        GenerationParams[] plainParams = all(i -> greedy(i).maxNewTokens(100).speculate(0).build());
        GenerationParams[] specParams = all(i -> greedy(i).maxNewTokens(100).speculate(16).build());
        GenerationResult[] plain = run(f32, small, plainParams);
        GenerationResult[] spec = run(f32, small, specParams);
        for (int i = 0; i < N; i++) {
            assertEquals(FinishReason.CONTEXT_LENGTH, spec[i].finishReason());
            assertArrayEquals(plain[i].tokenIds(), spec[i].tokenIds(), "request " + i);
            assertEquals(40, plain[i].promptTokens() + spec[i].generatedTokens());
        }
    }

    @Test
    void everyAcceptedTokenIsItsOwnEventInOrder() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(f32, ModelOptions.builder().threads(1).batchSlots(1).build())) {
            List<StreamEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            GenerationResult r = model.submit(prompt(2), greedy(2).speculate(8).build(), new GenerationListener() {
                @Override
                public void onToken(StreamEvent event) {
                    events.add(event);
                }
            }).result().get(60, TimeUnit.SECONDS);
            assertTrue(r.speculation().acceptedTokens() > 0);
            assertEquals(r.generatedTokens(), events.size());
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i, events.get(i).index());
                assertEquals(r.tokens().get(i).id(), events.get(i).token().id());
                text.append(events.get(i).text());
            }
            assertEquals(r.text(), text.toString());
        }
    }

    @Test
    void cancellingInsideAnAcceptedRunStopsTheEvents() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(f32, ModelOptions.builder().threads(1).batchSlots(2).build())) {
            AtomicInteger events = new AtomicInteger();
            Generation[] self = new Generation[1];
            java.util.concurrent.CountDownLatch submitted = new java.util.concurrent.CountDownLatch(1);
            Generation g = model.submit(prompt(0), greedy(0).maxNewTokens(60).speculate(8).build(),
                    new GenerationListener() {
                        @Override
                        public void onToken(StreamEvent event) {
                            if (events.incrementAndGet() == 10) {
                                try {
                                    submitted.await();
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                                self[0].cancel();
                            }
                        }
                    });
            self[0] = g;
            submitted.countDown();
            GenerationResult r = g.result().get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals(10, events.get(), "no event after the cancelling one");
            // the slot serves the next request with the plain result
            GenerationResult next = model.generate(prompt(1), greedy(1).speculate(8).build());
            GenerationResult plain = model.generate(prompt(1), greedy(1).speculate(0).build());
            assertArrayEquals(plain.tokenIds(), next.tokenIds());
            EngineStats stats = model.stats();
            assertTrue(stats.draftedTokens() >= stats.acceptedDraftTokens() && stats.acceptedDraftTokens() > 0);
        }
    }
}
