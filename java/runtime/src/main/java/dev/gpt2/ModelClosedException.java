package dev.gpt2;

/**
 * The model was closed, or its engine thread died of an unexpected error (then {@link #getCause()} is that
 * error): queued and new requests fail with this.
 */
public final class ModelClosedException extends Gpt2Exception {
    public ModelClosedException() {
        super(STATUS_JAVA, "the model is closed");
    }

    ModelClosedException(Throwable engineFailure) {
        super(STATUS_JAVA, "the model's engine thread failed (" + engineFailure + "); the model no longer generates",
                engineFailure);
    }

    /** True when the model is unusable because its engine died, not because someone closed it. */
    public boolean engineFailed() {
        return getCause() != null;
    }
}
