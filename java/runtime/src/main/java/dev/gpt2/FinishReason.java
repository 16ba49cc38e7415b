package dev.gpt2;

/** Why a generation ended. What each HTTP API calls it is the server's business (dev.gpt2.server.WireNames). */
public enum FinishReason {
    /** maxNewTokens tokens were generated. */
    LENGTH,
    /** The model produced its end-of-text token. */
    EOS_TOKEN,
    /** The text reached one of the stop strings. */
    STOP_SEQUENCE,
    /** The sequence reached the end of the context. */
    CONTEXT_LENGTH,
    /** Cancelled (by the caller, a closed model or a timeout). */
    CANCELLED
}
