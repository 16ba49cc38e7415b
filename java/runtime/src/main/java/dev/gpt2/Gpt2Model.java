package dev.gpt2;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A loaded GPT-2 model (GGUF, copied into memory at load, so later changes of the file cannot affect it) plus
 * its continuous-batching engine: one platform thread ("gpt2-engine") owns the native context and decodes up
 * to {@code batchSlots} sequences per forward step.
 *
 * <p>Thread-safe: tokenize/detokenize run on the caller's thread; generate/submit/stream hand the request to the
 * engine. {@link #close()} may race any of them: later calls throw {@link ModelClosedException}, queued and
 * running generations end with it, and the native model is freed exactly once after the engine has stopped.
 *
 * <pre>{@code
 * try (Gpt2Model model = Gpt2Model.load(Path.of("gpt2.gguf"))) {
 *     System.out.println(model.generate("Hello", GenerationParams.greedy(20)).text());
 * }
 * }</pre>
 */
public final class Gpt2Model implements AutoCloseable {
    /** Version of this Java runtime. */
    public static final String RUNTIME_VERSION = "0.1.0";

    private final NativeModel nativeModel;
    private final Engine engine;
    private final ModelInfo info;
    private final int eosToken;
    private final int vocabSize;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Read: any call into the native model. Write: freeing it. */
    private final ReentrantReadWriteLock handleLock = new ReentrantReadWriteLock();
    private volatile boolean freed;

    private Gpt2Model(Path path, ModelOptions options) {
        NativeModel m = NativeModel.load(path, options.useMmap(), options.deviceKind(), options.deviceIndex());
        Engine e;
        try {
            e = new Engine(m, options);
        } catch (RuntimeException ex) {
            m.close();
            throw ex;
        }
        this.nativeModel = m;
        this.engine = e;
        this.eosToken = m.eosToken();
        this.vocabSize = m.vocabSize();
        this.info = m.info(path, e.contextSize(), e.threads(), e.batchSlots(), options.queueCapacity(),
                e.kvCacheType());
        e.start();
    }

    /** Loads PATH with the default options. */
    public static Gpt2Model load(Path path) {
        return load(path, ModelOptions.defaults());
    }

    /** Loads PATH; throws Gpt2Exception with the native message when the file is missing or malformed. */
    public static Gpt2Model load(Path path, ModelOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return new Gpt2Model(path, options);
    }

    public ModelInfo info() {
        return info;
    }

    public int eosToken() {
        return eosToken;
    }

    public int[] tokenize(String text) {
        return tokenize(text, false);
    }

    public int[] tokenize(String text, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        var lock = readLock();
        try {
            return nativeModel.tokenize(text, parseSpecial);
        } finally {
            lock.unlock();
        }
    }

    /** The text of TOKENS; bytes that are not valid UTF-8 become U+FFFD. */
    public String detokenize(int[] tokens) {
        Objects.requireNonNull(tokens, "tokens");
        var lock = readLock();
        try {
            return new String(nativeModel.detokenizeBytes(tokens), StandardCharsets.UTF_8);
        } finally {
            lock.unlock();
        }
    }

    /** The raw bytes of one token (possibly part of a UTF-8 character). */
    public byte[] tokenBytes(int token) {
        var lock = readLock();
        try {
            return nativeModel.tokenBytes(token);
        } finally {
            lock.unlock();
        }
    }

    public boolean isSpecial(int token) {
        var lock = readLock();
        try {
            return nativeModel.isSpecial(token);
        } finally {
            lock.unlock();
        }
    }

    /** Generates through the engine and waits; failures are rethrown as they are (not wrapped). */
    public GenerationResult generate(String prompt, GenerationParams params) {
        return await(submit(prompt, params, new GenerationListener() { }));
    }

    public GenerationResult generate(int[] promptTokens, GenerationParams params) {
        return await(submit(promptTokens, params, new GenerationListener() { }));
    }

    /**
     * The tokens a generation from PROMPT would start from ({@link PromptPolicy}: empty = end-of-text, truncate,
     * room for one token); throws {@link ContextOverflowException} when the prompt cannot fit.
     */
    public int[] preparePrompt(String prompt, GenerationParams params) {
        Objects.requireNonNull(prompt, "prompt");
        return PromptPolicy.apply(tokenize(prompt, params.parseSpecial()), params, engine.contextSize(), eosToken);
    }

    /**
     * Queues a generation and returns at once. LISTENER methods run on the engine thread and must not block.
     * Throws QueueFullException when the queue is full, ContextOverflowException when the prompt does not fit.
     */
    public Generation submit(String prompt, GenerationParams params, GenerationListener listener) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(params, "params");
        return enqueue(tokenize(prompt, params.parseSpecial()), params, listener);
    }

    /** {@link #submit(String, GenerationParams, GenerationListener)} with a lambda for the tokens. */
    public Generation submit(String prompt, GenerationParams params, TokenListener onToken) {
        Objects.requireNonNull(onToken, "onToken");
        return submit(prompt, params, onToken.asGenerationListener());
    }

    public Generation submit(int[] promptTokens, GenerationParams params, GenerationListener listener) {
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(params, "params");
        for (int t : promptTokens) {
            if (t < 0 || t >= vocabSize) {
                throw new ParameterException("promptTokens",
                        "promptTokens must be in [0, " + vocabSize + "), got " + t);
            }
        }
        return enqueue(promptTokens.clone(), params, listener);
    }

    /**
     * A cold publisher: each subscriber starts its own generation when it subscribes. Demand is honoured
     * (events are buffered until requested); Subscription.cancel() cancels the generation. The subscriber is
     * called on a delivery (virtual) thread or on the thread calling request(), never on the engine thread, so a
     * slow subscriber delays only its own events.
     */
    public Flow.Publisher<StreamEvent> stream(String prompt, GenerationParams params) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(params, "params");
        return subscriber -> StreamSubscription.start(subscriber,
                listener -> submit(prompt, params, listener));
    }

    /**
     * Computes PREFIX's keys and values and keeps them in the prompt cache for good (a system prompt or few-shot
     * preamble that requests start with): they count against {@link ModelOptions#promptCacheMb()} but are never
     * evicted, so every later prompt that starts with these tokens computes only the rest. Waits until it is kept
     * and returns the number of tokens pinned. IllegalStateException when the prompt cache is off (size 0 or a
     * CUDA device) or the budget cannot hold the prefix beside what is pinned already.
     */
    public int pinPrompt(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return pinPrompt(tokenize(prefix));
    }

    /** {@link #pinPrompt(String)} for tokens (at most the context size). */
    public int pinPrompt(int[] prefixTokens) {
        Objects.requireNonNull(prefixTokens, "prefixTokens");
        if (prefixTokens.length == 0 || prefixTokens.length > engine.contextSize()) {
            throw new ParameterException("prefixTokens", "a pinned prefix must hold 1 to " + engine.contextSize()
                    + " tokens, got " + prefixTokens.length);
        }
        for (int t : prefixTokens) {
            if (t < 0 || t >= vocabSize) {
                throw new ParameterException("prefixTokens", "prefixTokens must be in [0, " + vocabSize + "), got " + t);
            }
        }
        if (closed.get()) {
            throw new ModelClosedException();
        }
        Request r = engine.submit(prefixTokens.clone(), GenerationParams.builder().maxNewTokens(0).build(),
                new GenerationListener() { }, 0L, true);
        await(r);
        String failure = r.pinFailure;
        if (failure != null) {
            throw new IllegalStateException("prompt not pinned: " + failure);
        }
        return prefixTokens.length;
    }

    /** Makes every pinned prefix evictable again (they stay cached until the budget needs their room). */
    public void unpinPrompts() {
        engine.unpinPrompts();
    }

    public EngineStats stats() {
        return engine.stats();
    }

    /**
     * True while the model can generate: not closed and its engine thread alive. A server's readiness probe
     * should follow this: after an engine failure every call throws ModelClosedException.
     */
    public boolean isHealthy() {
        return !closed.get() && engine.isRunning();
    }

    /** The error the engine thread died of, if it did (empty while healthy or after a plain close()). */
    public java.util.Optional<Throwable> engineFailure() {
        return java.util.Optional.ofNullable(engine.failure());
    }

    /**
     * LISTENER runs once if the engine thread ever dies of an unexpected error (after every queued and running
     * generation has failed with ModelClosedException), on that dying thread; at once if it already died. It
     * must not block; a server would turn readiness red and exit (or replace the model) from another thread.
     */
    public void onEngineFailure(java.util.function.Consumer<Throwable> listener) {
        engine.onFailure(Objects.requireNonNull(listener, "listener"));
    }

    /** Test hook: kills the engine thread with ERROR at its next iteration, as an engine bug would. */
    void failEngineForTest(Error error) {
        engine.injectFailure(error);
    }

    /** Test hook: the engine, for its step statistics. */
    Engine engineForTest() {
        return engine;
    }

    /** Test hook: GENERATION's next decode entries get positions the native side rejects (a failed decode). */
    void breakDecodeForTest(Generation generation) {
        ((Request) generation).positionSkewForTest = 1;
    }

    /**
     * Stops the engine (queued and running generations end with ModelClosedException), then frees the native
     * model. Idempotent; safe to call from any thread, including a listener.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (engine.isEngineThread()) {
            engine.onExit(this::freeModel);
            engine.shutdown();
            return;
        }
        engine.shutdown();
        engine.join();
        freeModel();
    }

    private void freeModel() {
        handleLock.writeLock().lock();
        try {
            if (!freed) {
                freed = true;
                nativeModel.close();
            }
        } finally {
            handleLock.writeLock().unlock();
        }
    }

    private Generation enqueue(int[] tokens, GenerationParams params, GenerationListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) {
            throw new ModelClosedException();
        }
        tokens = PromptPolicy.apply(tokens, params, engine.contextSize(), eosToken);
        long seed = params.seed().isPresent() ? params.seed().getAsLong() : ThreadLocalRandom.current().nextLong();
        return engine.submit(tokens, params, listener, seed);
    }

    private java.util.concurrent.locks.Lock readLock() {
        var lock = handleLock.readLock();
        lock.lock();
        if (freed || closed.get()) {
            lock.unlock();
            throw new ModelClosedException();
        }
        return lock;
    }

    private static GenerationResult await(Generation g) {
        try {
            return g.result().get();
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new Gpt2Exception(Gpt2Exception.STATUS_JAVA, cause.toString(), cause);
        } catch (InterruptedException e) {
            g.cancel();
            Thread.currentThread().interrupt();
            throw new Gpt2Exception(Gpt2Exception.STATUS_JAVA, "interrupted while generating", e);
        }
    }
}
