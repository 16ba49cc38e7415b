package dev.gpt2;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prompt cache: requests whose prompts share a prefix with a running or a finished sequence (its prompt and
 * what it generated) take that prefix's KV cache and compute only the rest, and give exactly the tokens they give
 * with the cache off (greedy and seeded sampling); the budget bounds what it holds; its counters add up.
 */
class PromptCacheTest {
    private static final int SHARED = 40;

    private static int[] prompt(int variant, int suffix) {
        int[] p = new int[SHARED + suffix];
        for (int j = 0; j < p.length; j++) {
            p[j] = j < SHARED ? (j * 389 + 13) % 50000 : (j * 7919 + variant * 104729 + 5) % 50000;
        }
        return p;
    }

    private static GenerationParams params(int i) {
        GenerationParams.Builder b = GenerationParams.builder().maxNewTokens(8 + i).ignoreEos(true);
        return i % 2 == 0 ? b.temperature(0).build() : b.temperature(0.9f).topK(40).seed(500 + i).build();
    }

    private static int[] concat(int[] a, int[] b, int extra) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length + extra);
        System.arraycopy(b, 0, out, a.length, b.length);
        for (int i = 0; i < extra; i++) {
            out[a.length + b.length + i] = 1000 + i;
        }
        return out;
    }

    private static int[] tokens(Generation g) throws Exception {
        return g.result().get(120, TimeUnit.SECONDS).tokenIds();
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "q8_0"})
    void sameTokensWithTheCacheOnAndOff(String type) throws Exception {
        Path file = TestModels.randomModel("prompt-cache-" + type + ".gguf", "--layers", "2", "--heads", "2",
                "--embd", "64", "--ctx", "128", "--seed", "5", "--type", type);
        ModelOptions base = ModelOptions.builder().threads(2).batchSlots(4).batchTokens(32).prefillChunkTokens(6)
                .build();
        List<int[]> prompts = new ArrayList<>();
        List<GenerationParams> params = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            prompts.add(prompt(i, 5 + 3 * i));
            params.add(params(i));
        }

        // cache on: the first request alone (a miss, its KV kept when it ends), then the three others together
        // (a snapshot and each other's running sequences), then the first again (all but its last token cached),
        // then its prompt + its generated tokens + 3 more (the cache covers generated positions too)
        List<int[]> on = new ArrayList<>();
        EngineStats stats;
        try (Gpt2Model model = Gpt2Model.load(file, base.toBuilder().promptCacheMb(64).build())) {
            on.add(tokens(model.submit(prompts.get(0), params.get(0), new GenerationListener() { })));
            List<Generation> together = new ArrayList<>();
            for (int i = 1; i < 4; i++) {
                together.add(model.submit(prompts.get(i), params.get(i), new GenerationListener() { }));
            }
            for (Generation g : together) {
                on.add(tokens(g));
            }
            on.add(tokens(model.submit(prompts.get(0), params.get(0), new GenerationListener() { })));
            prompts.add(concat(prompts.get(0), on.get(0), 3));
            params.add(params(2));
            on.add(tokens(model.submit(prompts.get(4), params.get(4), new GenerationListener() { })));
            stats = model.stats();
        }
        // cache off: each request alone
        try (Gpt2Model model = Gpt2Model.load(file, base.toBuilder().promptCacheMb(0).batchSlots(1).build())) {
            int[] order = {0, 1, 2, 3, 0, 4};
            for (int k = 0; k < order.length; k++) {
                int i = order[k];
                int[] off = tokens(model.submit(prompts.get(i), params.get(i), new GenerationListener() { }));
                assertArrayEquals(off, on.get(k), type + ": request " + k + " differs with the cache on");
            }
            EngineStats offStats = model.stats();
            assertEquals(0, offStats.promptCacheHits() + offStats.promptCacheMisses() + offStats.promptCacheBytes());
        }
        assertEquals(1, stats.promptCacheMisses(), type + ": only the first request misses: " + stats);
        assertEquals(5, stats.promptCacheHits(), type + ": " + stats);
        // at least: 3 x SHARED, the first prompt but its last token, and the first request's whole sequence
        int[] p0 = prompts.get(0);
        long least = 3L * SHARED + (p0.length - 1) + (p0.length + on.get(0).length - 1);
        assertTrue(stats.promptCacheReusedTokens() >= least, type + ": " + stats);
        assertTrue(stats.promptCacheBytes() > 0, type + ": " + stats);
    }

    @Test
    void theBudgetBoundsWhatIsKeptAndOldEntriesGoFirst() throws Exception {
        // f32 caches of a 2-layer, 64-wide model: 2 * 2 * 64 * 4 = 1 KiB per position; 1 MiB holds 1024
        Path file = TestModels.smallModel();
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(1).batchSlots(2)
                .promptCacheMb(1).build())) {
            GenerationParams greedy = GenerationParams.greedy(2);
            for (int i = 0; i < 14; i++) {   // 14 distinct 100-token prompts: 1400 positions > 1024
                int[] p = new int[100];
                for (int j = 0; j < p.length; j++) {
                    p[j] = (j * 31 + i * 977 + 1) % 50000;
                }
                model.generate(p, greedy);
            }
            EngineStats s = model.stats();
            assertTrue(s.promptCacheBytes() <= 1 << 20, s.toString());
            assertTrue(s.promptCacheBytes() >= 9 * 101 * 1024L, "evicts only what it must: " + s);
            assertEquals(14, s.promptCacheMisses(), s.toString());
            // the latest prompt is still there, the first one is gone
            int[] last = new int[100];
            int[] first = new int[100];
            for (int j = 0; j < 100; j++) {
                last[j] = (j * 31 + 13 * 977 + 1) % 50000;
                first[j] = (j * 31 + 1) % 50000;
            }
            model.generate(last, greedy);
            assertEquals(1, model.stats().promptCacheHits());
            model.generate(first, greedy);
            assertEquals(15, model.stats().promptCacheMisses());
        }
    }

    private static int[] distinct(int length, int variant) {
        int[] p = new int[length];
        for (int j = 0; j < length; j++) {
            p[j] = (j * 4099 + variant * 7727 + 11) % 50000;
        }
        return p;
    }

    @Test
    void pinnedPrefixesSurviveEvictionAndServeLaterPrompts() throws Exception {
        // f32 caches of an 8-layer, 128-wide model: 2 * 8 * 128 * 4 = 8 KiB per position; 1 MiB holds 128
        Path file = TestModels.randomModel("prompt-cache-pin.gguf", "--layers", "8", "--heads", "2", "--embd", "128",
                "--ctx", "128", "--seed", "9");
        int[] system = distinct(60, 0);
        int[] withSystem = concat(system, distinct(9, 1), 0);
        GenerationParams greedy = GenerationParams.greedy(4);
        int[] on;
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(1).batchSlots(2).promptCacheMb(1)
                .build())) {
            assertEquals(60, model.pinPrompt(system));
            for (int i = 0; i < 6; i++) {   // 6 x 42 positions beside the 60 pinned: the budget must evict
                model.generate(distinct(38, 10 + i), greedy);
            }
            EngineStats s = model.stats();
            assertTrue(s.promptCacheBytes() <= 1 << 20, s.toString());
            long reused = s.promptCacheReusedTokens();
            on = model.generate(withSystem, greedy).tokenIds();
            assertEquals(reused + 60, model.stats().promptCacheReusedTokens(), "the pinned prefix served the prompt");

            // 70 more positions do not fit beside the 60 pinned ones, whatever is evicted
            IllegalStateException full = assertThrows(IllegalStateException.class,
                    () -> model.pinPrompt(distinct(70, 2)));
            assertTrue(full.getMessage().contains("budget"), full.getMessage());
            // unpinned, the old pin is an ordinary entry the budget may evict
            model.unpinPrompts();
            assertEquals(70, model.pinPrompt(distinct(70, 2)));
            assertEquals(70, model.pinPrompt(distinct(70, 2)), "pinning what is kept already is fine");
            assertThrows(ParameterException.class, () -> model.pinPrompt(new int[0]));
            assertThrows(ParameterException.class, () -> model.pinPrompt(new int[] {-1}));
        }
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(1).promptCacheMb(0).build())) {
            assertArrayEquals(model.generate(withSystem, greedy).tokenIds(), on, "same tokens with the cache off");
            IllegalStateException off = assertThrows(IllegalStateException.class, () -> model.pinPrompt(system));
            assertTrue(off.getMessage().contains("off"), off.getMessage());
        }
    }

    @Test
    void offMeansNoCounters() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().threads(1)
                .promptCacheMb(0).build())) {
            int[] p = prompt(0, 4);
            model.generate(p, GenerationParams.greedy(3));
            model.generate(p, GenerationParams.greedy(3));
            EngineStats s = model.stats();
            assertEquals(0, s.promptCacheHits() + s.promptCacheMisses() + s.promptCacheReusedTokens()
                    + s.promptCacheBytes());
            assertEquals(2L * p.length, s.promptTokensProcessed());
        }
    }
}
