package dev.gpt2;

/** The model was closed: queued and new requests fail with this. */
public final class ModelClosedException extends Gpt2Exception {
    public ModelClosedException() {
        super(STATUS_JAVA, "the model is closed");
    }
}
