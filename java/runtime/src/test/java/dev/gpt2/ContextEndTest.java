package dev.gpt2;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue #8 item 1: sequences driven to the very end of the context (n_ctx - 1 and n_ctx - 2 new tokens after a
 * one-token prompt), several at once in one batch, must leave the engine working: later generations still
 * succeed. The reported failure (engine thread dead after one 1022/1023-token run, every later call
 * ModelClosedException) was seen with a GPT-2-124M-shaped q8_0 model. Cause: a HotSpot C2 scalar-replacement fault
 * on the engine's per-step lists (see the comment on Engine's per-step fields); the fix keeps them as fields.
 */
class ContextEndTest {

    private static GenerationParams toEnd(int n, boolean greedy) {
        GenerationParams.Builder b = GenerationParams.builder().maxNewTokens(n).ignoreEos(true).seed(11);
        return (greedy ? b.temperature(0) : b.temperature(1.0f)).build();
    }

    /** Drives ROUNDS batches of sequences to the context end, then checks a short generation still works. */
    private static void driveToContextEnd(Path model, ModelOptions options, int parallel, int rounds)
            throws Exception {
        try (Gpt2Model m = Gpt2Model.load(model, options)) {
            int nCtx = m.info().contextSize();
            for (int round = 0; round < rounds; round++) {
                List<Generation> running = new ArrayList<>();
                for (int i = 0; i < parallel; i++) {
                    int n = nCtx - 1 - (i % 2);      // 1023 and 1022 of 1024 (127 and 126 of 128)
                    running.add(m.submit("hi", toEnd(n, i % 3 == 0), new GenerationListener() { }));
                }
                for (int i = 0; i < parallel; i++) {
                    GenerationResult r = running.get(i).result().get();
                    assertEquals(nCtx - 1 - (i % 2), r.generatedTokens(), "round " + round + " sequence " + i);
                }
            }
            GenerationResult after = m.generate("hi", GenerationParams.greedy(5));
            assertEquals(5, after.generatedTokens());
            assertEquals(0, m.stats().activeSequences(), "no sequence left active");
        }
    }

    @Test
    void smallModelSurvivesManyRunsToTheContextEnd() throws Exception {
        driveToContextEnd(TestModels.smallModel(), ModelOptions.builder().batchSlots(4).build(), 4, 6);
    }

    /** q8_0 KV caches to their last position (attention reads them up to the end of the buffer). */
    @Test
    void q8_0CachesSurviveRunsToTheContextEnd() throws Exception {
        driveToContextEnd(TestModels.smallModel(), ModelOptions.builder().batchSlots(4).kvCacheType("q8_0").build(),
                4, 2);
    }

    /** The reported pattern (~1000 decode-only steps, then a prefill) on a narrow model with GPT-2's 1024 context. */
    @Test
    void narrowModelWithFullContextSurvivesRunsToTheContextEnd() throws Exception {
        Path model = TestModels.randomModel("narrow-ctx1024.gguf", "--layers", "2", "--heads", "2", "--embd", "64",
                "--ctx", "1024", "--type", "q8_0", "--seed", "7");
        driveToContextEnd(model, ModelOptions.builder().batchSlots(1).build(), 1, 3);
    }

    @Test
    void gpt2SmallShapedQ8ModelSurvivesRunsToTheContextEnd() throws Exception {
        // Runs by default: this is the case that reproduced the C2 fault 5 of 5 times (about 50 s on 2 cores);
        // the narrow model above did not. -Dgpt2.test.skipBig=true skips it for quick local runs.
        org.junit.jupiter.api.Assumptions.assumeFalse(Boolean.getBoolean("gpt2.test.skipBig"),
                "-Dgpt2.test.skipBig=true skips the GPT-2-124M-shaped q8_0 case");
        Path model = TestModels.randomModel("g124-q8.gguf", "--layers", "12", "--heads", "12", "--embd", "768",
                "--ctx", "1024", "--type", "q8_0", "--seed", "7");
        driveToContextEnd(model, ModelOptions.builder().threads(Integer.getInteger("gpt2.test.threads", 0)).build(), 1, 2);
    }
}
