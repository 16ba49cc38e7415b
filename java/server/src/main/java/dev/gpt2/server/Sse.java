// Server-sent events over a Helidon response: "data: <json>\n\n" frames flushed one by one. A failed write
// means the client went away; callers cancel the generation then.
package dev.gpt2.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerResponse;

/** An open event stream; {@link #send} returns false once the client is gone. */
final class Sse implements AutoCloseable {
    private final OutputStream out;
    private boolean open = true;

    Sse(ServerResponse res) {
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/event-stream"));
        res.header(HeaderValues.create(HeaderNames.CACHE_CONTROL, "no-cache"));
        res.header(HeaderValues.create("X-Accel-Buffering", "no"));
        this.out = res.outputStream();
    }

    boolean send(JsonNode data) {
        return sendRaw(Responses.bytes(data));
    }

    /** One frame; data must not contain a newline (compact JSON never does). */
    boolean sendRaw(byte[] data) {
        if (!open) {
            return false;
        }
        try {
            out.write("data: ".getBytes(StandardCharsets.US_ASCII));
            out.write(data);
            out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        } catch (IOException | RuntimeException e) {
            open = false;
            return false;
        }
    }

    @Override
    public void close() {
        if (open) {
            try {
                out.close();
            } catch (IOException | RuntimeException ignored) {
                // the client is gone already; nothing left to tell it
            }
        }
    }
}
