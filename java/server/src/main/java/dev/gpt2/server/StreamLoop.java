// The one loop both event-stream APIs run: drain a generation's events onto the stream, a frame per token, until
// its result; an engine error mid-stream becomes the API's error event, a gone client cancels the generation.
package dev.gpt2.server;

import java.util.function.Function;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.GenerationResult;
import dev.gpt2.StreamEvent;

final class StreamLoop {
    /** How a stream of one generation ended: its result, and (when the caller held it back) the last token frame. */
    record End(GenerationResult result, ObjectNode held) {
    }

    private StreamLoop() {
    }

    /**
     * Sends FRAME(event) for each token of RUN. With HOLD_LAST the newest frame is kept back until the next one
     * (TGI's last token event also carries the generated text and details) and returned with the result for the
     * caller to complete and send. Returns null when the stream ended early: the client went away (the run is
     * cancelled) or the generation failed (DIALECT's error event has been sent).
     */
    static End run(GenerationRun run, Sse sse, ErrorDialect dialect, Function<StreamEvent, ObjectNode> frame,
                   boolean holdLast) throws InterruptedException {
        ObjectNode held = null;
        while (true) {
            Object next;
            try {
                next = run.next();
            } catch (RuntimeException e) {
                sse.send(dialect.body(dialect.translate(e)));
                return null;
            }
            if (next instanceof GenerationResult result) {
                return new End(result, held);
            }
            ObjectNode f = frame.apply((StreamEvent) next);
            if (holdLast) {
                ObjectNode previous = held;
                held = f;
                f = previous;
            }
            if (f != null && !sse.send(f)) {
                run.cancel();
                return null;
            }
        }
    }
}
