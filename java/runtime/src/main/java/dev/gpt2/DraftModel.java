package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import dev.gpt2.binding.Gpt2Native.gpt2_context;
import dev.gpt2.binding.Gpt2Native.gpt2_context_params;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Draft-model drafting: a second, smaller GPT-2 with the target's vocabulary (e.g. gpt2 for gpt2-xl) proposes each
 * speculative sequence's next tokens greedily. It has its own context on the engine thread with one sequence per
 * engine slot; each sequence's draft cache is kept in sync with the target's text lazily: before drafting, the cache
 * is rolled back (gpt2_context_seq_keep) to its longest prefix that is still the sequence's text, and the rest of
 * the text (the prompt on the first draft; then the tokens accepted since) is decoded. The drafts of all sequences
 * of a step run together, one batched decode per drafted position.
 */
final class DraftModel implements AutoCloseable {
    private final NativeModel model;
    private final gpt2_context ctx;
    private final int nVocab;
    private final int nCtx;
    private final int nBatch;
    private final int[][] cached;       // per slot: the tokens the draft cache holds
    private final int[] nCached;
    private final Request[] owner;      // per slot: the request the cache belongs to
    private final IntPointer seqIds;
    private final IntPointer positions;
    private final IntPointer tokens;
    private final BytePointer wantLogits;
    private final FloatPointer logits;
    private final float[] row;
    private final int[] entryOf;        // per request of a step: its entry with logits, -1 none

