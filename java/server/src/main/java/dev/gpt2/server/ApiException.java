// One error raised anywhere in request handling; each API family renders it in its own dialect (ErrorDialect).
package dev.gpt2.server;

/** An HTTP error with the offending request field (API name, may be null) and a short machine type. */
final class ApiException extends RuntimeException {
    private final int status;
    private final String field;
    private final String type;
    private final boolean closesConnection;

    ApiException(int status, String field, String message, String type) {
        this(status, field, message, type, false);
    }

    /** CLOSES_CONNECTION: the connection cannot carry another request (e.g. its request framing is broken). */
    ApiException(int status, String field, String message, String type, boolean closesConnection) {
        super(message);
        this.status = status;
        this.field = field;
        this.type = type;
        this.closesConnection = closesConnection;
    }

    boolean closesConnection() {
        return closesConnection;
    }

    /** 422/400-style validation failure naming the field. */
    static ApiException invalid(String field, String message) {
        return new ApiException(400, field, message, "validation");
    }

    int status() {
        return status;
    }

    String field() {
        return field;
    }

    /** validation, overloaded, unavailable, not_found, method_not_allowed, payload_too_large, internal. */
    String type() {
        return type;
    }
}
