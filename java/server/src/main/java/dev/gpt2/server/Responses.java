// Small helpers for writing JSON and resources to a Helidon response.
package dev.gpt2.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerResponse;

final class Responses {
    private Responses() {
    }

    static void sendJson(ServerResponse res, JsonNode body) {
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json"));
        res.send(bytes(body));
    }

    static byte[] bytes(JsonNode body) {
        try {
            return JsonBody.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A classpath resource, or null when missing. */
    static byte[] resource(String path) {
        try (InputStream in = Responses.class.getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
