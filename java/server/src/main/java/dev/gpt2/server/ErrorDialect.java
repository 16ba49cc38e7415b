// Renders errors the way each API family does: TGI {"error","error_type"} (validation = 422) for /generate*,
// OpenAI {"error":{"message","type","param","code"}} (validation = 400) for /v1/*; maps library exceptions.
package dev.gpt2.server;

import java.lang.System.Logger.Level;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.ContextOverflowException;
import dev.gpt2.ModelClosedException;
import dev.gpt2.ParameterException;
import dev.gpt2.QueueFullException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** One error shape per API family. */
enum ErrorDialect {
    TGI(ApiParameters.Family.TGI),
    OPENAI(ApiParameters.Family.OPENAI);

    private static final System.Logger LOG = System.getLogger(ErrorDialect.class.getName());
    /** Seconds a client is asked to wait after 429. */
    static final String RETRY_AFTER_SECONDS = "1";

    private final ApiParameters.Family family;

    ErrorDialect(ApiParameters.Family family) {
        this.family = family;
    }

    /** The dialect for a path with no service of its own (404, 405): /v1/* speaks OpenAI, the rest TGI. */
    static ErrorDialect forPath(String path) {
        return path.startsWith("/v1/") || path.equals("/v1") ? OPENAI : TGI;
    }

    /** Builder field name (topP) -> this API's name (top_p), from the parameter table. */
    String apiName(String builderField) {
        return ApiParameters.wireName(family, builderField);
    }

    /** Turns any failure from request handling into this dialect's {@link ApiException}. */
    ApiException translate(Throwable error) {
        Throwable e = error;
        while ((e instanceof java.util.concurrent.CompletionException
                || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return switch (e) {
            case ApiException api -> api;
            case ParameterException p -> {
                String field = apiName(p.field());
                String message = p.getMessage() == null ? "invalid " + field : p.getMessage();
                if (p.field() != null && !p.field().isEmpty()) {
                    message = message.replace(p.field(), field);
                }
                yield ApiException.invalid(field, message);
            }
            case QueueFullException q -> new ApiException(429, null,
                    "Model is overloaded: the request queue is full, retry later", "overloaded");
            case ContextOverflowException c -> ApiException.invalid(this == TGI ? "inputs" : "prompt", c.getMessage());
            case ModelClosedException m -> new ApiException(503, null,
                    m.engineFailed() ? "the model's engine failed; this server no longer generates"
                            : "the model is shutting down", "unavailable");
            default -> {
                LOG.log(Level.ERROR, "request failed", e);
                yield new ApiException(500, null, "internal error: " + e, "internal");
            }
        };
    }

    int status(ApiException e) {
        if ("validation".equals(e.type())) {
            return this == TGI ? 422 : 400;
        }
        return e.status();
    }

    /** The error document for {@code e}. */
    ObjectNode body(ApiException e) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        if (this == TGI) {
            root.put("error", e.getMessage());
            root.put("error_type", e.type());
            if (e.field() != null) {
                root.put("field", e.field());
            }
        } else {
            ObjectNode err = root.putObject("error");
            err.put("message", e.getMessage());
            err.put("type", switch (e.type()) {
                case "validation", "payload_too_large", "method_not_allowed", "unsupported_media_type",
                        "request_timeout", "bad_request", "uri_too_long", "headers_too_large",
                        "http_version_not_supported", "client_closed" -> "invalid_request_error";
                case "not_found" -> "not_found_error";
                case "overloaded" -> "rate_limit_error";
                case "unavailable" -> "service_unavailable_error";
                default -> "server_error";
            });
            if (e.field() == null) {
                err.putNull("param");
            } else {
                err.put("param", e.field());
            }
            err.put("code", e.type());
        }
        return root;
    }

    /**
     * The error handler registered with Helidon's routing for every route: any exception a handler throws becomes
     * the JSON error of the path's dialect (handlers have no try/catch of their own). A response already under
     * way (an event stream) reports its errors in-band itself, so here there is nothing left to send.
     */
    static void handle(ServerRequest req, ServerResponse res, Throwable error) {
        if (res.isSent()) {
            LOG.log(Level.DEBUG, "error after the response was sent", error);
            return;
        }
        forPath(req.path().absolute().path()).send(res, error);
    }

    /** Sends {@code error} (translated) as this dialect's JSON; adds Retry-After to 429. */
    void send(ServerResponse res, Throwable error) {
        ApiException e = translate(error);
        if (e.status() == 429 || e.status() == 503) {
            res.header(HeaderValues.create(HeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        if (e.closesConnection() && !res.isSent()) {
            // where the broken request ends is unknown, so nothing after it can be read as a request
            res.header(HeaderValues.CONNECTION_CLOSE);
            CurrentConnection.closeWhenSent(res);
        }
        res.status(Status.create(status(e)));
        Responses.sendJson(res, body(e));
    }
}
