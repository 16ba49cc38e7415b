package dev.gpt2;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The continuous-batching engine: concurrency, cancellation, back-pressure and shutdown. */
class EngineTest {
    private static Path path;

    @BeforeAll
    static void model() throws Exception {
        path = TestModels.smallModel();
    }

    /** A listener that blocks the engine thread at its first token until released (test-only control). */
    private static final class Gate implements GenerationListener {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void onToken(StreamEvent event) {
            if (reached.getCount() > 0) {
                reached.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static GenerationParams longRun() {
        return GenerationParams.builder().temperature(0).maxNewTokens(100_000).ignoreEos(true).build();
    }

    @Test
    void concurrentGenerationsEqualTheirSingleRuns() throws Exception {
        int n = 32;
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            prompts.add("Request " + i + (i % 3 == 0 ? " with a somewhat longer prompt to prefill" : "")
                    + (i % 5 == 0 ? " 中文 😀" : ""));
        }
        Map<String, int[]> single = new HashMap<>();
        try (Gpt2Model one = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(1).build())) {
            for (int i = 0; i < n; i++) {
                single.put(prompts.get(i), one.generate(prompts.get(i), params(i)).tokenIds());
            }
        }
        // small batchTokens so long prompts are prefilled in several chunks alongside decoding sequences
        try (Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(2).batchSlots(8)
                .batchTokens(16).queueCapacity(64).build());
             ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<GenerationResult>> futures = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return model.generate(prompts.get(k), params(k));
                }));
            }
            start.countDown();
            for (int i = 0; i < n; i++) {
                GenerationResult r = futures.get(i).get(120, TimeUnit.SECONDS);
                assertArrayEquals(single.get(prompts.get(i)), r.tokenIds(), "request " + i);
            }
            EngineStats s = model.stats();
            assertEquals(n, s.requestsCompleted());
            assertEquals(0, s.activeSequences());
            assertEquals(0, s.queuedRequests());
            long expectedTokens = futures.stream().mapToLong(f -> {
                try {
                    return f.get().generatedTokens();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).sum();
            assertEquals(expectedTokens, s.tokensGenerated());
        }
    }

    @Test
    void longPromptsArePrefilledInChunks() throws Exception {
        String prompt = "A long prompt, prefilled eight tokens per step. ".repeat(9);
        int[] expected = TestModels.toolGenerate(path, prompt, 8, "--temp", "0");
        try (Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(2).batchTokens(8)
                .build())) {
            assertTrue(model.tokenize(prompt).length > 80);
            GenerationResult r = model.generate(prompt, GenerationParams.greedy(8));
            assertArrayEquals(expected, r.tokenIds());
            assertEquals(r.promptTokens(), model.stats().promptTokensProcessed());
        }
    }

    private static GenerationParams params(int i) {
        // greedy for most; a few seeded samplers (determinism whatever shares the batch)
        return i % 4 == 3
                ? GenerationParams.builder().temperature(0.8f).seed(i).maxNewTokens(12 + i % 7).build()
                : GenerationParams.builder().temperature(0).maxNewTokens(12 + i % 7).build();
    }

    @Test
    void cancellationFreesTheSlot() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(1).build())) {
            Gate gate = new Gate();
            Generation g = model.submit("to be cancelled", longRun(), gate);
            assertTrue(gate.reached.await(30, TimeUnit.SECONDS));
            assertEquals(1, model.stats().activeSequences());
            g.cancel();
            gate.release.countDown();
            GenerationResult r = g.result().get(30, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertTrue(r.generatedTokens() >= 1 && r.generatedTokens() < 100, "tokens " + r.generatedTokens());
            // the only slot is free again: a new request runs to completion
            assertEquals(3, model.generate("next", GenerationParams.greedy(3)).generatedTokens());
            EngineStats s = model.stats();
            assertEquals(1, s.requestsCancelled());
            assertEquals(1, s.requestsCompleted());
            assertEquals(0, s.activeSequences());
        }
    }

    @Test
    void cancellingAQueuedRequestCompletesItAtOnce() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(1).build())) {
            Gate gate = new Gate();
            Generation running = model.submit("occupies the slot", GenerationParams.greedy(3), gate);
            assertTrue(gate.reached.await(30, TimeUnit.SECONDS));
            Generation queued = model.submit("waits", GenerationParams.greedy(3), new GenerationListener() { });
            assertEquals(1, model.stats().queuedRequests());
            queued.cancel();
            GenerationResult r = queued.result().get(5, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals(0, r.generatedTokens());
            assertEquals(0, model.stats().queuedRequests());
            gate.release.countDown();
            assertEquals(FinishReason.LENGTH, running.result().get(30, TimeUnit.SECONDS).finishReason());
        }
    }

    @Test
    void submitBeyondTheQueueIsRejectedAtOnce() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(1)
                .queueCapacity(2).build())) {
            Gate gate = new Gate();
            Generation running = model.submit("slot", GenerationParams.greedy(2), gate);
            assertTrue(gate.reached.await(30, TimeUnit.SECONDS));
            Generation q1 = model.submit("queued 1", GenerationParams.greedy(2), new GenerationListener() { });
            Generation q2 = model.submit("queued 2", GenerationParams.greedy(2), new GenerationListener() { });
            assertThrows(QueueFullException.class,
                    () -> model.submit("rejected", GenerationParams.greedy(2), new GenerationListener() { }));
            assertThrows(QueueFullException.class, () -> model.generate("rejected too", GenerationParams.greedy(2)));
            EngineStats s = model.stats();
            assertEquals(2, s.requestsRejected());
            assertEquals(2, s.queuedRequests());
            assertEquals(1, s.activeSequences());
            gate.release.countDown();
            for (Generation g : List.of(running, q1, q2)) {
                assertEquals(2, g.result().get(30, TimeUnit.SECONDS).generatedTokens());
            }
            // capacity is back
            assertEquals(2, model.generate("accepted", GenerationParams.greedy(2)).generatedTokens());
        }
    }

    @Test
    void closeWhileGenerationsRunFailsThemCleanly() throws Exception {
        Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(2)
                .queueCapacity(8).build());
        List<Generation> gens = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
        for (int i = 0; i < 6; i++) {
            gens.add(model.submit("running " + i, longRun(), new GenerationListener() {
                @Override
                public void onToken(StreamEvent event) {
                    started.countDown();
                }
            }));
        }
        assertTrue(started.await(30, TimeUnit.SECONDS));
        // other threads keep calling while close() runs: they get results or ModelClosedException, never a crash
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> racers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < 4; t++) {
            int k = t;
            racers.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < 200; i++) {
                    try {
                        if (k % 2 == 0) {
                            model.tokenize("racing tokenize " + i);
                        } else {
                            model.generate("racing generate", GenerationParams.greedy(1));
                        }
                    } catch (ModelClosedException | QueueFullException expected) {
                        // fine: closed or momentarily full
                    }
                }
                return null;
            }));
        }
        go.countDown();
        Thread.sleep(20);
        model.close();
        for (Future<?> f : racers) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        for (Generation g : gens) {
            try {
                GenerationResult r = g.result().get(30, TimeUnit.SECONDS);
                fail("a 100000-token generation cannot have finished: " + r.finishReason());
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof ModelClosedException, e.getCause().toString());
            }
        }
        assertThrows(ModelClosedException.class,
                () -> model.submit("late", GenerationParams.greedy(1), new GenerationListener() { }));
    }

    @Test
    void closeFromAListenerDoesNotDeadlock() throws Exception {
        Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(1).build());
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Generation g = model.submit("close from inside", longRun(), new GenerationListener() {
            @Override
            public void onToken(StreamEvent event) {
                model.close();
                closed.complete(null);
            }
        });
        closed.get(30, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class, () -> g.result().get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof ModelClosedException);
        assertThrows(ModelClosedException.class, () -> model.tokenize("x"));
    }
}
