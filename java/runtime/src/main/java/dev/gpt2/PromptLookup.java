package dev.gpt2;

/**
 * Prompt-lookup drafting (n-gram speculation): the sequence's last n tokens (n from {@link #MAX_NGRAM} down to
 * {@link #MIN_NGRAM}) are looked up earlier in its text (prompt + generated tokens), latest occurrence first, and the
 * tokens that followed that occurrence are the draft. Costs no model call, and drafts nothing when nothing matches.
 *
 * <p>Why 2..4: the longest match is tried first because a longer shared context predicts the continuation better
 * (a greedy GPT-2 loop repeats whole phrases, so 4-grams match once it loops); 1-grams match almost everywhere in
 * ordinary text (" the", ",") and their continuations are mostly wrong, so they would only add rejected work. The
 * latest occurrence is preferred because a loop's most recent period is the one that repeats.
 */
final class PromptLookup {
    static final int MAX_NGRAM = 4;
    static final int MIN_NGRAM = 2;

    private PromptLookup() {
    }

    /**
     * Writes up to MAX tokens that followed the latest earlier occurrence of the longest matching suffix n-gram of
     * TEXT[0, len) into OUT; returns how many (0 when no n-gram of MIN_NGRAM..MAX_NGRAM tokens recurs).
     */
    static int draft(int[] text, int len, int max, int[] out) {
        if (max <= 0) {
            return 0;
        }
        for (int n = Math.min(MAX_NGRAM, len - 1); n >= MIN_NGRAM; n--) {
            int suffix = len - n;
            // an occurrence at START (< suffix) is followed by text[start + n ..]; it needs at least one token after
            for (int start = suffix - 1; start >= 0; start--) {
                if (!matches(text, start, suffix, n)) {
                    continue;
                }
                int from = start + n;
                int count = Math.min(max, len - from);
                System.arraycopy(text, from, out, 0, count);
                return count;
            }
        }
        return 0;
    }

    private static boolean matches(int[] text, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            if (text[a + i] != text[b + i]) {
                return false;
            }
        }
        return true;
    }
}
