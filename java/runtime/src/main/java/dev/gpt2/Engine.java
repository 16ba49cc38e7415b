package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import dev.gpt2.binding.Gpt2Native.gpt2_context;
import dev.gpt2.binding.Gpt2Native.gpt2_context_params;
import dev.gpt2.binding.Gpt2Native.gpt2_sample_result;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The continuous-batching engine: one platform thread owns the native gpt2_context (batchSlots sequences) and
 * every sampler. Each step it admits queued requests into free slots, builds ONE batch (one entry per decoding
 * sequence: its last sampled token; then prompt chunks of newly admitted sequences up to batchTokens), runs one
 * gpt2_decode, samples every sequence whose logits were requested and sends the events. Finished or cancelled
 * sequences free their slot at once, so new requests join between steps. The thread waits (no spinning) when
 * there is nothing to do. No native-to-Java callbacks: all native calls are made from this thread.
 */
final class Engine implements Runnable {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    private static final double NANOS_PER_MS = 1_000_000.0;
    private static final int NOT_SAMPLED = 1;   // a status gpt2_sample_batch never writes
    private static final Comparator<Request> BY_ARRIVAL = Comparator.comparingLong(r -> r.id);

    private final NativeModel model;
    private final int nSlots;
    private final int nBatch;
    private final int prefillChunk;   // prompt tokens per step while some sequence decodes
    private final int nCtx;
    private final int queueCapacity;
    private final int nThreads;
    private final gpt2_context ctx;
    private final PromptCache promptCache;   // null when off (promptCacheMb 0, or a CUDA device)
    private final PromptScorer scorer;
    private boolean exiting;                 // engine thread: exit() runs, released slots are not cached
    private final Speculation speculation;

    // guarded by lock
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private final Request[] slots;
    private int active;
    private boolean closing;
    private boolean unpinRequested;

    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong cancelledCount = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong tokensGenerated = new AtomicLong();
    private final AtomicLong promptTokensProcessed = new AtomicLong();

    // engine-thread buffers
    private final IntPointer seqIds;
    private final IntPointer positions;
    private final IntPointer batchTokens;
    private final BytePointer wantLogits;
    // one gpt2_sample_batch per step: the samplers of the sequences with logits, their entries, results, statuses
    private final PointerPointer<Gpt2Native.gpt2_sampler> samplerPtrs;
    private final IntPointer sampleEntries;
    private final IntPointer sampleStatuses;
    private final gpt2_sample_result sampleResults;
    private final Request[] sampling;
    private final IntPointer nOut = new IntPointer(1L);
    private BytePointer textBuf = new BytePointer(4096L);
    // Per-step bookkeeping, allocated once and cleared each step. Not (only) to save garbage: with the lists
    // allocated inside step(), HotSpot C2 (seen on Temurin 25.0.3) scalar-replaces them, and after ~1000
    // decode-only steps the first step with a prefill deoptimises into a rematerialised ArrayList whose
    // elementData is null -> NullPointerException in ArrayList.add, engine thread dead (issue #8 item 1;
    // gone with -XX:-EliminateAllocations, no native fault under ASan). Fields escape, so C2 leaves them alone.
    private final ArrayList<Request> admitted = new ArrayList<>();
    private final ArrayList<Request> decoding = new ArrayList<>();
    private final ArrayList<Request> prefilling = new ArrayList<>();
    // the most prompt tokens a step has carried while some sequence was decoding (tests read it; engine thread writes)
    volatile int maxPromptTokensBesideDecoding;
    private final ArrayList<Request> batch = new ArrayList<>();      // the sequences of this step's gpt2_decode
    private final ArrayList<Request> isolating = new ArrayList<>();  // a failed batch's sequences, run one by one
    private final ArrayList<Request> scoreFailed = new ArrayList<>(); // requests whose prompt scoring failed
    private final int[] entryOf;   // batch index of the entry that wants logits, per slot; -1 none
    private final int[] chunk;     // prompt tokens fed this step, per slot (read only for prefilling ones)
    private final Thread thread;
    private volatile Runnable onExit;
    /** Why the engine thread ended, when it did not end by shutdown(); null while healthy. */
    private volatile Throwable failure;
    private final List<Consumer<Throwable>> failureListeners = new CopyOnWriteArrayList<>();
    /** Set (before the listeners run) once the dying thread has failed every request. */
    private volatile boolean failureAnnounced;
    /** Test hook: thrown by the engine thread at its next loop iteration (see Gpt2Model.failEngineForTest). */
    private volatile Error injectedFailure;

