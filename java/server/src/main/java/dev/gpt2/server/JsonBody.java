// Strict JSON request bodies: size limit (413), valid UTF-8, no NaN/Infinity, no duplicate keys, an object at
// the top; plus typed field readers that name the offending field (with its path, e.g. parameters.top_p).
package dev.gpt2.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.ServerRequest;

/** Reads and checks request bodies; every failure is an {@link ApiException} naming the field. */
final class JsonBody {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonBody() {
    }

    /** Watchdog of body reads: one daemon thread for the whole server. */
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gpt2-body-deadline");
        t.setDaemon(true);
        return t;
    });

    /**
     * The body as a JSON object: 415 for a Content-Type other than JSON (a browser's cross-site form post sends
     * form, multipart or text/plain), 413 above {@code maxBodyBytes}, 408 (connection closed) when the body does
     * not arrive within {@code bodyTimeout}, 400-class errors for bad UTF-8 or JSON.
     */
    static ObjectNode read(ServerRequest req, ServerSettings settings) {
        requireJsonContentType(req);
        long maxBytes = settings.maxBodyBytes();
        long declared = req.headers().contentLength().orElse(-1L);
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        return parse(readWithDeadline(req, maxBytes, settings.bodyTimeout()));
    }

    static void requireJsonContentType(ServerRequest req) {
        var type = req.headers().contentType();
        if (type.isEmpty()) {
            return;   // curl --data-binary, scripts: no browser sends a body without a type
        }
        String media = type.get().mediaType().type() + "/" + type.get().mediaType().subtype();
        media = media.toLowerCase(java.util.Locale.ROOT);
        if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
            throw new ApiException(415, null, "Content-Type must be application/json, got " + media
                    + " (curl: add -H 'Content-Type: application/json')", "unsupported_media_type");
        }
    }

    /**
     * Helidon's idle-connection check skips a connection whose request is being handled, and its read timeout
     * does not cover the entity, so a client that sends the headers and then trickles or stops its body would
     * hold a virtual thread and a file descriptor for ever. Past the deadline the reading thread is interrupted,
     * which closes the connection's channel and ends the read.
     */
    private static byte[] readWithDeadline(ServerRequest req, long maxBytes, java.time.Duration timeout) {
        Thread reader = Thread.currentThread();
        int[] state = {0};   // 0 reading, 1 done, 2 timed out; guarded by itself
        ScheduledFuture<?> watchdog = DEADLINES.schedule(() -> {
            synchronized (state) {
                if (state[0] == 0) {
                    state[0] = 2;
                    reader.interrupt();
                }
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiException api) {
                throw api;
            }
            // Helidon's entity reader throws whatever the framing gave it (NumberFormatException for a bad chunk
            // size, end of data for a body cut short): the client's mistake, and nothing to name to it
            boolean chunked = req.headers().contains(io.helidon.http.HeaderNames.TRANSFER_ENCODING);
            throw new ApiException(400, null, chunked ? "malformed chunked transfer encoding in the request body"
                    : "the request body ended before its Content-Length", "bad_request", true);
        } finally {
            watchdog.cancel(false);
            boolean timedOut;
            synchronized (state) {
                timedOut = state[0] == 2;
                state[0] = 1;
            }
            if (timedOut) {
                Thread.interrupted();   // the interrupt was delivered inside the lock: clear it for the handler
                // replaces whatever the read threw: after the deadline that is only the interrupt's doing
                throw new ApiException(408, null, "the request body did not arrive within "
                        + timeout.toSeconds() + " s", "request_timeout");
            }
        }
        if (bytes.length > maxBytes) {
            throw tooLarge(maxBytes);
        }
        return bytes;
    }

    static ObjectNode parse(byte[] bytes) {
        if (bytes.length == 0) {
            throw ApiException.invalid(null, "request body is empty; expected a JSON object");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "request body is not valid UTF-8");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            throw ApiException.invalid(null, "malformed JSON: " + why.lines().findFirst().orElse(why));
        }
        if (node == null || !node.isObject()) {
            throw ApiException.invalid(null, "request body must be a JSON object");
        }
        rejectLoneSurrogates(node, "");
        return (ObjectNode) node;
    }

    /**
     * JSON's \\uXXXX escapes can spell half of a UTF-16 surrogate pair, which no UTF-8 text contains: the tokenizer
     * would see '?' in its place. Refused like invalid UTF-8 bytes are, naming the field.
     */
    private static void rejectLoneSurrogates(JsonNode node, String path) {
        if (node.isTextual()) {
            String text = node.textValue();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    String field = path.isEmpty() ? null : path;
                    throw ApiException.invalid(field, (field == null ? "the body" : "'" + field + "'")
                            + " contains an unpaired UTF-16 surrogate (\\u" + Integer.toHexString(c)
                            + ") at character " + i + ": not valid Unicode text");
                }
            }
        } else if (node.isObject()) {
            for (Iterator<java.util.Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                java.util.Map.Entry<String, JsonNode> e = it.next();
                rejectLoneSurrogates(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                rejectLoneSurrogates(node.get(i), path + "[" + i + "]");
            }
        }
    }

    private static ApiException tooLarge(long maxBytes) {
        return new ApiException(413, null, "request body is larger than the limit of " + maxBytes + " bytes",
                "payload_too_large");
    }

    /** Rejects any field outside {@code allowed}; {@code prefix} is "" or e.g. "parameters.". */
    static void rejectUnknown(ObjectNode node, Set<String> allowed, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw ApiException.invalid(prefix + name, "unknown field '" + prefix + name + "'");
            }
        }
    }

    static boolean present(ObjectNode node, String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    static Integer optInt(ObjectNode node, String name, String prefix, long min, long max) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() && !(v.isFloatingPointNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
            throw ApiException.invalid(prefix + name, "'" + prefix + name + "' must be an integer, got " + kind(v));
        }
        if (!v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw ApiException.invalid(prefix + name,
                    "'" + prefix + name + "' must be in [" + min + ", " + max + "], got " + v);
        }
        return (int) v.asLong();
    }

    static Long optLong(ObjectNode node, String name, String prefix) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw ApiException.invalid(prefix + name,
                    "'" + prefix + name + "' must be a non-negative 64-bit integer, got " + v);
        }
        return v.asLong();
    }

    /** A finite number in [min, max]; ranges the library checks more tightly are left to it. */
    static Float optFloat(ObjectNode node, String name, String prefix, double min, double max) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw ApiException.invalid(prefix + name, "'" + prefix + name + "' must be a number, got " + kind(v));
        }
        double d = v.asDouble();
        if (!Double.isFinite(d) || d < min || d > max) {
            throw ApiException.invalid(prefix + name,
                    "'" + prefix + name + "' must be in [" + min + ", " + max + "], got " + v);
        }
        return (float) d;
    }

    static Boolean optBool(ObjectNode node, String name, String prefix) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(prefix + name, "'" + prefix + name + "' must be a boolean, got " + kind(v));
        }
        return v.asBoolean();
    }

    static String optString(ObjectNode node, String name, String prefix) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(prefix + name, "'" + prefix + name + "' must be a string, got " + kind(v));
        }
        return v.asText();
    }

    /** A string or an array of strings (OpenAI's stop, prompt); null when absent. */
    static List<String> optStrings(ObjectNode node, String name, String prefix) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(v.asText());
            return out;
        }
        if (!v.isArray()) {
            throw ApiException.invalid(prefix + name,
                    "'" + prefix + name + "' must be a string or an array of strings, got " + kind(v));
        }
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw ApiException.invalid(prefix + name,
                        "'" + prefix + name + "' must contain only strings, got " + kind(e));
            }
            out.add(e.asText());
        }
        return out;
    }

    static ObjectNode optObject(ObjectNode node, String name, String prefix) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw ApiException.invalid(prefix + name, "'" + prefix + name + "' must be an object, got " + kind(v));
        }
        return (ObjectNode) v;
    }

    static int[] intArray(ObjectNode node, String name, int maxExclusive) {
        JsonNode v = node.get(name);
        if (v == null || !v.isArray()) {
            throw ApiException.invalid(name, "'" + name + "' must be an array of token ids");
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0 || e.asInt() >= maxExclusive) {
                throw ApiException.invalid(name, "'" + name + "[" + i + "]' must be a token id in [0, "
                        + maxExclusive + "), got " + e);
            }
            out[i] = e.asInt();
        }
        return out;
    }

    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> v.getNodeType().name().toLowerCase();
        };
    }
}
