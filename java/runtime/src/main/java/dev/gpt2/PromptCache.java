package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import dev.gpt2.binding.Gpt2Native.gpt2_context;
import dev.gpt2.binding.Gpt2Native.gpt2_kv_snapshot;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's prompt (prefix) cache. A new sequence takes the KV cache of the longest already-computed prefix of
 * its prompt, from a running sequence (gpt2_context_seq_copy of that slot: its prompt and generated tokens decoded
 * so far) or from a finished one (a gpt2_kv_snapshot saved when its slot was released, covering everything it had
 * cached), and decodes only the rest. At least the last prompt token is always left to compute: its logits give
 * the first sample. The runtime's kernels are batch-invariant, so a restored prefix is the same bits a recompute
 * would give: the output does not change with the cache on or off.
 *
 * <p>A request that scores its prompt (prompt logprobs) needs, besides the keys and values, the score of every
 * prompt token, which came from logits the cache does not keep: it reuses only prefixes whose sequence scored its
 * own prompt (with at least as many alternatives), taking their scores along; the score of the first token it
 * computes itself came from the last reused position, so the source must have scored one token further.
 *
 * <p>Snapshots are held within a byte budget, least recently used evicted first; a snapshot whose tokens extend
 * another's replaces it. Pinned entries (Gpt2Model.pinPrompt: a system prompt every request starts with) count
 * against the budget but are never evicted or replaced, until unpinned. Engine thread only, except the counters ({@link #stats}), which any thread may read.
 */
final class PromptCache implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PromptCache.class.getName());

    /** A finished sequence's cached positions: their tokens and their keys and values. */
    private static final class Entry {
        final int[] tokens;
        final gpt2_kv_snapshot snap;
        final long bytes;
        long lastUse;
        boolean pinned;             // Gpt2Model.pinPrompt: never evicted, never replaced by an extension
        List<PromptToken> scores;   // scores of tokens 0.. (the first null) when the sequence scored its prompt
        int scoreTop;               // alternatives per scored token

        Entry(int[] tokens, gpt2_kv_snapshot snap, long bytes) {
            this.tokens = tokens;
            this.snap = snap;
            this.bytes = bytes;
        }
    }

    /** The counters behind EngineStats' prompt-cache figures. */
    record Stats(long hits, long misses, long reusedTokens, long bytesHeld, int entries) {
        static final Stats OFF = new Stats(0, 0, 0, 0, 0);
    }

    private final long budgetBytes;
    private final ArrayList<Entry> entries = new ArrayList<>();
    private long clock;
    private long held;
    private boolean disabled;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong reusedTokens = new AtomicLong();
    private volatile long bytesHeld;
    private volatile int entryCount;

    PromptCache(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    Stats stats() {
        return new Stats(hits.get(), misses.get(), reusedTokens.get(), bytesHeld, entryCount);
    }

    /**
     * Fills sequence R.slot (just cleared) with the longest cached prefix of R's prompt, leaving at least its last
     * token; returns the positions it now holds (0: nothing reusable, or the cache failed and is now off).
     * SLOTS are the engine's running sequences (R's own slot included, skipped).
     */
    int reuse(gpt2_context ctx, Request r, Request[] slots) {
        if (disabled) {
            return 0;
        }
        int[] prompt = r.promptTokens;
        int limit = prompt.length - 1;
        int bestLen = 0;
        Request bestSlot = null;
        Entry bestEntry = null;
        boolean scoring = r.promptScores != null;
        int top = r.params.topNTokens();
        for (Request other : slots) {
            if (other == null || other == r || other.sampler == null) {
                continue;
            }
            int n = scoring ? Math.min(other.nPast, scoredPrefix(prompt, limit, other.promptScores,
                    other.params.topNTokens(), top)) : commonPrefix(prompt, limit, other);
            if (n > bestLen) {
                bestLen = n;
                bestSlot = other;
            }
        }
        for (Entry e : entries) {
            int n = scoring ? scoredPrefix(prompt, limit, e.scores, e.scoreTop, top)
                    : commonPrefix(prompt, limit, e.tokens, e.tokens.length);
            if (n > bestLen) {
                bestLen = n;
                bestSlot = null;
                bestEntry = e;
            }
        }
        if (bestLen == 0) {
            misses.incrementAndGet();
            return 0;
        }
        int status = bestEntry != null
                ? Gpt2Native.gpt2_kv_snapshot_restore(ctx, r.slot, bestEntry.snap, bestLen)
                : Gpt2Native.gpt2_context_seq_copy(ctx, bestSlot.slot, r.slot, bestLen);
        if (status != Gpt2Native.GPT2_OK) {
            // e.g. GPT2_ERR_UNSUPPORTED: the request computes its whole prompt, the cache stops trying
            disable(NativeCalls.failure(status, bestEntry != null ? "gpt2_kv_snapshot_restore"
                    : "gpt2_context_seq_copy"));
            Gpt2Native.gpt2_context_seq_clear(ctx, r.slot);
            return 0;
        }
        if (bestEntry != null) {
            bestEntry.lastUse = ++clock;
        }
        if (scoring) {   // tokens 0..bestLen: the last one's score came from the last reused position's logits
            List<PromptToken> from = bestEntry != null ? bestEntry.scores : bestSlot.promptScores;
            for (int i = 0; i <= bestLen; i++) {
                PromptToken t = from.get(i);
                r.promptScores.add(t.top().size() <= top ? t
                        : new PromptToken(t.id(), t.text(), t.logprob(), t.top().subList(0, top)));
            }
        }
        hits.incrementAndGet();
        reusedTokens.addAndGet(bestLen);
        return bestLen;
    }

    /**
     * Keeps the first N_POS cached positions of R's sequence (slot R.slot, about to be released) as a snapshot,
     * unless a kept one already covers them; evicts the least recently used unpinned entries to stay within the
     * budget. A pin request (R.pin) makes the entry that covers its positions pinned. Returns null when the
     * positions are kept (or need not be), else why not: the caller reports it for a pin request.
     */
    String retire(gpt2_context ctx, Request r, int nPos) {
        if (disabled) {
            return "the prompt cache is disabled after a native failure";
        }
        if (nPos < 1 || (nPos == 1 && !r.pin)) {   // one position saves no work worth a snapshot
            return "nothing was cached";
        }
        int[] tokens = new int[nPos];
        for (int i = 0; i < nPos; i++) {
            tokens[i] = r.cachedToken(i);
        }
        List<PromptToken> scores = r.promptScores != null && r.promptScores.size() > 1
                ? List.copyOf(r.promptScores) : null;
        int scoreTop = r.params.topNTokens();
        for (Entry e : entries) {
            if (e.tokens.length >= nPos && commonPrefix(tokens, nPos, e.tokens, e.tokens.length) == nPos) {
                // already held (e.g. the request was served from it and added nothing): only its scores may be new
                if (scores != null && (e.scores == null
                        || (scoreTop >= e.scoreTop && scores.size() >= e.scores.size()))) {
                    e.scores = scores;
                    e.scoreTop = scoreTop;
                }
                e.lastUse = ++clock;
                e.pinned |= r.pin;
                return null;
            }
        }
        gpt2_kv_snapshot snap = new gpt2_kv_snapshot();
        int status = Gpt2Native.gpt2_kv_snapshot_save(ctx, r.slot, nPos, snap);
        if (status != Gpt2Native.GPT2_OK) {
            Gpt2Exception why = NativeCalls.failure(status, "gpt2_kv_snapshot_save");
            disable(why);
            return why.getMessage();
        }
        long bytes = Gpt2Native.gpt2_kv_snapshot_bytes(snap);
        long pinnedBytes = 0;
        for (Entry e : entries) {
            pinnedBytes += e.pinned ? e.bytes : 0;
        }
        if (pinnedBytes + bytes > budgetBytes) {   // cannot fit even after evicting everything evictable
            Gpt2Native.gpt2_kv_snapshot_free(snap);
            return nPos + " positions take " + bytes + " bytes; with " + pinnedBytes + " bytes pinned already the"
                    + " prompt cache's budget of " + budgetBytes + " bytes cannot hold them";
        }
        // entries the new one extends are redundant: it serves every prompt they would (their scores, of the same
        // tokens, go along when it has none of its own)
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (!e.pinned && e.tokens.length < nPos
                    && commonPrefix(tokens, nPos, e.tokens, e.tokens.length) == e.tokens.length) {
                if (scores == null && e.scores != null) {
                    scores = e.scores;
                    scoreTop = e.scoreTop;
                }
                it.remove();
                free(e);
            }
        }
        while (held + bytes > budgetBytes) {   // terminates: the unpinned entries alone exceed what is missing
            Entry lru = null;
            for (Entry e : entries) {
                if (!e.pinned && (lru == null || e.lastUse < lru.lastUse)) {
                    lru = e;
                }
            }
            if (lru == null) {
                break;
            }
            entries.remove(lru);
            free(lru);
        }
        Entry e = new Entry(tokens, snap, bytes);
        e.pinned = r.pin;
        e.scores = scores;
        e.scoreTop = scoreTop;
        e.lastUse = ++clock;
        entries.add(e);
        held += bytes;
        publish();
        return null;
    }

    /** Makes every pinned entry an ordinary, evictable one. */
    void unpinAll() {
        for (Entry e : entries) {
            e.pinned = false;
        }
    }

    @Override
    public void close() {
        for (Entry e : entries) {
            Gpt2Native.gpt2_kv_snapshot_free(e.snap);
        }
        entries.clear();
        held = 0;
        publish();
    }

    private void free(Entry e) {
        Gpt2Native.gpt2_kv_snapshot_free(e.snap);
        held -= e.bytes;
    }

    private void publish() {
        bytesHeld = held;
        entryCount = entries.size();
    }

    private void disable(Gpt2Exception why) {
        LOG.log(System.Logger.Level.WARNING, "prompt cache disabled: " + why.getMessage());
        disabled = true;
        close();
    }

    /**
     * How many positions a scoring request with PROMPT (TOP alternatives) may reuse from a source that scored
     * SCORES (TOP_HAVE alternatives each): m such that its scored tokens 0..m are PROMPT's (the score of token m
     * came from position m - 1's logits), at most LIMIT; 0 without scores or with fewer alternatives.
     */
    private static int scoredPrefix(int[] prompt, int limit, List<PromptToken> scores, int topHave, int top) {
        if (scores == null || topHave < top) {
            return 0;
        }
        int n = Math.min(prompt.length, scores.size());
        int i = 0;
        while (i < n && prompt[i] == scores.get(i).id()) {
            i++;
        }
        return Math.max(0, Math.min(i - 1, limit));
    }

    /** Length of the common prefix of PROMPT (at most LIMIT tokens) and the positions OTHER has cached. */
    private static int commonPrefix(int[] prompt, int limit, Request other) {
        int n = Math.min(limit, other.nPast);
        int i = 0;
        while (i < n && prompt[i] == other.cachedToken(i)) {
            i++;
        }
        return i;
    }

    private static int commonPrefix(int[] a, int limit, int[] b, int bLen) {
        int n = Math.min(limit, bLen);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
