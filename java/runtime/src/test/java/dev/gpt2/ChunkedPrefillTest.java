package dev.gpt2;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chunked prefill: while other sequences decode, a step carries at most prefillChunkTokens prompt tokens, so a
 * long prompt joins in slices instead of stalling every stream for one big batch; prompts are fed in order of
 * arrival whatever slot they got; and the output is the same tokens as with one-batch prefill (the kernels are
 * batch-invariant).
 */
class ChunkedPrefillTest {
    private static final int CHUNK = 2;

    private static int[] longPrompt(int n, int salt) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = (i * 131 + salt * 7 + 11) % 50000;
        }
        return p;
    }

    /** Records the engine time of a request's first token. */
    private static final class FirstToken implements GenerationListener {
        final AtomicLong nanos = new AtomicLong();

        @Override
        public void onToken(StreamEvent event) {
            nanos.compareAndSet(0, System.nanoTime());
        }
    }

    @Test
    void longPromptBesideDecodingStreamsIsFedInChunksAndInArrivalOrder() throws Exception {
        Path file = TestModels.randomModel("chunked.gguf", "--layers", "4", "--heads", "4", "--embd", "128", "--ctx",
                "1024", "--seed", "3");
        ModelOptions options = ModelOptions.builder().threads(1).batchSlots(3).prefillChunkTokens(CHUNK).build();
        GenerationParams longRun = GenerationParams.builder().temperature(0).maxNewTokens(1000).ignoreEos(true)
                .build();
        GenerationParams one = GenerationParams.builder().temperature(0).maxNewTokens(4).ignoreEos(true).build();
        int[] promptA = longPrompt(900, 1), promptB = longPrompt(900, 2);
        try (Gpt2Model model = Gpt2Model.load(file, options)) {
            // three streams decoding fill slots 0, 1, 2
            Generation s0 = model.submit(new int[] {1, 2, 3}, longRun, new GenerationListener() {
            });
            Generation s1 = model.submit(new int[] {4, 5, 6}, longRun, new GenerationListener() {
            });
            Generation s2 = model.submit(new int[] {7, 8, 9}, longRun, new GenerationListener() {
            });
            // A arrives and gets slot 2; while A is being fed (900 tokens, CHUNK per step), slot 0 frees and B,
            // which arrived later, takes it: A must still be fed first
            FirstToken a = new FirstToken(), b = new FirstToken();
            Generation ga = model.submit(promptA, one, a);
            s2.cancel();
            Thread.sleep(100);
            s0.cancel();
            Generation gb = model.submit(promptB, one, b);
            GenerationResult ra = ga.result().get(120, TimeUnit.SECONDS);
            GenerationResult rb = gb.result().get(120, TimeUnit.SECONDS);
            s1.cancel();
            assertTrue(rb.timings().queueMs() > 0 && a.nanos.get() < b.nanos.get(),
                    "the prompt that arrived first must be fed first");
            int most = model.engineForTest().maxPromptTokensBesideDecoding;
            assertTrue(most > 0 && most <= CHUNK,
                    "a step beside decoding streams carried " + most + " prompt tokens (cap " + CHUNK + ")");

            // the same prompts through one-batch prefill (nothing else running): the same tokens
            try (Gpt2Model whole = Gpt2Model.load(file, ModelOptions.builder().threads(1).batchSlots(1)
                    .batchTokens(1024).build())) {
                int[] wa = whole.submit(promptA, one, new GenerationListener() {
                }).result().get(60, TimeUnit.SECONDS).tokenIds();
                int[] wb = whole.submit(promptB, one, new GenerationListener() {
                }).result().get(60, TimeUnit.SECONDS).tokenIds();
                assertArrayEquals(wa, ra.tokenIds());
                assertArrayEquals(wb, rb.tokenIds());
            }
        }
    }
}