    Engine(NativeModel model, ModelOptions options) {
        this.model = model;
        this.queueCapacity = options.queueCapacity();
        gpt2_context out = new gpt2_context();
        try (gpt2_context_params p = Gpt2Native.gpt2_context_default_params()) {
            p.n_ctx(options.contextSize()).n_seq_max(options.batchSlots()).n_batch(options.batchTokens())
                    .n_threads(options.threads()).kv_type(options.kvTypeCode());
            NativeCalls.check(Gpt2Native.gpt2_context_create(model.handle(), p, out), "gpt2_context_create");
        }
        this.ctx = out;
        this.nSlots = Gpt2Native.gpt2_context_n_seq_max(ctx);
        this.nBatch = Gpt2Native.gpt2_context_n_batch(ctx);
        this.prefillChunk = options.prefillChunkTokens();
        this.nCtx = Gpt2Native.gpt2_context_n_ctx(ctx);
        this.nThreads = Gpt2Native.gpt2_context_n_threads(ctx);
        this.slots = new Request[nSlots];
        this.seqIds = new IntPointer((long) nBatch);
        this.positions = new IntPointer((long) nBatch);
        this.batchTokens = new IntPointer((long) nBatch);
        this.wantLogits = new BytePointer((long) nBatch);
        this.entryOf = new int[nSlots];
        this.samplerPtrs = new PointerPointer<>((long) nSlots);
        this.sampleEntries = new IntPointer((long) nSlots);
        this.sampleStatuses = new IntPointer((long) nSlots);
        this.sampleResults = new gpt2_sample_result((long) nSlots);
        this.sampling = new Request[nSlots];
        this.chunk = new int[nSlots];
        this.promptCache = options.promptCacheMb() > 0 && options.deviceKind() == 0
                ? new PromptCache(options.promptCacheMb() * (1L << 20)) : null;
        this.scorer = new PromptScorer(model, nBatch);
        try {
            this.speculation = new Speculation(options.speculativeTokens(), options.draftModel() == null ? null
                    : DraftModel.open(options.draftModel(), model, nCtx, nSlots, nBatch, nThreads), nSlots);
        } catch (RuntimeException e) {
            Gpt2Native.gpt2_context_free(ctx);
            throw e;
        }
        this.thread = new Thread(this, "gpt2-engine");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    int contextSize() {
        return nCtx;
    }

    int threads() {
        return nThreads;
    }

    /** The KV caches' element type as the context resolved it ("f32", "f16" or "q8_0"). */
    String kvCacheType() {
        return NativeCalls.string(Gpt2Native.gpt2_kv_type_name(Gpt2Native.gpt2_context_kv_type(ctx)));
    }

    int batchSlots() {
        return nSlots;
    }

    boolean isEngineThread() {
        return Thread.currentThread() == thread;
    }

    // ---- called from any thread --------------------------------------------------------------------------

    Request submit(int[] prompt, GenerationParams params, GenerationListener listener, long seed) {
        return submit(prompt, params, listener, seed, false);
    }

    /**
     * Queues a request; PIN = keep its cached positions in the prompt cache for good (Gpt2Model.pinPrompt; an
     * IllegalStateException when the cache is off).
     */
    Request submit(int[] prompt, GenerationParams params, GenerationListener listener, long seed, boolean pin) {
        if (pin && promptCache == null) {
            throw new IllegalStateException("the prompt cache is off (promptCacheMb 0, or a CUDA device): nothing can"
                    + " be pinned");
        }
        Request r = new Request(nextId.getAndIncrement(), prompt, params, seed, listener, this);
        r.pin = pin;
        lock.lock();
        try {
            if (closing) {
                throw closedError();
            }
            // waiting requests beyond the free slots may number at most queueCapacity
            if (queue.size() + active >= nSlots + queueCapacity) {
                rejected.incrementAndGet();
                throw new QueueFullException(queueCapacity);
            }
            queue.addLast(r);
            work.signal();
        } finally {
            lock.unlock();
        }
        return r;
    }

    void cancelled(Request r) {
        boolean removed;
        lock.lock();
        try {
            removed = queue.remove(r);
            work.signal();
        } finally {
            lock.unlock();
        }
        if (removed) {
            cancelledCount.incrementAndGet();
            complete(r, FinishReason.CANCELLED);
        }
    }

    /** Makes every pinned prompt-cache entry evictable again, at the engine thread's next iteration. */
    void unpinPrompts() {
        lock.lock();
        try {
            unpinRequested = true;
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    EngineStats stats() {
        lock.lock();
        try {
            PromptCache.Stats c = promptCache != null ? promptCache.stats() : PromptCache.Stats.OFF;
            return new EngineStats(active, queue.size(), nSlots, queueCapacity, completed.get(), cancelledCount.get(),
                    rejected.get(), tokensGenerated.get(), promptTokensProcessed.get(), c.hits(), c.misses(),
                    c.reusedTokens(), c.bytesHeld(), speculation.drafted.get(), speculation.accepted.get());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops admitting, fails queued requests with ModelClosedException, and tells the thread to end the active
     * ones (also with ModelClosedException) and free the native context and samplers.
     */
    void shutdown() {
        List<Request> dropped;
        lock.lock();
        try {
            if (closing) {
                return;
            }
            closing = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            work.signalAll();
        } finally {
            lock.unlock();
        }
        for (Request r : dropped) {
            fail(r, new ModelClosedException());
        }
    }

    void join() {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Why the engine thread died, or null: it is running, or it ended through shutdown(). */
    Throwable failure() {
        return failure;
    }

    boolean isRunning() {
        return thread.isAlive() && failure == null;
    }

    /**
     * LISTENER runs once, on the dying engine thread after it failed every request, if the engine ever dies of
     * an unexpected error; at once on the caller when it already has.
     */
    void onFailure(Consumer<Throwable> listener) {
        failureListeners.add(listener);
        // remove() is the claim: whichever of this thread and the dying one removes LISTENER runs it
        if (failureAnnounced && failureListeners.remove(listener)) {
            listener.accept(failure);
        }
    }

    /** Makes the engine thread throw ERROR at its next iteration (tests of what a dead engine looks like). */
    void injectFailure(Error error) {
        lock.lock();
        try {
            injectedFailure = error;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Runs on the engine thread after it released its native resources (used when close() runs on it). */
    void onExit(Runnable r) {
        this.onExit = r;
    }

    // ---- the engine thread -------------------------------------------------------------------------------

    @Override
    public void run() {
        try {
            while (true) {
                lock.lock();
                try {
                    while (!closing && queue.isEmpty() && active == 0 && injectedFailure == null && !unpinRequested) {
                        work.awaitUninterruptibly();
                    }
                    if (injectedFailure != null) {
                        throw injectedFailure;
                    }
                    if (closing) {
                        break;
                    }
                    if (unpinRequested) {
                        unpinRequested = false;
                        promptCache.unpinAll();
                    }
                    for (int s = 0; s < nSlots && !queue.isEmpty(); s++) {
                        if (slots[s] == null) {
                            Request r = queue.pollFirst();
                            r.slot = s;
                            slots[s] = r;
                            active++;
                            admitted.add(r);
                        }
                    }
                } finally {
                    lock.unlock();
                }
                for (Request r : admitted) {
                    admit(r);
                }
                step();
                // the one place the per-step lists are emptied: ready for the next step, and no finished
                // request stays reachable from the engine while it waits
                admitted.clear();
                decoding.clear();
                prefilling.clear();
                batch.clear();
                isolating.clear();
            }
        } catch (Throwable t) {
            failure = t;
            LOG.log(System.Logger.Level.ERROR, "gpt2 engine thread failed; the model no longer generates", t);
        } finally {
            exit();
        }
    }

    private void admit(Request r) {
        r.admitNanos = System.nanoTime();
        try {
            NativeCalls.check(Gpt2Native.gpt2_context_seq_clear(ctx, r.slot), "gpt2_context_seq_clear");
            if (promptCache != null) {   // a cached prefix (and, for a scoring request, its scores)
                r.nPast = r.nPromptFed = promptCache.reuse(ctx, r, slots);
            }
            if (r.promptScores != null && r.promptScores.isEmpty()) {
                scorer.start(r);
            }
            r.sampler = NativeSampler.create(model, r.params, r.seed, r.promptTokens, nCtx);
            r.spec = speculation.open(r);
        } catch (RuntimeException e) {
            release(r);
            fail(r, e);
        }
    }

    /** One forward step over every active sequence. */
    private void step() {
        // drop cancelled sequences first
        for (int s = 0; s < nSlots; s++) {
            Request r = slots[s];
            if (r != null && r.cancelled) {
                if (r.sampler != null) {
                    flushText(r);
                }
                release(r);
                cancelledCount.incrementAndGet();
                complete(r, FinishReason.CANCELLED);
            }
        }
        for (int s = 0; s < nSlots; s++) {
            Request r = slots[s];
            if (r == null) {
                continue;
            }
            if (r.prefilling()) {
                prefilling.add(r);
            } else {
                decoding.add(r);
            }
        }
        if (decoding.isEmpty() && prefilling.isEmpty()) {
            return;
        }
        // decoding sequences first (one entry each), then prompt chunks while the token budget lasts, in order of
        // arrival (a later request in a lower slot must not overtake). Beside decoding streams the prompts get at
        // most prefillChunk tokens, so a long prompt cannot stall their next token for a whole big batch.
        batch.addAll(decoding);
        prefilling.sort(BY_ARRIVAL);
        int budget = nBatch - decoding.size();
        budget -= speculation.plan(decoding, budget, nCtx);   // speculative sequences' drafts, while there is room
        if (!decoding.isEmpty()) {
            budget = Math.min(budget, prefillChunk);
        }
        int promptTokens = 0;
        for (Request r : prefilling) {
            if (budget <= 0) {
                break;
            }
            int take = Math.min(budget, r.promptTokens.length - r.nPromptFed);
            chunk[r.slot] = take;
            budget -= take;
            promptTokens += take;
            batch.add(r);
        }
        if (!decoding.isEmpty() && promptTokens > maxPromptTokensBesideDecoding) {
            maxPromptTokensBesideDecoding = promptTokens;
        }
        int status = forward(batch);
        if (status == Gpt2Native.GPT2_OK) {
            return;
        }
        if (batch.size() == 1) {
            failBatch(batch, status);
            return;
        }
        // One sequence's bad entry (or one failed allocation) must not fail its batch mates (issue #8 item 8).
        // gpt2_decode validates before it touches the caches, so the rejected step changed nothing: run each
        // sequence alone, and only those that fail alone fail.
        isolating.addAll(batch);
        for (Request r : isolating) {
            batch.clear();
            batch.add(r);
            int alone = forward(batch);
            if (alone != Gpt2Native.GPT2_OK) {
                failBatch(batch, alone);
            }
        }
    }

    /**
     * One gpt2_decode over the sequences in BATCH (decoding ones feed their last token, prefilling ones their
     * next chunk[slot] prompt tokens), then the samples of every sequence whose logits came out. Returns the
     * decode status; on failure nothing changed, neither here nor in the native caches.
     */
    private int forward(List<Request> batch) {
        java.util.Arrays.fill(entryOf, -1);
        int n = 0;
        for (Request r : batch) {
            int skew = r.positionSkewForTest;
            if (!r.prefilling()) {
                seqIds.put(n, r.slot);
                positions.put(n, r.nPast + skew);
                batchTokens.put(n, r.lastToken);
                wantLogits.put(n, (byte) 1);
                entryOf[r.slot] = n;
                n++;
                int drafts = r.spec != null ? r.spec.nDraft : 0;
                for (int j = 0; j < drafts; j++, n++) {   // verified by Speculation.verify, all with logits
                    seqIds.put(n, r.slot);
                    positions.put(n, r.nPast + 1 + j + skew);
                    batchTokens.put(n, r.spec.draft[j]);
                    wantLogits.put(n, (byte) 1);
                }
                continue;
            }
            int take = chunk[r.slot];
            for (int j = 0; j < take; j++) {
                seqIds.put(n, r.slot);
                positions.put(n, r.nPast + j + skew);
                batchTokens.put(n, r.promptTokens[r.nPromptFed + j]);
                boolean last = r.nPromptFed + j == r.promptTokens.length - 1;
                boolean sample = last && r.samples();
                boolean score = !last && r.promptScores != null;   // entry p scores prompt token p + 1
                wantLogits.put(n, (byte) (sample || score ? 1 : 0));
                if (sample) {
                    entryOf[r.slot] = n;
                }
                if (score) {
                    scorer.add(r, n, r.nPromptFed + j + 1);
                }
                n++;
            }
        }

        long t0 = System.nanoTime();
        int status = Gpt2Native.gpt2_decode(ctx, n, seqIds, positions, batchTokens, wantLogits);
        if (status != Gpt2Native.GPT2_OK) {
            scorer.discard();
            return status;
        }
        long tDecoded = System.nanoTime();
        for (Request r : batch) {
            if (r.prefilling()) {
                r.nPast += chunk[r.slot];
                r.nPromptFed += chunk[r.slot];
                promptTokensProcessed.addAndGet(chunk[r.slot]);
                r.promptMs += (tDecoded - t0) / NANOS_PER_MS;
            } else {
                r.nPast += 1;
            }
        }
        // prompt logprobs of this step's scoring entries; a failure fails those requests only
        Gpt2Exception scoreFailure = scorer.score(ctx, scorer.maxTop(), scoreFailed);
        for (Request r : scoreFailed) {
            entryOf[r.slot] = -1;
            release(r);
            fail(r, scoreFailure);
        }
        scoreFailed.clear();
        for (Request r : batch) {   // prompts now wholly scored: their scores go out before their first token
            if (r.promptScores != null && !r.promptScoresSent && !r.prefilling() && slots[r.slot] == r) {
                r.promptScoresSent = true;
                try {
                    r.listener.onPromptScored(java.util.Collections.unmodifiableList(r.promptScores));
                } catch (Throwable t) {
                    LOG.log(System.Logger.Level.WARNING, "listener of " + r + " threw from onPromptScored", t);
                }
            }
        }
        // every sequence with logits is sampled in one native call, spread over the context's threads
        int k = 0;
        for (Request r : batch) {
            int entry = entryOf[r.slot];
            if (entry >= 0 && !drafting(r)) {
                samplerPtrs.put(k, r.sampler.handle());
                sampleEntries.put(k, entry);
                sampleStatuses.put(k, NOT_SAMPLED);
                sampling[k++] = r;
            }
        }
        int sampled = k == 0 ? Gpt2Native.GPT2_OK
                : Gpt2Native.gpt2_sample_batch(ctx, samplerPtrs, sampleEntries, k, sampleResults.position(0),
                        sampleStatuses);
        Gpt2Exception sampleFailure = sampled == Gpt2Native.GPT2_OK ? null
                : NativeCalls.failure(sampled, "gpt2_sample_batch");
        for (int i = 0; i < k; i++) {
            Request r = sampling[i];
            sampling[i] = null;
            int st = sampleStatuses.get(i);
            if (st != Gpt2Native.GPT2_OK) {   // this item failed (or the call refused the whole batch)
                release(r);
                fail(r, sampleFailure != null && (st == NOT_SAMPLED || st == sampled) ? sampleFailure
                        : NativeCalls.failure(st == NOT_SAMPLED ? Gpt2Native.GPT2_ERR_INTERNAL : st, "gpt2_sample_batch"));
                continue;
            }
            boolean wasDecoding = r.firstTokenNanos != 0;
            try {
                accept(r, sampleResults.position(i));
            } catch (RuntimeException e) {
                release(r);
                fail(r, e);
                continue;
            }
            long te = System.nanoTime();
            if (wasDecoding) {
                r.decodeMs += (te - t0) / NANOS_PER_MS;
            } else {
                r.promptMs += (te - tDecoded) / NANOS_PER_MS;
            }
        }
        sampleResults.position(0);
        for (Request r : batch) {
            if (drafting(r)) {
                try {
                    speculation.verify(r, ctx, entryOf[r.slot], sampleResults.position(0), this::accept);
                } catch (RuntimeException e) {
                    release(r);
                    fail(r, e);
                    continue;
                }
                r.decodeMs += (System.nanoTime() - t0) / NANOS_PER_MS;
            }
        }
        sampleResults.position(0);
        // a scoring-only request (maxNewTokens 0) ends once its prompt is in: nothing to sample
        for (Request r : batch) {
            if (!r.samples() && !r.prefilling() && slots[r.slot] == r) {
                release(r);
                completed.incrementAndGet();
                complete(r, FinishReason.LENGTH);
            }
        }
        return Gpt2Native.GPT2_OK;
    }

    /** Whether R is a decoding sequence with drafted tokens in this step's batch. */
    private static boolean drafting(Request r) {
        return r.spec != null && r.spec.nDraft > 0 && !r.prefilling() && r.sampler != null;
    }

    private void failBatch(List<Request> batch, int status) {
        Gpt2Exception e = NativeCalls.failure(status, "gpt2_decode");
        for (Request r : batch) {
            release(r);
            fail(r, e);
        }
    }

    /** Takes one sampled token of R: its text, top alternatives, the event to the listener, the finish. */
    private void accept(Request r, gpt2_sample_result sample) {
        int token = sample.token();
        int finish = sample.finish();
        String piece = sample.text_len() > 0 ? readText(r, false) : "";
        List<TopToken> top = List.of();
        int nTop = sample.n_top();
        if (nTop > 0) {
            TopToken[] tt = new TopToken[nTop];
            for (int i = 0; i < nTop; i++) {
                int id = sample.top_tokens(i);
                tt[i] = new TopToken(id, model.tokenText(id), sample.top_logprobs(i));
            }
            top = List.of(tt);
        }
        TokenInfo info = new TokenInfo(token, model.tokenText(token), sample.logprob(), model.isSpecial(token), top);
        if (r.firstTokenNanos == 0) {
            r.firstTokenNanos = System.nanoTime();
        }
        r.tokens.add(info);
        r.text.append(piece);
        if (r.spec != null) {
            r.spec.append(token);
        }
        tokensGenerated.incrementAndGet();
        StreamEvent event = new StreamEvent(info, piece, r.tokens.size() - 1);
        try {
            r.listener.onToken(event);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + r + " threw from onToken", t);
        }
        if (finish != Gpt2Native.GPT2_FINISH_NONE) {
            release(r);
            completed.incrementAndGet();
            complete(r, switch (finish) {
                case Gpt2Native.GPT2_FINISH_LENGTH -> FinishReason.LENGTH;
                case Gpt2Native.GPT2_FINISH_EOS -> FinishReason.EOS_TOKEN;
                case Gpt2Native.GPT2_FINISH_STOP -> FinishReason.STOP_SEQUENCE;
                default -> FinishReason.CONTEXT_LENGTH;
            });
        } else {
            r.lastToken = token;
        }
    }

    /** The sampler's newly safe text (after sample) or its flushed held-back text (flush = true). */
    private String readText(Request r, boolean flush) {
        Gpt2Native.gpt2_sampler h = r.sampler.handle();
        for (int attempt = 0; attempt < 2; attempt++) {
            int status = flush
                    ? Gpt2Native.gpt2_sampler_flush(h, textBuf, (int) textBuf.capacity(), nOut)
                    : Gpt2Native.gpt2_sampler_text(h, textBuf, (int) textBuf.capacity(), nOut);
            if (status == Gpt2Native.GPT2_ERR_BUFFER_TOO_SMALL) {
                textBuf.close();
                textBuf = new BytePointer(Math.max(nOut.get(), (int) textBuf.capacity() * 2) + 16L);
                continue;
            }
            NativeCalls.check(status, flush ? "gpt2_sampler_flush" : "gpt2_sampler_text");
            byte[] b = new byte[nOut.get()];
            textBuf.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }
        throw new Gpt2Exception(Gpt2Native.GPT2_ERR_INTERNAL, "sampler text did not fit its announced size");
    }

    private void flushText(Request r) {
        try {
            String tail = readText(r, true);
            if (!tail.isEmpty()) {
                r.text.append(tail);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "flushing " + r + " failed", e);
        }
    }

    /** Frees R's slot and sampler (engine thread). */
    private void release(Request r) {
        if (r.sampler != null) {
            r.sampler.close();
            r.sampler = null;
        }
        if (promptCache != null && !exiting && r.slot >= 0 && slots[r.slot] == r) {
            try {
                String notKept = promptCache.retire(ctx, r, r.nPast);   // its cached positions outlive the slot
                if (r.pin && notKept != null) {
                    r.pinFailure = notKept;
                }
            } catch (RuntimeException e) {   // the slot must be freed whatever the cache does
                LOG.log(System.Logger.Level.WARNING, "prompt cache: keeping " + r + " failed", e);
                r.pinFailure = String.valueOf(e.getMessage());
            }
        }
        if (r.slot >= 0) {
            lock.lock();
            try {
                if (slots[r.slot] == r) {
                    slots[r.slot] = null;
                    active--;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void complete(Request r, FinishReason reason) {
        long now = System.nanoTime();
        long admit = r.admitNanos != 0 ? r.admitNanos : now;
        Timings timings = new Timings((admit - r.submitNanos) / NANOS_PER_MS, r.promptMs, r.decodeMs,
                r.firstTokenNanos != 0 ? (r.firstTokenNanos - r.submitNanos) / NANOS_PER_MS : 0.0);
        GenerationResult result = new GenerationResult(r.text.toString(), r.tokens, reason, r.promptTokens.length,
                r.tokens.size(), r.seed, timings, r.promptTokens,
                r.promptScores != null ? r.promptScores : List.of(),
                r.spec == null ? SpeculationStats.NONE : new SpeculationStats(r.spec.drafted, r.spec.accepted));
        try {
            r.listener.onComplete(result);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + r + " threw from onComplete", t);
        }
        r.result.complete(result);
    }

    private void fail(Request r, Throwable error) {
        try {
            r.listener.onError(error);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + r + " threw from onError", t);
        }
        r.result.completeExceptionally(error);
    }

    private ModelClosedException closedError() {
        Throwable f = failure;
        return f == null ? new ModelClosedException() : new ModelClosedException(f);
    }

    private void exit() {
        exiting = true;
        for (int s = 0; s < nSlots; s++) {
            Request r = slots[s];
            if (r != null) {
                release(r);
                fail(r, closedError());
            }
        }
        List<Request> dropped;
        lock.lock();
        try {
            closing = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
        } finally {
            lock.unlock();
        }
        for (Request r : dropped) {
            fail(r, closedError());
        }
        if (promptCache != null) {
            promptCache.close();
        }
        scorer.close();
        Gpt2Native.gpt2_context_free(ctx);
        ctx.setNull();
        speculation.close();
        seqIds.close();
        positions.close();
        batchTokens.close();
        wantLogits.close();
        samplerPtrs.close();
        sampleEntries.close();
        sampleStatuses.close();
        sampleResults.close();
        nOut.close();
        textBuf.close();
        Runnable after = onExit;
        if (after != null) {
            after.run();
        }
        Throwable f = failure;
        if (f != null) {
            failureAnnounced = true;
            for (Consumer<Throwable> l : failureListeners) {
                if (failureListeners.remove(l)) {
                    try {
                        l.accept(f);
                    } catch (Throwable t) {
                        LOG.log(System.Logger.Level.WARNING, "engine failure listener threw", t);
                    }
                }
            }
        }
    }
}
