package dev.gpt2;

/** The engine's request queue is at capacity; retry later (an HTTP server answers 429). */
public final class QueueFullException extends Gpt2Exception {
    public QueueFullException(int queueCapacity) {
        super(STATUS_JAVA, "request queue is full (queueCapacity=" + queueCapacity + "); retry later");
    }
}
