// Owns the served model: loads it on a background thread after the server starts, so /health can answer 503
// while loading and 200 when ready; turns readiness red when the load fails or the engine dies, and tells the
// process (onFatal) so that it can exit and be replaced. Closing it closes the model.
package dev.gpt2.server;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.gpt2.Gpt2Model;

/** A model that may still be loading; handlers call {@link #model()} and get 503 while it is not ready. */
final class ModelHolder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ModelHolder.class.getName());

    /** What readiness reports; the detail of a failure goes to the log, not to clients. */
    enum State { LOADING, READY, LOAD_FAILED, ENGINE_FAILED, CLOSED }

    private final CompletableFuture<Gpt2Model> future = new CompletableFuture<>();
    private final String displayName;
    private final Consumer<String> onFatal;
    private volatile double loadMs = -1;
    private volatile boolean closed;

    private ModelHolder(String displayName, Consumer<String> onFatal) {
        this.displayName = displayName;
        this.onFatal = onFatal;
    }

    /** A holder whose model arrives later through {@link #startLoading}; until then it reports "loading". */
    static ModelHolder loadLater(String displayName) {
        return loadLater(displayName, message -> { });
    }

    /**
     * As {@link #loadLater(String)}; ON_FATAL gets one line when the model fails to load or its engine dies
     * (the server's Main exits non-zero). It is called on the loader or the dying engine thread: hand off.
     */
    static ModelHolder loadLater(String displayName, Consumer<String> onFatal) {
        return new ModelHolder(displayName, onFatal);
    }

    /** Loads on a daemon thread; the load time and the model are logged. */
    void startLoading(Path path, Supplier<Gpt2Model> loader) {
        Thread.ofPlatform().daemon().name("gpt2-model-loader").start(() -> {
            long t0 = System.nanoTime();
            Gpt2Model model;
            try {
                model = loader.get();
            } catch (Throwable e) {
                LOG.log(Level.DEBUG, "model load failed", e);
                future.completeExceptionally(e);
                onFatal.accept("model " + path + " failed to load: " + e.getMessage());
                return;
            }
            loadMs = (System.nanoTime() - t0) / 1e6;
            LOG.log(Level.INFO, "model {0} loaded in {1} ms: {2} [{3}]", path, String.format("%.0f", loadMs),
                    model.info().description(), model.info().buildInfo());
            if (!future.complete(model)) {
                model.close();
                return;
            }
            watch(model);
        });
    }

    /** Holds an already loaded model (tests, embedding). */
    static ModelHolder of(Gpt2Model model, String displayName) {
        return of(model, displayName, message -> { });
    }

    static ModelHolder of(Gpt2Model model, String displayName, Consumer<String> onFatal) {
        ModelHolder holder = new ModelHolder(displayName, onFatal);
        holder.loadMs = 0;
        holder.future.complete(model);
        holder.watch(model);
        return holder;
    }

    private void watch(Gpt2Model model) {
        model.onEngineFailure(t -> {
            if (!closed) {
                onFatal.accept("the model's engine thread died (" + t + "); readiness is now 503");
            }
        });
    }

    State state() {
        if (closed) {
            return State.CLOSED;
        }
        if (!future.isDone()) {
            return State.LOADING;
        }
        if (!loaded()) {
            return State.LOAD_FAILED;
        }
        return future.join().isHealthy() ? State.READY : State.ENGINE_FAILED;
    }

    /** The load finished with a model (which may since have died or been closed). */
    private boolean loaded() {
        return future.isDone() && !future.isCompletedExceptionally();
    }

    boolean ready() {
        return state() == State.READY;
    }

    /** The model, or {@link ApiException} 503 while loading / after a failed load or a dead engine. */
    Gpt2Model model() {
        State s = state();
        if (s != State.READY) {
            throw new ApiException(503, null, "model is not ready (" + describe(s) + ")", "unavailable");
        }
        return future.join();
    }

    /** What clients see of a state: no paths, no loader messages. */
    static String describe(State s) {
        return switch (s) {
            case LOADING -> "loading";
            case READY -> "ready";
            case LOAD_FAILED -> "failed to load";
            case ENGINE_FAILED -> "engine failed";
            case CLOSED -> "shutting down";
        };
    }

    /** The name clients see (/v1/models, /info); the model's own name when none was configured. */
    String name() {
        if (!displayName.isBlank()) {
            return displayName;
        }
        return loaded() ? future.join().info().name() : "gpt2";
    }

    double loadMs() {
        return loadMs;
    }

    /** Waits up to the timeout for the load to finish (tests). */
    boolean awaitReady(long timeout, TimeUnit unit) {
        try {
            future.get(timeout, unit);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        future.cancel(false);
        if (loaded()) {
            future.join().close();
        }
    }
}
