package dev.gpt2;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one sequence does cannot hurt its batch mates (issue #8 item 8): a Flow subscriber that blocks in onNext
 * holds back only its own stream, and a sequence whose decode fails fails alone while the others finish with the
 * tokens they would have had alone.
 */
class BatchIsolationTest {
    private static Gpt2Model model;

    @BeforeAll
    static void load() throws Exception {
        model = Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().threads(1).batchSlots(4).build());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void blockedSubscriberDoesNotStallOtherSequences() throws Exception {
        CountDownLatch firstEvent = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<String> subscriberThread = new AtomicReference<>();
        CountDownLatch streamDone = new CountDownLatch(1);
        GenerationParams longRun = GenerationParams.builder().temperature(0).maxNewTokens(40).ignoreEos(true).build();
        model.stream("a slow reader", longRun).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(StreamEvent item) {
                subscriberThread.compareAndSet(null, Thread.currentThread().getName());
                firstEvent.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);   // a consumer stuck on a slow socket
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onError(Throwable throwable) {
                streamDone.countDown();
            }

            @Override
            public void onComplete() {
                streamDone.countDown();
            }
        });
        assertTrue(firstEvent.await(30, TimeUnit.SECONDS));
        try {
            // with the subscriber still blocked, another request runs to its end
            GenerationResult other = model.submit("meanwhile", GenerationParams.greedy(30), new GenerationListener() {
            }).result().get(30, TimeUnit.SECONDS);
            assertEquals(30, other.generatedTokens());
            assertNotEquals("gpt2-engine", subscriberThread.get(), "onNext ran on the engine thread");
        } finally {
            release.countDown();
        }
        assertTrue(streamDone.await(30, TimeUnit.SECONDS), "the slow stream still ends once its reader catches up");
    }

    @Test
    void failedDecodeFailsOnlyItsOwnSequence() throws Exception {
        GenerationParams greedy = GenerationParams.builder().temperature(0).maxNewTokens(24).ignoreEos(true).build();
        List<String> prompts = List.of("First of the batch", "Second one, long enough to prefill", "Third");
        List<int[]> alone = prompts.stream().map(p -> model.generate(p, greedy).tokenIds()).toList();

        // hold the engine in the first token's callback so that all three share the next steps
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        Generation first = model.submit(prompts.get(0), greedy, new GenerationListener() {
            @Override
            public void onToken(StreamEvent event) {
                if (event.index() == 0) {
                    held.countDown();
                    try {
                        go.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        assertTrue(held.await(30, TimeUnit.SECONDS));
        Generation broken = model.submit(prompts.get(1), greedy, new GenerationListener() {
        });
        Generation third = model.submit(prompts.get(2), greedy, new GenerationListener() {
        });
        model.breakDecodeForTest(broken);
        go.countDown();

        ExecutionException ee = assertThrows(ExecutionException.class, () -> broken.result().get(30, TimeUnit.SECONDS));
        Gpt2Exception cause = assertInstanceOf(Gpt2Exception.class, ee.getCause());
        assertTrue(cause.getMessage().contains("gpt2_decode"), cause.getMessage());
        assertTrue(java.util.Arrays.equals(alone.get(0), first.result().get(30, TimeUnit.SECONDS).tokenIds()),
                "batch mate 1 changed");
        assertTrue(java.util.Arrays.equals(alone.get(2), third.result().get(30, TimeUnit.SECONDS).tokenIds()),
                "batch mate 3 changed");
        assertTrue(model.isHealthy());
        assertEquals(24, model.generate("after", greedy).generatedTokens());
    }
}
