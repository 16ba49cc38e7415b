// Errors Helidon answers itself, before any route runs: a malformed request line or header, a URI or headers
// too long, HTTP/1.0, bad framing. Helidon's default sends them with empty bodies; here they get the JSON error
// documents of the API family the path belongs to, like every other error of this server. Helidon passes no
// message unless error-handling.include-entity is set, so no internal detail can leak through these.
package dev.gpt2.server;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/** The DirectHandler for every Helidon event type: status kept, JSON body added. */
final class TransportErrors implements DirectHandler {
    private TransportErrors() {
    }

    static DirectHandlers handlers() {
        DirectHandlers.Builder b = DirectHandlers.builder();
        TransportErrors handler = new TransportErrors();
        for (EventType type : EventType.values()) {
            b.addHandler(type, handler);
        }
        return b.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        String path = request.path();
        ErrorDialect dialect = path != null && path.startsWith("/v1") ? ErrorDialect.OPENAI : ErrorDialect.TGI;
        if (eventType == EventType.INTERNAL_ERROR) {
            // At this layer Helidon reports an unexpected exception of its own request parser (a method that is
            // not an HTTP token, for one) or a connection already gone; routes answer their own failures (as
            // JSON 500) and never get here. So it is the request's bytes that are at fault.
            status = Status.BAD_REQUEST_400;
            message = null;
        }
        boolean oldVersion = status.code() == 505;
        if (oldVersion) {
            // Helidon speaks only HTTP/1.1 and says 505 to HTTP/1.0. The request is what is wrong, and a 5xx would
            // page whoever watches server errors each time an HTTP/1.0 health checker calls: answer 400.
            status = Status.BAD_REQUEST_400;
        }
        int code = status.code();
        ApiException e = oldVersion
                ? new ApiException(code, null, "HTTP/1.0 is not supported: send HTTP/1.1 requests",
                        "http_version_not_supported")
                : new ApiException(code, null, describe(eventType, code, message), type(code));
        byte[] body;
        try {
            body = JsonBody.MAPPER.writeValueAsBytes(dialect.body(e));
        } catch (JsonProcessingException impossible) {
            body = ("{\"error\":\"" + code + "\"}").getBytes(StandardCharsets.US_ASCII);
        }
        headers.set(HeaderValues.CONTENT_TYPE_JSON);
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .keepAlive(eventType.keepAlive())
                .entity(body)
                .build();
    }

    static String describe(EventType eventType, int code, String message) {
        String what = switch (code) {
            case 414 -> "request URI too long";
            case 431 -> "request headers too large";
            case 413 -> "request body too large";
            case 400 -> "malformed HTTP request";
            case 500 -> "internal error";
            default -> eventType == EventType.FORBIDDEN ? "forbidden" : "HTTP error " + code;
        };
        return message == null || message.isBlank() || code == 500 ? what : what + ": " + message;
    }

    static String type(int code) {
        return switch (code) {
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 413 -> "payload_too_large";
            case 500 -> "internal";
            default -> "bad_request";
        };
    }
}
