package dev.gpt2;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Bridges one generation to one Flow.Subscriber: the engine pushes events into a queue (never blocking), and
 * they are delivered as the subscriber requests them, serially (a work-in-progress counter makes one thread drain
 * at a time). The subscriber never runs on the engine thread: events the engine produces are drained by a virtual
 * thread, so a slow onNext holds back its own stream and no other (issue #8 item 8); events made deliverable by
 * request(n) are drained by the caller of request. cancel() cancels the generation; a non-positive request fails
 * the stream (rule 3.9).
 */
final class StreamSubscription implements Flow.Subscription, GenerationListener {
    private final Flow.Subscriber<? super StreamEvent> subscriber;
    private final ConcurrentLinkedQueue<StreamEvent> events = new ConcurrentLinkedQueue<>();
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile Generation generation;
    private volatile boolean done;            // the generation ended (terminal is set)
    private volatile Throwable error;
    private volatile boolean cancelled;
    private boolean terminated;               // drain thread only
    private static final Executor DELIVERY = task -> Thread.ofVirtual().name("gpt2-stream").start(task);

    private StreamSubscription(Flow.Subscriber<? super StreamEvent> subscriber) {
        this.subscriber = subscriber;
    }

    static void start(Flow.Subscriber<? super StreamEvent> subscriber,
                      Function<GenerationListener, Generation> submit) {
        StreamSubscription s = new StreamSubscription(subscriber);
        subscriber.onSubscribe(s);
        if (s.cancelled) {
            return;
        }
        try {
            s.generation = submit.apply(s);
            if (s.cancelled) {
                s.generation.cancel();
            }
        } catch (RuntimeException e) {
            s.error = e;
            s.done = true;
            s.drain();
        }
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            error = new IllegalArgumentException("Flow rule 3.9: request must be positive, got " + n);
            done = true;
            cancelGeneration();
        } else {
            requested.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
        }
        drain();
    }

    @Override
    public void cancel() {
        cancelled = true;
        cancelGeneration();
        events.clear();
    }

    private void cancelGeneration() {
        Generation g = generation;
        if (g != null) {
            g.cancel();
        }
    }

    @Override
    public void onToken(StreamEvent event) {
        if (!cancelled) {
            events.add(event);
            drainElsewhere();
        }
    }

    @Override
    public void onComplete(GenerationResult result) {
        done = true;
        drainElsewhere();
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        done = true;
        drainElsewhere();
    }

    /** Called by the engine thread: the draining (which runs the subscriber) happens on a delivery thread. */
    private void drainElsewhere() {
        if (wip.getAndIncrement() == 0) {
            DELIVERY.execute(this::drainLoop);
        }
    }

    private void drain() {
        if (wip.getAndIncrement() == 0) {
            drainLoop();
        }
    }

    /** Runs with wip > 0 held by this thread; one drainer at a time. */
    private void drainLoop() {
        int missed = 1;
        while (true) {
            if (!terminated && !cancelled) {
                while (requested.get() > 0 && !cancelled) {
                    StreamEvent e = events.poll();
                    if (e == null) {
                        break;
                    }
                    requested.decrementAndGet();
                    subscriber.onNext(e);
                }
                Throwable err = error;
                if (!cancelled && done && (events.isEmpty() || err instanceof IllegalArgumentException)) {
                    terminated = true;
                    if (err != null) {
                        subscriber.onError(err);
                    } else {
                        subscriber.onComplete();
                    }
                }
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }
}
