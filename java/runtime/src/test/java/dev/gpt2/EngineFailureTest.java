package dev.gpt2;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dead engine thread is visible (issue #8 item 2): isHealthy() turns false, the failure listener runs once,
 * running and later requests fail with ModelClosedException naming the cause, and close() still works.
 */
class EngineFailureTest {

    @Test
    void deadEngineIsReportedAndFailsEveryRequest() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(TestModels.smallModel(),
                ModelOptions.builder().threads(1).batchSlots(2).build())) {
            assertTrue(model.isHealthy());
            assertTrue(model.engineFailure().isEmpty());
            CompletableFuture<Throwable> seen = new CompletableFuture<>();
            AtomicInteger calls = new AtomicInteger();
            model.onEngineFailure(t -> {
                calls.incrementAndGet();
                seen.complete(t);
            });
            GenerationParams forever = GenerationParams.builder().temperature(0).maxNewTokens(100)
                    .ignoreEos(true).build();
            // hold the engine inside the first token's callback, so the generation is surely running
            CountDownLatch reached = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Generation running = model.submit("Hello", forever, new GenerationListener() {
                @Override
                public void onToken(StreamEvent event) {
                    reached.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            assertTrue(reached.await(30, TimeUnit.SECONDS));
            AssertionError injected = new AssertionError("injected engine bug");
            model.failEngineForTest(injected);
            release.countDown();

            assertSame(injected, seen.get(30, TimeUnit.SECONDS));
            ExecutionException ee = assertThrows(ExecutionException.class,
                    () -> running.result().get(30, TimeUnit.SECONDS));
            ModelClosedException closed = assertInstanceOf(ModelClosedException.class, ee.getCause());
            assertTrue(closed.engineFailed());
            assertTrue(closed.getMessage().contains("injected engine bug"), closed.getMessage());

            assertFalse(model.isHealthy());
            assertSame(injected, model.engineFailure().orElseThrow());
            ModelClosedException later = assertThrows(ModelClosedException.class,
                    () -> model.generate("again", GenerationParams.greedy(2)));
            assertTrue(later.engineFailed());
            // a listener registered after the death runs at once, still exactly once per listener
            AtomicInteger late = new AtomicInteger();
            model.onEngineFailure(t -> late.incrementAndGet());
            assertEquals(1, late.get());
            assertEquals(1, calls.get());
            // the tokenizer does not need the engine
            assertTrue(model.tokenize("still works").length > 0);
        }
    }

    @Test
    void plainCloseIsNotAFailure() throws Exception {
        Gpt2Model model = Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().threads(1).build());
        AtomicInteger calls = new AtomicInteger();
        model.onEngineFailure(t -> calls.incrementAndGet());
        model.close();
        assertFalse(model.isHealthy());
        assertTrue(model.engineFailure().isEmpty());
        assertEquals(0, calls.get());
        ModelClosedException e = assertThrows(ModelClosedException.class,
                () -> model.generate("x", GenerationParams.greedy(1)));
        assertFalse(e.engineFailed());
    }
}
