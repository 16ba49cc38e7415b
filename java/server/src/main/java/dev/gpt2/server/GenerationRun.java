// Bridges one engine generation to the HTTP thread that serves it: the engine thread's listener only enqueues
// (never blocks), the request's virtual thread drains the queue, writes to the client and cancels the
// generation when the client goes away or the request timeout passes.
package dev.gpt2.server;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.gpt2.FinishReason;
import dev.gpt2.Generation;
import dev.gpt2.GenerationListener;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.PromptToken;
import dev.gpt2.Gpt2Model;
import dev.gpt2.StreamEvent;

/** One submitted generation and its event queue; {@link #next()} yields StreamEvents then the result. */
final class GenerationRun implements GenerationListener {
    private record Failure(Throwable error) {
    }

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final java.util.concurrent.CompletableFuture<java.util.List<PromptToken>> promptScores =
            new java.util.concurrent.CompletableFuture<>();
    private final ServerMetrics metrics;
    private final long submittedNanos = System.nanoTime();
    private final long deadlineNanos;
    private long lastTokenNanos;
    private final Duration timeout;
    private volatile Generation generation;
    private volatile boolean cancelled;
    private volatile boolean timedOut;
    private volatile boolean clientGone;

    private GenerationRun(ServerMetrics metrics, Duration timeout) {
        this.metrics = metrics;
        this.timeout = timeout;
        this.deadlineNanos = submittedNanos + timeout.toNanos();
    }

    /** Submits to the engine; throws QueueFullException, ContextOverflowException... from submit itself. */
    static GenerationRun submit(Gpt2Model model, int[] prompt, GenerationParams params, ServerMetrics metrics,
                                Duration timeout) {
        GenerationRun run = new GenerationRun(metrics, timeout);
        run.generation = model.submit(prompt, params, run);
        return run;
    }

    @Override
    public void onPromptScored(java.util.List<PromptToken> promptLogprobs) {
        promptScores.complete(java.util.List.copyOf(promptLogprobs));
    }

    /**
     * The prompt's scores (requests with prompt logprobs), waiting for them at most until the request's deadline;
     * empty when the generation ended, failed or timed out first (the caller's stream loop then reports that).
     */
    java.util.List<PromptToken> awaitPromptScores() throws InterruptedException {
        try {
            long left = deadlineNanos - System.nanoTime();
            return promptScores.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return java.util.List.of();
        }
    }

    @Override
    public void onToken(StreamEvent event) {
        long now = System.nanoTime();
        if (lastTokenNanos == 0) {
            metrics.recordTimeToFirstToken((now - submittedNanos) / 1e9);
        } else {
            metrics.recordTokenLatency((now - lastTokenNanos) / 1e9);
        }
        lastTokenNanos = now;
        events.add(event);
    }

    @Override
    public void onComplete(GenerationResult result) {
        promptScores.complete(java.util.List.of());
        metrics.recordTokens(result.generatedTokens(), result.promptTokens());
        events.add(result);
    }

    @Override
    public void onError(Throwable error) {
        promptScores.complete(java.util.List.of());
        events.add(new Failure(error));
    }

    /**
     * The next {@link StreamEvent}, or the final {@link GenerationResult}. Past the deadline the generation is
     * cancelled, this keeps returning what the engine sends meanwhile, and its end is an {@link ApiException} 504
     * (not a 200 that says "cancelled"). Engine errors are rethrown.
     */
    Object next() throws InterruptedException {
        while (true) {
            long left = deadlineNanos - System.nanoTime();
            Object e = cancelled ? events.take() : events.poll(Math.max(left, 0), TimeUnit.NANOSECONDS);
            if (e == null) {
                timedOut = true;
                metrics.recordTimeout();
                stop();
                continue;
            }
            if (e instanceof Failure f) {
                throw f.error() instanceof RuntimeException r ? r : new IllegalStateException(f.error());
            }
            if (timedOut && e instanceof GenerationResult r && r.finishReason() == FinishReason.CANCELLED) {
                throw new ApiException(504, null, "the generation did not finish within the request timeout of "
                        + timeout.toMillis() / 1000.0 + " s (" + r.generatedTokens() + " tokens generated)",
                        "timeout");
            }
            if (clientGone && e instanceof GenerationResult r && r.finishReason() == FinishReason.CANCELLED) {
                // nobody reads this answer; the status is for the access log and metrics (nginx's convention)
                throw new ApiException(499, null, "the client closed the connection before the answer ("
                        + r.generatedTokens() + " tokens generated)", "client_closed");
            }
            return e;
        }
    }

    /** Skips the stream events and returns the result (blocking requests). */
    GenerationResult awaitResult() throws InterruptedException {
        while (true) {
            if (next() instanceof GenerationResult r) {
                return r;
            }
        }
    }

    /** The client went away (or a batch mate failed): frees the slot at the engine's next step; idempotent. */
    void cancel() {
        if (!cancelled) {
            metrics.recordClientCancel();
            stop();
        }
    }

    /** A blocking request's client closed its connection (ClientWatch, on its own thread). */
    void clientGone() {
        clientGone = true;
        cancel();
    }

    private void stop() {
        if (!cancelled) {
            cancelled = true;
            generation.cancel();
        }
    }

    boolean cancelled() {
        return cancelled;
    }
}
