package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import dev.gpt2.binding.Gpt2Native.gpt2_context;
import dev.gpt2.binding.Gpt2Native.gpt2_sample_result;
import org.bytedeco.javacpp.IntPointer;

import java.util.ArrayList;
import java.util.List;

/**
 * Prompt logprobs for the engine: while a request that asked for them prefills, every prompt entry of a step wants
 * logits, and the entry at position p scores prompt token p + 1 (the token that followed it). After the step's
 * gpt2_decode one gpt2_score_tokens call scores them all, spread over the context's threads, with the very
 * computation that gives a sampled token's logprob. Engine thread only.
 */
final class PromptScorer implements AutoCloseable {
    private final NativeModel model;
    private final IntPointer entries;
    private final IntPointer tokens;
    private final gpt2_sample_result results;
    private final Request[] owners;
    private int n;

    PromptScorer(NativeModel model, int nBatch) {
        this.model = model;
        this.entries = new IntPointer((long) nBatch);
        this.tokens = new IntPointer((long) nBatch);
        this.results = new gpt2_sample_result((long) nBatch);
        this.owners = new Request[nBatch];
    }

    /** The first prompt token has no context: its logprob is null. Called once the request is admitted. */
    void start(Request r) {
        int first = r.promptTokens[0];
        r.promptScores.add(new PromptToken(first, model.tokenText(first), null, List.of()));
    }

    /** Batch entry ENTRY of R (prompt position p) will score prompt token TOKEN_INDEX = p + 1. */
    void add(Request r, int entry, int tokenIndex) {
        entries.put(n, entry);
        tokens.put(n, r.promptTokens[tokenIndex]);
        owners[n++] = r;
    }

    /**
     * Scores the entries added since the last call (after a successful decode) into their requests. Returns the
     * requests to fail when the native call failed (none on success), with the error.
     */
    Gpt2Exception score(gpt2_context ctx, int nTop, List<Request> failed) {
        if (n == 0) {
            return null;
        }
        int status = Gpt2Native.gpt2_score_tokens(ctx, entries, tokens, n, nTop, results.position(0));
        Gpt2Exception error = status == Gpt2Native.GPT2_OK ? null : NativeCalls.failure(status, "gpt2_score_tokens");
        for (int i = 0; i < n; i++) {
            Request r = owners[i];
            owners[i] = null;
            if (error != null) {
                if (!failed.contains(r)) {
                    failed.add(r);
                }
                continue;
            }
            gpt2_sample_result res = results.position(i);
            int count = Math.min(res.n_top(), r.params.topNTokens());
            List<TopToken> top = new ArrayList<>(count);
            for (int j = 0; j < count; j++) {
                int id = res.top_tokens(j);
                top.add(new TopToken(id, model.tokenText(id), res.top_logprobs(j)));
            }
            int id = res.token();
            r.promptScores.add(new PromptToken(id, model.tokenText(id), res.logprob(), top));
        }
        results.position(0);
        n = 0;
        return error;
    }

    /** Forgets the entries added since the last score (their decode failed: nothing was computed). */
    void discard() {
        for (int i = 0; i < n; i++) {
            owners[i] = null;
        }
        n = 0;
    }

    /** The largest topNTokens among the pending requests (one call serves them all; each keeps its own). */
    int maxTop() {
        int top = 0;
        for (int i = 0; i < n; i++) {
            top = Math.max(top, owners[i].params.topNTokens());
        }
        return top;
    }

    @Override
    public void close() {
        entries.close();
        tokens.close();
        results.close();
    }
}