    /**
     * Loads PATH and makes its context (N_SLOTS sequences of at most N_CTX positions, N_BATCH tokens a step,
     * N_THREADS threads). ParameterException (field draftModel) when its vocabulary differs from TARGET's.
     */
    static DraftModel open(Path path, NativeModel target, int nCtx, int nSlots, int nBatch, int nThreads) {
        NativeModel m = NativeModel.load(path, false);
        try {
            checkVocabulary(path, m, target);
            return new DraftModel(m, nCtx, nSlots, nBatch, nThreads);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static void checkVocabulary(Path path, NativeModel draft, NativeModel target) {
        if (draft.vocabSize() != target.vocabSize()) {
            throw new ParameterException("draftModel", "draft model " + path + " has " + draft.vocabSize()
                    + " tokens, the model " + target.vocabSize() + ": speculative decoding needs the same vocabulary");
        }
        for (int t = 0; t < target.vocabSize(); t++) {
            if (!Arrays.equals(draft.tokenBytes(t), target.tokenBytes(t))) {
                throw new ParameterException("draftModel", "draft model " + path + ": token " + t + " is "
                        + draft.tokenText(t) + ", the model's is " + target.tokenText(t)
                        + ": speculative decoding needs the same vocabulary");
            }
        }
    }

    private DraftModel(NativeModel model, int nCtx, int nSlots, int nBatch, int nThreads) {
        this.model = model;
        this.nVocab = model.vocabSize();
        gpt2_context out = new gpt2_context();
        int ctxLen = Math.min(nCtx, Gpt2Native.gpt2_model_n_ctx_train(model.handle()));
        try (gpt2_context_params p = Gpt2Native.gpt2_context_default_params()) {
            p.n_ctx(ctxLen).n_seq_max(nSlots).n_batch(nBatch).n_threads(nThreads);
            NativeCalls.check(Gpt2Native.gpt2_context_create(model.handle(), p, out), "gpt2_context_create (draft)");
        }
        this.ctx = out;
        this.nCtx = ctxLen;
        this.nBatch = nBatch;
        this.cached = new int[nSlots][ctxLen];
        this.nCached = new int[nSlots];
        this.owner = new Request[nSlots];
        this.seqIds = new IntPointer((long) nBatch);
        this.positions = new IntPointer((long) nBatch);
        this.tokens = new IntPointer((long) nBatch);
        this.wantLogits = new BytePointer((long) nBatch);
        this.logits = new FloatPointer((long) nVocab);
        this.row = new float[nVocab];
        this.entryOf = new int[nSlots];
    }

    /**
     * Drafts up to MAX[i] tokens greedily for each of REQUESTS (their nDraft and draft arrays receive them), one
     * batched decode per position. The draft context may be shorter than the engine's: no draft passes its end.
     */
    void draft(List<Request> requests, int[] max) {
        int deepest = 0;
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            SpeculativeState s = r.spec;
            // the catch-up decode needs room for the whole text plus the drafts fed back (all but the last)
            max[i] = Math.min(max[i], nCtx - s.length + 1);
            if (max[i] > 0) {
                sync(r);
            }
            deepest = Math.max(deepest, max[i]);
        }
        catchUp(requests, max);
        for (int k = 0; k < deepest; k++) {
            int n = 0;
            for (int i = 0; i < requests.size(); i++) {
                Request r = requests.get(i);
                if (k >= max[i] || entryOf[i] < 0) {
                    continue;
                }
                int token = argmax(entryOf[i]);
                r.spec.draft[r.spec.nDraft++] = token;
                entryOf[i] = -1;
                if (k + 1 < max[i]) {   // the last draft is not fed back: the target verifies it
                    put(n, r.slot, nCached[r.slot], token, true);
                    cached[r.slot][nCached[r.slot]++] = token;
                    entryOf[i] = n++;
                }
            }
            if (n > 0) {
                decode(n);
            }
        }
    }

    /** Drops what the draft cache of SLOT holds (after a failed draft): the next draft starts from nothing. */
    void forget(int slot) {
        owner[slot] = null;
        nCached[slot] = 0;
    }

    /** Rolls R's draft cache back to its longest prefix that is R's text (a new request starts from nothing). */
    private void sync(Request r) {
        int slot = r.slot;
        if (owner[slot] != r) {
            owner[slot] = r;
            nCached[slot] = 0;
            NativeCalls.check(Gpt2Native.gpt2_context_seq_clear(ctx, slot), "gpt2_context_seq_clear (draft)");
            return;
        }
        int[] text = r.spec.text;
        int keep = 0;
        int limit = Math.min(nCached[slot], r.spec.length - 1);   // the last token is fed again: its logits draft
        while (keep < limit && cached[slot][keep] == text[keep]) {
            keep++;
        }
        if (keep < nCached[slot]) {
            nCached[slot] = keep;
            NativeCalls.check(Gpt2Native.gpt2_context_seq_keep(ctx, slot, keep), "gpt2_context_seq_keep (draft)");
        }
    }

    /**
     * Decodes each drafting request's text beyond its cache: all but its last token in chunks of nBatch without
     * logits, then the last tokens of all of them in one batch with logits (at most one entry per slot, so it fits).
     */
    private void catchUp(List<Request> requests, int[] max) {
        Arrays.fill(entryOf, -1);
        int n = 0;
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            if (max[i] <= 0) {
                continue;
            }
            while (nCached[r.slot] < r.spec.length - 1) {
                if (n == nBatch) {
                    decode(n);
                    n = 0;
                }
                n = feed(n, r, false);
            }
        }
        if (n > 0) {
            decode(n);
            n = 0;
        }
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            if (max[i] > 0) {
                entryOf[i] = n;
                n = feed(n, r, true);
            }
        }
        if (n > 0) {
            decode(n);
        }
    }

    /** Puts R's next uncached text token at entry N; returns N + 1. */
    private int feed(int n, Request r, boolean logits) {
        int pos = nCached[r.slot];
        put(n, r.slot, pos, r.spec.text[pos], logits);
        cached[r.slot][nCached[r.slot]++] = r.spec.text[pos];
        return n + 1;
    }

    private void put(int n, int slot, int pos, int token, boolean logits) {
        seqIds.put(n, slot);
        positions.put(n, pos);
        tokens.put(n, token);
        wantLogits.put(n, (byte) (logits ? 1 : 0));
    }

    private void decode(int n) {
        NativeCalls.check(Gpt2Native.gpt2_decode(ctx, n, seqIds, positions, tokens, wantLogits), "gpt2_decode (draft)");
    }

    /** The greedy token of entry I of the last decode (ties: the lowest id, as the sampler's argmax). */
    private int argmax(int entry) {
        NativeCalls.check(Gpt2Native.gpt2_copy_logits(ctx, entry, logits, nVocab), "gpt2_copy_logits (draft)");
        logits.get(row);
        int best = 0;
        for (int t = 1; t < nVocab; t++) {
            if (row[t] > row[best]) {
                best = t;
            }
        }
        return best;
    }

    @Override
    public void close() {
        Gpt2Native.gpt2_context_free(ctx);
        ctx.setNull();
        seqIds.close();
        positions.close();
        tokens.close();
        wantLogits.close();
        logits.close();
        model.close();
    }
}
