package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import dev.gpt2.binding.Gpt2Native.gpt2_context;
import dev.gpt2.binding.Gpt2Native.gpt2_sample_result;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lossless speculative decoding for the engine (engine thread only, except the counters). A speculative sequence in
 * decoding state puts its last token plus up to K drafted tokens into the step's batch, all with logits; its sampler
 * then samples the positions in order (gpt2_sampler_sample_ctx, exactly as plain decoding would, RNG included) and
 * a draft is accepted while it equals the sampled token. Drafts are deterministic, so this is speculative sampling
 * with a point-mass proposal: every token is plain decoding's own (greedy and seeded output do not change, whatever
 * the drafts, their length or the batch), and a draft d is accepted with probability p(d). Every chosen token is
 * emitted as its own event, and the sequence's cache is rolled back past the rejected drafts
 * (gpt2_context_seq_keep). The drafts come from {@link PromptLookup}, or from a {@link DraftModel} when the engine
 * has one.
 */
final class Speculation {
    private static final System.Logger LOG = System.getLogger(Speculation.class.getName());
    /** Most drafted tokens per step a request may ask for. */
    static final int MAX_DRAFT = 16;

    /** Takes one chosen token of a sequence (the engine's accept: text, event, finish). */
    interface TokenSink {
        void accept(Request r, gpt2_sample_result sample);
    }

    private final int defaultDraft;
    private final DraftModel draftModel;   // null: prompt lookup
    private final ArrayList<Request> drafting = new ArrayList<>();
    private final int[] maxOf;
    final AtomicLong drafted = new AtomicLong();
    final AtomicLong accepted = new AtomicLong();

    /**
     * DEFAULT_DRAFT: drafted tokens per step for requests that do not say (GenerationParams.speculate() = -1);
     * DRAFT_MODEL: the drafter, null for prompt lookup (owned from here on: {@link #close()} frees it).
     */
    Speculation(int defaultDraft, DraftModel draftModel, int nSlots) {
        this.defaultDraft = defaultDraft;
        this.draftModel = draftModel;
        this.maxOf = new int[nSlots];
    }

    /** Frees the draft model, if any (engine thread, at exit). */
    void close() {
        if (draftModel != null) {
            draftModel.close();
        }
    }

    /** The drafting state of a newly admitted request, or null when it does not speculate. */
    SpeculativeState open(Request r) {
        int k = r.params.speculate() >= 0 ? r.params.speculate() : defaultDraft;
        return k > 0 ? new SpeculativeState(Math.min(k, MAX_DRAFT), r.promptTokens) : null;
    }

    /**
     * Drafts this step's tokens of the speculative sequences among DECODING, at most ROOM in all (what the batch has
     * left, shared in order), each clamped so that every entry stays inside the context (positions nPast ..
     * nPast + nDraft < nCtx) and no draft lies beyond the request's token limit. Sets each one's nDraft; returns the
     * total.
     */
    int plan(List<Request> decoding, int room, int nCtx) {
        drafting.clear();
        for (Request r : decoding) {
            if (r.spec == null) {
                continue;
            }
            r.spec.nDraft = 0;
            int remaining = r.params.maxNewTokens() - r.tokens.size() - 1;   // the step's last token needs no draft
            int max = Math.min(Math.min(room, nCtx - 1 - r.nPast), remaining);
            if (max <= 0) {
                continue;
            }
            max = Math.min(max, r.spec.budget());
            if (max <= 0) {
                continue;
            }
            if (draftModel == null) {
                r.spec.nDraft = PromptLookup.draft(r.spec.text, r.spec.length, max, r.spec.draft);
            } else {
                maxOf[drafting.size()] = max;
                drafting.add(r);
            }
            room -= max;
        }
        if (!drafting.isEmpty()) {
            try {
                draftModel.draft(drafting, maxOf);
            } catch (RuntimeException e) {   // drafts are optional: the step goes on without them
                LOG.log(System.Logger.Level.WARNING, "the draft model failed; this step decodes without drafts", e);
                for (Request r : drafting) {
                    r.spec.nDraft = 0;
                    draftModel.forget(r.slot);
                }
            }
            drafting.clear();
        }
        int total = 0;
        for (Request r : decoding) {
            total += r.spec != null ? r.spec.nDraft : 0;
        }
        return total;
    }

    /**
     * Verifies R's drafts after the decode: entry FIRST (its last token) to FIRST + nDraft (the last draft) carry
     * logits. Feeds each position's token to SINK until one differs from its draft (the correction), the sequence
     * finishes or is cancelled, or the bonus token after a fully accepted draft; then keeps the cache of the last
     * token and the accepted drafts only. The caller has counted the last token's position in r.nPast.
     */
    void verify(Request r, gpt2_context ctx, int first, gpt2_sample_result result, TokenSink sink) {
        SpeculativeState s = r.spec;
        int n = s.nDraft;
        int acceptedNow = 0;
        for (int k = 0; k <= n; k++) {
            int draft = k < n ? s.draft[k] : -1;
            NativeCalls.check(Gpt2Native.gpt2_sampler_sample_ctx(r.sampler.handle(), ctx, first + k, result),
                    "gpt2_sampler_sample_ctx");
            int token = result.token();
            boolean hit = token == draft;
            if (hit) {
                acceptedNow++;
            }
            sink.accept(r, result);   // appends the token to s.text too
            if (!hit || r.sampler == null || r.cancelled) {   // corrected, finished (released) or cancelled
                break;
            }
        }
        drafted.addAndGet(n);
        accepted.addAndGet(acceptedNow);
        s.verified(acceptedNow);
        r.nPast += acceptedNow;
        if (r.sampler != null) {
            NativeCalls.check(Gpt2Native.gpt2_context_seq_keep(ctx, r.slot, r.nPast), "gpt2_context_seq_keep");
        }
    }
}
