package dev.gpt2;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The README's promise, proven: the same prompt, parameters and seed give the same token ids whatever else shares
 * the batch — run alone, amid batch mates of other lengths, in other slots, with the prompt prefilled in other
 * chunk sizes, with the prompt cache hit (a prefix's KV restored from a finished or copied from a running sequence)
 * or missed — for greedy and seeded sampling, for every weight type the random-model tool writes. (The kernels
 * are batch-invariant: a token's arithmetic does not depend on its batch; test_kernels and test_steady_state prove
 * that below the engine, test_steady_state for every weight type the runtime reads, k-quants included. Speculative
 * decoding keeps the same tokens too: SpeculativeDecodingTest and DraftModelTest.)
 */
class DeterminismTest {
    private static final int N = 6;

    private static GenerationParams params(int i) {
        GenerationParams.Builder b = GenerationParams.builder().maxNewTokens(10 + 3 * i).ignoreEos(true);
        return i % 2 == 0 ? b.temperature(0).build() : b.temperature(0.9f).topK(40).topP(0.95f).seed(1000 + i).build();
    }

    private static int[] prompt(int i) {
        int[] p = new int[3 + 11 * i];
        for (int j = 0; j < p.length; j++) {
            p[j] = (j * 389 + i * 7919 + 13) % 50000;
        }
        return p;
    }

    /** Token ids of the N requests, submitted together in ORDER into an engine built with OPTIONS. */
    private static int[][] run(Path file, ModelOptions options, int[] order) throws Exception {
        int[][] out = new int[N][];
        try (Gpt2Model model = Gpt2Model.load(file, options)) {
            List<Generation> gens = new ArrayList<>();
            for (int i : order) {
                gens.add(model.submit(prompt(i), params(i), new GenerationListener() {
                }));
            }
            for (int k = 0; k < order.length; k++) {
                out[order[k]] = gens.get(k).result().get(120, TimeUnit.SECONDS).tokenIds();
            }
        }
        return out;
    }

    /** PROMPT(i) after 30 tokens all the requests share: prompt-cache hits. */
    private static int[] sharedPrompt(int i) {
        int[] own = prompt(i);
        int[] p = new int[30 + own.length];
        for (int j = 0; j < 30; j++) {
            p[j] = (j * 577 + 3) % 50000;
        }
        System.arraycopy(own, 0, p, 30, own.length);
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "q8_0", "q4_0"})
    void tokensDoNotDependOnPromptCacheHits(String type) throws Exception {
        Path file = TestModels.randomModel("determinism-cache-" + type + ".gguf", "--layers", "2", "--heads", "2",
                "--embd", "64", "--ctx", "128", "--seed", "11", "--type", type);
        int[][] alone = new int[N][];
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(1).batchSlots(1).promptCacheMb(0)
                .build())) {
            for (int i = 0; i < N; i++) {
                alone[i] = model.generate(sharedPrompt(i), params(i)).tokenIds();
            }
        }
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(2).batchSlots(3).batchTokens(16)
                .prefillChunkTokens(5).promptCacheMb(16).build())) {
            // first round: misses and copies of running sequences; second: the finished ones' snapshots
            for (int round = 0; round < 2; round++) {
                List<Generation> gens = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    int k = round == 0 ? i : N - 1 - i;
                    gens.add(model.submit(sharedPrompt(k), params(k), new GenerationListener() {
                    }));
                }
                for (int i = 0; i < N; i++) {
                    int k = round == 0 ? i : N - 1 - i;
                    assertArrayEquals(alone[k], gens.get(i).result().get(120, TimeUnit.SECONDS).tokenIds(),
                            type + " request " + k + " in round " + round);
                }
            }
            EngineStats s = model.stats();
            org.junit.jupiter.api.Assertions.assertTrue(s.promptCacheHits() >= N + 1 && s.promptCacheMisses() >= 1,
                    s.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "q8_0", "q4_0"})
    void tokensDoNotDependOnBatchMatesSlotsOrChunking(String type) throws Exception {
        Path file = TestModels.randomModel("determinism-" + type + ".gguf", "--layers", "2", "--heads", "2", "--embd",
                "64", "--ctx", "128", "--seed", "11", "--type", type);
        int[] forward = {0, 1, 2, 3, 4, 5}, backward = {5, 4, 3, 2, 1, 0};
        // alone: one slot (the queue runs them one at a time), the whole prompt in one step
        int[][] alone = run(file, ModelOptions.builder().threads(1).batchSlots(1).build(), forward);
        ModelOptions[] shared = {
            ModelOptions.builder().threads(2).batchSlots(4).batchTokens(16).prefillChunkTokens(3).build(),
            ModelOptions.builder().threads(1).batchSlots(3).batchTokens(7).prefillChunkTokens(5).build(),
            ModelOptions.builder().threads(2).batchSlots(6).batchTokens(64).prefillChunkTokens(64).build(),
        };
        for (ModelOptions o : shared) {
            for (int[] order : new int[][] {forward, backward}) {
                int[][] got = run(file, o, order);
                for (int i = 0; i < N; i++) {
                    assertArrayEquals(alone[i], got[i], type + " request " + i + " with " + o);
                }
            }
        }
    }
}
