// Owns the served model: loads it on a background thread after the server starts, so /health can answer 503
// while loading and 200 when ready. Closing it closes the model (in-flight generations end first or cancel).
package dev.gpt2.server;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.gpt2.Gpt2Model;

/** A model that may still be loading; handlers call {@link #model()} and get 503 while it is not ready. */
final class ModelHolder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ModelHolder.class.getName());

    private final CompletableFuture<Gpt2Model> future = new CompletableFuture<>();
    private final String displayName;
    private volatile double loadMs = -1;

    private ModelHolder(String displayName) {
        this.displayName = displayName;
    }

    /** A holder whose model arrives later through {@link #startLoading}; until then it reports "loading". */
    static ModelHolder loadLater(String displayName) {
        return new ModelHolder(displayName);
    }

    /** Loads on a daemon thread; the load time and the model are logged. */
    void startLoading(Path path, Supplier<Gpt2Model> loader) {
        Thread.ofPlatform().daemon().name("gpt2-model-loader").start(() -> {
            long t0 = System.nanoTime();
            try {
                Gpt2Model model = loader.get();
                loadMs = (System.nanoTime() - t0) / 1e6;
                LOG.log(Level.INFO, "model {0} loaded in {1} ms: {2}", path, String.format("%.0f", loadMs),
                        model.info().description());
                if (!future.complete(model)) {
                    model.close();
                }
            } catch (Throwable e) {
                LOG.log(Level.ERROR, "model " + path + " failed to load: " + e.getMessage(), e);
                future.completeExceptionally(e);
            }
        });
    }

    /** Holds an already loaded model (tests, embedding). */
    static ModelHolder of(Gpt2Model model, String displayName) {
        ModelHolder holder = new ModelHolder(displayName);
        holder.loadMs = 0;
        holder.future.complete(model);
        return holder;
    }

    boolean ready() {
        return future.isDone() && !future.isCompletedExceptionally();
    }

    /** Why the model is not ready: "loading" or the load error. */
    String state() {
        if (!future.isDone()) {
            return "loading";
        }
        return future.isCompletedExceptionally() ? "failed: " + future.exceptionNow().getMessage() : "ready";
    }

    /** The model, or {@link ApiException} 503 while loading / after a failed load. */
    Gpt2Model model() {
        if (!ready()) {
            throw new ApiException(503, null, "model is not ready (" + state() + ")", "unavailable");
        }
        return future.join();
    }

    /** The name clients see (/v1/models, /info); the model's own name when none was configured. */
    String name() {
        if (!displayName.isBlank()) {
            return displayName;
        }
        return ready() ? future.join().info().name() : "gpt2";
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
        future.cancel(false);
        if (ready()) {
            future.join().close();
        }
    }
}
