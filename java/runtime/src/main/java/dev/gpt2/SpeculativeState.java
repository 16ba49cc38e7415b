package dev.gpt2;

/**
 * One speculative sequence's drafting state (engine thread only): its text so far (prompt + generated tokens, what
 * the drafters read), the draft of the current step, and the adaptive draft length.
 *
 * <p>Adaptive length keeps the mechanical overhead small when drafts keep failing: the length starts at 2, doubles
 * after a step whose whole draft was accepted and drops to (accepted + 1) after a rejection; a step that accepted
 * nothing at length 1 starts a pause without drafting, of 1, 2, 4 .. {@link #MAX_PAUSE} steps as such failures
 * repeat, and each step that accepts something halves the next pause (a lucky hit among many misses, as a random
 * draft model's, does not bring back drafting at every step). All of it depends only on this sequence's own history,
 * so a seeded request stays reproducible.
 */
final class SpeculativeState {
    static final int MAX_PAUSE = 64;

    final int maxDraft;          // the request's limit of drafted tokens per step
    int[] text;                  // prompt + generated tokens
    int length;
    final int[] draft;           // this step's drafted tokens
    int nDraft;                  // how many of them are in this step's batch
    int draftLength;             // the adaptive limit, 1..maxDraft
    private int pause;           // steps left without drafting
    private int nextPause = 1;
    long drafted;                // tokens drafted and verified over the request
    long accepted;               // of them, accepted

    SpeculativeState(int maxDraft, int[] prompt) {
        this.maxDraft = maxDraft;
        this.draft = new int[maxDraft];
        this.draftLength = Math.min(2, maxDraft);   // proven before it grows: a failing drafter costs little
        this.text = java.util.Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
        this.length = prompt.length;
    }

    /** Appends a generated token to the text. */
    void append(int token) {
        if (length == text.length) {
            text = java.util.Arrays.copyOf(text, text.length * 2);
        }
        text[length++] = token;
    }

    /** How many tokens this step may draft (0 while paused); counts the paused step. */
    int budget() {
        if (pause > 0) {
            pause--;
            return 0;
        }
        return draftLength;
    }

    /** Records the outcome of verifying this step's nDraft tokens, of which ACCEPTED_NOW were accepted. */
    void verified(int acceptedNow) {
        drafted += nDraft;
        accepted += acceptedNow;
        if (acceptedNow == nDraft) {
            draftLength = Math.min(maxDraft, draftLength * 2);
        } else {
            draftLength = Math.max(1, acceptedNow + 1);
        }
        if (acceptedNow > 0) {
            nextPause = Math.max(1, nextPause / 2);
        } else if (nDraft == 1) {
            pause = nextPause;
            nextPause = Math.min(MAX_PAUSE, nextPause * 2);
        }
        nDraft = 0;
    }
}
