package dev.gpt2;

/**
 * A failure of the GPT-2 runtime: a native call returned an error status (the native message is the message of
 * this exception) or the library refused a request. Unchecked.
 */
public class Gpt2Exception extends RuntimeException {
    /** Status used for failures detected on the Java side rather than returned by the native library. */
    public static final int STATUS_JAVA = 0;

    private final int status;

    public Gpt2Exception(int status, String message) {
        super(message);
        this.status = status;
    }

    public Gpt2Exception(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The native gpt2_status (negative), or {@link #STATUS_JAVA} for errors raised by the Java side. */
    public int status() {
        return status;
    }
}
